// Hash-partitioned tables.

#include <set>

#include "plan/planner_internal.h"

namespace pgpart::planner {

void PlanHash(Context& c) {
  const Policy& p = c.policy;
  const Table& t = c.table;
  std::set<int> moduli;
  std::set<int> remainders;
  for (const Child& child : t.children) {
    if (child.bound_kind != BoundKind::kHash) continue;
    moduli.insert(child.modulus);
    if (child.modulus == p.modulus) remainders.insert(child.remainder);
  }
  std::string mismatch;
  for (int m : moduli) {
    if (m != p.modulus) {
      mismatch = "existing children use modulus " + std::to_string(m) +
                 " but the policy asks for " + std::to_string(p.modulus) +
                 "; re-hashing is never automatic";
    }
  }
  if (!mismatch.empty()) c.report.drift.push_back(mismatch);
  std::set<std::string> taken_names;
  for (const Child& child : t.children) taken_names.insert(child.name.name);
  NameFields no_fields;
  for (int r = 0; r < p.modulus; ++r) {
    if (mismatch.empty() && remainders.count(r)) continue;
    QualifiedName name{t.name.schema, ExpandName(p.NameTemplate(), t.name.name, no_fields, r)};
    if (!mismatch.empty() && taken_names.count(name.name)) continue;
    Step s = NewStep(c, Action::kCreate, name, Reason::kPremake);
    if (!mismatch.empty()) {
      s.status = StepStatus::kBlocked;
      s.blocked_by = mismatch;
    } else if (taken_names.count(name.name)) {
      s.status = StepStatus::kBlocked;
      s.blocked_by = "a partition named " + name.name + " already exists with other bounds";
    }
    s.statements.push_back(CreateStandalone(c.shape, name, p.execution));
    for (Statement& st : InheritPrivileges(c.shape, name, "", {}, p.execution)) {
      s.statements.push_back(std::move(st));
    }
    s.statements.push_back(AttachHash(c.shape, name, p.modulus, r, p.execution));
    Push(c, std::move(s), Bound::Value(r));
  }
}

}  // namespace pgpart::planner
