// SPDX-License-Identifier: Apache-2.0
#include "auth/authenticator.h"

#include <algorithm>

#include "base/random.h"
#include "base/sha256.h"
#include "base/uuid7.h"

namespace hearth::auth {
namespace {

constexpr size_t kCookieBytes = 32;
constexpr size_t kMaxUserAgentBytes = 200;

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string RandomHex(size_t bytes) {
  unsigned char buf[64];
  FillRandom(buf, bytes);
  return HexEncode(buf, bytes);
}

}  // namespace

Authenticator::Authenticator(store::Store& store, const Clock& clock, AuthOptions options,
                             TokenDrop* drop)
    : store_(store), clock_(clock), options_(options), drop_(drop) {}

Result<std::string> Authenticator::IssueLoginToken(int64_t ttl_ms) {
  ttl_ms = ClampLoginTokenTtl(ttl_ms, options_);
  int64_t now = clock_.NowMs();
  std::string token = Uuid7::Generate(now).ToString();
  Status s = store_.InsertLoginToken(Sha256Hex(token), now + ttl_ms);
  if (!s.ok()) return s;
  return token;
}

Status Authenticator::ConsumeLoginToken(std::string_view token, int64_t now) {
  static const Status kRefused = Status::PermissionDenied(
      "this login link is invalid, expired or already used; ask for a new one with "
      "`hearthd --login-url` or by opening Hearth again");
  auto parsed = Uuid7::Parse(token);
  if (!parsed) return kRefused;
  // The canonical form is hashed, so upper- and lowercase spellings are the same token.
  std::string digest = Sha256Hex(parsed->ToString());
  // A store that takes no writes cannot use up a token it holds, so only dropped tokens work then.
  bool memory_only = !store_.Writable().ok();
  Result<bool> consumed = false;
  if (!memory_only) consumed = store_.ConsumeLoginToken(digest, now);
  if (!consumed.ok()) return consumed.status();
  if (!*consumed && drop_ != nullptr) {
    consumed = drop_->Take(digest, now);
    if (!consumed.ok()) return consumed.status();
  }
  if (!*consumed) return kRefused;
  return Status::Ok();
}

Result<std::string> Authenticator::ExchangeLoginToken(std::string_view token, int64_t ttl_ms) {
  Status consumed = ConsumeLoginToken(token, clock_.NowMs());
  if (!consumed.ok()) return consumed;
  return IssueLoginToken(ttl_ms);
}

Result<NewSession> Authenticator::RedeemLoginToken(std::string_view token,
                                                   std::string_view user_agent) {
  int64_t now = clock_.NowMs();
  Status consumed = ConsumeLoginToken(token, now);
  if (!consumed.ok()) return consumed;
  bool memory_only = !store_.Writable().ok();

  NewSession session;
  session.cookie_value = RandomHex(kCookieBytes);
  session.csrf_token = RandomHex(16);
  session.expires_ms = now + options_.session_absolute_ms;
  store::SessionRecord record;
  record.id_hash = Sha256Hex(session.cookie_value);
  record.csrf_token = session.csrf_token;
  record.created_ms = now;
  record.last_seen_ms = now;
  record.expires_ms = session.expires_ms;
  record.user_agent = std::string(user_agent.substr(0, kMaxUserAgentBytes));
  if (memory_only) {
    // The database is read-only (damaged): the session lives here until the backend exits, so
    // the user can still sign in and read what is intact, and why.
    std::lock_guard lock(mu_);
    cache_[record.id_hash] = CachedSession{record.csrf_token, now, record.expires_ms, true};
    return session;
  }
  Status s = store_.InsertSession(record);
  if (!s.ok()) return s;
  return session;
}

Result<std::optional<SessionInfo>> Authenticator::Authenticate(std::string_view cookie_value) {
  if (cookie_value.size() != 2 * kCookieBytes || !IsHex(cookie_value)) {
    return std::optional<SessionInfo>();
  }
  std::string hash = Sha256Hex(cookie_value);
  int64_t now = clock_.NowMs();
  std::unique_lock lock(mu_);
  auto it = cache_.find(hash);
  if (it == cache_.end()) {
    lock.unlock();
    // The lookup is by digest, so its timing says nothing about the secret; the final
    // comparison is constant-time all the same.
    auto found = store_.FindSession(hash);
    if (!found.ok()) return found.status();
    if (!found->has_value() || !ConstantTimeEquals((*found)->id_hash, hash)) {
      return std::optional<SessionInfo>();
    }
    lock.lock();
    if (cache_.size() >= kMaxCachedSessions) {
      std::erase_if(cache_, [](const auto& entry) { return !entry.second.memory_only; });
    }
    it = cache_
             .emplace(hash, CachedSession{(*found)->csrf_token, (*found)->last_seen_ms,
                                          (*found)->expires_ms})
             .first;
  }
  CachedSession& session = it->second;
  if (now >= session.expires_ms || now - session.last_seen_ms >= options_.session_idle_ms) {
    bool memory_only = session.memory_only;
    cache_.erase(it);
    lock.unlock();
    if (memory_only || !store_.Writable().ok()) return std::optional<SessionInfo>();
    Status s = store_.DeleteSession(hash);
    if (!s.ok() && s.code() != Status::Code::kNotFound) return s;
    return std::optional<SessionInfo>();
  }
  SessionInfo info{hash, session.csrf_token};
  if (now - session.last_seen_ms >= options_.touch_interval_ms) {
    session.last_seen_ms = now;
    bool memory_only = session.memory_only;
    lock.unlock();
    if (memory_only || !store_.Writable().ok()) return std::optional<SessionInfo>(std::move(info));
    Status s = store_.TouchSession(hash, now);
    if (!s.ok()) return s;
  }
  return std::optional<SessionInfo>(std::move(info));
}

Status Authenticator::RevokeSession(std::string_view cookie_value) {
  std::string hash = Sha256Hex(cookie_value);
  {
    std::lock_guard lock(mu_);
    cache_.erase(hash);
  }
  if (!store_.Writable().ok()) return Status::Ok();
  Status s = store_.DeleteSession(hash);
  return s.code() == Status::Code::kNotFound ? Status::Ok() : s;
}

Result<int64_t> Authenticator::RevokeAllSessions() {
  int64_t in_memory = 0;
  {
    std::lock_guard lock(mu_);
    in_memory = std::count_if(cache_.begin(), cache_.end(),
                              [](const auto& entry) { return entry.second.memory_only; });
    cache_.clear();
  }
  if (!store_.Writable().ok()) return in_memory;
  auto revoked = store_.DeleteAllSessions();
  if (!revoked.ok()) return revoked.status();
  return *revoked + in_memory;
}

Result<int64_t> Authenticator::Sweep() {
  int64_t now = clock_.NowMs();
  {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& entry) {
      return now >= entry.second.expires_ms ||
             now - entry.second.last_seen_ms >= options_.session_idle_ms;
    });
  }
  Result<int64_t> sessions = int64_t{0};
  Result<int64_t> tokens = int64_t{0};
  if (store_.Writable().ok()) {  // else nothing can be deleted from it
    sessions = store_.DeleteExpiredSessions(now, now - options_.session_idle_ms);
    if (!sessions.ok()) return sessions.status();
    tokens = store_.DeleteExpiredLoginTokens(now);
    if (!tokens.ok()) return tokens.status();
  }
  if (drop_ != nullptr) {
    auto dropped = drop_->SweepExpired(now);
    if (!dropped.ok()) return dropped.status();
    *tokens += *dropped;
  }
  return *sessions + *tokens;
}

}  // namespace hearth::auth
