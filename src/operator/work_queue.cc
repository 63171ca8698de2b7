// The operator's work queue (see work_queue.h).

#include "operator/work_queue.h"

#include <algorithm>

namespace pgpart::op {
namespace {

// Longer delays are clamped so `now + delay` cannot overflow the clock's representation; nothing
// in the operator waits this long on purpose.
constexpr std::chrono::milliseconds kMaxDelay = std::chrono::hours(24 * 365);

}  // namespace

WorkQueue::WorkQueue(Backoff backoff) : backoff_(backoff) {}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  AddLocked(key);
}

void WorkQueue::AddLocked(const std::string& key) {
  // Queued for now beats any later deadline: keeping both would reconcile the key twice.
  EraseDelayedLocked(key);
  if (!dirty_.insert(key).second) return;  // already queued
  // A key being processed goes back on the queue in Done, so no second worker gets it.
  if (processing_.count(key)) return;
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  if (delay <= std::chrono::milliseconds::zero()) {
    AddLocked(key);
    return;
  }
  if (dirty_.count(key)) return;  // already queued for now
  const Clock::time_point when = Clock::now() + std::min(delay, kMaxDelay);
  const auto it = delayed_.find(key);
  if (it != delayed_.end()) {
    if (it->second <= when) return;  // the earlier deadline wins
    EraseDelayedLocked(key);
  }
  delayed_.emplace(key, when);
  deadlines_.emplace(when, key);
  // Waiting Gets sleep until the previous earliest deadline; let them recompute it.
  cv_.notify_all();
}

std::chrono::milliseconds WorkQueue::AddRateLimited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    const int failures = failures_[key]++;
    // Double from base, stopping at the cap before the arithmetic can overflow.
    delay = std::min(backoff_.base, backoff_.max);
    for (int i = 0; i < failures && delay < backoff_.max; ++i) {
      delay = std::min(delay * 2, backoff_.max);
    }
  }
  AddAfter(key, delay);
  return delay;
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  failures_.erase(key);
}

int WorkQueue::Failures(const std::string& key) const {
  std::lock_guard lock(mutex_);
  const auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

std::optional<std::string> WorkQueue::Get(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const Clock::time_point deadline = Clock::now() + std::min(timeout, kMaxDelay);
  while (true) {
    if (shutting_down_) return std::nullopt;
    const Clock::time_point now = Clock::now();
    PromoteDueLocked(now);
    if (!queue_.empty()) {
      std::string key = std::move(queue_.front());
      queue_.pop_front();
      dirty_.erase(key);
      processing_.insert(key);
      return key;
    }
    if (now >= deadline) return std::nullopt;
    // Sleep until the caller's deadline or the earliest delayed key, whichever comes first;
    // adds and AddAfter with an earlier deadline notify us to look again.
    Clock::time_point wake = deadline;
    if (!deadlines_.empty()) wake = std::min(wake, deadlines_.begin()->first);
    cv_.wait_until(lock, wake);
  }
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mutex_);
  processing_.erase(key);
  if (shutting_down_) return;
  if (dirty_.count(key)) {  // added while it was being processed
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
  }
  cv_.notify_all();
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard lock(mutex_);
  return shutting_down_;
}

size_t WorkQueue::Ready() const {
  std::lock_guard lock(mutex_);
  // Keys whose deadline has passed are ready even if no Get has promoted them yet.
  const Clock::time_point now = Clock::now();
  size_t ready = queue_.size();
  for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) {
    if (!processing_.count(it->second)) ++ready;
  }
  return ready;
}

size_t WorkQueue::Delayed() const {
  std::lock_guard lock(mutex_);
  const Clock::time_point now = Clock::now();
  return static_cast<size_t>(std::distance(deadlines_.upper_bound(now), deadlines_.end()));
}

void WorkQueue::EraseDelayedLocked(const std::string& key) {
  const auto it = delayed_.find(key);
  if (it == delayed_.end()) return;
  auto [first, last] = deadlines_.equal_range(it->second);
  for (; first != last; ++first) {
    if (first->second == key) {
      deadlines_.erase(first);
      break;
    }
  }
  delayed_.erase(it);
}

void WorkQueue::PromoteDueLocked(Clock::time_point now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const std::string key = deadlines_.begin()->second;
    AddLocked(key);  // erases the deadline too
  }
}

}  // namespace pgpart::op
