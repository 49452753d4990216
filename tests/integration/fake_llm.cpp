// SPDX-License-Identifier: Apache-2.0
#include "fake_llm.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace hearth::testing {
namespace {

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::string ToJson(const Json::Value& value) {
  Json::StreamWriterBuilder writer;
  writer["indentation"] = "";
  return Json::writeString(writer, value);
}

Json::Value ParseJson(const std::string& text) {
  Json::CharReaderBuilder builder;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value value;
  std::string errors;
  if (!reader->parse(text.data(), text.data() + text.size(), &value, &errors)) return {};
  return value;
}

// One "data:" event of a chat completion stream with `delta` and `finish_reason`.
std::string Chunk(const std::string& model, const Json::Value& delta, const char* finish_reason) {
  Json::Value choice;
  choice["index"] = 0;
  choice["delta"] = delta;
  choice["finish_reason"] = finish_reason == nullptr ? Json::Value() : Json::Value(finish_reason);
  Json::Value chunk;
  chunk["id"] = "chatcmpl-" + model;
  chunk["object"] = "chat.completion.chunk";
  chunk["created"] = 1735733000;
  chunk["model"] = model;
  chunk["choices"].append(choice);
  return "data: " + ToJson(chunk) + "\n\n";
}

// `program` as found in $PATH, or empty.
std::string FindInPath(const std::string& program) {
  const char* path = getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

std::string RoleChunk(const std::string& model) {
  Json::Value delta;
  delta["role"] = "assistant";
  delta["content"] = Json::Value();
  return Chunk(model, delta, nullptr);
}

}  // namespace

FakeLlm::FakeLlm(Options options) {
  char tmpl[] = "/tmp/hearth-fake-llm-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  std::string transcripts = std::string(HEARTH_FAKE_LLM_DIR) + "/transcripts";
  if (!options.transcripts.empty()) {
    transcripts = dir_ + "/transcripts";
    std::filesystem::create_directory(transcripts);
    for (const auto& [name, text] : options.transcripts) {
      std::ofstream(transcripts + "/" + name, std::ios::binary) << text;
    }
  }
  std::string script = std::string(HEARTH_FAKE_LLM_DIR) + "/server.mjs";
  std::string stderr_path = dir_ + "/stderr";
  std::string node = FindInPath("node");
  if (node.empty()) {
    std::ofstream(stderr_path) << "node is not in PATH\n";
    return;
  }

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  stdout_ = UniqueFd(out[0]);
  UniqueFd write_end(out[1]);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (err >= 0) dup2(err, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    dup2(write_end.get(), STDOUT_FILENO);
    execl(node.c_str(), "node", script.c_str(), "--transcripts", transcripts.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  write_end.Reset();

  // The server prints {"port":N} and a newline once it listens.
  std::string line;
  auto deadline = Clock::now() + kDeadline;
  while (line.find('\n') == std::string::npos) {
    pollfd pfd = {stdout_.get(), POLLIN, 0};
    int n = poll(&pfd, 1, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    char buf[256];
    ssize_t got = read(stdout_.get(), buf, sizeof buf);
    if (got <= 0) return;  // exited (node missing, bad script)
    line.append(buf, static_cast<size_t>(got));
  }
  Json::Value printed = ParseJson(line.substr(0, line.find('\n')));
  if (printed.isObject() && printed["port"].isUInt()) {
    port_ = static_cast<uint16_t>(printed["port"].asUInt());
  }
}

FakeLlm::~FakeLlm() {
  if (pid_ > 0) {
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid_, 0)));
    kill(pid_, SIGTERM);
    pollfd pfd = {pidfd.get(), POLLIN, 0};
    int timeout_ms =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(kDeadline).count());
    if (!pidfd.valid() || poll(&pfd, 1, timeout_ms) <= 0) {
      kill(pid_, SIGKILL);
    }
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string FakeLlm::Stderr() const {
  std::ifstream in(dir_ + "/stderr", std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

namespace {

// The request agent/titles.cpp sends after a first exchange, by its instructions.
bool IsTitleRequest(const Json::Value& request) {
  const Json::Value& messages = request["body"]["messages"];
  return messages.isArray() && !messages.empty() &&
         messages[0]["content"].asString().starts_with("You name conversations");
}

}  // namespace

Json::Value FakeLlm::AllRequests() const {
  if (!ok()) return {};
  HttpResponse r =
      SendRaw(port_, "GET /__requests HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                         "\r\nConnection: close\r\n\r\n");
  if (r.status != 200) return {};
  return ParseJson(r.body);
}

Json::Value FakeLlm::Requests() const {
  Json::Value all = AllRequests();
  if (!all.isArray()) return all;
  Json::Value requests(Json::arrayValue);
  for (const Json::Value& request : all) {
    if (!IsTitleRequest(request)) requests.append(request);
  }
  return requests;
}

std::vector<Json::Value> FakeLlm::TitleRequests() const {
  std::vector<Json::Value> titles;
  for (const Json::Value& request : AllRequests()) {
    if (IsTitleRequest(request)) titles.push_back(request);
  }
  return titles;
}

std::vector<Json::Value> FakeLlm::ChatRequests() const {
  std::vector<Json::Value> chats;
  for (const Json::Value& request : Requests()) {
    std::string path = request["path"].asString();
    if (path == "/v1/chat/completions" || path == "/api/chat") chats.push_back(request);
  }
  return chats;
}

Json::Value FakeLlm::WaitForRequests(const std::function<bool(const Json::Value&)>& done,
                                     std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  Json::Value requests = Requests();
  while (!done(requests) && Clock::now() < deadline) requests = Requests();
  return requests;
}

std::string SseToolCalls(const std::string& model, const std::vector<FakeToolCall>& calls) {
  std::string out = RoleChunk(model);
  for (size_t i = 0; i < calls.size(); ++i) {
    Json::Value call;
    call["index"] = static_cast<Json::UInt>(i);
    call["id"] = calls[i].id;
    call["type"] = "function";
    call["function"]["name"] = calls[i].name;
    call["function"]["arguments"] = ToJson(calls[i].arguments);
    Json::Value delta;
    delta["tool_calls"].append(call);
    out += Chunk(model, delta, nullptr);
  }
  out += Chunk(model, Json::Value(Json::objectValue), "tool_calls");
  out += "data: [DONE]\n\n";
  return out;
}

std::string SseStreamedToolCalls(const std::string& model, const std::vector<FakeToolCall>& calls,
                                 size_t piece_bytes) {
  std::string out = RoleChunk(model);
  for (size_t i = 0; i < calls.size(); ++i) {
    Json::Value call;
    call["index"] = static_cast<Json::UInt>(i);
    call["id"] = calls[i].id;
    call["type"] = "function";
    call["function"]["name"] = calls[i].name;
    call["function"]["arguments"] = "";
    Json::Value delta;
    delta["tool_calls"].append(call);
    out += Chunk(model, delta, nullptr);
    std::string arguments = ToJson(calls[i].arguments);
    for (size_t at = 0; at < arguments.size(); at += piece_bytes) {
      Json::Value piece;
      piece["index"] = static_cast<Json::UInt>(i);
      piece["function"]["arguments"] = arguments.substr(at, piece_bytes);
      Json::Value more;
      more["tool_calls"].append(piece);
      out += Chunk(model, more, nullptr);
    }
  }
  out += Chunk(model, Json::Value(Json::objectValue), "tool_calls");
  out += "data: [DONE]\n\n";
  return out;
}

namespace {

std::string NdjsonLine(const std::string& model, const Json::Value& message, bool done) {
  Json::Value line;
  line["model"] = model;
  line["created_at"] = "2025-01-01T12:00:00.000000Z";
  line["message"] = message;
  line["done"] = done;
  if (done) line["done_reason"] = "stop";
  return ToJson(line) + "\n";
}

}  // namespace

std::string NdjsonToolCalls(const std::string& model, const std::vector<FakeToolCall>& calls) {
  std::string out;
  for (const FakeToolCall& fake : calls) {
    Json::Value call;
    call["function"]["name"] = fake.name;
    call["function"]["arguments"] = fake.arguments;
    Json::Value message;
    message["role"] = "assistant";
    message["content"] = "";
    message["tool_calls"].append(call);
    out += NdjsonLine(model, message, false);
  }
  Json::Value last;
  last["role"] = "assistant";
  last["content"] = "";
  return out + NdjsonLine(model, last, true);
}

std::string NdjsonAnswer(const std::string& model, const std::string& text) {
  Json::Value message;
  message["role"] = "assistant";
  message["content"] = text;
  std::string out = NdjsonLine(model, message, false);
  message["content"] = "";
  return out + NdjsonLine(model, message, true);
}

std::string SseAnswer(const std::string& model, const std::string& text) {
  std::string out = RoleChunk(model);
  Json::Value delta;
  delta["content"] = text;
  out += Chunk(model, delta, nullptr);
  out += Chunk(model, Json::Value(Json::objectValue), "stop");
  out += "data: [DONE]\n\n";
  return out;
}

const Json::Value& RequestMessages(const Json::Value& request) {
  static const Json::Value kNone(Json::arrayValue);
  const Json::Value& body = request["body"];
  if (!body.isObject() || !body["messages"].isArray()) return kNone;
  return body["messages"];
}

std::map<std::string, std::string> ToolResults(const Json::Value& request) {
  std::map<std::string, std::string> results;
  for (const Json::Value& message : RequestMessages(request)) {
    if (message["role"].asString() == "tool") {
      results[message["tool_call_id"].asString()] = message["content"].asString();
    }
  }
  return results;
}

bool HasMessage(const Json::Value& request, const std::string& role, const std::string& content) {
  for (const Json::Value& message : RequestMessages(request)) {
    if (message["role"].asString() == role && message["content"].isString() &&
        message["content"].asString() == content) {
      return true;
    }
  }
  return false;
}

}  // namespace hearth::testing
