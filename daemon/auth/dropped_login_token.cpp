// SPDX-License-Identifier: Apache-2.0
// Login tokens for processes other than the backend (the supervisor, `hearthd --login-url`),
// which go through the drop directory. In a file of their own so that a program that uses only
// these does not link the store, and with it SQLite.
#include "auth/authenticator.h"
#include "base/sha256.h"
#include "base/uuid7.h"

namespace hearth::auth {

Result<std::string> Authenticator::IssueDroppedLoginToken(TokenDrop& drop, int64_t now_ms,
                                                          int64_t ttl_ms,
                                                          const AuthOptions& options) {
  std::string token = Uuid7::Generate(now_ms).ToString();
  Status s = drop.Put(Sha256Hex(token), now_ms + ClampLoginTokenTtl(ttl_ms, options));
  if (!s.ok()) return s;
  return token;
}

Status Authenticator::RevokeDroppedLoginToken(TokenDrop& drop, std::string_view token,
                                              int64_t now_ms) {
  auto parsed = Uuid7::Parse(token);
  if (!parsed)
    return Status::InvalidArgument("not a login token (a UUID): " +
                                   std::string(token.substr(0, 64)));
  auto taken = drop.Take(Sha256Hex(parsed->ToString()), now_ms);
  if (!taken.ok()) return taken.status();
  if (!*taken) return Status::NotFound("no unused login token " + parsed->ToString());
  return Status::Ok();
}

}  // namespace hearth::auth
