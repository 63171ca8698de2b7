// Crash safety: `pgpart apply` killed with SIGKILL at any checkpoint (PGPART_TEST_PAUSE_AT=N:
// before each step and before each statement group), or with its DETACH ... CONCURRENTLY cut off
// half-way, leaves a database from which the next run converges to what a clean run gives: the
// same tables with the same rows, nothing lost or duplicated, nothing half-attached or orphaned,
// one audit row per step.

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "apply_fixture.h"
#include "scenario_fixture.h"

namespace pgpart::apply_e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<std::string> kPublic{"public"};

// What applying MixedPolicies() must do to MixedSql(), checked against the state before.
void ExpectMixedOutcome(const std::map<std::string, TableState>& before, const ScratchDatabase& db,
                        const std::string& context) {
  SCOPED_TRACE(context);
  const auto after = db.Tables(kPublic);
  const std::set<std::string> dropped{"public.readings_y2026m06", "public.readings_y2026m07",
                                      "public.metrics_y2026m05", "public.metrics_y2026m06",
                                      "public.metrics_y2026m07"};
  for (const auto& [name, was] : before) {
    auto it = after.find(name);
    if (dropped.count(name)) {
      EXPECT_EQ(it, after.end()) << name << " should have been dropped";
      continue;
    }
    ASSERT_NE(it, after.end()) << name << " is gone";
    if (name == "public.readings_default") continue;
    // Kept data: the same rows, row for row.
    EXPECT_EQ(it->second.rows, was.rows) << name;
    EXPECT_EQ(it->second.digest, was.digest) << name;
  }
  // The detached payments partition is a plain table now, outside its parent.
  ASSERT_TRUE(after.count("public.payments_y2026m07"));
  EXPECT_EQ(after.at("public.payments_y2026m07").parent, "");
  EXPECT_GT(after.at("public.payments_y2026m07").rows, 0);
  // Drained rows moved, not copied or lost.
  ASSERT_TRUE(after.count("public.readings_y2027m01"));
  EXPECT_EQ(after.at("public.readings_y2027m01").parent, "public.readings");
  EXPECT_EQ(after.at("public.readings_y2027m01").rows, kMixedDrainedRows);
  EXPECT_EQ(after.at("public.readings_default").rows, kMixedRowsLeftInDefault);
  EXPECT_EQ(before.at("public.readings_default").rows, kMixedDrainedRows + kMixedRowsLeftInDefault);
  for (const char* created :
       {"public.metrics_y2026m12", "public.metrics_y2027m01", "public.payments_y2027m01"}) {
    ASSERT_TRUE(after.count(created)) << created;
    EXPECT_NE(after.at(created).parent, "") << created;
  }
  // No orphans: every table is a parent, a partition, or the detached payments month.
  for (const auto& [name, t] : after) {
    if (t.kind == "p" || !t.parent.empty() || name == "public.payments_y2026m07") continue;
    ADD_FAILURE() << "orphan table " << name << " (comment '" << t.comment << "')";
  }
  EXPECT_EQ(db.Leftovers(), std::vector<std::string>{});
}

TEST(CrashSafety, KilledAtEveryCheckpointTheNextRunConverges) {
  ScratchDatabase templ("template");
  templ.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const auto before = templ.Tables(kPublic);

  std::vector<std::string> reference_tables, reference_history;
  {
    ScratchDatabase clean("clean", templ.name());
    RunResult r = RunPgpart(ApplyArgs(policy, clean.dsn()));
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    ExpectMixedOutcome(before, clean, "clean run");
    reference_tables = clean.TableLines(kPublic);
    reference_history = clean.History();
    // One audit row per step: 5 drops, 1 detach, 4 creates, 1 drain.
    ASSERT_EQ(reference_history.size(), 11u) << ::testing::PrintToString(reference_history);
  }

  int killed_at = 0;
  int killed_marked_before_detach = 0;  // crashed between COMMENT 'pgpart:drop' and the detach
  int killed_detached_before_drop = 0;  // crashed between the detach and the DROP
  for (int n = 1; n <= 200; ++n) {
    const std::string where = "killed at checkpoint " + std::to_string(n);
    ScratchDatabase db("cp" + std::to_string(n), templ.name());
    Background first(ApplyArgs(policy, db.dsn()), {{"PGPART_TEST_PAUSE_AT", std::to_string(n)}});
    if (!first.WaitForStderr("paused at checkpoint " + std::to_string(n), seconds(20))) {
      // Past the last checkpoint: the run completes.
      RunResult r = first.Wait();
      ASSERT_EQ(r.exit_code, 0) << where << "\n" << Describe(r);
      break;
    }
    first.Kill(SIGKILL);
    EXPECT_EQ(first.Wait().exit_code, 128 + SIGKILL);
    ++killed_at;
    db.WaitForOtherSessions();
    const auto crashed = db.TableLines(kPublic);
    for (const auto& [name, t] : db.Tables(kPublic)) {
      if (t.comment.rfind("pgpart:drop ", 0) != 0) continue;
      ++(t.parent.empty() ? killed_detached_before_drop : killed_marked_before_detach);
    }

    RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
    EXPECT_EQ(again.exit_code, 0) << where << "\n" << Describe(again);
    RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
    EXPECT_EQ(plan.exit_code, 0) << where << ": the plan after recovery is not empty\n"
                                 << Describe(plan);
    EXPECT_EQ(db.TableLines(kPublic), reference_tables) << where << "; state after the crash:\n"
                                                        << ::testing::PrintToString(crashed);
    EXPECT_EQ(db.History(), reference_history) << where;
    ExpectMixedOutcome(before, db, where);
    if (::testing::Test::HasFailure()) break;  // one checkpoint's story is enough to read
  }
  // Three tables, eleven steps: far more than ten distinct checkpoints, including each of the
  // three concurrent drops cut between its statements.
  EXPECT_GE(killed_at, 10);
  EXPECT_GE(killed_marked_before_detach, 3);
  EXPECT_GE(killed_detached_before_drop, 3);
  std::printf("[ info ] killed and recovered at %d checkpoints\n", killed_at);
}

// Starts apply paused at checkpoint `n` and kills it there. False when the run ended before
// reaching checkpoint `n` (it must then have succeeded).
bool KillAtCheckpoint(const std::string& policy, const ScratchDatabase& db, int n) {
  Background run(ApplyArgs(policy, db.dsn()), {{"PGPART_TEST_PAUSE_AT", std::to_string(n)}});
  if (!run.WaitForStderr("paused at checkpoint " + std::to_string(n), seconds(20))) {
    RunResult r = run.Wait();
    EXPECT_EQ(r.exit_code, 0) << "ran past checkpoint " << n << "\n" << Describe(r);
    return false;
  }
  run.Kill(SIGKILL);
  EXPECT_EQ(run.Wait().exit_code, 128 + SIGKILL);
  db.WaitForOtherSessions();
  return true;
}

// Killed, then killed again while recovering (at its 1st, 2nd or 3rd checkpoint), then converged.
TEST(CrashSafety, KilledAgainWhileRecoveringTheNextRunStillConverges) {
  ScratchDatabase templ("template");
  templ.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const auto before = templ.Tables(kPublic);
  std::vector<std::string> reference_tables, reference_history;
  {
    ScratchDatabase clean("clean", templ.name());
    RunResult r = RunPgpart(ApplyArgs(policy, clean.dsn()));
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    reference_tables = clean.TableLines(kPublic);
    reference_history = clean.History();
  }
  int twice = 0;
  for (int n = 1; n <= 200; ++n) {
    const int m = n % 3 + 1;
    const std::string where =
        "killed at checkpoint " + std::to_string(n) + ", then at " + std::to_string(m);
    ScratchDatabase db("cp" + std::to_string(n), templ.name());
    if (!KillAtCheckpoint(policy, db, n)) break;
    if (KillAtCheckpoint(policy, db, m)) ++twice;
    RunResult last = RunPgpart(ApplyArgs(policy, db.dsn()));
    EXPECT_EQ(last.exit_code, 0) << where << "\n" << Describe(last);
    EXPECT_EQ(db.TableLines(kPublic), reference_tables) << where;
    EXPECT_EQ(db.History(), reference_history) << where;
    ExpectMixedOutcome(before, db, where);
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GE(twice, 10);
  std::printf("[ info ] killed twice at %d pairs of checkpoints\n", twice);
}

// Waits until `sql` returns a non-empty first value; returns it ("" on timeout).
std::string PollScalar(const ScratchDatabase& db, const std::string& sql, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string v = db.Scalar(sql);
    if (!v.empty()) return v;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return "";
}

constexpr const char* kWaitingDetachPid =
    "SELECT a.pid FROM pg_stat_activity a WHERE a.datname = current_database() AND a.query LIKE "
    "'%DETACH PARTITION%CONCURRENTLY%' AND a.wait_event_type = 'Lock' AND EXISTS (SELECT FROM "
    "pg_inherits WHERE inhdetachpending) LIMIT 1";

// The process dies while DETACH ... CONCURRENTLY waits in its second transaction (kill -9 of
// pgpart, and its backend terminated): the partition is left "detach pending". The next run
// finalizes it and finishes the drop.
TEST(CrashSafety, DetachConcurrentlyCutOffHalfWayIsFinalizedByTheNextRun) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const auto before = db.Tables(kPublic);

  // An open transaction that read public.metrics: the concurrent detach waits for it.
  OpenTransaction reader(db.dsn(), "SELECT count(*) FROM public.metrics");

  auto args = ApplyArgs(policy, db.dsn());
  args.insert(args.end(), {"--lock-timeout", "60s"});
  Background run(args);
  const std::string pid = PollScalar(db, kWaitingDetachPid, seconds(20));
  ASSERT_FALSE(pid.empty()) << "the concurrent detach never waited\n" << run.Stderr();
  run.Kill(SIGKILL);
  run.Wait();
  db.Exec("SELECT pg_terminate_backend(" + pid + ")");
  reader.Close();
  db.WaitForOtherSessions();
  ASSERT_EQ(db.Leftovers(), std::vector<std::string>{"detach pending: metrics_y2026m05"});

  RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
  ExpectMixedOutcome(before, db, "after the interrupted detach");
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE outcome = 'applied' AND action = "
                     "'drop' AND partition = 'public.metrics_y2026m05'"),
            1);
}

// DETACH ... CONCURRENTLY runs out of lock_timeout in its second transaction (a long reader):
// the retry completes it with FINALIZE or gives up (blocked, exit 3); either way the next run,
// once the reader is gone, converges.
TEST(CrashSafety, DetachConcurrentlyTimingOutIsCompletedLater) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const auto before = db.Tables(kPublic);

  OpenTransaction reader(db.dsn(), "SELECT count(*) FROM public.metrics");

  auto args = ApplyArgs(policy, db.dsn());
  args.insert(args.end(), {"--lock-timeout", "300ms", "--retries", "1"});
  RunResult blocked = RunPgpart(args, {}, seconds(60));
  EXPECT_EQ(blocked.exit_code, 3) << "a detach that cannot get its locks is blocked, not an error\n"
                                  << Describe(blocked);
  EXPECT_NE(blocked.out.find("blocked"), std::string::npos) << Describe(blocked);
  // The other tables were applied.
  EXPECT_FALSE(db.Scalar("SELECT to_regclass('public.payments_y2027m01')").empty());
  EXPECT_FALSE(db.Scalar("SELECT to_regclass('public.readings_y2027m01')").empty());
  reader.Close();
  db.WaitForOtherSessions();

  RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
  ExpectMixedOutcome(before, db, "after the timed-out detach");
}

// Archive = DETACH CONCURRENTLY, then CREATE SCHEMA + SET SCHEMA: a crash between the two must not
// leave the detached partition behind in the parent's schema, outside every policy.
TEST(CrashSafety, ArchiveKilledAtEveryCheckpointConverges) {
  ScratchDatabase templ("template");
  templ.Exec(
      "CREATE TABLE public.orders (id bigint NOT NULL, ts timestamptz NOT NULL, v int) "
      "PARTITION BY RANGE (ts);\n" +
      MonthlyPartitions("public", "orders", 2026, 7, 6) +
      "INSERT INTO public.orders SELECT g, t, 1 FROM generate_series(timestamptz "
      "'2026-07-01Z', '2026-11-21Z', interval '9 hours') WITH ORDINALITY x(t, g);");
  const std::string policy = WriteTestFile("orders.yaml", R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: orders}
spec:
  tables: [public.orders]
  interval: 1 month
  premake: 1
  retention: {keep: 3 months, action: archive, archiveSchema: cold}
)");
  const int64_t july_rows = templ.Count("SELECT count(*) FROM ONLY public.orders_y2026m07");
  ASSERT_GT(july_rows, 0);
  const std::vector<std::string> schemas{"public", "cold"};
  std::vector<std::string> reference;
  {
    ScratchDatabase clean("clean", templ.name());
    RunResult r = RunPgpart(ApplyArgs(policy, clean.dsn()));
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_EQ(clean.Count("SELECT count(*) FROM ONLY cold.orders_y2026m07"), july_rows);
    reference = clean.TableLines(schemas);
  }
  int killed_at = 0;
  for (int n = 1; n <= 50; ++n) {
    const std::string where = "killed at checkpoint " + std::to_string(n);
    ScratchDatabase db("cp" + std::to_string(n), templ.name());
    Background first(ApplyArgs(policy, db.dsn()), {{"PGPART_TEST_PAUSE_AT", std::to_string(n)}});
    if (!first.WaitForStderr("paused at checkpoint", seconds(20))) {
      ASSERT_EQ(first.Wait().exit_code, 0) << where;
      break;
    }
    first.Kill(SIGKILL);
    first.Wait();
    ++killed_at;
    db.WaitForOtherSessions();
    RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
    EXPECT_EQ(again.exit_code, 0) << where << "\n" << Describe(again);
    EXPECT_EQ(db.TableLines(schemas), reference)
        << where << ": the archived partition must end up in schema cold\n"
        << again.out;
  }
  EXPECT_GE(killed_at, 3);
}

// A crash between the detach and the DROP of a gated drop: the recovery drop of the marked table
// is gated too, and a gate that judges the partition's upper bound (as backups do: "a backup
// finished after it") must still be able to pass — the partition's bounds must not be lost with
// the detach.
TEST(CrashSafety, GatedDropInterruptedAfterTheDetachIsFinishedByTheNextRun) {
  ScratchDatabase db;
  db.Exec(
      "CREATE TABLE public.ledger (id bigint NOT NULL, ts timestamptz NOT NULL, v int) PARTITION "
      "BY RANGE (ts);\n" +
      MonthlyPartitions("public", "ledger", 2026, 7, 5) +
      "INSERT INTO public.ledger SELECT g, timestamptz '2026-07-01Z' + g * interval '1 day', g "
      "FROM generate_series(0, 140) g;");
  const std::string policy = WriteTestFile("ledger.yaml", R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: ledger}
spec:
  tables: [public.ledger]
  interval: 1 month
  premake: 1
  retention: {keep: 3 months, action: drop}
  backupGate:
    kind: sql
    query: "select $3::timestamptz <= timestamptz '2026-11-21 00:00Z'"
)");
  // Checkpoints of the drop: 1 step, 2 gate, 3 mark, 4 DETACH CONCURRENTLY, 5 DROP.
  Background first(ApplyArgs(policy, db.dsn()), {{"PGPART_TEST_PAUSE_AT", "5"}});
  ASSERT_TRUE(first.WaitForStderr("paused at checkpoint 5", seconds(20))) << first.Stderr();
  first.Kill(SIGKILL);
  first.Wait();
  db.WaitForOtherSessions();
  // The marker carries the bounds (for the gate) and the table's own oid (so that only it is
  // dropped by it).
  const std::string oid = db.Scalar("SELECT 'public.ledger_y2026m07'::regclass::oid::text");
  ASSERT_EQ(db.Leftovers(),
            std::vector<std::string>{"marked for drop: ledger_y2026m07 pgpart:drop public.ledger "
                                     "[2026-07-01T00:00:00Z, 2026-08-01T00:00:00Z) oid " +
                                     oid});

  RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_EQ(db.Scalar("SELECT to_regclass('public.ledger_y2026m07')::text"), "");
  EXPECT_EQ(db.Leftovers(), std::vector<std::string>{});
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
}

}  // namespace
}  // namespace pgpart::apply_e2e
