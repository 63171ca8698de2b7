// The shared parts of the snapshot reading tests (snapshot_fixture.h).

#include "snapshot_fixture.h"

#include <string>
#include <utility>
#include <vector>

namespace pgpart::snapshot_test {
namespace {

Bound B(KeyType type, const char* text) { return *ParseBoundText(type, text); }

Grant G(const std::string& grantee, const std::string& privilege, bool grantable = false) {
  return Grant{grantee, privilege, grantable};
}

Child Range(const std::string& name, Bound from, Bound to) {
  Child c;
  c.name = {"public", name};
  c.from = from;
  c.to = to;
  c.bound_text = "FOR VALUES FROM (...) TO (...)";
  return c;
}

}  // namespace

Table HashTable() {
  Table hash;
  hash.name = {"public", "h"};
  hash.exists = hash.partitioned = true;
  hash.strategy = "hash";
  hash.key_columns = {"org_id"};
  hash.key_type_name = "bigint";
  hash.key_type = KeyType::kBigInt;
  for (int i = 0; i < 3; ++i) {
    Child c;
    c.name = {"public", "h_" + std::to_string(i)};
    c.bound_kind = BoundKind::kHash;
    c.modulus = 3;
    c.remainder = i;
    hash.children.push_back(c);
  }
  return hash;
}

Catalog RichCatalog() {
  constexpr KeyType kTz = KeyType::kTimestampTz;
  Catalog cat;
  cat.server_version = "15.8";
  cat.database = {"app", 16384, "7300000000000000001"};
  cat.now_micros = 1'795'000'000'123'456;
  cat.history = HistoryState::kRead;
  cat.unmanaged_with_history = {{"old", "gone_a"}, {"old", "gone_b"}};

  Table ts;
  ts.name = {"public", "events"};
  ts.exists = ts.partitioned = true;
  ts.strategy = "range";
  ts.key_columns = {"recorded_at"};
  ts.key_type_name = "timestamp with time zone";
  ts.key_type = kTz;
  ts.columns = {{"id", false, true}, {"recorded_at", false, false}, {"day", true, false}};
  ts.columns_known = true;
  ts.owner = "app_owner";
  ts.grants = {G("", "SELECT"), G("writer", "INSERT", true)};
  ts.privileges_known = true;
  ts.storage_known = true;
  Child first = Range("events_old", Bound::Min(), B(kTz, "2024-01-01T00:00:00Z"));
  first.oid = 16400;
  first.owner = "app_owner";
  first.grants = {G("reader", "SELECT")};
  first.reloptions = {"fillfactor=70", "autovacuum_enabled=false"};
  first.access_method = "heap";
  first.replica_identity = 'f';
  first.local_indexes = {{false, "btree (id)"}, {true, "btree (id, recorded_at)"}};
  first.rows_estimate = 1234;
  first.bytes = 81920;
  Child second = Range("events_2024", B(kTz, "2024-01-01T00:00:00Z"),
                       B(kTz, "2025-01-01T00:00:00Z"));
  second.sub_partitioned = second.foreign = second.detach_pending = true;
  second.replica_identity = 'n';
  Child third = Range("events_rest", B(kTz, "2025-01-01T00:00:00Z"), Bound::Max());
  third.replica_identity = 'i';
  ts.children = {first, second, third};
  Child def;
  def.name = {"public", "events_default"};
  def.bound_kind = BoundKind::kDefault;
  def.bound_text = "DEFAULT";
  def.oid = 16401;
  def.rows_estimate = 9;
  ts.default_partition = def;
  ts.default_rows = 7;
  ts.default_buckets = {{Bound::Min(), B(kTz, "2023-01-01T00:00:00Z"), 5},
                        {B(kTz, "2023-01-01T00:00:00Z"), B(kTz, "2023-02-01T00:00:00Z"), 2}};
  ts.default_buckets_known = true;
  ts.default_counted_from = B(kTz, "2020-01-01T00:00:00Z");
  ts.default_counted_to = B(kTz, "2026-01-01T00:00:00Z");
  Child marked = Range("events_dropme", B(kTz, "2019-01-01T00:00:00Z"),
                       B(kTz, "2019-02-01T00:00:00Z"));
  marked.oid = 16500;
  marked.marker_oid = 16499;
  ts.detached_for_drop = {marked};
  Child kept = Range("events_kept", B(kTz, "2018-01-01T00:00:00Z"),
                     B(kTz, "2018-02-01T00:00:00Z"));
  kept.oid = kept.marker_oid = 16600;
  kept.detached_at_micros = 1'790'000'000'000'000;
  ts.detached = {kept};
  ts.locked_by = "pid 4242 (ACCESS EXCLUSIVE)";
  ts.unreadable = "SELECT on public.events_default";
  ts.history = {RecordedOutcome{{"public", "events_old"}, "drop", "blocked", "backup gate", 1},
                RecordedOutcome{{"public", "events_x"}, "create", "failed", "", 2}};
  ts.last_apply = LastApply{1'795'000'000'000'002, "blocked", "1 applied, 1 blocked"};
  ts.pg_partman = PartmanConfig{"partman", "4.7.2", "public.events", "on"};
  cat.tables.push_back(ts);

  // One range table per other key type, each with a bound of every kind.
  const std::vector<std::pair<KeyType, std::pair<const char*, const char*>>> others = {
      {KeyType::kTimestamp, {"2024-01-01T00:00:00", "2024-02-01T00:00:00"}},
      {KeyType::kDate, {"2024-01-01", "2024-02-01"}},
      {KeyType::kSmallInt, {"-100", "100"}},
      {KeyType::kInteger, {"-2147483648", "0"}},
      {KeyType::kBigInt, {"1000", "9223372036854775806"}}};
  for (const auto& [type, texts] : others) {
    Table t;
    t.name = {"public", "k_" + KeyTypeName(type)};
    t.exists = t.partitioned = true;
    t.strategy = "range";
    t.key_columns = {"k"};
    t.key_type_name = KeyTypeName(type);
    t.key_type = type;
    t.children = {Range("a", Bound::Min(), B(type, texts.first)),
                  Range("b", B(type, texts.first), B(type, texts.second)),
                  Range("c", B(type, texts.second), Bound::Max())};
    t.max_key = -5;
    cat.tables.push_back(t);
  }

  cat.tables.push_back(HashTable());

  Table list;  // an unsupported key: bounds are written as raw integers
  list.name = {"public", "l"};
  list.exists = list.partitioned = true;
  list.strategy = "list";
  list.key_columns = {"code"};
  list.key_type_name = "text";
  Child lc;
  lc.name = {"public", "l_a"};
  lc.bound_kind = BoundKind::kList;
  lc.bound_text = "FOR VALUES IN ('a')";
  lc.from = Bound::Value(3);
  lc.to = Bound::Value(-4);
  list.children.push_back(lc);
  cat.tables.push_back(list);

  Table missing;
  missing.name = {"public", "gone"};
  cat.tables.push_back(missing);
  return cat;
}

Json RichJson() { return Json::parse(CatalogToJson(RichCatalog())); }

std::string ErrorOf(const std::string& text, Catalog* out) {
  Catalog catalog;
  std::string error;
  if (!CatalogFromJson(text, &catalog, &error)) return error;
  if (out != nullptr) *out = std::move(catalog);
  return "";
}

void ForEachObject(const Json& j, const Json::json_pointer& at,
                   const std::function<void(const Json::json_pointer&)>& visit) {
  if (j.is_object()) {
    visit(at);
    for (const auto& [key, value] : j.items()) ForEachObject(value, at / key, visit);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) ForEachObject(j[i], at / i, visit);
  }
}

Json Reversed(const Json& j) {
  if (j.is_array()) {
    Json out = Json::array();
    for (const Json& e : j) out.push_back(Reversed(e));
    return out;
  }
  if (!j.is_object()) return j;
  Json out = Json::object();
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) out[*it] = Reversed(j.at(*it));
  return out;
}

}  // namespace pgpart::snapshot_test
