#include "catalog/detached.h"

#include <map>
#include <string>

#include "core/ident.h"

namespace pgpart {

void ReadDetachedForDrop(pqxx::transaction_base& tx, std::vector<Table*>& tables) {
  std::map<std::string, Table*> by_marker;
  for (Table* t : tables) by_marker[kDropMarkerPrefix + t->name.Sql()] = t;
  if (by_marker.empty()) return;
  pqxx::result r = tx.exec_params(
      "SELECT n.nspname, c.relname, d.description, greatest(c.reltuples, 0)::bigint "
      "FROM pg_catalog.pg_description d "
      "JOIN pg_catalog.pg_class c ON c.oid = d.objoid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0 "
      "AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
      "AND starts_with(d.description, $1) ORDER BY 1, 2",
      std::string(kDropMarkerPrefix));
  for (const pqxx::row& row : r) {
    // "<prefix><parent>" or "<prefix><parent> [<from>, <to>)"; bound texts hold no '[' or ','.
    std::string marker = row[2].as<std::string>();
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
    it->second->detached_for_drop.push_back(std::move(c));
  }
}

}  // namespace pgpart
