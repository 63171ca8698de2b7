// Idempotence: the four scenarios (sql/demo.sql + policies/) applied once converge; planning again
// shows no changes, and a second apply changes nothing.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "apply_fixture.h"
#include "scenario_fixture.h"

namespace pgpart::apply_e2e {
namespace {

const std::vector<std::string> kDemoSchemas{"public", "ops", "archive"};

TEST(Idempotence, FourScenariosConvergeAndTheSecondApplyChangesNothing) {
  ScratchDatabase db;
  db.LoadDemo();
  const std::string policies = SourcePath("policies");

  // The demo plan has work of every kind, so "converged" means something.
  RunResult planned = RunPgpart({"plan", "-f", policies, "--dsn", db.dsn(), "--at", kAt, "--format",
                                 "json", "--detailed-exitcode"});
  ASSERT_EQ(planned.exit_code, 2) << Describe(planned);
  const auto plan = nlohmann::json::parse(planned.out);
  int planned_steps = 0, held_steps = 0;
  for (const auto& s : plan.at("steps")) {
    (s.at("status") == "held" ? held_steps : planned_steps)++;
    EXPECT_NE(s.at("status"), "blocked") << s.dump();
  }
  ASSERT_GE(planned_steps, 10);
  ASSERT_GE(held_steps, 1);  // the legal hold on sensor_readings_y2024m10
  const int64_t rows_before = db.Count("SELECT count(*) FROM public.sensor_readings");

  RunResult first = RunPgpart(ApplyArgs(policies, db.dsn()));
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  EXPECT_NE(first.out.find("Apply complete: " + std::to_string(planned_steps) +
                           " applied, 0 "
                           "already done, " +
                           std::to_string(held_steps) +
                           " held, 0 blocked, 0 "
                           "failed."),
            std::string::npos)
      << first.out;
  // One audit row per applied step, with exact rows for every drop and detach, and one per
  // held step.
  EXPECT_EQ(db.History().size(), static_cast<size_t>(planned_steps));
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE action IN ('drop', 'detach') AND "
                     "rows IS NULL AND outcome = 'applied'"),
            0);
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE outcome = 'held'"), held_steps);
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE outcome NOT IN ('applied', "
                     "'held')"),
            0);
  // The held partition survived; the drain moved the bad-clock rows out of the default.
  EXPECT_FALSE(db.Scalar("SELECT to_regclass('public.sensor_readings_y2024m10')").empty());
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.sensor_readings_default"), 0);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.sensor_readings_y2027m01"), 5);
  const int64_t dropped_rows = db.Count(
      "SELECT sum(rows) FROM pgpart.history WHERE table_name = 'public.sensor_readings' AND "
      "action = 'drop'");
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.sensor_readings"), rows_before - dropped_rows);

  RunResult plan_after = RunPgpart(PlanArgs(policies, db.dsn()));
  EXPECT_EQ(plan_after.exit_code, 0) << Describe(plan_after);

  const auto state = db.TableLines(kDemoSchemas);
  const auto history = db.History();
  RunResult second = RunPgpart(ApplyArgs(policies, db.dsn()));
  EXPECT_EQ(second.exit_code, 0) << Describe(second);
  EXPECT_EQ(second.out.find("applied,"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("No changes."), std::string::npos) << second.out;
  EXPECT_EQ(db.TableLines(kDemoSchemas), state);
  EXPECT_EQ(db.History(), history);
}

// Machines read `apply --format json`: a run with nothing to do still prints its report.
TEST(Idempotence, JsonReportAlsoWhenThereIsNothingToDo) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  auto args = ApplyArgs(policy, db.dsn());
  args.insert(args.end(), {"--format", "json"});

  RunResult first = RunPgpart(args);
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  const auto applied = nlohmann::json::parse(first.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(applied.is_discarded()) << Describe(first);
  EXPECT_EQ(applied["exit_code"], 0);
  EXPECT_EQ(applied["summary"]["applied"], 11) << first.out;
  EXPECT_EQ(applied["steps"].size(), 11u);

  RunResult second = RunPgpart(args);
  EXPECT_EQ(second.exit_code, 0) << Describe(second);
  const auto report = nlohmann::json::parse(second.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(report.is_discarded())
      << "apply --format json prints no JSON report when there is nothing to do\n"
      << Describe(second);
  EXPECT_EQ(report["exit_code"], 0);
  EXPECT_EQ(report["summary"]["applied"], 0) << second.out;
}

}  // namespace
}  // namespace pgpart::apply_e2e
