// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "http/response.h"

namespace hearth::http {
namespace {

std::string PullAll(EventStream& s) {
  std::string out;
  char buf[7];  // small on purpose: frames span several pulls
  for (;;) {
    long n = s.Pull(buf, sizeof buf, [] {});
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST(EventStream, FramesEachLineOfDataSeparately) {
  EventStream s;
  s.Send("message", "one\ntwo\r\nthree\rfour", "7");
  EXPECT_EQ(PullAll(s), "event: message\nid: 7\ndata: one\ndata: two\ndata: three\ndata: four\n\n");
}

TEST(EventStream, SuspendsWhenEmptyAndWakesOnceWhenDataArrives) {
  EventStream s;
  int suspended = 0, woken = 0;
  s.Attach([&] { ++woken; });
  char buf[64];
  EXPECT_EQ(s.Pull(buf, sizeof buf, [&] { ++suspended; }), 0);
  EXPECT_EQ(suspended, 1);
  s.Ping();
  s.Ping();
  EXPECT_EQ(woken, 1);  // one wake per suspension
  EXPECT_EQ(PullAll(s), ": ping\n\n: ping\n\n");
}

TEST(EventStream, EndsAfterCloseOnceQueuedBytesAreSent) {
  EventStream s;
  s.Send("", "last");
  s.Close();
  char buf[64];
  EXPECT_GT(s.Pull(buf, sizeof buf, [] {}), 0);
  EXPECT_EQ(s.Pull(buf, sizeof buf, [] {}), -1);
  s.Send("", "too late");
  EXPECT_EQ(s.Pull(buf, sizeof buf, [] {}), -1);
}

TEST(EventStream, CloseWakesAParkedConnection) {
  EventStream s;
  int woken = 0;
  s.Attach([&] { ++woken; });
  char buf[8];
  ASSERT_EQ(s.Pull(buf, sizeof buf, [] {}), 0);
  s.Close();
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(s.Pull(buf, sizeof buf, [] {}), -1);
}

TEST(EventStream, DisconnectsAClientThatStopsReading) {
  EventStream s;
  std::string chunk(64 * 1024, 'x');
  for (size_t sent = 0; sent <= EventStream::kMaxBufferedBytes; sent += chunk.size()) {
    s.Send("", chunk);
  }
  EXPECT_TRUE(s.closed());
  char buf[8];
  EXPECT_EQ(s.Pull(buf, sizeof buf, [] {}), -1);
}

TEST(EventStream, DetachedStreamNeverCallsItsWaker) {
  EventStream s;
  int woken = 0;
  s.Attach([&] { ++woken; });
  char buf[8];
  ASSERT_EQ(s.Pull(buf, sizeof buf, [] {}), 0);
  s.Detach();
  s.Send("", "x");
  s.Close();
  EXPECT_EQ(woken, 0);
}

}  // namespace
}  // namespace hearth::http
