#pragma once
// The operator's work queue: keys ("namespace/name") waiting to be reconciled, in the manner of
// client-go's rate-limited delaying queue. A key is queued at most once however often it is
// added (de-duplication); a key being processed is never handed to a second worker — adding it
// meanwhile marks it to be queued again when Done is called. Delayed adds keep the earliest
// deadline. Failing keys back off exponentially per key until Forget. Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace pgpart::op {

struct Backoff {
  std::chrono::milliseconds base{500};      // the first retry's delay
  std::chrono::milliseconds max{300'000};   // the cap (5 min)
};

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkQueue(Backoff backoff = {});

  // Queues `key` now (unless it is already queued). A pending later deadline for it is dropped:
  // the reconcile about to run covers it (client-go would run the key twice).
  void Add(const std::string& key);
  // Queues `key` after `delay`; when it is already waiting for a later time, the earlier wins; a
  // key already queued for now is left as it is.
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // Queues `key` after its backoff, which doubles (base, 2·base, ... max) each call until Forget.
  // Returns the delay used.
  std::chrono::milliseconds AddRateLimited(const std::string& key);
  // Resets `key`'s backoff (after a success).
  void Forget(const std::string& key);
  // How many AddRateLimited calls since the last Forget.
  int Failures(const std::string& key) const;

  // Blocks until a key is ready (its time has come and no worker holds it), the queue is shut
  // down (nullopt), or `timeout` passes (nullopt). The caller must call Done(key) when finished.
  std::optional<std::string> Get(std::chrono::milliseconds timeout = std::chrono::hours(24));
  // Marks `key` finished; if it was added while being processed it is queued again.
  void Done(const std::string& key);

  // Wakes every Get with nullopt; later adds are ignored.
  void ShutDown();
  bool ShuttingDown() const;

  // Keys ready now (not counting delayed ones or ones being processed), for tests and metrics.
  size_t Ready() const;
  // Keys waiting for a later time.
  size_t Delayed() const;

 private:
  // Queues `key` for now; the caller holds mutex_.
  void AddLocked(const std::string& key);
  // Drops `key`'s pending deadline, if any; the caller holds mutex_.
  void EraseDelayedLocked(const std::string& key);
  // Moves keys whose deadline has passed into the ready queue; the caller holds mutex_.
  void PromoteDueLocked(Clock::time_point now);

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  Backoff backoff_;
  bool shutting_down_ = false;
  // Invariants: a key is in queue_ iff it is dirty and not processing; a delayed key is never
  // dirty (queued-for-now beats any later deadline), so each key has at most one pending time.
  std::deque<std::string> queue_;                     // ready keys, FIFO
  std::set<std::string> dirty_;                       // queued for now (or re-queue after Done)
  std::set<std::string> processing_;                  // handed out by Get, not yet Done
  std::map<std::string, Clock::time_point> delayed_;  // key → when
  std::multimap<Clock::time_point, std::string> deadlines_;  // when → key, earliest first
  std::map<std::string, int> failures_;
};

}  // namespace pgpart::op
