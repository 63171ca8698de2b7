#pragma once
// One reconcile of one PartitionPolicy: the same loader, catalog reader, planner and executor as
// the CLI (no second implementation), then the status, events and metrics that say what happened.
// Expected failures (bad spec, Secret missing, database down, table missing, failed step) become a
// Stalled status with a clear reason and a retry with backoff; nothing here throws.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "k8s/client.h"
#include "operator/claims.h"
#include "operator/events.h"
#include "operator/metrics.h"
#include "operator/secret_cache.h"
#include "plan/status.h"
#include "policy/policy.h"

namespace pgpart::op {

struct ReconcilerOptions {
  std::string actor = "pgpart-operator";  // recorded in the audit table
  QualifiedName audit_table{"pgpart", "history"};  // --audit-table
  // Asked between steps: true stops an apply after the step in progress (SIGTERM, lost lease).
  std::function<bool()> should_stop;
  // False once this replica lost its lease: it then writes no status (the new leader does), so a
  // late write cannot overwrite the successor's. Unset = always write.
  std::function<bool()> may_write_status;
  std::function<void(const std::string&)> log;
  // The longest the operator waits before looking again (the periodic resync).
  std::chrono::milliseconds resync{std::chrono::minutes(10)};
  // How long a Secret read is shared by the reconciles of policies that name it (SecretCache);
  // an edited policy, and one whose last reconcile failed, read it afresh.
  std::chrono::milliseconds secret_ttl{std::chrono::seconds(30)};
  // The earliest other policy claiming one of this policy's tables in the same database
  // (claims.h), from the controller's cache of every watched policy. A policy with such a
  // conflict is refused whole (Stalled, reason TableClaimed) and looked at again when a policy
  // changes or goes, or at the next resync. Unset: not checked.
  std::function<std::optional<ClaimConflict>(const TableClaim&)> earlier_claim;
};

struct ReconcileResult {
  std::string result;  // success | blocked | error | suspended (pgpart_reconcile_total's label)
  bool backoff = false;  // retry with the key's exponential backoff
  // Look again after this long: the next instant the plan changes (a period boundary, a hold's
  // expiry, a partition ageing out), at most the resync period. Unset with backoff.
  std::optional<std::chrono::milliseconds> requeue_after;
  int applied = 0;  // steps applied
};

class Reconciler {
 public:
  // `client`, `events` and `metrics` must outlive the reconciler.
  Reconciler(k8s::Client& client, EventRecorder& events, Metrics& metrics,
             ReconcilerOptions options);

  // Reconciles the PartitionPolicy `object` (as last seen by the watch) and writes its status.
  ReconcileResult Reconcile(const nlohmann::json& object);

 private:
  struct Run;
  k8s::Client& client_;
  EventRecorder& events_;
  Metrics& metrics_;
  ReconcilerOptions options_;
  SecretCache secrets_;
};

// How long until the plan of `policies` over `catalog` next changes on its own — a period
// boundary (premake moves on), a partition ageing out of retention, a hold expiring — plus a
// second, found with the forecast (plan/forecast.h); `resync` when nothing happens before then.
std::chrono::milliseconds NextWake(const std::vector<Policy>& policies, const Catalog& catalog,
                                   int64_t now_micros, std::chrono::milliseconds resync);

}  // namespace pgpart::op
