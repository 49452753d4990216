// SPDX-License-Identifier: Apache-2.0
// Fuzz target: model answers rendered as HTML (daemon/markdown), the input a prompt injection
// controls. The output must hold no markup the renderer did not write, no link but http(s) and
// mailto, and only valid UTF-8; StableBlockPrefix must stay inside the text, on a line start.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/form.h"
#include "markdown/markdown.h"

namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool ContainsNoCase(std::string_view text, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= text.size(); ++i) {
    if (StartsWithNoCase(text.substr(i), needle)) return true;
  }
  return false;
}

void CheckHtml(std::string_view html) {
  if (!hearth::http::IsValidUtf8(html)) __builtin_trap();
  if (ContainsNoCase(html, "<script")) __builtin_trap();
  // Text escapes '<' and '>', so every '<' opens a tag the renderer wrote; look inside each.
  for (size_t lt = html.find('<'); lt != std::string_view::npos; lt = html.find('<', lt + 1)) {
    size_t gt = html.find('>', lt);
    if (gt == std::string_view::npos) __builtin_trap();
    std::string_view tag = html.substr(lt, gt - lt + 1);
    if (ContainsNoCase(tag, "javascript:")) __builtin_trap();
    for (size_t at = tag.find("href=\""); at != std::string_view::npos;
         at = tag.find("href=\"", at + 1)) {
      std::string_view url = tag.substr(at + 6);
      if (!url.starts_with("http:") && !url.starts_with("https:") && !url.starts_with("mailto:")) {
        __builtin_trap();
      }
    }
  }
}

void Check(std::string_view input) {
  CheckHtml(hearth::markdown::RenderMarkdown(input));
  size_t stable = hearth::markdown::StableBlockPrefix(input);
  if (stable > input.size()) __builtin_trap();
  if (stable > 0) {
    char before = input[stable - 1];
    bool line_start =
        before == '\n' || (before == '\r' && stable < input.size() && input[stable] != '\n');
    if (!line_start) __builtin_trap();
    // Streaming renders the two parts apart; each must be as safe as the whole.
    CheckHtml(hearth::markdown::RenderMarkdown(input.substr(0, stable)));
    CheckHtml(hearth::markdown::RenderMarkdown(input.substr(stable)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Check(input);
  // The shared driver's seeds are not Markdown, so also put the input where hostile Markdown
  // does its work: link and image destinations and titles, autolinks, fence info strings.
  std::string s(input);
  for (const std::string& wrapped : {
           "[a](" + s + ")",
           "[a](javascript:" + s + ")",
           "[a](http://x/javascript:" + s + " \"" + s + "\")",
           "![" + s + "](" + s + ")",
           "<" + s + ">",
           "www." + s + " " + s + "@x.org",
           "```" + s + "\n" + s + "\n```\n\n" + s,
           "[r]: " + s + "\n\n[r] [a" + s,
       }) {
    Check(wrapped);
  }
  return 0;
}
