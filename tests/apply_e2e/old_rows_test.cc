// Issue 13, old rows: the default partition's rows of periods past retention are retired (a
// partition of their period is created, filled from the default and retired at once, in one
// transaction, behind holds and backup gates), and `start` older than retention.keep is no longer
// silently clamped (lint warns; the plan says what happens; rows copied in are retired).

#include <gtest/gtest.h>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {
namespace {

// public.ev (id, ts, v) with a default partition, monthly partitions 2026-09 .. 2026-11 (5 rows
// each) and in the default: 10 rows of 2026-03 and 5 of 2026-04 (past retention at kAt with keep
// 6 months: now - keep = 2026-05-21), 2 of 2026-06 (not past it: they stay) and 3 of 2026-12
// (premade: drained). Not analyzed: counts come from the rows.
constexpr const char* kEvSql = R"SQL(
CREATE TABLE public.ev (id bigint NOT NULL, ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);
CREATE TABLE public.ev_default PARTITION OF public.ev DEFAULT;
CREATE TABLE public.ev_y2026m09 PARTITION OF public.ev
  FOR VALUES FROM ('2026-09-01 00:00+00') TO ('2026-10-01 00:00+00');
CREATE TABLE public.ev_y2026m10 PARTITION OF public.ev
  FOR VALUES FROM ('2026-10-01 00:00+00') TO ('2026-11-01 00:00+00');
CREATE TABLE public.ev_y2026m11 PARTITION OF public.ev
  FOR VALUES FROM ('2026-11-01 00:00+00') TO ('2026-12-01 00:00+00');
INSERT INTO public.ev SELECT m * 100 + g, timestamptz '2026-09-01Z' + (m || ' months')::interval
  + g * interval '1 day', g FROM generate_series(0, 2) m, generate_series(1, 5) g;
INSERT INTO public.ev SELECT 1000 + g, timestamptz '2026-03-01Z' + g * interval '2 days', g
  FROM generate_series(1, 10) g;
INSERT INTO public.ev SELECT 2000 + g, timestamptz '2026-04-01Z' + g * interval '3 days', g
  FROM generate_series(1, 5) g;
INSERT INTO public.ev VALUES (3001, '2026-06-10 10:00Z', 1), (3002, '2026-06-11 10:00Z', 2);
INSERT INTO public.ev SELECT 4000 + g, timestamptz '2026-12-05Z' + g * interval '1 day', g
  FROM generate_series(1, 3) g;
)SQL";

std::string EvPolicy(const std::string& retention, const std::string& extra = "") {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ev}\nspec:\n"
         "  tables: [public.ev]\n  interval: 1 month\n  premake: 1\n  defaultPartition: true\n"
         "  retention: " +
         retention + "\n" + extra;
}

int64_t Rows(const ScratchDatabase& db, const std::string& where) {
  return db.Count("SELECT count(*) FROM public.ev WHERE " + where);
}

bool Exists(const ScratchDatabase& db, const std::string& table) {
  return !db.Scalar("SELECT to_regclass(" + Literal(table) + ")::text").empty();
}

constexpr const char* kMarch = "ts >= '2026-03-01Z' AND ts < '2026-04-01Z'";
constexpr const char* kApril = "ts >= '2026-04-01Z' AND ts < '2026-05-01Z'";

TEST(OldRows, DefaultRowsPastRetentionAreRetiredAndThePlanIsWhatApplyDoes) {
  ScratchDatabase db;
  db.Exec(kEvSql);
  const std::string policy = WriteTestFile("ev.yaml", EvPolicy("{keep: 6 months}"));
  const int64_t total = db.Count("SELECT count(*) FROM public.ev");

  // The plan shows create, drain and drop of each expired period, as one transaction in SQL.
  RunResult text = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(text.exit_code, 2) << Describe(text);
  for (const char* line :
       {"+ create          public.ev_y2026m03  [2026-03-01T00:00:00Z, 2026-04-01T00:00:00Z)  "
        "retention",
        "~ drain_default   public.ev_y2026m03  [2026-03-01T00:00:00Z, 2026-04-01T00:00:00Z)  "
        "retention, 10 rows",
        "- drop            public.ev_y2026m03  [2026-03-01T00:00:00Z, 2026-04-01T00:00:00Z)  "
        "retention, ~10 rows",
        "hazards: DELETES_DATA ACQUIRES_ACCESS_EXCLUSIVE_LOCK BACKUP_UNVERIFIED",
        "drift: the default partition holds ~15 rows of 2 periods past retention (keep 6 "
        "months)"}) {
    EXPECT_NE(text.out.find(line), std::string::npos) << line << "\n" << text.out;
  }
  RunResult sql = RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", kAt, "--format",
                             "sql"});
  ASSERT_EQ(sql.exit_code, 0) << Describe(sql);
  const size_t create = sql.out.find("CREATE TABLE public.ev_y2026m03");
  const size_t drain = sql.out.find("WITH moved AS (DELETE FROM ONLY public.ev_default WHERE ts "
                                    ">= '2026-03-01 00:00:00+00'");
  const size_t attach = sql.out.find("ATTACH PARTITION public.ev_y2026m03");
  const size_t drop = sql.out.find("DROP TABLE public.ev_y2026m03;");
  ASSERT_NE(create, std::string::npos) << sql.out;
  ASSERT_NE(drop, std::string::npos) << sql.out;
  EXPECT_TRUE(create < drain && drain < attach && attach < drop) << sql.out;
  const std::string unit = sql.out.substr(create, drop - create);
  EXPECT_EQ(unit.find("COMMIT"), std::string::npos) << "one transaction:\n" << unit;
  RunResult markdown = RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", kAt,
                                  "--format", "markdown"});
  EXPECT_NE(markdown.out.find("| `-` drop | public.ev\\_y2026m03 |"), std::string::npos)
      << markdown.out;
  RunResult json = RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", kAt, "--format",
                              "json"});
  EXPECT_NE(json.out.find("\"action\": \"drain_default\""), std::string::npos) << json.out;

  // Reviewed, saved, applied: exactly that.
  const std::string plan_file = TestDir() + "/plan.json";
  RunResult saved =
      RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", kAt, "-o", plan_file});
  ASSERT_EQ(saved.exit_code, 0) << Describe(saved);
  RunResult r = RunPgpart({"apply", "--plan", plan_file, "--dsn", db.dsn(), "--auto-approve"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("- dropped public.ev_y2026m03 (10 rows)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("- dropped public.ev_y2026m04 (5 rows)"), std::string::npos) << r.out;
  EXPECT_EQ(Rows(db, kMarch), 0);
  EXPECT_EQ(Rows(db, kApril), 0);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.ev_default"), 2);  // June stays
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.ev_y2026m12"), 3);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev"), total - 15);
  EXPECT_FALSE(Exists(db, "public.ev_y2026m03"));
  EXPECT_EQ(db.History(), (std::vector<std::string>{
                              "create public.ev_y2026m03 rows=-",
                              "drain_default public.ev_y2026m03 rows=10",
                              "drop public.ev_y2026m03 rows=10",
                              "create public.ev_y2026m04 rows=-",
                              "drain_default public.ev_y2026m04 rows=5",
                              "drop public.ev_y2026m04 rows=5",
                              "create public.ev_y2026m12 rows=-",
                              "drain_default public.ev_y2026m12 rows=3",
                          }));
  // Idempotent: nothing more to do.
  RunResult again = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
}

TEST(OldRows, DetachAndArchiveLeaveMarkedTablesThatDropDetachedAfterRecognises) {
  for (const std::string action : {"detach", "archive, archiveSchema: old"}) {
    SCOPED_TRACE(action);
    ScratchDatabase db(action == "detach" ? "d" : "a");
    db.Exec(kEvSql);
    const std::string policy = WriteTestFile(
        "ev.yaml",
        EvPolicy("{keep: 6 months, action: " + action + ", dropDetachedAfter: 12 months}"));
    const std::string march_digest = db.Scalar(
        "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM public.ev t WHERE " +
        std::string(kMarch));
    RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    const std::string schema = action == "detach" ? "public" : "old";
    const std::string leftover = schema + ".ev_y2026m03";
    ASSERT_TRUE(Exists(db, leftover)) << Describe(r);
    // A plain table holding exactly the rows, marked with its own oid.
    EXPECT_EQ(db.Scalar("SELECT relispartition::text FROM pg_class WHERE oid = " +
                        Literal(leftover) + "::regclass"),
              "false");
    EXPECT_EQ(db.Scalar("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM " + leftover +
                        " t"),
              march_digest);
    EXPECT_EQ(db.Scalar("SELECT obj_description(" + Literal(leftover) + "::regclass)"),
              "pgpart:detached public.ev [2026-03-01T00:00:00Z, 2026-04-01T00:00:00Z) oid " +
                  db.Scalar("SELECT " + Literal(leftover) + "::regclass::oid::text"));
    EXPECT_EQ(Rows(db, kMarch), 0);
    RunResult again = RunPgpart(PlanArgs(policy, db.dsn()));
    EXPECT_EQ(again.exit_code, 0) << Describe(again);
    // A year on, dropDetachedAfter drops them: they are the tables pgpart marked.
    RunResult later = RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at",
                                 "2027-11-21T12:00:00Z"});
    EXPECT_NE(later.out.find("- drop            " + leftover), std::string::npos) << later.out;
    EXPECT_EQ(later.out.find("not dropped"), std::string::npos) << later.out;
  }
}

TEST(OldRows, AHoldOrAFailingGateLeavesTheRowsWhereTheyAre) {
  ScratchDatabase db;
  db.Exec(kEvSql);
  const int64_t total = db.Count("SELECT count(*) FROM public.ev");
  const std::string held = WriteTestFile(
      "held.yaml",
      EvPolicy("{keep: 6 months}", "  holds:\n    - {from: 2026-03-01, to: 2026-04-01, reason: "
                                   "\"Legal hold LH-3\"}\n"));
  RunResult plan = RunPgpart(PlanArgs(held, db.dsn()));
  EXPECT_NE(plan.out.find("held: Legal hold LH-3"), std::string::npos) << plan.out;
  RunResult r = RunPgpart(ApplyArgs(held, db.dsn()));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Rows(db, kMarch), 10);  // held: still in the default
  EXPECT_EQ(db.Count(std::string("SELECT count(*) FROM ONLY public.ev_default WHERE ") + kMarch),
            10);
  EXPECT_FALSE(Exists(db, "public.ev_y2026m03"));
  EXPECT_EQ(Rows(db, kApril), 0);  // not held: retired
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev"), total - 5);
  RunResult held_again = RunPgpart(PlanArgs(held, db.dsn()));
  EXPECT_EQ(held_again.exit_code, 0) << "held steps alone are no change\n" << Describe(held_again);

  // A failing gate: nothing of the unit runs (no partition made, no row moved), recorded.
  const std::string gated = WriteTestFile(
      "gated.yaml", EvPolicy("{keep: 6 months}", "  backupGate: {kind: sql, query: \"select $1 "
                                                 "<> 'ev_y2026m03'\"}\n"));
  RunResult blocked = RunPgpart(ApplyArgs(gated, db.dsn()));
  EXPECT_EQ(blocked.exit_code, 3) << Describe(blocked);
  EXPECT_NE(blocked.out.find("blocked: drop public.ev_y2026m03: backup gate"), std::string::npos)
      << blocked.out;
  EXPECT_NE(blocked.out.find("blocked: create public.ev_y2026m03: backup gate"), std::string::npos)
      << blocked.out;
  EXPECT_EQ(db.Count(std::string("SELECT count(*) FROM ONLY public.ev_default WHERE ") + kMarch),
            10);
  EXPECT_FALSE(Exists(db, "public.ev_y2026m03"));
  EXPECT_TRUE(db.Leftovers().empty());
  EXPECT_EQ(db.History("blocked"),
            (std::vector<std::string>{"drop public.ev_y2026m03 rows=-"}));
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev"), total - 5);

  // A passing gate lets it through.
  const std::string passing = WriteTestFile(
      "passing.yaml", EvPolicy("{keep: 6 months}", "  backupGate: {kind: sql, query: \"select "
                                                   "$3::timestamptz <= now()\"}\n"));
  RunResult through = RunPgpart(ApplyArgs(passing, db.dsn()));
  EXPECT_EQ(through.exit_code, 0) << Describe(through);
  EXPECT_EQ(Rows(db, kMarch), 0);
  EXPECT_EQ(db.Scalar("SELECT evidence FROM pgpart.history WHERE action = 'drop' AND partition = "
                      "'public.ev_y2026m03' AND outcome = 'applied'")
                .rfind("backup gate passed", 0),
            0u);
}

// A writer holding its transaction open: the unit's lock on the parent is not granted, and the
// whole unit rolls back (the partition it created included); the next run does it.
TEST(OldRows, ALockTimeoutRollsTheWholeUnitBack) {
  ScratchDatabase db;
  db.Exec(kEvSql);
  const std::string policy = WriteTestFile(
      "ev.yaml", EvPolicy("{keep: 6 months}", "  execution: {lockTimeout: 100ms, retries: 1}\n"));
  {
    OpenTransaction writer(db.dsn(), "INSERT INTO public.ev VALUES (9001, '2026-11-20Z', 1)");
    RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
    EXPECT_EQ(r.exit_code, 3) << Describe(r);
    EXPECT_NE(r.out.find("blocked: drop public.ev_y2026m03"), std::string::npos) << r.out;
    EXPECT_FALSE(Exists(db, "public.ev_y2026m03"));
    EXPECT_EQ(db.Count(std::string("SELECT count(*) FROM ONLY public.ev_default WHERE ") + kMarch),
              10);
  }
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Rows(db, kMarch), 0);
}

// `start` older than retention.keep: lint warns with both values and what happens; the plan says
// the same; rows copied into the default for those periods are retired (before, they stayed
// there for good); without a default partition the plan says that PostgreSQL refuses them.
TEST(OldRows, StartOlderThanKeepIsNotSilentlyClamped) {
  ScratchDatabase db;
  db.Exec(R"SQL(
CREATE TABLE public.ev (id bigint NOT NULL, ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);
)SQL");
  const std::string policy_text =
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ev}\nspec:\n"
      "  tables: [public.ev]\n  interval: 1 month\n  premake: 1\n  start: 2026-01-01\n"
      "  defaultPartition: true\n  retention: {keep: 6 months}\n";
  const std::string policy = WriteTestFile("ev.yaml", policy_text);
  RunResult lint = RunPgpart({"lint", "-f", policy, "--at", kAt});
  EXPECT_EQ(lint.exit_code, 0) << Describe(lint);
  EXPECT_NE(lint.err.find("warning: spec.start: start '2026-01-01' is older than retention.keep "
                          "'6 months' (now - keep is 2026-05-21T12:00:00Z): the periods from "
                          "2026-01-01 to 2026-05-01 are past retention and are not created"),
            std::string::npos)
      << Describe(lint);
  EXPECT_NE(lint.err.find("Rows of those periods go to the default partition"), std::string::npos)
      << Describe(lint);

  RunResult first = RunPgpart(ApplyArgs(policy, db.dsn()));
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  EXPECT_NE(first.out.find("note: start 2026-01-01 is older than retention (keep 6 months"),
            std::string::npos)
      << first.out;
  EXPECT_FALSE(Exists(db, "public.ev_y2026m02"));  // empty expired periods are not created
  EXPECT_TRUE(Exists(db, "public.ev_y2026m05"));

  // The old rows are copied in: those of expired periods land in the default...
  db.Exec(
      "INSERT INTO public.ev SELECT g, timestamptz '2026-01-01Z' + g * interval '1 day', g FROM "
      "generate_series(0, 300) g");
  const int64_t kept = db.Count("SELECT count(*) FROM public.ev WHERE ts >= '2026-05-01Z'");
  ASSERT_GT(db.Count("SELECT count(*) FROM ONLY public.ev_default"), 100);
  // ... and are retired by the next apply, not left there for good.
  RunResult second = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(second.exit_code, 0) << Describe(second);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev WHERE ts < '2026-05-01Z'"), 0);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev"), kept);
  RunResult again = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);

  // Without a default partition PostgreSQL refuses them; the plan says so.
  ScratchDatabase plain("plain");
  plain.Exec(R"SQL(
CREATE TABLE public.ev (id bigint NOT NULL, ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);
)SQL");
  std::string no_default = policy_text;
  no_default.replace(no_default.find("  defaultPartition: true\n"), 24, "");
  const std::string plain_policy = WriteTestFile("plain.yaml", no_default);
  RunResult plain_plan = RunPgpart(PlanArgs(plain_policy, plain.dsn()));
  EXPECT_NE(plain_plan.out.find("are refused by PostgreSQL (no partition of public.ev is found "
                                "for them; there is no default partition)"),
            std::string::npos)
      << plain_plan.out;
}

}  // namespace
}  // namespace pgpart::apply_e2e
