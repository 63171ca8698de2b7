#pragma once
// Internals shared by the planner's translation units (not part of the public API).

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
