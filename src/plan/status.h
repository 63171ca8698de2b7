#pragma once
// The status (pgpart status): each managed table's health, derived from a Plan, the Catalog it was
// computed from and the policies. Pure: never does I/O and never reads the clock.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/diagnostic.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pgpart {

// A table is unhealthy below this many whole future periods covered.
constexpr int64_t kMinFutureBufferPeriods = 2;

// Retention due for longer than this is a warning unless StatusOptions says otherwise: a day
// leaves room for a daily maintenance run that has not come round yet.
constexpr int64_t kDefaultRetentionGraceMicros = 24LL * 3600 * 1'000'000;

struct StatusOptions {
  int64_t retention_grace_micros = kDefaultRetentionGraceMicros;  // >= 0
};

enum class Health { kOk, kWarning, kError };
std::string HealthName(Health h);  // "ok", "warning", "error"

// A partition a hold keeps from its retention step.
struct HeldPartition {
  std::string partition;  // name (schema-qualified only when not in the parent's schema)
  std::string held_by;    // the hold's reason (+ expiry), as on the plan's step
  friend bool operator==(const HeldPartition&, const HeldPartition&) = default;
};

// When the oldest partition falls out of retention: its upper bound + keep.
struct RetentionEvent {
  std::string partition;
  std::string action;  // "drop" | "detach" | "archive"
  std::string at;      // instant (InstantText) for time keys; "" for integer keys
  std::optional<int64_t> at_micros;
  std::string when;             // integer keys: "max(key) >= N"; time keys: same as `at`
  bool due = false;             // expired already (the plan has, or holds, its step)
  bool gate_checked = false;    // a drop behind a backup gate (checked before dropping)
  std::string gate;             // gate kind ("sql", "pgbackrest", ...) when gate_checked
  friend bool operator==(const RetentionEvent&, const RetentionEvent&) = default;
};

// A partition whose retention step has been due for longer than the grace and is still there
// (time keys; a held partition is not overdue).
// A step that cannot run: "detach t_y2024m01: <why>" as Text() writes it.
struct BlockedStep {
  std::string action;     // "drop", "detach", ...
  std::string partition;  // as in HeldPartition
  std::string why;
  std::string Text() const { return action + " " + partition + ": " + why; }
  friend bool operator==(const BlockedStep&, const BlockedStep&) = default;
};

struct OverduePartition {
  std::string partition;  // as in HeldPartition
  std::string action;     // "drop" | "detach" | "archive"
  std::string due_since;  // InstantText of when its retention fell due
  friend bool operator==(const OverduePartition&, const OverduePartition&) = default;
};

// A former partition pgpart detached (retention action detach) or archived that still exists
// (Table::detached): data pgpart no longer manages as a partition, not to be forgotten.
struct DetachedTable {
  std::string table;   // name (schema-qualified when not in the parent's schema: archived)
  std::string action;  // "detach" (in the parent's schema) | "archive" (elsewhere)
  std::string from, to;  // the bounds it had (BoundText; "" when its marker has none)
  int64_t rows_estimate = 0;
  int64_t bytes = 0;
  std::string since;  // InstantText of its applied detach/archive in pgpart.history ("" unknown)
  // false when its marker names another table's oid (a copy, a restore): listed, never dropped.
  bool verified = true;
  friend bool operator==(const DetachedTable&, const DetachedTable&) = default;
};

struct TableStatus {
  QualifiedName table;
  std::string policy;
  bool exists = false;
  PartitionSummary partitions;  // count, oldest, newest, covered_until, default rows
  // Whole periods after the current one that are covered by the contiguous run of partitions
  // containing now (0 when now is not covered). Integer keys: the period of max(key), or of the
  // planner's starting point (spec.start, else 0) while the table is empty. nullopt when the
  // table has no time axis (hash policies): there is nothing to premake, so no buffer. Range
  // policies always have one (0 when the table is not partitioned or its key unusable).
  std::optional<int64_t> future_buffer_periods;
  std::optional<int64_t> oldest_age_seconds;  // now - lower bound of the oldest (time keys)
  int64_t bytes = 0;                          // sum of Child::bytes (default included)
  std::vector<HeldPartition> held;
  std::vector<DetachedTable> detached;  // leftovers of retention detach/archive, by name
  std::optional<RetentionEvent> next_retention;
  // One per blocked step: blocked in the plan, or planned but recorded in pgpart.history as
  // blocked or failed by the latest apply that tried it (why: "backup gate: <detail> (apply at
  // <instant>: blocked)").
  std::vector<BlockedStep> blocked;
  std::vector<OverduePartition> overdue;  // oldest first
  std::vector<std::string> drift;
  std::vector<std::string> notes;  // accepted differences (TableReport::notes): not problems
  std::optional<LastApply> last_apply;  // the catalog's (pgpart.history): the latest apply run
  std::vector<std::string> problems;  // why the health is not ok, in a stable order
  Health health = Health::kOk;
  friend bool operator==(const TableStatus&, const TableStatus&) = default;
};

struct Status {
  std::string at;  // InstantText(now)
  int64_t retention_grace_micros = kDefaultRetentionGraceMicros;  // StatusOptions'
  HistoryState history = HistoryState::kNotRead;                  // the catalog's
  std::vector<TableStatus> tables;  // in policy order, then spec.tables order
  // Partitioned tables with pgpart history that no policy manages any more (Catalog's): listed,
  // not a problem (removing a policy is a decision), so that a removal is visible.
  std::vector<QualifiedName> unmanaged_with_history;
  Diagnostics diagnostics;  // the plan's, and a warning when pgpart.history was unreadable
  Health health = Health::kOk;      // the worst of the tables' and the diagnostics'
  friend bool operator==(const Status&, const Status&) = default;
};

// Derives the status of every table the policies name. Warnings: future buffer below
// kMinFutureBufferPeriods (range policies; hash tables have no buffer), rows in the default
// partition, blocked steps (the plan's, and its planned steps whose latest outcome in
// Table::history is blocked or failed), retention overdue by more than the grace, drift.
// Errors: the table is missing (or not partitioned) or the plan carries error diagnostics. Never
// runs a backup gate: what the last apply found is the catalog's history.
Status ComputeStatus(const std::vector<Policy>& policies, const Catalog& catalog, const Plan& plan,
                     int64_t now_utc_micros, const StatusOptions& options = {});

// 0 healthy, 2 warnings, 1 errors (a monitoring check's convention).
int StatusExitCode(const Status& status);

}  // namespace pgpart
