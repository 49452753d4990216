// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::auth {

// How a login token minted by another process (`hearthd --login-url` today, the supervisor
// tomorrow) reaches the daemon: hearthd holds its database exclusively, so the other process
// writes a file named after the token's SHA-256 digest, holding its expiry, into a directory only
// the user can enter ($XDG_RUNTIME_DIR/hearth/login-tokens, 0700). The token itself is never
// written down. Redeeming unlinks the file, which succeeds exactly once, so a token works once
// even when two requests race. Thread-safe: every operation is a single file-system call chain.
class TokenDrop {
 public:
  explicit TokenDrop(std::string dir) : dir_(std::move(dir)) {}

  // Writer side: creates the directory if needed and records `token_hash` until `expires_ms`.
  Status Put(std::string_view token_hash, int64_t expires_ms);
  // Reader side: true if the token was dropped, not yet taken and not expired at `now_ms`.
  Result<bool> Take(std::string_view token_hash, int64_t now_ms);
  // Removes expired entries; returns how many.
  Result<int64_t> SweepExpired(int64_t now_ms);

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace hearth::auth
