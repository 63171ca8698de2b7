// The planner on fake catalogs with a fixed clock.

#include "plan/planner.h"

#include <gtest/gtest.h>

#include <functional>

#include "plan/simulate.h"
#include "plan_fixture.h"
#include "policy/loader.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddChild;
using ::pgpart::testing::AddDefault;
using ::pgpart::testing::AddHashChildren;
using ::pgpart::testing::AddMonths;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::Names;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;
using ::pgpart::testing::StepsOf;
using V = std::vector<std::string>;

constexpr char kSensor[] = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor-readings}
spec:
  tables: [public.sensor_readings]
  column: recorded_at
  interval: 1 month
  premake: 3
  retention: {keep: 24 months}
)";

Table Sensor() {
  Table t = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(t, "2024-09", 28);  // 2024-09 .. 2026-12
  return t;
}

TEST(Planner, PremakeAndRetentionOnMonthlyGrid) {
  Plan plan = ComputePlan(Policies(kSensor), CatalogOf({Sensor()}), At("2026-11-21T12:00:00Z"));
  ASSERT_TRUE(plan.diagnostics.empty()) << plan.diagnostics[0].Format();
  // Current 2026-11, premake 3 -> through 2027-02; 2026-12 exists.
  EXPECT_EQ(Names(StepsOf(plan, Action::kCreate)),
            (V{"sensor_readings_y2027m01", "sensor_readings_y2027m02"}));
  // Cutoff 2024-11-21: 2024-09 and 2024-10 end on or before it; 2024-11 does not.
  EXPECT_EQ(Names(StepsOf(plan, Action::kDrop)),
            (V{"sensor_readings_y2024m09", "sensor_readings_y2024m10"}));
  const Step create = StepsOf(plan, Action::kCreate)[0];
  EXPECT_EQ(create.from, "2027-01-01T00:00:00Z");
  EXPECT_EQ(create.to, "2027-02-01T00:00:00Z");
  EXPECT_EQ(create.reason, Reason::kPremake);
  ASSERT_EQ(create.statements.size(), 2u);
  EXPECT_NE(create.statements[0].sql.find("CREATE TABLE public.sensor_readings_y2027m01 (LIKE "
                                          "public.sensor_readings"),
            std::string::npos);
  EXPECT_EQ(create.statements[1].sql,
            "ALTER TABLE public.sensor_readings ATTACH PARTITION public.sensor_readings_y2027m01 "
            "FOR VALUES FROM ('2027-01-01 00:00:00+00') TO ('2027-02-01 00:00:00+00')");
  const Step drop = StepsOf(plan, Action::kDrop)[0];
  EXPECT_EQ(drop.reason, Reason::kRetention);
  EXPECT_EQ(drop.hazards, (std::vector<Hazard>{Hazard::kDeletesData, Hazard::kNonTransactional,
                                               Hazard::kBackupUnverified}));
  ASSERT_EQ(drop.statements.size(), 3u);  // mark, detach concurrently, drop
  EXPECT_NE(drop.statements[1].sql.find("DETACH PARTITION public.sensor_readings_y2024m09 "
                                        "CONCURRENTLY"),
            std::string::npos);
  EXPECT_FALSE(drop.statements[1].transactional);
  EXPECT_EQ(drop.statements[2].sql, "DROP TABLE public.sensor_readings_y2024m09");
  EXPECT_EQ(plan.summary.create, 2);
  EXPECT_EQ(plan.summary.drop, 2);
  EXPECT_EQ(plan.tables[0].partitions.covered_until, "2027-01-01T00:00:00Z");
  EXPECT_TRUE(plan.HasChanges());
}

TEST(Planner, StepsAreOrderedByPeriod) {
  Plan plan = ComputePlan(Policies(kSensor), CatalogOf({Sensor()}), At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(Names(plan.steps), (V{"sensor_readings_y2024m09", "sensor_readings_y2024m10",
                                  "sensor_readings_y2027m01", "sensor_readings_y2027m02"}));
}

TEST(Planner, ApplyingThePlanConvergesToAnEmptyPlan) {
  Catalog catalog = CatalogOf({Sensor()});
  const auto policies = Policies(kSensor);
  Plan plan = ComputePlan(policies, catalog, At("2026-11-21T12:00:00Z"));
  SimulateApply(plan, catalog);
  Plan again = ComputePlan(policies, catalog, At("2026-11-21T12:00:00Z"));
  EXPECT_FALSE(again.HasChanges()) << again.steps.size() << " steps left";
  EXPECT_NE(plan.catalog_hash, again.catalog_hash);
}

TEST(Planner, DeterministicRegardlessOfCatalogInsertionOrder) {
  Table t = Sensor();
  Table shuffled = t;
  std::reverse(shuffled.children.begin(), shuffled.children.end());
  Plan a = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  Plan b = ComputePlan(Policies(kSensor), CatalogOf({shuffled}), At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(a.steps, b.steps);
}

TEST(Planner, HoldByNameKeepsPartitionUntilItExpires) {
  std::string yaml = std::string(kSensor) + R"(
  holds:
    - partition: sensor_readings_y2024m10
      reason: "Legal hold LH-1142"
      until: 2027-01-01
)";
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({Sensor()}), At("2026-11-21T12:00:00Z"));
  auto drops = StepsOf(plan, Action::kDrop);
  ASSERT_EQ(drops.size(), 2u);
  EXPECT_EQ(drops[0].status, StepStatus::kPlanned);
  EXPECT_EQ(drops[1].status, StepStatus::kHeld);
  EXPECT_EQ(drops[1].held_by, "Legal hold LH-1142 (until 2027-01-01)");
  EXPECT_EQ(plan.summary.held, 1);
  EXPECT_EQ(plan.summary.drop, 1);

  Plan later = ComputePlan(Policies(yaml), CatalogOf({Sensor()}), At("2027-01-02T00:00:00Z"));
  for (const Step& s : StepsOf(later, Action::kDrop)) EXPECT_EQ(s.status, StepStatus::kPlanned);
}

TEST(Planner, HoldByRangeCoversEveryOverlappingPartition) {
  std::string yaml = std::string(kSensor) + R"(
  holds:
    - from: 2024-09-15
      to: 2024-10-02
      reason: "Audit 2024"
)";
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({Sensor()}), At("2026-11-21T12:00:00Z"));
  for (const Step& s : StepsOf(plan, Action::kDrop)) {
    EXPECT_EQ(s.status, StepStatus::kHeld) << s.partition.name;
  }
  EXPECT_FALSE(plan.HasChanges() && plan.summary.drop > 0);
}

TEST(Planner, OnlyHeldStepsAreNoChange) {
  Table t = Sensor();
  std::string clean = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor-readings}
spec:
  tables: [public.sensor_readings]
  interval: 1 month
  premake: 1
  retention: {keep: 24 months}
  holds:
    - {from: 2000-01-01, to: 2025-01-01, reason: "keep all old data"}
)";
  Plan plan = ComputePlan(Policies(clean), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(plan.summary.held, 2);
  EXPECT_FALSE(plan.HasChanges());
}

TEST(Planner, MaxDropsPerRunBlocksTheRestAndSaysHowToRaiseIt) {
  std::string yaml = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor-readings}
spec:
  tables: [sensor_readings]
  interval: 1 month
  retention: {keep: 12 months, maxDropsPerRun: 3}
)";
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({Sensor()}), At("2026-11-21T12:00:00Z"));
  auto drops = StepsOf(plan, Action::kDrop);
  ASSERT_EQ(drops.size(), 14u);  // 2024-09 .. 2025-10
  EXPECT_EQ(plan.summary.drop, 3);
  EXPECT_EQ(plan.summary.blocked, 11);
  EXPECT_EQ(drops[0].status, StepStatus::kPlanned);
  EXPECT_EQ(drops[3].status, StepStatus::kBlocked);
  EXPECT_NE(drops[3].blocked_by.find("--max-drops"), std::string::npos);

  PlanOptions options;
  options.max_drops = 20;
  Plan more =
      ComputePlan(Policies(yaml), CatalogOf({Sensor()}), At("2026-11-21T12:00:00Z"), options);
  EXPECT_EQ(more.summary.drop, 14);
  EXPECT_EQ(more.summary.blocked, 0);
}

TEST(Planner, DetachAndArchiveActions) {
  std::string yaml = R"(
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
metadata: {name: archive}
spec:
  tables: [ledger]
  interval: 1 month
  premake: 2
  retention: {keep: 12 months, action: archive, archiveSchema: cold}
)";
  Table tx = RangeTable("transactions", "created_at", KeyType::kTimestampTz);
  AddMonths(tx, "2025-09", 16);
  Table ledger = RangeTable("ledger", "created_at", KeyType::kTimestampTz);
  AddMonths(ledger, "2025-10", 15);
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({tx, ledger}), At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(Names(StepsOf(plan, Action::kDetach)),
            (V{"transactions_y2025m09", "transactions_y2025m10"}));
  auto archive = StepsOf(plan, Action::kArchive);
  ASSERT_EQ(archive.size(), 1u);
  EXPECT_EQ(archive[0].partition.name, "ledger_y2025m10");
  // Move first, then mark (the leftover it becomes) and detach (crash-safe order).
  ASSERT_EQ(archive[0].statements.size(), 4u);
  EXPECT_EQ(archive[0].statements[0].sql, "CREATE SCHEMA IF NOT EXISTS cold");
  EXPECT_EQ(archive[0].statements[1].sql, "ALTER TABLE public.ledger_y2025m10 SET SCHEMA cold");
  EXPECT_EQ(archive[0].statements[2].sql.rfind(
                "COMMENT ON TABLE cold.ledger_y2025m10 IS 'pgpart:detached public.ledger [", 0),
            0u);
  EXPECT_EQ(archive[0].statements[3].sql,
            "ALTER TABLE public.ledger DETACH PARTITION cold.ledger_y2025m10 CONCURRENTLY");

  // After a crash between the move and the detach, the next plan only detaches.
  Table moved = ledger;
  moved.children[0].name.schema = "cold";
  Plan resumed = ComputePlan(Policies(yaml), CatalogOf({tx, moved}), At("2026-11-21T12:00:00Z"));
  auto again = StepsOf(resumed, Action::kArchive);
  ASSERT_EQ(again.size(), 1u);
  ASSERT_EQ(again[0].statements.size(), 2u);  // mark, detach
  EXPECT_NE(again[0].statements[1].sql.find("DETACH PARTITION cold.ledger_y2025m10"),
            std::string::npos);
  EXPECT_EQ(plan.summary.detach, 2);
  EXPECT_EQ(plan.summary.archive, 1);
  for (const Step& s : plan.steps) {
    if (s.action == Action::kDetach) {
      EXPECT_NE(std::find(s.hazards.begin(), s.hazards.end(), Hazard::kDetachesData),
                s.hazards.end());
    }
  }
}

TEST(Planner, DefaultPartitionIsCreatedAndDrainedIntoNewPeriods) {
  std::string yaml = std::string(kSensor) + "  defaultPartition: true\n";
  Table t = Sensor();
  Plan first = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  auto defaults = StepsOf(first, Action::kCreateDefault);
  ASSERT_EQ(defaults.size(), 1u);
  EXPECT_EQ(defaults[0].partition.name, "sensor_readings_default");
  EXPECT_EQ(first.steps[0].action, Action::kCreateDefault);  // before anything is attached
  // Once a default exists, concurrent detach is not allowed: the drop uses a plain detach.
  auto drop = StepsOf(first, Action::kDrop)[0];
  EXPECT_TRUE(drop.statements[0].transactional);
  EXPECT_EQ(drop.statements[0].sql.find("CONCURRENTLY"), std::string::npos);

  AddDefault(t, 15);
  t.default_buckets.push_back(
      DefaultBucket{*ParseBoundText(KeyType::kTimestampTz, "2027-01-01T00:00:00Z"),
                    *ParseBoundText(KeyType::kTimestampTz, "2027-02-01T00:00:00Z"), 12});
  t.default_buckets.push_back(
      DefaultBucket{*ParseBoundText(KeyType::kTimestampTz, "2030-01-01T00:00:00Z"),
                    *ParseBoundText(KeyType::kTimestampTz, "2030-02-01T00:00:00Z"), 3});
  Catalog catalog = CatalogOf({t});
  Plan plan = ComputePlan(Policies(yaml), catalog, At("2026-11-21T12:00:00Z"));
  auto drains = StepsOf(plan, Action::kDrainDefault);
  ASSERT_EQ(drains.size(), 1u);
  EXPECT_EQ(drains[0].partition.name, "sensor_readings_y2027m01");
  EXPECT_EQ(drains[0].rows_estimate, 12);
  EXPECT_EQ(drains[0].hazards[0], Hazard::kRewritesRows);
  // The create of that period does not attach: the drain step moves the rows, then attaches.
  auto creates = StepsOf(plan, Action::kCreate);
  EXPECT_EQ(creates[0].statements.size(), 1u);
  EXPECT_EQ(drains[0].statements.back().sql.find("ALTER TABLE public.sensor_readings ATTACH"), 0u);
  // Writers are kept out of the parent first (issue 10.2), then rows move by column name
  // (issue 10.1), then the attach.
  ASSERT_EQ(drains[0].statements.size(), 3u);
  EXPECT_EQ(drains[0].statements[0].sql,
            "LOCK TABLE ONLY public.sensor_readings IN SHARE ROW EXCLUSIVE MODE");
  EXPECT_EQ(drains[0].statements[1].sql,
            "WITH moved AS (DELETE FROM ONLY public.sensor_readings_default WHERE recorded_at >= "
            "'2027-01-01 00:00:00+00' AND recorded_at < '2027-02-01 00:00:00+00' RETURNING "
            "recorded_at, payload) INSERT INTO public.sensor_readings_y2027m01 (recorded_at, "
            "payload) SELECT recorded_at, payload FROM moved");
  // A plain create on a table with a default partition locks writers out for its attach too.
  EXPECT_EQ(creates[1].statements.size(), 3u);
  EXPECT_EQ(creates[1].statements[1].sql,
            "LOCK TABLE ONLY public.sensor_readings IN SHARE ROW EXCLUSIVE MODE");
  EXPECT_EQ(plan.summary.drain, 1);
  EXPECT_EQ(plan.tables[0].partitions.default_rows, 15);

  SimulateApply(plan, catalog);
  Plan again = ComputePlan(Policies(yaml), catalog, At("2026-11-21T12:00:00Z"));
  EXPECT_FALSE(again.HasChanges());
}

TEST(Planner, UnknownDefaultRowPeriodsBlockCreatesInsteadOfGuessing) {
  std::string yaml = std::string(kSensor) + "  defaultPartition: true\n";
  Table t = Sensor();
  AddDefault(t, 5);
  t.default_buckets_known = false;  // e.g. a snapshot taken without -f
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  auto creates = StepsOf(plan, Action::kCreate);
  ASSERT_EQ(creates.size(), 2u);
  for (const Step& s : creates) {
    EXPECT_EQ(s.status, StepStatus::kBlocked);
    EXPECT_NE(s.blocked_by.find("not counted"), std::string::npos);
  }
  int warnings = 0;
  for (const Diagnostic& d : plan.diagnostics) warnings += d.severity == Severity::kWarning;
  EXPECT_EQ(warnings, 1);
  EXPECT_FALSE(HasErrors(plan.diagnostics));
}

TEST(Planner, CreatesOutsideTheCountedWindowOfTheDefaultWait) {
  std::string yaml = std::string(kSensor) + "  defaultPartition: true\n";
  Table t = Sensor();
  AddDefault(t, 8);  // 5 counted in 2027-01, 3 far away (uncounted)
  t.default_buckets.push_back(
      DefaultBucket{*ParseBoundText(KeyType::kTimestampTz, "2027-01-01T00:00:00Z"),
                    *ParseBoundText(KeyType::kTimestampTz, "2027-02-01T00:00:00Z"), 5});
  t.default_counted_from = *ParseBoundText(KeyType::kTimestampTz, "2026-12-01T00:00:00Z");
  t.default_counted_to = *ParseBoundText(KeyType::kTimestampTz, "2027-02-01T00:00:00Z");
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  auto creates = StepsOf(plan, Action::kCreate);
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(creates[0].status, StepStatus::kPlanned);  // 2027-01: counted, drained
  EXPECT_EQ(StepsOf(plan, Action::kDrainDefault).at(0).rows_estimate, 5);
  EXPECT_EQ(creates[1].status, StepStatus::kBlocked);  // 2027-02: outside the window
  EXPECT_NE(creates[1].blocked_by.find("outside the periods that were counted"), std::string::npos);
}

TEST(Planner, ALockedTableIsShownButBlocked) {
  Table t = Sensor();
  t.locked_by = "process 4242 holds an ACCESS EXCLUSIVE lock on public.sensor_readings";
  Plan plan = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  ASSERT_FALSE(plan.steps.empty());
  for (const Step& s : plan.steps) {
    EXPECT_EQ(s.status, StepStatus::kBlocked);
    EXPECT_NE(s.blocked_by.find("process 4242"), std::string::npos);
  }
  EXPECT_EQ(plan.summary.blocked, static_cast<int>(plan.steps.size()));
  EXPECT_EQ(CatalogHash(CatalogOf({t})), CatalogHash(CatalogOf({Sensor()})));
}

TEST(Planner, UnmanagedChildrenAreNeverCreatedOverAndReportedAsDrift) {
  Table t = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(t, "2026-10", 2);
  // An off-grid child covering half of December and half of January.
  AddChild(t, "legacy_winter", "2026-12-15T00:00:00Z", "2027-01-15T00:00:00Z");
  Plan plan = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  // Never created over; the halves it leaves get bridge partitions (issue 13: before, they were
  // left to the default partition, or to "no partition found" errors).
  auto creates = StepsOf(plan, Action::kCreate);
  EXPECT_EQ(Names(creates), (V{"sensor_readings_y2026m12_from_20261201",
                               "sensor_readings_y2027m01_from_20270115",
                               "sensor_readings_y2027m02"}));
  EXPECT_EQ(creates[0].from, "2026-12-01T00:00:00Z");
  EXPECT_EQ(creates[0].to, "2026-12-15T00:00:00Z");
  EXPECT_EQ(creates[1].from, "2027-01-15T00:00:00Z");
  EXPECT_EQ(creates[1].to, "2027-02-01T00:00:00Z");
  bool reported = false;
  for (const std::string& d : plan.tables[0].drift) {
    if (d.find("legacy_winter") != std::string::npos && d.find("unmanaged") != std::string::npos) {
      reported = true;
    }
  }
  EXPECT_TRUE(reported);
}

TEST(Planner, UnmanagedChildIsDroppedOnlyWhenWhollyExpired) {
  Table t = Sensor();
  AddChild(t, "legacy_2020", "2020-01-01T00:00:00Z", "2024-09-01T00:00:00Z");
  Plan plan = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  auto drops = Names(StepsOf(plan, Action::kDrop));
  EXPECT_EQ(drops.front(), "legacy_2020");
  // Expired exactly when its real upper bound (2024-09-01) <= now - 24 months.
  Plan boundary = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-09-01T00:00:00Z"));
  EXPECT_EQ(Names(StepsOf(boundary, Action::kDrop)), (V{"legacy_2020"}));
  Plan before = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-08-31T23:59:59Z"));
  EXPECT_TRUE(StepsOf(before, Action::kDrop).empty());
}

// Issue 12.9: a name alone is no reason to warn — the partition is on the grid and managed.
TEST(Planner, NameThatDiffersFromTemplateIsANoteNotDriftNorRename) {
  Table t = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(t, "2026-11", 4);
  t.children[0].name.name = "sensor_readings_nov";
  Plan plan = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  EXPECT_FALSE(plan.HasChanges());
  EXPECT_TRUE(plan.tables[0].drift.empty()) << ::testing::PrintToString(plan.tables[0].drift);
  ASSERT_EQ(plan.tables[0].notes.size(), 1u);
  EXPECT_NE(plan.tables[0].notes[0].find("sensor_readings_y2026m11"), std::string::npos);
}

// Issue 12.9: hand-made quarterly partitions off a monthly grid are drift (a warning) unless the
// policy adopts them, by name or by range; adopted, they are notes and nothing is created over
// them.
TEST(Planner, AdoptedOffGridPartitionsAreNotesNotDrift) {
  Table t = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddChild(t, "sr_2026q3", "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z");
  AddChild(t, "sr_manual", "2026-10-01T00:00:00Z", "2026-10-20T00:00:00Z");
  AddMonths(t, "2026-11", 4);
  const int64_t now = At("2026-11-21T12:00:00Z");
  Plan loose = ComputePlan(Policies(kSensor), CatalogOf({t}), now);
  EXPECT_EQ(loose.tables[0].drift.size(), 2u) << ::testing::PrintToString(loose.tables[0].drift);
  const std::string adopt = std::string(kSensor) +
                            "  adopt:\n    - {from: 2026-07-01, to: 2026-10-01}\n"
                            "    - partition: sr_manual\n";
  Plan plan = ComputePlan(Policies(adopt), CatalogOf({t}), now);
  EXPECT_TRUE(plan.tables[0].drift.empty()) << ::testing::PrintToString(plan.tables[0].drift);
  ASSERT_EQ(plan.tables[0].notes.size(), 2u);
  EXPECT_NE(plan.tables[0].notes[0].find("sr_2026q3"), std::string::npos);
  EXPECT_NE(plan.tables[0].notes[0].find("adopted"), std::string::npos);
  EXPECT_EQ(Names(StepsOf(plan, Action::kCreate)), Names(StepsOf(loose, Action::kCreate)));
  // A range that holds only part of a partition does not adopt it.
  Plan partial = ComputePlan(
      Policies(std::string(kSensor) + "  adopt:\n    - {from: 2026-08-01, to: 2026-10-01}\n"),
      CatalogOf({t}), now);
  EXPECT_EQ(partial.tables[0].drift.size(), 2u);
}

// Issue 15: retention leaves adopted partitions alone, as their note says ("adopted: left as it
// is"), and as spec.adopt promises; an off-grid partition that is not adopted is still retired on
// its real bounds.
TEST(Planner, AdoptedPartitionsPastRetentionAreNotRetired) {
  Table t = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddChild(t, "sr_2024q1", "2024-01-01T00:00:00Z", "2024-04-01T00:00:00Z");
  AddChild(t, "sr_2024q2", "2024-04-01T00:00:00Z", "2024-07-01T00:00:00Z");
  AddChild(t, "sr_manual", "2024-07-01T00:00:00Z", "2024-07-20T00:00:00Z");
  AddMonths(t, "2026-11", 4);
  const std::string adopt = std::string(kSensor) +
                            "  adopt:\n    - {from: 2024-01-01, to: 2024-04-01}\n"
                            "    - partition: sr_manual\n";
  // keep 24 months at 2026-11-21: all three end before the cutoff 2024-11-21.
  Plan plan = ComputePlan(Policies(adopt), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(Names(StepsOf(plan, Action::kDrop)), (V{"sr_2024q2"}));
  // Detach and archive leave them alone too.
  std::string detach = adopt;
  detach.replace(detach.find("{keep: 24 months}"), 17, "{keep: 24 months, action: detach}");
  plan = ComputePlan(Policies(detach), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(Names(StepsOf(plan, Action::kDetach)), (V{"sr_2024q2"}));
}

// Issue 12.4: what a new partition takes from the newest one reaches the SQL only as a name and a
// quoted literal (a snapshot is input), and an index definition that could end the statement is
// left out.
TEST(Planner, TemplateStorageParametersAndIndexesCannotCarryOtherSql) {
  Table t = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(t, "2026-11", 1);
  t.storage_known = true;
  Child& tpl = t.children.back();
  tpl.reloptions = {"fillfactor=70'); DROP TABLE x; --", "bad name=1"};
  tpl.local_indexes = {{true, "btree (id)"}, {false, "btree (ts); DROP TABLE x"}};
  tpl.access_method = "heap";
  Plan plan = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  std::vector<Step> creates = StepsOf(plan, Action::kCreate);
  ASSERT_FALSE(creates.empty());
  std::vector<std::string> sql;
  for (const Statement& st : creates[0].statements) sql.push_back(st.sql);
  EXPECT_EQ(sql[0],
            "CREATE TABLE public.sensor_readings_y2026m12 (LIKE public.sensor_readings INCLUDING "
            "DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING "
            "GENERATED) WITH (fillfactor = '70''); DROP TABLE x; --')");
  ASSERT_GE(sql.size(), 3u);
  EXPECT_EQ(sql[1], "CREATE UNIQUE INDEX ON public.sensor_readings_y2026m12 USING btree (id)");
  for (const std::string& s : sql) EXPECT_EQ(s.find("btree (ts)"), std::string::npos) << s;
}

TEST(Planner, StartBackfillsAndFillsGaps) {
  std::string yaml = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: revenues}
spec:
  tables: [revenues]
  interval: 1 month
  premake: 1
  start: 2026-06-01
)";
  Table t = RangeTable("revenues", "occurred_at", KeyType::kTimestampTz);
  AddMonths(t, "2026-08", 1);
  AddMonths(t, "2026-11", 1);
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(Names(StepsOf(plan, Action::kCreate)),
            (V{"revenues_y2026m06", "revenues_y2026m07", "revenues_y2026m09", "revenues_y2026m10",
               "revenues_y2026m12"}));
  EXPECT_EQ(plan.steps[0].reason, Reason::kBackfill);
  EXPECT_EQ(plan.steps.back().reason, Reason::kPremake);

  // Without start, gaps between the oldest managed child and now are filled too.
  std::string no_start = yaml.substr(0, yaml.find("  start:"));
  Plan gaps = ComputePlan(Policies(no_start), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(Names(StepsOf(gaps, Action::kCreate)),
            (V{"revenues_y2026m09", "revenues_y2026m10", "revenues_y2026m12"}));
}

TEST(Planner, IntegerKeysUseMaxKeyAsNow) {
  std::string yaml = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: events}
spec:
  tables: [events]
  interval: 1000000
  premake: 2
  retention: {keep: 2500000}
)";
  Table t = RangeTable("events", "id", KeyType::kBigInt);
  for (int i = 0; i < 4; ++i) {
    AddChild(t, "events_p" + std::to_string(i * 1000000), std::to_string(i * 1000000),
             std::to_string((i + 1) * 1000000));
  }
  t.max_key = 3'500'000;
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(Names(StepsOf(plan, Action::kCreate)), (V{"events_p4000000", "events_p5000000"}));
  // now - keep = 1_000_000: [0, 1M) expired.
  EXPECT_EQ(Names(StepsOf(plan, Action::kDrop)), (V{"events_p0"}));
  EXPECT_EQ(StepsOf(plan, Action::kCreate)[0].statements[1].sql,
            "ALTER TABLE public.events ATTACH PARTITION public.events_p4000000 FOR VALUES FROM "
            "(4000000) TO (5000000)");

  t.max_key.reset();  // empty table: premake from the first period, no retention
  Plan empty = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  EXPECT_TRUE(StepsOf(empty, Action::kDrop).empty());
}

TEST(Planner, HashCreatesMissingRemaindersAndBlocksOnModulusDrift) {
  std::string yaml = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: balances}
spec:
  tables: [daily_cash_balances]
  strategy: hash
  column: org_id
  modulus: 16
)";
  Table t = testing::HashTable("daily_cash_balances", "org_id");
  Plan empty = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  ASSERT_EQ(StepsOf(empty, Action::kCreate).size(), 16u);
  EXPECT_EQ(empty.steps[15].partition.name, "daily_cash_balances_h15");
  EXPECT_EQ(empty.steps[15].statements[1].sql,
            "ALTER TABLE public.daily_cash_balances ATTACH PARTITION "
            "public.daily_cash_balances_h15 FOR VALUES WITH (MODULUS 16, REMAINDER 15)");
  Catalog catalog = CatalogOf({t});
  SimulateApply(empty, catalog);
  EXPECT_FALSE(ComputePlan(Policies(yaml), catalog, At("2026-11-21T12:00:00Z")).HasChanges());

  Table eight = testing::HashTable("daily_cash_balances", "org_id");
  AddHashChildren(eight, 8);
  Plan drift = ComputePlan(Policies(yaml), CatalogOf({eight}), At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(drift.summary.create, 0);
  EXPECT_EQ(drift.summary.blocked, 8);  // h8..h15; h0..h7 exist under the other modulus
  EXPECT_TRUE(drift.HasChanges());
  EXPECT_NE(drift.tables[0].drift[0].find("modulus 8"), std::string::npos);
}

TEST(Planner, InterruptedConcurrentDetachIsFinalizedFirst) {
  std::string yaml = std::string(kSensor);
  Table t = Sensor();
  t.children[0].detach_pending = true;  // 2024-09, also expired
  Catalog catalog = CatalogOf({t});
  Plan plan = ComputePlan(Policies(yaml), catalog, At("2026-11-21T12:00:00Z"));
  ASSERT_GE(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].action, Action::kFinalizeDetach);
  EXPECT_EQ(plan.steps[0].reason, Reason::kRecovery);
  EXPECT_EQ(plan.steps[0].statements[0].sql,
            "ALTER TABLE public.sensor_readings DETACH PARTITION public.sensor_readings_y2024m09 "
            "FINALIZE");
  // Its drop then only drops the (already detached) table.
  auto drops = StepsOf(plan, Action::kDrop);
  EXPECT_EQ(drops[0].statements.size(), 1u);
  EXPECT_EQ(drops[0].statements[0].sql, "DROP TABLE public.sensor_readings_y2024m09");
}

TEST(Planner, ConcurrentDropMarksThePartitionBeforeDetaching) {
  Table t = Sensor();
  t.children[0].oid = 16423;
  Plan plan = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  const Step drop = StepsOf(plan, Action::kDrop)[0];
  ASSERT_EQ(drop.statements.size(), 3u);
  // With its bounds (the recovery drop's gate needs them) and its oid (only it may be dropped).
  EXPECT_EQ(drop.statements[0].sql,
            "COMMENT ON TABLE public.sensor_readings_y2024m09 IS 'pgpart:drop "
            "public.sensor_readings [2024-09-01T00:00:00Z, 2024-10-01T00:00:00Z) oid 16423'");
  // The oid is no structure: the catalog hash does not change with it.
  EXPECT_EQ(plan.catalog_hash,
            ComputePlan(Policies(kSensor), CatalogOf({Sensor()}), At("2026-11-21T12:00:00Z"))
                .catalog_hash);
  EXPECT_TRUE(drop.statements[0].transactional);
  EXPECT_FALSE(drop.statements[1].transactional);
  EXPECT_EQ(drop.statements[2].sql, "DROP TABLE public.sensor_readings_y2024m09");
}

// What an interrupted run leaves: sensor_readings_y2024m08 detached, marked with its own oid.
Child Marked() {
  Child orphan;
  orphan.name = {"public", "sensor_readings_y2024m08"};
  orphan.from = *ParseBoundText(KeyType::kTimestampTz, "2024-08-01T00:00:00Z");
  orphan.to = *ParseBoundText(KeyType::kTimestampTz, "2024-09-01T00:00:00Z");
  orphan.oid = 16500;
  orphan.marker_oid = 16500;
  return orphan;
}

TEST(Planner, TablesDetachedForDropByAnInterruptedRunAreDropped) {
  Table t = Sensor();
  t.detached_for_drop.push_back(Marked());
  Catalog catalog = CatalogOf({t});
  Plan plan = ComputePlan(Policies(kSensor), catalog, At("2026-11-21T12:00:00Z"));
  ASSERT_FALSE(plan.steps.empty());
  EXPECT_EQ(plan.steps[0].action, Action::kDrop);
  EXPECT_EQ(plan.steps[0].reason, Reason::kRecovery);
  EXPECT_EQ(plan.steps[0].partition.name, "sensor_readings_y2024m08");
  EXPECT_EQ(plan.steps[0].statements.size(), 1u);
  EXPECT_EQ(plan.steps[0].to, "2024-09-01T00:00:00Z");  // its gate needs the bounds
  EXPECT_NE(CatalogHash(catalog), CatalogHash(CatalogOf({Sensor()})));

  // A policy that no longer drops leaves it alone and says so.
  std::string detach = std::string(kSensor);
  detach.replace(detach.find("{keep: 24 months}"), 17, "{keep: 24 months, action: detach}");
  Plan kept = ComputePlan(Policies(detach), catalog, At("2026-11-21T12:00:00Z"));
  for (const Step& s : kept.steps) EXPECT_NE(s.partition.name, "sensor_readings_y2024m08");
}

// A drop marker drops only the table pgpart set it on, past retention: every other table carrying
// one (a copied comment, a restore, a marker on a partitioned table...) is reported, not dropped.
TEST(Planner, TablesCarryingAMarkerPgpartDidNotSetAreReportedNotDropped) {
  struct Case {
    const char* name;
    std::function<void(Child&)> change;
    const char* why;
  };
  const std::vector<Case> cases{
      {"no oid in the marker", [](Child& c) { c.marker_oid = 0; }, "names no table oid"},
      {"another table's oid (a copy, a restore)", [](Child& c) { c.oid = 17001; },
       "set on the table with oid 16500, not on this one (oid 17001)"},
      {"a partitioned table", [](Child& c) { c.sub_partitioned = true; },
       "it is a partitioned table"},
      {"another schema", [](Child& c) { c.name.schema = "restore"; }, "not in schema public"},
      {"another name", [](Child& c) { c.name.name = "customers_investigation"; },
       "its name is not sensor_readings_y2024m08, the naming template's for [2024-08-01"},
      {"no bounds",
       [](Child& c) {
         c.from = Bound::Min();
         c.to = Bound::Max();
       },
       "its marker has no bounds"},
      {"bounds off the grid",
       [](Child& c) { c.from = *ParseBoundText(KeyType::kTimestampTz, "2024-08-15T00:00:00Z"); },
       "are not a period of the policy's grid"},
      {"not past retention",
       [](Child& c) {
         c.name.name = "sensor_readings_y2025m08";
         c.from = *ParseBoundText(KeyType::kTimestampTz, "2025-08-01T00:00:00Z");
         c.to = *ParseBoundText(KeyType::kTimestampTz, "2025-09-01T00:00:00Z");
       },
       "are not past retention (keep 24 months)"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    Table t = Sensor();
    Child orphan = Marked();
    k.change(orphan);
    t.detached_for_drop.push_back(orphan);
    Plan plan = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
    for (const Step& s : plan.steps) {
      EXPECT_NE(s.partition, orphan.name) << ActionName(s.action);
      EXPECT_NE(s.reason, Reason::kRecovery);
    }
    ASSERT_EQ(plan.tables.size(), 1u);
    bool reported = false;
    for (const std::string& d : plan.tables[0].drift) {
      if (d.find(orphan.name.Sql() + " carries a pgpart drop marker") != std::string::npos &&
          d.find(k.why) != std::string::npos && d.ends_with("; not dropped")) {
        reported = true;
      }
    }
    EXPECT_TRUE(reported) << ::testing::PrintToString(plan.tables[0].drift);
  }
}

// A marked table that is left alone keeps its name: a create of that name is blocked, not failed.
TEST(Planner, ACreateNamedLikeAMarkedTableIsBlocked) {
  Table t = Sensor();
  Child orphan = Marked();
  orphan.name.name = "sensor_readings_y2027m01";
  orphan.from = *ParseBoundText(KeyType::kTimestampTz, "2027-01-01T00:00:00Z");
  orphan.to = *ParseBoundText(KeyType::kTimestampTz, "2027-02-01T00:00:00Z");
  t.detached_for_drop.push_back(orphan);
  Plan plan = ComputePlan(Policies(kSensor), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  const Step create = StepsOf(plan, Action::kCreate)[0];
  EXPECT_EQ(create.partition.name, "sensor_readings_y2027m01");
  EXPECT_EQ(create.status, StepStatus::kBlocked);
  EXPECT_NE(create.blocked_by.find("pgpart drop marker"), std::string::npos) << create.blocked_by;
}

TEST(Planner, DstCorrectDailyBoundariesInBerlin) {
  std::string yaml = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: clicks}
spec:
  tables: [clicks]
  interval: 1 day
  timeZone: Europe/Berlin
  premake: 2
)";
  Table t = RangeTable("clicks", "at", KeyType::kTimestampTz);
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-10-24T12:00:00Z"));
  auto creates = StepsOf(plan, Action::kCreate);
  ASSERT_EQ(creates.size(), 3u);
  EXPECT_EQ(creates[0].partition.name, "clicks_y2026m10d24");
  EXPECT_EQ(creates[0].from, "2026-10-23T22:00:00Z");  // CEST midnight
  EXPECT_EQ(creates[1].from, "2026-10-24T22:00:00Z");
  EXPECT_EQ(creates[2].from, "2026-10-25T23:00:00Z");  // after the switch to CET: a 25 h day
}

TEST(Planner, RepeatedLocalHourNameIsAnErrorNotASilentSkip) {
  std::string yaml = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: hits}
spec:
  tables: [hits]
  interval: 1 hour
  timeZone: Europe/Berlin
  premake: 4
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: other}
spec:
  tables: [other]
  interval: 1 month
  premake: 1
)";
  PolicySet set = ParsePolicies(yaml, "test.yaml");  // lint refuses; the planner defends anyway
  ASSERT_EQ(set.policies.size(), 2u);
  Table t = RangeTable("hits", "at", KeyType::kTimestampTz);
  Table other = RangeTable("other", "at", KeyType::kTimestampTz);
  // 2026-10-25 00:30 UTC = 02:30 CEST; 01:00 UTC = 02:00 CET again.
  Plan plan = ComputePlan(set.policies, CatalogOf({t, other}), At("2026-10-25T00:30:00Z"));
  ASSERT_TRUE(HasErrors(plan.diagnostics));
  EXPECT_EQ(plan.diagnostics[0].path, "spec.naming");
  EXPECT_NE(plan.diagnostics[0].message.find("hits_y2026m10d25h02"), std::string::npos);
  // Issue 10.7: the table that cannot be planned gets no steps at all; the other table does.
  for (const Step& s : plan.steps) EXPECT_EQ(s.table.name, "other") << s.partition.Sql();
  EXPECT_EQ(plan.steps.size(), 2u);
}

TEST(Planner, UtcHourInTheTemplateCoversTheRepeatedHourWithoutAGap) {
  std::string yaml = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: hits}
spec:
  tables: [hits]
  interval: 1 hour
  timeZone: America/New_York
  naming: "{parent}_{YYYY}{MM}{DD}h{HH}u{UTCHH}"
  premake: 6
)";
  PolicySet set = ParsePolicies(yaml, "test.yaml");
  ASSERT_FALSE(HasErrors(set.diagnostics));
  Table t = RangeTable("hits", "at", KeyType::kTimestampTz);
  // 2026-11-01 05:30 UTC = 01:30 EDT; at 06:00 UTC clocks go back to 01:00 EST.
  Plan plan = ComputePlan(set.policies, CatalogOf({t}), At("2026-11-01T04:30:00Z"));
  ASSERT_FALSE(HasErrors(plan.diagnostics)) << plan.diagnostics[0].Format();
  const auto creates = StepsOf(plan, Action::kCreate);
  ASSERT_EQ(creates.size(), 7u);
  EXPECT_EQ(Names(creates), (V{"hits_20261101h00u04", "hits_20261101h01u05", "hits_20261101h01u06",
                               "hits_20261101h02u07", "hits_20261101h03u08", "hits_20261101h04u09",
                               "hits_20261101h05u10"}));
  for (size_t i = 1; i < creates.size(); ++i) {
    EXPECT_EQ(creates[i].from, creates[i - 1].to) << "gap before " << creates[i].partition.Sql();
  }
}

TEST(Planner, TableProblemsAreDiagnosticsPointingAtThePolicy) {
  std::string yaml = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: mixed}
spec:
  tables: [missing_table, plain_table, sensor_readings]
  column: created_at
  interval: 1 month
)";
  Table plain;
  plain.name = {"public", "plain_table"};
  plain.exists = true;
  Table missing;
  missing.name = {"public", "missing_table"};
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({plain, missing, Sensor()}),
                          At("2026-11-21T12:00:00Z"));
  ASSERT_EQ(plan.diagnostics.size(), 3u);
  EXPECT_EQ(plan.diagnostics[0].path, "spec.tables[0]");
  EXPECT_NE(plan.diagnostics[0].message.find("does not exist"), std::string::npos);
  EXPECT_EQ(plan.diagnostics[0].location.file, "test.yaml");
  EXPECT_GT(plan.diagnostics[0].location.line, 0);
  EXPECT_NE(plan.diagnostics[1].message.find("not partitioned"), std::string::npos);
  EXPECT_EQ(plan.diagnostics[2].path, "spec.column");
  EXPECT_NE(plan.diagnostics[2].message.find("recorded_at"), std::string::npos);
  EXPECT_TRUE(plan.steps.empty());
}

TEST(Planner, UnitThatDoesNotFitTheKeyTypeIsAnError) {
  std::string yaml = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: days}
spec:
  tables: [by_day]
  interval: 1 hour
)";
  Table t = RangeTable("by_day", "day", KeyType::kDate);
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  ASSERT_EQ(plan.diagnostics.size(), 1u);
  EXPECT_EQ(plan.diagnostics[0].path, "spec.interval");
}

TEST(Planner, KeepMustMatchTheKeyKind) {
  // The loader rejects an integer keep next to a time interval; the planner defends anyway.
  auto policies = Policies(kSensor);
  policies[0].retention->keep = Interval{5000, Unit::kInteger};
  Plan plan = ComputePlan(policies, CatalogOf({Sensor()}), At("2026-11-21T12:00:00Z"));
  ASSERT_EQ(plan.diagnostics.size(), 1u);
  EXPECT_EQ(plan.diagnostics[0].path, "spec.retention.keep");
  EXPECT_TRUE(plan.steps.empty());
}

TEST(Planner, DateAndTimestampKeysUseLocalCalendar) {
  std::string yaml = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: local}
spec:
  tables: [by_date, by_ts]
  interval: 1 week
  timeZone: America/New_York
  premake: 1
)";
  Table d = RangeTable("by_date", "day", KeyType::kDate);
  Table ts = RangeTable("by_ts", "at", KeyType::kTimestamp);
  // 2026-11-23T03:00Z is still Sunday 22nd in New York: the current ISO week is 2026-W47.
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({d, ts}), At("2026-11-23T03:00:00Z"));
  auto creates = StepsOf(plan, Action::kCreate);
  ASSERT_EQ(creates.size(), 4u);
  EXPECT_EQ(creates[0].partition.name, "by_date_y2026w47");
  EXPECT_EQ(creates[0].from, "2026-11-16");
  EXPECT_EQ(creates[0].to, "2026-11-23");
  EXPECT_EQ(creates[0].statements[1].sql.find("FOR VALUES FROM ('2026-11-16') TO ('2026-11-23')") !=
                std::string::npos,
            true);
  EXPECT_EQ(creates[2].partition.name, "by_ts_y2026w47");
  EXPECT_EQ(creates[2].from, "2026-11-16T00:00:00");
}

TEST(Planner, CatalogHashCoversStructureNotSizes) {
  Table t = Sensor();
  Catalog a = CatalogOf({t});
  t.children[3].rows_estimate = 987654;
  t.children[3].bytes = 1 << 20;
  Catalog b = CatalogOf({t});
  EXPECT_EQ(CatalogHash(a), CatalogHash(b));
  t.children.pop_back();
  EXPECT_NE(CatalogHash(a), CatalogHash(CatalogOf({t})));
  // Tables the policies do not name do not count.
  Table other = RangeTable("other", "at", KeyType::kTimestampTz);
  std::vector<QualifiedName> only{{"public", "sensor_readings"}};
  EXPECT_EQ(CatalogHash(a, &only), CatalogHash(CatalogOf({Sensor(), other}), &only));
}

TEST(Planner, PolicyHashChangesWithSemantics) {
  auto a = Policies(kSensor);
  auto b = a;
  b[0].retention->keep.count = 12;
  EXPECT_NE(PolicyHash(a), PolicyHash(b));
  auto c = a;
  c[0].location.line += 10;
  EXPECT_EQ(PolicyHash(a), PolicyHash(c));
}

}  // namespace
}  // namespace pgpart
