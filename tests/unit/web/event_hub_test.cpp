// SPDX-License-Identifier: Apache-2.0
#include "web/event_hub.h"

#include <gtest/gtest.h>

namespace hearth::web {
namespace {

std::string Drain(http::EventStream& s) {
  std::string out;
  char buf[256];
  long n;
  while ((n = s.Pull(buf, sizeof buf, [] {})) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(EventHub, BroadcastsToEverySubscriber) {
  EventHub hub;
  auto a = hub.Subscribe(), b = hub.Subscribe();
  hub.Broadcast("conversations", "created");
  EXPECT_EQ(Drain(*a), "event: conversations\ndata: created\n\n");
  EXPECT_EQ(Drain(*b), "event: conversations\ndata: created\n\n");
}

TEST(EventHub, DropsStreamsWhoseClientLeft) {
  EventHub hub;
  auto a = hub.Subscribe();
  auto b = hub.Subscribe();
  b->Detach();
  hub.PingAll();
  EXPECT_EQ(hub.size(), 1u);
}

TEST(EventHub, BoundsTheNumberOfStreamsByEndingTheOldest) {
  EventHub hub;
  auto first = hub.Subscribe();
  std::vector<std::shared_ptr<http::EventStream>> rest;
  for (size_t i = 0; i < EventHub::kMaxStreams; ++i) rest.push_back(hub.Subscribe());
  EXPECT_EQ(hub.size(), EventHub::kMaxStreams);
  EXPECT_TRUE(first->closed());
  EXPECT_FALSE(rest.back()->closed());
}

TEST(EventHub, AfterCloseAllEndsNewSubscribersAtOnce) {
  EventHub hub;
  auto a = hub.Subscribe();
  hub.CloseAll();
  EXPECT_TRUE(a->closed());
  auto late = hub.Subscribe();
  char buf[8];
  EXPECT_EQ(late->Pull(buf, sizeof buf, [] {}), -1);
}

}  // namespace
}  // namespace hearth::web
