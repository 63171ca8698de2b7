// Catalog reader against a real PostgreSQL 15: tables of unusual shape — hostile identifiers,
// sub-partitioned, foreign and detach-pending children, expression and multi-column keys, tables
// that are missing or not partitioned.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "catalog/reader.h"
#include "pg_fixture.h"
#include "reader_test_util.h"

namespace pgpart::testing {
namespace {

class ReaderShapesTest : public PgTest {};

TEST_F(ReaderShapesTest, HostileIdentifiers) {
  const std::string long_name(63, 'x');
  ASSERT_EQ(long_name.size(), kMaxIdentifierBytes);
  Exec(R"SQL(
    CREATE SCHEMA "My Schema";
    CREATE TABLE "My Schema"."Odd ""Name"" t" ("Recorded At" timestamptz NOT NULL)
      PARTITION BY RANGE ("Recorded At");
    CREATE TABLE "My Schema"."Odd ""Name"" t, 2024-01" PARTITION OF "My Schema"."Odd ""Name"" t"
      FOR VALUES FROM ('2024-01-01 00:00+00') TO ('2024-02-01 00:00+00');
    CREATE TABLE public."DEFAULT; drop table x" PARTITION OF "My Schema"."Odd ""Name"" t" DEFAULT;
    INSERT INTO "My Schema"."Odd ""Name"" t" VALUES ('2024-03-05'), ('2024-03-06');
    CREATE TABLE )SQL" +
       long_name + R"SQL( (k bigint) PARTITION BY RANGE (k);
    CREATE TABLE "Select" PARTITION OF )SQL" +
       long_name + R"SQL( FOR VALUES FROM (1) TO (10);
    INSERT INTO )SQL" +
       long_name + R"SQL( VALUES (3);
  )SQL");
  ReadResult r = ReadCatalog(Dsn(), {Request("My Schema", "Odd \"Name\" t", "1 month"),
                                     Request("public", long_name, "10")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  ASSERT_EQ(r.catalog.tables.size(), 2u);
  // Sorted by name: "My Schema" < "public".
  const Table& odd = r.catalog.tables[0];
  EXPECT_EQ(odd.name, (QualifiedName{"My Schema", "Odd \"Name\" t"}));
  EXPECT_TRUE(odd.partitioned);
  EXPECT_EQ(odd.key_columns, std::vector<std::string>{"Recorded At"});
  ASSERT_EQ(odd.children.size(), 1u);
  EXPECT_EQ(odd.children[0].name, (QualifiedName{"My Schema", "Odd \"Name\" t, 2024-01"}));
  ASSERT_TRUE(odd.default_partition.has_value());
  EXPECT_EQ(odd.default_partition->name, (QualifiedName{"public", "DEFAULT; drop table x"}));
  EXPECT_EQ(odd.default_rows, 2);
  ASSERT_TRUE(odd.default_buckets_known);
  ASSERT_EQ(odd.default_buckets.size(), 1u);
  EXPECT_EQ(odd.default_buckets[0].rows, 2);

  const Table& longest = r.catalog.tables[1];
  EXPECT_EQ(longest.name.name, long_name);
  EXPECT_TRUE(longest.partitioned);
  ASSERT_EQ(longest.children.size(), 1u);
  EXPECT_EQ(longest.children[0].name.name, "Select");
  EXPECT_EQ(longest.max_key, std::optional<int64_t>(3));
}

TEST_F(ReaderShapesTest, NamesAreExactNotFolded) {
  Exec(
      "CREATE TABLE \"Mixed\" (at timestamptz) PARTITION BY RANGE (at);"
      "CREATE TABLE mixed (at timestamptz);");
  ReadResult r = ReadCatalog(
      Dsn(), {Request("public", "Mixed"), Request("public", "mixed"), Request("public", "MIXED")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table* upper = r.catalog.Find({"public", "Mixed"});
  const Table* lower = r.catalog.Find({"public", "mixed"});
  const Table* shout = r.catalog.Find({"public", "MIXED"});
  ASSERT_TRUE(upper && lower && shout);
  EXPECT_TRUE(upper->partitioned);
  EXPECT_TRUE(lower->exists);
  EXPECT_FALSE(lower->partitioned);
  EXPECT_FALSE(shout->exists);
}

TEST_F(ReaderShapesTest, MissingAndNotPartitionedTables) {
  Exec("CREATE TABLE plain (at timestamptz); CREATE SCHEMA other;");
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "plain"), Request("public", "nope"),
                                     Request("nope_schema", "plain"), Request("other", "plain"),
                                     Request("public", "plain")});  // duplicates read once
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  ASSERT_EQ(r.catalog.tables.size(), 4u);
  const Table* plain = r.catalog.Find({"public", "plain"});
  ASSERT_NE(plain, nullptr);
  EXPECT_TRUE(plain->exists);
  EXPECT_FALSE(plain->partitioned);
  EXPECT_TRUE(plain->strategy.empty());
  EXPECT_TRUE(plain->key_columns.empty());
  for (const QualifiedName& n :
       {QualifiedName{"public", "nope"}, QualifiedName{"nope_schema", "plain"},
        QualifiedName{"other", "plain"}}) {
    const Table* t = r.catalog.Find(n);
    ASSERT_NE(t, nullptr) << n.Sql();
    EXPECT_FALSE(t->exists) << n.Sql();
    EXPECT_FALSE(t->partitioned) << n.Sql();
  }
}

TEST_F(ReaderShapesTest, ExpressionAndMultiColumnKeysAreUnsupportedWithANote) {
  Exec(R"SQL(
    CREATE TABLE by_expr (at timestamptz) PARTITION BY RANGE ((date_trunc('day', at AT TIME ZONE 'UTC')));
    CREATE TABLE by_two (a int, b int) PARTITION BY RANGE (a, b);
    CREATE TABLE by_two_1 PARTITION OF by_two FOR VALUES FROM (1, 1) TO (2, MAXVALUE);
  )SQL");
  ReadResult r = ReadCatalog(
      Dsn(), {Request("public", "by_expr", "1 day"), Request("public", "by_two", "10")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table* expr = r.catalog.Find({"public", "by_expr"});
  ASSERT_NE(expr, nullptr);
  EXPECT_TRUE(expr->partitioned);
  EXPECT_TRUE(expr->key_columns.empty());
  EXPECT_EQ(expr->key_type, KeyType::kUnsupported);
  const Table* two = r.catalog.Find({"public", "by_two"});
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->key_columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(two->key_type, KeyType::kUnsupported);
  ASSERT_EQ(two->children.size(), 1u);
  EXPECT_EQ(two->children[0].bound_kind, BoundKind::kRange);
  EXPECT_FALSE(two->max_key.has_value());

  ASSERT_EQ(r.diagnostics.size(), 2u) << AllDiagnostics(r);
  const std::string all = AllDiagnostics(r);
  EXPECT_NE(all.find("by_expr: the partition key is an expression"), std::string::npos) << all;
  EXPECT_NE(all.find("by_two: the partition key has 2 columns"), std::string::npos) << all;
}

TEST_F(ReaderShapesTest, SubPartitionedChildren) {
  Exec(R"SQL(
    CREATE TABLE sub (id bigint NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (id);
    CREATE TABLE sub_p0 PARTITION OF sub FOR VALUES FROM (0) TO (1000);
    CREATE TABLE sub_p1000 PARTITION OF sub FOR VALUES FROM (1000) TO (2000)
      PARTITION BY HASH (id);
    CREATE TABLE sub_p1000_h0 PARTITION OF sub_p1000 FOR VALUES WITH (modulus 2, remainder 0);
    CREATE TABLE sub_p1000_h1 PARTITION OF sub_p1000 FOR VALUES WITH (modulus 2, remainder 1);
    INSERT INTO sub SELECT g, now() FROM generate_series(1, 1200) g;
    ANALYZE sub;
  )SQL");
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "sub", "1000")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  ASSERT_EQ(ChildNames(t), (std::vector<std::string>{"sub_p0", "sub_p1000"}));
  EXPECT_FALSE(t.children[0].sub_partitioned);
  EXPECT_TRUE(t.children[1].sub_partitioned);
  EXPECT_EQ(t.children[1].from, Bound::Value(1000));
  EXPECT_EQ(t.children[1].rows_estimate, 201);  // 1000..1200, summed over its leaves
  EXPECT_GT(t.children[1].bytes, 0);
  // max(key) looks into the sub-partitioned child (a plain ONLY would see no rows).
  EXPECT_EQ(t.max_key, std::optional<int64_t>(1200));

  // The empty request list reads every partitioned table, the sub-partitioned child included.
  ReadResult all = ReadCatalog(Dsn(), {});
  ASSERT_FALSE(HasErrors(all.diagnostics)) << AllDiagnostics(all);
  EXPECT_NE(all.catalog.Find({"public", "sub"}), nullptr);
  EXPECT_NE(all.catalog.Find({"public", "sub_p1000"}), nullptr);
  EXPECT_EQ(all.catalog.Find({"public", "sub_p0"}), nullptr);  // a plain table
  for (const Table& table : all.catalog.tables) {
    EXPECT_TRUE(table.exists && table.partitioned) << table.name.Sql();
  }
}

TEST_F(ReaderShapesTest, ForeignChild) {
  Exec(R"SQL(
    CREATE EXTENSION IF NOT EXISTS postgres_fdw;
    CREATE SERVER nowhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '1');
    CREATE TABLE remote (at timestamptz NOT NULL) PARTITION BY RANGE (at);
    CREATE FOREIGN TABLE remote_2020 PARTITION OF remote
      FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') SERVER nowhere;
    CREATE TABLE remote_2021 PARTITION OF remote FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
  )SQL");
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "remote", "1 year")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  ASSERT_EQ(ChildNames(t), (std::vector<std::string>{"remote_2020", "remote_2021"}));
  EXPECT_TRUE(t.children[0].foreign);
  EXPECT_FALSE(t.children[1].foreign);
}

// DETACH PARTITION ... CONCURRENTLY commits its first phase (inhdetachpending = true), then waits
// for transactions that use the parent. Cancelling it there leaves the partition detach-pending.
TEST_F(ReaderShapesTest, DetachPendingAfterAnInterruptedConcurrentDetach) {
  Exec(R"SQL(
    CREATE TABLE tx (at timestamptz NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE tx_2020 PARTITION OF tx FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
    CREATE TABLE tx_2021 PARTITION OF tx FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
  )SQL");
  // A reader that keeps the parent in use.
  pqxx::connection blocker(Dsn());
  pqxx::work blocking(blocker);
  blocking.exec("SELECT count(*) FROM tx");

  pqxx::connection detacher(Dsn());
  const int detacher_pid = detacher.backendpid();
  auto detach = std::async(std::launch::async, [&]() -> std::string {
    try {
      pqxx::nontransaction n(detacher);
      n.exec("ALTER TABLE tx DETACH PARTITION tx_2020 CONCURRENTLY");
      return "finished";
    } catch (const std::exception& e) {
      return e.what();
    }
  });
  // Wait until the detach waits for the blocker (its first phase has committed), then cancel it.
  bool cancelled = false;
  for (int i = 0; i < 200 && !cancelled; ++i) {
    pqxx::result waiting = Exec("SELECT wait_event_type FROM pg_stat_activity WHERE pid = " +
                                std::to_string(detacher_pid));
    if (!waiting.empty() && !waiting[0][0].is_null() && waiting[0][0].as<std::string>() == "Lock") {
      Exec("SELECT pg_cancel_backend(" + std::to_string(detacher_pid) + ")");
      cancelled = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_TRUE(cancelled) << "the concurrent detach never waited for the blocking reader";
  const std::string outcome = detach.get();
  EXPECT_NE(outcome.find("cancel"), std::string::npos) << outcome;
  blocking.commit();

  ReadResult r = ReadCatalog(Dsn(), {Request("public", "tx", "1 year")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  ASSERT_EQ(ChildNames(t), (std::vector<std::string>{"tx_2020", "tx_2021"}));
  EXPECT_TRUE(t.children[0].detach_pending);
  EXPECT_FALSE(t.children[1].detach_pending);

  Exec("ALTER TABLE tx DETACH PARTITION tx_2020 FINALIZE");
  ReadResult after = ReadCatalog(Dsn(), {Request("public", "tx", "1 year")});
  EXPECT_EQ(ChildNames(after.catalog.tables.at(0)), std::vector<std::string>{"tx_2021"});
}

}  // namespace
}  // namespace pgpart::testing
