// SPDX-License-Identifier: Apache-2.0
#include "base/log.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace hearth {

void Log(LogLevel level, std::string_view message) {
  static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  std::string line;
  line.reserve(message.size() + 16);
  if (journal) {
    line += '<';
    line += static_cast<char>('0' + static_cast<int>(level));
    line += '>';
  } else {
    line += "hearthd: ";
    if (level == LogLevel::kError) line += "error: ";
    if (level == LogLevel::kWarning) line += "warning: ";
  }
  line += message;
  line += '\n';
  // Best effort: there is nowhere else to report a failed write to stderr.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace hearth
