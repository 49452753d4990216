// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <mutex>

#include "secrets/secret_store.h"

namespace hearth::secrets {

// The secrets as one JSON document, {"version": 1, "secrets": {name: value}}, in `dir`/secrets.json
// with mode 0600, for machines without a Secret Service. Read once, on first use, and cached.
// Written whole, atomically: a temporary file beside it (O_EXCL), fsync, rename, fsync of the
// directory, so a crash or a full disk leaves either the old file or the new one.
//
// The file is refused, for reading and writing, when it is a symbolic link, not a regular file,
// owned by another user, or readable or writable by anyone else; and when it is not a document
// Hearth wrote. It is then left untouched.
class FileSecretStore final : public SecretStore {
 public:
  static constexpr std::string_view kFileName = "secrets.json";
  static constexpr size_t kMaxFileBytes = 1024 * 1024;

  // `dir` is created (0700) on the first write; `shown_dir` names it on the settings page.
  FileSecretStore(std::string dir, std::string shown_dir);

  Result<std::optional<std::string>> Get(std::string_view name) override;
  Status Put(std::string_view name, std::string_view value) override;
  Status Remove(std::string_view name) override;
  Status Check() override;
  std::string Where() const override;

  std::string path() const { return dir_ + "/" + std::string(kFileName); }

 private:
  Status LoadLocked();  // requires mu_
  Status WriteLocked(const std::map<std::string, std::string, std::less<>>& values);

  const std::string dir_;
  const std::string shown_dir_;

  std::mutex mu_;
  // guarded by mu_
  bool loaded_ = false;
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace hearth::secrets
