// SPDX-License-Identifier: Apache-2.0
#include "web/answer_facts.h"

#include <json/value.h>

#include <cmath>
#include <string>

#include "agent/context_fit.h"
#include "base/json.h"

namespace hearth::web {
namespace {

Json::Value ReadMeta(std::string_view meta) {
  Json::Value value;
  if (meta.empty() || !ParseJson(meta, &value, 32) || !value.isObject()) return {};
  return value;
}

std::string OneDecimal(double value) {
  long tenths = std::lround(value * 10);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

}  // namespace

Html AnswerContextNote(std::string_view meta) {
  if (meta.find("\"left_out\"") == std::string_view::npos) return {};
  Json::Value value = ReadMeta(meta);
  std::string note = value.get("left_out", "").asString();
  if (note.empty()) return {};
  return Html{"<p class=\"answer-note left-out\" role=\"note\">" + Escape(note) + "</p>"};
}

Html AnswerCutOffNote(std::string_view meta) {
  if (meta.find("\"cut_off\"") == std::string_view::npos) return {};
  Json::Value value = ReadMeta(meta);
  std::string reason = value.get("cut_off", "").asString();
  int64_t context = value.get("context_tokens", 0).asInt64();
  std::string text;
  if (reason == "length") {
    text = "Cut off: the model reached its length limit (" +
           (context > 0 ? "its " + agent::GroupThousands(context) + "-token context is full"
                        : std::string("its context is full")) +
           ", or the server's limit on the length of an answer). Ask it to go on, or start a new "
           "conversation for a fresh context.";
  } else if (reason == "content_filter") {
    text = "Cut off by the model server's content filter: the rest of the answer was withheld.";
  } else {
    return {};
  }
  return Html{"<p class=\"answer-note cut-off\" role=\"note\">" + Escape(text) + "</p>"};
}

Html AnswerUsage(std::string_view meta) {
  if (meta.find("\"completion_tokens\"") == std::string_view::npos) return {};
  Json::Value value = ReadMeta(meta);
  if (!value.isMember("completion_tokens")) return {};
  std::string text = agent::GroupThousands(value.get("prompt_tokens", 0).asInt64()) +
                     " tokens in, " +
                     agent::GroupThousands(value.get("completion_tokens", 0).asInt64()) + " out";
  if (value["tokens_per_s"].isNumeric()) {
    text += ", " + OneDecimal(value["tokens_per_s"].asDouble()) + " tokens/s";
  }
  std::string title = value.get("speed_from", "").asString() == "server"
                          ? "as the model server counted and timed them"
                          : "as the model server counted them; timed by Hearth";
  return Html{" <span class=\"usage\" title=\"" + Escape(title) + "\">" + Escape(text) + "</span>"};
}

}  // namespace hearth::web
