#include "catalog/snapshot.h"

#include <nlohmann/json.hpp>

#include "core/calendar.h"
#include "core/json_text.h"

namespace pgpart {
namespace {

using Json = nlohmann::ordered_json;

// A bound is its BoundText ("2024-01-01T00:00:00Z", "1000", "MINVALUE"). When that text does not
// read back to exactly the same value (a key type pgpart does not support, or a precision the
// text form drops), the raw key-domain integer is written instead so that the round trip stays
// exact.
Json BoundToJson(KeyType type, const Bound& bound) {
  if (type != KeyType::kUnsupported) {
    std::string text = BoundText(type, bound);
    if (ParseBoundText(type, text) == bound) return text;
  } else if (!bound.is_value()) {
    return BoundText(KeyType::kBigInt, bound);
  }
  return bound.value;
}

Json GrantsToJson(const std::vector<Grant>& grants) {
  Json out = Json::array();
  for (const Grant& g : grants) {
    out.push_back({{"grantee", g.grantee}, {"privilege", g.privilege}, {"grantable", g.grantable}});
  }
  return out;
}

Json ChildToJson(const Child& c, KeyType type) {
  Json j;
  j["schema"] = c.name.schema;
  j["name"] = c.name.name;
  j["bound"] = BoundKindName(c.bound_kind);
  // Fields that do not apply to the bound kind are written only when they differ from their
  // defaults (never for what the reader produces), so that the round trip stays exact.
  if (c.bound_kind == BoundKind::kRange || c.from != Bound{} || c.to != Bound{}) {
    j["from"] = BoundToJson(type, c.from);
    j["to"] = BoundToJson(type, c.to);
  }
  if (c.bound_kind == BoundKind::kHash || c.modulus != 0 || c.remainder != 0) {
    j["modulus"] = c.modulus;
    j["remainder"] = c.remainder;
  }
  j["bound_text"] = c.bound_text;
  j["sub_partitioned"] = c.sub_partitioned;
  j["foreign"] = c.foreign;
  j["detach_pending"] = c.detach_pending;
  j["rows_estimate"] = c.rows_estimate;
  j["bytes"] = c.bytes;
  // Optional (snapshots of older versions have none): only when known.
  if (c.oid != 0) j["oid"] = c.oid;
  if (c.marker_oid != 0) j["marker_oid"] = c.marker_oid;
  if (c.detached_at_micros != 0) j["detached_at_micros"] = c.detached_at_micros;
  if (!c.owner.empty()) j["owner"] = c.owner;
  if (!c.grants.empty()) j["grants"] = GrantsToJson(c.grants);
  if (!c.reloptions.empty()) j["reloptions"] = c.reloptions;
  if (!c.access_method.empty()) j["access_method"] = c.access_method;
  if (c.replica_identity != 'd') j["replica_identity"] = std::string(1, c.replica_identity);
  if (!c.local_indexes.empty()) {
    Json indexes = Json::array();
    for (const LocalIndex& i : c.local_indexes) {
      indexes.push_back({{"unique", i.unique}, {"definition", i.definition}});
    }
    j["local_indexes"] = std::move(indexes);
  }
  return j;
}

Json TableToJson(const Table& t) {
  Json j;
  j["schema"] = t.name.schema;
  j["name"] = t.name.name;
  j["exists"] = t.exists;
  j["partitioned"] = t.partitioned;
  j["strategy"] = t.strategy;
  j["key_columns"] = t.key_columns;
  if (t.columns_known) {
    Json columns = Json::array();
    for (const Column& c : t.columns) {
      columns.push_back({{"name", c.name},
                         {"generated", c.generated},
                         {"identity_always", c.identity_always}});
    }
    j["columns"] = std::move(columns);
  }
  if (t.storage_known) j["storage_known"] = true;
  if (t.privileges_known) {
    j["owner"] = t.owner;
    j["grants"] = GrantsToJson(t.grants);
  }
  j["key_type_name"] = t.key_type_name;
  j["key_type"] = KeyTypeName(t.key_type);
  Json children = Json::array();
  for (const Child& c : t.children) children.push_back(ChildToJson(c, t.key_type));
  j["children"] = std::move(children);
  j["default_partition"] =
      t.default_partition ? ChildToJson(*t.default_partition, t.key_type) : Json();
  j["default_rows"] = t.default_rows;
  Json detached = Json::array();
  for (const Child& c : t.detached_for_drop) detached.push_back(ChildToJson(c, t.key_type));
  j["detached_for_drop"] = std::move(detached);
  if (!t.detached.empty()) {  // optional: snapshots without leftovers read as before
    Json kept = Json::array();
    for (const Child& c : t.detached) kept.push_back(ChildToJson(c, t.key_type));
    j["detached"] = std::move(kept);
  }
  Json buckets = Json::array();
  for (const DefaultBucket& b : t.default_buckets) {
    Json bj;
    bj["from"] = BoundToJson(t.key_type, b.from);
    bj["to"] = BoundToJson(t.key_type, b.to);
    bj["rows"] = b.rows;
    buckets.push_back(std::move(bj));
  }
  j["default_buckets"] = std::move(buckets);
  j["default_buckets_known"] = t.default_buckets_known;
  j["default_counted_from"] = BoundToJson(t.key_type, t.default_counted_from);
  j["default_counted_to"] = BoundToJson(t.key_type, t.default_counted_to);
  j["locked_by"] = t.locked_by;
  if (!t.unreadable.empty()) j["unreadable"] = t.unreadable;
  j["max_key"] = t.max_key ? Json(*t.max_key) : Json();
  // Only when there is some (Catalog::history says whether it was read), so that snapshots
  // without history stay as they were.
  if (!t.history.empty()) {
    Json history = Json::array();
    for (const RecordedOutcome& o : t.history) {
      history.push_back(Json{{"schema", o.partition.schema},
                             {"name", o.partition.name},
                             {"action", o.action},
                             {"outcome", o.outcome},
                             {"error", o.error},
                             {"at_micros", o.at_micros},
                             {"at", InstantText(o.at_micros)}});  // for readers only
    }
    j["history"] = std::move(history);
  }
  if (t.last_apply) {  // only when set, so that other snapshots stay as they were
    j["last_apply"] = Json{{"at_micros", t.last_apply->at_micros},
                           {"at", InstantText(t.last_apply->at_micros)},  // for readers only
                           {"outcome", t.last_apply->outcome},
                           {"error", t.last_apply->error}};
  }
  if (t.pg_partman) {  // only when set, so that other snapshots stay as they were
    j["pg_partman"] = Json{{"schema", t.pg_partman->schema},
                           {"version", t.pg_partman->version},
                           {"parent_table", t.pg_partman->parent_table},
                           {"automatic_maintenance", t.pg_partman->automatic_maintenance}};
  }
  return j;
}

}  // namespace

std::string CatalogToJson(const Catalog& catalog) {
  Json j;
  j["format_version"] = kSnapshotFormatVersion;
  j["server_version"] = catalog.server_version;
  j["database"] = catalog.database.name;
  j["database_oid"] = catalog.database.oid;
  j["system_identifier"] = catalog.database.system_identifier;
  j["now_micros"] = catalog.now_micros ? Json(*catalog.now_micros) : Json();
  if (catalog.now_micros) j["now"] = InstantText(*catalog.now_micros);  // for readers only
  if (catalog.history != HistoryState::kNotRead) j["history"] = HistoryStateName(catalog.history);
  if (!catalog.unmanaged_with_history.empty()) {
    Json unmanaged = Json::array();
    for (const QualifiedName& n : catalog.unmanaged_with_history) {
      unmanaged.push_back({{"schema", n.schema}, {"name", n.name}});
    }
    j["unmanaged_with_history"] = std::move(unmanaged);
  }
  Json tables = Json::array();
  for (const Table& t : catalog.tables) tables.push_back(TableToJson(t));
  j["tables"] = std::move(tables);
  // Names come from PostgreSQL; a database in SQL_ASCII may hand us invalid UTF-8. Replace
  // rather than throw.
  return JsonText(j, 2) + "\n";
}

}  // namespace pgpart
