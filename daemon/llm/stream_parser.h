// SPDX-License-Identifier: Apache-2.0
// llm/stream_parser: turns a streamed chat answer's bytes into StreamEvents, incrementally.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "llm/chat.h"

namespace hearth::llm {

// A line (NDJSON) or an event's data (SSE) longer than this ends the stream with kError, so a
// server that is not an LLM server cannot make Hearth buffer without bound. The caller bounds
// the total size and duration of a stream.
inline constexpr size_t kMaxStreamLineBytes = 4 << 20;
// The arguments of one tool call are kept up to this size; a call whose arguments grow past it
// is refused (ToolCall::refused_argument_bytes) and the rest of the answer read on. Hearth keeps
// every call it runs in the store, whose rows hold 256 KiB, and sends it back to the model with
// the history, whose budget is 200 KiB: a bigger call could be neither, so a large file is
// written in parts (write_file, then edit_file). Bounding each call, not the stream, also keeps
// the memory of an answer with many calls bounded.
inline constexpr size_t kMaxToolArgumentBytes = 128 << 10;
// A tool call's id and name are kept up to this size: a longer id is dropped (the agent makes one
// up), a longer name cut (no tool has one).
inline constexpr size_t kMaxToolNameBytes = 256;
// Tool calls are numbered 0..kMaxToolCalls-1 in one answer; a higher number ends with kError.
inline constexpr int kMaxToolCalls = 128;

// Parses one streamed answer. Bytes may be split anywhere (mid-line, mid-UTF-8 sequence,
// between \r and \n); the events are the same however they are split. Events are appended to
// `out`, in order, as soon as the bytes that complete them arrive.
//
// A well-formed stream yields exactly one kDone, last. A malformed or cut-off stream yields
// exactly one kError, last, with a message written for the user; calls after a kDone or a
// kError append nothing. Not thread-safe; one parser per answer. Does no I/O.
class StreamParser {
 public:
  virtual ~StreamParser() = default;

  // The next bytes of the response body.
  virtual void Feed(std::string_view bytes, std::vector<StreamEvent>& out) = 0;

  // The body ended (the connection closed or the transfer completed). Reads what is left; when
  // the stream has not finished yet, appends kError ("the answer was cut off").
  virtual void Finish(std::vector<StreamEvent>& out) = 0;
};

// kOpenAi: Server-Sent Events carrying chat.completion.chunk objects (llama-server, vLLM, LM
// Studio, Ollama's /v1), ended by "data: [DONE]". A server that closes the stream after a chunk
// with a finish_reason but without [DONE] also ends it well: kDone is emitted then, at Finish,
// because the usage chunk may still follow the finish_reason.
// kOllama: Ollama's /api/chat NDJSON, one object per line, ended by the one with "done":true.
std::unique_ptr<StreamParser> MakeStreamParser(Wire wire);

// Accumulates a stream's events into a ChatReply: content deltas are concatenated; tool-call
// pieces are merged by their index (arguments concatenated; the first non-empty id and name
// kept), in the order the calls first appeared; kDone sets the finish reason and usage. kError
// is the caller's business and is ignored here. A call's arguments are kept up to
// kMaxToolArgumentBytes: past that they are let go and only counted (refused_argument_bytes),
// so the builder's memory stays bounded whatever the server sends. Not thread-safe.
class ReplyBuilder {
 public:
  void Add(const StreamEvent& event);
  const ChatReply& reply() const { return reply_; }
  ChatReply TakeReply() && { return std::move(reply_); }

 private:
  ChatReply reply_;
  std::vector<std::pair<int, size_t>> slots_;  // the server's tool index -> reply_.tool_calls[i]
};

}  // namespace hearth::llm
