// Small helpers shared by the planner's units.

#include <algorithm>

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

}  // namespace pgpart::planner
