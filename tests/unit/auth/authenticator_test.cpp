// SPDX-License-Identifier: Apache-2.0
#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include <atomic>

#include "base/sha256.h"
#include "testing/temp_dir.h"

namespace hearth::auth {
namespace {

class ManualClock final : public Clock {
 public:
  int64_t NowMs() const override { return now_; }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  std::atomic<int64_t> now_{1'800'000'000'000};
};

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::Store::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auth_ = std::make_unique<Authenticator>(*store_, clock_);
  }
  NewSession SignIn() {
    auto token = auth_->IssueLoginToken();
    EXPECT_TRUE(token.ok());
    auto session = auth_->RedeemLoginToken(*token, "test-agent");
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return *session;
  }
  bool Valid(const std::string& cookie) {
    auto s = auth_->Authenticate(cookie);
    EXPECT_TRUE(s.ok());
    return s->has_value();
  }

  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Authenticator> auth_;
};

using LoginTokens = AuthenticatorTest;
using Sessions = AuthenticatorTest;

TEST_F(LoginTokens, AreUuidv7AndWorkExactlyOnce) {
  auto token = auth_->IssueLoginToken();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->size(), 36u);
  EXPECT_EQ((*token)[14], '7');
  EXPECT_TRUE(auth_->RedeemLoginToken(*token, "").ok());
  auto again = auth_->RedeemLoginToken(*token, "");
  EXPECT_EQ(again.status().code(), Status::Code::kPermissionDenied);
}

TEST_F(LoginTokens, MintedByAnotherProcessCanBeRevokedBeforeUse) {
  unit::TempDir dir;
  TokenDrop drop(dir.File("tokens"));
  Authenticator auth(*store_, clock_, {}, &drop);
  auto kept = Authenticator::IssueDroppedLoginToken(drop, clock_.NowMs(), 60'000);
  auto revoked = Authenticator::IssueDroppedLoginToken(drop, clock_.NowMs(), 60'000);
  ASSERT_TRUE(kept.ok() && revoked.ok());

  EXPECT_TRUE(Authenticator::RevokeDroppedLoginToken(drop, *revoked, clock_.NowMs()).ok());
  EXPECT_EQ(Authenticator::RevokeDroppedLoginToken(drop, *revoked, clock_.NowMs()).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(Authenticator::RevokeDroppedLoginToken(drop, "../../etc/passwd", clock_.NowMs()).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(auth.RedeemLoginToken(*revoked, "").status().code(), Status::Code::kPermissionDenied);
  EXPECT_TRUE(auth.RedeemLoginToken(*kept, "").ok());
}

TEST_F(LoginTokens, CanBeExchangedOnceForAFreshOne) {
  unit::TempDir dir;
  TokenDrop drop(dir.File("tokens"));
  Authenticator auth(*store_, clock_, {}, &drop);
  auto dropped = Authenticator::IssueDroppedLoginToken(drop, clock_.NowMs(), 60'000);
  ASSERT_TRUE(dropped.ok());
  auto fresh = auth.ExchangeLoginToken(*dropped, 30'000);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_NE(*fresh, *dropped);
  EXPECT_EQ(auth.ExchangeLoginToken(*dropped, 30'000).status().code(),
            Status::Code::kPermissionDenied);
  EXPECT_EQ(auth.RedeemLoginToken(*dropped, "").status().code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(auth.ExchangeLoginToken("not-a-token", 30'000).status().code(),
            Status::Code::kPermissionDenied);
  clock_.Advance(30'000);
  EXPECT_FALSE(auth.RedeemLoginToken(*fresh, "").ok());  // its own, shorter life
}

TEST_F(LoginTokens, ExchangedGiveASessionOnce) {
  auto token = auth_->IssueLoginToken();
  auto fresh = auth_->ExchangeLoginToken(*token, 30'000);
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(auth_->RedeemLoginToken(*fresh, "").ok());
  EXPECT_FALSE(auth_->RedeemLoginToken(*fresh, "").ok());
}

TEST_F(LoginTokens, ExpireAfterSixtySecondsByDefault) {
  auto token = auth_->IssueLoginToken();
  clock_.Advance(60 * 1000);
  EXPECT_FALSE(auth_->RedeemLoginToken(*token, "").ok());
  auto fresh = auth_->IssueLoginToken();
  clock_.Advance(59 * 1000);
  EXPECT_TRUE(auth_->RedeemLoginToken(*fresh, "").ok());
}

TEST_F(LoginTokens, HonourACustomTtlUpToTheMaximum) {
  auto token = auth_->IssueLoginToken(3600 * 1000);  // asks for an hour, gets ten minutes
  clock_.Advance(10 * 60 * 1000);
  EXPECT_FALSE(auth_->RedeemLoginToken(*token, "").ok());
}

TEST_F(LoginTokens, MatchWhateverTheCaseOfTheirHexDigits) {
  auto token = auth_->IssueLoginToken();
  std::string upper = *token;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(auth_->RedeemLoginToken(upper, "").ok());
}

TEST_F(LoginTokens, AreStoredOnlyAsDigests) {
  auto token = auth_->IssueLoginToken();
  // Consuming by digest works, which shows the row is keyed by the digest and not the token.
  auto consumed = store_->ConsumeLoginToken(Sha256Hex(*token), clock_.NowMs());
  ASSERT_TRUE(consumed.ok());
  EXPECT_TRUE(*consumed);
}

TEST_F(Sessions, AreValidUntilIdleTooLong) {
  NewSession s = SignIn();
  EXPECT_TRUE(Valid(s.cookie_value));
  clock_.Advance(auth_->options().session_idle_ms - 1000);
  EXPECT_TRUE(Valid(s.cookie_value));  // and this use refreshes last_seen
  clock_.Advance(auth_->options().session_idle_ms - 1000);
  EXPECT_TRUE(Valid(s.cookie_value));
  clock_.Advance(auth_->options().session_idle_ms);
  EXPECT_FALSE(Valid(s.cookie_value));
}

TEST_F(Sessions, EndAtTheirAbsoluteExpiryEvenWhenUsed) {
  NewSession s = SignIn();
  int64_t step = auth_->options().session_idle_ms / 2;
  int64_t elapsed = 0;
  while (elapsed + step < auth_->options().session_absolute_ms) {
    clock_.Advance(step);
    elapsed += step;
    ASSERT_TRUE(Valid(s.cookie_value));
  }
  clock_.Advance(auth_->options().session_absolute_ms - elapsed);
  EXPECT_FALSE(Valid(s.cookie_value));
}

TEST_F(Sessions, AreStoredHashedSoTheDatabaseHoldsNoCookie) {
  NewSession s = SignIn();
  auto sessions = store_->ListSessions();
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ((*sessions)[0].id_hash, Sha256Hex(s.cookie_value));
  EXPECT_NE((*sessions)[0].id_hash, s.cookie_value);
  EXPECT_EQ((*sessions)[0].user_agent, "test-agent");
}

TEST_F(Sessions, RejectMalformedAndUnknownCookies) {
  SignIn();
  EXPECT_FALSE(Valid(""));
  EXPECT_FALSE(Valid("not hex at all"));
  EXPECT_FALSE(Valid(std::string(64, 'a')));
  EXPECT_FALSE(Valid(std::string(64, 'A')));
}

TEST_F(Sessions, CanBeRevokedOneOrAll) {
  NewSession a = SignIn(), b = SignIn(), c = SignIn();
  ASSERT_TRUE(auth_->RevokeSession(a.cookie_value).ok());
  EXPECT_FALSE(Valid(a.cookie_value));
  EXPECT_TRUE(Valid(b.cookie_value));
  Result<int64_t> revoked = auth_->RevokeAllSessions();
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(*revoked, 2);
  EXPECT_FALSE(Valid(b.cookie_value));
  EXPECT_FALSE(Valid(c.cookie_value));
}

TEST_F(Sessions, AreSweptOnceExpired) {
  SignIn();
  auto unused = auth_->IssueLoginToken();
  clock_.Advance(auth_->options().session_idle_ms + 1);
  auto swept = auth_->Sweep();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 2);
  EXPECT_TRUE(store_->ListSessions()->empty());
}

}  // namespace
}  // namespace hearth::auth
