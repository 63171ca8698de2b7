// Catalog snapshot JSON (no server needed), Catalog::Find and RedactDsn.

#include "catalog/snapshot.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "catalog/reader.h"
#include "snapshot_fixture.h"

namespace pgpart {
namespace {

Child RangeChild(const std::string& name, Bound from, Bound to) {
  Child c;
  c.name = {"public", name};
  c.from = from;
  c.to = to;
  c.bound_text = "FOR VALUES FROM (...) TO (...)";
  c.rows_estimate = 12;
  c.bytes = 8192;
  return c;
}

// A catalog that uses every field, with values the text forms must carry exactly.
Catalog FullCatalog() {
  Catalog cat;
  cat.server_version = "15.8";
  cat.database = {"app \"db\"", 16384, "7300000000000000001"};
  cat.now_micros = 1'795'000'000'123'456;

  Table ts;
  ts.name = {"My Schema", "Odd \"Name\""};
  ts.exists = ts.partitioned = true;
  ts.strategy = "range";
  ts.key_columns = {"Recorded At"};
  ts.key_type_name = "timestamp with time zone";
  ts.key_type = KeyType::kTimestampTz;
  ts.children.push_back(RangeChild("old", Bound::Min(), Bound::Value(1'704'067'200'000'000)));
  ts.children.push_back(RangeChild("frac", Bound::Value(1'704'067'200'000'000),
                                   Bound::Value(1'704'067'200'000'001)));  // one microsecond
  // Children may not overlap (snapshot_check.h): the rest of time after "frac".
  ts.children.push_back(RangeChild("rest", Bound::Value(1'704'067'200'000'001), Bound::Max()));
  ts.children.back().sub_partitioned = true;
  ts.children.back().detach_pending = true;
  ts.children.back().foreign = true;
  ts.children.back().oid = 16423;
  Child marked = RangeChild("marked", Bound::Value(0), Bound::Value(1));
  marked.oid = 16500;
  marked.marker_oid = 16499;
  ts.detached_for_drop.push_back(marked);
  Child kept = RangeChild("kept", Bound::Value(1), Bound::Value(2));
  kept.oid = kept.marker_oid = 16600;
  kept.bytes = 8192;
  kept.detached_at_micros = 1'790'000'000'000'000;
  ts.detached.push_back(kept);
  Child def;
  def.name = {"public", "défaut ünïcode"};
  def.bound_kind = BoundKind::kDefault;
  def.bound_text = "DEFAULT";
  ts.default_partition = def;
  ts.default_rows = 7;
  ts.default_buckets = {{Bound::Value(0), Bound::Value(3'600'000'000), 5},
                        {Bound::Value(3'600'000'000), Bound::Value(7'200'000'000), 2}};
  ts.default_buckets_known = true;
  ts.history = {RecordedOutcome{{"My Schema", "old"}, "drop", "blocked",
                                "backup gate: \"quoted\" détail", 1'795'000'000'000'001}};
  ts.default_counted_from = Bound::Value(-86'400'000'000);  // before the epoch
  ts.last_apply = LastApply{1'795'000'000'000'002, "blocked", "--only retention: 0 applied"};
  ts.pg_partman = PartmanConfig{"part man", "4.7.2", "My Schema.Odd \"Name\"", "on"};
  cat.tables.push_back(ts);
  cat.history = HistoryState::kRead;

  cat.tables.push_back(snapshot_test::HashTable());

  Table ints;
  ints.name = {"public", "i"};
  ints.exists = ints.partitioned = true;
  ints.strategy = "range";
  ints.key_columns = {"id"};
  ints.key_type_name = "integer";
  ints.key_type = KeyType::kInteger;
  ints.children.push_back(RangeChild("i_0", Bound::Value(-2147483648), Bound::Value(0)));
  ints.max_key = -5;
  cat.tables.push_back(ints);

  Table list;  // an unsupported key: bounds fall back to raw numbers
  list.name = {"public", "l"};
  list.exists = list.partitioned = true;
  list.strategy = "list";
  list.key_columns = {"code"};
  list.key_type_name = "text";
  Child lc;
  lc.name = {"public", "l_a"};
  lc.bound_kind = BoundKind::kList;
  lc.bound_text = "FOR VALUES IN ('a,b', 'c''d')";
  lc.from = Bound::Value(3);  // odd values for the kind are kept too
  list.children.push_back(lc);
  cat.tables.push_back(list);

  Table missing;
  missing.name = {"public", "gone"};
  cat.tables.push_back(missing);
  return cat;
}

TEST(SnapshotTest, RoundTripIsExactAndStable) {
  const Catalog cat = FullCatalog();
  const std::string json = CatalogToJson(cat);
  Catalog back;
  std::string error;
  ASSERT_TRUE(CatalogFromJson(json, &back, &error)) << error;
  EXPECT_EQ(back, cat);
  EXPECT_EQ(CatalogToJson(back), json);
  EXPECT_EQ(json.back(), '\n');
}

TEST(SnapshotTest, ReadableShape) {
  nlohmann::json j = nlohmann::json::parse(CatalogToJson(FullCatalog()));
  EXPECT_EQ(j["format_version"], kSnapshotFormatVersion);
  EXPECT_EQ(j["now_micros"], 1'795'000'000'123'456);
  const auto& ts = j["tables"][0];
  EXPECT_EQ(ts["schema"], "My Schema");
  EXPECT_EQ(ts["key_type"], "timestamptz");
  EXPECT_EQ(ts["children"][0]["from"], "MINVALUE");
  EXPECT_EQ(ts["children"][0]["to"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(ts["children"][2]["to"], "MAXVALUE");
  EXPECT_EQ(ts["children"][2]["oid"], 16423);
  EXPECT_FALSE(ts["children"][1].contains("oid"));  // optional: only when known
  EXPECT_EQ(ts["detached_for_drop"][0]["marker_oid"], 16499);
  EXPECT_EQ(ts["detached"][0]["detached_at_micros"], 1'790'000'000'000'000);
  EXPECT_EQ(j["database"], "app \"db\"");
  EXPECT_EQ(j["database_oid"], 16384);
  EXPECT_EQ(j["system_identifier"], "7300000000000000001");
  EXPECT_EQ(ts["default_partition"]["bound"], "default");
  EXPECT_FALSE(ts["default_partition"].contains("from"));
  EXPECT_EQ(ts["default_buckets"][1]["rows"], 2);
  const auto& hash = j["tables"][1];
  EXPECT_EQ(hash["children"][2]["modulus"], 3);
  EXPECT_EQ(hash["children"][2]["remainder"], 2);
  EXPECT_FALSE(hash["children"][2].contains("from"));
  EXPECT_EQ(j["tables"][2]["max_key"], -5);
  EXPECT_EQ(j["tables"][2]["children"][0]["from"], "-2147483648");
  EXPECT_TRUE(j["tables"][4]["max_key"].is_null());
  EXPECT_TRUE(j["tables"][4]["default_partition"].is_null());
}

TEST(SnapshotTest, HistoryIsOptional) {
  // What pgpart.history said travels with the snapshot, so that `status --catalog` shows it.
  nlohmann::json j = nlohmann::json::parse(CatalogToJson(FullCatalog()));
  EXPECT_EQ(j["history"], "read");
  EXPECT_EQ(j["tables"][0]["history"][0]["outcome"], "blocked");
  EXPECT_EQ(j["tables"][0]["history"][0]["at"], "2026-11-18T11:06:40.000001Z");
  EXPECT_FALSE(j["tables"][1].contains("history"));  // none: not written

  // A snapshot taken without it (or by an older pgpart) reads as "not read".
  j.erase("history");
  j["tables"][0].erase("history");
  Catalog back;
  std::string error;
  ASSERT_TRUE(CatalogFromJson(j.dump(), &back, &error)) << error;
  EXPECT_EQ(back.history, HistoryState::kNotRead);
  EXPECT_TRUE(back.tables[0].history.empty());
  EXPECT_EQ(nlohmann::json::parse(CatalogToJson(back)).contains("history"), false);

  j["history"] = "maybe";
  EXPECT_FALSE(CatalogFromJson(j.dump(), &back, &error));
  EXPECT_NE(error.find("history"), std::string::npos) << error;
  j["history"] = "unreadable";
  j["tables"][0]["history"] = {{{"schema", "s"}, {"action", "drop"}, {"outcome", "blocked"}}};
  EXPECT_FALSE(CatalogFromJson(j.dump(), &back, &error));
  EXPECT_NE(error.find("tables[0].history[0]: missing \"name\""), std::string::npos) << error;
}

// The last apply run (issue 12 item 6) and pg_partman's config of a table (item 5) travel with
// the snapshot; snapshots without them (older pgpart, or nothing to say) read as before.
TEST(SnapshotTest, LastApplyAndPgPartmanAreOptional) {
  nlohmann::json j = nlohmann::json::parse(CatalogToJson(FullCatalog()));
  EXPECT_EQ(j["tables"][0]["last_apply"]["outcome"], "blocked");
  EXPECT_EQ(j["tables"][0]["pg_partman"]["schema"], "part man");
  EXPECT_FALSE(j["tables"][1].contains("last_apply"));
  EXPECT_FALSE(j["tables"][1].contains("pg_partman"));
  j["tables"][0].erase("last_apply");
  j["tables"][0].erase("pg_partman");
  Catalog back;
  std::string error;
  ASSERT_TRUE(CatalogFromJson(j.dump(), &back, &error)) << error;
  EXPECT_FALSE(back.tables[0].last_apply.has_value());
  EXPECT_FALSE(back.tables[0].pg_partman.has_value());
  j["tables"][0]["pg_partman"] = {{"schema", "partman"}};
  EXPECT_FALSE(CatalogFromJson(j.dump(), &back, &error));
  EXPECT_NE(error.find("tables[0].pg_partman: missing \"parent_table\""), std::string::npos)
      << error;
}

TEST(SnapshotTest, EmptyCatalogAndAbsentClock) {
  Catalog empty;
  Catalog back;
  back.database.name = "something";
  std::string error;
  ASSERT_TRUE(CatalogFromJson(CatalogToJson(empty), &back, &error)) << error;
  EXPECT_EQ(back, empty);
  EXPECT_FALSE(back.now_micros.has_value());
}

TEST(SnapshotTest, RejectsUnknownFormatVersion) {
  std::string json = CatalogToJson(FullCatalog());
  nlohmann::json j = nlohmann::json::parse(json);
  j["format_version"] = 2;
  Catalog out;
  std::string error;
  EXPECT_FALSE(CatalogFromJson(j.dump(), &out, &error));
  EXPECT_NE(error.find("format_version"), std::string::npos) << error;
  EXPECT_NE(error.find('2'), std::string::npos) << error;
  j.erase("format_version");
  EXPECT_FALSE(CatalogFromJson(j.dump(), &out, &error));
  EXPECT_NE(error.find("format_version"), std::string::npos) << error;
}

TEST(SnapshotTest, ErrorsNameTheJsonPath) {
  Catalog out;
  std::string error;
  EXPECT_FALSE(CatalogFromJson("{\"format_version\": 1, \"tables\": [", &out, &error));
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;

  nlohmann::json j = nlohmann::json::parse(CatalogToJson(FullCatalog()));
  j["tables"][0]["children"][1]["to"] = "2024-13-45T00:00:00Z";
  EXPECT_FALSE(CatalogFromJson(j.dump(), &out, &error));
  EXPECT_NE(error.find("tables[0].children[1].to"), std::string::npos) << error;

  j = nlohmann::json::parse(CatalogToJson(FullCatalog()));
  j["tables"][1]["children"][0]["bound"] = "circle";
  EXPECT_FALSE(CatalogFromJson(j.dump(), &out, &error));
  EXPECT_NE(error.find("tables[1].children[0].bound"), std::string::npos) << error;

  j = nlohmann::json::parse(CatalogToJson(FullCatalog()));
  j["tables"][2]["max_key"] = "many";
  EXPECT_FALSE(CatalogFromJson(j.dump(), &out, &error));
  EXPECT_NE(error.find("tables[2].max_key"), std::string::npos) << error;

  j = nlohmann::json::parse(CatalogToJson(FullCatalog()));
  j["tables"][3]["key_type"] = "uuid";
  EXPECT_FALSE(CatalogFromJson(j.dump(), &out, &error));
  EXPECT_NE(error.find("tables[3].key_type"), std::string::npos) << error;

  j = nlohmann::json::parse(CatalogToJson(FullCatalog()));
  j["tables"][0].erase("name");
  EXPECT_FALSE(CatalogFromJson(j.dump(), &out, &error));
  EXPECT_NE(error.find("tables[0]: missing \"name\""), std::string::npos) << error;

  EXPECT_FALSE(CatalogFromJson("[1, 2]", &out, &error));
  EXPECT_FALSE(CatalogFromJson("{\"format_version\": 1}", &out, &error));
  EXPECT_NE(error.find("tables"), std::string::npos) << error;
}

TEST(CatalogTest, FindIsExact) {
  Catalog cat = FullCatalog();
  const Table* t = cat.Find({"My Schema", "Odd \"Name\""});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->strategy, "range");
  EXPECT_EQ(cat.Find({"public", "H"}), nullptr);
  EXPECT_EQ(cat.Find({"other", "h"}), nullptr);
  EXPECT_EQ(cat.Find({"public", "h"}), &cat.tables[1]);
}

TEST(RedactDsnTest, KeyValueForm) {
  EXPECT_EQ(RedactDsn("host=db user=app password=hunter2 dbname=x"),
            "host=db user=app password=******** dbname=x");
  EXPECT_EQ(RedactDsn("password = 'a b\\' c' host=db"), "password = ******** host=db");
  EXPECT_EQ(RedactDsn("host=db password=x\\ y port=5"), "host=db password=******** port=5");
  EXPECT_EQ(RedactDsn("host=db user=app"), "host=db user=app");
  EXPECT_EQ(RedactDsn("host=db passfile=/p user=password"), "host=db passfile=/p user=password");
  EXPECT_EQ(RedactDsn(""), "");
}

TEST(RedactDsnTest, UriForm) {
  EXPECT_EQ(RedactDsn("postgresql://app:hunter2@db:5432/x"), "postgresql://app:********@db:5432/x");
  EXPECT_EQ(RedactDsn("postgres://app:p%40ss@db/x?sslmode=require"),
            "postgres://app:********@db/x?sslmode=require");
  EXPECT_EQ(RedactDsn("postgresql://app@db/x?password=hunter2&sslmode=require"),
            "postgresql://app@db/x?password=********&sslmode=require");
  EXPECT_EQ(RedactDsn("postgresql://db/x?sslmode=require&password=hunter2"),
            "postgresql://db/x?sslmode=require&password=********");
  EXPECT_EQ(RedactDsn("postgresql://db:5432/x"), "postgresql://db:5432/x");
  EXPECT_EQ(RedactDsn("postgresql://app:a@b@db/x"), "postgresql://app:********@db/x");
}

}  // namespace
}  // namespace pgpart
