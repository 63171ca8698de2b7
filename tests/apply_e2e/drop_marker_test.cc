// The drop marker (COMMENT 'pgpart:drop <parent> [from, to) oid N', set before a concurrent detach)
// lets the next run drop a partition an interrupted run detached but did not drop. Only that very
// table may be dropped: a copy of its marker on another table (another schema, a partitioned
// table, a dump/restore of it under the same name) or a marker whose bounds are not past retention
// is reported and left alone, rows and partitions intact.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {
namespace {

// public.ledger (no default partition): monthly partitions 2026-05 .. 2026-11, 10 rows each; at kAt
// with keep: 3 months the drops are 2026-05, -06 and -07 (concurrent: mark, detach, drop).
std::string LedgerSql() {
  return "CREATE TABLE public.ledger (id bigint NOT NULL, ts timestamptz NOT NULL, v int) "
         "PARTITION BY RANGE (ts);\n" +
         MonthlyPartitions("public", "ledger", 2026, 5, 7) +
         "INSERT INTO public.ledger SELECT g, date_trunc('month', timestamptz '2026-05-01Z' + m * "
         "interval '1 month') + g * interval '1 hour', g FROM generate_series(0, 6) m, "
         "generate_series(1, 10) g;\n";
}

constexpr const char* kLedgerPolicy = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: ledger}
spec:
  tables: [public.ledger]
  interval: 1 month
  premake: 1
  retention: {keep: 3 months, action: drop}
)";

bool Exists(const ScratchDatabase& db, const std::string& qualified) {
  return !db.Scalar("SELECT to_regclass(" + Literal(qualified) + ")::text").empty();
}

std::string Comment(const ScratchDatabase& db, const std::string& qualified) {
  return db.Scalar("SELECT obj_description(" + Literal(qualified) + "::regclass, 'pg_class')");
}

// Does what an apply killed between DETACH ... CONCURRENTLY and DROP leaves behind: runs the
// planned drop's statements but the last (mark, then detach) for `partition`. Returns the marker.
std::string DetachLikeAnInterruptedRun(const ScratchDatabase& db, const std::string& policy,
                                       const std::string& partition) {
  RunResult r = RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", kAt, "--format",
                           "json"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  const auto plan = nlohmann::json::parse(r.out);
  for (const auto& step : plan.at("steps")) {
    if (step.at("action") != "drop" || step.at("partition") != partition) continue;
    const auto& statements = step.at("statements");
    EXPECT_EQ(statements.size(), 3u) << step.dump(2);
    // One at a time: DETACH ... CONCURRENTLY cannot run in a (multi-statement) transaction.
    for (size_t i = 0; i + 1 < statements.size(); ++i) {
      db.Exec(statements[i].at("sql").get<std::string>());
    }
    const std::string marker = Comment(db, partition);
    EXPECT_EQ(marker.rfind("pgpart:drop public.ledger [", 0), 0u) << marker;
    EXPECT_EQ(db.Scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = " +
                        Literal(partition) + "::regclass"),
              "0");
    return marker;
  }
  ADD_FAILURE() << "no drop of " << partition << " in the plan:\n" << r.out;
  return "";
}

TEST(DropMarker, CopiesOfTheMarkerOnOtherTablesAreReportedAndKept) {
  ScratchDatabase db;
  db.Exec(LedgerSql());
  const std::string policy = WriteTestFile("ledger.yaml", kLedgerPolicy);
  const std::string marker = DetachLikeAnInterruptedRun(db, policy, "public.ledger_y2026m05");

  // Someone restores a table for an investigation, with its comment, into another schema.
  db.Exec("CREATE SCHEMA restore; CREATE TABLE restore.customers_investigation (LIKE "
          "public.ledger); INSERT INTO restore.customers_investigation SELECT g, timestamptz "
          "'2026-05-01Z' + g * interval '1 minute', g FROM generate_series(1, 1000) g; "
          "COMMENT ON TABLE restore.customers_investigation IS " +
          Literal(marker));
  // A partitioned table with a copied marker: dropping it would drop its partitions too.
  db.Exec("CREATE TABLE public.ledger_backup (LIKE public.ledger) PARTITION BY RANGE (ts); "
          "CREATE TABLE public.ledger_backup_2026 PARTITION OF public.ledger_backup FOR VALUES "
          "FROM ('2026-01-01Z') TO ('2027-01-01Z'); INSERT INTO public.ledger_backup SELECT * "
          "FROM public.ledger; COMMENT ON TABLE public.ledger_backup IS " +
          Literal(marker));
  const int64_t backup_rows = db.Count("SELECT count(*) FROM public.ledger_backup_2026");
  ASSERT_GT(backup_rows, 0);

  RunResult plan = RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", kAt});
  EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
  for (const char* stranger : {"restore.customers_investigation", "public.ledger_backup"}) {
    EXPECT_NE(plan.out.find(std::string(stranger) + " carries a pgpart drop marker"),
              std::string::npos)
        << stranger << "\n"
        << plan.out;
  }
  EXPECT_EQ(plan.out.find("DROP TABLE restore."), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find("DROP TABLE public.ledger_backup"), std::string::npos) << plan.out;

  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  // The partition the interrupted run detached is dropped: the crash path still converges.
  EXPECT_FALSE(Exists(db, "public.ledger_y2026m05"));
  EXPECT_FALSE(Exists(db, "public.ledger_y2026m06"));
  // The strangers are all there, every row.
  ASSERT_TRUE(Exists(db, "restore.customers_investigation"));
  EXPECT_EQ(db.Count("SELECT count(*) FROM restore.customers_investigation"), 1000);
  ASSERT_TRUE(Exists(db, "public.ledger_backup_2026"));
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ledger_backup_2026"), backup_rows);
  EXPECT_EQ(db.Scalar("SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = "
                      "'public.ledger_backup_2026'::regclass"),
            "ledger_backup");  // regclass text: public is on the search_path
}

// pg_dump/pg_restore (or CREATE TABLE + INSERT + COMMENT) of the detached table under its own name
// copies name, schema, bounds and comment, but not its identity: it is not dropped.
TEST(DropMarker, ARestoredCopyOfTheDetachedTableIsNotDropped) {
  ScratchDatabase db;
  db.Exec(LedgerSql());
  const std::string policy = WriteTestFile("ledger.yaml", kLedgerPolicy);
  const std::string marker = DetachLikeAnInterruptedRun(db, policy, "public.ledger_y2026m05");
  const int64_t rows = db.Count("SELECT count(*) FROM public.ledger_y2026m05");
  ASSERT_GT(rows, 0);
  db.Exec("CREATE TABLE public.saved AS SELECT * FROM public.ledger_y2026m05; "
          "DROP TABLE public.ledger_y2026m05; "
          "CREATE TABLE public.ledger_y2026m05 (LIKE public.ledger); "
          "INSERT INTO public.ledger_y2026m05 SELECT * FROM public.saved; DROP TABLE public.saved; "
          "COMMENT ON TABLE public.ledger_y2026m05 IS " +
          Literal(marker));

  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("public.ledger_y2026m05 carries a pgpart drop marker"), std::string::npos)
      << Describe(r);
  ASSERT_TRUE(Exists(db, "public.ledger_y2026m05"));
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ledger_y2026m05"), rows);
  EXPECT_FALSE(Exists(db, "public.ledger_y2026m06"));  // the real drops still happen
}

// A table detached by hand and marked with its own identity, but whose bounds are not past
// retention: pgpart never detached it for dropping, so it is not dropped.
TEST(DropMarker, AMarkerWhoseBoundsAreNotPastRetentionIsNotActedOn) {
  ScratchDatabase db;
  db.Exec(LedgerSql());
  const std::string policy = WriteTestFile("ledger.yaml", kLedgerPolicy);
  db.Exec("ALTER TABLE public.ledger DETACH PARTITION public.ledger_y2026m10");
  db.Exec("DO $$ BEGIN EXECUTE format('COMMENT ON TABLE public.ledger_y2026m10 IS %L', "
          "'pgpart:drop public.ledger [2026-10-01T00:00:00Z, 2026-11-01T00:00:00Z) oid ' || "
          "'public.ledger_y2026m10'::regclass::oid); END $$");
  const int64_t rows = db.Count("SELECT count(*) FROM public.ledger_y2026m10");
  ASSERT_GT(rows, 0);

  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_NE(r.out.find("public.ledger_y2026m10 carries a pgpart drop marker"), std::string::npos)
      << Describe(r);
  EXPECT_NE(r.out.find("not past retention"), std::string::npos) << Describe(r);
  ASSERT_TRUE(Exists(db, "public.ledger_y2026m10"));
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ledger_y2026m10"), rows);
}

}  // namespace
}  // namespace pgpart::apply_e2e
