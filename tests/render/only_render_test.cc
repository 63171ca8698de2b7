// A plan narrowed by --only (issue 12 item 6) in every format: the steps left out are listed as
// such, and a saved plan carries the selection through apply --plan.

#include <gtest/gtest.h>

#include "../plan/plan_fixture.h"
#include "plan/planner.h"
#include "plan/select.h"
#include "render/render.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddMonths;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;

// 2024-09 .. 2026-12 at 2026-11-21: two drops, two creates; premake only.
Plan PremakeOnly() {
  Table t = RangeTable("public.sensor", "at", KeyType::kTimestampTz);
  AddMonths(t, "2024-09", 28);
  Plan plan = ComputePlan(Policies(R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor}
spec:
  tables: [public.sensor]
  interval: 1 month
  premake: 3
  retention: {keep: 24 months}
)"),
                          CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  SelectStepKinds(&plan, {StepKind::kPremake});
  return plan;
}

TEST(OnlyRender, TextListsTheStepsLeftOut) {
  const std::string text = RenderText(PremakeOnly());
  EXPECT_NE(text.find("  + create          public.sensor_y2027m01"), std::string::npos) << text;
  EXPECT_NE(text.find("  . left out: drop public.sensor_y2024m09\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Plan: 2 to create. "
                      "Left out by --only premake: 2 steps of other kinds, not applied.\n"),
            std::string::npos)
      << text;

  Plan converged = PremakeOnly();
  converged.steps.clear();
  converged.summary = Summarize(converged.steps);
  EXPECT_NE(RenderText(converged).find("No changes in the steps selected by --only premake."),
            std::string::npos);
}

TEST(OnlyRender, JsonCarriesTheSelectionThroughASavedPlan) {
  const Plan plan = PremakeOnly();
  Plan back;
  std::string error;
  ASSERT_TRUE(PlanFromJson(RenderJson(plan), &back, &error)) << error;
  EXPECT_EQ(back.only, std::vector<std::string>{"premake"});
  EXPECT_EQ(back.left_out.size(), 2u);
  EXPECT_EQ(back, plan);

  // A plan without --only has neither member (saved plans of earlier versions read the same).
  Plan whole = plan;
  whole.only.clear();
  whole.left_out.clear();
  EXPECT_EQ(RenderJson(whole).find("left_out"), std::string::npos);
}

TEST(OnlyRender, MarkdownSaysWhatWasLeftOut) {
  const std::string md = RenderMarkdown(PremakeOnly());
  EXPECT_NE(md.find("Left out by --only premake: 2 steps of other kinds"), std::string::npos)
      << md;
}

}  // namespace
}  // namespace pgpart
