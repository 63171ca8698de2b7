// Golden files for every renderer over one rich plan, plus JSON round trip.
// Regenerate with: PGPART_UPDATE_GOLDEN=1 ./tests/render_test (then review the diff).

#include "render/render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../plan/plan_fixture.h"
#include "plan/planner.h"

namespace pgpart {
namespace {

using namespace ::pgpart::testing;

constexpr char kPolicies[] = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor-readings}
spec:
  tables: [public.sensor_readings]
  column: recorded_at
  interval: 1 month
  premake: 3
  defaultPartition: true
  retention: {keep: 24 months}
  holds:
    - partition: sensor_readings_y2024m10
      reason: "Legal hold LH-1142"
      until: 2027-06-01
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: payments}
spec:
  tables: [transactions]
  interval: 1 month
  premake: 2
  retention: {keep: 12 months, action: detach}
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: finance-balances}
spec:
  tables: [daily_cash_balances]
  strategy: hash
  modulus: 4
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: events}
spec:
  tables: ['"Odd Schema"."Events ""X"""']
  interval: 1000000
  premake: 1
  retention: {keep: 3000000, maxDropsPerRun: 1}
)";

Plan RichPlan() {
  Table sensor = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(sensor, "2024-09", 28);
  AddDefault(sensor, 7);
  sensor.default_buckets.push_back(
      DefaultBucket{*ParseBoundText(KeyType::kTimestampTz, "2027-01-01T00:00:00Z"),
                    *ParseBoundText(KeyType::kTimestampTz, "2027-02-01T00:00:00Z"), 7});
  Table tx = RangeTable("transactions", "created_at", KeyType::kTimestampTz);
  AddMonths(tx, "2025-10", 14);
  AddChild(tx, "transactions_old", "2025-09-15T00:00:00Z", "2025-10-01T00:00:00Z", 10);
  Table balances = HashTable("daily_cash_balances", "org_id");
  AddHashChildren(balances, 4);
  balances.children.pop_back();
  Table events = RangeTable("\"Odd Schema\".\"Events \"\"X\"\"\"", "id", KeyType::kBigInt);
  for (int i = 0; i < 6; ++i) {
    AddChild(events, "Events \"X\"_p" + std::to_string(i * 1000000), std::to_string(i * 1000000),
             std::to_string((i + 1) * 1000000), 1000000);
  }
  events.max_key = 5'400'000;
  Plan plan = ComputePlan(Policies(kPolicies), CatalogOf({sensor, tx, balances, events}),
                          At("2026-11-21T12:00:00Z"));
  plan.generated_at = "2026-11-21T12:00:05Z";
  return plan;
}

std::string Golden(const std::string& name) {
  return std::string(PGPART_SOURCE_DIR) + "/tests/golden/" + name;
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = Golden(name);
  if (std::getenv("PGPART_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with PGPART_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(expected.str(), actual) << "golden file " << path << " differs";
}

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
