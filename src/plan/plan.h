#pragma once
// The Plan and Step model. Plain value types with a stable order.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/diagnostic.h"
#include "core/ident.h"
#include "core/key.h"

namespace pgpart {

enum class Action {
  kCreate,
  kCreateDefault,
  kDrainDefault,
  kDetach,
  kFinalizeDetach,
  kArchive,
  kDrop,
  kInheritPrivileges,  // an existing partition's owner/grants made the parent's
  // spec.convert (docs/convert.md): a plain table becomes a partitioned one, online.
  kConvertPrepare,  // the new parent, its partitions, the change log and its triggers
  kConvertCopy,     // rows copied in batches, then the captured changes replayed
  kConvertVerify,   // row counts and checksums per period, old vs new
  kConvertSwap,     // names swapped under a short ACCESS EXCLUSIVE lock
  kConvertDropOld,  // the kept old table dropped (convert.oldTable: drop)
};
enum class Reason { kPremake, kBackfill, kRetention, kDefault, kRecovery, kDrift, kConvert };
enum class StepStatus { kPlanned, kHeld, kBlocked };
// Listed on a step in this (severity) order.
enum class Hazard {
  kDeletesData,
  kDetachesData,
  kRewritesRows,
  kAcquiresAccessExclusiveLock,
  kNonTransactional,
  kBackupUnverified,
};

std::string ActionName(Action a);      // "create", "create_default", ...
std::string ReasonName(Reason r);      // "premake", ...
std::string StatusName(StepStatus s);  // "planned", "held", "blocked"
std::string HazardName(Hazard h);      // "DELETES_DATA", ...
std::optional<Action> ActionFromName(const std::string& name);
std::optional<Reason> ReasonFromName(const std::string& name);
std::optional<StepStatus> StatusFromName(const std::string& name);
std::optional<Hazard> HazardFromName(const std::string& name);

struct Statement {
  std::string sql;
  bool transactional = true;  // false: must run outside a transaction block
  int64_t lock_timeout_ms = 0;
  int64_t statement_timeout_ms = 0;
  friend bool operator==(const Statement&, const Statement&) = default;
};

// A drop's backup gate evaluated read-only for review (`plan --check-gates`, `apply --dry-run
// --check-gates`): what it says at planning time. Apply does not go by it; it checks the gate again
// right before the drop.
struct GateCheck {
  bool passed = false;
  std::string detail;  // GateResult::detail
  friend bool operator==(const GateCheck&, const GateCheck&) = default;
};

struct Step {
  Action action = Action::kCreate;
  QualifiedName table;
  std::string policy;
  QualifiedName partition;
  std::string from;  // BoundText of the bounds ("" for default / hash children)
  std::string to;
  Reason reason = Reason::kPremake;
  StepStatus status = StepStatus::kPlanned;
  std::string held_by;     // hold reason (+ expiry) when held
  std::string blocked_by;  // why blocked
  std::vector<Hazard> hazards;
  int64_t rows_estimate = 0;
  std::vector<Statement> statements;
  std::optional<GateCheck> gate_check;  // only with --check-gates; not read back from JSON
  // What the step does beyond its statements, for review (a conversion's batches, its change
  // capture, what happens to the old table). Empty for most steps.
  std::vector<std::string> details;
  friend bool operator==(const Step&, const Step&) = default;
};

struct PartitionSummary {
  int64_t count = 0;          // children, default excluded
  std::string oldest;         // lower bound of the oldest range child ("" when none)
  std::string newest;         // lower bound of the newest
  std::string covered_until;  // upper bound of the contiguous managed run containing now
  int64_t default_rows = 0;
  bool has_default = false;
  friend bool operator==(const PartitionSummary&, const PartitionSummary&) = default;
};

struct TableReport {
  QualifiedName table;
  std::string policy;
  std::string key;  // "recorded_at timestamptz"
  PartitionSummary partitions;
  std::vector<std::string> drift;  // human sentences, stable order
  // What differs from the policy but is accepted (adopted partitions, names other than the
  // template's): information, not drift — no warning in status.
  std::vector<std::string> notes;
  friend bool operator==(const TableReport&, const TableReport&) = default;
};

struct PlanSummary {
  int create = 0, drain = 0, detach = 0, archive = 0, drop = 0, held = 0, blocked = 0;
  int privileges = 0;  // inherit_privileges steps
  int convert = 0;     // convert_* steps
  friend bool operator==(const PlanSummary&, const PlanSummary&) = default;
};

// Counts steps the way Plan::summary does: planned steps by action (create_default counts as
// create, finalize_detach as detach), then held and blocked whatever their action.
PlanSummary Summarize(const std::vector<Step>& steps);

// How many steps from `steps[i]` apply runs as one unit, in one transaction (and the SQL rendering
// shows as one): a create followed by the drain_default of the same partition (2); that pair
// followed by the drop, detach or archive of the same partition (3: the default partition's rows
// of an expired period, moved into a partition of their own that is retired at once, so that a
// hold, a failing backup gate or any error leaves them where they were); otherwise 1.
size_t UnitSize(const std::vector<Step>& steps, size_t i);

// A policy file's text as it was read, carried in a saved plan so that `apply --plan` re-checks
// holds and gates against exactly the policies that were reviewed.
struct PolicySource {
  std::string file;
  std::string text;
  friend bool operator==(const PolicySource&, const PolicySource&) = default;
};

struct Plan {
  std::string generated_at;   // instant the plan was made (UTC text); not part of equality
  std::string at;             // the clock the plan was computed for (UTC text)
  std::string catalog_hash;   // sha256 hex of the catalog's structure
  std::string policy_hash;    // sha256 hex of the policies
  DatabaseIdentity database;  // the database the catalog was read from (a snapshot: its source)
  PlanSummary summary;
  std::vector<TableReport> tables;
  std::vector<Step> steps;                   // stable order: table, then period
  Diagnostics diagnostics;                   // planning errors (e.g. table missing) and warnings
  std::vector<PolicySource> policy_sources;  // filled by the CLI; not part of equality
  // A pull-request view (`plan --base-policies`): `steps` are only those the head policies add
  // compared with the base policies, and `removed_steps` those they no longer produce. The
  // summary counts `steps` only.
  bool is_diff = false;
  std::vector<Step> removed_steps;
  // `plan --only` / `apply --only` (plan/select.h): the step kinds kept ("premake", "retention",
  // "drain"; empty: all), and the steps of other kinds, left out (not applied, not counted).
  std::vector<std::string> only;
  std::vector<Step> left_out;

  // True when some step is planned or blocked (held steps alone are no change).
  bool HasChanges() const;
  friend bool operator==(const Plan& a, const Plan& b) {
    return a.at == b.at && a.catalog_hash == b.catalog_hash && a.policy_hash == b.policy_hash &&
           a.database == b.database && a.summary == b.summary && a.tables == b.tables &&
           a.steps == b.steps && a.diagnostics == b.diagnostics && a.is_diff == b.is_diff &&
           a.removed_steps == b.removed_steps && a.only == b.only && a.left_out == b.left_out;
  }
};

}  // namespace pgpart
