// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

namespace hearth {

// Logging for binaries (not for library code, which returns Status and lets its caller log once).
// Lines go to stderr; under systemd (JOURNAL_STREAM set) each line carries a <N> priority prefix
// that journald understands. Thread-safe: one write(2) per line.
enum class LogLevel { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

void Log(LogLevel level, std::string_view message);
inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }
inline void LogWarning(std::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }

}  // namespace hearth
