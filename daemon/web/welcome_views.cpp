// SPDX-License-Identifier: Apache-2.0
// The welcome view of a first run: a model server is needed, and the ones found on this computer.
#include <string>

#include "web/html.h"
#include "web/views.h"

namespace hearth::web {

Html Views::FirstRunNotice() const {
  return Html{
      "<section id=\"first-run\" class=\"first-run\" aria-labelledby=\"first-run-title\">"
      "<h2 id=\"first-run-title\">Hearth needs a model server</h2>"
      "<p>Nothing can answer yet: Hearth's agent talks to a model served by a program such as "
      "Ollama, llama-server, LM Studio or vLLM. Start one, then add it in "
      "<a href=\"/settings\">Settings</a>.</p>"
      "<div id=\"found-servers\" hx-get=\"/welcome/servers\" hx-trigger=\"load\" "
      "aria-live=\"polite\"><p>Looking for model servers on this computer\u2026</p></div>"
      "</section>"};
}

Html Views::FoundServers(const std::vector<agent::FoundServer>& found) const {
  if (found.empty()) {
    return Html{
        "<p class=\"found-none\">None answers on the usual ports (Ollama 11434, llama-server "
        "8080, LM Studio 1234, vLLM 8000). Start one and reload this page, or give its address in "
        "<a href=\"/settings\">Settings</a>.</p>"};
  }
  std::string out =
      "<p>Found on this computer (choose one to use it; Settings can change it later):</p>"
      "<ul class=\"found-servers\">";
  for (const agent::FoundServer& f : found) {
    const std::string usual = std::to_string(f.server.usual_port);
    const std::string url = f.server.Endpoint().base_url;
    out +=
        "<li><form class=\"found-server\" hx-post=\"/welcome/servers/use\" "
        "hx-target=\"#first-run\" hx-swap=\"outerHTML\">"
        "<input type=\"hidden\" name=\"port\" value=\"" +
        usual + "\"><p><strong>" + Escape(f.server.label) + "</strong> at <code>" + Escape(url) +
        "</code>";
    if (f.models.empty()) {
      out += ", with no model yet: load or pull one, then choose it in Settings.</p>";
    } else if (f.models.size() == 1) {
      out += ", serving <code>" + Escape(f.models.front()) +
             "</code></p><input type=\"hidden\" name=\"model\" value=\"" +
             Escape(f.models.front()) + "\">";
    } else {
      out += "</p><label for=\"found-model-" + usual + "\">Model</label><select id=\"found-model-" +
             usual + "\" name=\"model\">";
      for (const std::string& model : f.models) {
        out += "<option value=\"" + Escape(model) + "\">" + Escape(model) + "</option>";
      }
      out += "</select>";
    }
    out += "<button type=\"submit\" class=\"primary\">Use " + Escape(f.server.label) +
           "</button></form></li>";
  }
  out += "</ul>";
  return Html{out};
}

Html Views::ServerChosen(const agent::UsualServer& server, std::string_view model) const {
  std::string out =
      "<section id=\"first-run\" class=\"first-run\" aria-labelledby=\"first-run-title\">"
      "<h2 id=\"first-run-title\">Ready</h2><p role=\"status\">Hearth answers with ";
  out += model.empty() ? std::string("the model you choose in <a href=\"/settings\">Settings</a>")
                       : "<code>" + Escape(model) + "</code>";
  out += " on " + Escape(server.label) + " (<code>" + Escape(server.Endpoint().base_url) +
         "</code>), saved as the default server. Start a new conversation.</p></section>";
  return Html{out};
}

}  // namespace hearth::web
