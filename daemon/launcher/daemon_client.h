#pragma once

#include <chrono>
#include <string>

#include "base/status.h"

namespace hearth::launcher {

// How long to wait for LoginUrl. The first call may D-Bus-activate hearthd, which then starts its
// backend before it answers; sd-bus's own default is the same 25 s.
inline constexpr std::chrono::seconds kLoginUrlTimeout{25};

// Asks the daemon on the session bus (org.hearth.Hearth1) for a fresh login link; the bus starts
// the daemon if it is not running. Blocks for at most `timeout`.
//
// Errors, each with a message that says what to do:
//   NotFound:  the session bus or the daemon cannot be reached (no bus, the daemon is not
//              installed for activation, it failed to start, or it did not answer in time);
//   Internal:  the daemon answered with an error (org.hearth.Hearth1.Error.*, named in the
//              message) or with something unexpected.
Result<std::string> FetchLoginUrl(std::chrono::milliseconds timeout = kLoginUrlTimeout);

}  // namespace hearth::launcher
