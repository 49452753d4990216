// SPDX-License-Identifier: Apache-2.0
#include "llm/context_size.h"

#include <cctype>

#include "llm/wire.h"

namespace hearth::llm {
namespace {

// Context sizes beyond this are not real (a parse of garbage); they are taken as unknown.
constexpr int64_t kMaxPlausibleContext = int64_t{1} << 30;

int64_t Plausible(int64_t tokens) {
  return tokens > 0 && tokens <= kMaxPlausibleContext ? tokens : 0;
}

// The value of `name` in Ollama's `parameters` text: lines of "name   value", values possibly
// quoted ("stop" repeats; num_ctx does not).
int64_t ParameterValue(std::string_view text, std::string_view name) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.starts_with(name) || line.size() == name.size() ||
        !std::isspace(static_cast<unsigned char>(line[name.size()]))) {
      continue;
    }
    std::string_view value = line.substr(name.size());
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
      value.remove_prefix(1);
    }
    int64_t number = 0;
    size_t digits = 0;
    for (char c : value) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || digits == 12) break;
      number = number * 10 + (c - '0');
      ++digits;
    }
    return digits == 0 ? 0 : Plausible(number);
  }
  return 0;
}

}  // namespace

int64_t ParsePropsContextSize(std::string_view body) {
  JsonReader reader;
  Json::Value root;
  if (!reader.Parse(body, &root) || !root.isObject()) return 0;
  const Json::Value* settings = JsonField(root, "default_generation_settings");
  if (settings != nullptr) {
    if (int64_t n = Plausible(JsonCount(JsonField(*settings, "n_ctx"))); n > 0) return n;
  }
  return Plausible(JsonCount(JsonField(root, "n_ctx")));
}

ContextSize ParseShowContextSize(std::string_view body) {
  ContextSize size;
  JsonReader reader;
  Json::Value root;
  if (!reader.Parse(body, &root) || !root.isObject()) return size;
  size.tokens = ParameterValue(JsonString(JsonField(root, "parameters")), "num_ctx");
  if (const Json::Value* info = JsonField(root, "model_info"); info != nullptr) {
    std::string arch = JsonString(JsonField(*info, "general.architecture"));
    if (!arch.empty()) {
      size.model_max = Plausible(JsonCount(JsonField(*info, arch + ".context_length")));
    }
  }
  return size;
}

Result<ContextSize> ReadContextSize(const Endpoint& endpoint, const std::string& model,
                                    const ClientOptions& options, CancelSignal& cancel) {
  if (endpoint.wire == Wire::kOpenAi) {
    Result<HttpAnswer> props = FetchFromRoot(endpoint, "/props", nullptr, options, cancel);
    if (!props.ok()) return props.status();
    if (props->status == 200) return ContextSize{.tokens = ParsePropsContextSize(props->body)};
  }
  std::string body = "{\"model\":";
  AppendJsonString(body, model);
  body += '}';
  Result<HttpAnswer> show = FetchFromRoot(endpoint, "/api/show", &body, options, cancel);
  if (!show.ok()) return show.status();
  if (show->status != 200) return ContextSize{};
  return ParseShowContextSize(show->body);
}

}  // namespace hearth::llm
