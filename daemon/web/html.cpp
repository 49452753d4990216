// SPDX-License-Identifier: Apache-2.0
#include "web/html.h"

#include "store/store.h"

namespace hearth::web {

void AppendEscaped(std::string& out, std::string_view text) {
  // Copies runs of ordinary characters in one go: most text has nothing to escape, and this is
  // on the path of every fragment.
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char* entity;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&#39;";
        break;
      default:
        continue;
    }
    out.append(text, start, i - start);
    out += entity;
    start = i + 1;
  }
  out.append(text, start, text.size() - start);
}

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  AppendEscaped(out, text);
  return out;
}

std::string HighlightSnippet(std::string_view snippet) {
  std::string out;
  out.reserve(snippet.size() + 32);
  bool open = false;
  size_t start = 0;
  for (size_t i = 0; i <= snippet.size(); ++i) {
    if (i < snippet.size() && snippet[i] != store::kMatchBegin && snippet[i] != store::kMatchEnd) {
      continue;
    }
    AppendEscaped(out, snippet.substr(start, i - start));
    if (i < snippet.size()) {
      if (snippet[i] == store::kMatchBegin && !open) {
        out += "<mark>";
        open = true;
      } else if (snippet[i] == store::kMatchEnd && open) {
        out += "</mark>";
        open = false;
      }
    }
    start = i + 1;
  }
  if (open) out += "</mark>";
  return out;
}

Result<Template> Template::Parse(std::string_view name, std::string_view text) {
  Template t;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      t.segments_.push_back({text.substr(pos), {}, false});
      t.literal_bytes_ += text.size() - pos;
      break;
    }
    bool raw = text.substr(open, 3) == "{{{";
    size_t body = open + (raw ? 3 : 2);
    std::string_view closer = raw ? "}}}" : "}}";
    size_t close = text.find(closer, body);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("template " + std::string(name) + ": unterminated slot");
    }
    std::string_view slot = text.substr(body, close - body);
    if (slot.empty() || slot.find_first_of(" {}\n") != std::string_view::npos) {
      return Status::InvalidArgument("template " + std::string(name) + ": malformed slot '" +
                                     std::string(slot) + "'");
    }
    t.segments_.push_back({text.substr(pos, open - pos), slot, raw});
    t.literal_bytes_ += open - pos;
    pos = close + closer.size();
  }
  return t;
}

void Template::RenderTo(std::string& out, Vars vars) const {
  size_t estimate = literal_bytes_;
  for (const auto& v : vars) estimate += v.second.text.size();
  out.reserve(out.size() + estimate + estimate / 8);
  for (const Segment& s : segments_) {
    out += s.literal;
    if (s.slot.empty()) continue;
    for (const auto& [key, value] : vars) {
      if (key != s.slot) continue;
      if (s.raw && value.raw) {
        out += value.text;
      } else {
        AppendEscaped(out, value.text);
      }
      break;
    }
  }
}

}  // namespace hearth::web
