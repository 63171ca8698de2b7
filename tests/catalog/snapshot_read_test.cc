// Reading a catalog snapshot (CatalogFromJson): every member of every object, in any order, with
// nulls as absent. These pin what the reader accepts, whatever way it parses (issue 16 replaced
// the DOM walk by a streaming reader: these tests passed on both). The errors:
// snapshot_read_errors_test.cc.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "catalog/snapshot.h"
#include "snapshot_fixture.h"

namespace pgpart::snapshot_test {
namespace {

TEST(SnapshotReadTest, RichCatalogRoundTrip) {
  const Catalog cat = RichCatalog();
  const std::string json = CatalogToJson(cat);
  // The raw-integer form of a bound is there (the unsupported key).
  EXPECT_EQ(Json::parse(json)["tables"][7]["children"][0]["to"], -4);
  Catalog back;
  ASSERT_EQ(ErrorOf(json, &back), "");
  EXPECT_EQ(back, cat);
  EXPECT_EQ(CatalogToJson(back), json);
}

// Members may come in any order: key_type after the children whose bounds it types,
// format_version after the tables, owner after grants.
TEST(SnapshotReadTest, MembersInReverseOrder) {
  const Json reversed = Reversed(RichJson());
  std::vector<std::string> keys;
  for (const auto& [key, value] : reversed["tables"][0].items()) keys.push_back(key);
  ASSERT_LT(std::find(keys.begin(), keys.end(), "children"),
            std::find(keys.begin(), keys.end(), "key_type"));
  ASSERT_EQ(reversed.begin().key(), "tables");
  Catalog back;
  ASSERT_EQ(ErrorOf(reversed.dump(2), &back), "");
  EXPECT_EQ(back, RichCatalog());

  Json bad = RichJson();
  bad["tables"][0]["children"][1]["to"] = "2024-13-45T00:00:00Z";
  EXPECT_EQ(ErrorOf(Reversed(bad).dump()),
            "tables[0].children[1].to: '2024-13-45T00:00:00Z' is not a timestamptz bound");
  bad = RichJson();
  bad["tables"][0]["default_buckets"][1]["from"] = "yesterday";
  EXPECT_EQ(ErrorOf(Reversed(bad).dump()),
            "tables[0].default_buckets[1].from: 'yesterday' is not a timestamptz bound");
  bad = RichJson();
  bad["tables"][2]["default_counted_to"] = "1 January";
  EXPECT_EQ(ErrorOf(Reversed(bad).dump()),
            "tables[2].default_counted_to: '1 January' is not a date bound");
}

// A bound may be written as its key-domain integer whatever the key type.
TEST(SnapshotReadTest, IntegerBoundsAreTakenAsTheValue) {
  const Catalog cat = RichCatalog();
  Json j = RichJson();
  j["tables"][0]["children"][1]["from"] = cat.tables[0].children[1].from.value;
  j["tables"][0]["default_counted_to"] = cat.tables[0].default_counted_to.value;
  Catalog back;
  ASSERT_EQ(ErrorOf(j.dump(), &back), "");
  EXPECT_EQ(back, cat);
}

// A snapshot of an older pgpart: only the members it always had.
TEST(SnapshotReadTest, AbsentOptionalMembersReadAsDefaults) {
  Catalog back;
  ASSERT_EQ(ErrorOf(R"({"format_version": 1, "tables": [{"schema": "s", "name": "t",
      "key_type": "bigint", "children": [{"schema": "s", "name": "t_1", "from": "1",
      "to": "2"}]}]})",
                    &back),
            "");
  Catalog want;
  Table t;
  t.name = {"s", "t"};
  t.key_type = KeyType::kBigInt;
  Child c;
  c.name = {"s", "t_1"};
  c.from = Bound::Value(1);
  c.to = Bound::Value(2);
  t.children = {c};
  want.tables = {t};
  EXPECT_EQ(back, want);
}

// A member set to null reads as the member left out, in every object (required members aside:
// present but null, they read as empty).
TEST(SnapshotReadTest, NullsReadAsAbsent) {
  const Json rich = RichJson();
  const std::vector<std::string> required = {"schema", "name",    "privilege",   "definition",
                                             "action", "outcome", "parent_table"};
  int compared = 0;
  ForEachObject(rich, Json::json_pointer(), [&](const Json::json_pointer& at) {
    for (const auto& [key, value] : rich.at(at).items()) {
      if (std::find(required.begin(), required.end(), key) != required.end()) continue;
      Json nulled = rich, erased = rich;
      nulled.at(at)[key] = nullptr;
      erased.at(at).erase(key);
      Catalog from_null, from_absent;
      const std::string null_error = ErrorOf(nulled.dump(), &from_null);
      EXPECT_EQ(null_error, ErrorOf(erased.dump(), &from_absent)) << (at / key).to_string();
      if (null_error.empty()) {
        EXPECT_EQ(from_null, from_absent) << (at / key).to_string();
      }
      ++compared;
    }
  });
  EXPECT_GT(compared, 300);
  // Some of them, by name: no clock, no default partition, no privileges recorded.
  Json j = rich;
  j["now_micros"] = nullptr;
  j["tables"][0]["default_partition"] = nullptr;
  j["tables"][0]["owner"] = nullptr;
  j["tables"][0]["max_key"] = nullptr;
  Catalog back;
  ASSERT_EQ(ErrorOf(j.dump(), &back), "");
  EXPECT_FALSE(back.now_micros.has_value());
  EXPECT_FALSE(back.tables[0].default_partition.has_value());
  EXPECT_FALSE(back.tables[0].privileges_known);
  EXPECT_TRUE(back.tables[0].grants.empty());
  EXPECT_FALSE(back.tables[0].max_key.has_value());
}

// A table's grants count only with its owner (snapshots of older versions had neither): without
// an owner they are not read at all.
TEST(SnapshotReadTest, TableGrantsWithoutOwnerAreNotRead) {
  Json j = RichJson();
  j["tables"][0].erase("owner");
  j["tables"][0]["grants"] = 5;
  Catalog back;
  ASSERT_EQ(ErrorOf(j.dump(), &back), "");
  EXPECT_FALSE(back.tables[0].privileges_known);
  EXPECT_TRUE(back.tables[0].grants.empty());
}

// A member given twice (pgpart writes none): the later value counts, a list is read afresh.
TEST(SnapshotReadTest, MemberGivenTwiceTheLaterCounts) {
  Catalog back;
  ASSERT_EQ(ErrorOf(R"({"format_version": 1, "server_version": "14", "server_version": "15",
      "tables": [{"schema": "s", "name": "t", "key_columns": ["a"], "key_columns": ["b"],
      "key_type": "bigint", "children": [{"schema": "s", "name": "x", "from": "1", "to": "2"}],
      "children": [{"schema": "s", "name": "t_1", "from": "1", "to": "2"}]}]})",
                    &back),
            "");
  EXPECT_EQ(back.server_version, "15");
  ASSERT_EQ(back.tables.size(), 1u);
  EXPECT_EQ(back.tables[0].key_columns, std::vector<std::string>{"b"});
  ASSERT_EQ(back.tables[0].children.size(), 1u);
  EXPECT_EQ(back.tables[0].children[0].name.name, "t_1");
}

}  // namespace
}  // namespace pgpart::snapshot_test
