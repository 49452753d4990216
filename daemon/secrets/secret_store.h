// SPDX-License-Identifier: Apache-2.0
// secrets: where API keys and MCP environment values are kept, outside the database (which backups
// and sync copy): the desktop's Secret Service when there is one, else a private file.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::secrets {

// Values by name ("provider/<name>/api_key", "mcp/<server>/env/<VAR>"). Nothing but an
// implementation of this interface reads or writes a secret at rest.
//
// Thread-safe: each implementation serialises its own calls. Calls may block on the keyring's
// D-Bus round trips (milliseconds), so callers read every value once at start-up and keep it.
// Errors: kUnavailable when the store cannot be used now (a locked keyring, a Secret Service that
// does not answer); kPermissionDenied / kCorrupt when the file is unsafe or unreadable. Every
// message says what to do; a failed call changes nothing.
class SecretStore {
 public:
  virtual ~SecretStore() = default;

  // The value saved under `name`, or nullopt when there is none.
  virtual Result<std::optional<std::string>> Get(std::string_view name) = 0;
  // Saves `value` under `name`, replacing any value there.
  virtual Status Put(std::string_view name, std::string_view value) = 0;
  // Forgets `name`; succeeds when there was nothing to forget.
  virtual Status Remove(std::string_view name) = 0;
  // Whether the store can be used now (for the settings page); the message says what to do.
  virtual Status Check() = 0;
  // Where the values are, for the settings page: "GNOME Keyring / Secret Service (…)" or
  // "file ~/.config/hearth/secrets.json, 0600".
  virtual std::string Where() const = 0;
};

struct SelectOptions {
  std::string config_dir;  // $XDG_CONFIG_HOME/hearth: where the fallback file goes
  std::string home;        // shown as "~" in the file's name
  // True: the file even when there is a Secret Service ($HEARTH_SECRET_STORE=file), for a
  // session whose keyring cannot be unlocked.
  bool force_file = false;
  // How long the Secret Service may take to answer the first question (it may have to start).
  std::chrono::milliseconds probe_timeout{2000};
};

// The Secret Service when one is on the session bus (running, or activatable), else the file.
// A Secret Service that is there but locked or silent is still chosen, and reports why it cannot
// be used: keys never go to the file behind the keyring's back. Never waits on the bus longer than
// `probe_timeout`; without a session bus it does not wait at all.
std::unique_ptr<SecretStore> SelectSecretStore(const SelectOptions& options);

}  // namespace hearth::secrets
