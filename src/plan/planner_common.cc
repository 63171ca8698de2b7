// Small helpers shared by the planner's units.

#include <algorithm>
#include <cstdio>

#include "plan/planner_internal.h"

namespace pgpart::planner {

void Push(Context& c, Step step, Bound from) {
  std::sort(step.hazards.begin(), step.hazards.end());  // canonical order: the enum's
  int group = step.reason == Reason::kRecovery ? 0 : step.action == Action::kCreateDefault ? 1 : 2;
  c.steps.emplace_back(std::make_tuple(group, from, static_cast<int>(step.action)),
                       std::move(step));
}

void AddDiagnostic(Plan* plan, Severity severity, const Policy& policy, const std::string& path,
                   std::string message) {
  plan->diagnostics.push_back(
      Diagnostic{severity, policy.LocationOf(path), path, std::move(message)});
}

std::string TableText(const QualifiedName& n) { return n.Sql(); }

std::string PeriodText(KeyType type, const Bound& from, const Bound& to) {
  return "[" + BoundText(type, from) + ", " + BoundText(type, to) + ")";
}

bool Overlaps(const Bound& a_from, const Bound& a_to, const Bound& b_from, const Bound& b_to) {
  return a_from < b_to && b_from < a_to;
}

Step NewStep(const Context& c, Action action, const QualifiedName& partition, Reason reason) {
  Step s;
  s.action = action;
  s.table = c.table.name;
  s.policy = c.policy.name;
  s.partition = partition;
  s.reason = reason;
  return s;
}

void AddHazard(Step& s, Hazard h) {
  if (std::find(s.hazards.begin(), s.hazards.end(), h) == s.hazards.end()) s.hazards.push_back(h);
}

// Hazards that follow from the statements themselves.
void AddStatementHazards(Step& s) {
  for (const Statement& st : s.statements) {
    if (!st.transactional) AddHazard(s, Hazard::kNonTransactional);
  }
}

std::string PartmanConflict(const PartmanConfig& pc) {
  // config_cleanup() (pg_partman 5.4+) removes the config rows and the template table and leaves
  // the partitions as they are; before it, the part_config row is deleted by hand.
  int major = 0, minor = 0;
  std::sscanf(pc.version.c_str(), "%d.%d", &major, &minor);
  const std::string schema = QuoteIdent(pc.schema);
  const std::string parent = QuoteLiteral(pc.parent_table);
  const std::string removal =
      major > 5 || (major == 5 && minor >= 4)
          ? "SELECT " + schema + ".config_cleanup(" + parent + ")"
          : "DELETE FROM " + schema + ".part_config WHERE parent_table = " + parent;
  return "pg_partman maintains this table too (" + schema + ".part_config lists " + parent +
         (pc.automatic_maintenance.empty()
              ? ""
              : ", automatic_maintenance " + pc.automatic_maintenance) +
         "): two maintainers would fight over its partitions, each creating, detaching and "
         "dropping on its own schedule. Take the table out of pg_partman first, keeping its "
         "partitions: " +
         removal +
         "; not undo_partition(), which moves the rows out of the partitions "
         "(docs/migrating-from-pg_partman.md)";
}

}  // namespace pgpart::planner
