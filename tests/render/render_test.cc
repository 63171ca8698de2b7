// Golden files for every renderer over one rich plan, plus JSON round trip.
// Regenerate with: PGPART_UPDATE_GOLDEN=1 ./tests/render_test (then review the diff).

#include "render/render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../plan/plan_fixture.h"
#include "golden_fixture.h"
#include "plan/planner.h"

namespace pgpart {
namespace {

using namespace ::pgpart::testing;

TEST(Render, TextGolden) { ExpectGolden("plan.txt", RenderText(RichPlan())); }
TEST(Render, JsonGolden) { ExpectGolden("plan.json", RenderJson(RichPlan())); }
TEST(Render, SqlGolden) { ExpectGolden("plan.sql", RenderSql(RichPlan())); }

TEST(Render, JsonRoundTripsExactly) {
  Plan plan = RichPlan();
  Plan back;
  std::string error;
  ASSERT_TRUE(PlanFromJson(RenderJson(plan), &back, &error)) << error;
  EXPECT_EQ(back, plan);
  EXPECT_EQ(back.generated_at, plan.generated_at);
  EXPECT_EQ(RenderJson(back), RenderJson(plan));
}

TEST(Render, JsonIsByteIdenticalForTheSameInputs) {
  EXPECT_EQ(RenderJson(RichPlan()), RenderJson(RichPlan()));
}

TEST(Render, MalformedPlanJsonIsAnErrorNotACrash) {
  Plan plan;
  std::string error;
  EXPECT_FALSE(PlanFromJson("{", &plan, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(PlanFromJson(R"({"format_version": 99})", &plan, &error));
  EXPECT_NE(error.find("format_version"), std::string::npos);
}

TEST(Render, NoChangesLine) {
  Plan empty;
  empty.at = "2026-11-21T12:00:00Z";
  EXPECT_NE(RenderText(empty).find("No changes. Partitions match the policies."),
            std::string::npos);
  EXPECT_NE(RenderSql(empty).find("-- No changes."), std::string::npos);
}

TEST(Render, TextClosingLineCountsEveryKind) {
  // RichPlan's steps (tests/render/golden_fixture.cc), counted by hand; no kind is 0.
  const std::string text = RenderText(RichPlan());
  EXPECT_NE(text.find("\nPlan: 8 to create, 2 to drain, 2 to detach, 3 to drop, 1 held, 1 blocked.\n"),
            std::string::npos)
      << text;
}

// Issue 15: the text summary left out the drains that JSON, SQL and Markdown counted. One
// wording now, in every format.
TEST(Render, EveryFormatCountsDrainsInOneWording) {
  Plan plan = RichPlan();
  Step drain = plan.steps.front();
  drain.action = Action::kDrainDefault;
  drain.status = StepStatus::kPlanned;
  plan.steps.push_back(drain);
  plan.steps.push_back(drain);
  const int drains = plan.summary.drain + 2;
  plan.summary = Summarize(plan.steps);
  ASSERT_EQ(plan.summary.drain, drains);
  const std::string text = RenderText(plan);
  const auto at = text.find("\nPlan: ");
  ASSERT_NE(at, std::string::npos) << text;
  const std::string line = text.substr(at + 7, text.find('\n', at + 1) - at - 7);
  EXPECT_NE(line.find(std::to_string(drains) + " to drain"), std::string::npos) << line;
  EXPECT_NE(RenderSql(plan).find("-- Plan: " + line), std::string::npos) << RenderSql(plan);
  std::string counts = line.substr(0, line.size() - 1);  // without the period
  EXPECT_NE(RenderMarkdown(plan).find("### pgpart plan: " + counts), std::string::npos)
      << RenderMarkdown(plan);
  EXPECT_NE(RenderJson(plan).find("\"drain\": " + std::to_string(drains)), std::string::npos);
}

// Issue 15: a plan that could not look at a table ended "No changes. Partitions match the
// policies.", a false all-clear. It says the plan is incomplete, with the number of errors, and
// names the database it read.
TEST(Render, APlanWithErrorsNeverSaysNoChanges) {
  Plan plan;
  plan.at = "2026-11-21T12:00:00Z";
  plan.database.name = "app";
  for (const char* table : {"public.gone", "public.away"}) {
    Diagnostic d;
    d.severity = Severity::kError;
    d.path = "spec.tables";
    d.message = std::string("table ") + table + " does not exist";
    plan.diagnostics.push_back(d);
  }
  for (const std::string& out : {RenderText(plan), RenderSql(plan), RenderMarkdown(plan)}) {
    EXPECT_EQ(out.find("No changes"), std::string::npos) << out;
    EXPECT_NE(out.find("Plan incomplete: 2 errors"), std::string::npos) << out;
  }
  EXPECT_NE(RenderText(plan).find("pgpart plan at 2026-11-21T12:00:00Z of database \"app\""),
            std::string::npos)
      << RenderText(plan);
  EXPECT_NE(RenderMarkdown(plan).find("of database \"app\""), std::string::npos);
}

// `--check-gates` results on the drops: shown under the step in every format, written in JSON
// but not read back (apply checks the gate again; a saved plan's "currently" would be stale).
TEST(Render, GateChecksShowUnderTheirStepsAndAreNotReadBack) {
  Plan plan = RichPlan();
  int drops = 0;
  for (Step& s : plan.steps) {
    if (s.action != Action::kDrop || s.status != StepStatus::kPlanned) continue;
    s.gate_check = drops++ == 0 ? GateCheck{false, "no backup <since> 2024-11"}
                                : GateCheck{true, "backup 20261120-0100F ended after"};
  }
  ASSERT_EQ(drops, 3) << RenderText(plan);  // one retires the default's rows of 2024-03
  const std::string text = RenderText(plan);
  EXPECT_NE(text.find("\n      gate currently fails: no backup <since> 2024-11\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n      gate currently passes: backup 20261120-0100F ended after\n"),
            std::string::npos);
  EXPECT_NE(RenderSql(plan).find("-- gate currently fails: no backup <since> 2024-11\n"),
            std::string::npos);
  const std::string md = RenderMarkdown(plan);
  EXPECT_NE(md.find("Backup gates, checked now:"), std::string::npos) << md;
  EXPECT_NE(md.find("- **gate currently fails** drop"), std::string::npos) << md;
  EXPECT_NE(md.find("no backup &lt;since&gt; 2024-11"), std::string::npos) << md;
  EXPECT_EQ(RenderMarkdown(RichPlan()).find("Backup gates"), std::string::npos);

  const std::string json = RenderJson(plan);
  EXPECT_NE(json.find("\"gate_check\": {\n        \"passed\": false,\n        \"detail\": "
                      "\"no backup <since> 2024-11\"\n      }"),
            std::string::npos)
      << json;
  Plan back;
  std::string error;
  ASSERT_TRUE(PlanFromJson(json, &back, &error)) << error;
  EXPECT_EQ(back, RichPlan());  // without the checks
  EXPECT_EQ(RenderJson(RichPlan()).find("gate_check"), std::string::npos);
}

TEST(Render, SqlCommentsOutHeldAndBlockedSteps) {
  std::string sql = RenderSql(RichPlan());
  EXPECT_NE(sql.find("-- HELD, not run: Legal hold LH-1142"), std::string::npos);
  EXPECT_NE(sql.find("-- DROP TABLE public.sensor_readings_y2024m10;"), std::string::npos);
  EXPECT_NE(sql.find("-- BLOCKED, not run: maxDropsPerRun (1)"), std::string::npos);
}

}  // namespace
}  // namespace pgpart

namespace pgpart {
namespace {

TEST(Render, DiffViewShowsAddedAndRemovedStepsButNotSharedDrift) {
  Plan plan = RichPlan();
  plan.is_diff = true;
  plan.removed_steps.push_back(plan.steps.back());
  plan.steps.pop_back();
  std::string text = RenderText(plan);
  EXPECT_NE(text.find("no longer: create"), std::string::npos) << text;
  EXPECT_EQ(text.find("drift:"), std::string::npos) << text;
  EXPECT_NE(text.find("This change adds "), std::string::npos) << text;
  Plan back;
  std::string error;
  ASSERT_TRUE(PlanFromJson(RenderJson(plan), &back, &error)) << error;
  EXPECT_TRUE(back.is_diff);
  EXPECT_EQ(back.removed_steps, plan.removed_steps);
  EXPECT_EQ(back, plan);
}

}  // namespace
}  // namespace pgpart
