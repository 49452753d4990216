// SPDX-License-Identifier: Apache-2.0
// web: Hearth's pages and fragments: routing, rendering, assets, live updates.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace hearth::web {

// Escapes text for HTML element content and quoted attribute values (& < > " ').
void AppendEscaped(std::string& out, std::string_view text);
std::string Escape(std::string_view text);

// Escapes a search snippet and turns the store's match markers into <mark> elements.
std::string HighlightSnippet(std::string_view snippet);

// A value for a template slot. Text is escaped when rendered; Html is inserted as it is and must
// come from another template or from Escape().
struct Html {
  std::string html;
};

// A parsed template from ui/templates. Slots are {{name}} (the value is escaped) and
// {{{name}}} (the value must be an Html, inserted verbatim). Parsing happens once at start-up;
// rendering is a single pass with no allocation beyond the output. Immutable, so thread-safe.
class Template {
 public:
  struct Value {
    Value(std::string_view text) : text(text) {}    // NOLINT: implicit for brevity at call sites
    Value(const std::string& text) : text(text) {}  // NOLINT
    Value(const char* text) : text(text) {}         // NOLINT
    Value(const Html& html) : text(html.html), raw(true) {}  // NOLINT
    std::string_view text;
    bool raw = false;
  };
  using Vars = std::initializer_list<std::pair<std::string_view, Value>>;

  // Fails on an unterminated slot, or on a {{{raw}}} slot whose value would be plain text.
  static Result<Template> Parse(std::string_view name, std::string_view text);

  // Appends the rendered template to `out`. A slot without a value renders empty; a text value
  // in a {{{raw}}} slot is escaped anyway rather than trusted.
  void RenderTo(std::string& out, Vars vars) const;
  std::string Render(Vars vars) const {
    std::string out;
    RenderTo(out, vars);
    return out;
  }

 private:
  struct Segment {
    std::string_view literal;  // points into the embedded template text
    std::string_view slot;     // empty for a pure literal
    bool raw = false;
  };
  std::vector<Segment> segments_;
  size_t literal_bytes_ = 0;
};

}  // namespace hearth::web
