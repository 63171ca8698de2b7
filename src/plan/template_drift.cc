// What PostgreSQL does not carry from a parent to its partitions, compared between siblings: a
// managed partition that lacks a partition-local index all its siblings have is drift (new
// partitions get the newest partition's: statements.h FromTemplate).

#include <algorithm>
#include <map>

#include "plan/planner_internal.h"

namespace pgpart::planner {

const Child* StorageTemplate(const Table& t) {
  if (!t.storage_known) return nullptr;
  for (auto it = t.children.rbegin(); it != t.children.rend(); ++it) {
    if (it->bound_kind == BoundKind::kRange && !it->foreign && !it->sub_partitioned &&
        !it->detach_pending) {
      return &*it;
    }
  }
  return nullptr;
}

void PlanIndexDrift(Context& c) {
  const Table& t = c.table;
  if (!t.storage_known) return;
  std::vector<const Child*> siblings;
  for (const Child& child : t.children) {
    if (child.bound_kind == BoundKind::kRange && !child.foreign && !child.sub_partitioned) {
      siblings.push_back(&child);
    }
  }
  if (siblings.size() < 3) return;  // "all its siblings" needs a few to mean something
  std::map<LocalIndex, size_t> have;
  for (const Child* child : siblings) {
    for (const LocalIndex& index : child->local_indexes) ++have[index];
  }
  for (const Child* child : siblings) {
    for (const auto& [index, count] : have) {
      if (count + 1 != siblings.size()) continue;
      if (std::find(child->local_indexes.begin(), child->local_indexes.end(), index) !=
          child->local_indexes.end()) {
        continue;
      }
      c.report.drift.push_back("partition " + child->name.name + " lacks the index " +
                               index.Text() + " that all its " +
                               std::to_string(siblings.size() - 1) + " siblings have");
    }
  }
}

}  // namespace pgpart::planner
