// What to read from the catalog to plan a set of policies (declared in apply/executor.h, used by
// the executor's re-check, the CLI and the operator).

#include <algorithm>
#include <set>

#include "apply/executor.h"

namespace pgpart {

std::vector<TableRequest> CatalogRequests(const std::vector<Policy>& policies) {
  std::vector<TableRequest> requests;
  std::set<QualifiedName> seen;
  for (const Policy& p : policies) {
    for (const QualifiedName& t : p.tables) {
      // Each table once (a diff's base and head policies usually name the same tables).
      if (!seen.insert(t).second) continue;
      TableRequest r;
      r.name = t;
      if (p.strategy == Strategy::kRange) r.interval = p.interval;
      r.time_zone = p.time_zone;
      if (p.convert && p.column) r.convert_column = *p.column;
      requests.push_back(std::move(r));
    }
  }
  return requests;
}

}  // namespace pgpart
