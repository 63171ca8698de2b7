// A snapshot file is input: one PostgreSQL could not have produced (a table twice, overlapping
// partitions, a float where an integer belongs, ...) is refused with its JSON path instead of
// being planned from.

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "catalog/snapshot.h"

namespace pgpart {
namespace {

using nlohmann::json;

Child Range(const std::string& name, int64_t from, int64_t to) {
  Child c;
  c.name = {"public", name};
  c.from = Bound::Value(from);
  c.to = Bound::Value(to);
  return c;
}

json Valid() {
  Catalog cat;
  cat.server_version = "15.8";
  cat.now_micros = 1'795'000'000'000'000;
  Table t;
  t.name = {"public", "events"};
  t.exists = t.partitioned = true;
  t.strategy = "range";
  t.key_columns = {"id"};
  t.key_type_name = "bigint";
  t.key_type = KeyType::kBigInt;
  t.children = {Range("events_p0", 0, 1000), Range("events_p1000", 1000, 2000)};
  Child def;
  def.name = {"public", "events_default"};
  def.bound_kind = BoundKind::kDefault;
  t.default_partition = def;
  cat.tables = {t};
  Table h = t;
  h.name = {"public", "hashed"};
  h.strategy = "hash";
  h.default_partition.reset();
  Child part;
  part.name = {"public", "hashed_0"};
  part.bound_kind = BoundKind::kHash;
  part.modulus = 2;
  part.remainder = 1;
  h.children = {part};
  cat.tables.push_back(h);
  return json::parse(CatalogToJson(cat));
}

// The error CatalogFromJson gives for Valid() changed by `edit` ("" when accepted).
std::string ErrorAfter(const std::function<void(json&)>& edit) {
  json j = Valid();
  edit(j);
  Catalog catalog;
  std::string error;
  return CatalogFromJson(j.dump(), &catalog, &error) ? "" : error;
}

TEST(SnapshotCheckTest, TheUneditedSnapshotIsAccepted) {
  EXPECT_EQ(ErrorAfter([](json&) {}), "");
}

TEST(SnapshotCheckTest, InconsistentContentIsRefusedWithItsPath) {
  EXPECT_EQ(ErrorAfter([](json& j) { j["tables"].push_back(j["tables"][0]); }),
            "tables[2]: public.events is listed twice (also tables[0])");
  EXPECT_EQ(ErrorAfter([](json& j) { j["tables"][0]["children"][1]["from"] = 999; }),
            "tables[0].children[1]: public.events_p1000 overlaps public.events_p0 (children[0]) "
            "in public.events");
  EXPECT_EQ(ErrorAfter([](json& j) { j["tables"][0]["children"][0]["to"] = 0; }),
            "tables[0].children[0]: public.events_p0's from is not below its to");
  EXPECT_EQ(ErrorAfter([](json& j) {
              j["tables"][0]["children"][1]["name"] = "events_p0";
            }),
            "tables[0].children[1]: public.events_p0 is listed twice in public.events (also "
            "children[0])");
  EXPECT_EQ(ErrorAfter([](json& j) { j["tables"][0]["children"][0]["bound"] = "hash"; }),
            "tables[0].children[0]: public.events_p0 is not a range partition, but public.events "
            "is partitioned by range");
  EXPECT_EQ(ErrorAfter([](json& j) { j["tables"][1]["children"][0]["remainder"] = 2; }),
            "tables[1].children[0]: public.hashed_0 has remainder 2 for modulus 2 (0 <= "
            "remainder < modulus >= 1)");
  // modulus and remainder are int4 in PostgreSQL: a value past it was read cut to 32 bits, so
  // 2^32 + 2 passed as modulus 2 and the children of a hash table looked complete.
  EXPECT_EQ(ErrorAfter([](json& j) { j["tables"][1]["children"][0]["modulus"] = 4294967298LL; }),
            "tables[1].children[0].modulus: 4294967298 is out of range (int32)");
  EXPECT_EQ(ErrorAfter([](json& j) { j["tables"][1]["children"][0]["remainder"] = -4294967295LL; }),
            "tables[1].children[0].remainder: -4294967295 is out of range (int32)");
  EXPECT_EQ(ErrorAfter([](json& j) { j["tables"][0]["default_partition"]["bound"] = "range"; }),
            "tables[0].default_partition: public.events_default is not a DEFAULT partition");
  EXPECT_EQ(ErrorAfter([](json& j) { j["now_micros"] = INT64_MAX; }),
            "now_micros: 9223372036854775807 is outside the years 1 to 9999");
}

TEST(SnapshotCheckTest, NumbersThatAreNoInt64AreRefused) {
  EXPECT_EQ(ErrorAfter([](json& j) { j["format_version"] = 1e300; }),
            "format_version: expected an integer, got 1e+300");
  EXPECT_EQ(ErrorAfter([](json& j) { j["tables"][0]["children"][0]["rows_estimate"] = 1.5; }),
            "tables[0].children[0].rows_estimate: expected an integer, got 1.5");
  EXPECT_EQ(ErrorAfter([](json& j) { j["now_micros"] = UINT64_MAX; }),
            "now_micros: 18446744073709551615 is out of range (int64)");
}

}  // namespace
}  // namespace pgpart
