// Owner and grants of existing partitions (policy `privileges: inherit`): a partition whose owner
// or grants differ from the parent's is drift, with an inherit_privileges step that aligns it.
// New partitions get the same statements in their create step (planner.cc, hash_children.cc).

#include <algorithm>

#include "plan/planner_internal.h"

namespace pgpart::planner {
namespace {

std::string GrantText(const Grant& g) {
  return (g.grantee.empty() ? std::string("PUBLIC") : g.grantee) + " " + g.privilege +
         (g.grantable ? " WITH GRANT OPTION" : "");
}

// "owner app_maint, not app_owner; lacks reporting SELECT, PUBLIC SELECT"
std::string Difference(const Table& t, const Child& child) {
  std::string out;
  if (child.owner != t.owner) out = "owner " + child.owner + ", not " + t.owner;
  std::string lacks;
  for (const Grant& g : MissingGrants(t.grants, child.grants)) {
    lacks += (lacks.empty() ? "" : ", ") + GrantText(g);
  }
  if (!lacks.empty()) out += (out.empty() ? "" : "; ") + std::string("lacks ") + lacks;
  return out;
}

}  // namespace

void PlanPrivileges(Context& c) {
  if (!c.shape.inherit_privileges) return;
  const Table& t = c.table;
  std::vector<const Child*> children;
  for (const Child& child : t.children) children.push_back(&child);
  if (t.default_partition) children.push_back(&*t.default_partition);
  for (const Child* child : children) {
    if (child->foreign || child->detach_pending) continue;
    // A partition this plan detaches or drops is left as it is.
    const bool leaving = std::any_of(c.steps.begin(), c.steps.end(), [&](const auto& keyed) {
      return keyed.second.partition == child->name && keyed.second.action != Action::kCreate &&
             keyed.second.action != Action::kCreateDefault &&
             keyed.second.action != Action::kDrainDefault;
    });
    if (leaving) continue;
    std::vector<Statement> statements =
        InheritPrivileges(c.shape, child->name, child->owner, child->grants, c.policy.execution);
    if (statements.empty()) continue;
    c.report.drift.push_back("partition " + child->name.name +
                             ": owner/privileges differ from the parent (" + Difference(t, *child) +
                             ")");
    Step s = NewStep(c, Action::kInheritPrivileges, child->name, Reason::kDrift);
    if (child->bound_kind == BoundKind::kRange) {
      s.from = BoundText(t.key_type, child->from);
      s.to = BoundText(t.key_type, child->to);
    }
    if (child->owner != t.owner) AddHazard(s, Hazard::kAcquiresAccessExclusiveLock);
    s.statements = std::move(statements);
    Push(c, std::move(s), child->bound_kind == BoundKind::kRange ? child->from : Bound::Max());
  }
}

}  // namespace pgpart::planner
