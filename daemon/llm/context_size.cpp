// SPDX-License-Identifier: Apache-2.0
#include "llm/context_size.h"

#include <json/value.h>

#include "llm/wire.h"

namespace hearth::llm {
namespace {

// A context size as servers write it: a positive whole number of a sane size.
int64_t Tokens(const Json::Value* value) {
  int64_t n = JsonCount(value);
  return n > 0 && n <= (int64_t{1} << 32) ? n : 0;
}

}  // namespace

std::string ServerRootUrl(std::string_view base_url, std::string_view path) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  if (base_url.ends_with("/v1")) base_url.remove_suffix(3);
  return std::string(base_url) + std::string(path);
}

int64_t ContextSizeFromLlamaProps(std::string_view body) {
  JsonReader reader;
  Json::Value root;
  if (!reader.Parse(body, &root) || !root.isObject()) return 0;
  if (const Json::Value* settings = JsonField(root, "default_generation_settings")) {
    if (int64_t n = Tokens(JsonField(*settings, "n_ctx")); n > 0) return n;
  }
  return Tokens(JsonField(root, "n_ctx"));
}

int64_t ContextSizeFromModelList(std::string_view body, std::string_view model) {
  JsonReader reader;
  Json::Value root;
  if (!reader.Parse(body, &root)) return 0;
  const Json::Value* data = JsonField(root, "data");
  if (data == nullptr || !data->isArray()) return 0;
  for (const Json::Value& entry : *data) {
    if (JsonString(JsonField(entry, "id")) == model) {
      return Tokens(JsonField(entry, "max_model_len"));
    }
  }
  return 0;
}

ContextSize ContextSizesFromOllamaShow(std::string_view body) {
  ContextSize out;
  JsonReader reader;
  Json::Value root;
  if (!reader.Parse(body, &root) || !root.isObject()) return out;
  // "parameters" is the Modelfile's PARAMETER lines as text: "num_ctx 8192\nstop ...".
  std::string parameters = JsonString(JsonField(root, "parameters"));
  size_t at = 0;
  while (out.tokens == 0 && (at = parameters.find("num_ctx", at)) != std::string::npos) {
    bool line_start = at == 0 || parameters[at - 1] == '\n';
    at += 7;
    if (!line_start) continue;
    size_t digits = parameters.find_first_not_of(" \t", at);
    int64_t n = 0;
    while (digits < parameters.size() && parameters[digits] >= '0' && parameters[digits] <= '9' &&
           n < (int64_t{1} << 32)) {
      n = n * 10 + (parameters[digits++] - '0');
    }
    if (n > 0 && n <= (int64_t{1} << 32)) out.tokens = n;
  }
  const Json::Value* info = JsonField(root, "model_info");
  if (info == nullptr || !info->isObject()) return out;
  std::string architecture = JsonString(JsonField(*info, "general.architecture"));
  if (!architecture.empty()) {
    out.model_max = Tokens(JsonField(*info, architecture + ".context_length"));
    return out;
  }
  for (auto it = info->begin(); out.model_max == 0 && it != info->end(); ++it) {
    if (std::string_view(it.name()).ends_with(".context_length")) out.model_max = Tokens(&*it);
  }
  return out;
}

int64_t ContextSizeFromOllamaShow(std::string_view body) {
  ContextSize sizes = ContextSizesFromOllamaShow(body);
  return sizes.tokens > 0 ? sizes.tokens : sizes.model_max;
}

namespace {

// Ollama's POST /api/show for `model`: zeros when it does not answer; fails only on Stop.
Result<ContextSize> AskOllama(const Endpoint& endpoint, const std::string& model,
                              const ClientOptions& options, CancelSignal& cancel) {
  std::string body = "{\"model\":";
  AppendJsonString(body, model);
  body += '}';
  Result<std::string> show =
      FetchBody(endpoint, ServerRootUrl(endpoint.base_url, "/api/show"), &body, options, cancel);
  if (show.ok()) return ContextSizesFromOllamaShow(*show);
  if (show.status().code() == Status::Code::kCancelled) return show.status();
  return ContextSize{};
}

}  // namespace

Result<int64_t> FetchContextSize(const Endpoint& endpoint, const std::string& model,
                                 const ClientOptions& options, CancelSignal& cancel) {
  if (endpoint.wire == Wire::kOllama) {
    Result<ContextSize> sizes = AskOllama(endpoint, model, options, cancel);
    if (!sizes.ok()) return sizes.status();
    return sizes->tokens > 0 ? sizes->tokens : sizes->model_max;
  }
  Result<std::string> props =
      FetchBody(endpoint, ServerRootUrl(endpoint.base_url, "/props"), nullptr, options, cancel);
  if (props.ok()) {
    if (int64_t n = ContextSizeFromLlamaProps(*props); n > 0) return n;
  } else if (props.status().code() == Status::Code::kCancelled) {
    return props.status();
  }
  std::string base = endpoint.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  Result<std::string> models = FetchBody(endpoint, base + "/models", nullptr, options, cancel);
  if (models.ok()) return ContextSizeFromModelList(*models, model);
  if (models.status().code() == Status::Code::kCancelled) return models.status();
  return int64_t{0};
}

Result<ContextSize> ReadContextSize(const Endpoint& endpoint, const std::string& model,
                                    const ClientOptions& options, CancelSignal& cancel) {
  if (endpoint.wire == Wire::kOllama) return AskOllama(endpoint, model, options, cancel);
  Result<int64_t> tokens = FetchContextSize(endpoint, model, options, cancel);
  if (!tokens.ok()) return tokens.status();
  return ContextSize{*tokens, 0};
}

}  // namespace hearth::llm
