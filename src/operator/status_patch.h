#pragma once
// The PartitionPolicy status the operator writes (crds/: status), built from what a reconcile
// found: kstatus conditions (Ready, Reconciling, Stalled) that keep their lastTransitionTime
// while their status is unchanged, the plan summary, partitions per table, held and blocked
// steps, and the last apply. Pure: no I/O, the clock is passed in.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "plan/plan.h"
#include "plan/status.h"

namespace pgpart::op {

// What one reconcile concluded.
struct Verdict {
  bool ready = false;
  bool stalled = false;       // needs a fix or is failing; retried with backoff
  bool reconciling = false;   // work in progress (set while applying)
  std::string reason;         // CamelCase: Reconciled, DryRun, Suspended, Blocked, InvalidSpec, ...
  std::string message;        // one line, no secrets
};

struct LastApplied {
  std::string time;   // RFC 3339
  std::string hash;   // the applied plan's catalog_hash+policy_hash digest
  int steps = 0;      // steps applied
  std::string summary;  // "2 created, 1 dropped"
};

struct StatusInputs {
  int64_t generation = 0;
  Verdict verdict;
  std::string now;                // RFC 3339, for lastTransitionTime
  const Plan* plan = nullptr;     // the plan as it stands after the reconcile (null: unknown)
  const Status* status = nullptr; // the tables' status from that plan (null: unknown)
  std::optional<LastApplied> last_applied;  // set when this reconcile applied steps
};

// The whole `status` object to merge-patch. `previous` is the object's current status (or null).
// Fields this reconcile knows nothing about (plan, partitions when the database was unreachable;
// lastApplied when nothing was applied) are left out, so the merge patch keeps the last known.
nlohmann::json BuildStatus(const nlohmann::json& previous, const StatusInputs& in);

// True when `a` and `b` say the same thing, ignoring times (lastTransitionTime, generatedAt):
// the operator then skips the write.
bool SameStatus(const nlohmann::json& a, const nlohmann::json& b);

// "3 to create, 1 to drop, 2 held" ("nothing to do" when empty).
std::string PlanSummaryText(const PlanSummary& summary);

// The plan's identity for status: the first 16 hex digits of PlanHash (plan/planner.h).
std::string PlanDigest(const Plan& plan);

}  // namespace pgpart::op
