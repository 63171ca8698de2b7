// Which PartitionPolicy a table belongs to when two name it (claims.h).

#include "operator/claims.h"

#include <algorithm>
#include <iterator>

#include "operator/spec.h"

namespace pgpart::op {

TableClaim ClaimOf(const nlohmann::json& object, const Policy& policy) {
  const nlohmann::json& meta = object.value("metadata", nlohmann::json::object());
  TableClaim claim;
  claim.key = ObjectKey(object);
  claim.created = meta.value("creationTimestamp", "");
  if (policy.database_ref) {
    claim.database = meta.value("namespace", "") + "/" + policy.database_ref->secret_name + "/" +
                     policy.database_ref->key;
  }
  claim.tables = policy.tables;
  std::sort(claim.tables.begin(), claim.tables.end());
  claim.tables.erase(std::unique(claim.tables.begin(), claim.tables.end()), claim.tables.end());
  return claim;
}

std::optional<TableClaim> ClaimOf(const nlohmann::json& object) {
  PolicySet set = ParseResource(object);
  if (HasErrors(set.diagnostics) || set.policies.size() != 1) return std::nullopt;
  return ClaimOf(object, set.policies[0]);
}

bool Earlier(const TableClaim& a, const TableClaim& b) {
  // An object without a timestamp (never from an API server) sorts after every stamped one.
  if (a.created != b.created) {
    if (a.created.empty() || b.created.empty()) return b.created.empty();
    return a.created < b.created;
  }
  return a.key < b.key;
}

std::optional<QualifiedName> SharedTable(const TableClaim& a, const TableClaim& b) {
  if (a.database.empty() || a.database != b.database) return std::nullopt;
  std::vector<QualifiedName> shared;  // both lists are sorted (ClaimOf)
  std::set_intersection(a.tables.begin(), a.tables.end(), b.tables.begin(), b.tables.end(),
                        std::back_inserter(shared));
  if (shared.empty()) return std::nullopt;
  return shared.front();
}

std::optional<ClaimConflict> EarlierClaim(const TableClaim& mine,
                                          const std::vector<const TableClaim*>& others) {
  const TableClaim* first = nullptr;
  QualifiedName table;
  for (const TableClaim* other : others) {
    if (other->key == mine.key || !Earlier(*other, mine)) continue;
    auto shared = SharedTable(mine, *other);
    if (!shared) continue;
    if (!first || Earlier(*other, *first)) {
      first = other;
      table = *shared;
    }
  }
  if (!first) return std::nullopt;
  return ClaimConflict{table, first->key};
}

}  // namespace pgpart::op
