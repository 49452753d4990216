// SPDX-License-Identifier: Apache-2.0
#include "web/message_actions.h"

#include <string_view>

namespace hearth::web {
namespace {

void AppendVersionButton(std::string& out, int64_t conversation_id, int64_t target,
                         std::string_view label, std::string_view symbol) {
  out += "<button type=\"button\" class=\"quiet version-step\" aria-label=\"";
  out += label;
  out += "\"";
  if (target == 0) {
    out += " disabled>";
  } else {
    out += " hx-post=\"/c/" + std::to_string(conversation_id) + "/messages/" +
           std::to_string(target) + "/show\" hx-target=\"#main\">";
  }
  out += symbol;
  out += "</button>";
}

}  // namespace

Html MessageActions(const store::Message& m) {
  if (m.role == "tool") return {};
  // A notice (system) can start a version, but is not the conversation itself: nothing to copy.
  const bool own_words = m.role == "user" || m.role == "assistant";
  if (!own_words && m.version_count <= 1) return {};
  std::string out = "<div class=\"message-actions\">";
  if (m.version_count > 1) {
    std::string position = std::to_string(m.version) + "/" + std::to_string(m.version_count);
    out += "<span class=\"versions\" role=\"group\" aria-label=\"Version " + position + "\">";
    AppendVersionButton(out, m.conversation_id, m.previous_version_id, "Previous version",
                        "\u2039");
    out += " <span class=\"version-position\">" + position + "</span> ";
    AppendVersionButton(out, m.conversation_id, m.next_version_id, "Next version", "\u203a");
    out += "</span> ";
  }
  if (own_words && m.state != store::MessageState::kStreaming && !m.content.empty()) {
    // The source goes in the attribute, escaped: app.js copies it as it is.
    out += "<button type=\"button\" class=\"quiet copy\" data-copy=\"";
    AppendEscaped(out, m.content);
    out += "\">Copy</button>";
  }
  if (m.role == "user") {
    out += " <button type=\"button\" class=\"quiet edit\" hx-get=\"/c/" +
           std::to_string(m.conversation_id) + "/messages/" + std::to_string(m.id) +
           "/edit\" hx-target=\"#msg-" + std::to_string(m.id) +
           "\" hx-swap=\"outerHTML\">Edit</button>";
  }
  out += "</div>";
  return Html{out};
}

std::string WithCodeCopyButtons(std::string rendered) {
  constexpr std::string_view kOpen = "<pre><code";
  constexpr std::string_view kButton =
      "<button type=\"button\" class=\"quiet copy-code\" data-copy=\"\" "
      "aria-label=\"Copy code\">Copy code</button>";
  for (size_t at = rendered.find(kOpen); at != std::string::npos;
       at = rendered.find(kOpen, at + kButton.size() + kOpen.size())) {
    rendered.insert(at, kButton);
  }
  return rendered;
}

}  // namespace hearth::web
