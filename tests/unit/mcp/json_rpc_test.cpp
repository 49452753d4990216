// SPDX-License-Identifier: Apache-2.0
#include "mcp/json_rpc.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hearth::mcp {
namespace {

std::vector<std::string> FeedAll(LineSplitter& splitter, const std::vector<std::string>& chunks,
                                 bool* ok = nullptr) {
  std::vector<std::string> lines;
  bool all_ok = true;
  for (const std::string& chunk : chunks) {
    all_ok =
        splitter.Feed(chunk, [&](std::string_view line) { lines.emplace_back(line); }) && all_ok;
  }
  if (ok != nullptr) *ok = all_ok;
  return lines;
}

TEST(AJsonRpcLineSplitter, CutsLinesAcrossChunks) {
  LineSplitter splitter(1024);
  auto lines = FeedAll(splitter, {"{\"a\"", ":1}\n{\"b\":2}\n{\"c\"", ":3}\n"});
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
  EXPECT_EQ(splitter.buffered(), 0u);
}

TEST(AJsonRpcLineSplitter, DropsCarriageReturnsAndEmptyLines) {
  LineSplitter splitter(1024);
  auto lines = FeedAll(splitter, {"one\r\n\n\r\ntwo\n"});
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two"}));
}

TEST(AJsonRpcLineSplitter, KeepsAnUnfinishedLineUntilItsNewline) {
  LineSplitter splitter(1024);
  auto lines = FeedAll(splitter, {"partial"});
  EXPECT_TRUE(lines.empty());
  EXPECT_EQ(splitter.buffered(), 7u);
  lines = FeedAll(splitter, {" line\n"});
  EXPECT_EQ(lines, (std::vector<std::string>{"partial line"}));
}

TEST(AJsonRpcLineSplitter, AcceptsALineOfExactlyTheMaximum) {
  LineSplitter splitter(8);
  bool ok = false;
  auto lines = FeedAll(splitter, {"12345678\n"}, &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(lines, (std::vector<std::string>{"12345678"}));
}

TEST(AJsonRpcLineSplitter, BreaksForGoodOnALineOverTheMaximum) {
  LineSplitter splitter(8);
  bool ok = true;
  auto lines = FeedAll(splitter, {"ok\n123456789\nafter\n"}, &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(splitter.overflowed());
  EXPECT_EQ(lines, (std::vector<std::string>{"ok"}));
  lines = FeedAll(splitter, {"more\n"}, &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(lines.empty());
}

TEST(AJsonRpcLineSplitter, BreaksWhenAnUnfinishedLineOutgrowsTheMaximum) {
  LineSplitter splitter(8);
  bool ok = true;
  FeedAll(splitter, {"12345", "6789"}, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(splitter.buffered(), 0u);  // nothing more is held
}

TEST(AJsonRpcParser, ClassifiesRequestsNotificationsAndResponses) {
  auto request = ParseLine(R"({"jsonrpc":"2.0","id":"s-1","method":"ping"})");
  ASSERT_TRUE(request.ok());
  ASSERT_EQ(request->size(), 1u);
  EXPECT_EQ((*request)[0].kind, Message::Kind::kRequest);
  EXPECT_EQ((*request)[0].method, "ping");
  EXPECT_EQ((*request)[0].id.asString(), "s-1");

  auto note = ParseLine(R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed"})");
  ASSERT_TRUE(note.ok());
  EXPECT_EQ((*note)[0].kind, Message::Kind::kNotification);

  auto result = ParseLine(R"({"jsonrpc":"2.0","id":7,"result":{"tools":[]}})");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)[0].kind, Message::Kind::kResponse);
  EXPECT_FALSE((*result)[0].is_error);
  EXPECT_TRUE((*result)[0].result["tools"].isArray());
  EXPECT_EQ(IntegerId((*result)[0].id), 7);

  auto error = ParseLine(R"({"jsonrpc":"2.0","id":8,"error":{"code":-32602,"message":"bad"}})");
  ASSERT_TRUE(error.ok());
  EXPECT_EQ((*error)[0].kind, Message::Kind::kResponse);
  EXPECT_TRUE((*error)[0].is_error);
  EXPECT_EQ((*error)[0].error_code, kInvalidParams);
  EXPECT_EQ((*error)[0].error_message, "bad");
}

TEST(AJsonRpcParser, RefusesLinesThatAreNotJson) {
  EXPECT_FALSE(ParseLine("this is not JSON").ok());
  EXPECT_FALSE(ParseLine(R"({"jsonrpc":"2.0","id":1,"result":{}} trailing)").ok());
  EXPECT_FALSE(ParseLine("42").ok());
  EXPECT_FALSE(ParseLine("[]").ok());
}

TEST(AJsonRpcParser, RefusesNestingDeeperThanItsLimit) {
  std::string deep = std::string(200, '[') + std::string(200, ']');
  EXPECT_FALSE(ParseLine(deep).ok());
}

TEST(AJsonRpcParser, MarksMalformedMessagesInvalid) {
  for (const char* line : {
           R"({"id":1,"result":{}})",                             // no jsonrpc
           R"({"jsonrpc":"1.0","id":1,"result":{}})",             // wrong version
           R"({"jsonrpc":"2.0","id":1})",                         // neither result nor error
           R"({"jsonrpc":"2.0","id":1,"result":{},"error":{}})",  // both
           R"({"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}})",  // bad error
           R"({"jsonrpc":"2.0","method":5})",                                 // method not a string
           R"({"jsonrpc":"2.0","id":null,"method":"ping"})",  // request with null id
           R"({"jsonrpc":"2.0","method":"x","params":"p"})",  // params not structured
       }) {
    auto parsed = ParseLine(line);
    ASSERT_TRUE(parsed.ok()) << line;
    EXPECT_EQ((*parsed)[0].kind, Message::Kind::kInvalid) << line;
    EXPECT_FALSE((*parsed)[0].why.empty()) << line;
  }
}

TEST(AJsonRpcParser, SplitsABatch) {
  auto parsed =
      ParseLine(R"([{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","method":"n"},"junk"])");
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[0].kind, Message::Kind::kResponse);
  EXPECT_EQ((*parsed)[1].kind, Message::Kind::kNotification);
  EXPECT_EQ((*parsed)[2].kind, Message::Kind::kInvalid);
}

TEST(AJsonRpcId, MatchesIntegersOnly) {
  EXPECT_EQ(IntegerId(Json::Value(Json::Int64(5))), 5);
  EXPECT_EQ(IntegerId(Json::Value(5.0)), 5);
  EXPECT_EQ(IntegerId(Json::Value("5")), std::nullopt);
  EXPECT_EQ(IntegerId(Json::Value(5.5)), std::nullopt);
  EXPECT_EQ(IntegerId(Json::Value()), std::nullopt);
}

TEST(AJsonRpcEncoder, WritesOneLinePerMessage) {
  Json::Value params(Json::objectValue);
  params["text"] = "two\nlines";
  std::string request = EncodeRequest(3, "tools/call", params);
  ASSERT_FALSE(request.empty());
  EXPECT_EQ(request.back(), '\n');
  EXPECT_EQ(request.find('\n'), request.size() - 1);

  auto parsed = ParseLine(std::string_view(request).substr(0, request.size() - 1));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)[0].kind, Message::Kind::kRequest);
  EXPECT_EQ(IntegerId((*parsed)[0].id), 3);
  EXPECT_EQ((*parsed)[0].params["text"].asString(), "two\nlines");
}

TEST(AJsonRpcEncoder, LeavesOutNullParams) {
  std::string note = EncodeNotification("notifications/initialized", Json::Value());
  EXPECT_EQ(note, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
}

TEST(AJsonRpcEncoder, AnswersWithTheIdAsReceived) {
  Json::Value id("srv-1");
  auto result = ParseLine(EncodeResult(id, Json::Value(Json::objectValue)));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)[0].id.asString(), "srv-1");
  EXPECT_TRUE((*result)[0].result.isObject());

  auto error = ParseLine(EncodeError(Json::Value(9), kMethodNotFound, "no such method"));
  ASSERT_TRUE(error.ok());
  EXPECT_TRUE((*error)[0].is_error);
  EXPECT_EQ((*error)[0].error_code, kMethodNotFound);
  EXPECT_EQ(IntegerId((*error)[0].id), 9);
}

}  // namespace
}  // namespace hearth::mcp
