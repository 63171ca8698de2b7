// Catalog reader against a real PostgreSQL 15: round trips, the session it runs in, errors, and
// a snapshot of a live catalog.

#include <gtest/gtest.h>

#include "catalog/reader.h"
#include "catalog/snapshot.h"
#include "pg_fixture.h"
#include "reader_test_util.h"

namespace pgpart::testing {
namespace {

class ReaderSessionTest : public PgTest {};

// n monthly children from 2020-01 on, a default with rows in two months, and an integer table
// with n empty premade children above one full one (so the max(key) probe needs its second pass).
void MakeTables(const std::string& suffix, int n) {
  std::string sql = "CREATE TABLE m" + suffix +
                    " (at timestamptz NOT NULL) PARTITION BY RANGE (at);"
                    "CREATE TABLE m" +
                    suffix + "_default PARTITION OF m" + suffix + " DEFAULT;" + "INSERT INTO m" +
                    suffix + " VALUES ('2030-01-05'), ('2030-03-05');" + "CREATE TABLE i" + suffix +
                    " (id bigint NOT NULL) PARTITION BY RANGE (id);"
                    "CREATE TABLE i" +
                    suffix + "_default PARTITION OF i" + suffix + " DEFAULT;";
  for (int k = 0; k < n; ++k) {
    sql += "CREATE TABLE m" + suffix + "_" + std::to_string(k) + " PARTITION OF m" + suffix +
           " FOR VALUES FROM ('2020-01-01'::timestamptz + interval '" + std::to_string(k) +
           " months') TO ('2020-01-01'::timestamptz + interval '" + std::to_string(k + 1) +
           " months');";
    sql += "CREATE TABLE i" + suffix + "_" + std::to_string(k) + " PARTITION OF i" + suffix +
           " FOR VALUES FROM (" + std::to_string(k * 10) + ") TO (" + std::to_string(k * 10 + 10) +
           ");";
  }
  sql += "INSERT INTO i" + suffix + " SELECT generate_series(0, 9);";
  PgTest::Exec(sql);
}

TEST_F(ReaderSessionTest, RoundTripsDoNotGrowWithChildren) {
  MakeTables("small", 10);
  MakeTables("large", 60);
  auto read = [](const std::string& suffix) {
    return ReadCatalog(
        Dsn(), {Request("public", "m" + suffix, "1 month"), Request("public", "i" + suffix, "10")});
  };
  ReadResult small = read("small");
  ReadResult large = read("large");
  ASSERT_FALSE(HasErrors(small.diagnostics)) << AllDiagnostics(small);
  ASSERT_FALSE(HasErrors(large.diagnostics)) << AllDiagnostics(large);
  EXPECT_EQ(large.catalog.tables.at(1).children.size(), 60u);
  EXPECT_EQ(large.catalog.tables.at(0).max_key, std::optional<int64_t>(9));
  EXPECT_EQ(small.catalog.tables.at(0).max_key, std::optional<int64_t>(9));
  EXPECT_EQ(large.catalog.tables.at(1).default_buckets.size(), 2u);
  // Both need the second max(key) probe (more empty children than the first probe covers).
  EXPECT_GT(small.round_trips, 0);
  // session, tables, children, bounds that need pg_get_expr, defaults, max(key), buckets,
  // detached-for-drop markers
  EXPECT_LE(large.round_trips, 8);
  EXPECT_EQ(small.round_trips, large.round_trips);

  // Ten tables cost what two cost.
  for (int k = 0; k < 4; ++k) MakeTables("x" + std::to_string(k), 5);
  std::vector<TableRequest> many;
  for (int k = 0; k < 4; ++k) {
    many.push_back(Request("public", "mx" + std::to_string(k), "1 month"));
    many.push_back(Request("public", "ix" + std::to_string(k), "10"));
  }
  many.push_back(Request("public", "msmall", "1 month"));
  many.push_back(Request("public", "ismall", "10"));
  ReadResult ten = ReadCatalog(Dsn(), many);
  ASSERT_FALSE(HasErrors(ten.diagnostics)) << AllDiagnostics(ten);
  EXPECT_EQ(ten.catalog.tables.size(), 10u);
  EXPECT_EQ(ten.round_trips, small.round_trips);
}

TEST_F(ReaderSessionTest, RunsInItsOwnReadOnlyTransactionAndLeavesTheSessionAlone) {
  Exec(
      "CREATE TABLE zoned (at timestamptz) PARTITION BY RANGE (at);"
      "CREATE TABLE zoned_2024 PARTITION OF zoned FOR VALUES FROM ('2024-01-01 00:00+00') "
      "TO ('2025-01-01 00:00+00');");
  pqxx::connection conn(Dsn());
  {
    pqxx::nontransaction n(conn);
    n.exec("SET TimeZone = 'Asia/Kathmandu'; SET DateStyle = 'SQL, DMY'");
  }
  ReadResult r = ReadCatalog(conn, {Request("public", "zoned", "1 year")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  // Bounds were printed in UTC/ISO for the reader whatever the session had.
  EXPECT_EQ(r.catalog.tables.at(0).children.at(0).from, At(1704067200));
  pqxx::nontransaction n(conn);
  EXPECT_EQ(n.exec("SHOW TimeZone")[0][0].as<std::string>(), "Asia/Kathmandu");
  EXPECT_EQ(n.exec("SHOW DateStyle")[0][0].as<std::string>(), "SQL, DMY");
  EXPECT_EQ(n.exec("SHOW transaction_read_only")[0][0].as<std::string>(), "off");
}

TEST_F(ReaderSessionTest, AnOpenTransactionIsAnErrorValueNotAnException) {
  pqxx::connection conn(Dsn());
  pqxx::work busy(conn);
  ReadResult r;
  EXPECT_NO_THROW(r = ReadCatalog(conn, {}));
  ASSERT_TRUE(HasErrors(r.diagnostics));
  EXPECT_NE(r.diagnostics[0].message.find("reading the catalog failed"), std::string::npos);
  EXPECT_TRUE(r.catalog.tables.empty());
}

TEST_F(ReaderSessionTest, ConnectionFailureNamesTheServerButNotThePassword) {
  ReadResult r = ReadCatalog(
      "host=127.0.0.1 port=1 user=app password='s3cr et' connect_timeout=3 dbname=x", {});
  ASSERT_EQ(r.diagnostics.size(), 1u);
  const std::string& m = r.diagnostics[0].message;
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kError);
  EXPECT_NE(m.find("cannot connect to PostgreSQL"), std::string::npos) << m;
  EXPECT_NE(m.find("port=1"), std::string::npos) << m;
  EXPECT_NE(m.find("password=********"), std::string::npos) << m;
  EXPECT_EQ(m.find("s3cr"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_TRUE(r.catalog.tables.empty());

  ReadResult uri = ReadCatalog("postgresql://app:hunter2@127.0.0.1:1/x?connect_timeout=3", {});
  ASSERT_EQ(uri.diagnostics.size(), 1u);
  EXPECT_EQ(uri.diagnostics[0].message.find("hunter2"), std::string::npos);
  EXPECT_NE(uri.diagnostics[0].message.find("app:********@127.0.0.1:1"), std::string::npos)
      << uri.diagnostics[0].message;
}

TEST_F(ReaderSessionTest, SnapshotOfALiveCatalogRoundTripsExactly) {
  Exec(R"SQL(
    CREATE SCHEMA "Snap Shot";
    CREATE TABLE "Snap Shot"."T" (at timestamptz NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE "Snap Shot"."T_1" PARTITION OF "Snap Shot"."T"
      FOR VALUES FROM ('2024-01-01 00:00:00.25+00') TO ('2024-02-01');
    CREATE TABLE "Snap Shot"."T_d" PARTITION OF "Snap Shot"."T" DEFAULT;
    INSERT INTO "Snap Shot"."T" VALUES ('2024-03-01'), ('2024-04-01');
    CREATE TABLE snap_h (k int) PARTITION BY HASH (k);
    CREATE TABLE snap_h0 PARTITION OF snap_h FOR VALUES WITH (modulus 2, remainder 0);
    CREATE TABLE snap_h1 PARTITION OF snap_h FOR VALUES WITH (modulus 2, remainder 1);
    CREATE TABLE snap_i (k bigint) PARTITION BY RANGE (k);
    CREATE TABLE snap_i0 PARTITION OF snap_i FOR VALUES FROM (MINVALUE) TO (100);
    INSERT INTO snap_i VALUES (42);
    CREATE TABLE snap_l (c text) PARTITION BY LIST (c);
    CREATE TABLE snap_l0 PARTITION OF snap_l FOR VALUES IN ('x', 'y');
  )SQL");
  ReadResult r =
      ReadCatalog(Dsn(), {Request("Snap Shot", "T", "1 month"), Request("public", "snap_h"),
                          Request("public", "snap_i", "100"), Request("public", "snap_l"),
                          Request("public", "snap_gone")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  ASSERT_EQ(r.catalog.tables.size(), 5u);
  const Table* t = r.catalog.Find({"Snap Shot", "T"});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->children.at(0).from, Bound::Value(1704067200 * kMicrosPerSecond + 250000));
  EXPECT_EQ(t->default_buckets.size(), 2u);

  const std::string json = CatalogToJson(r.catalog);
  Catalog back;
  std::string error;
  ASSERT_TRUE(CatalogFromJson(json, &back, &error)) << error;
  EXPECT_EQ(back, r.catalog);
  EXPECT_EQ(CatalogToJson(back), json);
}

// Apply reads again and again on one connection with generic plans (ReadOptions::generic_plans,
// issue 16): the server really runs the generic plans, and they read exactly what custom plans
// read.
TEST_F(ReaderSessionTest, GenericPlansAreUsedAndReadTheSameCatalog) {
  MakeTables("_gp", 6);
  Exec("COMMENT ON TABLE m_gp_0 IS 'pgpart:drop public.m_gp [2020-01-01T00:00:00Z, "
       "2020-02-01T00:00:00Z)'; ALTER TABLE m_gp DETACH PARTITION m_gp_0;");
  const std::vector<TableRequest> requests = {Request("public", "m_gp", "1 month"),
                                              Request("public", "i_gp", "10")};
  auto without_clock = [](Catalog c) {
    c.now_micros.reset();
    return CatalogToJson(c);
  };
  pqxx::connection conn(Dsn());
  const ReadResult custom = ReadCatalog(conn, requests);
  ASSERT_FALSE(HasErrors(custom.diagnostics)) << AllDiagnostics(custom);
  ASSERT_EQ(custom.catalog.tables.size(), 2u);
  ASSERT_EQ(custom.catalog.tables[0].detached_for_drop.size() +
                custom.catalog.tables[1].detached_for_drop.size(),
            1u);
  ReadOptions generic;
  generic.generic_plans = true;
  for (int i = 0; i < 3; ++i) {
    const ReadResult again = ReadCatalog(conn, requests, generic);
    ASSERT_FALSE(HasErrors(again.diagnostics)) << AllDiagnostics(again);
    EXPECT_EQ(without_clock(again.catalog), without_clock(custom.catalog)) << "read " << i;
  }
  // The reader's prepared statements (its own and the marker query) ran generic plans, each
  // the three times it was read with them.
  pqxx::nontransaction nt(conn);
  pqxx::result plans = nt.exec(
      "SELECT name, generic_plans FROM pg_prepared_statements WHERE name LIKE 'pgpart%' "
      "ORDER BY name");
  ASSERT_GE(plans.size(), 3u);
  for (const pqxx::row& row : plans) {
    EXPECT_EQ(row[1].as<int64_t>(), 3) << row[0].as<std::string>();
  }
}

}  // namespace
}  // namespace pgpart::testing
