#pragma once
// The operator's main loop (`pgpart operator`): an informer (list, then watch from the list's
// resourceVersion; relist on 410 Gone or a failed watch) keeping a cache of PartitionPolicies,
// a work queue keyed by namespace/name, workers reconciling keys (only while leading), leader
// election over a Lease, and the /metrics, /healthz and /readyz endpoints.

#include <chrono>
#include <string>

#include "core/ident.h"
#include "k8s/config.h"
#include "operator/leader.h"
#include "operator/work_queue.h"

namespace pgpart::op {

struct ControllerOptions {
  std::string watch_namespace;  // "" = every namespace
  // Policies reconciled at once (never one policy twice: the work queue hands a key to one
  // worker). Two keep a database that takes its connect timeout to fail from holding up others.
  int workers = 2;
  std::chrono::milliseconds resync{std::chrono::minutes(10)};
  bool leader_elect = false;
  LeaderConfig leader;         // lease_namespace, lease_name, identity, durations
  std::string metrics_bind;    // "" = no metrics endpoint
  std::string health_bind;     // "" = no health endpoint
  Backoff backoff{std::chrono::seconds(1), std::chrono::minutes(5)};
  QualifiedName audit_table{"pgpart", "history"};  // where applies are recorded
};

// Runs until SIGTERM or SIGINT, then finishes the step in progress, releases the lease and
// returns 0; returns 1 when it cannot start (endpoint address in use, bad address). Blocks
// SIGTERM/SIGINT in the calling thread: call it from the main thread before starting others.
int RunController(const k8s::ClusterConfig& cluster, const ControllerOptions& options);

}  // namespace pgpart::op
