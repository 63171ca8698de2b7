// Concurrency: two `pgpart apply` processes on one database (each table's steps run under a
// session advisory lock; the one that finds it taken skips that table and says so), and other
// sessions holding locks on a parent (lock_timeout + retries, then blocked — never stuck).

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "apply/audit.h"
#include "apply_fixture.h"
#include "scenario_fixture.h"

namespace pgpart::apply_e2e {
namespace {

using std::chrono::seconds;

const std::vector<std::string> kPublic{"public"};
constexpr const char* kSkipped = "another pgpart apply holds its lock";

struct Reference {
  std::vector<std::string> tables;
  std::vector<std::string> history;
};

// A template database with MixedSql() and what a clean apply makes of it.
Reference CleanRun(const ScratchDatabase& templ, const std::string& policy) {
  ScratchDatabase clean("clean", templ.name());
  RunResult r = RunPgpart(ApplyArgs(policy, clean.dsn()));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  return {clean.TableLines(kPublic), clean.History()};
}

TEST(TwoApplies, StartedTogetherBothFinishAndNoStepIsDoneTwice) {
  ScratchDatabase templ("template");
  templ.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const Reference reference = CleanRun(templ, policy);
  ASSERT_EQ(reference.history.size(), 11u);

  int skipped = 0;
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ScratchDatabase db("round" + std::to_string(round), templ.name());
    Background a(ApplyArgs(policy, db.dsn()));
    Background b(ApplyArgs(policy, db.dsn()));
    for (Background* p : {&a, &b}) {
      RunResult r = p->Wait(seconds(60));
      EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << Describe(r);
      if (r.exit_code == 3) {
        // Blocked only because the other process had the lock, and it says so.
        EXPECT_NE(r.out.find(kSkipped), std::string::npos) << Describe(r);
        EXPECT_NE(r.out.find(", 0 failed."), std::string::npos) << Describe(r);
        ++skipped;
      }
    }
    db.WaitForOtherSessions();
    EXPECT_EQ(db.TableLines(kPublic), reference.tables);
    EXPECT_EQ(db.History(), reference.history) << "a step was applied twice, or lost";
    RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
    EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
  }
  std::printf("[ info ] %d of 8 processes found a table locked by the other\n", skipped);
}

// An apply locks its tables a batch at a time (up to 32, released one by one as each is done, and
// all not started yet once the batch is 5 s old): a second apply skips each table the first holds,
// says so for each of its steps, and applies every other table.
TEST(TwoApplies, TheOneThatFindsTheLocksSkipsThoseTablesAndSaysSo) {
  ScratchDatabase templ("template");
  templ.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const Reference reference = CleanRun(templ, policy);

  ScratchDatabase db("db", templ.name());
  RunResult json =
      RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", kAt, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << Describe(json);
  const auto plan = nlohmann::json::parse(json.out);
  const std::string first_table = plan.at("steps").at(0).at("table");

  // The first process stops before its first step, holding its batch's locks.
  Background holder(ApplyArgs(policy, db.dsn()), {{"PGPART_TEST_PAUSE_AT", "1"}});
  ASSERT_TRUE(holder.WaitForStderr("paused at checkpoint 1", seconds(20))) << holder.Stderr();
  // (pg_locks is the whole cluster's: other tests run appliers in other databases meanwhile.)
  const int64_t held = db.Count(
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = " +
      std::to_string(kApplyLockSpace) +
      " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");

  RunResult second = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(second.exit_code, 3) << Describe(second);
  EXPECT_NE(second.out.find("skipped " + first_table + ": " + kSkipped), std::string::npos)
      << Describe(second);
  std::set<std::string> skipped_tables;
  size_t skipped_steps = 0;
  for (const auto& s : plan.at("steps")) {
    const std::string table = s.at("table");
    if (second.out.find("skipped " + table + ": " + kSkipped) == std::string::npos) continue;
    skipped_tables.insert(table);
    ++skipped_steps;
    EXPECT_NE(second.out.find("skipped_locked: " + s.at("action").get<std::string>() + " " +
                              s.at("partition").get<std::string>()),
              std::string::npos)
        << s.dump() << "\n"
        << second.out;
    EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE action <> 'apply' AND "
                       "table_name = " +
                       Literal(table)),
              0)
        << table;
  }
  // The tables skipped are exactly those whose locks the first holds; the rest were applied.
  EXPECT_EQ(static_cast<int64_t>(skipped_tables.size()), held);
  EXPECT_EQ(db.History().size(), reference.history.size() - skipped_steps);

  holder.Kill(SIGKILL);
  holder.Wait();
  db.WaitForOtherSessions();
  RunResult third = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(third.exit_code, 0) << Describe(third);
  EXPECT_EQ(db.TableLines(kPublic), reference.tables);
  EXPECT_EQ(db.History(), reference.history);
}

// Another session holds `lock_sql` on public.payments while apply runs with a short lock_timeout
// and one retry: payments' steps are blocked (exit 3) within seconds, the other tables applied;
// once the lock is gone the next run converges.
// `seen_when_read`: an ACCESS EXCLUSIVE lock is seen when the catalog is read (the table is
// planned as blocked, nothing of it runs, nothing waits); weaker locks surface as lock timeouts
// of the statements themselves, which are retried and then recorded as blocked.
void LockedParentBlocksOnlyThatTable(const std::string& lock_sql, bool seen_when_read) {
  ScratchDatabase templ("template");
  templ.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const Reference reference = CleanRun(templ, policy);
  ScratchDatabase db("db", templ.name());

  OpenTransaction locker(db.dsn(), lock_sql);
  auto args = ApplyArgs(policy, db.dsn());
  args.insert(args.end(), {"--lock-timeout", "100ms", "--retries", "1"});
  const auto started = std::chrono::steady_clock::now();
  Background run(args);
  std::string waiting;
  if (!run.Exited(seconds(8))) {
    for (const auto& row : db.Query(
             "SELECT wait_event_type || ': ' || left(regexp_replace(query, '\\s+', ' ', 'g'), "
             "160) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
             "AND pid <> pg_backend_pid()")) {
      waiting += "  " + row[0] + "\n";
    }
  }
  RunResult r = run.Wait(std::chrono::milliseconds(0));
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_FALSE(r.timed_out) << "apply still waited for the lock after 8 s (lock_timeout 100ms); "
                               "its session was waiting in:\n"
                            << waiting << Describe(r);
  EXPECT_LT(took, 8.5);
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_NE(r.out.find("blocked: detach public.payments_y2026m07"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("blocked: create public.payments_y2027m01"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(seen_when_read ? "holds an ACCESS EXCLUSIVE lock on public.payments"
                                      : "lock timeout"),
            std::string::npos)
      << r.out;
  // The other tables went ahead.
  EXPECT_FALSE(db.Scalar("SELECT to_regclass('public.metrics_y2027m01')::text").empty());
  EXPECT_FALSE(db.Scalar("SELECT to_regclass('public.readings_y2027m01')::text").empty());
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE outcome = 'applied' AND "
                     "table_name = 'public.payments'"),
            0);
  if (!seen_when_read) {
    EXPECT_GE(db.Count("SELECT count(*) FROM pgpart.history WHERE outcome = 'blocked' AND "
                       "table_name = 'public.payments' AND error LIKE '%lock timeout%'"),
              1);
  }

  locker.Close();
  db.WaitForOtherSessions();
  RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_EQ(db.TableLines(kPublic), reference.tables);
  EXPECT_EQ(db.Leftovers(), std::vector<std::string>{});
}

// e.g. a VACUUM, CREATE INDEX CONCURRENTLY or another DDL on the parent.
TEST(LockTimeout, ShareUpdateExclusiveLockOnOneParentBlocksOnlyThatTable) {
  LockedParentBlocksOnlyThatTable("LOCK TABLE public.payments IN SHARE UPDATE EXCLUSIVE MODE",
                                  /*seen_when_read=*/false);
}

// e.g. a long ALTER TABLE: even reading the parent's catalog entries waits for it.
TEST(LockTimeout, AccessExclusiveLockOnOneParentBlocksOnlyThatTable) {
  LockedParentBlocksOnlyThatTable("LOCK TABLE public.payments IN ACCESS EXCLUSIVE MODE",
                                  /*seen_when_read=*/true);
}

// A partition due to be dropped is locked by another session (a long report reading it with
// LOCK ... ACCESS EXCLUSIVE, or a pg_dump of it): counting its rows before the drop must obey
// lock_timeout too; that drop is blocked, the rest of the run goes on.
TEST(LockTimeout, LockedPartitionToDropIsBlockedNotWaitedFor) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  OpenTransaction locker(db.dsn(), "LOCK TABLE public.metrics_y2026m05 IN ACCESS EXCLUSIVE MODE");
  auto args = ApplyArgs(policy, db.dsn());
  args.insert(args.end(), {"--lock-timeout", "100ms", "--retries", "1"});
  Background run(args);
  std::string waiting;
  if (!run.Exited(seconds(8))) {
    waiting = db.Scalar(
        "SELECT string_agg(wait_event_type || ': ' || query, E'\\n') FROM pg_stat_activity "
        "WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()");
  }
  RunResult r = run.Wait(std::chrono::milliseconds(0));
  EXPECT_FALSE(r.timed_out) << "apply still waited for the lock after 8 s (lock_timeout 100ms) "
                               "in:\n"
                            << waiting << "\n"
                            << Describe(r);
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_NE(r.out.find("blocked: drop public.metrics_y2026m05"), std::string::npos) << r.out;
  EXPECT_FALSE(db.Scalar("SELECT to_regclass('public.metrics_y2026m05')::text").empty());
  EXPECT_TRUE(db.Scalar("SELECT to_regclass('public.metrics_y2026m06')::text").empty());
  EXPECT_FALSE(db.Scalar("SELECT to_regclass('public.metrics_y2027m01')::text").empty());
  EXPECT_FALSE(db.Scalar("SELECT to_regclass('public.readings_y2027m01')::text").empty());
}

// The batch's one read serves its tables while it is at most 5 s old. Here the first table's
// create waits 6 s for a lock (then is blocked); meanwhile someone makes the second table's
// December partition by hand. The second table is read again before its steps: its create of
// December is no longer needed (not "already exists", failed), January is made.
TEST(Batch, ATableChangedWhileAnEarlierTableWaitedIsReadAgainBeforeItsSteps) {
  ScratchDatabase db;
  db.Exec("CREATE TABLE public.slowa (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);\n"
          "CREATE TABLE public.slowb (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);\n" +
          MonthlyPartitions("public", "slowa", 2026, 9, 3) +
          MonthlyPartitions("public", "slowb", 2026, 9, 3));
  const std::string policy = WriteTestFile("slow.yaml", R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: slow}
spec:
  tables: [public.slowa, public.slowb]
  interval: 1 month
  premake: 2
)");
  // CREATE TABLE ... PARTITION OF needs ACCESS EXCLUSIVE on the parent: it waits for this.
  OpenTransaction locker(db.dsn(), "LOCK TABLE public.slowa IN SHARE UPDATE EXCLUSIVE MODE");
  auto args = ApplyArgs(policy, db.dsn());
  args.insert(args.end(), {"--lock-timeout", "6s", "--retries", "0"});
  Background run(args);
  std::this_thread::sleep_for(seconds(2));
  db.Exec("CREATE TABLE public.slowb_y2026m12 PARTITION OF public.slowb FOR VALUES FROM "
          "('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')");
  RunResult r = run.Wait(seconds(60));
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_NE(r.out.find("blocked: create public.slowa_y2026m12"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("already_done: create public.slowb_y2026m12"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", 0 failed."), std::string::npos) << r.out;
  EXPECT_FALSE(db.Scalar("SELECT to_regclass('public.slowb_y2027m01')::text").empty());
}

}  // namespace
}  // namespace pgpart::apply_e2e
