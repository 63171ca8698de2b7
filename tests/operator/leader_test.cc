// LeaderElector against FakeApiServer, the API-server test double (tests/k8s), with short
// durations: lease 1500 ms (written as leaseDurationSeconds 2), renew deadline 1000 ms, retry
// 200 ms. Each candidate has its own Client, so one candidate's API access can be cut alone
// (Client::Cancel, as a network partition or a crashed process that cannot release).

#include "operator/leader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "api_server_double.h"

namespace pgpart::op {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using k8s::testing::FakeApiServer;
using nlohmann::json;
using std::chrono::milliseconds;

constexpr char kNs[] = "pgpart-system";
constexpr char kLease[] = "pgpart-operator";

// Who leads, across all candidates of a test: never more than one at a time.
struct Ledger {
  std::mutex mutex;
  int leaders = 0;
  int max_leaders = 0;
  int terms = 0;  // on_started_leading calls
};

class Candidate {
 public:
  Candidate(FakeApiServer& server, const std::string& id, Ledger& ledger,
            milliseconds retry = 200ms, milliseconds renew = 1000ms, milliseconds lease = 1500ms)
      : ledger_(ledger),
        client_(k8s::ClusterConfig{.server = server.Url()}, 5),
        elector_(client_,
                 LeaderConfig{.lease_namespace = kNs, .lease_name = kLease, .identity = id,
                              .lease_duration = lease, .renew_deadline = renew,
                              .retry_period = retry},
                 LeaderCallbacks{.on_started_leading = [this] { Started(); },
                                 .on_stopped_leading = [this] { Stopped(); },
                                 .on_log = [this](const std::string& m) { Logged(m); }}) {}

  LeaderElector& elector() { return elector_; }
  k8s::Client& client() { return client_; }

  bool WaitLeading(milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return leading_; });
  }
  bool WaitStopped(milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return stopped_count_ > 0 && !leading_; });
  }
  bool leading() {
    std::lock_guard lock(mutex_);
    return leading_;
  }
  Clock::time_point started_at() {
    std::lock_guard lock(mutex_);
    return started_at_;
  }
  Clock::time_point stopped_at() {
    std::lock_guard lock(mutex_);
    return stopped_at_;
  }
  int started_count() {
    std::lock_guard lock(mutex_);
    return started_count_;
  }
  int stopped_count() {
    std::lock_guard lock(mutex_);
    return stopped_count_;
  }
  bool LogMentions(const std::string& text) {
    std::lock_guard lock(mutex_);
    return std::any_of(logs_.begin(), logs_.end(),
                       [&](const std::string& m) { return m.find(text) != std::string::npos; });
  }

 private:
  void Started() {
    {
      std::lock_guard lock(ledger_.mutex);
      ledger_.max_leaders = std::max(ledger_.max_leaders, ++ledger_.leaders);
      ++ledger_.terms;
    }
    std::lock_guard lock(mutex_);
    leading_ = true;
    started_at_ = Clock::now();
    ++started_count_;
    cv_.notify_all();
  }
  void Stopped() {
    {
      std::lock_guard lock(ledger_.mutex);
      --ledger_.leaders;
    }
    std::lock_guard lock(mutex_);
    leading_ = false;
    stopped_at_ = Clock::now();
    ++stopped_count_;
    cv_.notify_all();
  }
  void Logged(const std::string& message) {
    std::lock_guard lock(mutex_);
    logs_.push_back(message);
  }

  Ledger& ledger_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool leading_ = false;
  Clock::time_point started_at_{};
  Clock::time_point stopped_at_{};
  int started_count_ = 0;
  int stopped_count_ = 0;
  std::vector<std::string> logs_;
  k8s::Client client_;     // declared before elector_: the elector stops first
  LeaderElector elector_;
};

class LeaderTest : public ::testing::Test {
 protected:
  json Spec() {
    const auto lease = server_.Object(k8s::kLeases, kNs, kLease);
    return lease ? lease->value("spec", json::object()) : json();
  }
  std::string Holder() { return Spec().value("holderIdentity", ""); }

  // A Lease held by "ghost", written as another process would; its timestamps are far in the
  // past on purpose: expiry must be judged by local observation, not by comparing clocks.
  void PutGhostLease(int renewal, int duration_seconds) {
    server_.Put(k8s::kLeases,
                json{{"apiVersion", "coordination.k8s.io/v1"},
                     {"kind", "Lease"},
                     {"metadata", {{"name", kLease}, {"namespace", kNs}}},
                     {"spec",
                      {{"holderIdentity", "ghost"},
                       {"leaseDurationSeconds", duration_seconds},
                       {"acquireTime", "2000-01-01T00:00:00.000000Z"},
                       {"renewTime", "2000-01-01T00:00:00." + std::to_string(100000 + renewal) +
                                         "Z"},
                       {"leaseTransitions", 3}}}});
  }

  FakeApiServer server_;
  Ledger ledger_;
};

TEST_F(LeaderTest, SingleCandidateAcquiresAndRenews) {
  Candidate a(server_, "pod-a", ledger_);
  a.elector().Start();
  ASSERT_TRUE(a.WaitLeading(3s));
  EXPECT_TRUE(a.elector().IsLeader());
  const json spec = Spec();
  EXPECT_EQ(spec.value("holderIdentity", ""), "pod-a");
  EXPECT_EQ(spec.value("leaseDurationSeconds", 0), 2);  // 1500 ms, rounded up
  EXPECT_EQ(spec.value("leaseTransitions", -1), 0);
  EXPECT_FALSE(spec.value("acquireTime", "").empty());

  std::this_thread::sleep_for(600ms);  // three retry periods: renewed at least twice
  const json later = Spec();
  EXPECT_EQ(later.value("holderIdentity", ""), "pod-a");
  EXPECT_NE(later.value("renewTime", ""), spec.value("renewTime", ""));
  EXPECT_EQ(later.value("acquireTime", ""), spec.value("acquireTime", ""));  // same term
  EXPECT_GE(server_.CountRequests("PUT", "/leases/"), 2);
  EXPECT_EQ(a.started_count(), 1);
}

// An idle leader costs one API request per retry period, as with client-go: it renews with an
// update carrying the resourceVersion it last wrote, without reading the Lease first (issue 14:
// the real-server bench counted a GET and a PUT every 2 s).
TEST_F(LeaderTest, LeaderRenewsWithOneRequestPerRetryPeriod) {
  Candidate a(server_, "pod-a", ledger_);
  a.elector().Start();
  ASSERT_TRUE(a.WaitLeading(3s));
  std::this_thread::sleep_for(100ms);  // past the acquisition's requests
  const int gets = server_.CountRequests("GET", "/leases/");
  const int puts = server_.CountRequests("PUT", "/leases/");
  std::this_thread::sleep_for(1000ms);  // five retry periods
  EXPECT_GE(server_.CountRequests("PUT", "/leases/") - puts, 4);
  EXPECT_EQ(server_.CountRequests("GET", "/leases/") - gets, 0);
  EXPECT_EQ(Holder(), "pod-a");
  EXPECT_EQ(a.started_count(), 1);
  EXPECT_EQ(a.stopped_count(), 0);
}

TEST_F(LeaderTest, TwoCandidatesExactlyOneLeaderAtAnyTime) {
  Candidate a(server_, "pod-a", ledger_);
  Candidate b(server_, "pod-b", ledger_);
  a.elector().Start();
  b.elector().Start();
  const auto deadline = Clock::now() + 3s;
  while (!a.leading() && !b.leading() && Clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(a.leading() || b.leading());

  // Watch for three seconds (two lease durations): one leader, the one the Lease names, no flaps.
  const auto watch_until = Clock::now() + 3s;
  while (Clock::now() < watch_until) {
    const int leading = int(a.elector().IsLeader()) + int(b.elector().IsLeader());
    ASSERT_LE(leading, 1);
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(a.leading(), b.leading());
  EXPECT_EQ(Holder(), a.leading() ? "pod-a" : "pod-b");
  std::lock_guard lock(ledger_.mutex);
  EXPECT_EQ(ledger_.max_leaders, 1);
  EXPECT_EQ(ledger_.terms, 1);
}

TEST_F(LeaderTest, StopReleasesTheLeaseAndCallsOnStoppedLeadingOnce) {
  Candidate a(server_, "pod-a", ledger_);
  a.elector().Start();
  ASSERT_TRUE(a.WaitLeading(3s));
  a.elector().Stop();
  EXPECT_FALSE(a.elector().IsLeader());
  EXPECT_EQ(a.stopped_count(), 1);  // already called when Stop returns
  const json spec = Spec();
  EXPECT_EQ(spec.value("holderIdentity", ""), "");
  EXPECT_EQ(spec.value("leaseDurationSeconds", 0), 1);
  a.elector().Stop();  // idempotent
  EXPECT_EQ(a.stopped_count(), 1);
}

TEST_F(LeaderTest, StoppedLeaderIsSucceededWellBeforeTheLeaseDuration) {
  Candidate a(server_, "pod-a", ledger_);
  Candidate b(server_, "pod-b", ledger_);
  a.elector().Start();
  ASSERT_TRUE(a.WaitLeading(3s));
  b.elector().Start();
  std::this_thread::sleep_for(300ms);  // b has seen a's Lease
  ASSERT_FALSE(b.leading());

  const auto stopped = Clock::now();
  a.elector().Stop();
  ASSERT_TRUE(b.WaitLeading(3s));
  EXPECT_LT(b.started_at() - stopped, 800ms);  // the lease (1500 ms) was not waited out
  EXPECT_LE(a.stopped_at(), b.started_at());
  EXPECT_EQ(Holder(), "pod-b");
  EXPECT_EQ(Spec().value("leaseTransitions", -1), 1);
  std::lock_guard lock(ledger_.mutex);
  EXPECT_EQ(ledger_.max_leaders, 1);
}

TEST_F(LeaderTest, VanishedLeaderIsReplacedOnlyAfterTheLeaseExpires) {
  Candidate a(server_, "pod-a", ledger_);
  Candidate b(server_, "pod-b", ledger_);
  a.elector().Start();
  ASSERT_TRUE(a.WaitLeading(3s));
  b.elector().Start();
  std::this_thread::sleep_for(500ms);
  ASSERT_FALSE(b.leading());

  // a loses the API server for good: it can neither renew nor release.
  const auto cut = Clock::now();
  a.client().Cancel();
  ASSERT_TRUE(b.WaitLeading(6s));
  // a last renewed at most one retry period (200 ms) before the cut; b must wait out the
  // lease from when it saw that renewal.
  EXPECT_GE(b.started_at() - cut, 1500ms);
  EXPECT_LT(b.started_at() - cut, 3500ms);
  // a stepped down by itself within its renew deadline, before b took over.
  ASSERT_EQ(a.stopped_count(), 1);
  EXPECT_LT(a.stopped_at() - cut, 1300ms);
  EXPECT_LT(a.stopped_at(), b.started_at());
  EXPECT_FALSE(a.elector().IsLeader());
  EXPECT_EQ(Holder(), "pod-b");
  EXPECT_EQ(Spec().value("leaseTransitions", -1), 1);
  std::lock_guard lock(ledger_.mutex);
  EXPECT_EQ(ledger_.max_leaders, 1);
}

TEST_F(LeaderTest, LeaderWhoseRenewalsFailStepsDownWithinRenewDeadline) {
  Candidate a(server_, "pod-a", ledger_);
  a.elector().Start();
  ASSERT_TRUE(a.WaitLeading(3s));
  std::this_thread::sleep_for(300ms);

  const auto cut = Clock::now();
  server_.RequireToken("someone-else");  // a's requests now get 401
  ASSERT_TRUE(a.WaitStopped(3s));
  // Not at the first failed renewal (it tolerates errors until the deadline), not later than
  // the deadline after the last success (at most one retry period before the cut).
  EXPECT_GE(a.stopped_at() - cut, 700ms);
  EXPECT_LE(a.stopped_at() - cut, 1250ms);
  EXPECT_FALSE(a.elector().IsLeader());
  EXPECT_TRUE(a.LogMentions("401"));
  EXPECT_EQ(Holder(), "pod-a");  // nobody could write it
}

TEST_F(LeaderTest, LeaderSeeingAnotherHolderStepsDownAtOnce) {
  Candidate a(server_, "pod-a", ledger_);
  a.elector().Start();
  ASSERT_TRUE(a.WaitLeading(3s));
  const auto stolen = Clock::now();
  PutGhostLease(0, 3600);  // written over a's Lease, as by a misconfigured second operator
  ASSERT_TRUE(a.WaitStopped(3s));
  // At the next renewal (one retry period), not after the renew deadline (1000 ms).
  EXPECT_LT(a.stopped_at() - stolen, 500ms);
  EXPECT_TRUE(a.LogMentions("ghost"));
  EXPECT_EQ(Holder(), "ghost");  // not overwritten: the ghost's lease has not expired
}

TEST_F(LeaderTest, ShortOutageWithinRenewDeadlineKeepsLeadership) {
  Candidate a(server_, "pod-a", ledger_);
  a.elector().Start();
  ASSERT_TRUE(a.WaitLeading(3s));
  server_.RequireToken("someone-else");
  std::this_thread::sleep_for(500ms);
  server_.RequireToken("");
  const std::string renewed = Spec().value("renewTime", "");
  std::this_thread::sleep_for(1000ms);
  EXPECT_TRUE(a.elector().IsLeader());
  EXPECT_EQ(a.stopped_count(), 0);
  EXPECT_EQ(a.started_count(), 1);
  EXPECT_NE(Spec().value("renewTime", ""), renewed);  // renewing again
  EXPECT_TRUE(a.LogMentions("401"));
}

TEST_F(LeaderTest, ForeignLeaseIsRespectedWhileRenewedAndTakenWhenItExpires) {
  PutGhostLease(0, 1);
  Candidate a(server_, "pod-a", ledger_);
  a.elector().Start();
  // The ghost keeps renewing (renewTime changes, still in the year 2000) for 2.5 s.
  Clock::time_point last_renewal;
  for (int i = 1; i <= 8; ++i) {
    std::this_thread::sleep_for(300ms);
    PutGhostLease(i, 1);
    last_renewal = Clock::now();
    ASSERT_FALSE(a.leading()) << "took a lease that was being renewed";
  }
  ASSERT_TRUE(a.WaitLeading(3s));
  EXPECT_GE(a.started_at() - last_renewal, 1000ms);  // leaseDurationSeconds 1, judged locally
  EXPECT_LT(a.started_at() - last_renewal, 2000ms);
  EXPECT_EQ(Holder(), "pod-a");
  EXPECT_EQ(Spec().value("leaseTransitions", -1), 4);
}

TEST_F(LeaderTest, StopIsPromptAndLeavesAForeignLeaseAlone) {
  PutGhostLease(0, 3600);
  Candidate a(server_, "pod-a", ledger_, 5s, 10s, 15s);  // long waits between attempts
  a.elector().Start();
  std::this_thread::sleep_for(200ms);  // a has read the Lease and sleeps for 5 s
  EXPECT_GE(server_.CountRequests("GET", "/leases/"), 1);
  const auto start = Clock::now();
  a.elector().Stop();
  EXPECT_LT(Clock::now() - start, 300ms);
  EXPECT_EQ(a.stopped_count(), 0);  // never led
  EXPECT_EQ(server_.CountRequests("PUT", "/leases/"), 0);
  EXPECT_EQ(Holder(), "ghost");
}

TEST_F(LeaderTest, StopWithoutStartIsHarmless) {
  Candidate a(server_, "pod-a", ledger_);
  a.elector().Stop();
  a.elector().Start();  // after Stop: stays stopped
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(a.leading());
  EXPECT_EQ(server_.CountRequests("GET", "/leases/"), 0);
}

}  // namespace
}  // namespace pgpart::op
