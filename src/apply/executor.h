#pragma once
// The executor (docs/apply.md): consumes a Plan and changes the database, table by table, under a
// session advisory lock per parent, with lock/statement timeouts, retries, precondition re-checks,
// backup gates right before each drop, and an audit row per step.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "catalog/reader.h"
#include "core/diagnostic.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pqxx {
class connection_base;
}

namespace pgpart {

enum class StepOutcome {
  kApplied,        // ran and committed
  kAlreadyDone,    // the fresh plan no longer needs it (applied by someone else, or moot)
  kHeld,           // a hold protects it (not a failure)
  kBlocked,        // gate failed, lock not obtained after retries, limit hit, or changed since
  kSkippedLocked,  // another pgpart apply holds this table's advisory lock
  kFailed,         // an error; the table's remaining steps are not run
  kNotRun,         // after a failure on the same table
};

// "applied", "already_done", "held", "blocked", "skipped_locked", "failed", "not_run".
std::string OutcomeName(StepOutcome outcome);

struct StepReport {
  Step step;
  StepOutcome outcome = StepOutcome::kNotRun;
  std::optional<int64_t> rows;  // exact rows detached/dropped/archived, or rows moved by a drain
  std::string detail;           // why blocked/failed/skipped, or what the gate said
  double seconds = 0;
};

struct ApplyOptions {
  bool audit = true;
  QualifiedName audit_table{"pgpart", "history"};  // --audit-table
  std::string actor;
  int64_t now_micros = 0;  // the clock for the precondition re-plan (the plan's `at`)
  std::optional<int> max_drops;
  int64_t backoff_base_ms = 100;  // first retry delay; doubles, capped at 1 s, with jitter
  // Test hook: stop at the Nth checkpoint (before each step and each statement group) and wait
  // to be killed. 0 = off. The CLI reads it from PGPART_TEST_PAUSE_AT.
  int pause_at_checkpoint = 0;
  // Progress lines as work happens ("moving 1200 rows ...").
  std::function<void(const std::string&)> on_progress;
  // Called once per step when it is settled.
  std::function<void(const StepReport&)> on_step;
  // Asked before each step: true stops the apply after the step in progress (shutdown, lost
  // leadership); the steps left are reported kNotRun.
  std::function<bool()> should_stop;
};

// Settled steps by how they ended, as the apply's summary line and its run rows count them:
// skipped (locked) counts as blocked, not run as failed.
struct OutcomeCounts {
  int64_t applied = 0, already_done = 0, held = 0, blocked = 0, failed = 0;
  // Counts one outcome; true when it is a problem (blocked or failed).
  bool Add(StepOutcome outcome);
};

struct ApplyReport {
  std::vector<StepReport> steps;
  Diagnostics diagnostics;  // errors outside any one step (audit table, lost connection)
  // 0 converged, 3 finished with blocked/skipped steps, 1 error (README: Exit codes).
  int ExitCode() const;
};

// What the catalog reader must read to plan `policies`: each named table once (the first policy
// naming it decides), with its range grid so default-partition rows are counted by period.
std::vector<TableRequest> CatalogRequests(const std::vector<Policy>& policies);

// Executes `plan` (its planned steps, in order). Before each table's steps it takes the table's
// advisory lock and re-plans that table from a fresh catalog read with `policies`: a step the
// fresh plan no longer contains is reported kAlreadyDone; one whose statements differ is blocked
// as changed. `conn` must have no open transaction. Never throws.
ApplyReport ExecutePlan(pqxx::connection_base& conn, const Plan& plan,
                        const std::vector<Policy>& policies, const ApplyOptions& options);

}  // namespace pgpart
