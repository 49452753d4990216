// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>

#include "secrets/secret_store.h"

namespace hearth::secrets {

// True when the session bus has a Secret Service (org.freedesktop.secrets running, or
// activatable). False, without waiting, when there is no session bus (no
// DBUS_SESSION_BUS_ADDRESS and no $XDG_RUNTIME_DIR/bus); otherwise waits at most `timeout`.
bool SecretServiceOnBus(std::chrono::milliseconds timeout);

// The Secret Service through libsecret: one item per secret in the default collection, schema
// "org.hearth.Secret", attribute "name". Before each call the default collection is asked
// whether it is locked (waiting at most `timeout`), and a locked keyring is reported rather than
// unlocked: libsecret would otherwise raise a password prompt, and a daemon has no one to answer
// it. libsecret's synchronous calls run a private GLib main loop on the calling thread; one mutex
// keeps them one at a time. Null when there is no session bus to talk to.
std::unique_ptr<SecretStore> MakeSecretServiceStore(std::chrono::milliseconds timeout);

}  // namespace hearth::secrets
