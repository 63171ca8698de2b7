#pragma once
// Internals shared by the planner's translation units (not part of the public API).

#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "core/calendar.h"
#include "core/diagnostic.h"
#include "plan/plan.h"
#include "plan/planner.h"
#include "plan/statements.h"
#include "policy/policy.h"

namespace pgpart::planner {

struct Context {
  const Policy& policy;
  const Table& table;
  int64_t now;  // UTC micros
  const PlanOptions& options;
  TableShape shape;
  Plan* plan;
  TableReport report;
  // Steps with their sort key: group (recovery, default, periods), lower bound, action.
  std::vector<std::pair<std::tuple<int, Bound, int>, Step>> steps;
};

// Adds a step with its sort key (group, lower bound, action).
void Push(Context& c, Step step, Bound from = Bound::Min());

// The hold of `policy` that covers `child` at `now` ("reason (until X)"), or "" when none does.
// Holds that expired by `now` are skipped (and noted in `expired_notes` when given); `until_out`
// receives the covering hold's expiry (nullopt: it never expires).
std::string ActiveHold(const Policy& policy, int64_t now, const Grid* grid, const Child& child,
                       std::vector<std::string>* expired_notes,
                       std::optional<int64_t>* until_out = nullptr);

void AddDiagnostic(Plan* plan, Severity severity, const Policy& policy, const std::string& path,
                   std::string message);
std::string TableText(const QualifiedName& n);
std::string PeriodText(KeyType type, const Bound& from, const Bound& to);
bool Overlaps(const Bound& a_from, const Bound& a_to, const Bound& b_from, const Bound& b_to);
Step NewStep(const Context& c, Action action, const QualifiedName& partition, Reason reason);
void AddHazard(Step& s, Hazard h);
// Hazards that follow from the statements themselves (non-transactional ones).
void AddStatementHazards(Step& s);
// Why a table pg_partman's part_config lists gets no steps, and how to take it out of pg_partman.
std::string PartmanConflict(const PartmanConfig& pc);

// Retention steps for one expired child (drop, detach or archive), holds and limits applied.
void PlanRetention(Context& c, const Grid* grid, const Child& child, int* drops_planned);
struct RetireOptions {
  // The partition is created by the steps before it in the same unit (plan.h UnitSize): its oid
  // is read when the marker is set.
  bool created_in_unit = false;
  // Why the unit cannot run (a hold still wins); the step then takes no maxDropsPerRun slot.
  std::string blocked_by;
};
// The step PlanRetention pushes (nullopt when an interrupted detach's recovery step does it all).
std::optional<Step> RetentionStep(Context& c, const Grid* grid, const Child& child,
                                  int* drops_planned, const RetireOptions& options);
// Drops tables an interrupted run detached for dropping (found by their marker comment), when
// they are exactly what pgpart marked (their own oid in the marker, a plain table in the parent's
// schema, named by the template for the marker's bounds, on the grid, past retention `cutoff`);
// reports any other table carrying a marker as drift.
void PlanDetachedForDrop(Context& c, const Grid* grid, std::optional<int64_t> cutoff);
// spec.retention.dropDetachedAfter: drops the leftovers pgpart detached or archived
// (Table::detached) whose upper bound <= `cutoff` (now - keep) - dropDetachedAfter, when they are
// exactly what pgpart marked (as PlanDetachedForDrop; in the parent's or the archive schema),
// behind the same holds, backup gate and maxDropsPerRun (`drops_planned`) as partitions.
void PlanDetachedLeftovers(Context& c, const Grid* grid, std::optional<int64_t> cutoff,
                           int* drops_planned);
// A key range [from, to).
struct Span {
  Bound from, to;
};

// The parts of [from, to) that no range partition of `t` covers, in key order.
std::vector<Span> Uncovered(const Table& t, const Bound& from, const Bound& to);
// Bridge partitions: a part of a grid period that partitions off the grid (another interval's,
// adopted, hand-made) leave uncovered gets a partition of its own, named by the period's name,
// "_from_" and its lower bound: ev_y2027w17_from_20270501 (local date, then "t" and the time of
// day when not midnight: _from_20270501t0930), ev_p5000_from_7000 (integers; "m" for a minus).
std::string BridgeName(const std::string& period_name, const Grid& grid, int64_t from);
// The grid period `child` is a bridge of (its bounds inside that period but not all of it, and
// BridgeName's name); nullopt for any other child.
std::optional<int64_t> BridgePeriod(const Policy& p, const Table& t, const Grid& grid,
                                    const Child& child);
// Whether spec.adopt names `child` or holds it in one of its from/to ranges.
bool Adopted(const Policy& p, const Grid& grid, const Child& child);
// The partitions of `t` that spec.adopt accepts as they are: off the grid (not the partition of
// a grid period, not a bridge) and adopted. Notes, not drift; never created over, never retired.
std::set<std::string> AdoptedPartitions(const Policy& p, const Grid& grid, const Table& t);

// What the creates of one table share.
struct Creates {
  std::set<std::string> taken;     // names of its partitions (default included)
  std::set<std::string> marked;    // tables carrying a drop marker (PlanDetachedForDrop)
  std::set<std::string> detached;  // leftovers of detach/archive in the parent's schema
  std::set<std::string> planned;   // names this plan creates
  bool rows_unplaced = false;      // the default has rows but they were not counted by period
  bool uncounted_rows = false;     // some rows lie outside the counted window
  bool has_default_after = false;  // the table has a default partition once the plan is applied
  bool partial_buckets = false;    // rows were counted on another grid: estimates approximate
  bool shared_estimates = false;   // a period split into parts: each part has its whole count
};
// The sets and flags (warns when the default's rows were not counted by period).
Creates CreatesOf(Context& c);
struct CreateSteps {
  Step create;
  std::optional<Step> drain;  // when the default partition holds rows of the part
};
// The create of [from, to) (`part` of grid period `period`; `sole_part`: the only part of it no
// partition covers) named `name`, and the drain of the default's rows there. nullopt when refused
// with an error diagnostic (name too long, or one name for two periods).
std::optional<CreateSteps> CreateOf(Context& c, Creates& cr, const QualifiedName& name,
                                    const Span& part, const Span& period, bool sole_part,
                                    Reason reason);
// The grid periods in which the default partition's rows were counted and that begin before
// `cutoff` (some part of them may be past retention), in order.
std::vector<int64_t> ExpiredRowPeriods(const Table& t, const Grid& grid, int64_t cutoff,
                                       const Creates& cr);
// CreateOf's steps, pushed.
void PlanCreate(Context& c, Creates& cr, const QualifiedName& name, const Span& part,
                const Span& period, bool sole_part, Reason reason);
// The default partition's rows of an expired part of a period: create `name` for it, drain the
// rows into it and retire it by the retention action, as one unit (plan.h UnitSize) that holds,
// maxDropsPerRun and (when applied) the backup gate keep or let through as a whole. Nothing when
// no rows were counted there. Returns the retirement step when the unit was planned.
std::optional<Step> PlanExpiredDefaultRows(Context& c, Creates& cr, const Grid& grid,
                                           const QualifiedName& name, const Span& part,
                                           const Span& period, bool sole_part,
                                           int* drops_planned);

// Completes an interrupted DETACH ... CONCURRENTLY.
void PlanFinalize(Context& c, const Child& child);
// Hash tables: exactly `modulus` children; another modulus is drift that blocks.
void PlanHash(Context& c);
// Existing partitions whose owner or grants differ from the parent's (privileges: inherit).
void PlanPrivileges(Context& c);
// The partition new ones copy what PostgreSQL does not propagate from (the newest plain range
// partition), or nullptr; and the drift of a partition lacking a local index its siblings have.
const Child* StorageTemplate(const Table& t);
void PlanIndexDrift(Context& c);

// spec.convert (convert.cc): a plain table's conversion steps, or the error that refuses it.
void PlanConversion(const Policy& p, size_t index, const Table& t, int64_t now, Plan* plan,
                    TableReport* report, std::vector<Step>* steps);
// A converted table: the old table kept for a rollback (a note), and its drop (oldTable: drop).
void PlanConvertedLeftover(Context& c);

}  // namespace pgpart::planner
