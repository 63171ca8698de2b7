// The pull-request view: base policies vs head policies on one fake catalog at one clock.

#include "plan/diff.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plan/planner.h"
#include "plan_fixture.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddChild;
using ::pgpart::testing::AddMonths;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::Names;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;
using ::pgpart::testing::StepsOf;
using V = std::vector<std::string>;

std::string SensorPolicy(const std::string& keep, const std::string& extra = "") {
  return R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor-readings}
spec:
  tables: [public.sensor_readings]
  column: recorded_at
  interval: 1 month
  premake: 3
  retention: {keep: )" +
         keep + "}\n" + extra;
}

constexpr char kEvents[] = R"(
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: events}
spec:
  tables: [public.events]
  column: created_at
  interval: 1 month
  premake: 2
)";

Catalog TwoTables() {
  Table sensor = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(sensor, "2024-09", 28);  // 2024-09 .. 2026-12
  // Unrelated drift: a child off the grid that neither policy version manages.
  AddChild(sensor, "sensor_readings_manual", "2030-01-01T00:00:00Z", "2030-01-15T00:00:00Z");
  Table events = RangeTable("events", "created_at", KeyType::kTimestampTz);
  AddMonths(events, "2026-10", 1);  // the premake creates are pre-existing drift for the review
  return CatalogOf({sensor, events});
}

V MonthNames(const std::string& parent, int year, int month, int count) {
  V out;
  for (int i = 0; i < count; ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s_y%04dm%02d", parent.c_str(), year, month);
    out.push_back(buf);
    if (++month > 12) month = 1, ++year;
  }
  return out;
}

TEST(DiffPlans, ShorterRetentionShowsExactlyTheNewDrops) {
  const Catalog catalog = TwoTables();
  const int64_t now = At("2026-11-21T12:00:00Z");
  Plan base = ComputePlan(Policies(SensorPolicy("24 months") + kEvents), catalog, now);
  Plan head = ComputePlan(Policies(SensorPolicy("12 months") + kEvents), catalog, now);
  ASSERT_TRUE(head.diagnostics.empty()) << head.diagnostics[0].Format();
  // Both plans create the same partitions (premake on both tables): not part of the change.
  ASSERT_FALSE(StepsOf(base, Action::kCreate).empty());
  ASSERT_EQ(StepsOf(base, Action::kCreate), StepsOf(head, Action::kCreate));

  Plan diff = DiffPlans(base, head);
  EXPECT_TRUE(diff.is_diff);
  // keep 24 months dropped 2024-09 and 2024-10; keep 12 months (cutoff 2025-11-21) also drops
  // 2024-11 .. 2025-10.
  EXPECT_EQ(Names(diff.steps), MonthNames("sensor_readings", 2024, 11, 12));
  for (const Step& s : diff.steps) {
    EXPECT_EQ(s.action, Action::kDrop);
    EXPECT_EQ(s.status, StepStatus::kPlanned);
  }
  EXPECT_TRUE(diff.removed_steps.empty());
  EXPECT_EQ(diff.summary.drop, 12);
  EXPECT_EQ(diff.summary.create, 0);
  EXPECT_EQ(diff.summary.held, 0);
  // The head's context is kept: tables (with their drift), clock and hashes.
  EXPECT_EQ(diff.tables, head.tables);
  EXPECT_EQ(diff.at, head.at);
  EXPECT_EQ(diff.policy_hash, head.policy_hash);
  EXPECT_EQ(diff.catalog_hash, head.catalog_hash);
  EXPECT_TRUE(diff.HasChanges());

  // The other way round, the same drops are the ones that disappear.
  Plan back = DiffPlans(head, base);
  EXPECT_TRUE(back.steps.empty());
  EXPECT_EQ(Names(back.removed_steps), MonthNames("sensor_readings", 2024, 11, 12));
  EXPECT_EQ(back.summary, PlanSummary{});
}

TEST(DiffPlans, IdenticalPoliciesShowNothingDespiteDrift) {
  const Catalog catalog = TwoTables();
  const int64_t now = At("2026-11-21T12:00:00Z");
  Plan plan = ComputePlan(Policies(SensorPolicy("24 months") + kEvents), catalog, now);
  ASSERT_TRUE(plan.HasChanges());  // there is pre-existing work to do...
  bool has_drift = false;
  for (const TableReport& t : plan.tables) has_drift = has_drift || !t.drift.empty();
  EXPECT_TRUE(has_drift);  // ...and drift (the manual child)
  Plan diff = DiffPlans(plan, plan);
  EXPECT_TRUE(diff.is_diff);
  EXPECT_TRUE(diff.steps.empty());
  EXPECT_TRUE(diff.removed_steps.empty());
  EXPECT_EQ(diff.summary, PlanSummary{});
  EXPECT_FALSE(diff.HasChanges());
  EXPECT_EQ(diff.tables, plan.tables);
}

TEST(DiffPlans, RemovingAHoldShowsTheDropChangingStatus) {
  const Catalog catalog = TwoTables();
  const int64_t now = At("2026-11-21T12:00:00Z");
  const std::string hold = R"(  holds:
    - partition: sensor_readings_y2024m10
      reason: "Legal hold LH-1142"
)";
  Plan base = ComputePlan(Policies(SensorPolicy("24 months", hold) + kEvents), catalog, now);
  Plan head = ComputePlan(Policies(SensorPolicy("24 months") + kEvents), catalog, now);
  ASSERT_EQ(base.summary.held, 1);

  Plan diff = DiffPlans(base, head);
  ASSERT_EQ(diff.steps.size(), 1u);
  EXPECT_EQ(diff.steps[0].partition.name, "sensor_readings_y2024m10");
  EXPECT_EQ(diff.steps[0].action, Action::kDrop);
  EXPECT_EQ(diff.steps[0].status, StepStatus::kPlanned);
  ASSERT_EQ(diff.removed_steps.size(), 1u);
  EXPECT_EQ(diff.removed_steps[0].partition.name, "sensor_readings_y2024m10");
  EXPECT_EQ(diff.removed_steps[0].status, StepStatus::kHeld);
  EXPECT_EQ(diff.summary.drop, 1);
  EXPECT_EQ(diff.summary.held, 0);
}

TEST(DiffPlans, DuplicatesAreMatchedOneForOne) {
  Step a;
  a.table = {"public", "t"};
  a.partition = {"public", "t_p1"};
  Plan base, head;
  base.steps = {a};
  head.steps = {a, a};
  Plan diff = DiffPlans(base, head);
  EXPECT_EQ(diff.steps.size(), 1u);
  EXPECT_TRUE(diff.removed_steps.empty());
  EXPECT_EQ(diff.summary.create, 1);
  // A different statement is a different step.
  Step b = a;
  b.statements.push_back(Statement{"SELECT 1"});
  head.steps = {b};
  diff = DiffPlans(base, head);
  EXPECT_EQ(diff.steps.size(), 1u);
  EXPECT_EQ(diff.removed_steps.size(), 1u);
}

TEST(DiffPlans, ARemovedPolicyNamesTheTablesItStopsManaging) {
  Catalog catalog = TwoTables();
  const int64_t now = At("2026-10-15T12:00:00Z");
  Plan base = ComputePlan(Policies(SensorPolicy("24 months") + kEvents), catalog, now);
  Plan head = ComputePlan(Policies(SensorPolicy("24 months")), catalog, now);
  Plan diff = DiffPlans(base, head);
  ASSERT_EQ(diff.diagnostics.size(), 1u);
  EXPECT_EQ(diff.diagnostics[0].severity, Severity::kWarning);
  EXPECT_EQ(diff.diagnostics[0].message,
            "policy events is removed: pgpart stops managing public.events — no more partitions "
            "are made ahead for it and none is retired; its partitions stay as they are");
  // Taking a table out of a policy that stays, and moving one, are named too.
  Plan moved = ComputePlan(
      Policies(SensorPolicy("24 months") + R"(
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: events-v2}
spec:
  tables: [public.events]
  column: created_at
  interval: 1 month
  premake: 2
)"),
      catalog, now);
  diff = DiffPlans(base, moved);
  ASSERT_EQ(diff.diagnostics.size(), 1u);
  EXPECT_EQ(diff.diagnostics[0].message, "table public.events moves from policy events to policy "
                                         "events-v2");
  EXPECT_TRUE(DiffPlans(base, base).diagnostics.empty());
}

}  // namespace
}  // namespace pgpart
