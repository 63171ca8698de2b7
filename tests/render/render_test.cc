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
  std::string text = RenderText(RichPlan());
  EXPECT_NE(text.find("\nPlan: "), std::string::npos);
  Plan plan = RichPlan();
  const PlanSummary& s = plan.summary;
  std::string expected = "Plan: " + std::to_string(s.create) + " to create, " +
                         std::to_string(s.detach + s.archive) + " to detach, " +
                         std::to_string(s.drop) + " to drop, " + std::to_string(s.held) +
                         " held, " + std::to_string(s.blocked) + " blocked.";
  EXPECT_NE(text.find(expected), std::string::npos) << text;
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
  EXPECT_NE(text.find("This change adds:"), std::string::npos) << text;
  Plan back;
  std::string error;
  ASSERT_TRUE(PlanFromJson(RenderJson(plan), &back, &error)) << error;
  EXPECT_TRUE(back.is_diff);
  EXPECT_EQ(back.removed_steps, plan.removed_steps);
  EXPECT_EQ(back, plan);
}

}  // namespace
}  // namespace pgpart
