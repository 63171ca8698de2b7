// `--only` (plan/select.h): which steps are premake, retention and drain, and a plan narrowed to
// some kinds (issue 12 item 6).

#include "plan/select.h"

#include <gtest/gtest.h>

#include "core/calendar.h"
#include "plan/planner.h"
#include "plan_fixture.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddDefault;
using ::pgpart::testing::AddMonths;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;
using V = std::vector<std::string>;

constexpr char kPolicy[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor}
spec:
  tables: [public.sensor]
  interval: 1 month
  premake: 3
  defaultPartition: true
  retention: {keep: 24 months}
)";

// 2024-09 .. 2026-12 at 2026-11-21, 12 rows of January 2027 waiting in the default: two drops,
// a drain of January (its create and drain_default) and a plain create of February.
Plan Demo() {
  Table t = RangeTable("public.sensor", "at", KeyType::kTimestampTz);
  AddMonths(t, "2024-09", 28);
  AddDefault(t, 12);
  t.default_buckets.push_back(
      DefaultBucket{*ParseBoundText(KeyType::kTimestampTz, "2027-01-01T00:00:00Z"),
                    *ParseBoundText(KeyType::kTimestampTz, "2027-02-01T00:00:00Z"), 12});
  return ComputePlan(Policies(kPolicy), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
}

V Lines(const std::vector<Step>& steps) {
  V out;
  for (const Step& s : steps) out.push_back(ActionName(s.action) + " " + s.partition.name);
  return out;
}

TEST(SelectStepKinds, KindsOfEveryAction) {
  const Plan plan = Demo();
  ASSERT_EQ(Lines(plan.steps),
            (V{"drop sensor_y2024m09", "drop sensor_y2024m10", "create sensor_y2027m01",
               "drain_default sensor_y2027m01", "create sensor_y2027m02"}));
  EXPECT_EQ(KindsOf(plan.steps),
            (std::vector<StepKind>{StepKind::kRetention, StepKind::kRetention, StepKind::kDrain,
                                   StepKind::kDrain, StepKind::kPremake}));
}

TEST(SelectStepKinds, KeepsTheSelectedAndListsTheRestAsLeftOut) {
  Plan premake = Demo();
  SelectStepKinds(&premake, {StepKind::kPremake});
  EXPECT_EQ(Lines(premake.steps), (V{"create sensor_y2027m02"}));
  EXPECT_EQ(premake.only, (V{"premake"}));
  EXPECT_EQ(Lines(premake.left_out),
            (V{"drop sensor_y2024m09", "drop sensor_y2024m10", "create sensor_y2027m01",
               "drain_default sensor_y2027m01"}));
  EXPECT_EQ(premake.summary.create, 1);
  EXPECT_EQ(premake.summary.drop, 0);
  EXPECT_EQ(premake.summary.drain, 0);

  // The drain takes its create along: the pair runs as one unit.
  Plan drain = Demo();
  SelectStepKinds(&drain, {StepKind::kDrain, StepKind::kRetention});
  EXPECT_EQ(Lines(drain.steps), (V{"drop sensor_y2024m09", "drop sensor_y2024m10",
                                   "create sensor_y2027m01", "drain_default sensor_y2027m01"}));
  EXPECT_EQ(drain.only, (V{"retention", "drain"}));
  EXPECT_EQ(drain.summary.drop, 2);

  Plan all = Demo();
  SelectStepKinds(&all, {});
  EXPECT_EQ(all, Demo());
  EXPECT_TRUE(all.only.empty());
}

// Issue 13: the default partition's rows of an expired period are created, drained and retired as
// one unit, a retention: --only retention applies all three, --only drain or premake none.
TEST(SelectStepKinds, TheRetirementOfExpiredDefaultRowsIsOneRetentionUnit) {
  Table t = RangeTable("public.sensor", "at", KeyType::kTimestampTz);
  AddMonths(t, "2024-09", 28);
  AddDefault(t, 3);
  t.default_buckets.push_back(
      DefaultBucket{*ParseBoundText(KeyType::kTimestampTz, "2024-03-01T00:00:00Z"),
                    *ParseBoundText(KeyType::kTimestampTz, "2024-04-01T00:00:00Z"), 3});
  t.default_buckets_known = true;
  const Plan plan = ComputePlan(Policies(kPolicy), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  ASSERT_EQ(Lines(plan.steps),
            (V{"create sensor_y2024m03", "drain_default sensor_y2024m03", "drop sensor_y2024m03",
               "drop sensor_y2024m09", "drop sensor_y2024m10", "create sensor_y2027m01",
               "create sensor_y2027m02"}));
  Plan retention = plan;
  SelectStepKinds(&retention, {StepKind::kRetention});
  EXPECT_EQ(Lines(retention.steps),
            (V{"create sensor_y2024m03", "drain_default sensor_y2024m03", "drop sensor_y2024m03",
               "drop sensor_y2024m09", "drop sensor_y2024m10"}));
  Plan drain = plan;
  SelectStepKinds(&drain, {StepKind::kDrain, StepKind::kPremake});
  EXPECT_EQ(Lines(drain.steps), (V{"create sensor_y2027m01", "create sensor_y2027m02"}));
}

// A plan with an inherit_privileges step: one kind per step (KindsOf used to skip it, which
// shifted every later step's kind by one).
TEST(SelectStepKinds, PrivilegeStepsHaveAKindToo) {
  Table t = RangeTable("public.sensor", "at", KeyType::kTimestampTz);
  AddMonths(t, "2024-09", 28);
  t.owner = "app_owner";
  t.privileges_known = true;
  for (Child& c : t.children) c.owner = "app_owner";
  t.children[10].owner = "someone_else";  // 2025-07: inherit_privileges, between the drops
  AddDefault(t, 0);
  t.default_partition->owner = "app_owner";
  const Plan plan = ComputePlan(Policies(kPolicy), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  ASSERT_EQ(Lines(plan.steps),
            (V{"drop sensor_y2024m09", "drop sensor_y2024m10",
               "inherit_privileges sensor_y2025m07", "create sensor_y2027m01",
               "create sensor_y2027m02"}));
  EXPECT_EQ(KindsOf(plan.steps),
            (std::vector<StepKind>{StepKind::kRetention, StepKind::kRetention, StepKind::kPremake,
                                   StepKind::kPremake, StepKind::kPremake}));
  Plan retention = plan;
  SelectStepKinds(&retention, {StepKind::kRetention});
  EXPECT_EQ(Lines(retention.steps), (V{"drop sensor_y2024m09", "drop sensor_y2024m10"}));
}

TEST(SelectStepKinds, ParsesRepeatedAndCommaSeparatedKinds) {
  std::set<StepKind> kinds;
  std::string error;
  ASSERT_TRUE(ParseStepKinds({"premake", "retention,drain"}, &kinds, &error)) << error;
  EXPECT_EQ(kinds, (std::set<StepKind>{StepKind::kPremake, StepKind::kRetention,
                                       StepKind::kDrain}));
  kinds.clear();
  EXPECT_FALSE(ParseStepKinds({"premake,"}, &kinds, &error));
  EXPECT_EQ(error, "--only: '' is not a kind of step (premake, retention, drain)");
  EXPECT_FALSE(ParseStepKinds({"drops"}, &kinds, &error));
  EXPECT_EQ(error, "--only: 'drops' is not a kind of step (premake, retention, drain)");
}

}  // namespace
}  // namespace pgpart
