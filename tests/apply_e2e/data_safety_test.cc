// Data safety (issue 10): rows are moved by column name, never by position; a create + drain does
// not fail while the application writes into the new period; a plan made for a future clock never
// drops early; an interrupted DETACH ... CONCURRENTLY that the server completed is recorded; one
// table's planning error does not stop the others; a long reader costs a table one lock give-up,
// not one per step, and is named.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Policy(const std::string& name, const std::string& table, const std::string& extra) {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: " + name +
         "}\nspec:\n  tables: [" + table + "]\n  interval: 1 month\n" + extra;
}

// ---- 1. rows are moved by column name ----------------------------------------------------------

// The parent orders (unit_id, device_id); the legacy table attached as DEFAULT orders them the
// other way round. Copying by position swapped the two same-typed columns in every drained row.
TEST(DrainByName, ALegacyDefaultWithAnotherColumnOrderKeepsEveryValueInItsColumn) {
  ScratchDatabase db;
  db.Exec(R"SQL(
CREATE TABLE public.sr (unit_id int NOT NULL, device_id int NOT NULL, ts timestamptz NOT NULL,
                        reading numeric) PARTITION BY RANGE (ts);
CREATE TABLE public.sr_y2026m11 PARTITION OF public.sr
  FOR VALUES FROM ('2026-11-01 00:00+00') TO ('2026-12-01 00:00+00');
CREATE TABLE public.sr_legacy (device_id int NOT NULL, reading numeric, ts timestamptz NOT NULL,
                               unit_id int NOT NULL);
INSERT INTO public.sr_legacy SELECT 1000 + g, g * 1.5, timestamptz '2026-12-02Z' + g * interval '1 hour', g
  FROM generate_series(1, 50) g;
ALTER TABLE public.sr ATTACH PARTITION public.sr_legacy DEFAULT;
)SQL");
  const std::string before = db.Scalar(
      "SELECT string_agg(format('%s/%s/%s/%s', unit_id, device_id, ts, reading), '|' "
      "ORDER BY unit_id) FROM public.sr");
  const std::string policy =
      WriteTestFile("sr.yaml", Policy("sr", "public.sr", "  premake: 1\n  defaultPartition: true\n"));
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.sr_y2026m12"), 50);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.sr WHERE device_id <> unit_id + 1000"), 0)
      << "values moved into another column";
  EXPECT_EQ(db.Scalar("SELECT string_agg(format('%s/%s/%s/%s', unit_id, device_id, ts, reading), "
                      "'|' ORDER BY unit_id) FROM public.sr"),
            before);
}

// Dropped columns on both sides, a stored generated column (recomputed, not copied), an identity
// column GENERATED ALWAYS (copied as it was) and a column default.
TEST(DrainByName, DroppedGeneratedAndIdentityColumnsAreMovedIntact) {
  ScratchDatabase db;
  db.Exec(R"SQL(
CREATE TABLE public.gx (junk text, id bigint GENERATED ALWAYS AS IDENTITY, ts timestamptz NOT NULL,
                        a int NOT NULL, b int NOT NULL, doubled int GENERATED ALWAYS AS (a * 2) STORED,
                        note text DEFAULT 'none') PARTITION BY RANGE (ts);
ALTER TABLE public.gx DROP COLUMN junk;
CREATE TABLE public.gx_y2026m11 PARTITION OF public.gx
  FOR VALUES FROM ('2026-11-01 00:00+00') TO ('2026-12-01 00:00+00');
CREATE TABLE public.gx_old (old_junk int, b int NOT NULL, note text, a int NOT NULL,
                            ts timestamptz NOT NULL, id bigint NOT NULL,
                            doubled int GENERATED ALWAYS AS (a * 2) STORED);
ALTER TABLE public.gx_old DROP COLUMN old_junk;
ALTER TABLE public.gx ATTACH PARTITION public.gx_old DEFAULT;
INSERT INTO public.gx (ts, a, b) SELECT timestamptz '2026-12-03Z' + g * interval '1 hour', g, -g
  FROM generate_series(1, 40) g;
INSERT INTO public.gx (ts, a, b, note) VALUES ('2027-01-05Z', 7, -7, 'kept');
)SQL");
  const std::string query =
      "SELECT string_agg(format('%s/%s/%s/%s/%s/%s', id, ts, a, b, doubled, note), '|' "
      "ORDER BY id) FROM public.gx";
  const std::string before = db.Scalar(query);
  const std::string policy =
      WriteTestFile("gx.yaml", Policy("gx", "public.gx", "  premake: 2\n  defaultPartition: true\n"));
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.gx_y2026m12"), 40);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.gx_y2027m01"), 1);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.gx_old"), 0);
  EXPECT_EQ(db.Scalar(query), before);
  // The identity sequence was not consumed by the move: the next insert follows on.
  db.Exec("INSERT INTO public.gx (ts, a, b) VALUES ('2026-12-20Z', 100, -100)");
  EXPECT_EQ(db.Scalar("SELECT id FROM public.gx WHERE a = 100"), "42");
}

// ---- 2. create + drain while the application writes into the new period -----------------------

// Writers (pgbench, 4 clients) insert rows into December 2026, which has no partition yet, while
// `apply` creates it and moves the default partition's December rows into it. Without a lock that
// keeps writers out between the drain and the attach, the attach failed with "updated partition
// constraint for default partition ... would be violated" and writers got "violates partition
// constraint".
TEST(DrainUnderWriters, NeitherTheApplyNorAnyWriterFailsAndNoRowIsLost) {
  ScratchDatabase db;
  db.Exec(R"SQL(
CREATE TABLE public.iot (device int NOT NULL, ts timestamptz NOT NULL, v double precision)
  PARTITION BY RANGE (ts);
CREATE TABLE public.iot_default PARTITION OF public.iot DEFAULT;
CREATE TABLE public.iot_y2026m11 PARTITION OF public.iot
  FOR VALUES FROM ('2026-11-01 00:00+00') TO ('2026-12-01 00:00+00');
INSERT INTO public.iot SELECT g % 100, timestamptz '2026-12-01Z' + (g % 2000000) * interval '1 second', g
  FROM generate_series(1, 300000) g;
)SQL");
  const int64_t before = db.Count("SELECT count(*) FROM public.iot");
  const std::string script = WriteTestFile(
      "insert.sql",
      "INSERT INTO public.iot VALUES (1, timestamptz '2026-12-01Z' + random() * interval "
      "'20 days', 1);\n");
  const std::string log_prefix = TestDir() + "/lat";
  const std::string pgbench = "/usr/lib/postgresql/15/bin/pgbench";
  const std::string cmd = pgbench + " '" + db.dsn() + "' -n -f " + script +
                          " -c 4 -j 2 -T 8 -l --log-prefix=" + log_prefix + " > " + TestDir() +
                          "/pgbench.out 2>&1";
  int pgbench_rc = -1;
  std::thread writers([&] { pgbench_rc = std::system(cmd.c_str()); });
  std::this_thread::sleep_for(seconds(2));
  const std::string policy = WriteTestFile(
      "iot.yaml", Policy("iot", "public.iot", "  premake: 2\n  defaultPartition: true\n"));
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  writers.join();
  const std::string pgbench_out = ReadFile(TestDir() + "/pgbench.out");
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out.find("would be violated"), std::string::npos) << Describe(r);
  EXPECT_EQ(pgbench_rc, 0) << pgbench_out;
  EXPECT_EQ(pgbench_out.find("violates partition constraint"), std::string::npos) << pgbench_out;
  EXPECT_EQ(pgbench_out.find("aborted"), std::string::npos) << pgbench_out;
  // Every row is somewhere, and no December row is left in the default.
  // pgbench names its log files PREFIX.PID[.THREAD]: read them all.
  int64_t inserted = 0;
  double max_latency_ms = 0;
  {
    std::string list = TestDir() + "/lat.list";
    std::system(("ls " + log_prefix + ".* > " + list + " 2>/dev/null").c_str());
    std::ifstream names(list);
    std::string name;
    while (std::getline(names, name)) {
      std::ifstream in(name);
      std::string line;
      while (std::getline(in, line)) {
        long client = 0, tx = 0, latency_us = 0;
        if (std::sscanf(line.c_str(), "%ld %ld %ld", &client, &tx, &latency_us) == 3) {
          ++inserted;
          max_latency_ms = std::max(max_latency_ms, latency_us / 1000.0);
        }
      }
    }
  }
  EXPECT_GT(inserted, 100) << pgbench_out;
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.iot"), before + inserted);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.iot_default WHERE ts >= '2026-12-01Z' "
                     "AND ts < '2027-02-01Z'"),
            0);
  EXPECT_GT(db.Count("SELECT count(*) FROM ONLY public.iot_y2026m12"), 300000 - 1);
  std::printf("[ info ] %lld writer inserts during the apply; longest writer wait %.0f ms\n",
              static_cast<long long>(inserted), max_latency_ms);
}

// ---- 3. a future clock never drops early -----------------------------------------------------

// Monthly partitions around the database's own clock (these tests run on any date): 6 months back
// to 2 ahead, keep 3 months. At the database's clock the two oldest are due; a plan made for two
// months later also lists the next two.
void MakeAroundNow(const ScratchDatabase& db) {
  db.Exec(R"SQL(
CREATE TABLE public.fc (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
DO $$
DECLARE m timestamptz;
BEGIN
  SET LOCAL TimeZone = 'UTC';
  FOR i IN -6..2 LOOP
    m := date_trunc('month', now()) + i * interval '1 month';
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.fc FOR VALUES FROM (%L) TO (%L)',
                   'fc_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'), m, m + interval '1 month');
    EXECUTE format('INSERT INTO public.fc SELECT g, %L::timestamptz + g * interval ''1 minute'' FROM generate_series(1, 10) g', m);
  END LOOP;
END $$;
)SQL");
}

std::string FutureAt(const ScratchDatabase& db) {
  return db.Scalar(
      "SELECT to_char((now() + interval '2 months') AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
}

constexpr const char* kFcRetention = "  premake: 2\n  retention: {keep: 3 months, action: drop}\n";

TEST(FutureClock, ASavedPlanForALaterDateDropsOnlyWhatIsDueByTheDatabaseClock) {
  ScratchDatabase db;
  MakeAroundNow(db);
  const std::string policy = WriteTestFile("fc.yaml", Policy("fc", "public.fc", kFcRetention));
  const std::string plan_file = TestDir() + "/future.json";
  RunResult plan = RunPgpart(
      {"plan", "-f", policy, "--dsn", db.dsn(), "--at", FutureAt(db), "-o", plan_file});
  ASSERT_EQ(plan.exit_code, 0) << Describe(plan);
  const int64_t partitions = db.Count(
      "SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.fc'::regclass");
  ASSERT_EQ(partitions, 9);

  RunResult r = RunPgpart({"apply", "--plan", plan_file, "--dsn", db.dsn(), "--auto-approve"});
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_NE(r.out.find("not due yet by the database clock"), std::string::npos) << Describe(r);
  // Three dropped (due now); the two that are due only at the plan's clock are still there, next
  // to the two partitions premade for the plan's clock.
  EXPECT_EQ(db.Count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.fc'::regclass"),
            partitions - 3 + 2);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.fc"), (partitions - 3) * 10);
  const auto applied = db.History("applied");
  EXPECT_EQ(std::count_if(applied.begin(), applied.end(),
                          [](const std::string& line) { return line.rfind("drop ", 0) == 0; }),
            3)
      << ::testing::PrintToString(applied);
  EXPECT_EQ(db.History("blocked").size(), 2u) << ::testing::PrintToString(db.History("blocked"));
}

TEST(FutureClock, ApplyAtALaterDateDropsOnlyWhatIsDueByTheDatabaseClock) {
  ScratchDatabase db;
  MakeAroundNow(db);
  const std::string policy = WriteTestFile("fc.yaml", Policy("fc", "public.fc", kFcRetention));
  RunResult r = RunPgpart(
      {"apply", "-f", policy, "--dsn", db.dsn(), "--at", FutureAt(db), "--auto-approve"});
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_NE(r.out.find("not due yet by the database clock"), std::string::npos) << Describe(r);
  EXPECT_EQ(db.Count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.fc'::regclass"),
            9 - 3 + 2);  // three dropped, two premade for the later clock
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.fc"), 6 * 10);
}

// ---- 6. an interrupted DETACH ... CONCURRENTLY is recorded -----------------------------------

// apply is killed while its DETACH ... CONCURRENTLY waits for a reader's transaction; the backend
// goes on and completes the detach when the reader finishes. The next run must record the detach.
TEST(InterruptedDetach, TheDetachTheServerCompletedIsRecordedByTheNextRun) {
  ScratchDatabase db;
  db.Exec(R"SQL(
CREATE TABLE public.dt (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
CREATE TABLE public.dt_y2025m01 PARTITION OF public.dt
  FOR VALUES FROM ('2025-01-01 00:00+00') TO ('2025-02-01 00:00+00');
INSERT INTO public.dt SELECT g, timestamptz '2025-01-02Z' + g * interval '1 hour' FROM generate_series(1, 25) g;
)SQL");
  db.Exec(MonthlyPartitions("public", "dt", 2025, 11, 14));  // nothing to create
  const std::string policy = WriteTestFile(
      "dt.yaml", Policy("dt", "public.dt",
                        "  premake: 1\n  retention: {keep: 12 months, action: detach}\n"
                        "  execution: {lockTimeout: 60s}\n"));
  auto reader = std::make_unique<OpenTransaction>(
      db.dsn() + " application_name=reader", "SELECT count(*) FROM public.dt");
  Background apply(ApplyArgs(policy, db.dsn()));
  // Wait until the detach waits for the reader.
  bool waiting = false;
  for (int i = 0; i < 200 && !waiting; ++i) {
    waiting = db.Count("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%DETACH PARTITION%"
                       "CONCURRENTLY%' AND wait_event_type = 'Lock'") > 0;
    if (!waiting) std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(waiting) << apply.Stderr();
  apply.Kill(SIGKILL);
  apply.Wait();
  reader->Close();  // the orphaned backend now completes the detach
  bool detached = false;
  for (int i = 0; i < 100 && !detached; ++i) {
    detached = db.Count("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                        "'public.dt_y2025m01'::regclass") == 0;
    if (!detached) std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(detached) << "the server did not complete the detach";
  db.WaitForOtherSessions();

  RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_NE(again.out.find("recorded an interrupted earlier run"), std::string::npos)
      << Describe(again);
  EXPECT_EQ(db.History("applied"),
            (std::vector<std::string>{"detach public.dt_y2025m01 rows=25"}));
  EXPECT_EQ(db.History("started"), std::vector<std::string>{});
}

// ---- 7. one table's planning error does not stop the others -----------------------------------

TEST(BlastRadius, ATableThatCannotBePlannedDoesNotStopTheOthers) {
  ScratchDatabase db;
  db.Exec(R"SQL(
CREATE TABLE public.ok (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
CREATE TABLE public.plain (id bigint, ts timestamptz NOT NULL);
)SQL");
  const std::string policy = WriteTestFile(
      "two.yaml", Policy("broken", "public.plain", "  premake: 1\n") + "---\n" +
                      Policy("fine", "public.ok", "  premake: 2\n"));
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.out.find("is not partitioned") + r.err.find("is not partitioned"),
            2 * std::string::npos)
      << Describe(r);
  // The healthy table got its partitions: current month and two ahead.
  EXPECT_EQ(db.Count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.ok'::regclass"),
            3);
}

// ---- 8. a long reader costs a table one lock give-up, and is named --------------------------

TEST(LongReader, OneGiveUpBlocksTheTablesOtherLockingStepsAtOnceAndNamesTheReader) {
  ScratchDatabase db;
  db.Exec(R"SQL(
CREATE TABLE public.lr (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
CREATE TABLE public.lr_default PARTITION OF public.lr DEFAULT;
)SQL");
  db.Exec(MonthlyPartitions("public", "lr", 2024, 1, 12));
  db.Exec(MonthlyPartitions("public", "lr", 2025, 11, 14));  // nothing to create
  const std::string policy = WriteTestFile(
      "lr.yaml", Policy("lr", "public.lr",
                        "  premake: 1\n  defaultPartition: true\n"
                        "  retention: {keep: 12 months, action: drop}\n"));
  OpenTransaction reader(db.dsn() + " application_name=long-reader",
                         "SELECT count(*) FROM public.lr");
  const auto started = std::chrono::steady_clock::now();
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()), {}, seconds(120));
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_NE(r.out.find("application_name 'long-reader'"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("idle in transaction"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("could not get its lock"), std::string::npos) << Describe(r);
  // 12 drops: one gives up after its retries (a few seconds); the other 11 are blocked at once.
  EXPECT_LT(elapsed, 20.0) << Describe(r);
  EXPECT_EQ(db.Count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.lr'::regclass"),
            12 + 14 + 1);
  std::printf("[ info ] 12 blocked drops with a long reader took %.1f s\n", elapsed);
}

}  // namespace
}  // namespace pgpart::apply_e2e
