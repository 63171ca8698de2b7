// Reading a catalog snapshot (CatalogFromJson): unknown members, nesting, format_version, cut
// text, and the exact error, with its JSON path, for each kind of bad input. These pin what the
// reader says, whatever way it parses (issue 16 replaced the DOM walk by a streaming reader: these
// tests passed on both).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "catalog/snapshot.h"
#include "snapshot_fixture.h"

namespace pgpart::snapshot_test {
namespace {

// Unknown members (a newer pgpart's) are skipped, first or last in any object; their numbers are
// checked like all others.
TEST(SnapshotReadTest, UnknownMembersAreIgnoredButChecked) {
  const Json unknown = Json::parse(R"({"a": [1, -2, "s", true, null, {"b": [[]], "c": {}}]})");
  Json j = RichJson();
  std::vector<Json::json_pointer> objects;
  ForEachObject(j, Json::json_pointer(), [&](const Json::json_pointer& at) {
    objects.push_back(at);
  });
  for (const Json::json_pointer& at : objects) {
    Json with = Json::object();
    with["a_unknown"] = unknown;
    for (const auto& [key, value] : j.at(at).items()) with[key] = value;
    with["z_unknown"] = unknown;
    j[at] = with;
  }
  Catalog back;
  ASSERT_EQ(ErrorOf(j.dump(), &back), "");
  EXPECT_EQ(back, RichCatalog());

  j["tables"][1]["children"][0]["z_unknown"]["a"][5]["c"]["deep"] = UINT64_MAX;
  EXPECT_EQ(ErrorOf(j.dump()),
            "tables[1].children[0].z_unknown.a[5].c.deep: 18446744073709551615 is out of range "
            "(int64)");
  j["tables"][0]["a_unknown"]["a"][1] = 2.5;
  EXPECT_EQ(ErrorOf(j.dump()), "tables[0].a_unknown.a[1]: expected an integer, got 2.5");
  EXPECT_EQ(ErrorOf(R"({"format_version": 1, "tables": [], "x": -9223372036854775809})"),
            "x: expected an integer, got -9.223372036854776e+18");
  EXPECT_EQ(ErrorOf(R"({"format_version": 1, "tables": [], "x": 1E400})"),
            "not valid JSON: [json.exception.out_of_range.406] number overflow parsing '1E400'");
}

// Nesting is limited to 64 levels, inside unknown members too.
TEST(SnapshotReadTest, DeepNestingIsRefused) {
  auto nested = [](int arrays) {
    return R"({"format_version": 1, "tables": [], "x": )" + std::string(arrays, '[') +
           std::string(arrays, ']') + "}";
  };
  EXPECT_EQ(ErrorOf(nested(63)), "");  // the innermost array is 63 levels down
  std::string path = "x";
  for (int i = 0; i < 63; ++i) path += "[0]";
  EXPECT_EQ(ErrorOf(nested(64)), path + ": nested too deep");
  EXPECT_EQ(ErrorOf(nested(100000)), path + ": nested too deep");
  // A syntax error after it still comes first, as a float before it does.
  EXPECT_EQ(ErrorOf(nested(64).substr(0, nested(64).size() - 1)).rfind("not valid JSON: ", 0), 0);
  EXPECT_EQ(ErrorOf(R"({"format_version": 1, "tables": [], "f": 0.5, "x": )" +
                    std::string(70, '[') + std::string(70, ']') + "}"),
            "f: expected an integer, got 0.5");
}

// format_version is checked first wherever it stands: a snapshot of another format says so, not
// what its tables look like to this reader.
TEST(SnapshotReadTest, FormatVersionAfterTablesIsCheckedFirst) {
  Json j = RichJson();
  j["tables"][0]["children"][1]["to"] = "not a time";
  j["tables"][2]["name"] = 5;
  j.erase("format_version");
  Json later = j;
  later["format_version"] = 2;
  EXPECT_EQ(ErrorOf(later.dump()),
            "format_version: unsupported snapshot format 2 (this pgpart reads format 1)");
  later["format_version"] = "1";
  EXPECT_EQ(ErrorOf(later.dump()),
            "format_version: missing or not an integer (is this a pgpart snapshot?)");
  later["format_version"] = nullptr;
  EXPECT_EQ(ErrorOf(later.dump()),
            "format_version: missing or not an integer (is this a pgpart snapshot?)");
  EXPECT_EQ(ErrorOf(j.dump()),
            "format_version: missing or not an integer (is this a pgpart snapshot?)");
  later["format_version"] = 1;
  EXPECT_EQ(ErrorOf(later.dump()).rfind("tables[", 0), 0);
  // Numbers that are no int64 come before it, a format_version of 1e300 included.
  later["format_version"] = 2;
  later["tables"][4]["default_rows"] = 0.5;
  EXPECT_EQ(ErrorOf(later.dump()), "tables[4].default_rows: expected an integer, got 0.5");
  later["format_version"] = 1e300;
  EXPECT_EQ(ErrorOf(later.dump()), "tables[4].default_rows: expected an integer, got 0.5");
}

// A cut snapshot is "not valid JSON", with nlohmann's own message, whatever came before the cut.
TEST(SnapshotReadTest, TruncatedJsonIsNotValidJson) {
  Json small = Json::parse(R"({"format_version": 1, "tables": [{"schema": "s", "name": "t",
      "key_type": "bigint", "children": [{"schema": "s", "name": "t_1", "from": "one",
      "to": 18446744073709551615}]}]})");
  for (const std::string& text : {small.dump(), small.dump(2), RichJson().dump()}) {
    for (size_t cut = 0; cut < text.size(); cut += text.size() > 2000 ? 7 : 1) {
      const std::string prefix = text.substr(0, cut);
      std::string want;
      try {
        Json parsed = Json::parse(prefix);
        ADD_FAILURE() << "a prefix parsed: " << parsed.dump();
      } catch (const Json::exception& e) {
        want = std::string("not valid JSON: ") + e.what();
      }
      ASSERT_EQ(ErrorOf(prefix), want) << "cut at " << cut << ": " << prefix;
    }
  }
  EXPECT_EQ(ErrorOf(small.dump() + " x").rfind("not valid JSON: ", 0), 0);
  EXPECT_EQ(ErrorOf("").rfind("not valid JSON: ", 0), 0);
}

TEST(SnapshotReadTest, NotAnObject) {
  for (const char* text : {"[1, 2]", "\"x\"", "5", "null", "[1.5]", "true", "1.5",
                           "18446744073709551615", "-1e300"}) {
    EXPECT_EQ(ErrorOf(text), "a catalog snapshot must be a JSON object") << text;
  }
}

// Each kind of type error, at a nested path.
TEST(SnapshotReadTest, TypeErrorsNameTheirPath) {
  struct Case {
    const char* pointer;
    Json value;  // discarded: erase the member
    const char* error;
  };
  const Json drop(Json::value_t::discarded);
  const std::vector<Case> cases = {
      {"/server_version", 5, "server_version: expected a string"},
      {"/database", Json::array(), "database: expected a string"},
      {"/database_oid", "x", "database_oid: expected an integer"},
      {"/system_identifier", 7, "system_identifier: expected a string"},
      {"/now_micros", true, "now_micros: expected an integer"},
      {"/history", 1, "history: expected a string"},
      {"/history", "maybe", "history: unknown history state 'maybe' (read, unreadable, not_read)"},
      {"/unmanaged_with_history", Json::object(),
       "unmanaged_with_history: expected an array of objects"},
      {"/unmanaged_with_history/1", "x", "unmanaged_with_history[1]: expected an object"},
      {"/unmanaged_with_history/0/schema", 1,
       "unmanaged_with_history[0].schema: expected a string"},
      {"/unmanaged_with_history/1/name", drop, "unmanaged_with_history[1]: missing \"name\""},
      {"/tables", Json::object(), "tables: missing or not an array"},
      {"/tables", nullptr, "tables: missing or not an array"},
      {"/tables", drop, "tables: missing or not an array"},
      {"/tables/1", Json::array(), "tables[1]: expected an object"},
      {"/tables/0/schema", drop, "tables[0]: missing \"schema\""},
      {"/tables/6/name", drop, "tables[6]: missing \"name\""},
      {"/tables/0/exists", "yes", "tables[0].exists: expected true or false"},
      {"/tables/0/partitioned", 1, "tables[0].partitioned: expected true or false"},
      {"/tables/0/strategy", 1, "tables[0].strategy: expected a string"},
      {"/tables/0/key_columns", "ts", "tables[0].key_columns: expected an array of strings"},
      {"/tables/0/key_columns/0", 1, "tables[0].key_columns: expected an array of strings"},
      {"/tables/0/columns", Json::object(), "tables[0].columns: expected an array of objects"},
      {"/tables/0/columns/1", 1, "tables[0].columns[1]: expected an object"},
      {"/tables/0/columns/1/generated", 1,
       "tables[0].columns[1].generated: expected true or false"},
      {"/tables/0/columns/2/name", drop, "tables[0].columns[2]: missing \"name\""},
      {"/tables/0/storage_known", "x", "tables[0].storage_known: expected true or false"},
      {"/tables/0/owner", 1, "tables[0].owner: expected a string"},
      {"/tables/0/grants", Json::object(), "tables[0].grants: expected an array of objects"},
      {"/tables/0/grants/1", "x", "tables[0].grants[1]: expected an object"},
      {"/tables/0/grants/0/privilege", "ALL",
       "tables[0].grants[0].privilege: 'ALL' is not a table privilege"},
      {"/tables/0/grants/1/privilege", drop, "tables[0].grants[1]: missing \"privilege\""},
      {"/tables/0/grants/0/grantable", "no",
       "tables[0].grants[0].grantable: expected true or false"},
      {"/tables/0/key_type_name", 1, "tables[0].key_type_name: expected a string"},
      {"/tables/0/key_type", "uuid", "tables[0].key_type: unknown key type 'uuid'"},
      {"/tables/0/key_type", 5, "tables[0].key_type: expected a string"},
      {"/tables/0/children", Json::object(), "tables[0].children: expected an array"},
      {"/tables/0/children/2", nullptr, "tables[0].children[2]: expected an object"},
      {"/tables/0/children/1/schema", drop, "tables[0].children[1]: missing \"schema\""},
      {"/tables/0/children/1/bound", "circle",
       "tables[0].children[1].bound: unknown bound kind 'circle' (range, hash, list, default)"},
      {"/tables/0/children/1/from", Json::object(),
       "tables[0].children[1].from: expected a bound (string or integer)"},
      {"/tables/0/children/1/to", "2024-13-45T00:00:00Z",
       "tables[0].children[1].to: '2024-13-45T00:00:00Z' is not a timestamptz bound"},
      {"/tables/0/children/1/modulus", "3", "tables[0].children[1].modulus: expected an integer"},
      {"/tables/0/children/1/remainder", true,
       "tables[0].children[1].remainder: expected an integer"},
      {"/tables/0/children/1/bound_text", 1, "tables[0].children[1].bound_text: expected a string"},
      {"/tables/0/children/1/sub_partitioned", 0,
       "tables[0].children[1].sub_partitioned: expected true or false"},
      {"/tables/0/children/1/foreign", "no",
       "tables[0].children[1].foreign: expected true or false"},
      {"/tables/0/children/1/detach_pending", Json::array(),
       "tables[0].children[1].detach_pending: expected true or false"},
      {"/tables/0/children/1/rows_estimate", "many",
       "tables[0].children[1].rows_estimate: expected an integer"},
      {"/tables/0/children/1/bytes", 1.5,
       "tables[0].children[1].bytes: expected an integer, got 1.5"},
      {"/tables/0/children/1/oid", "x", "tables[0].children[1].oid: expected an integer"},
      {"/tables/0/children/0/owner", 1, "tables[0].children[0].owner: expected a string"},
      {"/tables/0/children/0/grants", 1,
       "tables[0].children[0].grants: expected an array of objects"},
      {"/tables/0/children/0/grants/0/grantee", 1,
       "tables[0].children[0].grants[0].grantee: expected a string"},
      {"/tables/0/children/0/grants/0/privilege", "select",
       "tables[0].children[0].grants[0].privilege: 'select' is not a table privilege"},
      {"/tables/0/children/0/reloptions", "x",
       "tables[0].children[0].reloptions: expected an array of strings"},
      {"/tables/0/children/0/reloptions/1", Json::object(),
       "tables[0].children[0].reloptions: expected an array of strings"},
      {"/tables/0/children/0/access_method", false,
       "tables[0].children[0].access_method: expected a string"},
      {"/tables/0/children/0/replica_identity", "x",
       "tables[0].children[0].replica_identity: expected one of d, n, f, i"},
      {"/tables/0/children/0/replica_identity", "dn",
       "tables[0].children[0].replica_identity: expected one of d, n, f, i"},
      {"/tables/0/children/0/replica_identity", 1,
       "tables[0].children[0].replica_identity: expected a string"},
      {"/tables/0/children/0/local_indexes", Json::object(),
       "tables[0].children[0].local_indexes: expected an array of objects"},
      {"/tables/0/children/0/local_indexes/1", 1,
       "tables[0].children[0].local_indexes[1]: expected an object"},
      {"/tables/0/children/0/local_indexes/0/unique", 1,
       "tables[0].children[0].local_indexes[0].unique: expected true or false"},
      {"/tables/0/children/0/local_indexes/1/definition", drop,
       "tables[0].children[0].local_indexes[1]: missing \"definition\""},
      {"/tables/0/default_partition", 1, "tables[0].default_partition: expected an object"},
      {"/tables/0/default_partition/bytes", "big",
       "tables[0].default_partition.bytes: expected an integer"},
      {"/tables/0/default_partition/name", drop, "tables[0].default_partition: missing \"name\""},
      {"/tables/0/default_rows", "x", "tables[0].default_rows: expected an integer"},
      {"/tables/0/detached_for_drop", 1, "tables[0].detached_for_drop: expected an array"},
      {"/tables/0/detached_for_drop/0/marker_oid", "x",
       "tables[0].detached_for_drop[0].marker_oid: expected an integer"},
      {"/tables/0/detached", "x", "tables[0].detached: expected an array"},
      {"/tables/0/detached/0", 1, "tables[0].detached[0]: expected an object"},
      {"/tables/0/detached/0/from", "nope",
       "tables[0].detached[0].from: 'nope' is not a timestamptz bound"},
      {"/tables/0/detached/0/detached_at_micros", "x",
       "tables[0].detached[0].detached_at_micros: expected an integer"},
      {"/tables/0/default_buckets", 1, "tables[0].default_buckets: expected an array"},
      {"/tables/0/default_buckets/1", Json::array(),
       "tables[0].default_buckets[1]: expected an object"},
      {"/tables/0/default_buckets/1/to", "x",
       "tables[0].default_buckets[1].to: 'x' is not a timestamptz bound"},
      {"/tables/0/default_buckets/0/rows", "1",
       "tables[0].default_buckets[0].rows: expected an integer"},
      {"/tables/0/default_buckets_known", 1,
       "tables[0].default_buckets_known: expected true or false"},
      {"/tables/0/default_counted_from", true,
       "tables[0].default_counted_from: expected a bound (string or integer)"},
      {"/tables/0/default_counted_to", "soon",
       "tables[0].default_counted_to: 'soon' is not a timestamptz bound"},
      {"/tables/0/locked_by", 1, "tables[0].locked_by: expected a string"},
      {"/tables/0/unreadable", 1, "tables[0].unreadable: expected a string"},
      {"/tables/2/max_key", "many", "tables[2].max_key: expected an integer"},
      {"/tables/0/history", 1, "tables[0].history: expected an array"},
      {"/tables/0/history/1", 1, "tables[0].history[1]: expected an object"},
      {"/tables/0/history/1/action", drop, "tables[0].history[1]: missing \"action\""},
      {"/tables/0/history/0/at_micros", "x", "tables[0].history[0].at_micros: expected an integer"},
      {"/tables/0/history/0/error", 1, "tables[0].history[0].error: expected a string"},
      {"/tables/0/last_apply", Json::array(), "tables[0].last_apply: expected an object"},
      {"/tables/0/last_apply/at_micros", "x",
       "tables[0].last_apply.at_micros: expected an integer"},
      {"/tables/0/last_apply/outcome", drop, "tables[0].last_apply: missing \"outcome\""},
      {"/tables/0/last_apply/error", 1, "tables[0].last_apply.error: expected a string"},
      {"/tables/0/pg_partman", 1, "tables[0].pg_partman: expected an object"},
      {"/tables/0/pg_partman/schema", drop, "tables[0].pg_partman: missing \"schema\""},
      {"/tables/0/pg_partman/version", 4, "tables[0].pg_partman.version: expected a string"},
      {"/tables/0/pg_partman/automatic_maintenance", true,
       "tables[0].pg_partman.automatic_maintenance: expected a string"},
      {"/tables/6/children/1/modulus", 2.0,
       "tables[6].children[1].modulus: expected an integer, got 2.0"},
      {"/tables/7/children/0/from", true,
       "tables[7].children[0].from: expected a bound (string or integer)"},
      {"/tables/7/children/0/to", "7", "tables[7].children[0].to: '7' is not a unsupported bound"},
  };
  for (const Case& c : cases) {
    Json j = RichJson();
    const Json::json_pointer at(c.pointer);
    if (c.value.is_discarded()) {
      ASSERT_TRUE(j.contains(at)) << c.pointer;
      j[at.parent_pointer()].erase(at.back());
    } else {
      j[at] = c.value;
    }
    EXPECT_EQ(ErrorOf(j.dump()), c.error) << c.pointer;
    EXPECT_EQ(ErrorOf(Reversed(j).dump(1)), c.error) << c.pointer << " (reversed)";
  }
}

}  // namespace
}  // namespace pgpart::snapshot_test
