// WorkQueue: de-duplication, one worker per key, delays, backoff and shutdown.

#include "operator/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

namespace pgpart::op {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

TEST(WorkQueueTest, AddDeduplicatesAndKeepsFifoOrder) {
  WorkQueue q;
  q.Add("db/b");
  q.Add("db/a");
  q.Add("db/b");
  EXPECT_EQ(q.Ready(), 2u);
  EXPECT_EQ(q.Get(0ms), "db/b");
  EXPECT_EQ(q.Get(0ms), "db/a");
  EXPECT_EQ(q.Get(20ms), std::nullopt);
}

TEST(WorkQueueTest, GetTimesOutOnAnEmptyQueue) {
  WorkQueue q;
  const auto start = Clock::now();
  EXPECT_EQ(q.Get(100ms), std::nullopt);
  EXPECT_GE(Since(start), 100ms);
  EXPECT_LT(Since(start), 1000ms);
}

TEST(WorkQueueTest, KeyBeingProcessedIsRequeuedOnDoneNotHandedOutTwice) {
  WorkQueue q;
  q.Add("db/a");
  ASSERT_EQ(q.Get(0ms), "db/a");
  q.Add("db/a");  // changed while a worker reconciles it
  q.Add("db/a");
  EXPECT_EQ(q.Ready(), 0u);
  EXPECT_EQ(q.Get(50ms), std::nullopt);  // a second worker must not get it
  q.Done("db/a");
  EXPECT_EQ(q.Ready(), 1u);
  EXPECT_EQ(q.Get(0ms), "db/a");
  q.Done("db/a");
  EXPECT_EQ(q.Get(20ms), std::nullopt);  // once only: both adds were folded into one
}

TEST(WorkQueueTest, DoneWithoutAddDoesNotRequeue) {
  WorkQueue q;
  q.Add("db/a");
  ASSERT_EQ(q.Get(0ms), "db/a");
  q.Done("db/a");
  EXPECT_EQ(q.Ready(), 0u);
  EXPECT_EQ(q.Get(20ms), std::nullopt);
}

TEST(WorkQueueTest, AddAfterWakesGetWhenTheTimeComes) {
  WorkQueue q;
  const auto start = Clock::now();
  q.AddAfter("db/a", 150ms);
  EXPECT_EQ(q.Ready(), 0u);
  EXPECT_EQ(q.Delayed(), 1u);
  EXPECT_EQ(q.Get(5s), "db/a");  // a plain wait for the 5 s timeout would fail the bound below
  EXPECT_GE(Since(start), 150ms);
  EXPECT_LT(Since(start), 1000ms);
  EXPECT_EQ(q.Delayed(), 0u);
}

TEST(WorkQueueTest, AddAfterKeepsTheEarliestDeadline) {
  WorkQueue q;
  const auto start = Clock::now();
  q.AddAfter("db/a", 2s);
  q.AddAfter("db/a", 100ms);  // earlier: wins
  q.AddAfter("db/a", 3s);     // later: ignored
  EXPECT_EQ(q.Delayed(), 1u);
  EXPECT_EQ(q.Get(5s), "db/a");
  EXPECT_LT(Since(start), 1000ms);
  q.Done("db/a");
  EXPECT_EQ(q.Get(300ms), std::nullopt);  // no leftover deadline fires later
}

TEST(WorkQueueTest, GetWakesEarlierWhenAnEarlierDeadlineArrivesWhileWaiting) {
  WorkQueue q;
  q.AddAfter("db/late", 3s);
  std::optional<std::string> got;
  Clock::time_point returned;
  std::thread worker([&] {
    got = q.Get(5s);
    returned = Clock::now();
  });
  std::this_thread::sleep_for(50ms);  // let the worker sleep towards the 3 s deadline
  const auto start = Clock::now();
  q.AddAfter("db/soon", 100ms);
  worker.join();
  EXPECT_EQ(got, "db/soon");
  EXPECT_LT(returned - start, 1000ms);
  EXPECT_EQ(q.Delayed(), 1u);  // db/late still waits
}

TEST(WorkQueueTest, AddAfterLeavesAKeyQueuedForNowAlone) {
  WorkQueue q;
  q.Add("db/a");
  q.AddAfter("db/a", 100ms);
  EXPECT_EQ(q.Ready(), 1u);
  EXPECT_EQ(q.Delayed(), 0u);
  ASSERT_EQ(q.Get(0ms), "db/a");
  q.Done("db/a");
  EXPECT_EQ(q.Get(300ms), std::nullopt);
}

TEST(WorkQueueTest, AddNowSupersedesAPendingDelay) {
  WorkQueue q;
  q.AddAfter("db/a", 10s);
  q.Add("db/a");
  EXPECT_EQ(q.Ready(), 1u);
  EXPECT_EQ(q.Delayed(), 0u);
  EXPECT_EQ(q.Get(0ms), "db/a");
}

TEST(WorkQueueTest, DelayedKeyDueWhileProcessingWaitsForDone) {
  WorkQueue q;
  q.Add("db/a");
  ASSERT_EQ(q.Get(0ms), "db/a");
  q.AddAfter("db/a", 30ms);
  EXPECT_EQ(q.Get(200ms), std::nullopt);  // due by now, but still held by the first worker
  EXPECT_EQ(q.Ready(), 0u);
  q.Done("db/a");
  EXPECT_EQ(q.Get(0ms), "db/a");
}

TEST(WorkQueueTest, RateLimitedBackoffDoublesCapsAndResetsOnForget) {
  WorkQueue q(Backoff{.base = 10ms, .max = 50ms});
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 5; ++i) delays.push_back(q.AddRateLimited("db/a"));
  EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{10ms, 20ms, 40ms, 50ms, 50ms}));
  EXPECT_EQ(q.Failures("db/a"), 5);
  EXPECT_EQ(q.Failures("db/b"), 0);
  q.Forget("db/a");
  EXPECT_EQ(q.Failures("db/a"), 0);
  EXPECT_EQ(q.AddRateLimited("db/a"), 10ms);
}

TEST(WorkQueueTest, BackoffDoesNotOverflowAfterManyFailures) {
  WorkQueue q(Backoff{.base = 500ms, .max = 300s});
  std::chrono::milliseconds last{};
  for (int i = 0; i < 200; ++i) last = q.AddRateLimited("db/a");
  EXPECT_EQ(last, 300s);
}

TEST(WorkQueueTest, RateLimitedKeyComesBackAfterItsDelay) {
  WorkQueue q(Backoff{.base = 120ms, .max = 1s});
  const auto start = Clock::now();
  EXPECT_EQ(q.AddRateLimited("db/a"), 120ms);
  EXPECT_EQ(q.Get(5s), "db/a");
  EXPECT_GE(Since(start), 120ms);
  EXPECT_LT(Since(start), 1000ms);
}

TEST(WorkQueueTest, ShutDownWakesWaitingGetAndIgnoresLaterAdds) {
  WorkQueue q;
  q.AddAfter("db/a", 10s);
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = q.Get(std::chrono::hours(1)); });
  std::this_thread::sleep_for(50ms);
  const auto start = Clock::now();
  q.ShutDown();
  worker.join();
  EXPECT_EQ(got, std::nullopt);
  EXPECT_LT(Since(start), 500ms);
  EXPECT_TRUE(q.ShuttingDown());
  q.Add("db/b");
  EXPECT_EQ(q.Ready(), 0u);
  EXPECT_EQ(q.Get(0ms), std::nullopt);
}

// Many workers, many adds: a key is never processed by two workers at once, and the last add of
// every key is seen by a run that started after it (a worker reads the key's version on Get).
TEST(WorkQueueTest, ConcurrentWorkersNeverShareAKeyAndMissNoAdd) {
  WorkQueue q;
  constexpr int kKeys = 5;
  std::atomic<int> in_flight[kKeys] = {};
  std::atomic<int> added[kKeys] = {};  // version of the last add
  std::atomic<int> seen[kKeys] = {};   // highest version a finished run started from
  std::atomic<int> overlaps{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.Get(std::chrono::hours(1))) {
        const int k = (*key)[3] - '0';
        const int version = added[k];
        if (in_flight[k].fetch_add(1) != 0) ++overlaps;
        std::this_thread::sleep_for(200us);
        in_flight[k].fetch_sub(1);
        if (version > seen[k]) seen[k] = version;  // one worker per key: no lost update
        q.Done(*key);
      }
    });
  }
  for (int i = 1; i <= 2000; ++i) {
    added[i % kKeys] = i;  // before Add, so the Get that follows sees it
    q.Add("db/" + std::to_string(i % kKeys));
  }
  const auto caught_up = [&] {
    for (int k = 0; k < kKeys; ++k) {
      if (seen[k] != added[k]) return false;
    }
    return true;
  };
  const auto deadline = Clock::now() + 5s;
  while (!caught_up() && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  q.ShutDown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(overlaps, 0);
  EXPECT_TRUE(caught_up());
}

}  // namespace
}  // namespace pgpart::op
