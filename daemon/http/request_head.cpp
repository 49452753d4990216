// SPDX-License-Identifier: Apache-2.0
#include "http/request_head.h"

#include <algorithm>
#include <cctype>

namespace hearth::http {
namespace {

HeadVerdict Reject(int status, std::string reason) {
  return {HeadVerdict::Kind::kRejected, status, std::move(reason)};
}

bool IsTokenChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// One line of the head without its line ending.
bool NextLine(std::string_view& rest, std::string_view& line) {
  size_t lf = rest.find('\n');
  if (lf == std::string_view::npos) return false;
  line = rest.substr(0, lf);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  rest.remove_prefix(lf + 1);
  return true;
}

bool CheckRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos) return false;
  for (char c : line.substr(0, sp1)) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  for (char c : line.substr(sp1 + 1, sp2 - sp1 - 1)) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  std::string_view version = line.substr(sp2 + 1);
  return version == "HTTP/1.1" || version == "HTTP/1.0";
}

}  // namespace

HeadVerdict CheckRequestHead(std::string_view bytes, const HeadLimits& limits) {
  // A client may send empty lines before the request line (RFC 9112 §2.2); skip a few.
  size_t skipped = 0;
  while (skipped < 4 && bytes.starts_with("\r\n")) {
    bytes.remove_prefix(2);
    ++skipped;
  }
  size_t first_lf = bytes.find('\n');
  if (first_lf == std::string_view::npos) {
    if (bytes.size() > limits.max_request_line) {
      return Reject(414, "The request line is longer than Hearth accepts.");
    }
    if (bytes.size() > limits.max_head) return Reject(431, "The request head is too large.");
    return {};
  }
  if (first_lf > limits.max_request_line) {
    return Reject(414, "The request line is longer than Hearth accepts.");
  }
  // The head ends at the first empty line.
  size_t end = std::string_view::npos;
  for (size_t pos = first_lf; pos != std::string_view::npos; pos = bytes.find('\n', pos + 1)) {
    std::string_view after = bytes.substr(pos + 1);
    if (after.starts_with("\n")) {
      end = pos + 2;
      break;
    }
    if (after.starts_with("\r\n")) {
      end = pos + 3;
      break;
    }
    if (pos + 1 > limits.max_head) break;
  }
  if (end == std::string_view::npos) {
    if (bytes.size() > limits.max_head) return Reject(431, "The request head is too large.");
    return {};
  }
  if (end > limits.max_head) return Reject(431, "The request head is too large.");

  std::string_view rest = bytes.substr(0, end);
  std::string_view line;
  NextLine(rest, line);
  if (!CheckRequestLine(line)) return Reject(400, "The request line is malformed.");
  bool http10 = line.ends_with("HTTP/1.0");
  int hosts = 0;
  while (NextLine(rest, line) && !line.empty()) {
    if (line.front() == ' ' || line.front() == '\t') {
      return Reject(400, "Folded header lines are not accepted.");
    }
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
      return Reject(400, "A header line is malformed.");
    }
    std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (!IsTokenChar(static_cast<unsigned char>(c))) {
        return Reject(400, "A header name is malformed.");
      }
    }
    for (char c : line.substr(colon + 1)) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && u != '\t') || u == 0x7f) {
        return Reject(400, "A header value holds a control character.");
      }
    }
    if (EqualsIgnoringCase(name, "host")) ++hosts;
  }
  if (hosts > 1) return Reject(400, "The request has more than one Host header.");
  if (hosts == 0 && !http10) return Reject(400, "The request has no Host header.");
  return {HeadVerdict::Kind::kAccepted, 0, {}};
}

}  // namespace hearth::http
