// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/token_drop.h"
#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"

namespace hearth::auth {

struct AuthOptions {
  int64_t login_token_ttl_ms = 60 * 1000;
  int64_t max_login_token_ttl_ms = 10 * 60 * 1000;
  int64_t session_idle_ms = 12 * 60 * 60 * 1000LL;          // signed out after 12 h unused
  int64_t session_absolute_ms = 7 * 24 * 60 * 60 * 1000LL;  // and after 7 days in any case
  // last_seen is written at most this often per session, so reads stay reads.
  int64_t touch_interval_ms = 60 * 1000;
};

// A login token's lifetime: `ttl_ms`, or the default when it is 0 or less, at most the maximum.
inline int64_t ClampLoginTokenTtl(int64_t ttl_ms, const AuthOptions& options) {
  if (ttl_ms <= 0) ttl_ms = options.login_token_ttl_ms;
  return ttl_ms < options.max_login_token_ttl_ms ? ttl_ms : options.max_login_token_ttl_ms;
}

struct NewSession {
  std::string cookie_value;  // 256 random bits, hex; handed to the browser once, never stored
  std::string csrf_token;
  int64_t expires_ms = 0;
};

struct SessionInfo {
  std::string id_hash;
  std::string csrf_token;
};

// Login tokens and sessions. Tokens and cookie values are secrets: only their SHA-256 digests are
// stored, so the database file does not hold working credentials. Thread-safe.
//
// While the store takes no writes (a damaged database opens read-only), sign-in still works with
// tokens from the drop, and its sessions are kept in memory only, until the process exits.
//
// Sessions are checked on every request, so the ones in use are cached in memory after their
// first lookup. This process must therefore be the only one that creates or ends sessions in the
// database (other processes may add login tokens, as `hearthd --login-url` does).
class Authenticator {
 public:
  // `drop`, if given, is where other processes leave login tokens (see token_drop.h).
  Authenticator(store::Store& store, const Clock& clock, AuthOptions options = {},
                TokenDrop* drop = nullptr);

  // A fresh single-use UUIDv7 login token valid for `ttl_ms` (0: the default; clamped to the
  // maximum). Returns the token text, which the caller shows once.
  Result<std::string> IssueLoginToken(int64_t ttl_ms = 0);

  // The same, for a process other than the backend: the token goes through `drop`.
  // (dropped_login_token.cpp)
  static Result<std::string> IssueDroppedLoginToken(TokenDrop& drop, int64_t now_ms, int64_t ttl_ms,
                                                    const AuthOptions& options = {});
  // Makes an unused token from IssueDroppedLoginToken worthless. InvalidArgument when `token` is
  // not a token; NotFound when it is unknown, used or expired.
  static Status RevokeDroppedLoginToken(TokenDrop& drop, std::string_view token, int64_t now_ms);

  // Exchanges a login token for a session. PermissionDenied when the token is malformed,
  // unknown, already used or expired: the caller shows one message for all, so a page cannot
  // learn which.
  Result<NewSession> RedeemLoginToken(std::string_view token, std::string_view user_agent);

  // Uses up `token` and answers a fresh one valid for `ttl_ms` (clamped as IssueLoginToken does),
  // for a login link followed on an address whose cookies Hearth does not want (see
  // web/app.h). Fails as RedeemLoginToken does.
  Result<std::string> ExchangeLoginToken(std::string_view token, int64_t ttl_ms);

  // The session for a cookie value, or nullopt when there is none or it has expired (idle or
  // absolute). Refreshes last_seen at most every touch_interval_ms.
  Result<std::optional<SessionInfo>> Authenticate(std::string_view cookie_value);

  Status RevokeSession(std::string_view cookie_value);
  // Ends every session; returns how many there were.
  Result<int64_t> RevokeAllSessions();
  // Deletes expired sessions and tokens; returns how many rows went.
  Result<int64_t> Sweep();

  const AuthOptions& options() const { return options_; }

 private:
  // Uses up a login token, from the store or the drop. PermissionDenied as RedeemLoginToken says.
  Status ConsumeLoginToken(std::string_view token, int64_t now);

  struct CachedSession {
    std::string csrf_token;
    int64_t last_seen_ms = 0;
    int64_t expires_ms = 0;
    bool memory_only = false;  // made while the store took no writes: only here, never evicted
  };
  static constexpr size_t kMaxCachedSessions = 1024;

  store::Store& store_;
  const Clock& clock_;
  AuthOptions options_;
  TokenDrop* drop_;

  std::mutex mu_;
  // guarded by mu_: keyed by the digest of the cookie value
  std::unordered_map<std::string, CachedSession> cache_;
};

}  // namespace hearth::auth
