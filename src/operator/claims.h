#pragma once
// A table belongs to exactly one policy. `pgpart plan/apply` refuse a set of policy files in which
// two policies name one table (the loader's CheckSet); the operator sees PartitionPolicies one at a
// time, so two of them naming one table would each plan alone and undo each other's work (one
// premakes what the other's retention drops). The controller keeps what every policy it watches
// claims; a reconcile asks whether an earlier policy claims one of its tables in the same database.
//
// Same database: the same namespace, Secret and key (the operator's only way to a database). Two
// Secrets holding connection strings to one database are not recognised as one.
// Earlier: the older metadata.creationTimestamp, then the smaller "namespace/name" (the API server
// stamps whole seconds). The policy that was there first keeps the table; the later one is refused
// whole (nothing of it is planned or applied) until the conflict is gone.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/ident.h"
#include "policy/policy.h"

namespace pgpart::op {

struct TableClaim {
  std::string key;       // "namespace/name"
  std::string created;   // metadata.creationTimestamp (RFC 3339 in UTC: compares as text)
  std::string database;  // "namespace/secretName/key"
  std::vector<QualifiedName> tables;  // sorted, unique
};

// What `object` (a PartitionPolicy) claims, from its parsed `policy` (ParseResource's).
TableClaim ClaimOf(const nlohmann::json& object, const Policy& policy);
// The same, parsing the object; nullopt when its spec is invalid (a policy that cannot run claims
// nothing).
std::optional<TableClaim> ClaimOf(const nlohmann::json& object);

// True when `a` came first (see above).
bool Earlier(const TableClaim& a, const TableClaim& b);

// The first table both claim in the same database; nullopt when none.
std::optional<QualifiedName> SharedTable(const TableClaim& a, const TableClaim& b);

struct ClaimConflict {
  QualifiedName table;
  std::string other;  // the earlier policy's key
};

// The earliest of `others` (any order; `mine` itself, by key, is skipped) that claims a table of
// `mine` in the same database and came before it.
std::optional<ClaimConflict> EarlierClaim(const TableClaim& mine,
                                          const std::vector<const TableClaim*>& others);

}  // namespace pgpart::op
