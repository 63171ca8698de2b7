// End to end: the four real scenarios (policies/ + sql/demo.sql laid out around 2026-11-21) planned
// by the built binary against the sandbox PostgreSQL, as a user would run it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class E2eScenariosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(db_.LoadDemo());
    policies_ = SourcePath("policies");
  }

  RunResult Plan(std::vector<std::string> extra) {
    std::vector<std::string> args{"plan", "-f", policies_, "--dsn", db_.dsn(), "--at", kAt};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunPgpart(args);
  }

  json PlanJson() {
    RunResult r = Plan({"--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  ScratchDatabase db_;
  std::string policies_;
};

// Every step the scenarios need on 2026-11-21, worked out from the policies and the layout in
// sql/demo.sql (anchor month 2026-11), not from pgpart's output.
std::vector<std::string> ExpectedSteps() {
  return {
      // audit_log: 2020-08 .. 2027-01; keep 72 months → cutoff 2020-11-21; premake 3 → 2027-02.
      "drop public.audit_log public.audit_log_y2020m08 planned",
      "drop public.audit_log public.audit_log_y2020m09 planned",
      "drop public.audit_log public.audit_log_y2020m10 planned",
      "create public.audit_log public.audit_log_y2027m02 planned",
      // domain_events: 2024-08 .. 2027-02; keep 24 months → cutoff 2024-11-21.
      "drop public.domain_events public.domain_events_y2024m08 planned",
      "drop public.domain_events public.domain_events_y2024m09 planned",
      "drop public.domain_events public.domain_events_y2024m10 planned",
      // episodic_events: 2024-10 .. 2026-12.
      "drop public.episodic_events public.episodic_events_y2024m10 planned",
      "create public.episodic_events public.episodic_events_y2027m01 planned",
      "create public.episodic_events public.episodic_events_y2027m02 planned",
      // events: [0, 4M), max(id) 3 499 001 → current period [3M, 4M); keep 2M → cutoff 1 499 001.
      "drop public.events public.events_p0 planned",
      "create public.events public.events_p4000000 planned",
      "create public.events public.events_p5000000 planned",
      // expenses (New York wall clock): since 2025-01 without 2025-06, through 2026-12.
      "create public.expenses public.expenses_y2025m06 planned",
      "create public.expenses public.expenses_y2027m01 planned",
      "create public.expenses public.expenses_y2027m02 planned",
      // sensor_readings: 2024-09 .. 2026-12 + default holding 5 rows of 2027-01.
      "drop public.sensor_readings public.sensor_readings_y2024m09 planned",
      "drop public.sensor_readings public.sensor_readings_y2024m10 held",
      "create public.sensor_readings public.sensor_readings_y2027m01 planned",
      "drain_default public.sensor_readings public.sensor_readings_y2027m01 planned",
      "create public.sensor_readings public.sensor_readings_y2027m02 planned",
      // transactions: 2025-09 .. 2026-12; keep 12 months → cutoff 2025-11-21; premake 2.
      "detach public.transactions public.transactions_y2025m09 planned",
      "detach public.transactions public.transactions_y2025m10 planned",
      "create public.transactions public.transactions_y2027m01 planned",
      // daily_cash_balances (16 of 16 hash children) and revenues (complete): nothing.
  };
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

const json* FindStep(const json& plan, const std::string& action, const std::string& partition) {
  for (const auto& step : plan.at("steps")) {
    if (step.at("action") == action && step.at("partition") == partition) return &step;
  }
  return nullptr;
}

bool HasHazard(const json& step, const std::string& hazard) {
  const auto& hazards = step.at("hazards");
  return std::find(hazards.begin(), hazards.end(), hazard) != hazards.end();
}

TEST_F(E2eScenariosTest, PlansExactlyTheExpectedSteps) {
  json plan = PlanJson();
  EXPECT_EQ(plan.at("format_version"), 1);
  EXPECT_EQ(plan.at("at"), kAt);
  EXPECT_EQ(Sorted(StepLines(plan)), Sorted(ExpectedSteps()));

  const json& s = plan.at("summary");
  EXPECT_EQ(s.at("create"), 11);
  EXPECT_EQ(s.at("drain"), 1);
  EXPECT_EQ(s.at("detach"), 2);
  EXPECT_EQ(s.at("drop"), 9);  // 10 expired, one of them held
  EXPECT_EQ(s.at("held"), 1);
  EXPECT_EQ(s.at("blocked"), 0);
  EXPECT_EQ(s.at("archive"), 0);
}

TEST_F(E2eScenariosTest, StepsCarryReasonsBoundsHazardsAndStatements) {
  json plan = PlanJson();

  const json* held = FindStep(plan, "drop", "public.sensor_readings_y2024m10");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->at("status"), "held");
  EXPECT_THAT(held->at("held_by").get<std::string>(), HasSubstr("Legal hold LH-1142"));

  const json* drop = FindStep(plan, "drop", "public.sensor_readings_y2024m09");
  ASSERT_NE(drop, nullptr);
  EXPECT_EQ(drop->at("reason"), "retention");
  EXPECT_EQ(drop->at("from"), "2024-09-01T00:00:00Z");
  EXPECT_EQ(drop->at("to"), "2024-10-01T00:00:00Z");
  EXPECT_TRUE(HasHazard(*drop, "DELETES_DATA"));
  EXPECT_TRUE(HasHazard(*drop, "BACKUP_UNVERIFIED"));  // iot has no backupGate
  EXPECT_GT(drop->at("rows_estimate").get<int64_t>(), 0);
  ASSERT_FALSE(drop->at("statements").empty());

  // audit_log drops are gated: no BACKUP_UNVERIFIED there.
  const json* gated = FindStep(plan, "drop", "public.audit_log_y2020m08");
  ASSERT_NE(gated, nullptr);
  EXPECT_TRUE(HasHazard(*gated, "DELETES_DATA"));
  EXPECT_FALSE(HasHazard(*gated, "BACKUP_UNVERIFIED"));

  const json* drain = FindStep(plan, "drain_default", "public.sensor_readings_y2027m01");
  ASSERT_NE(drain, nullptr);
  EXPECT_TRUE(HasHazard(*drain, "REWRITES_ROWS"));
  EXPECT_EQ(drain->at("rows_estimate"), 5);

  const json* detach = FindStep(plan, "detach", "public.transactions_y2025m09");
  ASSERT_NE(detach, nullptr);
  EXPECT_TRUE(HasHazard(*detach, "DETACHES_DATA"));
  EXPECT_FALSE(HasHazard(*detach, "DELETES_DATA"));
  // The payments policy sets lockTimeout 2s and statementTimeout 10m.
  for (const auto& st : detach->at("statements")) {
    EXPECT_EQ(st.at("lock_timeout_ms"), 2000);
    EXPECT_EQ(st.at("statement_timeout_ms"), 600000);
  }

  const json* backfill = FindStep(plan, "create", "public.expenses_y2025m06");
  ASSERT_NE(backfill, nullptr);
  EXPECT_EQ(backfill->at("reason"), "backfill");
  // timestamp key: New York wall clock.
  EXPECT_EQ(backfill->at("from"), "2025-06-01T00:00:00");
  EXPECT_EQ(backfill->at("to"), "2025-07-01T00:00:00");

  const json* premake = FindStep(plan, "create", "public.events_p5000000");
  ASSERT_NE(premake, nullptr);
  EXPECT_EQ(premake->at("reason"), "premake");
  EXPECT_EQ(premake->at("from"), "5000000");
  EXPECT_EQ(premake->at("to"), "6000000");
}

TEST_F(E2eScenariosTest, ReportsEveryTableWithItsPartitions) {
  json plan = PlanJson();
  std::vector<std::string> tables;
  for (const auto& t : plan.at("tables")) tables.push_back(t.at("table"));
  EXPECT_EQ(Sorted(tables),
            (std::vector<std::string>{"public.audit_log", "public.daily_cash_balances",
                                      "public.domain_events", "public.episodic_events",
                                      "public.events", "public.expenses", "public.revenues",
                                      "public.sensor_readings", "public.transactions"}));
  for (const auto& t : plan.at("tables")) {
    if (t.at("table") == "public.sensor_readings") {
      EXPECT_EQ(t.at("partitions").at("count"), 28);  // 2024-09 .. 2026-12
      EXPECT_EQ(t.at("partitions").at("default_rows"), 5);
      EXPECT_EQ(t.at("partitions").at("oldest"), "2024-09-01T00:00:00Z");
    }
    if (t.at("table") == "public.daily_cash_balances") {
      EXPECT_EQ(t.at("partitions").at("count"), 16);
      EXPECT_TRUE(t.at("drift").empty()) << t.dump();
    }
    if (t.at("table") == "public.revenues") {
      // New York midnight, in UTC: EST in February.
      EXPECT_EQ(t.at("partitions").at("newest"), "2027-02-01T05:00:00Z");
    }
  }
}

TEST_F(E2eScenariosTest, TextPlanUsesSymbolsAndClosingLine) {
  RunResult r = Plan({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("+ "));
  EXPECT_THAT(r.out, HasSubstr("- "));
  EXPECT_THAT(r.out, HasSubstr("~ "));
  EXPECT_THAT(r.out, HasSubstr("! "));
  EXPECT_THAT(r.out, HasSubstr("sensor_readings_y2024m10"));
  EXPECT_THAT(r.out, HasSubstr("Legal hold LH-1142"));
  EXPECT_THAT(r.out, HasSubstr("Plan: 11 to create, 1 to drain, 2 to detach, 9 to drop, 1 held.\n"));
}

TEST_F(E2eScenariosTest, SqlFormatHoldsTheStatements) {
  RunResult r = Plan({"--format", "sql"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sensor_readings_y2027m02"));
  EXPECT_THAT(r.out, HasSubstr("lock_timeout"));
  EXPECT_THAT(r.out, HasSubstr("DETACH PARTITION"));
  EXPECT_THAT(r.out, HasSubstr("DROP TABLE"));
  EXPECT_THAT(r.out, HasSubstr("'2027-02-01 00:00:00+00'"));  // exact UTC bounds
  // A held partition appears only commented out, never as a statement that would run.
  EXPECT_THAT(r.out, HasSubstr("sensor_readings_y2024m10"));
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("--", 0) == 0) continue;
    EXPECT_EQ(line.find("sensor_readings_y2024m10"), std::string::npos) << line;
  }
}

TEST_F(E2eScenariosTest, PlanningIsDeterministic) {
  RunResult a = Plan({"--format", "json"});
  RunResult b = Plan({"--format", "json"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(WithoutGeneratedAt(a.out), WithoutGeneratedAt(b.out));
  RunResult c = Plan({"--format", "sql"});
  RunResult d = Plan({"--format", "sql"});
  EXPECT_EQ(c.out, d.out);
}

// --max-drops caps drops per table in this run, oldest first; the rest are blocked (exit 2).
TEST_F(E2eScenariosTest, MaxDropsBlocksTheRest) {
  RunResult r = Plan({"--format", "json", "--max-drops", "1", "--detailed-exitcode"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  json plan = json::parse(r.out);
  // audit_log and domain_events have 3 expired partitions each: 1 dropped, 2 blocked each.
  EXPECT_EQ(plan.at("summary").at("drop"), 5);
  EXPECT_EQ(plan.at("summary").at("blocked"), 4);
  EXPECT_EQ(plan.at("summary").at("held"), 1);
  const json* first = FindStep(plan, "drop", "public.domain_events_y2024m08");
  const json* second = FindStep(plan, "drop", "public.domain_events_y2024m09");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->at("status"), "planned");
  EXPECT_EQ(second->at("status"), "blocked");
  EXPECT_FALSE(second->at("blocked_by").get<std::string>().empty());

  // With the policies' own limits (5 and 3) nothing is blocked.
  EXPECT_EQ(PlanJson().at("summary").at("blocked"), 0);
}

// A plan made offline from a snapshot equals the live plan byte for byte (but generated_at),
// drain steps included: `snapshot -f` counts the default partition's rows by period.
TEST_F(E2eScenariosTest, SnapshotPlanEqualsLivePlan) {
  const std::string path = TestDir() + "/catalog.json";
  RunResult snap = RunPgpart({"snapshot", "--dsn", db_.dsn(), "-f", policies_, "-o", path});
  ASSERT_EQ(snap.exit_code, 0) << snap.err;

  RunResult live = Plan({"--format", "json"});
  RunResult offline =
      RunPgpart({"plan", "-f", policies_, "--catalog", path, "--at", kAt, "--format", "json"});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_EQ(WithoutGeneratedAt(offline.out), WithoutGeneratedAt(live.out));
  EXPECT_NE(offline.out.find("drain_default"), std::string::npos);

  RunResult live_sql = Plan({"--format", "sql"});
  RunResult offline_sql =
      RunPgpart({"plan", "-f", policies_, "--catalog", path, "--at", kAt, "--format", "sql"});
  EXPECT_EQ(offline_sql.out, live_sql.out);
}

// Running the SQL the plan shows brings the database to the policies: planning again finds
// nothing to do but the held partition (idempotence).
TEST_F(E2eScenariosTest, RunningThePlannedSqlConverges) {
  RunResult sql = Plan({"--format", "sql"});
  ASSERT_EQ(sql.exit_code, 0) << sql.err;
  const std::string script = TestDir() + "/plan.sql";
  WriteFile(script, sql.out);
  RunResult psql = RunPsqlFile(db_.dsn(), script);
  ASSERT_EQ(psql.exit_code, 0) << psql.err << "\n--- script ---\n" << sql.out;

  // The drained rows moved into their new partition, none were lost.
  EXPECT_EQ(db_.Scalar("select count(*) from public.sensor_readings_default"), "0");
  EXPECT_EQ(db_.Scalar("select count(*) from public.sensor_readings_y2027m01"), "5");
  // Detached partitions still exist as tables; dropped ones are gone.
  EXPECT_EQ(db_.Scalar("select to_regclass('public.transactions_y2025m09') is not null"), "t");
  EXPECT_EQ(db_.Scalar("select count(*) from pg_inherits "
                       "where inhrelid = 'public.transactions_y2025m09'::regclass"),
            "0");
  EXPECT_EQ(db_.Scalar("select to_regclass('public.sensor_readings_y2024m09') is null"), "t");
  EXPECT_EQ(db_.Scalar("select to_regclass('public.sensor_readings_y2024m10') is not null"), "t");

  RunResult again = Plan({"--format", "json", "--detailed-exitcode"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  json plan = json::parse(again.out);
  EXPECT_EQ(StepLines(plan),
            (std::vector<std::string>{
                "drop public.sensor_readings public.sensor_readings_y2024m10 held"}));
  // The hold is still reported in text, and held steps alone are no change.
  RunResult text = Plan({"--detailed-exitcode"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, HasSubstr("sensor_readings_y2024m10"));
}

}  // namespace
}  // namespace pgpart::e2e
