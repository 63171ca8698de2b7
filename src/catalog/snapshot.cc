#include "catalog/snapshot.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>

#include "catalog/snapshot_check.h"
#include "core/calendar.h"
#include "core/json_text.h"

namespace pgpart {
namespace {

using Json = nlohmann::ordered_json;

std::string Member(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : path + "." + key;
}

const char* BoundKindName(BoundKind kind) {
  switch (kind) {
    case BoundKind::kRange:
      return "range";
    case BoundKind::kHash:
      return "hash";
    case BoundKind::kList:
      return "list";
    case BoundKind::kDefault:
      return "default";
  }
  return "range";
}

std::optional<BoundKind> BoundKindFromName(std::string_view name) {
  if (name == "range") return BoundKind::kRange;
  if (name == "hash") return BoundKind::kHash;
  if (name == "list") return BoundKind::kList;
  if (name == "default") return BoundKind::kDefault;
  return std::nullopt;
}

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

// ---- reading -----------------------------------------------------------------------------

// Collects the first error (with its JSON path) and lets the callers keep going cheaply.
class Reader {
 public:
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  void Fail(const std::string& path, const std::string& message) {
    if (error_.empty()) error_ = (path.empty() ? "" : path + ": ") + message;
  }

  // Optional member of an object: absent or null leaves *out untouched.
  template <typename T>
  void Get(const Json& obj, const char* key, const std::string& path, T* out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return;
    const std::string where = Member(path, key);
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) return Fail(where, "expected true or false");
    } else if constexpr (std::is_integral_v<T>) {
      if (!it->is_number_integer()) return Fail(where, "expected an integer");
    } else {
      if (!it->is_string()) return Fail(where, "expected a string");
    }
    *out = it->get<T>();
  }

  // A required string member.
  void Require(const Json& obj, const char* key, const std::string& path, std::string* out) {
    if (!obj.contains(key)) return Fail(path, std::string("missing \"") + key + "\"");
    Get(obj, key, path, out);
  }

  void GetBound(const Json& obj, const char* key, const std::string& path, KeyType type,
                Bound* out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return;
    const std::string where = Member(path, key);
    if (it->is_number_integer()) {
      *out = Bound::Value(it->get<int64_t>());
      return;
    }
    if (!it->is_string()) return Fail(where, "expected a bound (string or integer)");
    const std::string text = it->get<std::string>();
    if (text == "MINVALUE") {
      *out = Bound::Min();
    } else if (text == "MAXVALUE") {
      *out = Bound::Max();
    } else if (auto b = ParseBoundText(type, text)) {
      *out = *b;
    } else {
      Fail(where, "'" + text + "' is not a " + KeyTypeName(type) + " bound");
    }
  }

  std::vector<Grant> ReadGrants(const Json& j, const std::string& path) {
    std::vector<Grant> grants;
    auto it = j.find("grants");
    if (it == j.end() || it->is_null()) return grants;
    if (!it->is_array()) {
      Fail(path + ".grants", "expected an array of objects");
      return grants;
    }
    for (size_t i = 0; i < it->size() && ok(); ++i) {
      const Json& g = (*it)[i];
      const std::string where = path + ".grants[" + std::to_string(i) + "]";
      if (!g.is_object()) {
        Fail(where, "expected an object");
        break;
      }
      Grant grant;
      Get(g, "grantee", where, &grant.grantee);
      Require(g, "privilege", where, &grant.privilege);
      Get(g, "grantable", where, &grant.grantable);
      if (!IsTablePrivilege(grant.privilege)) {  // spliced into GRANT statements
        Fail(where + ".privilege", "'" + grant.privilege + "' is not a table privilege");
        break;
      }
      grants.push_back(std::move(grant));
    }
    std::sort(grants.begin(), grants.end());
    return grants;
  }

  Child ReadChild(const Json& j, const std::string& path, KeyType type) {
    Child c;
    if (!j.is_object()) {
      Fail(path, "expected an object");
      return c;
    }
    Require(j, "schema", path, &c.name.schema);
    Require(j, "name", path, &c.name.name);
    std::string kind = BoundKindName(c.bound_kind);
    Get(j, "bound", path, &kind);
    if (auto k = BoundKindFromName(kind)) {
      c.bound_kind = *k;
    } else {
      Fail(path + ".bound", "unknown bound kind '" + kind + "' (range, hash, list, default)");
    }
    GetBound(j, "from", path, type, &c.from);
    GetBound(j, "to", path, type, &c.to);
    Get(j, "modulus", path, &c.modulus);
    Get(j, "remainder", path, &c.remainder);
    Get(j, "bound_text", path, &c.bound_text);
    Get(j, "sub_partitioned", path, &c.sub_partitioned);
    Get(j, "foreign", path, &c.foreign);
    Get(j, "detach_pending", path, &c.detach_pending);
    Get(j, "rows_estimate", path, &c.rows_estimate);
    Get(j, "bytes", path, &c.bytes);
    Get(j, "oid", path, &c.oid);
    Get(j, "marker_oid", path, &c.marker_oid);
    Get(j, "detached_at_micros", path, &c.detached_at_micros);
    Get(j, "owner", path, &c.owner);
    c.grants = ReadGrants(j, path);
    if (auto it = j.find("reloptions"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) {
        Fail(path + ".reloptions", "expected an array of strings");
      } else {
        for (const Json& o : *it) {
          if (!o.is_string()) {
            Fail(path + ".reloptions", "expected an array of strings");
            break;
          }
          c.reloptions.push_back(o.get<std::string>());
        }
      }
    }
    Get(j, "access_method", path, &c.access_method);
    std::string identity(1, c.replica_identity);
    Get(j, "replica_identity", path, &identity);
    if (identity.size() != 1 || std::string("dnfi").find(identity[0]) == std::string::npos) {
      Fail(path + ".replica_identity", "expected one of d, n, f, i");
    } else {
      c.replica_identity = identity[0];
    }
    if (auto it = j.find("local_indexes"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) {
        Fail(path + ".local_indexes", "expected an array of objects");
      } else {
        for (size_t i = 0; i < it->size() && ok(); ++i) {
          const std::string where = path + ".local_indexes[" + std::to_string(i) + "]";
          if (!(*it)[i].is_object()) {
            Fail(where, "expected an object");
            break;
          }
          LocalIndex index;
          Get((*it)[i], "unique", where, &index.unique);
          Require((*it)[i], "definition", where, &index.definition);
          c.local_indexes.push_back(std::move(index));
        }
        std::sort(c.local_indexes.begin(), c.local_indexes.end());
      }
    }
    return c;
  }

  Table ReadTable(const Json& j, const std::string& path) {
    Table t;
    if (!j.is_object()) {
      Fail(path, "expected an object");
      return t;
    }
    Require(j, "schema", path, &t.name.schema);
    Require(j, "name", path, &t.name.name);
    Get(j, "exists", path, &t.exists);
    Get(j, "partitioned", path, &t.partitioned);
    Get(j, "strategy", path, &t.strategy);
    if (auto it = j.find("key_columns"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) {
        Fail(path + ".key_columns", "expected an array of strings");
      } else {
        for (const Json& col : *it) {
          if (!col.is_string()) {
            Fail(path + ".key_columns", "expected an array of strings");
            break;
          }
          t.key_columns.push_back(col.get<std::string>());
        }
      }
    }
    if (auto it = j.find("columns"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) {
        Fail(path + ".columns", "expected an array of objects");
      } else {
        for (size_t i = 0; i < it->size() && ok(); ++i) {
          const Json& c = (*it)[i];
          const std::string where = path + ".columns[" + std::to_string(i) + "]";
          if (!c.is_object()) {
            Fail(where, "expected an object");
            break;
          }
          Column col;
          Require(c, "name", where, &col.name);
          Get(c, "generated", where, &col.generated);
          Get(c, "identity_always", where, &col.identity_always);
          t.columns.push_back(std::move(col));
        }
        t.columns_known = true;
      }
    }
    Get(j, "storage_known", path, &t.storage_known);
    if (auto it = j.find("owner"); it != j.end() && !it->is_null()) {
      Get(j, "owner", path, &t.owner);  // snapshots of older versions have none
      t.grants = ReadGrants(j, path);
      t.privileges_known = true;
    }
    Get(j, "key_type_name", path, &t.key_type_name);
    std::string key_type = KeyTypeName(KeyType::kUnsupported);
    Get(j, "key_type", path, &key_type);
    t.key_type = KeyTypeFromName(key_type);
    if (t.key_type == KeyType::kUnsupported && key_type != KeyTypeName(KeyType::kUnsupported)) {
      Fail(path + ".key_type", "unknown key type '" + key_type + "'");
    }
    if (auto it = j.find("children"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) {
        Fail(path + ".children", "expected an array");
      } else {
        for (size_t i = 0; i < it->size() && ok(); ++i) {
          t.children.push_back(
              ReadChild((*it)[i], path + ".children[" + std::to_string(i) + "]", t.key_type));
        }
      }
    }
    if (auto it = j.find("default_partition"); it != j.end() && !it->is_null()) {
      t.default_partition = ReadChild(*it, path + ".default_partition", t.key_type);
    }
    if (auto it = j.find("detached_for_drop"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) {
        Fail(path + ".detached_for_drop", "expected an array");
      } else {
        for (size_t i = 0; i < it->size() && ok(); ++i) {
          t.detached_for_drop.push_back(ReadChild(
              (*it)[i], path + ".detached_for_drop[" + std::to_string(i) + "]", t.key_type));
        }
      }
    }
    if (auto it = j.find("detached"); it != j.end() && !it->is_null()) {  // optional
      if (!it->is_array()) {
        Fail(path + ".detached", "expected an array");
      } else {
        for (size_t i = 0; i < it->size() && ok(); ++i) {
          t.detached.push_back(
              ReadChild((*it)[i], path + ".detached[" + std::to_string(i) + "]", t.key_type));
        }
      }
    }
    Get(j, "default_rows", path, &t.default_rows);
    if (auto it = j.find("default_buckets"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) {
        Fail(path + ".default_buckets", "expected an array");
      } else {
        for (size_t i = 0; i < it->size() && ok(); ++i) {
          const Json& b = (*it)[i];
          const std::string where = path + ".default_buckets[" + std::to_string(i) + "]";
          if (!b.is_object()) {
            Fail(where, "expected an object");
            break;
          }
          DefaultBucket bucket;
          GetBound(b, "from", where, t.key_type, &bucket.from);
          GetBound(b, "to", where, t.key_type, &bucket.to);
          Get(b, "rows", where, &bucket.rows);
          t.default_buckets.push_back(bucket);
        }
      }
    }
    Get(j, "default_buckets_known", path, &t.default_buckets_known);
    GetBound(j, "default_counted_from", path, t.key_type, &t.default_counted_from);
    GetBound(j, "default_counted_to", path, t.key_type, &t.default_counted_to);
    Get(j, "locked_by", path, &t.locked_by);
    Get(j, "unreadable", path, &t.unreadable);
    if (auto it = j.find("max_key"); it != j.end() && !it->is_null()) {
      int64_t v = 0;
      Get(j, "max_key", path, &v);
      t.max_key = v;
    }
    if (auto it = j.find("history"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) {
        Fail(path + ".history", "expected an array");
      } else {
        for (size_t i = 0; i < it->size() && ok(); ++i) {
          t.history.push_back(
              ReadOutcome((*it)[i], path + ".history[" + std::to_string(i) + "]"));
        }
      }
    }
    // Absent in snapshots of older versions, and when no apply run was recorded.
    if (auto it = j.find("last_apply"); it != j.end() && !it->is_null()) {
      const std::string where = path + ".last_apply";
      if (!it->is_object()) {
        Fail(where, "expected an object");
      } else {
        LastApply la;
        Get(*it, "at_micros", where, &la.at_micros);
        Require(*it, "outcome", where, &la.outcome);
        Get(*it, "error", where, &la.error);
        t.last_apply = std::move(la);
      }
    }
    // Absent in snapshots of older versions, and whenever pg_partman does not list the table.
    if (auto it = j.find("pg_partman"); it != j.end() && !it->is_null()) {
      const std::string where = path + ".pg_partman";
      if (!it->is_object()) {
        Fail(where, "expected an object");
      } else {
        PartmanConfig pc;
        Require(*it, "schema", where, &pc.schema);
        Get(*it, "version", where, &pc.version);
        Require(*it, "parent_table", where, &pc.parent_table);
        Get(*it, "automatic_maintenance", where, &pc.automatic_maintenance);
        t.pg_partman = std::move(pc);
      }
    }
    return t;
  }

  RecordedOutcome ReadOutcome(const Json& j, const std::string& path) {
    RecordedOutcome o;
    if (!j.is_object()) {
      Fail(path, "expected an object");
      return o;
    }
    Require(j, "schema", path, &o.partition.schema);
    Require(j, "name", path, &o.partition.name);
    Require(j, "action", path, &o.action);
    Require(j, "outcome", path, &o.outcome);
    Get(j, "error", path, &o.error);
    Get(j, "at_micros", path, &o.at_micros);
    return o;
  }

 private:
  std::string error_;
};

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

bool CatalogFromJson(const std::string& json_text, Catalog* catalog, std::string* error) {
  Json j;
  try {
    j = Json::parse(json_text);
  } catch (const Json::exception& e) {
    *error = std::string("not valid JSON: ") + e.what();
    return false;
  }
  if (!j.is_object()) {
    *error = "a catalog snapshot must be a JSON object";
    return false;
  }
  if (std::string problem = CheckJsonIntegers(j); !problem.empty()) {
    *error = problem;
    return false;
  }
  auto version = j.find("format_version");
  if (version == j.end() || !version->is_number_integer()) {
    *error = "format_version: missing or not an integer (is this a pgpart snapshot?)";
    return false;
  }
  if (version->get<int64_t>() != kSnapshotFormatVersion) {
    *error = "format_version: unsupported snapshot format " + JsonText(*version) +
             " (this pgpart reads format " + std::to_string(kSnapshotFormatVersion) + ")";
    return false;
  }
  Reader r;
  Catalog c;
  r.Get(j, "server_version", "", &c.server_version);
  r.Get(j, "database", "", &c.database.name);
  r.Get(j, "database_oid", "", &c.database.oid);  // absent in snapshots of older versions
  r.Get(j, "system_identifier", "", &c.database.system_identifier);
  if (auto it = j.find("now_micros"); it != j.end() && !it->is_null()) {
    int64_t v = 0;
    r.Get(j, "now_micros", "", &v);
    c.now_micros = v;
  }
  std::string history = HistoryStateName(HistoryState::kNotRead);
  r.Get(j, "history", "", &history);
  if (auto state = HistoryStateFromName(history)) {
    c.history = *state;
  } else {
    r.Fail("history", "unknown history state '" + history + "' (read, unreadable, not_read)");
  }
  if (auto it = j.find("unmanaged_with_history"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) {
      r.Fail("unmanaged_with_history", "expected an array of objects");
    } else {
      for (size_t i = 0; i < it->size() && r.ok(); ++i) {
        const std::string where = "unmanaged_with_history[" + std::to_string(i) + "]";
        if (!(*it)[i].is_object()) {
          r.Fail(where, "expected an object");
          break;
        }
        QualifiedName n;
        r.Require((*it)[i], "schema", where, &n.schema);
        r.Require((*it)[i], "name", where, &n.name);
        c.unmanaged_with_history.push_back(std::move(n));
      }
    }
  }
  auto tables = j.find("tables");
  if (tables == j.end() || !tables->is_array()) {
    r.Fail("tables", "missing or not an array");
  } else {
    for (size_t i = 0; i < tables->size() && r.ok(); ++i) {
      c.tables.push_back(r.ReadTable((*tables)[i], "tables[" + std::to_string(i) + "]"));
    }
  }
  if (!r.ok()) {
    *error = r.error();
    return false;
  }
  if (std::string problem = CheckSnapshotConsistency(c); !problem.empty()) {
    *error = problem;
    return false;
  }
  *catalog = std::move(c);
  return true;
}

}  // namespace pgpart
