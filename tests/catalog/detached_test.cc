// Tables an interrupted run detached for dropping are found by their marker comment.

#include <gtest/gtest.h>

#include "catalog/reader.h"
#include "pg_fixture.h"
#include "reader_test_util.h"

namespace pgpart::testing {
namespace {

class DetachedForDropTest : public PgTest {};

TEST_F(DetachedForDropTest, MarkedStandaloneTablesAreListedUnderTheirParent) {
  Exec(R"SQL(
    CREATE SCHEMA "Odd ""S""";
    CREATE TABLE "Odd ""S""".m (id int, at timestamptz) PARTITION BY RANGE (at);
    CREATE TABLE "Odd ""S""".m_2024 PARTITION OF "Odd ""S""".m
      FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE "Odd ""S""".m_2023 (id int, at timestamptz);
    INSERT INTO "Odd ""S""".m_2023 VALUES (1, '2023-05-01');
    COMMENT ON TABLE "Odd ""S""".m_2023 IS 'pgpart:drop "Odd ""S""".m [2023-01-01T00:00:00Z, 2024-01-01T00:00:00Z)';
    CREATE TABLE "Odd ""S""".m_2022 (id int, at timestamptz);
    COMMENT ON TABLE "Odd ""S""".m_2022 IS 'pgpart:drop "Odd ""S""".m';
    -- with the oid it was set on; and a partitioned table carrying a marker
    CREATE TABLE "Odd ""S""".m_2021 (id int, at timestamptz);
    DO $$ BEGIN EXECUTE format('COMMENT ON TABLE "Odd ""S""".m_2021 IS %L',
      'pgpart:drop "Odd ""S""".m [2021-01-01T00:00:00Z, 2022-01-01T00:00:00Z) oid '
      || '"Odd ""S""".m_2021'::regclass::oid); END $$;
    CREATE TABLE "Odd ""S""".m_sub (id int, at timestamptz) PARTITION BY RANGE (at);
    COMMENT ON TABLE "Odd ""S""".m_sub
      IS 'pgpart:drop "Odd ""S""".m [2020-01-01T00:00:00Z, 2021-01-01T00:00:00Z) oid 1';
    -- marked but still attached: a normal child, not an orphan
    COMMENT ON TABLE "Odd ""S""".m_2024 IS 'pgpart:drop "Odd ""S""".m';
    -- a marker naming another parent, and an unmarked table
    CREATE TABLE public.stray (id int);
    COMMENT ON TABLE public.stray IS 'pgpart:drop public.other';
    CREATE TABLE public.plain (id int);
  )SQL");
  ReadResult r = ReadCatalog(Dsn(), {Request("Odd \"S\"", "m", "1 year")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  ASSERT_EQ(t.detached_for_drop.size(), 4u);
  const Child& with_oid = t.detached_for_drop[0];
  EXPECT_EQ(with_oid.name, (QualifiedName{"Odd \"S\"", "m_2021"}));
  EXPECT_EQ(BoundText(KeyType::kTimestampTz, with_oid.to), "2022-01-01T00:00:00Z");
  EXPECT_GT(with_oid.oid, 0);
  EXPECT_EQ(with_oid.marker_oid, with_oid.oid);
  EXPECT_FALSE(with_oid.sub_partitioned);
  EXPECT_EQ(t.detached_for_drop[1].name, (QualifiedName{"Odd \"S\"", "m_2022"}));
  EXPECT_EQ(t.detached_for_drop[1].to, Bound::Max());  // an old marker without bounds
  EXPECT_EQ(t.detached_for_drop[1].marker_oid, 0);     // nor oid
  EXPECT_EQ(t.detached_for_drop[2].name, (QualifiedName{"Odd \"S\"", "m_2023"}));
  EXPECT_EQ(BoundText(KeyType::kTimestampTz, t.detached_for_drop[2].from), "2023-01-01T00:00:00Z");
  EXPECT_EQ(BoundText(KeyType::kTimestampTz, t.detached_for_drop[2].to), "2024-01-01T00:00:00Z");
  EXPECT_EQ(t.detached_for_drop[3].name, (QualifiedName{"Odd \"S\"", "m_sub"}));
  EXPECT_TRUE(t.detached_for_drop[3].sub_partitioned);  // listed to be reported, never dropped
  EXPECT_EQ(t.detached_for_drop[3].marker_oid, 1);
  EXPECT_EQ(t.children.size(), 1u);
  EXPECT_EQ(t.children[0].oid,
            Exec(R"(SELECT '"Odd ""S""".m_2024'::regclass::oid::bigint)")[0][0].as<int64_t>());
}

// Retention action detach/archive leaves tables marked 'pgpart:detached ...': listed under their
// parent (Table::detached) wherever they are, with their size; drop markers stay apart.
TEST_F(DetachedForDropTest, DetachedMarkersAreListedApartFromDropMarkers) {
  Exec(R"SQL(
    CREATE SCHEMA cold;
    CREATE TABLE public.k (id int, at timestamptz) PARTITION BY RANGE (at);
    CREATE TABLE public.k_2024 PARTITION OF public.k
      FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE cold.k_2023 (id int PRIMARY KEY, at timestamptz);
    INSERT INTO cold.k_2023 SELECT g, '2023-05-01' FROM generate_series(1, 1000) g;
    ANALYZE cold.k_2023;
    DO $$ BEGIN EXECUTE format('COMMENT ON TABLE cold.k_2023 IS %L',
      'pgpart:detached public.k [2023-01-01T00:00:00Z, 2024-01-01T00:00:00Z) oid '
      || 'cold.k_2023'::regclass::oid); END $$;
    CREATE TABLE public.k_2022 (id int, at timestamptz);
    COMMENT ON TABLE public.k_2022
      IS 'pgpart:drop public.k [2022-01-01T00:00:00Z, 2023-01-01T00:00:00Z)';
  )SQL");
  ReadResult r = ReadCatalog(Dsn(), {Request("public", "k", "1 year")});
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  const Table& t = r.catalog.tables.at(0);
  ASSERT_EQ(t.detached.size(), 1u);
  const Child& d = t.detached[0];
  EXPECT_EQ(d.name, (QualifiedName{"cold", "k_2023"}));
  EXPECT_EQ(BoundText(KeyType::kTimestampTz, d.from), "2023-01-01T00:00:00Z");
  EXPECT_EQ(d.marker_oid, d.oid);
  EXPECT_NE(d.oid, 0);
  EXPECT_EQ(d.rows_estimate, 1000);
  EXPECT_GT(d.bytes, 8192);  // the heap and its primary key's index
  ASSERT_EQ(t.detached_for_drop.size(), 1u);
  EXPECT_EQ(t.detached_for_drop[0].name.name, "k_2022");
}

}  // namespace
}  // namespace pgpart::testing
