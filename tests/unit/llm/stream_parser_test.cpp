// SPDX-License-Identifier: Apache-2.0
#include "llm/stream_parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace hearth::llm {
namespace {

using Kind = StreamEvent::Kind;

// The body the fake server would send for a transcript: directive lines removed, "#! chop"
// applied, and nothing after "#! cut" or "#! hang".
std::string TranscriptBody(const std::string& name) {
  std::ifstream file(std::string(HEARTH_TRANSCRIPTS_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(file) << name;
  std::stringstream raw;
  raw << file.rdbuf();
  std::string text = raw.str();
  std::string body;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    std::string_view line(text.data() + start, end - start);
    start = end;
    if (!line.starts_with("#!")) {
      body += line;
      continue;
    }
    if (line.starts_with("#! chop")) {
      if (body.ends_with('\n')) body.pop_back();
      if (body.ends_with('\r')) body.pop_back();
    }
    if (line.starts_with("#! cut") || line.starts_with("#! hang")) break;
  }
  return body;
}

std::string Describe(const StreamEvent& e) {
  std::string out;
  switch (e.kind) {
    case Kind::kContent:
      return "content[" + e.text + "]";
    case Kind::kToolCallDelta:
      return "tool[" + std::to_string(e.tool_index) + "|" + e.tool_id + "|" + e.tool_name + "|" +
             e.tool_arguments + "]";
    case Kind::kDone:
      out = "done[" + e.finish_reason;
      if (e.usage) {
        out += "|" + std::to_string(e.usage->prompt_tokens) + "/" +
               std::to_string(e.usage->completion_tokens);
      }
      return out + "]";
    case Kind::kError:
      return "error[" + e.text + "]";
  }
  return "?";
}

std::string Describe(const std::vector<StreamEvent>& events) {
  std::string out;
  for (const auto& e : events) out += Describe(e) + "\n";
  return out;
}

std::vector<StreamEvent> FeedInPieces(Wire wire, std::string_view body,
                                      const std::vector<size_t>& cuts) {
  auto parser = MakeStreamParser(wire);
  std::vector<StreamEvent> events;
  size_t at = 0;
  for (size_t cut : cuts) {
    parser->Feed(body.substr(at, cut - at), events);
    at = cut;
  }
  parser->Feed(body.substr(at), events);
  parser->Finish(events);
  return events;
}

std::vector<StreamEvent> FeedWhole(Wire wire, std::string_view body) {
  return FeedInPieces(wire, body, {});
}

std::vector<StreamEvent> FeedByteByByte(Wire wire, std::string_view body) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
  return FeedInPieces(wire, body, cuts);
}

std::vector<StreamEvent> FeedRandomly(Wire wire, std::string_view body, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<size_t> cuts;
  size_t at = 0;
  while (!body.empty()) {
    at += 1 + rng() % 40;
    if (at >= body.size()) break;
    cuts.push_back(at);
  }
  return FeedInPieces(wire, body, cuts);
}

// Feeds `body` whole, byte by byte and in random splits; all three must agree.
std::vector<StreamEvent> Parse(Wire wire, std::string_view body) {
  std::vector<StreamEvent> whole = FeedWhole(wire, body);
  std::string expected = Describe(whole);
  EXPECT_EQ(Describe(FeedByteByByte(wire, body)), expected);
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    EXPECT_EQ(Describe(FeedRandomly(wire, body, seed)), expected) << "seed " << seed;
  }
  return whole;
}

ChatReply Build(const std::vector<StreamEvent>& events) {
  ReplyBuilder builder;
  for (const auto& e : events) builder.Add(e);
  return builder.reply();
}

// Exactly one terminal event, and it is last.
void ExpectEndsWith(const std::vector<StreamEvent>& events, Kind kind) {
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, kind) << Describe(events);
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_NE(events[i].kind, Kind::kDone) << Describe(events);
    EXPECT_NE(events[i].kind, Kind::kError) << Describe(events);
  }
}

std::string SseChunk(std::string_view delta_json, std::string_view finish = "null") {
  return "data: {\"choices\":[{\"index\":0,\"delta\":" + std::string(delta_json) +
         ",\"finish_reason\":" + std::string(finish) +
         "}],\"object\":\"chat.completion.chunk\"}\n\n";
}

TEST(StreamParserTranscripts, GiveTheSameEventsHoweverTheBytesAreSplit) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(HEARTH_TRANSCRIPTS_DIR)) {
    std::string name = entry.path().filename().string();
    Wire wire;
    if (name.ends_with(".sse")) {
      wire = Wire::kOpenAi;
    } else if (name.ends_with(".ndjson")) {
      wire = Wire::kOllama;
    } else {
      continue;
    }
    SCOPED_TRACE(name);
    std::vector<StreamEvent> events = Parse(wire, TranscriptBody(name));
    ASSERT_FALSE(events.empty());
    Kind last = events.back().kind;
    EXPECT_TRUE(last == Kind::kDone || last == Kind::kError);
    ExpectEndsWith(events, last);
    for (const auto& e : events) {
      if (e.kind == Kind::kContent) {
        EXPECT_FALSE(e.text.empty());
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 18);
}

TEST(OpenAiStream, HelloStreamsMarkdownThenUsageFromTheLastChunk) {
  auto events = Parse(Wire::kOpenAi, TranscriptBody("hello.0.sse"));
  ExpectEndsWith(events, Kind::kDone);
  ChatReply reply = Build(events);
  EXPECT_EQ(reply.content,
            "Hello! Here is a **short** list:\n\n- one\n- two\n\n```sh\necho \"hi\"\n```\n"
            "Caf\xC3\xA9 \xE2\x98\x95 is open.");
  EXPECT_EQ(reply.finish_reason, "stop");
  ASSERT_TRUE(reply.usage.has_value());
  EXPECT_EQ(reply.usage->prompt_tokens, 14);
  EXPECT_EQ(reply.usage->completion_tokens, 31);
  EXPECT_TRUE(reply.tool_calls.empty());
  EXPECT_EQ(events.size(), 12u);  // 11 deltas (the role chunk emits nothing) and kDone
}

TEST(OpenAiStream, WithoutARoleChunkEmptyAndNullDeltasEmitNothing) {
  auto events = Parse(Wire::kOpenAi, TranscriptBody("norole.0.sse"));
  EXPECT_EQ(Describe(events), "content[Sure]\ncontent[, here]\ncontent[ it is.]\ndone[stop|9/5]\n");
}

TEST(OpenAiStream, ReadsCrLfCommentsFieldsWithoutSpaceAndDataOverTwoLines) {
  auto events = Parse(Wire::kOpenAi, TranscriptBody("quirks.0.sse"));
  EXPECT_EQ(Describe(events),
            "content[Split]\ncontent[ \xC3\xBC"
            "ber]\ncontent[ lines]\ndone[stop]\n");
}

TEST(OpenAiStream, MergesTwoToolCallsStreamedAtOnce) {
  auto events = Parse(Wire::kOpenAi, TranscriptBody("toolcall.0.sse"));
  ExpectEndsWith(events, Kind::kDone);
  ChatReply reply = Build(events);
  EXPECT_EQ(reply.content, "");
  ASSERT_EQ(reply.tool_calls.size(), 2u);
  EXPECT_EQ(reply.tool_calls[0].id, "call_Xq3b1RkT");
  EXPECT_EQ(reply.tool_calls[0].name, "read_file");
  EXPECT_EQ(reply.tool_calls[0].arguments, R"({"path": "notes/todo.md"})");
  EXPECT_EQ(reply.tool_calls[1].id, "");
  EXPECT_EQ(reply.tool_calls[1].name, "run_command");
  EXPECT_EQ(reply.tool_calls[1].arguments, R"({"command": "ls -la"})");
  EXPECT_EQ(reply.finish_reason, "tool_calls");
  EXPECT_EQ(reply.usage->prompt_tokens, 212);
}

TEST(OpenAiStream, TellsToolCallsWithoutIndexApartByTheirIds) {
  auto events = Parse(Wire::kOpenAi, TranscriptBody("toolcall-noindex.0.sse"));
  ChatReply reply = Build(events);
  ASSERT_EQ(reply.tool_calls.size(), 2u);
  EXPECT_EQ(reply.tool_calls[0].id, "call_a1");
  EXPECT_EQ(reply.tool_calls[0].arguments, R"({"path": "a.txt"})");
  EXPECT_EQ(reply.tool_calls[1].id, "call_b2");
  EXPECT_EQ(reply.tool_calls[1].name, "read_file");
  EXPECT_EQ(reply.tool_calls[1].arguments, R"({"path": "b.txt"})");
}

TEST(OpenAiStream, ToolCallPiecesWithoutIndexOrIdContinueTheFirstCall) {
  auto events = Parse(Wire::kOpenAi,
                      SseChunk(R"({"tool_calls":[{"function":{"name":"f","arguments":"{"}}]})") +
                          SseChunk(R"({"tool_calls":[{"function":{"arguments":"}"}}]})") +
                          "data: [DONE]\n\n");
  EXPECT_EQ(Describe(events), "tool[0||f|{]\ntool[0|||}]\ndone[]\n");
}

TEST(OpenAiStream, SerializesArgumentsSentAsAnObject) {
  auto events = Parse(
      Wire::kOpenAi,
      SseChunk(
          R"({"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":{"b":[1,2.5,"x"],"a":true}}}]})") +
          "data: [DONE]\n\n");
  EXPECT_EQ(Describe(events), "tool[0|c|f|{\"a\":true,\"b\":[1,2.5,\"x\"]}]\ndone[]\n");
}

TEST(OpenAiStream, ReportsTheServersMessageFromAnErrorObjectAndStops) {
  auto events = Parse(Wire::kOpenAi, TranscriptBody("midstream-error.0.sse"));
  ExpectEndsWith(events, Kind::kError);
  EXPECT_EQ(Build(events).content, "Working on it");
  EXPECT_NE(events.back().text.find("ran out of KV cache space"), std::string::npos)
      << events.back().text;
}

TEST(OpenAiStream, ReportsLlamaCppsErrorLine) {
  auto events = Parse(Wire::kOpenAi, TranscriptBody("midstream-error-llamacpp.0.sse"));
  ExpectEndsWith(events, Kind::kError);
  EXPECT_NE(events.back().text.find("Context size has been exceeded"), std::string::npos);
}

TEST(OpenAiStream, ReportsANamedErrorEvent) {
  auto events = Parse(Wire::kOpenAi, "event: error\ndata: {\"message\":\"overloaded\"}\n\n");
  ExpectEndsWith(events, Kind::kError);
  EXPECT_NE(events.back().text.find("overloaded"), std::string::npos);
}

TEST(OpenAiStream, CutMidLineIsReportedAsCutOff) {
  auto events = Parse(Wire::kOpenAi, TranscriptBody("cut.0.sse"));
  ExpectEndsWith(events, Kind::kError);
  EXPECT_EQ(Build(events).content, "The first half of");
  EXPECT_NE(events.back().text.find("cut off"), std::string::npos) << events.back().text;
}

TEST(OpenAiStream, AnEmptyBodyIsCutOff) {
  auto events = Parse(Wire::kOpenAi, "");
  ExpectEndsWith(events, Kind::kError);
  EXPECT_NE(events.back().text.find("cut off"), std::string::npos);
}

TEST(OpenAiStream, EndingAfterAFinishReasonWithoutDoneIsDone) {
  auto events =
      Parse(Wire::kOpenAi, SseChunk(R"({"content":"Hi"})") + SseChunk("{}", "\"length\"") +
                               "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
                               "\"completion_tokens\":1}}\n\n");
  EXPECT_EQ(Describe(events), "content[Hi]\ndone[length|3/1]\n");
}

TEST(OpenAiStream, DoneWithoutItsBlankLineOrNewlineStillCounts) {
  EXPECT_EQ(Describe(Parse(Wire::kOpenAi, SseChunk(R"({"content":"a"})") + "data: [DONE]")),
            "content[a]\ndone[]\n");
  EXPECT_EQ(Describe(Parse(Wire::kOpenAi, "data:[DONE]\n")), "done[]\n");
}

TEST(OpenAiStream, ReadsEventsWhoseBlankLinesAreMissing) {
  std::string a = SseChunk(R"({"content":"a"})");
  std::string b = SseChunk(R"({"content":"b"})");
  a.pop_back();  // "data: {…}\n" without the blank line
  b.pop_back();
  EXPECT_EQ(Describe(Parse(Wire::kOpenAi, a + b + "data: [DONE]\n\n")),
            "content[a]\ncontent[b]\ndone[]\n");
}

TEST(OpenAiStream, ReadsAStreamWithNoBlankLinesAtAll) {
  std::string a = SseChunk(R"({"content":"a"})");
  std::string b = SseChunk(R"({"content":"b"})", "\"stop\"");
  a.pop_back();
  b.pop_back();
  EXPECT_EQ(Describe(Parse(Wire::kOpenAi, a + b)), "content[a]\ncontent[b]\ndone[stop]\n");
  // Cut in the middle of the last line.
  auto cut = Parse(Wire::kOpenAi, a + b.substr(0, 30));
  ExpectEndsWith(cut, Kind::kError);
  EXPECT_NE(cut.back().text.find("cut off"), std::string::npos) << cut.back().text;
}

TEST(OpenAiStream, AcceptsBareCarriageReturnsAndAByteOrderMark) {
  std::string body =
      "\xEF\xBB\xBF: hi\rdata: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\r\r"
      "data: [DONE]\r\r";
  EXPECT_EQ(Describe(Parse(Wire::kOpenAi, body)), "content[x]\ndone[]\n");
}

TEST(OpenAiStream, IgnoresReasoningAndChoicesBeyondTheFirst) {
  std::string body =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\",\"content\":"
      "\"A\"}},{\"index\":1,\"delta\":{\"content\":\"B\"}}]}\n\ndata: [DONE]\n\n";
  EXPECT_EQ(Describe(Parse(Wire::kOpenAi, body)), "content[A]\ndone[]\n");
}

TEST(OpenAiStream, DataThatIsNotJsonIsAnError) {
  auto events = Parse(Wire::kOpenAi, "data: <html>502 Bad Gateway</html>\n\nmore");
  ExpectEndsWith(events, Kind::kError);
  EXPECT_NE(events.back().text.find("could not read"), std::string::npos) << events.back().text;
  EXPECT_NE(events.back().text.find("502 Bad Gateway"), std::string::npos);
}

TEST(OpenAiStream, RefusesToolIndicesOutOfRange) {
  auto high = Parse(Wire::kOpenAi,
                    SseChunk(R"({"tool_calls":[{"index":4000000000,"function":{"name":"f"}}]})"));
  ExpectEndsWith(high, Kind::kError);
  EXPECT_NE(high.back().text.find("more than 128 tool calls"), std::string::npos);
  auto negative =
      Parse(Wire::kOpenAi, SseChunk(R"({"tool_calls":[{"index":-1,"function":{"name":"f"}}]})"));
  ExpectEndsWith(negative, Kind::kError);
  EXPECT_NE(negative.back().text.find("malformed tool call"), std::string::npos);
}

TEST(OpenAiStream, RefusesJsonNestedTooDeeply) {
  std::string deep = "data: " + std::string(1000, '[') + std::string(1000, ']') + "\n\n";
  ExpectEndsWith(Parse(Wire::kOpenAi, deep), Kind::kError);
}

TEST(StreamParserLimits, ALineLongerThanFourMebibytesIsAnError) {
  std::string body = SseChunk(R"({"content":"ok"})") + "data: \"" +
                     std::string(kMaxStreamLineBytes, 'a') + "\"\n\n" +
                     SseChunk(R"({"content":"x"})");
  for (size_t piece : {body.size(), size_t{4096}, size_t{1} << 20}) {
    std::vector<size_t> cuts;
    for (size_t at = piece; at < body.size(); at += piece) cuts.push_back(at);
    auto events = FeedInPieces(Wire::kOpenAi, body, cuts);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].text, "ok");
    ExpectEndsWith(events, Kind::kError);
    EXPECT_NE(events.back().text.find("longer than 4 MiB"), std::string::npos);
  }
}

TEST(StreamParserLimits, AnEventWhoseDataLinesAddUpPastTheLimitIsAnError) {
  std::string line = "data: " + std::string(1 << 20, 'a') + "\n";
  std::string body;
  for (int i = 0; i < 5; ++i) body += line;
  ExpectEndsWith(FeedWhole(Wire::kOpenAi, body), Kind::kError);
}

TEST(StreamParserLimits, AnOllamaLineLongerThanTheLimitIsAnError) {
  std::string body =
      "{\"message\":{\"content\":\"" + std::string(kMaxStreamLineBytes, 'a') + "\"}}\n";
  auto events = FeedWhole(Wire::kOllama, body);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].text.find("longer than 4 MiB"), std::string::npos);
  // Exactly at the limit is fine.
  std::string at_limit = "{\"done\":true}";
  at_limit.resize(kMaxStreamLineBytes, ' ');
  ExpectEndsWith(FeedWhole(Wire::kOllama, at_limit + "\n"), Kind::kDone);
}

TEST(StreamParserContract, NothingFollowsAnError) {
  auto parser = MakeStreamParser(Wire::kOpenAi);
  std::vector<StreamEvent> out;
  parser->Feed("data: {\"error\":{\"message\":\"boom\"}}\n\n", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kError);
  EXPECT_EQ(
      out[0].text,
      "The model server stopped with an error: boom. Check the server's log, then try again.");
  parser->Feed(SseChunk(R"({"content":"late"})") + "data: [DONE]\n\n", out);
  parser->Finish(out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(StreamParserContract, NothingFollowsDone) {
  for (Wire wire : {Wire::kOpenAi, Wire::kOllama}) {
    auto parser = MakeStreamParser(wire);
    std::vector<StreamEvent> out;
    parser->Feed(wire == Wire::kOpenAi ? "data: [DONE]\n\n" : "{\"done\":true}\n", out);
    parser->Feed(wire == Wire::kOpenAi ? SseChunk(R"({"content":"late"})")
                                       : "{\"message\":{\"content\":\"late\"}}\n",
                 out);
    parser->Finish(out);
    parser->Finish(out);
    EXPECT_EQ(Describe(out), "done[]\n");
  }
}

TEST(OllamaStream, HelloStreamsTextThenUsageFromTheDoneLine) {
  auto events = Parse(Wire::kOllama, TranscriptBody("hello.0.ndjson"));
  ExpectEndsWith(events, Kind::kDone);
  ChatReply reply = Build(events);
  EXPECT_EQ(reply.content, Build(Parse(Wire::kOpenAi, TranscriptBody("hello.0.sse"))).content);
  EXPECT_EQ(reply.finish_reason, "stop");
  EXPECT_EQ(reply.usage->prompt_tokens, 26);
  EXPECT_EQ(reply.usage->completion_tokens, 31);
}

TEST(OllamaStream, NumbersWholeToolCallsInArrivalOrderWithArgumentsAsJsonText) {
  auto events = Parse(Wire::kOllama, TranscriptBody("toolcall.0.ndjson"));
  EXPECT_EQ(Describe(events),
            "tool[0||read_file|{\"path\":\"notes/todo.md\"}]\n"
            "tool[1||run_command|{\"command\":\"ls -la\",\"timeout_s\":10}]\n"
            "done[stop|240/52]\n");
}

TEST(OllamaStream, KeepsIdsWhenNewerOllamaSendsThem) {
  auto events = Parse(
      Wire::kOllama,
      R"({"message":{"role":"assistant","content":"","tool_calls":[{"id":"call_1","function":{"index":0,"name":"f","arguments":{}}},{"function":{"name":"g"}}]},"done":false})"
      "\n{\"done\":true,\"done_reason\":\"stop\"}\n");
  EXPECT_EQ(Describe(events), "tool[0|call_1|f|{}]\ntool[1||g|{}]\ndone[stop]\n");
}

TEST(OllamaStream, ReportsAnErrorLine) {
  auto events = Parse(Wire::kOllama, TranscriptBody("ollama-error.0.ndjson"));
  ExpectEndsWith(events, Kind::kError);
  EXPECT_EQ(Build(events).content, "I will start");
  EXPECT_NE(events.back().text.find("unexpected EOF"), std::string::npos);
}

TEST(OllamaStream, CutMidLineIsReportedAsCutOff) {
  auto events = Parse(Wire::kOllama, TranscriptBody("cut.0.ndjson"));
  ExpectEndsWith(events, Kind::kError);
  EXPECT_NE(events.back().text.find("cut off"), std::string::npos) << events.back().text;
}

TEST(OllamaStream, AcceptsCrLfBlankLinesAndALastLineWithoutNewline) {
  EXPECT_EQ(
      Describe(Parse(Wire::kOllama,
                     "{\"message\":{\"content\":\"a\"}}\r\n\r\n{\"done\":true,\"eval_count\":2}")),
      "content[a]\ndone[|0/2]\n");
}

TEST(OllamaStream, ALineThatIsNotAJsonObjectIsAnError) {
  auto events = Parse(Wire::kOllama, "[1,2]\n{\"done\":true}\n");
  ExpectEndsWith(events, Kind::kError);
  EXPECT_NE(events.back().text.find("points at Ollama"), std::string::npos);
}

TEST(ReplyBuilder, KeepsTheFirstNonEmptyIdAndNameAndConcatenatesArguments) {
  ReplyBuilder builder;
  auto piece = [](int index, std::string id, std::string name, std::string arguments) {
    StreamEvent e;
    e.kind = Kind::kToolCallDelta;
    e.tool_index = index;
    e.tool_id = std::move(id);
    e.tool_name = std::move(name);
    e.tool_arguments = std::move(arguments);
    return e;
  };
  builder.Add(piece(3, "", "", "{\"a\""));
  builder.Add(piece(1, "id1", "g", "{}"));
  builder.Add(piece(3, "id3", "f", ":1"));
  builder.Add(piece(3, "other", "other", "}"));
  StreamEvent text;
  text.text = "hi";
  builder.Add(text);
  StreamEvent error;
  error.kind = Kind::kError;
  error.text = "ignored";
  builder.Add(error);
  StreamEvent done;
  done.kind = Kind::kDone;
  done.finish_reason = "tool_calls";
  done.usage = Usage{5, 6};
  builder.Add(done);

  ChatReply reply = std::move(builder).TakeReply();
  EXPECT_EQ(reply.content, "hi");
  ASSERT_EQ(reply.tool_calls.size(), 2u);  // in order of first appearance
  EXPECT_EQ(reply.tool_calls[0].id, "id3");
  EXPECT_EQ(reply.tool_calls[0].name, "f");
  EXPECT_EQ(reply.tool_calls[0].arguments, "{\"a\":1}");
  EXPECT_EQ(reply.tool_calls[1].id, "id1");
  EXPECT_EQ(reply.finish_reason, "tool_calls");
  EXPECT_EQ(reply.usage->completion_tokens, 6);
}

// --- A call whose arguments are too large ---------------------------------------------------

// The arguments of a write_file call of `content_bytes` bytes, as the model writes them.
std::string WriteArguments(size_t content_bytes) {
  return "{\"path\":\"big.txt\",\"content\":\"" + std::string(content_bytes, 'x') + "\"}";
}

// `text` as a JSON string literal (it holds only quotes and printable ASCII here).
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// What llama-server sends for a big call followed by a small one: the big call's arguments a
// few hundred bytes per chunk, as servers stream them, then the second call whole.
std::string SseBigCallThenSmallCall(size_t content_bytes) {
  std::string body = SseChunk(R"({"role":"assistant","content":null})");
  body += SseChunk(
      R"({"tool_calls":[{"index":0,"id":"call_big","type":"function","function":{"name":"write_file","arguments":""}}]})");
  std::string arguments = WriteArguments(content_bytes);
  for (size_t at = 0; at < arguments.size(); at += 256) {
    body += SseChunk(R"({"tool_calls":[{"index":0,"function":{"arguments":)" +
                     Quoted(arguments.substr(at, 256)) + "}}]}");
  }
  body += SseChunk(
      R"({"tool_calls":[{"index":1,"id":"call_small","type":"function","function":{"name":"list_dir","arguments":"{\"path\":\".\"}"}}]})");
  body += SseChunk("{}", "\"tool_calls\"");
  return body + "data: [DONE]\n\n";
}

TEST(AToolCallTooLarge, IsRefusedWithItsSizeAndTheCallsAfterItAreKept) {
  const size_t big = WriteArguments(300 * 1000).size();
  std::vector<StreamEvent> events = FeedWhole(Wire::kOpenAi, SseBigCallThenSmallCall(300 * 1000));
  ExpectEndsWith(events, Kind::kDone);
  ChatReply reply = Build(events);
  ASSERT_EQ(reply.tool_calls.size(), 2u);
  EXPECT_EQ(reply.tool_calls[0].id, "call_big");
  EXPECT_EQ(reply.tool_calls[0].name, "write_file");
  EXPECT_EQ(reply.tool_calls[0].arguments, "");
  EXPECT_EQ(reply.tool_calls[0].refused_argument_bytes, big);
  EXPECT_EQ(reply.tool_calls[1].id, "call_small");
  EXPECT_EQ(reply.tool_calls[1].arguments, "{\"path\":\".\"}");
  EXPECT_EQ(reply.tool_calls[1].refused_argument_bytes, 0u);
  EXPECT_EQ(reply.finish_reason, "tool_calls");
}

TEST(AToolCallTooLarge, FromOllamaInOneLineIsRefusedToo) {
  std::string body =
      R"({"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"write_file","arguments":{"path":"big.txt","content":")" +
      std::string(300 * 1000, 'x') + R"("}}}]},"done":false})" + "\n" +
      R"({"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"list_dir","arguments":{"path":"."}}}]},"done":false})" +
      "\n" + R"({"message":{"role":"assistant","content":""},"done":true})" + "\n";
  std::vector<StreamEvent> events = FeedWhole(Wire::kOllama, body);
  ExpectEndsWith(events, Kind::kDone);
  ChatReply reply = Build(events);
  ASSERT_EQ(reply.tool_calls.size(), 2u);
  EXPECT_EQ(reply.tool_calls[0].name, "write_file");
  EXPECT_EQ(reply.tool_calls[0].arguments, "");
  EXPECT_EQ(reply.tool_calls[0].refused_argument_bytes, WriteArguments(300 * 1000).size());
  EXPECT_EQ(reply.tool_calls[1].name, "list_dir");
  EXPECT_EQ(reply.tool_calls[1].arguments, "{\"path\":\".\"}");
}

StreamEvent ArgumentPiece(int index, std::string arguments) {
  StreamEvent e;
  e.kind = Kind::kToolCallDelta;
  e.tool_index = index;
  e.tool_arguments = std::move(arguments);
  return e;
}

TEST(AToolCallTooLarge, IsKeptUpToTheLimitExactly) {
  ReplyBuilder builder;
  builder.Add(ArgumentPiece(0, std::string(kMaxToolArgumentBytes - 1, 'a')));
  builder.Add(ArgumentPiece(0, "b"));
  EXPECT_EQ(builder.reply().tool_calls[0].arguments.size(), kMaxToolArgumentBytes);
  EXPECT_EQ(builder.reply().tool_calls[0].refused_argument_bytes, 0u);
  builder.Add(ArgumentPiece(0, "c"));
  EXPECT_EQ(builder.reply().tool_calls[0].refused_argument_bytes, kMaxToolArgumentBytes + 1);
}

TEST(AToolCallTooLarge, LetsItsMemoryGoAndOnlyCountsTheRest) {
  ReplyBuilder builder;
  builder.Add(ArgumentPiece(0, std::string(kMaxToolArgumentBytes, 'a')));
  builder.Add(ArgumentPiece(0, std::string(1000, 'b')));
  for (int i = 0; i < 1000; ++i) builder.Add(ArgumentPiece(0, std::string(1000, 'c')));
  const ToolCall& call = builder.reply().tool_calls[0];
  EXPECT_EQ(call.arguments.capacity(), std::string().capacity());
  EXPECT_EQ(call.refused_argument_bytes, kMaxToolArgumentBytes + 1001 * 1000);
}

TEST(AToolCallTooLarge, IdIsDroppedAndNameCutWhenOverLong) {
  ReplyBuilder builder;
  StreamEvent e = ArgumentPiece(0, "{}");
  e.tool_id = std::string(kMaxToolNameBytes + 1, 'i');
  e.tool_name = std::string(kMaxToolNameBytes + 1, 'n');
  builder.Add(e);
  const ToolCall& call = builder.reply().tool_calls[0];
  EXPECT_EQ(call.id, "");
  EXPECT_LE(call.name.size(), kMaxToolNameBytes);
  EXPECT_TRUE(call.name.starts_with("nnnn"));
  EXPECT_TRUE(call.name.ends_with("…"));
  EXPECT_EQ(call.arguments, "{}");
}

}  // namespace
}  // namespace hearth::llm
