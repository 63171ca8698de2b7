#include "catalog/detached.h"

#include <map>
#include <string>

#include "core/ident.h"

namespace pgpart {
namespace {

// Strips a trailing kDropMarkerOid + digits from `marker`; returns the oid (0 when there is none).
int64_t TakeMarkerOid(std::string* marker) {
  const size_t at = marker->rfind(kDropMarkerOid);
  if (at == std::string::npos) return 0;
  const std::string digits = marker->substr(at + std::string(kDropMarkerOid).size());
  if (digits.empty() || digits.size() > 10 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  marker->resize(at);
  return std::stoll(digits);
}

}  // namespace

void ReadDetachedForDrop(pqxx::transaction_base& tx, std::vector<Table*>& tables) {
  std::map<std::string, Table*> by_marker;
  for (Table* t : tables) by_marker[kDropMarkerPrefix + t->name.Sql()] = t;
  if (by_marker.empty()) return;
  // Partitioned tables too: not to drop them, to report them.
  pqxx::result r = tx.exec_params(
      "SELECT n.nspname, c.relname, d.description, greatest(c.reltuples, 0)::bigint, "
      "c.oid::bigint, c.relkind::text "
      "FROM pg_catalog.pg_description d "
      "JOIN pg_catalog.pg_class c ON c.oid = d.objoid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0 "
      "AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
      "AND starts_with(d.description, $1) ORDER BY 1, 2",
      std::string(kDropMarkerPrefix));
  for (const pqxx::row& row : r) {
    // "<prefix><parent> [<from>, <to>) oid <oid>"; older markers lack the oid, or the bounds too.
    // Bound texts hold no '[' or ','.
    std::string marker = row[2].as<std::string>();
    const int64_t marker_oid = TakeMarkerOid(&marker);
    std::string bounds;
    if (size_t open = marker.rfind(" ["); open != std::string::npos && marker.ends_with(")")) {
      bounds = marker.substr(open + 2, marker.size() - open - 3);
      marker.resize(open);
    }
    auto it = by_marker.find(marker);
    if (it == by_marker.end()) continue;
    Child c;
    c.name = {row[0].as<std::string>(), row[1].as<std::string>()};
    c.bound_kind = BoundKind::kRange;
    c.from = Bound::Min();
    c.to = Bound::Max();
    if (size_t comma = bounds.find(", "); comma != std::string::npos) {
      auto from = ParseBoundText(it->second->key_type, bounds.substr(0, comma));
      auto to = ParseBoundText(it->second->key_type, bounds.substr(comma + 2));
      if (from && to) {
        c.from = *from;
        c.to = *to;
      }
    }
    c.rows_estimate = row[3].as<int64_t>();
    c.oid = row[4].as<int64_t>();
    c.marker_oid = marker_oid;
    c.sub_partitioned = row[5].as<std::string>() == "p";
    it->second->detached_for_drop.push_back(std::move(c));
  }
}

}  // namespace pgpart
