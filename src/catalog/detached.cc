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

void ReadDetachedForDrop(pqxx::transaction_base& tx, std::vector<Table*>& tables,
                         int64_t block_size) {
  // marker prefix + parent -> (table, kept: a detached marker rather than a drop marker)
  std::map<std::string, std::pair<Table*, bool>> by_marker;
  for (Table* t : tables) {
    by_marker[kDropMarkerPrefix + t->name.Sql()] = {t, false};
    by_marker[kDetachedMarkerPrefix + t->name.Sql()] = {t, true};
  }
  if (by_marker.empty()) return;
  // Partitioned tables too: not to drop them, to report them.
  // Prepared (once per connection; generic plan, see ReadSession): apply re-reads each table.
  const char* const kName = "pgpart_detached_markers";
  tx.conn().prepare(
      kName,
      "SELECT n.nspname, c.relname, d.description, greatest(c.reltuples, 0)::bigint, "
      "c.oid::bigint, c.relkind::text, c.relpages::bigint + coalesce(t.relpages, 0) + "
      "coalesce((SELECT sum(ic.relpages) FROM pg_catalog.pg_index x "
      "JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid WHERE x.indrelid = c.oid), 0)::bigint "
      "FROM pg_catalog.pg_description d "
      "JOIN pg_catalog.pg_class c ON c.oid = d.objoid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid "
      "WHERE d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0 "
      "AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
      "AND (starts_with(d.description, $1) OR starts_with(d.description, $2)) ORDER BY 1, 2");
  pqxx::result r = tx.exec_prepared(kName, std::string(kDropMarkerPrefix),
                                    std::string(kDetachedMarkerPrefix));
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
    auto found = by_marker.find(marker);
    if (found == by_marker.end()) continue;
    Table* table = found->second.first;
    const bool kept = found->second.second;
    Child c;
    c.name = {row[0].as<std::string>(), row[1].as<std::string>()};
    c.bound_kind = BoundKind::kRange;
    c.from = Bound::Min();
    c.to = Bound::Max();
    if (size_t comma = bounds.find(", "); comma != std::string::npos) {
      auto from = ParseBoundText(table->key_type, bounds.substr(0, comma));
      auto to = ParseBoundText(table->key_type, bounds.substr(comma + 2));
      if (from && to) {
        c.from = *from;
        c.to = *to;
      }
    }
    c.rows_estimate = row[3].as<int64_t>();
    c.oid = row[4].as<int64_t>();
    c.marker_oid = marker_oid;
    c.sub_partitioned = row[5].as<std::string>() == "p";
    if (kept) {
      c.bytes = row[6].as<int64_t>() * block_size;
      table->detached.push_back(std::move(c));
    } else {
      table->detached_for_drop.push_back(std::move(c));
    }
  }
}

}  // namespace pgpart
