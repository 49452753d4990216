// SPDX-License-Identifier: Apache-2.0
#include "llm/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include "llm/stream_parser.h"
#include "llm/wire.h"

namespace hearth::llm {
namespace {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using UniqueEasy = std::unique_ptr<CURL, EasyDeleter>;
using UniqueMulti = std::unique_ptr<CURLM, MultiDeleter>;
using UniqueSlist = std::unique_ptr<curl_slist, SlistDeleter>;

constexpr size_t kMaxErrorBody = 64 * 1024;

std::string TrimSlash(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

std::string ChatUrl(const Endpoint& endpoint) {
  return TrimSlash(endpoint.base_url) +
         (endpoint.wire == Wire::kOllama ? "/api/chat" : "/chat/completions");
}

std::string ModelsUrl(const Endpoint& endpoint) {
  return TrimSlash(endpoint.base_url) + (endpoint.wire == Wire::kOllama ? "/api/tags" : "/models");
}

}  // namespace

Status ValidateEndpoint(const Endpoint& endpoint) {
  std::string_view url = endpoint.base_url;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return Status::InvalidArgument(
        "the server address must start with http:// or https://, as "
        "in http://127.0.0.1:8080/v1");
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') {
    return Status::InvalidArgument("the server address has no host name");
  }
  if (url.size() > 2048) return Status::InvalidArgument("the server address is too long");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Status::InvalidArgument("the server address contains spaces or control characters");
    }
  }
  for (char c : endpoint.api_key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("the API key contains control characters");
    }
  }
  return Status::Ok();
}

void CancelSignal::Cancel() {
  cancelled_.store(true);
  std::lock_guard lock(mu_);
  if (multi_ != nullptr) curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void CancelSignal::Attach(void* multi) {
  std::lock_guard lock(mu_);
  multi_ = multi;
}

void CancelSignal::Detach() {
  std::lock_guard lock(mu_);
  multi_ = nullptr;
}

// One HTTP exchange on a private multi handle, so that the waiting thread can be woken by
// CancelSignal. Bytes of a successful (2xx) response go to `on_body`; an error response's body is
// kept for its message.
class Transfer {
 public:
  using BodySink = std::function<bool(std::string_view)>;  // false stops the transfer

  Transfer(const Endpoint& endpoint, const ClientOptions& options, CancelSignal& cancel)
      : endpoint_(endpoint), options_(options), cancel_(cancel) {}

  // Runs GET (empty body) or POST. Returns ok with the HTTP status, or a Status for the user.
  Result<long> Run(const std::string& url, const std::string* post_body, BodySink on_body) {
    on_body_ = std::move(on_body);
    UniqueEasy easy(curl_easy_init());
    UniqueMulti multi(curl_multi_init());
    if (!easy || !multi) return Status::Internal("could not set up an HTTP request (libcurl)");
    CURL* e = easy.get();
    UniqueSlist headers;
    auto add_header = [&](const std::string& header) {
      headers.reset(curl_slist_append(headers.release(), header.c_str()));
    };
    add_header("Accept: application/json, text/event-stream, application/x-ndjson");
    if (post_body != nullptr) add_header("Content-Type: application/json");
    if (!endpoint_.api_key.empty()) add_header("Authorization: Bearer " + endpoint_.api_key);
    add_header("Expect:");  // no 100-continue round trip for large prompts

    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(e, CURLOPT_USERAGENT, "Hearth/" HEARTH_VERSION);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    // A model server that redirects is misconfigured; following it could send the API key and
    // the conversation elsewhere.
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    // Local models must not go through a proxy set for the web.
    curl_easy_setopt(e, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    // The first-byte and idle timeouts are kept by the loop below, which tells them apart
    // (libcurl's low-speed limit counts from the start and says only "timed out").
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::OnWrite);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
    if (post_body != nullptr) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, post_body->data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
    }
    easy_ = e;

    if (curl_multi_add_handle(multi.get(), e) != CURLM_OK) {
      return Status::Internal("could not start an HTTP request (libcurl)");
    }
    cancel_.Attach(multi.get());
    CURLcode result = CURLE_OK;
    bool finished = false;
    last_activity_ = std::chrono::steady_clock::now();
    while (!finished && !cancel_.cancelled()) {
      int running = 0;
      if (curl_multi_perform(multi.get(), &running) != CURLM_OK) break;
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
        if (message->msg == CURLMSG_DONE) {
          result = message->data.result;
          finished = true;
        }
      }
      if (finished || running == 0) break;
      auto limit = std::chrono::seconds(got_byte_ ? options_.timeouts.idle_s
                                                  : options_.timeouts.first_byte_s);
      auto left = last_activity_ + limit - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        timed_out_ = true;
        break;
      }
      long wait_ms =
          std::clamp<long>(std::chrono::ceil<std::chrono::milliseconds>(left).count(), 1, 1000);
      curl_multi_poll(multi.get(), nullptr, 0, static_cast<int>(wait_ms), nullptr);
    }
    cancel_.Detach();
    curl_multi_remove_handle(multi.get(), e);
    easy_ = nullptr;

    if (cancel_.cancelled()) return Status::Cancelled("stopped");
    if (!sink_status_.ok()) return sink_status_;
    if (timed_out_) return DescribeTimeout();
    if (result != CURLE_OK && !(result == CURLE_WRITE_ERROR && stopped_by_sink_)) {
      return DescribeCurlError(result, url);
    }
    return http_status_;
  }

  const std::string& error_body() const { return error_body_; }

 private:
  // Any byte of the answer, its status line and headers included, shows the server is alive.
  static size_t OnHeader(char* /*data*/, size_t size, size_t count, void* user) {
    auto* self = static_cast<Transfer*>(user);
    self->got_byte_ = true;
    self->last_activity_ = std::chrono::steady_clock::now();
    return size * count;
  }

  static size_t OnWrite(char* data, size_t size, size_t count, void* user) {
    auto* self = static_cast<Transfer*>(user);
    size_t bytes = size * count;
    self->got_byte_ = true;
    self->last_activity_ = std::chrono::steady_clock::now();
    // A C callback: nothing may escape into libcurl.
    try {
      return self->Write(std::string_view(data, bytes)) ? bytes : 0;
    } catch (const std::exception& e) {
      self->sink_status_ =
          Status::Internal(std::string("reading the model's answer failed: ") + e.what());
    } catch (...) {
      self->sink_status_ = Status::Internal("reading the model's answer failed");
    }
    return 0;
  }

  bool Write(std::string_view bytes) {
    if (http_status_ == 0) curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &http_status_);
    if (http_status_ >= 300) {
      size_t room = kMaxErrorBody - std::min(kMaxErrorBody, error_body_.size());
      error_body_.append(bytes.substr(0, room));
      return true;
    }
    received_ += bytes.size();
    if (received_ > options_.max_response_bytes) {
      sink_status_ = Status::TooLarge("the model's answer is over " +
                                      std::to_string(options_.max_response_bytes >> 20) +
                                      " MiB; Hearth stopped reading it");
      return false;
    }
    if (!on_body_(bytes)) {
      stopped_by_sink_ = true;
      return false;
    }
    return true;
  }

  Status DescribeCurlError(CURLcode code, const std::string& url) const {
    std::string where = endpoint_.base_url;
    switch (code) {
      case CURLE_COULDNT_CONNECT:
        return Status::Unavailable("could not connect to " + where +
                                   ": nothing is listening there. Is the model server running? "
                                   "Check the address in Settings.");
      case CURLE_COULDNT_RESOLVE_HOST:
        return Status::Unavailable("could not find the host of " + where +
                                   ": check the address in Settings.");
      case CURLE_OPERATION_TIMEDOUT:
        return Status::Unavailable("could not connect to " + where + " within " +
                                   std::to_string(options_.connect_timeout_ms) +
                                   " ms: is the address right, and the server running?");
      case CURLE_PARTIAL_FILE:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_SEND_ERROR:
        return Status::Unavailable("the connection to " + where +
                                   " was cut before the answer was complete; the answer so far "
                                   "is kept");
      default:
        return Status::Unavailable("request to " + url + " failed: " + curl_easy_strerror(code));
    }
  }

  // Which timeout ended the request, its value, and where to change it.
  Status DescribeTimeout() const {
    std::string where = endpoint_.base_url;
    if (!got_byte_) {
      return Status::Unavailable(
          "no answer from " + where + " within " + Seconds(options_.timeouts.first_byte_s) +
          " (the server's first-byte timeout). A slow model may need longer: raise \"Wait for "
          "the first byte\" for this server in Settings (first_byte_timeout_s in config.json).");
    }
    return Status::Unavailable(
        "the model server at " + where + " sent nothing for " + Seconds(options_.timeouts.idle_s) +
        " (the server's idle timeout); the answer so far is kept. A slow model may need longer: "
        "raise \"Wait between bytes\" for this server in Settings (idle_timeout_s in "
        "config.json).");
  }

  static std::string Seconds(int s) {
    if (s >= 60 && s % 60 == 0) return std::to_string(s / 60) + " min";
    return std::to_string(s) + " s";
  }

  const Endpoint& endpoint_;
  const ClientOptions& options_;
  CancelSignal& cancel_;
  std::chrono::steady_clock::time_point last_activity_;
  bool got_byte_ = false;
  bool timed_out_ = false;
  BodySink on_body_;
  CURL* easy_ = nullptr;
  long http_status_ = 0;
  size_t received_ = 0;
  std::string error_body_;
  Status sink_status_;
  bool stopped_by_sink_ = false;
};

namespace {

Status HttpError(long status, const std::string& body) {
  return Status::Unavailable(DescribeHttpError(status, body));
}

// Replays a whole (non-streamed) reply as the events a stream would have produced.
void ReplayAsEvents(const ChatReply& reply,
                    const std::function<void(const StreamEvent&)>& on_event) {
  if (!reply.content.empty()) {
    on_event(StreamEvent{.kind = StreamEvent::Kind::kContent, .text = reply.content});
  }
  for (size_t i = 0; i < reply.tool_calls.size(); ++i) {
    const ToolCall& call = reply.tool_calls[i];
    StreamEvent event{.kind = StreamEvent::Kind::kToolCallDelta};
    event.tool_index = static_cast<int>(i);
    event.tool_id = call.id;
    event.tool_name = call.name;
    event.tool_arguments = call.arguments;
    on_event(event);
  }
  StreamEvent done{.kind = StreamEvent::Kind::kDone};
  done.finish_reason = reply.finish_reason;
  done.usage = reply.usage;
  on_event(done);
}

// What a server refused in an error answer.
struct Refusal {
  bool streaming_with_tools = false;
  std::string tools_advice;  // non-empty: it refused tools (ToolsRefusalAdvice)
  std::string words;         // the server's own message
};

Status RefusedWith(long status, const std::string& body, Refusal& refusal) {
  refusal.streaming_with_tools = IsToolsWithStreamRefusal(status, body);
  refusal.tools_advice = ToolsRefusalAdvice(status, body);
  JsonReader reader;
  Json::Value root;
  if (reader.Parse(body, &root)) refusal.words = TextForUser(ServerErrorMessage(root));
  if (refusal.words.empty()) refusal.words = TextForUser(body);
  return HttpError(status, body);
}

Result<ChatReply> ChatOnce(const Endpoint& endpoint, const ChatRequest& request,
                           const ClientOptions& options, CancelSignal& cancel,
                           const std::function<void(const StreamEvent&)>& on_event,
                           Refusal& refusal) {
  std::string body = EncodeChatRequest(endpoint.wire, request);
  Transfer transfer(endpoint, options, cancel);
  if (!request.stream) {
    std::string whole;
    Result<long> status = transfer.Run(ChatUrl(endpoint), &body, [&](std::string_view bytes) {
      whole.append(bytes);
      return true;
    });
    if (!status.ok()) return status.status();
    if (*status >= 300) return RefusedWith(*status, transfer.error_body(), refusal);
    Result<ChatReply> reply = ParseChatResponse(endpoint.wire, whole);
    if (!reply.ok()) return reply;
    // Through a builder, so a whole answer meets the same bound on a call's arguments as a
    // streamed one.
    ReplyBuilder builder;
    ReplayAsEvents(*reply, [&](const StreamEvent& event) {
      builder.Add(event);
      on_event(event);
    });
    return std::move(builder).TakeReply();
  }

  std::unique_ptr<StreamParser> parser = MakeStreamParser(endpoint.wire);
  ReplyBuilder builder;
  std::vector<StreamEvent> events;
  bool done = false;
  std::string stream_error;
  auto deliver = [&]() {
    for (const StreamEvent& event : events) {
      if (event.kind == StreamEvent::Kind::kError) {
        stream_error = event.text;
        continue;
      }
      if (event.kind == StreamEvent::Kind::kDone) done = true;
      builder.Add(event);
      on_event(event);
    }
    events.clear();
  };
  Result<long> status = transfer.Run(ChatUrl(endpoint), &body, [&](std::string_view bytes) {
    parser->Feed(bytes, events);
    deliver();
    return stream_error.empty() && !done;
  });
  if (!status.ok()) return status.status();
  if (*status >= 300) return RefusedWith(*status, transfer.error_body(), refusal);
  if (!done && stream_error.empty()) {
    parser->Finish(events);
    deliver();
  }
  if (!stream_error.empty()) return Status::Unavailable(stream_error);
  if (!done) return Status::Unavailable("the model's answer ended without being finished");
  return builder.reply();
}

}  // namespace

Result<ChatReply> StreamChat(const Endpoint& endpoint, const ChatRequest& request,
                             const ClientOptions& options, CancelSignal& cancel,
                             const std::function<void(const StreamEvent&)>& on_event,
                             ChatFallbacks* fallbacks) {
  if (Status valid = ValidateEndpoint(endpoint); !valid.ok()) return valid;
  ChatFallbacks unused;
  ChatFallbacks& used = fallbacks != nullptr ? *fallbacks : unused;
  used = {};
  ChatRequest current = request;
  // At most one retry per refusal: without streaming, then without tools (a server may refuse
  // both, in either order).
  for (int attempt = 0;; ++attempt) {
    Refusal refusal;
    Result<ChatReply> reply = ChatOnce(endpoint, current, options, cancel, on_event, refusal);
    if (reply.ok() || cancel.cancelled() || attempt == 2) return reply;
    if (!refusal.tools_advice.empty() && !current.tools.empty()) {
      used.without_tools = true;
      used.tools_refusal = refusal.words;
      used.tools_advice = refusal.tools_advice;
      current.tools.clear();
      current.stream = request.stream;  // streaming without tools is another matter
    } else if (refusal.streaming_with_tools && current.stream && !current.tools.empty()) {
      used.without_streaming = true;
      current.stream = false;
    } else {
      return reply;
    }
  }
}

Result<HttpAnswer> FetchFromRoot(const Endpoint& endpoint, std::string_view path,
                                 const std::string* post_body, const ClientOptions& options,
                                 CancelSignal& cancel) {
  if (Status valid = ValidateEndpoint(endpoint); !valid.ok()) return valid;
  std::string root = TrimSlash(endpoint.base_url);
  if (root.ends_with("/v1")) root.resize(root.size() - 3);
  Transfer transfer(endpoint, options, cancel);
  HttpAnswer answer;
  Result<long> status =
      transfer.Run(root + std::string(path), post_body, [&](std::string_view bytes) {
        answer.body.append(bytes);
        return true;
      });
  if (!status.ok()) return status.status();
  answer.status = *status;
  if (answer.status >= 300) answer.body = transfer.error_body();
  return answer;
}

Result<std::string> FetchBody(const Endpoint& endpoint, const std::string& url,
                              const std::string* post_body, const ClientOptions& options,
                              CancelSignal& cancel) {
  if (Status valid = ValidateEndpoint(endpoint); !valid.ok()) return valid;
  Transfer transfer(endpoint, options, cancel);
  std::string whole;
  Result<long> status = transfer.Run(url, post_body, [&](std::string_view bytes) {
    whole.append(bytes);
    return true;
  });
  if (!status.ok()) return status.status();
  if (*status == 404) return Status::NotFound(DescribeHttpError(*status, transfer.error_body()));
  if (*status >= 300) return HttpError(*status, transfer.error_body());
  return whole;
}

Result<std::vector<std::string>> ListModels(const Endpoint& endpoint, const ClientOptions& options,
                                            CancelSignal& cancel) {
  if (Status valid = ValidateEndpoint(endpoint); !valid.ok()) return valid;
  Transfer transfer(endpoint, options, cancel);
  std::string whole;
  Result<long> status = transfer.Run(ModelsUrl(endpoint), nullptr, [&](std::string_view bytes) {
    whole.append(bytes);
    return true;
  });
  if (!status.ok()) return status.status();
  if (*status >= 300) return HttpError(*status, transfer.error_body());
  return ParseModelList(endpoint.wire, whole);
}

}  // namespace hearth::llm
