#pragma once
// Kubernetes Events about PartitionPolicies, de-duplicated: the same (object uid, type, reason,
// note) is sent at most once per window, so a policy failing every backoff round does not flood
// the namespace. Failures to send are reported through on_log, never thrown.

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "k8s/client.h"

namespace pgpart::op {

class EventRecorder {
 public:
  using Clock = std::chrono::steady_clock;

  // `client` must outlive the recorder; `instance` is reportingInstance (the pod name).
  EventRecorder(k8s::Client& client, std::string instance,
                std::chrono::seconds window = std::chrono::hours(1),
                std::function<void(const std::string&)> on_log = {});

  // Sends an events.k8s.io/v1 Event regarding `object` (a PartitionPolicy as JSON: apiVersion,
  // kind, metadata.namespace/name/uid) unless an identical one was sent within the window.
  // `type` is "Normal" or "Warning". Returns true when sent.
  bool Record(const nlohmann::json& object, const std::string& type, const std::string& reason,
              const std::string& action, const std::string& note);

  // How many were suppressed as duplicates (for tests and logs).
  int Suppressed() const;

 private:
  // Forgets entries older than the window, and the oldest beyond kMaxRemembered, so the map
  // stays bounded however many objects come and go. The caller holds mutex_.
  void PruneLocked(Clock::time_point now);

  // Past this many distinct recent events the oldest are forgotten early (a repeat may then be
  // sent again before its window ends: better than unbounded memory).
  static constexpr size_t kMaxRemembered = 4096;

  k8s::Client& client_;
  std::string instance_;
  std::chrono::seconds window_;
  std::function<void(const std::string&)> on_log_;
  mutable std::mutex mutex_;
  std::map<std::string, Clock::time_point> sent_;  // dedupe key → when sent
  // (when, key) in sending order, for pruning from the front; an entry whose time no longer
  // matches sent_ is stale (the key was sent again later) and is skipped.
  std::deque<std::pair<Clock::time_point, std::string>> order_;
  int suppressed_ = 0;
};

}  // namespace pgpart::op
