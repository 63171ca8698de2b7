#pragma once
// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does:
// a candidate takes the Lease when it is absent, released (holderIdentity ""), or expired — judged
// by the LOCAL time since this candidate last saw the record change, never by comparing clocks
// across machines — and writes it with optimistic concurrency (the Lease's resourceVersion), so
// two candidates can never both succeed. The leader renews every retry period; when it cannot
// renew for renew_deadline it stops leading (before the lease can expire for others). Stop()
// releases a held lease so a successor need not wait out the lease.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "k8s/client.h"

namespace pgpart::op {

struct LeaderConfig {
  std::string lease_namespace;              // where the Lease lives (the operator's namespace)
  std::string lease_name = "pgpart-operator";
  std::string identity;                     // this candidate (pod name + random suffix)
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

struct LeaderCallbacks {
  std::function<void()> on_started_leading;  // called on the elector's thread
  std::function<void()> on_stopped_leading;  // called on the elector's thread
  std::function<void(const std::string&)> on_log;  // human-readable notes (acquired, lost, errors)
};

class LeaderElector {
 public:
  // `client` must outlive the elector.
  LeaderElector(k8s::Client& client, LeaderConfig config, LeaderCallbacks callbacks);
  ~LeaderElector();  // Stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Starts the election loop on its own thread. After losing leadership it becomes a candidate
  // again.
  void Start();
  // Ends the loop; if this candidate leads, releases the Lease (holderIdentity "" and
  // leaseDurationSeconds 1, keeping the resourceVersion precondition) and calls
  // on_stopped_leading. Idempotent.
  void Stop();
  bool IsLeader() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgpart::op
