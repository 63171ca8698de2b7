// Online conversion of a plain table into a partitioned one (policy spec.convert, issue 13): the
// real binary against the sandbox PostgreSQL, on tables shaped like the ones real projects
// started from (an IoT table with a foreign key, three indexes, a serial key that lacks the
// partition key, a dual-write trigger and a view; a payments table with a uuid key and an
// identity column).

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "apply_fixture.h"
#include "roles_fixture.h"

namespace pgpart::apply_e2e {
namespace {

using std::chrono::seconds;

const std::vector<std::string> kPublic = {"public"};

std::string ConvertPolicy(const std::string& table, const std::string& column,
                          const std::string& convert, const std::string& extra = "") {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: conv}\n"
         "spec:\n  tables: [" + table + "]\n  column: " + column +
         "\n  interval: 1 month\n  premake: 2\n" + extra + "  convert:\n" + convert;
}

// An IoT table as the seeds had it: bigserial id primary key (without the partition key), a
// foreign key to devices, three indexes, a default, a check, a stored generated column, a
// comment, a view, a dual-write trigger and a reporting role's grant. `rows` readings spread
// over 14 months back from the test clock.
std::string ReadingsSql(int rows) {
  return R"SQL(
CREATE TABLE public.devices (id int PRIMARY KEY, name text);
INSERT INTO public.devices SELECT g, 'd' || g FROM generate_series(1, 50) g;
CREATE TABLE public.sensor_readings (
  id bigserial PRIMARY KEY,
  device_id int NOT NULL REFERENCES public.devices (id),
  recorded_at timestamptz NOT NULL,
  value double precision CHECK (value > -1000),
  note text DEFAULT 'n/a',
  doubled double precision GENERATED ALWAYS AS (value * 2) STORED
);
CREATE INDEX sensor_readings_device_idx ON public.sensor_readings (device_id, recorded_at);
CREATE INDEX sensor_readings_time_idx ON public.sensor_readings (recorded_at);
CREATE INDEX sensor_readings_note_idx ON public.sensor_readings (note) WHERE note <> 'n/a';
COMMENT ON TABLE public.sensor_readings IS 'raw readings';
INSERT INTO public.sensor_readings (device_id, recorded_at, value, note)
SELECT 1 + g % 50, timestamptz '2025-09-01Z' + (g::float8 / )SQL" +
         std::to_string(rows) + R"SQL( ) * interval '440 days', g % 997,
       CASE WHEN g % 7 = 0 THEN 'hot' ELSE 'n/a' END
  FROM generate_series(1, )SQL" + std::to_string(rows) + R"SQL() g;
CREATE TABLE public.readings_copy (id bigint, recorded_at timestamptz);
CREATE FUNCTION public.dual_write() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.readings_copy VALUES (NEW.id, NEW.recorded_at); RETURN NEW; END $$;
CREATE TRIGGER dual_write AFTER INSERT ON public.sensor_readings
  FOR EACH ROW EXECUTE FUNCTION public.dual_write();
CREATE VIEW public.hot_readings AS
  SELECT id, device_id, recorded_at FROM public.sensor_readings WHERE note = 'hot';
DO $$ BEGIN CREATE ROLE conv_reporting; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT SELECT ON public.sensor_readings TO conv_reporting;
ANALYZE public.sensor_readings;
)SQL";
}

const char kReadingsConvert[] = "    batchRows: 2000\n    primaryKey: [id, recorded_at]\n";

// md5 of every row of `table`, ordered by id: what "the same rows" means here.
std::string Digest(const ScratchDatabase& db, const std::string& table) {
  return db.Scalar("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM " +
                   table + " t");
}

TEST(Convert, ASeedLikeTableBecomesPartitionedWithEverythingCarriedOver) {
  ScratchDatabase db;
  db.Exec(ReadingsSql(20000));
  const std::string before = Digest(db, "public.sensor_readings");
  const int64_t max_id = db.Count("SELECT max(id) FROM public.sensor_readings");
  const std::string policy =
      WriteTestFile("conv.yaml", ConvertPolicy("public.sensor_readings", "recorded_at",
                                               kReadingsConvert));

  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  ASSERT_EQ(plan.exit_code, 2) << Describe(plan);
  for (const char* expected :
       {"convert_prepare public.sensor_readings_pgpart_new", "convert_copy", "convert_verify",
        "convert_swap", "hazards: REWRITES_ROWS", "hazards: ACQUIRES_ACCESS_EXCLUSIVE_LOCK",
        "17 partitions of 1 month from 2025-09-01T00:00:00Z to 2027-02-01T00:00:00Z",
        "primary key (id, recorded_at) instead of (id)", "trigger dual_write",
        "view public.hot_readings", "sequence public.sensor_readings_id_seq"}) {
    EXPECT_NE(plan.out.find(expected), std::string::npos) << expected << "\n" << Describe(plan);
  }
  // Planning changes nothing.
  EXPECT_EQ(db.Scalar("SELECT to_regclass('public.sensor_readings_pgpart_new')"), "");

  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.err.find("20000 rows in 15 periods match"), std::string::npos) << Describe(r);

  EXPECT_EQ(db.Scalar("SELECT relkind FROM pg_class WHERE oid = 'public.sensor_readings'::regclass"),
            "p");
  EXPECT_EQ(Digest(db, "public.sensor_readings"), before);
  EXPECT_EQ(db.Count("SELECT count(*) FROM pg_inherits WHERE inhparent = "
                     "'public.sensor_readings'::regclass"),
            17);
  // Keys and indexes under their old names; the foreign key, check and default kept.
  EXPECT_EQ(db.Scalar("SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_index i "
                      "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = "
                      "'public.sensor_readings'::regclass"),
            "sensor_readings_device_idx,sensor_readings_note_idx,sensor_readings_pkey,"
            "sensor_readings_time_idx");
  EXPECT_EQ(db.Scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                      "'public.sensor_readings'::regclass AND contype = 'p'"),
            "PRIMARY KEY (id, recorded_at)");
  EXPECT_EQ(db.Count("SELECT count(*) FROM pg_constraint WHERE conrelid = "
                     "'public.sensor_readings'::regclass AND contype IN ('f', 'c')"),
            2);
  EXPECT_EQ(db.Scalar("SELECT obj_description('public.sensor_readings'::regclass, 'pg_class')"),
            "raw readings");
  EXPECT_EQ(db.Scalar("SELECT has_table_privilege('conv_reporting', 'public.sensor_readings', "
                      "'SELECT')"),
            "t");
  // The sequence now belongs to the new table and goes on; the dual-write trigger fires once;
  // the view reads the new table; the foreign key is enforced.
  db.Exec("INSERT INTO public.sensor_readings (device_id, recorded_at, value, note) "
          "VALUES (3, '2026-11-20Z', 1, 'hot')");
  EXPECT_EQ(db.Count("SELECT max(id) FROM public.sensor_readings"), max_id + 1);
  EXPECT_EQ(db.Scalar("SELECT d.refobjid::regclass::text FROM pg_depend d WHERE d.objid = "
                      "'public.sensor_readings_id_seq'::regclass AND d.deptype = 'a'"),
            "sensor_readings");
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.readings_copy"), 1);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.hot_readings WHERE id = " +
                     std::to_string(max_id + 1)),
            1);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.sensor_readings_pgpart_old WHERE id = " +
                     std::to_string(max_id + 1)),
            0);
  // The old table is kept, marked, and the change to the new one is recorded for a rollback.
  EXPECT_EQ(db.Scalar("SELECT obj_description('public.sensor_readings_pgpart_old'::regclass, "
                      "'pg_class') LIKE 'pgpart:converted public.sensor_readings swapped_at %'"),
            "t");
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.sensor_readings_pgpart_back"), 1);
  EXPECT_EQ(db.Scalar("SELECT to_regclass('public.sensor_readings_pgpart_log')"), "");

  // Converged: the next plan has nothing to do and says the old table is kept.
  RunResult again = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_NE(again.out.find("the old table public.sensor_readings_pgpart_old is kept"),
            std::string::npos)
      << Describe(again);
}

TEST(Convert, AUuidKeyAndAnIdentityColumnAreCarriedOver) {
  ScratchDatabase db;
  db.Exec(R"SQL(
CREATE TABLE public.transactions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  created_at date NOT NULL,
  amount numeric(12, 2) NOT NULL
);
INSERT INTO public.transactions (created_at, amount)
SELECT date '2026-01-01' + (g % 320), g / 100.0 FROM generate_series(1, 12000) g;
ANALYZE public.transactions;
)SQL");
  const std::string before = Digest(db, "public.transactions");
  const std::string policy = WriteTestFile(
      "tx.yaml", ConvertPolicy("public.transactions", "created_at",
                               "    batchRows: 1000\n    primaryKey: [id, created_at]\n"));
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Digest(db, "public.transactions"), before);
  // The identity goes on after the highest value the old table handed out.
  EXPECT_EQ(db.Scalar("INSERT INTO public.transactions (created_at, amount) "
                      "VALUES ('2026-11-21', 1) RETURNING seq"),
            "12001");
  RunResult again = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
}

TEST(Convert, WhatCannotBeCarriedOverIsRefusedWithItsReasonAndNothingChanges) {
  ScratchDatabase db;
  db.Exec(ReadingsSql(500) + R"SQL(
CREATE TABLE public.alerts (id int PRIMARY KEY, reading_id bigint REFERENCES public.sensor_readings (id));
CREATE MATERIALIZED VIEW public.daily AS SELECT recorded_at::date AS d, count(*) FROM public.sensor_readings GROUP BY 1;
ALTER TABLE public.sensor_readings ADD CONSTRAINT one_note UNIQUE (note, id);
CREATE TABLE public.nokey (ts timestamptz NOT NULL, v int);
)SQL");
  const std::string before = Digest(db, "public.sensor_readings");
  // No primaryKey: the primary key lacks the partition key.
  const std::string policy = WriteTestFile(
      "conv.yaml", ConvertPolicy("public.sensor_readings", "recorded_at", "    batchRows: 500\n"));
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  const std::string text = r.out + r.err;
  for (const char* reason :
       {"cannot convert public.sensor_readings into a partitioned table",
        "set convert.primaryKey: [id, recorded_at]",
        "foreign key alerts_reading_id_fkey of public.alerts",
        "materialized view public.daily depends on it",
        "unique constraint one_note (note, id) lacks the partition key recorded_at"}) {
    EXPECT_NE(text.find(reason), std::string::npos) << reason << "\n" << Describe(r);
  }
  EXPECT_EQ(db.Scalar("SELECT relkind FROM pg_class WHERE oid = 'public.sensor_readings'::regclass"),
            "r");
  EXPECT_EQ(db.Scalar("SELECT to_regclass('public.sensor_readings_pgpart_new')"), "");
  EXPECT_EQ(db.Count("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgpart%'"), 0);
  EXPECT_EQ(Digest(db, "public.sensor_readings"), before);

  // A table without a primary key; and a plain table whose policy does not convert.
  const std::string nokey = WriteTestFile(
      "nokey.yaml", ConvertPolicy("public.nokey", "ts", "    batchRows: 500\n"));
  RunResult n = RunPgpart(PlanArgs(nokey, db.dsn()));
  EXPECT_EQ(n.exit_code, 1) << Describe(n);
  EXPECT_NE((n.out + n.err).find("it has no primary key"), std::string::npos) << Describe(n);
  const std::string plain = WriteTestFile(
      "plain.yaml",
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: plain}\n"
      "spec:\n  tables: [public.nokey]\n  interval: 1 month\n");
  RunResult p = RunPgpart(PlanArgs(plain, db.dsn()));
  EXPECT_EQ(p.exit_code, 1) << Describe(p);
  EXPECT_NE((p.out + p.err).find("to convert it online, add spec.convert"), std::string::npos)
      << Describe(p);
}

// pgbench writers insert, update and delete rows of the table for the whole conversion, each
// change mirrored into a reference table in the same transaction. Afterwards the partitioned
// table holds exactly the reference's rows, and no writer failed.
TEST(Convert, WritersInsertUpdateAndDeleteThroughoutAndNoChangeIsLost) {
  ScratchDatabase db;
  db.Exec(ReadingsSql(40000) + R"SQL(
DROP TRIGGER dual_write ON public.sensor_readings;
CREATE TABLE public.reference AS SELECT id, device_id, recorded_at, value, note FROM public.sensor_readings;
ALTER TABLE public.reference ADD PRIMARY KEY (id);
)SQL");
  const std::string script = WriteTestFile("writers.sql", R"SQL(\set id random(1, 40000)
\set kind random(1, 10)
BEGIN;
\if :kind <= 5
INSERT INTO public.sensor_readings (device_id, recorded_at, value) VALUES (1 + :id % 50, timestamptz '2025-09-01Z' + random() * interval '440 days', :id) RETURNING id AS new_id \gset
INSERT INTO public.reference SELECT id, device_id, recorded_at, value, note FROM public.sensor_readings WHERE id = :new_id;
\elif :kind <= 8
UPDATE public.sensor_readings SET value = value + 1, note = 'upd' WHERE id = :id;
UPDATE public.reference SET value = value + 1, note = 'upd' WHERE id = :id;
\else
DELETE FROM public.sensor_readings WHERE id = :id;
DELETE FROM public.reference WHERE id = :id;
\endif
COMMIT;
)SQL");
  const std::string out = TestDir() + "/pgbench.out";
  const std::string cmd = "/usr/lib/postgresql/15/bin/pgbench '" + db.dsn() + "' -n -f " + script +
                          " -c 4 -j 2 -T 14 -R 300 > " + out + " 2>&1";
  int pgbench_rc = -1;
  std::thread writers([&] { pgbench_rc = std::system(cmd.c_str()); });
  std::this_thread::sleep_for(seconds(1));
  const std::string policy = WriteTestFile(
      "conv.yaml", ConvertPolicy("public.sensor_readings", "recorded_at",
                                 "    batchRows: 300\n    primaryKey: [id, recorded_at]\n"));
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()), {}, seconds(120));
  writers.join();
  const std::string pgbench_out = ReadFile(out);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(pgbench_rc, 0) << pgbench_out;
  EXPECT_EQ(pgbench_out.find("aborted"), std::string::npos) << pgbench_out;
  EXPECT_EQ(pgbench_out.find("ERROR"), std::string::npos) << pgbench_out;
  // The writers ran before, during and after the copy: some replayed changes.
  EXPECT_NE(r.out.find("replayed the changes of"), std::string::npos) << Describe(r);
  EXPECT_EQ(db.Scalar("SELECT relkind FROM pg_class WHERE oid = 'public.sensor_readings'::regclass"),
            "p");
  const std::string cols = "SELECT id, device_id, recorded_at, value, note FROM ";
  EXPECT_EQ(Digest(db, "(" + cols + "public.sensor_readings)"),
            Digest(db, "(" + cols + "public.reference)"));
  EXPECT_GT(db.Count("SELECT count(*) FROM public.reference WHERE note = 'upd'"), 0);
  std::printf("[ info ] %s rows after the writers; %s\n",
              db.Scalar("SELECT count(*) FROM public.reference").c_str(),
              pgbench_out.substr(pgbench_out.find("number of transactions actually processed"),
                                 60).c_str());
}

// Killed with SIGKILL at checkpoints all through a conversion (before and inside the prepare,
// between copy batches, during the replay, verify and swap), then applied again: the table ends
// partitioned with exactly its rows, nothing left half-done.
TEST(Convert, KilledAnywhereTheNextApplyResumesWithNoRowLostOrDuplicated) {
  ScratchDatabase templ("template");
  templ.Exec(ReadingsSql(12000));
  const std::string before = Digest(templ, "public.sensor_readings");
  const std::string policy =
      WriteTestFile("conv.yaml", ConvertPolicy("public.sensor_readings", "recorded_at",
                                               "    batchRows: 1000\n    primaryKey: [id, "
                                               "recorded_at]\n"));
  int killed = 0, mid_copy = 0;
  for (int n = 1; n <= 60; n += (n < 8 ? 1 : 3)) {
    const std::string where = "killed at checkpoint " + std::to_string(n);
    ScratchDatabase db("cp" + std::to_string(n), templ.name());
    Background first(ApplyArgs(policy, db.dsn()), {{"PGPART_TEST_PAUSE_AT", std::to_string(n)}});
    if (!first.WaitForStderr("paused at checkpoint " + std::to_string(n), seconds(30))) {
      RunResult r = first.Wait();
      ASSERT_EQ(r.exit_code, 0) << where << "\n" << Describe(r);
      break;
    }
    first.Kill(SIGKILL);
    EXPECT_EQ(first.Wait().exit_code, 128 + SIGKILL);
    ++killed;
    db.WaitForOtherSessions();
    const std::string marker = db.Scalar(
        "SELECT coalesce(obj_description(to_regclass('public.sensor_readings_pgpart_new'), "
        "'pg_class'), '')");
    if (marker.find("next_block") != std::string::npos &&
        marker.find("next_block 0") == std::string::npos &&
        marker.find("copied") == std::string::npos) {
      ++mid_copy;
    }
    // Writes between the crash and the resume are captured too.
    db.Exec("UPDATE public.sensor_readings SET value = value + 0 WHERE id % 1000 = 1");
    RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
    ASSERT_EQ(again.exit_code, 0) << where << "\n" << Describe(again);
    EXPECT_EQ(db.Scalar("SELECT relkind FROM pg_class WHERE oid = "
                        "'public.sensor_readings'::regclass"),
              "p")
        << where;
    EXPECT_EQ(Digest(db, "public.sensor_readings"), before) << where;
    EXPECT_EQ(db.Count("SELECT count(*) FROM (SELECT id FROM public.sensor_readings GROUP BY id "
                       "HAVING count(*) > 1) d"),
              0)
        << where;
    RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
    EXPECT_EQ(plan.exit_code, 0) << where << "\n" << Describe(plan);
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GE(killed, 10);
  EXPECT_GE(mid_copy, 3);
  std::printf("[ info ] killed and resumed at %d checkpoints, %d in the middle of the copy\n",
              killed, mid_copy);
}

// Starts `apply` paused at checkpoint `n` and kills it there (false when the run ended first).
bool KillAt(const std::string& policy, const ScratchDatabase& db, int n) {
  Background run(ApplyArgs(policy, db.dsn()), {{"PGPART_TEST_PAUSE_AT", std::to_string(n)}});
  if (!run.WaitForStderr("paused at checkpoint " + std::to_string(n), seconds(30))) return false;
  run.Kill(SIGKILL);
  run.Wait();
  db.WaitForOtherSessions();
  return true;
}

std::vector<std::string> RollbackArgs(const std::string& table, const std::string& dsn) {
  return {"convert", "rollback", table, "--dsn", dsn, "--auto-approve"};
}

// Objects a conversion leaves while it runs or for a rollback.
int64_t Leftovers(const ScratchDatabase& db) {
  return db.Count(
      "SELECT (SELECT count(*) FROM pg_class WHERE relname LIKE '%pgpart%') + (SELECT count(*) "
      "FROM pg_trigger WHERE tgname LIKE 'pgpart%') + (SELECT count(*) FROM pg_proc WHERE "
      "proname LIKE '%pgpart%')");
}

TEST(Convert, RollbackAfterTheSwapBringsTheOldTableBackWithTheRowsWrittenSince) {
  ScratchDatabase db;
  db.Exec(ReadingsSql(6000));
  const std::string policy =
      WriteTestFile("conv.yaml", ConvertPolicy("public.sensor_readings", "recorded_at",
                                               kReadingsConvert));
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  db.Exec(R"SQL(
INSERT INTO public.sensor_readings (device_id, recorded_at, value, note) VALUES (2, '2026-11-20Z', 7, 'hot');
UPDATE public.sensor_readings SET value = 4242, recorded_at = '2026-10-02Z' WHERE id = 10;
DELETE FROM public.sensor_readings WHERE id IN (11, 12);
)SQL");
  const std::string expected = Digest(db, "public.sensor_readings");
  const int64_t copies = db.Count("SELECT count(*) FROM public.readings_copy");
  const int64_t next_id = db.Count("SELECT max(id) FROM public.sensor_readings") + 1;

  RunResult dry = RunPgpart({"convert", "rollback", "public.sensor_readings", "--dsn", db.dsn(),
                             "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << Describe(dry);
  EXPECT_NE(dry.out.find("with the 4 rows changed since the swap"), std::string::npos)
      << Describe(dry);
  EXPECT_EQ(db.Scalar("SELECT relkind FROM pg_class WHERE oid = 'public.sensor_readings'::regclass"),
            "p");

  RunResult back = RunPgpart(RollbackArgs("public.sensor_readings", db.dsn()));
  ASSERT_EQ(back.exit_code, 0) << Describe(back);
  EXPECT_EQ(db.Scalar("SELECT relkind FROM pg_class WHERE oid = 'public.sensor_readings'::regclass"),
            "r");
  EXPECT_EQ(Digest(db, "public.sensor_readings"), expected);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.readings_copy"), copies)
      << "the dual-write trigger fired again for replayed rows";
  EXPECT_EQ(db.Scalar("SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_index i "
                      "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = "
                      "'public.sensor_readings'::regclass"),
            "sensor_readings_device_idx,sensor_readings_note_idx,sensor_readings_pkey,"
            "sensor_readings_time_idx");
  EXPECT_EQ(db.Scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                      "'sensor_readings_pkey'"),
            "PRIMARY KEY (id)");
  EXPECT_EQ(db.Scalar("SELECT obj_description('public.sensor_readings'::regclass, 'pg_class')"),
            "raw readings");
  EXPECT_EQ(Leftovers(db), 0);
  db.Exec("INSERT INTO public.sensor_readings (device_id, recorded_at, value, note) "
          "VALUES (3, '2026-11-20Z', 1, 'hot')");
  EXPECT_EQ(db.Count("SELECT max(id) FROM public.sensor_readings"), next_id);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.hot_readings WHERE id = " +
                     std::to_string(next_id)),
            1);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.readings_copy"), copies + 1);
  // With spec.convert still in the policy, the next plan converts it again.
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 2) << Describe(plan);
  EXPECT_NE(plan.out.find("convert_prepare"), std::string::npos) << Describe(plan);
}

TEST(Convert, RollbackBeforeTheSwapDropsTheCopyAndLeavesTheTableAsItWas) {
  ScratchDatabase db;
  db.Exec(ReadingsSql(6000));
  const std::string before = Digest(db, "public.sensor_readings");
  const std::string policy =
      WriteTestFile("conv.yaml", ConvertPolicy("public.sensor_readings", "recorded_at",
                                               "    batchRows: 500\n    primaryKey: [id, recorded_at]\n"));
  ASSERT_TRUE(KillAt(policy, db, 6));
  ASSERT_NE(db.Scalar("SELECT to_regclass('public.sensor_readings_pgpart_new')"), "");
  // While converting, TRUNCATE is refused (it would leave the copy with rows the table lost).
  {
    pqxx::connection c(db.dsn());
    pqxx::work tx(c);
    try {
      tx.exec("TRUNCATE public.sensor_readings CASCADE");
      ADD_FAILURE() << "TRUNCATE was allowed during the conversion";
    } catch (const pqxx::sql_error& e) {
      EXPECT_NE(std::string(e.what()).find("is being converted"), std::string::npos) << e.what();
    }
  }
  // The status of the interrupted conversion is in the plan.
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 2) << Describe(plan);
  EXPECT_NE(plan.out.find("(copying)"), std::string::npos) << Describe(plan);
  EXPECT_EQ(plan.out.find("convert_prepare"), std::string::npos) << Describe(plan);

  RunResult back = RunPgpart(RollbackArgs("public.sensor_readings", db.dsn()));
  ASSERT_EQ(back.exit_code, 0) << Describe(back);
  EXPECT_EQ(Leftovers(db), 0);
  EXPECT_EQ(Digest(db, "public.sensor_readings"), before);
  EXPECT_EQ(db.Scalar("SELECT relkind FROM pg_class WHERE oid = 'public.sensor_readings'::regclass"),
            "r");
  RunResult none = RunPgpart(RollbackArgs("public.sensor_readings", db.dsn()));
  EXPECT_EQ(none.exit_code, 1) << Describe(none);
  EXPECT_NE(none.err.find("there is no conversion of public.sensor_readings to roll back"),
            std::string::npos)
      << Describe(none);
}

// A copy that does not match the table (here: a row changed behind the conversion's back, which
// no trigger captured) stops the conversion before the swap, naming the period.
TEST(Convert, ADifferenceBetweenTheCopyAndTheTableStopsTheConversionBeforeTheSwap) {
  ScratchDatabase db;
  db.Exec(ReadingsSql(6000));
  const std::string policy =
      WriteTestFile("conv.yaml", ConvertPolicy("public.sensor_readings", "recorded_at",
                                               "    batchRows: 500\n    primaryKey: [id, recorded_at]\n"));
  ASSERT_TRUE(KillAt(policy, db, 6));
  db.Exec("UPDATE public.sensor_readings_pgpart_new SET value = -1 WHERE id = 3");
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.err.find("the copy differs from public.sensor_readings, so it is not swapped in: "
                       "[2025-09-01 00:00:00+00, 2025-10-01 00:00:00+00): "),
            std::string::npos)
      << Describe(r);
  EXPECT_NE(r.err.find("(same count, different checksum)"), std::string::npos) << Describe(r);
  EXPECT_EQ(db.Scalar("SELECT relkind FROM pg_class WHERE oid = 'public.sensor_readings'::regclass"),
            "r");
}

// Rows older than retention.keep: by default their partitions are made for the copy and the runs
// after the swap retire them by retention (holds apply); expiredRows: skip leaves them in the old
// table.
TEST(Convert, OldRowsAreCopiedThenRetiredByRetentionOrLeftInTheOldTable) {
  ScratchDatabase templ("template");
  templ.Exec(ReadingsSql(6000));
  const std::string retention =
      "  retention: {keep: 12 months}\n"
      "  holds: [{partition: sensor_readings_y2025m09, reason: audit LH-7}]\n";
  {
    ScratchDatabase db("copy", templ.name());
    const std::string policy = WriteTestFile(
        "copy.yaml", ConvertPolicy("public.sensor_readings", "recorded_at", kReadingsConvert,
                                   retention));
    RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
    EXPECT_EQ(plan.exit_code, 2) << Describe(plan);
    EXPECT_NE(plan.out.find("2 of these partitions are past retention.keep (12 months: they end "
                            "before 2025-11-21T12:00:00Z): their rows are copied, and the runs "
                            "after the swap retire them by retention (drop"),
              std::string::npos)
        << Describe(plan);
    RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_EQ(db.Count("SELECT count(*) FROM public.sensor_readings"), 6000);
    RunResult next = RunPgpart(PlanArgs(policy, db.dsn()));
    EXPECT_EQ(next.exit_code, 2) << Describe(next);
    EXPECT_NE(next.out.find("- drop            public.sensor_readings_y2025m10"),
              std::string::npos)
        << Describe(next);
    EXPECT_NE(next.out.find("held: audit LH-7"), std::string::npos) << Describe(next);
    RunResult retire = RunPgpart(ApplyArgs(policy, db.dsn()));
    ASSERT_EQ(retire.exit_code, 0) << Describe(retire);
    EXPECT_EQ(db.Scalar("SELECT to_regclass('public.sensor_readings_y2025m10')"), "");
    EXPECT_NE(db.Scalar("SELECT to_regclass('public.sensor_readings_y2025m09')"), "");
  }
  {
    ScratchDatabase db("skip", templ.name());
    const std::string policy = WriteTestFile(
        "skip.yaml",
        ConvertPolicy("public.sensor_readings", "recorded_at",
                      std::string(kReadingsConvert) + "    expiredRows: skip\n", retention));
    RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
    EXPECT_NE(plan.out.find("rows before 2025-11-01T00:00:00Z are past retention.keep (12 "
                            "months) and are not copied (convert.expiredRows: skip)"),
              std::string::npos)
        << Describe(plan);
    RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_EQ(db.Count("SELECT count(*) FROM public.sensor_readings"),
              db.Count("SELECT count(*) FROM public.sensor_readings_pgpart_old WHERE recorded_at "
                       ">= '2025-11-01Z'"));
    EXPECT_EQ(db.Count("SELECT count(*) FROM public.sensor_readings_pgpart_old"), 6000);
    EXPECT_EQ(db.Scalar("SELECT min(recorded_at) >= '2025-11-01Z' FROM public.sensor_readings"),
              "t");
    RunResult next = RunPgpart(PlanArgs(policy, db.dsn()));
    EXPECT_EQ(next.exit_code, 0) << Describe(next);
  }
}

// convert.oldTable: drop — a later run drops the kept old table, behind the backup gate (checked
// right before the drop with the swap's instant as the bound a backup must be newer than).
TEST(Convert, TheOldTableIsDroppedOnlyWhenAskedAndOnlyBehindTheBackupGate) {
  ScratchDatabase db;
  db.Exec(ReadingsSql(3000) + "CREATE TABLE public.backups (ok boolean); "
                              "INSERT INTO public.backups VALUES (false);");
  const std::string gate =
      "  backupGate: {kind: sql, query: \"select ok and $3 <> '' from public.backups\"}\n";
  const std::string policy = WriteTestFile(
      "drop.yaml", ConvertPolicy("public.sensor_readings", "recorded_at",
                                 std::string(kReadingsConvert) + "    oldTable: drop\n", gate));
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(db.Scalar("SELECT to_regclass('public.sensor_readings_pgpart_old')"), "");
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 2) << Describe(plan);
  EXPECT_NE(plan.out.find("- convert_drop_old public.sensor_readings_pgpart_old"),
            std::string::npos)
      << Describe(plan);
  EXPECT_NE(plan.out.find("hazards: DELETES_DATA"), std::string::npos) << Describe(plan);
  EXPECT_NE(plan.out.find("unchanged since the swap at 20"), std::string::npos) << Describe(plan);
  RunResult blocked = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(blocked.exit_code, 3) << Describe(blocked);
  EXPECT_NE(db.Scalar("SELECT to_regclass('public.sensor_readings_pgpart_old')"), "");
  db.Exec("UPDATE public.backups SET ok = true");
  RunResult dropped = RunPgpart(ApplyArgs(policy, db.dsn()));
  ASSERT_EQ(dropped.exit_code, 0) << Describe(dropped);
  EXPECT_EQ(Leftovers(db), 0);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.sensor_readings"), 3000);
  RunResult done = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(done.exit_code, 0) << Describe(done);
  // No rollback without the old table.
  RunResult back = RunPgpart(RollbackArgs("public.sensor_readings", db.dsn()));
  EXPECT_EQ(back.exit_code, 1) << Describe(back);
}

// The roles a real project has: the table's owner (no superuser) converts it while the
// application's role, which may only read and write the table, keeps writing. The writers need
// no privilege on the change log (the capture runs as its definer), and keep theirs on the
// partitioned table.
TEST(Convert, TheTablesOwnerConvertsWhileTheApplicationsRoleWrites) {
  ScratchDatabase db;
  PasswordRole owner(db, "conv_owner");
  PasswordRole app(db, "conv_app");
  const std::string o = owner.name(), a = app.name();
  db.Exec(ReadingsSql(20000) + "GRANT CREATE ON SCHEMA public TO " + o +
          "; ALTER TABLE public.sensor_readings OWNER TO " + o +
          "; ALTER TABLE public.devices OWNER TO " + o + "; ALTER VIEW public.hot_readings OWNER TO " +
          o + "; GRANT SELECT, INSERT, UPDATE, DELETE ON public.sensor_readings TO " + a +
          "; GRANT USAGE ON SEQUENCE public.sensor_readings_id_seq TO " + a +
          "; GRANT INSERT ON public.readings_copy TO " + a + ";");
  const std::string script = WriteTestFile("app.sql", R"SQL(\set id random(1, 20000)
\set kind random(1, 3)
\if :kind = 1
INSERT INTO public.sensor_readings (device_id, recorded_at, value) VALUES (1 + :id % 50, timestamptz '2026-11-01Z' + random() * interval '19 days', :id);
\elif :kind = 2
UPDATE public.sensor_readings SET note = 'seen' WHERE id = :id;
\else
DELETE FROM public.sensor_readings WHERE id = :id;
\endif
)SQL");
  const std::string out = TestDir() + "/pgbench.out";
  // The password (it has quotes in it) goes through the environment, not the shell.
  setenv("PGPASSWORD", app.password().c_str(), 1);
  const std::string cmd = "/usr/lib/postgresql/15/bin/pgbench '" + app.DsnWithoutPassword() +
                          "' -n -f " + script + " -c 2 -j 2 -T 8 -R 200 > " + out + " 2>&1";
  int pgbench_rc = -1;
  std::thread writers([&] { pgbench_rc = std::system(cmd.c_str()); });
  std::this_thread::sleep_for(seconds(1));
  const std::string policy = WriteTestFile(
      "conv.yaml", ConvertPolicy("public.sensor_readings", "recorded_at",
                                 "    batchRows: 500\n    primaryKey: [id, recorded_at]\n"));
  std::vector<std::string> args = ApplyArgs(policy, owner.Dsn());
  args.push_back("--no-audit");
  RunResult r = RunPgpart(args, {}, seconds(90));
  writers.join();
  unsetenv("PGPASSWORD");
  const std::string pgbench_out = ReadFile(out);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(pgbench_rc, 0) << pgbench_out;
  EXPECT_EQ(pgbench_out.find("ERROR"), std::string::npos) << pgbench_out;
  EXPECT_NE(pgbench_out.find("number of transactions actually processed"), std::string::npos)
      << pgbench_out;
  EXPECT_EQ(db.Scalar("SELECT relkind FROM pg_class WHERE oid = 'public.sensor_readings'::regclass"),
            "p");
  EXPECT_EQ(db.Scalar("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = "
                      "'public.sensor_readings'::regclass"),
            o);
  // Every inserted row went through the dual-write trigger exactly once, before or after the
  // swap; none was lost or doubled by the conversion.
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.sensor_readings WHERE recorded_at >= "
                     "'2026-11-01Z' AND id > 20000"),
            db.Count("SELECT count(*) FROM public.readings_copy WHERE id > 20000 AND id IN "
                     "(SELECT id FROM public.sensor_readings)"));
  // The application's role still writes, now through the partitioned table.
  pqxx::connection c(app.Dsn());
  pqxx::work tx(c);
  tx.exec("INSERT INTO public.sensor_readings (device_id, recorded_at, value) "
          "VALUES (5, '2026-11-20Z', 1)");
  tx.exec("UPDATE public.sensor_readings SET note = 'x' WHERE id = 1");
  tx.commit();
}

}  // namespace
}  // namespace pgpart::apply_e2e
