// Catalog reader against a real PostgreSQL 15: key types, children, default partitions and their
// counts by grid period, hash and list tables, integer max(key).

#include "catalog/reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "pg_fixture.h"
#include "reader_test_util.h"

namespace pgpart::testing {
namespace {

class ReaderTest : public PgTest {};

TEST_F(ReaderTest, MonthlyTimestamptzWithChildrenAndDefaultRowsByMonth) {
  Exec(R"SQL(
    CREATE TABLE readings (id bigint, recorded_at timestamptz NOT NULL, v int)
      PARTITION BY RANGE (recorded_at);
    -- created out of order: the reader sorts children by bound
    CREATE TABLE readings_y2024m03 PARTITION OF readings
      FOR VALUES FROM ('2024-03-01 00:00:00+00') TO ('2024-04-01 00:00:00+00');
    CREATE TABLE readings_y2024m01 PARTITION OF readings
      FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00');
    CREATE TABLE readings_y2024m02 PARTITION OF readings
      FOR VALUES FROM ('2024-02-01 00:00:00+00') TO ('2024-03-01 00:00:00+00');
    CREATE TABLE readings_default PARTITION OF readings DEFAULT;
    INSERT INTO readings SELECT g, '2024-01-01'::timestamptz + g * interval '1 hour', 1
      FROM generate_series(0, 99) g;                               -- 100 rows in January
    INSERT INTO readings VALUES (1, '2024-05-03 10:00+00', 1), (2, '2024-05-31 23:59:59+00', 1),
      (3, '2024-05-01 00:00+00', 1), (4, '2024-07-15 00:00+00', 1), (5, '2024-07-31 12:00+00', 1);
    ANALYZE readings;
  )SQL");

  ReadResult r = ReadCatalog(Dsn(), {Request("public", "readings", "1 month")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  ASSERT_EQ(r.catalog.tables.size(), 1u);
  const Table& t = r.catalog.tables[0];
  EXPECT_TRUE(t.exists);
  EXPECT_TRUE(t.partitioned);
  EXPECT_EQ(t.strategy, "range");
  EXPECT_EQ(t.key_columns, std::vector<std::string>{"recorded_at"});
  EXPECT_EQ(t.key_type_name, "timestamp with time zone");
  EXPECT_EQ(t.key_type, KeyType::kTimestampTz);

  ASSERT_EQ(ChildNames(t), (std::vector<std::string>{"readings_y2024m01", "readings_y2024m02",
                                                     "readings_y2024m03"}));
  EXPECT_EQ(t.children[0].from, At(1704067200));
  EXPECT_EQ(t.children[0].to, At(1706745600));
  EXPECT_EQ(t.children[2].from, At(1709251200));
  EXPECT_EQ(t.children[2].to, At(1711929600));
  EXPECT_EQ(t.children[0].bound_kind, BoundKind::kRange);
  EXPECT_EQ(t.children[0].name.schema, "public");
  EXPECT_EQ(t.children[0].rows_estimate, 100);
  EXPECT_EQ(t.children[1].rows_estimate, 0);
  EXPECT_GT(t.children[0].bytes, 0);
  EXPECT_FALSE(t.children[0].sub_partitioned);
  EXPECT_FALSE(t.children[0].foreign);
  EXPECT_FALSE(t.children[0].detach_pending);
  EXPECT_NE(t.children[0].bound_text.find("FOR VALUES FROM"), std::string::npos);

  ASSERT_TRUE(t.default_partition.has_value());
  EXPECT_EQ(t.default_partition->name.name, "readings_default");
  EXPECT_EQ(t.default_partition->bound_kind, BoundKind::kDefault);
  EXPECT_EQ(t.default_rows, 5);
  EXPECT_TRUE(t.default_buckets_known);
  ASSERT_EQ(t.default_buckets.size(), 2u);  // only non-empty months
  EXPECT_EQ(t.default_buckets[0], (DefaultBucket{At(1714521600), At(1717200000), 3}));
  EXPECT_EQ(t.default_buckets[1], (DefaultBucket{At(1719792000), At(1722470400), 2}));
  EXPECT_FALSE(t.max_key.has_value());  // not an integer key

  EXPECT_EQ(r.catalog.server_version.substr(0, 3), "15.");
  EXPECT_EQ(r.catalog.database.name, Database());
  ASSERT_TRUE(r.catalog.now_micros.has_value());
  EXPECT_GT(*r.catalog.now_micros, 1'700'000'000LL * kMicrosPerSecond);
}

TEST_F(ReaderTest, DefaultBucketsFollowThePolicyZone) {
  Exec(R"SQL(
    CREATE TABLE berlin (at timestamptz NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE berlin_default PARTITION OF berlin DEFAULT;
    -- 23:30 UTC on May 31 is 01:30 on June 1 in Berlin (CEST, +02)
    INSERT INTO berlin VALUES ('2024-05-31 23:30+00'), ('2024-05-31 21:30+00');
  )SQL");
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "berlin", "1 month", "Europe/Berlin")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  ASSERT_TRUE(t.default_buckets_known);
  ASSERT_EQ(t.default_buckets.size(), 2u);
  // May and June as Berlin months: [2024-04-30T22Z, 2024-05-31T22Z) and [2024-05-31T22Z, ...)
  EXPECT_EQ(t.default_buckets[0].from, At(1714514400));
  EXPECT_EQ(t.default_buckets[0].to, At(1717192800));
  EXPECT_EQ(t.default_buckets[0].rows, 1);
  EXPECT_EQ(t.default_buckets[1].from, At(1717192800));
  EXPECT_EQ(t.default_buckets[1].rows, 1);
}

TEST_F(ReaderTest, EmptyDefaultIsKnownWithNoBuckets) {
  Exec(R"SQL(
    CREATE TABLE quiet (at timestamptz) PARTITION BY RANGE (at);
    CREATE TABLE quiet_default PARTITION OF quiet DEFAULT;
    CREATE TABLE nodefault (at timestamptz) PARTITION BY RANGE (at);
  )SQL");
  ReadResult r = ReadCatalog(
      Dsn(), {Request("public", "quiet", "1 day"), Request("public", "nodefault", "1 day")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table* quiet = r.catalog.Find({"public", "quiet"});
  ASSERT_NE(quiet, nullptr);
  EXPECT_TRUE(quiet->default_partition.has_value());
  EXPECT_EQ(quiet->default_rows, 0);
  EXPECT_TRUE(quiet->default_buckets_known);
  EXPECT_TRUE(quiet->default_buckets.empty());
  const Table* none = r.catalog.Find({"public", "nodefault"});
  ASSERT_NE(none, nullptr);
  EXPECT_FALSE(none->default_partition.has_value());
  EXPECT_TRUE(none->children.empty());
}

TEST_F(ReaderTest, DefaultRowsWithoutAGridAreCountedButNotBucketed) {
  Exec(R"SQL(
    CREATE TABLE nogrid (at timestamptz) PARTITION BY RANGE (at);
    CREATE TABLE nogrid_default PARTITION OF nogrid DEFAULT;
    INSERT INTO nogrid VALUES ('2024-01-01'), ('2025-01-01'), (NULL);
  )SQL");
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "nogrid")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  EXPECT_EQ(t.default_rows, 3);  // exact count, NULL keys included
  EXPECT_FALSE(t.default_buckets_known);
  EXPECT_TRUE(t.default_buckets.empty());
}

TEST_F(ReaderTest, TooManyPeriodsAreCountedAroundNowWithAWarning) {
  Exec(R"SQL(
    CREATE TABLE wide (at timestamptz) PARTITION BY RANGE (at);
    CREATE TABLE wide_default PARTITION OF wide DEFAULT;
    INSERT INTO wide VALUES ('1990-01-01'), ('2030-01-01');  -- ~350000 hours apart
  )SQL");
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "wide", "1 hour")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  EXPECT_EQ(t.default_rows, 2);
  // Counted in a window of periods around now; 1990 is outside it (the lower side was cut),
  // 2030 inside (the upper side was not cut: nothing lies beyond max(key)).
  EXPECT_TRUE(t.default_buckets_known);
  ASSERT_EQ(t.default_buckets.size(), 1u);
  EXPECT_EQ(t.default_buckets[0].rows, 1);
  EXPECT_TRUE(t.default_counted_from.is_value());
  EXPECT_EQ(t.default_counted_to, Bound::Max());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kWarning);
  EXPECT_NE(r.diagnostics[0].message.find("wide"), std::string::npos);
  EXPECT_NE(r.diagnostics[0].message.find("periods"), std::string::npos);

  // The same rows on a yearly grid are 41 periods: counted.
  ReadResult yearly = ReadCatalog(Dsn(), {Request("public", "wide", "1 year")});
  EXPECT_TRUE(yearly.catalog.tables.at(0).default_buckets_known);
  EXPECT_EQ(yearly.catalog.tables.at(0).default_buckets.size(), 2u);
}

TEST_F(ReaderTest, DateAndTimestampKeys) {
  Exec(R"SQL(
    CREATE TABLE by_day (d date NOT NULL) PARTITION BY RANGE (d);
    CREATE TABLE by_day_2024 PARTITION OF by_day FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE by_day_old PARTITION OF by_day FOR VALUES FROM (MINVALUE) TO ('2024-01-01');
    CREATE TABLE by_day_default PARTITION OF by_day DEFAULT;
    INSERT INTO by_day VALUES ('2025-03-04'), ('2025-03-31'), ('2025-04-01');
    CREATE TABLE by_ts (t timestamp(3) NOT NULL) PARTITION BY RANGE (t);
    CREATE TABLE by_ts_a PARTITION OF by_ts
      FOR VALUES FROM ('2024-01-01 00:00:00') TO ('2024-01-01 06:00:00');
    CREATE TABLE by_ts_b PARTITION OF by_ts
      FOR VALUES FROM ('2024-01-01 06:00:00') TO (MAXVALUE);
  )SQL");
  ReadResult r = ReadCatalog(
      Dsn(), {Request("public", "by_day", "1 month"), Request("public", "by_ts", "6 hours")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);

  const Table* day = r.catalog.Find({"public", "by_day"});
  ASSERT_NE(day, nullptr);
  EXPECT_EQ(day->key_type, KeyType::kDate);
  ASSERT_EQ(ChildNames(*day), (std::vector<std::string>{"by_day_old", "by_day_2024"}));
  EXPECT_EQ(day->children[0].from, Bound::Min());
  EXPECT_EQ(day->children[0].to, Bound::Value(19723 * kMicrosPerDay));  // 2024-01-01
  EXPECT_EQ(day->children[1].to, Bound::Value(20089 * kMicrosPerDay));  // 2025-01-01
  EXPECT_EQ(day->default_rows, 3);
  ASSERT_EQ(day->default_buckets.size(), 2u);
  EXPECT_EQ(day->default_buckets[0].from, Bound::Value(20148 * kMicrosPerDay));  // 2025-03-01
  EXPECT_EQ(day->default_buckets[0].rows, 2);
  EXPECT_EQ(day->default_buckets[1].from, Bound::Value(20179 * kMicrosPerDay));  // 2025-04-01
  EXPECT_EQ(day->default_buckets[1].rows, 1);

  const Table* ts = r.catalog.Find({"public", "by_ts"});
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ(ts->key_type, KeyType::kTimestamp);  // the precision does not matter
  EXPECT_EQ(ts->key_type_name, "timestamp without time zone");
  ASSERT_EQ(ts->children.size(), 2u);
  EXPECT_EQ(ts->children[0].from, At(1704067200));
  EXPECT_EQ(ts->children[0].to, At(1704067200 + 6 * 3600));
  EXPECT_EQ(ts->children[1].to, Bound::Max());
}

TEST_F(ReaderTest, HashTableWithModulus16) {
  std::string sql = "CREATE TABLE balances (org_id bigint, v numeric) PARTITION BY HASH (org_id);";
  for (int i = 15; i >= 0; --i) {
    sql += "CREATE TABLE balances_h" + std::to_string(i) +
           " PARTITION OF balances FOR VALUES WITH (modulus 16, remainder " + std::to_string(i) +
           ");";
  }
  Exec(sql);
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "balances")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  EXPECT_EQ(t.strategy, "hash");
  EXPECT_EQ(t.key_type, KeyType::kBigInt);
  ASSERT_EQ(t.children.size(), 16u);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(t.children[i].bound_kind, BoundKind::kHash);
    EXPECT_EQ(t.children[i].modulus, 16);
    EXPECT_EQ(t.children[i].remainder, i);
    EXPECT_EQ(t.children[i].name.name, "balances_h" + std::to_string(i));
  }
  EXPECT_FALSE(t.max_key.has_value());  // max(key) only for range tables
}

TEST_F(ReaderTest, ListPartitionsWithAwkwardValues) {
  Exec(R"SQL(
    CREATE TABLE regions (code text) PARTITION BY LIST (code);
    CREATE TABLE regions_a PARTITION OF regions FOR VALUES IN ('a,b', 'c''d)', 'e(f');
    CREATE TABLE regions_n PARTITION OF regions FOR VALUES IN (NULL);
    CREATE TABLE regions_default PARTITION OF regions DEFAULT;
  )SQL");
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "regions")});
  EXPECT_TRUE(r.diagnostics.empty()) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  EXPECT_EQ(t.strategy, "list");
  EXPECT_EQ(t.key_type, KeyType::kUnsupported);
  EXPECT_EQ(t.key_type_name, "text");
  ASSERT_EQ(t.children.size(), 2u);
  for (const Child& c : t.children) EXPECT_EQ(c.bound_kind, BoundKind::kList) << c.bound_text;
  EXPECT_NE(t.children[0].bound_text.find("'c''d)'"), std::string::npos);
  EXPECT_TRUE(t.default_partition.has_value());
}

TEST_F(ReaderTest, RangeOnAnUnsupportedTypeKeepsTheShape) {
  Exec(R"SQL(
    CREATE TABLE words (w text) PARTITION BY RANGE (w);
    CREATE TABLE words_a PARTITION OF words FOR VALUES FROM ('a,(') TO ('m'')');
  )SQL");
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "words", "1 month")});
  EXPECT_TRUE(r.diagnostics.empty()) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  EXPECT_EQ(t.key_type, KeyType::kUnsupported);
  ASSERT_EQ(t.children.size(), 1u);
  EXPECT_EQ(t.children[0].bound_kind, BoundKind::kRange);
  EXPECT_EQ(t.children[0].bound_text, "FOR VALUES FROM ('a,(') TO ('m'')')");
}

TEST_F(ReaderTest, IntegerMaxKeyFromTheHighestNonEmptyChild) {
  std::string sql = R"SQL(
    CREATE TABLE events (id bigint NOT NULL, payload text) PARTITION BY RANGE (id);
    CREATE TABLE events_low PARTITION OF events FOR VALUES FROM (MINVALUE) TO (0);
    CREATE INDEX ON events (id);
  )SQL";
  // 20 children of 1000; only the first two hold rows, the 18 above are premade and empty
  // (more than the reader's first probe batch).
  for (int i = 0; i < 20; ++i) {
    sql += "CREATE TABLE events_p" + std::to_string(i * 1000) +
           " PARTITION OF events FOR VALUES FROM (" + std::to_string(i * 1000) + ") TO (" +
           std::to_string((i + 1) * 1000) + ");";
  }
  sql += "INSERT INTO events SELECT g, 'x' FROM generate_series(-5, 1500) g;";
  sql +=
      "CREATE TABLE ints (id int NOT NULL) PARTITION BY RANGE (id);"
      "CREATE TABLE ints_p0 PARTITION OF ints FOR VALUES FROM (0) TO (100);"
      "CREATE TABLE ints_default PARTITION OF ints DEFAULT;"
      "INSERT INTO ints VALUES (5), (7), (-42);"
      "CREATE TABLE empty_ints (id smallint) PARTITION BY RANGE (id);"
      "CREATE TABLE empty_ints_p0 PARTITION OF empty_ints FOR VALUES FROM (0) TO (100);";
  Exec(sql);
  ReadResult r =
      ReadCatalog(Dsn(), {Request("public", "events", "1000"), Request("public", "ints", "100"),
                          Request("public", "empty_ints", "100")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table* events = r.catalog.Find({"public", "events"});
  ASSERT_NE(events, nullptr);
  EXPECT_EQ(events->key_type, KeyType::kBigInt);
  EXPECT_EQ(events->children.size(), 21u);
  EXPECT_EQ(events->children[0].from, Bound::Min());
  EXPECT_EQ(events->children[1].from, Bound::Value(0));
  EXPECT_EQ(events->children[20].to, Bound::Value(20000));
  ASSERT_TRUE(events->max_key.has_value());
  EXPECT_EQ(*events->max_key, 1500);

  const Table* ints = r.catalog.Find({"public", "ints"});
  ASSERT_NE(ints, nullptr);
  EXPECT_EQ(ints->key_type, KeyType::kInteger);
  ASSERT_TRUE(ints->max_key.has_value());
  EXPECT_EQ(*ints->max_key, 7);  // the default's -42 is lower
  ASSERT_EQ(ints->default_buckets.size(), 1u);
  EXPECT_EQ(ints->default_buckets[0], (DefaultBucket{Bound::Value(-100), Bound::Value(0), 1}));

  const Table* empty = r.catalog.Find({"public", "empty_ints"});
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->key_type, KeyType::kSmallInt);
  EXPECT_FALSE(empty->max_key.has_value());

  // A key in the default above every child wins.
  Exec("INSERT INTO ints VALUES (100000)");
  ReadResult again = ReadCatalog(Dsn(), {Request("public", "ints", "100")});
  EXPECT_EQ(again.catalog.tables.at(0).max_key, std::optional<int64_t>(100000));
}

// A child's size is its heap, TOAST and indexes as pg_class.relpages says (as of the last
// VACUUM/ANALYZE), and only its own indexes: the index pages are summed per child of the tables
// read (issue 16 narrowed that sum from every index of the database to those children).
TEST_F(ReaderTest, ChildSizesCountTheirOwnIndexesAndNoOneElses) {
  Exec(R"SQL(
    CREATE TABLE sized (id bigint, at timestamptz NOT NULL, payload text)
      PARTITION BY RANGE (at);
    CREATE TABLE sized_a PARTITION OF sized
      FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00');
    CREATE TABLE sized_b PARTITION OF sized
      FOR VALUES FROM ('2024-02-01 00:00:00+00') TO ('2024-03-01 00:00:00+00');
    CREATE INDEX ON sized (id);
    CREATE INDEX ON sized_a (payload);
    INSERT INTO sized SELECT g, '2024-01-01'::timestamptz + g * interval '1 minute', repeat('x', 50)
      FROM generate_series(0, 20000) g;
    -- another table's big index, which must not count
    CREATE TABLE bystander (id bigint);
    INSERT INTO bystander SELECT generate_series(1, 50000);
    CREATE INDEX ON bystander (id);
  )SQL");
  Exec("VACUUM ANALYZE sized_a, sized_b, bystander");
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "sized", "1 month")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  ASSERT_EQ(ChildNames(t), (std::vector<std::string>{"sized_a", "sized_b"}));
  for (const Child& c : t.children) {
    const pqxx::result want = Exec(
        "SELECT (c.relpages + coalesce(tc.relpages, 0) + (SELECT coalesce(sum(ic.relpages), 0) "
        "FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid WHERE x.indrelid = c.oid)) "
        "* current_setting('block_size')::bigint, (SELECT count(*) FROM pg_index x "
        "WHERE x.indrelid = c.oid) FROM pg_class c LEFT JOIN pg_class tc ON tc.oid = "
        "c.reltoastrelid WHERE c.oid = 'public." + c.name.name + "'::regclass");
    EXPECT_EQ(c.bytes, want[0][0].as<int64_t>()) << c.name.name;
    EXPECT_GE(want[0][1].as<int>(), 1) << c.name.name << " has no index of its own";
  }
  // sized_a has two indexes (the parent's and its own), sized_b one: a's share is larger.
  EXPECT_GT(t.children[0].bytes, t.children[1].bytes);
}

// Read as a role without SELECT where pgpart must count or probe rows: the default partition
// (any key) and every child of an integer-keyed table. Other children need no SELECT (issue 16
// asks the privilege only where it matters: on every child it was ~40 % of reading 42,000).
TEST_F(ReaderTest, MissingSelectIsReportedWhereRowsAreCountedAndOnlyThere) {
  Exec(R"SQL(
    CREATE TABLE priv_time (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE priv_time_a PARTITION OF priv_time
      FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00');
    CREATE TABLE priv_time_default PARTITION OF priv_time DEFAULT;
    CREATE TABLE priv_time2 (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE priv_time2_a PARTITION OF priv_time2
      FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00');
    CREATE TABLE priv_time2_default PARTITION OF priv_time2 DEFAULT;
    CREATE TABLE priv_int (id bigint NOT NULL) PARTITION BY RANGE (id);
    CREATE TABLE priv_int_0 PARTITION OF priv_int FOR VALUES FROM (0) TO (1000);
    CREATE TABLE priv_int_1000 PARTITION OF priv_int FOR VALUES FROM (1000) TO (2000);
    INSERT INTO priv_time VALUES (1, '2025-06-01 00:00+00');
    INSERT INTO priv_int VALUES (5), (1500);
  )SQL");
  const std::string role = "pgpart_nosel_" + std::to_string(getpid());
  Exec("DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role + " LOGIN");
  // Everything readable but: priv_time's default, priv_time2's ordinary child, priv_int_1000.
  Exec("GRANT SELECT ON priv_time, priv_time_a, priv_time2, priv_time2_default, priv_int, "
       "priv_int_0 TO " + role);
  ReadResult r = ReadCatalog(Dsn() + " user=" + role,
                             {Request("public", "priv_time", "1 month"),
                              Request("public", "priv_time2", "1 month"),
                              Request("public", "priv_int", "1000")});
  Exec("REVOKE ALL ON priv_time, priv_time_a, priv_time2, priv_time2_default, priv_int, "
       "priv_int_0 FROM " + role + "; DROP ROLE " + role);
  ASSERT_EQ(r.catalog.tables.size(), 3u) << AllDiagnostics(r);
  const Table* time = r.catalog.Find({"public", "priv_time"});
  const Table* time2 = r.catalog.Find({"public", "priv_time2"});
  const Table* ints = r.catalog.Find({"public", "priv_int"});
  ASSERT_TRUE(time && time2 && ints);
  EXPECT_NE(time->unreadable.find("priv_time_default"), std::string::npos) << time->unreadable;
  EXPECT_EQ(time2->unreadable, "") << "an ordinary child of a time-keyed table needs no SELECT";
  EXPECT_NE(ints->unreadable.find("priv_int_1000"), std::string::npos) << ints->unreadable;
}

}  // namespace
}  // namespace pgpart::testing
