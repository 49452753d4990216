// SPDX-License-Identifier: Apache-2.0
#include "http/form.h"

namespace hearth::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      int hi = i + 2 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Status::InvalidArgument("malformed %-escape in form data");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  if (!IsValidUtf8(out)) return Status::InvalidArgument("form data is not valid UTF-8");
  return out;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Result<FormFields> ParseForm(std::string_view body, size_t max_fields) {
  FormFields fields;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    if (!pair.empty()) {
      if (fields.size() == max_fields) return Status::TooLarge("too many form fields");
      size_t eq = pair.find('=');
      auto key = Decode(pair.substr(0, eq));
      if (!key.ok()) return key.status();
      auto value = Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      if (!value.ok()) return value.status();
      fields.emplace_back(std::move(*key), std::move(*value));
    }
    start = end + 1;
  }
  return fields;
}

std::optional<std::string_view> FormValue(const FormFields& fields, std::string_view name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<std::string> CookieValue(std::string_view header, std::string_view name) {
  std::vector<std::string> values = CookieValues(header, name, 1);
  if (values.empty()) return std::nullopt;
  return std::move(values.front());
}

std::vector<std::string> CookieValues(std::string_view header, std::string_view name,
                                      size_t max_values) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < header.size() && out.size() < max_values) {
    size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos && item.substr(0, eq) == name) {
      out.emplace_back(item.substr(eq + 1));
    }
    pos = end + 1;
  }
  return out;
}

}  // namespace hearth::http
