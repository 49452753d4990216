// SPDX-License-Identifier: Apache-2.0
#include "base/event_loop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

namespace hearth {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

// Far enough that a loop that fails to wake up makes the test fail, not hang.
constexpr milliseconds kBound{5000};

class Pipe {
 public:
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
      read_ = UniqueFd(fds[0]);
      write_ = UniqueFd(fds[1]);
    }
  }
  int read_fd() const { return read_.get(); }
  void Write() const { ASSERT_EQ(write(write_.get(), "x", 1), 1); }
  void Drain() const {
    char buf[64];
    while (read(read_.get(), buf, sizeof buf) > 0) {
    }
  }

 private:
  UniqueFd read_, write_;
};

class AnEventLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = EventLoop::Create();
    ASSERT_TRUE(created.ok()) << created.status().message();
    loop_ = std::move(*created);
  }

  // Turns the loop, in short turns, until `done` holds or kBound passes; false at the bound.
  template <typename F>
  bool RunUntil(F done) {
    auto bound = Steady::now() + kBound;
    while (!done()) {
      if (Steady::now() >= bound) return false;
      EXPECT_TRUE(loop_->RunOnce(Steady::now() + milliseconds(10)).ok());
    }
    return true;
  }

  std::unique_ptr<EventLoop> loop_;
};

TEST_F(AnEventLoop, RunsTimersInTheOrderOfTheirDeadlinesNotOfTheirCreation) {
  std::vector<std::string> ran;
  auto now = Steady::now();
  loop_->At(now + milliseconds(30), [&] { ran.push_back("30"); });
  loop_->At(now + milliseconds(10), [&] { ran.push_back("10"); });
  loop_->At(now + milliseconds(20), [&] { ran.push_back("20a"); });
  loop_->At(now + milliseconds(20), [&] { ran.push_back("20b"); });  // same time: in order
  ASSERT_TRUE(RunUntil([&] { return ran.size() == 4; }));
  EXPECT_EQ(ran, (std::vector<std::string>{"10", "20a", "20b", "30"}));
  EXPECT_GE(Steady::now() - now, milliseconds(30));
}

TEST_F(AnEventLoop, DoesNotRunATimerBeforeItsTime) {
  bool early = false, late = false;
  auto start = Steady::now();
  Steady::time_point early_at, late_at;
  loop_->After(milliseconds(20), [&] {
    early = true;
    early_at = Steady::now();
  });
  loop_->After(milliseconds(60), [&] {
    late = true;
    late_at = Steady::now();
  });
  ASSERT_TRUE(RunUntil([&] { return early; }));
  EXPECT_FALSE(late);
  ASSERT_TRUE(RunUntil([&] { return late; }));
  EXPECT_GE(early_at - start, milliseconds(20));
  EXPECT_GE(late_at - start, milliseconds(60));
}

TEST_F(AnEventLoop, RunsATimerWhoseTimeHasPassedOnTheNextTurn) {
  bool ran = false;
  loop_->At(Steady::now() - milliseconds(100), [&] { ran = true; });
  ASSERT_TRUE(loop_->RunOnce(Steady::now() + milliseconds(10)).ok());
  EXPECT_TRUE(ran);
}

// Regression: RunOnce ran a timer that was already due and then waited on for the deadline (or the
// next fd or timer), so a caller acting after each turn (hearthd's loop re-reads the bus's poll
// events and checks for a failed backend) acted late.
TEST_F(AnEventLoop, ReturnsAtOnceAfterRunningATimerWhoseTimeHadPassed) {
  bool ran = false;
  loop_->At(Steady::now() - milliseconds(100), [&] { ran = true; });
  auto start = Steady::now();
  ASSERT_TRUE(loop_->RunOnce(start + kBound).ok());
  EXPECT_TRUE(ran);
  EXPECT_LT(Steady::now() - start, milliseconds(1000));
}

TEST_F(AnEventLoop, NeverRunsACancelledTimer) {
  bool cancelled_ran = false, other_ran = false;
  EventLoop::TimerId id = loop_->After(milliseconds(5), [&] { cancelled_ran = true; });
  loop_->After(milliseconds(20), [&] { other_ran = true; });
  loop_->Cancel(id);
  ASSERT_TRUE(RunUntil([&] { return other_ran; }));
  EXPECT_FALSE(cancelled_ran);
}

TEST_F(AnEventLoop, LetsATimerCancelAnotherDueInTheSameTurn) {
  bool second_ran = false;
  auto when = Steady::now() - milliseconds(1);
  EventLoop::TimerId second = 0;
  loop_->At(when, [&] { loop_->Cancel(second); });
  second = loop_->At(when, [&] { second_ran = true; });
  ASSERT_TRUE(loop_->RunOnce(Steady::now() + milliseconds(10)).ok());
  EXPECT_FALSE(second_ran);
}

TEST_F(AnEventLoop, IgnoresCancelOfIdZeroAndOfATimerThatRan) {
  int runs = 0;
  EventLoop::TimerId id = loop_->After(milliseconds(0), [&] { ++runs; });
  EXPECT_NE(id, 0u);
  ASSERT_TRUE(RunUntil([&] { return runs == 1; }));
  loop_->Cancel(id);
  loop_->Cancel(0);
  bool later = false;
  loop_->After(milliseconds(1), [&] { later = true; });
  ASSERT_TRUE(RunUntil([&] { return later; }));
  EXPECT_EQ(runs, 1);
}

TEST_F(AnEventLoop, NeverReusesATimerId) {
  EventLoop::TimerId first = loop_->After(milliseconds(0), [] {});
  loop_->Cancel(first);
  EventLoop::TimerId second = loop_->After(milliseconds(0), [] {});
  EXPECT_NE(first, second);
}

TEST_F(AnEventLoop, RunsATimerThatATimerAddsForNow) {
  bool inner = false;
  loop_->After(milliseconds(0), [&] { loop_->After(milliseconds(0), [&] { inner = true; }); });
  ASSERT_TRUE(RunUntil([&] { return inner; }));
}

TEST_F(AnEventLoop, CallsBackWhenAWatchedFdBecomesReadable) {
  Pipe pipe;
  uint32_t seen = 0;
  int calls = 0;
  ASSERT_TRUE(loop_
                  ->Watch(pipe.read_fd(), EPOLLIN,
                          [&](uint32_t events) {
                            seen = events;
                            ++calls;
                            pipe.Drain();
                          })
                  .ok());
  // Nothing to read: the turn ends at its deadline without a call.
  ASSERT_TRUE(loop_->RunOnce(Steady::now() + milliseconds(20)).ok());
  EXPECT_EQ(calls, 0);

  pipe.Write();
  auto start = Steady::now();
  ASSERT_TRUE(loop_->RunOnce(start + kBound).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(seen & EPOLLIN);
  EXPECT_LT(Steady::now() - start, milliseconds(1000)) << "woke up at the deadline, not the fd";
}

TEST_F(AnEventLoop, StopsCallingBackAfterUnwatch) {
  Pipe pipe;
  int calls = 0;
  ASSERT_TRUE(loop_->Watch(pipe.read_fd(), EPOLLIN, [&](uint32_t) { ++calls; }).ok());
  loop_->Unwatch(pipe.read_fd());
  loop_->Unwatch(pipe.read_fd());  // twice is harmless
  pipe.Write();
  ASSERT_TRUE(loop_->RunOnce(Steady::now() + milliseconds(20)).ok());
  EXPECT_EQ(calls, 0);
}

TEST_F(AnEventLoop, LetsACallbackReplaceItsOwnWatch) {
  Pipe pipe;
  std::vector<std::string> calls;
  ASSERT_TRUE(loop_
                  ->Watch(pipe.read_fd(), EPOLLIN,
                          [&](uint32_t) {
                            calls.push_back("first");
                            loop_->Watch(pipe.read_fd(), EPOLLIN, [&](uint32_t) {
                              calls.push_back("second");
                              pipe.Drain();
                            });
                          })
                  .ok());
  pipe.Write();
  ASSERT_TRUE(RunUntil([&] { return calls.size() == 2; }));
  EXPECT_EQ(calls, (std::vector<std::string>{"first", "second"}));
}

TEST_F(AnEventLoop, DoesNotCallAWatchThatAnEarlierCallbackOfTheSameTurnRemoved) {
  Pipe a, b;
  int calls = 0;
  ASSERT_TRUE(loop_
                  ->Watch(a.read_fd(), EPOLLIN,
                          [&](uint32_t) {
                            ++calls;
                            loop_->Unwatch(b.read_fd());
                          })
                  .ok());
  ASSERT_TRUE(loop_
                  ->Watch(b.read_fd(), EPOLLIN,
                          [&](uint32_t) {
                            ++calls;
                            loop_->Unwatch(a.read_fd());
                          })
                  .ok());
  a.Write();
  b.Write();
  ASSERT_TRUE(loop_->RunOnce(Steady::now() + kBound).ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(AnEventLoop, RefusesToWatchSomethingThatIsNotAnFd) {
  EXPECT_FALSE(loop_->Watch(-1, EPOLLIN, [](uint32_t) {}).ok());
}

TEST_F(AnEventLoop, ReturnsFromRunOnceAtTheDeadlineWhenNothingHappens) {
  auto start = Steady::now();
  ASSERT_TRUE(loop_->RunOnce(start + milliseconds(50)).ok());
  auto took = Steady::now() - start;
  EXPECT_GE(took, milliseconds(50));
  EXPECT_LT(took, milliseconds(2000));
}

TEST_F(AnEventLoop, ReturnsFromRunOnceAtOnceForADeadlineThatHasPassed) {
  auto start = Steady::now();
  ASSERT_TRUE(loop_->RunOnce(start - milliseconds(10)).ok());
  EXPECT_LT(Steady::now() - start, milliseconds(1000));
}

TEST_F(AnEventLoop, WakesForATimerBeforeALaterDeadline) {
  bool ran = false;
  loop_->After(milliseconds(10), [&] { ran = true; });
  auto start = Steady::now();
  ASSERT_TRUE(loop_->RunOnce(start + kBound).ok());
  EXPECT_TRUE(ran);
  EXPECT_LT(Steady::now() - start, milliseconds(1000));
}

TEST_F(AnEventLoop, WakesAtTheDeadlineBeforeALaterTimer) {
  bool ran = false;
  loop_->After(kBound, [&] { ran = true; });
  auto start = Steady::now();
  ASSERT_TRUE(loop_->RunOnce(start + milliseconds(20)).ok());
  EXPECT_FALSE(ran);
  EXPECT_LT(Steady::now() - start, milliseconds(2000));
}

}  // namespace
}  // namespace hearth
