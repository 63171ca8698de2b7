// The status (pgpart status) on fake catalogs with a fixed clock.

#include "plan/status.h"

#include <gtest/gtest.h>

#include "plan/planner.h"
#include "plan_fixture.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddChild;
using ::pgpart::testing::AddDefault;
using ::pgpart::testing::AddMonths;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;

std::string Policy(const std::string& spec_extra) {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: sensor}\n"
         "spec:\n  tables: [public.sensor_readings]\n  interval: 1 month\n  premake: 3\n" +
         spec_extra;
}

Table Sensor(const std::string& first = "2024-03", int months = 34) {
  Table t = RangeTable("public.sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(t, first, months);  // 2024-03 .. 2026-12 by default
  return t;
}

Status StatusAt(const std::string& yaml, const Catalog& catalog, const std::string& at) {
  std::vector<pgpart::Policy> policies = Policies(yaml);
  Plan plan = ComputePlan(policies, catalog, At(at));
  return ComputeStatus(policies, catalog, plan, At(at));
}

TEST(Status, HealthyTable) {
  Table t = Sensor();
  t.children[0].bytes = 1000;
  t.children[1].bytes = 24;
  Status s = StatusAt(Policy("  retention: {keep: 24 months}\n"), CatalogOf({t}),
                      "2026-03-15T09:30:00Z");
  ASSERT_EQ(s.tables.size(), 1u);
  const TableStatus& ts = s.tables[0];
  EXPECT_EQ(ts.health, Health::kOk) << (ts.problems.empty() ? "" : ts.problems[0]);
  EXPECT_EQ(StatusExitCode(s), 0);
  EXPECT_TRUE(ts.exists);
  EXPECT_EQ(ts.policy, "sensor");
  EXPECT_EQ(ts.partitions.count, 34);
  // Covered through 2026-12: April .. December 2026 are 9 whole periods after March.
  EXPECT_EQ(ts.future_buffer_periods, 9);
  EXPECT_EQ(ts.bytes, 1024);
  ASSERT_TRUE(ts.oldest_age_seconds.has_value());
  EXPECT_EQ(*ts.oldest_age_seconds,
            (At("2026-03-15T09:30:00Z") - At("2024-03-01T00:00:00Z")) / 1'000'000);
  // March 2024 ends 2024-04-01; kept 24 months it expires 2026-04-01.
  ASSERT_TRUE(ts.next_retention.has_value());
  EXPECT_EQ(ts.next_retention->partition, "sensor_readings_y2024m03");
  EXPECT_EQ(ts.next_retention->action, "drop");
  EXPECT_EQ(ts.next_retention->at, "2026-04-01T00:00:00Z");
  EXPECT_FALSE(ts.next_retention->due);
  EXPECT_FALSE(ts.next_retention->gate_checked);
}

TEST(Status, RetentionDueNowAndGateNoted) {
  Status s = StatusAt(
      Policy("  retention: {keep: 24 months}\n  backupGate: {kind: pgbackrest, stanza: main}\n"),
      CatalogOf({Sensor()}), "2026-04-10T00:00:00Z");
  ASSERT_TRUE(s.tables[0].next_retention.has_value());
  const RetentionEvent& ev = *s.tables[0].next_retention;
  EXPECT_TRUE(ev.due);
  EXPECT_EQ(ev.at, "2026-04-10T00:00:00Z");
  EXPECT_TRUE(ev.gate_checked);
  EXPECT_EQ(ev.gate, "pgbackrest");
}

TEST(Status, DetachRetentionChecksNoGate) {
  Status s = StatusAt(Policy("  retention: {keep: 120 days, action: detach}\n  backupGate: "
                             "{kind: pgbackrest, stanza: main}\n"),
                      CatalogOf({Sensor("2026-01", 12)}), "2026-03-15T00:00:00Z");
  ASSERT_TRUE(s.tables[0].next_retention.has_value());
  const RetentionEvent& ev = *s.tables[0].next_retention;
  EXPECT_EQ(ev.action, "detach");
  EXPECT_FALSE(ev.gate_checked);
  // January 2026 ends 2026-02-01; 120 days later (28 + 31 + 30 + 31) is 2026-06-01.
  EXPECT_EQ(ev.at, "2026-06-01T00:00:00Z");
}

TEST(Status, NextRetentionSkipsHeldPartitions) {
  // March 2024 is held for good: the next event is April 2024's (ends 2024-05-01 → 2026-05-01).
  Status s = StatusAt(Policy("  retention: {keep: 24 months}\n  holds:\n"
                             "    - {partition: sensor_readings_y2024m03, reason: LH-1}\n"),
                      CatalogOf({Sensor()}), "2026-03-15T00:00:00Z");
  ASSERT_TRUE(s.tables[0].next_retention.has_value());
  EXPECT_EQ(s.tables[0].next_retention->partition, "sensor_readings_y2024m04");
  EXPECT_EQ(s.tables[0].next_retention->at, "2026-05-01T00:00:00Z");

  // Held until mid-April 2026: March's drop moves to the hold's expiry, still the earliest.
  s = StatusAt(Policy("  retention: {keep: 24 months}\n  holds:\n"
                      "    - {partition: sensor_readings_y2024m03, reason: LH-1, "
                      "until: 2026-04-15}\n"),
               CatalogOf({Sensor()}), "2026-03-15T00:00:00Z");
  ASSERT_TRUE(s.tables[0].next_retention.has_value());
  EXPECT_EQ(s.tables[0].next_retention->partition, "sensor_readings_y2024m03");
  EXPECT_EQ(s.tables[0].next_retention->at, "2026-04-15T00:00:00Z");
  EXPECT_FALSE(s.tables[0].next_retention->due);

  // Held until after April's expiry: April 2024 comes first.
  s = StatusAt(Policy("  retention: {keep: 24 months}\n  holds:\n"
                      "    - {partition: sensor_readings_y2024m03, reason: LH-1, "
                      "until: 2026-06-01}\n"),
               CatalogOf({Sensor()}), "2026-03-15T00:00:00Z");
  ASSERT_TRUE(s.tables[0].next_retention.has_value());
  EXPECT_EQ(s.tables[0].next_retention->partition, "sensor_readings_y2024m04");
}

// Issue 15: an adopted partition is never retired, so it is no retention event and never
// overdue, however old.
TEST(Status, AdoptedPartitionsHaveNoRetentionEvent) {
  Table t = RangeTable("public.sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddChild(t, "sr_legacy", "2023-01-01T00:00:00Z", "2024-03-01T00:00:00Z");
  AddMonths(t, "2024-03", 34);
  Status s = StatusAt(Policy("  retention: {keep: 24 months}\n  adopt:\n"
                             "    - partition: sr_legacy\n"),
                      CatalogOf({t}), "2026-03-15T00:00:00Z");
  const TableStatus& ts = s.tables[0];
  ASSERT_TRUE(ts.next_retention.has_value());
  EXPECT_EQ(ts.next_retention->partition, "sensor_readings_y2024m03");
  EXPECT_TRUE(ts.overdue.empty());
  EXPECT_EQ(ts.health, Health::kOk) << (ts.problems.empty() ? "" : ts.problems[0]);
}

TEST(Status, ShortFutureBufferWarns) {
  // 2026-01 .. 2026-04 at mid-March: only April is covered after the current period.
  Status s = StatusAt(Policy(""), CatalogOf({Sensor("2026-01", 4)}), "2026-03-15T00:00:00Z");
  const TableStatus& ts = s.tables[0];
  EXPECT_EQ(ts.future_buffer_periods, 1);
  EXPECT_EQ(ts.health, Health::kWarning);
  EXPECT_EQ(StatusExitCode(s), 2);
  ASSERT_FALSE(ts.problems.empty());
  EXPECT_NE(ts.problems[0].find("future buffer 1"), std::string::npos);
  EXPECT_FALSE(ts.next_retention.has_value());  // no retention configured
}

TEST(Status, UncoveredNowHasNoBuffer) {
  Status s = StatusAt(Policy(""), CatalogOf({Sensor("2025-01", 3)}), "2026-03-15T00:00:00Z");
  EXPECT_EQ(s.tables[0].future_buffer_periods, 0);
  EXPECT_EQ(StatusExitCode(s), 2);
}

TEST(Status, RowsInTheDefaultWarn) {
  Table t = Sensor();
  AddDefault(t, 42);
  Status s = StatusAt(Policy("  defaultPartition: true\n"), CatalogOf({t}),
                      "2026-03-15T00:00:00Z");
  const TableStatus& ts = s.tables[0];
  EXPECT_TRUE(ts.partitions.has_default);
  EXPECT_EQ(ts.partitions.default_rows, 42);
  EXPECT_EQ(ts.health, Health::kWarning);
  EXPECT_EQ(StatusExitCode(s), 2);
  bool found = false;
  for (const std::string& p : ts.problems) found |= p.find("42 row") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(Status, HeldPartitionsListedWithReasonAndExpiry) {
  Status s = StatusAt(Policy("  retention: {keep: 24 months}\n  holds:\n"
                             "    - {partition: sensor_readings_y2024m03, reason: \"Legal hold "
                             "LH-1142\", until: 2027-01-01}\n"),
                      CatalogOf({Sensor()}), "2026-04-15T00:00:00Z");
  const TableStatus& ts = s.tables[0];
  ASSERT_EQ(ts.held.size(), 1u);
  EXPECT_EQ(ts.held[0].partition, "sensor_readings_y2024m03");
  EXPECT_NE(ts.held[0].held_by.find("Legal hold LH-1142"), std::string::npos);
  EXPECT_NE(ts.held[0].held_by.find("2027-01-01"), std::string::npos);
  EXPECT_EQ(ts.health, Health::kOk);  // a hold is intended, not a problem
  EXPECT_TRUE(ts.overdue.empty());     // due for 14 days, but held
}

TEST(Status, BlockedStepsWarn) {
  // maxDropsPerRun: 1 with three partitions due: the other two drops are blocked.
  Status s = StatusAt(Policy("  retention: {keep: 24 months, maxDropsPerRun: 1}\n"),
                      CatalogOf({Sensor()}), "2026-06-15T00:00:00Z");
  const TableStatus& ts = s.tables[0];
  EXPECT_EQ(ts.blocked.size(), 2u);
  EXPECT_EQ(ts.health, Health::kWarning);
  EXPECT_EQ(StatusExitCode(s), 2);
}

TEST(Status, MissingTableIsAnError) {
  Status s = StatusAt(Policy(""), CatalogOf({}), "2026-03-15T00:00:00Z");
  ASSERT_EQ(s.tables.size(), 1u);
  EXPECT_FALSE(s.tables[0].exists);
  EXPECT_EQ(s.tables[0].health, Health::kError);
  EXPECT_EQ(s.health, Health::kError);
  EXPECT_EQ(StatusExitCode(s), 1);
}

TEST(Status, WorstTableDecides) {
  std::string yaml = Policy("") +
                     "---\napiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\n"
                     "metadata: {name: other}\nspec:\n  tables: [public.events]\n"
                     "  interval: 1 month\n";
  Table events = RangeTable("public.events", "at", KeyType::kTimestampTz);
  AddMonths(events, "2026-01", 12);
  Status s = StatusAt(yaml, CatalogOf({Sensor(), events}), "2026-03-15T00:00:00Z");
  ASSERT_EQ(s.tables.size(), 2u);
  EXPECT_EQ(s.tables[0].health, Health::kOk);
  EXPECT_EQ(s.tables[1].health, Health::kOk);
  EXPECT_EQ(StatusExitCode(s), 0);
  Status bad = StatusAt(yaml, CatalogOf({Sensor()}), "2026-03-15T00:00:00Z");
  ASSERT_EQ(bad.tables.size(), 2u);
  for (const TableStatus& ts : bad.tables) {
    EXPECT_EQ(ts.health, ts.table.name == "events" ? Health::kError : Health::kOk);
  }
  EXPECT_EQ(StatusExitCode(bad), 1);
}

// ---- retention overdue --------------------------------------------------------------------

TEST(Status, RetentionDueLongerThanTheGraceWarns) {
  // March 2024 ends 2024-04-01; kept 24 months it is due from 2026-04-01T00:00Z.
  const std::string yaml = Policy("  retention: {keep: 24 months}\n");
  Status within = StatusAt(yaml, CatalogOf({Sensor()}), "2026-04-01T23:00:00Z");
  EXPECT_TRUE(within.tables[0].overdue.empty());
  EXPECT_EQ(StatusExitCode(within), 0) << within.tables[0].problems[0];

  Status late = StatusAt(yaml, CatalogOf({Sensor()}), "2026-04-02T00:00:01Z");
  const TableStatus& ts = late.tables[0];
  ASSERT_EQ(ts.overdue.size(), 1u);
  EXPECT_EQ(ts.overdue[0].partition, "sensor_readings_y2024m03");
  EXPECT_EQ(ts.overdue[0].action, "drop");
  EXPECT_EQ(ts.overdue[0].due_since, "2026-04-01T00:00:00Z");
  EXPECT_EQ(ts.health, Health::kWarning);
  EXPECT_EQ(StatusExitCode(late), 2);
  ASSERT_EQ(ts.problems.size(), 1u);
  EXPECT_EQ(ts.problems[0],
            "1 partition(s) past retention for more than 1d (oldest sensor_readings_y2024m03, "
            "due since 2026-04-01T00:00:00Z)");

  // A shorter grace warns sooner; oldest first when several are overdue.
  std::vector<pgpart::Policy> policies = Policies(yaml);
  const Catalog catalog = CatalogOf({Sensor()});
  Plan plan = ComputePlan(policies, catalog, At("2026-05-01T06:00:00Z"));
  Status hours = ComputeStatus(policies, catalog, plan, At("2026-05-01T06:00:00Z"),
                               StatusOptions{6LL * 3600 * 1'000'000});
  ASSERT_EQ(hours.tables[0].overdue.size(), 2u);
  EXPECT_EQ(hours.tables[0].overdue[0].partition, "sensor_readings_y2024m03");
  EXPECT_EQ(hours.tables[0].overdue[1].partition, "sensor_readings_y2024m04");
  EXPECT_EQ(hours.tables[0].overdue[1].due_since, "2026-05-01T00:00:00Z");
  EXPECT_EQ(hours.retention_grace_micros, 6LL * 3600 * 1'000'000);
}

TEST(Status, OverdueCountsFromTheEndOfAnExpiredHold) {
  // Held until 2026-04-10: March 2024 has been due since then, not since 2026-04-01.
  const std::string yaml = Policy(
      "  retention: {keep: 24 months}\n  holds:\n"
      "    - {partition: sensor_readings_y2024m03, reason: LH-1, until: 2026-04-10}\n");
  Status soon = StatusAt(yaml, CatalogOf({Sensor()}), "2026-04-10T12:00:00Z");
  EXPECT_TRUE(soon.tables[0].overdue.empty());
  Status late = StatusAt(yaml, CatalogOf({Sensor()}), "2026-04-12T00:00:00Z");
  ASSERT_EQ(late.tables[0].overdue.size(), 1u);
  EXPECT_EQ(late.tables[0].overdue[0].due_since, "2026-04-10T00:00:00Z");
}

TEST(Status, BlockedByMaxDropsStillCountsAsOverdue) {
  // maxDropsPerRun caps this run; the capped partitions are no less overdue.
  Status s = StatusAt(Policy("  retention: {keep: 24 months, maxDropsPerRun: 1}\n"),
                      CatalogOf({Sensor()}), "2026-06-15T00:00:00Z");
  EXPECT_EQ(s.tables[0].overdue.size(), 3u);
}

TEST(Status, IntegerKeysAreNeverOverdue) {
  // max(key) has no clock: how long a drop has been due is unknown.
  Table t = RangeTable("public.events", "id", KeyType::kBigInt);
  for (int i = 0; i < 6; ++i) {
    AddChild(t, "events_p" + std::to_string(i * 1000), std::to_string(i * 1000),
             std::to_string((i + 1) * 1000));
  }
  t.max_key = 5500;
  Status s = StatusAt(
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ev}\nspec:\n"
      "  tables: [public.events]\n  interval: 1000\n  premake: 1\n"
      "  retention: {keep: 2000}\n",
      CatalogOf({t}), "2026-06-15T00:00:00Z");
  ASSERT_EQ(s.tables.size(), 1u);
  ASSERT_TRUE(s.tables[0].next_retention.has_value());
  EXPECT_TRUE(s.tables[0].next_retention->due);  // drops are planned...
  EXPECT_TRUE(s.tables[0].overdue.empty());      // ...but not "for how long"
}

// A hash table has no time axis: no buffer (not 0, which the PgpartFutureBufferLow alert would
// fire on forever), no buffer warning, healthy once every remainder exists (issue 12 item 11).
TEST(Status, HashTablesHaveNoFutureBuffer) {
  Table t = ::pgpart::testing::HashTable("public.tenants", "org_id");
  ::pgpart::testing::AddHashChildren(t, 4);
  Status s = StatusAt(
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: tenants}\n"
      "spec:\n  tables: [public.tenants]\n  strategy: hash\n  column: org_id\n  modulus: 4\n",
      CatalogOf({t}), "2026-06-15T00:00:00Z");
  ASSERT_EQ(s.tables.size(), 1u);
  EXPECT_FALSE(s.tables[0].future_buffer_periods.has_value());
  EXPECT_EQ(s.tables[0].health, Health::kOk)
      << (s.tables[0].problems.empty() ? "" : s.tables[0].problems[0]);
  EXPECT_EQ(s.tables[0].partitions.count, 4);
}

// An empty integer-keyed table has no max(key): the planner premakes from spec.start (else 0), and
// the buffer is measured from there too, so a converged empty table is not warned about forever.
TEST(Status, EmptyIntegerTableMeasuresTheBufferFromWhereThePlannerStarts) {
  const std::string yaml =
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ev}\nspec:\n"
      "  tables: [public.events]\n  interval: 1000\n  premake: 3\n";
  Table t = RangeTable("public.events", "id", KeyType::kBigInt);
  for (int i = 0; i < 4; ++i) {
    AddChild(t, "events_p" + std::to_string(i * 1000), std::to_string(i * 1000),
             std::to_string((i + 1) * 1000));
  }
  Status s = StatusAt(yaml, CatalogOf({t}), "2026-06-15T00:00:00Z");
  EXPECT_EQ(s.tables[0].future_buffer_periods, std::optional<int64_t>(3));
  for (const std::string& problem : s.tables[0].problems) {
    EXPECT_EQ(problem.find("future buffer"), std::string::npos) << problem;
  }

  // Started at 5000: only 5000..5999 exists after the planner's current period there.
  Table later = RangeTable("public.events", "id", KeyType::kBigInt);
  AddChild(later, "events_p5000", "5000", "6000");
  AddChild(later, "events_p6000", "6000", "7000");
  s = StatusAt(yaml + "  start: 5000\n", CatalogOf({later}), "2026-06-15T00:00:00Z");
  EXPECT_EQ(s.tables[0].future_buffer_periods, std::optional<int64_t>(1));
  ASSERT_FALSE(s.tables[0].problems.empty());
  EXPECT_NE(s.tables[0].problems[0].find("future buffer 1"), std::string::npos);
}

// ---- what earlier applies recorded in pgpart.history -----------------------------------------

RecordedOutcome Outcome(const std::string& partition, const std::string& action,
                        const std::string& outcome, const std::string& error) {
  return RecordedOutcome{QualifiedName{"public", partition}, action, outcome, error,
                         At("2026-04-01T03:00:00Z")};
}

TEST(Status, StepBlockedByTheLastApplyIsBlocked) {
  // The plan still has the drop (planned); the last apply's gate refused it.
  Table t = Sensor();
  t.history = {Outcome("sensor_readings_y2024m03", "drop", "blocked",
                       "backup gate: the query returned false")};
  Catalog catalog = CatalogOf({t});
  catalog.history = HistoryState::kRead;
  Status s = StatusAt(Policy("  retention: {keep: 24 months}\n  backupGate: {kind: sql, query: "
                             "\"select false\"}\n"),
                      catalog, "2026-04-01T12:00:00Z");
  const TableStatus& ts = s.tables[0];
  ASSERT_EQ(ts.blocked.size(), 1u);
  EXPECT_EQ(ts.blocked[0].Text(),
            "drop sensor_readings_y2024m03: backup gate: the query returned false (apply at "
            "2026-04-01T03:00:00Z: blocked)");
  EXPECT_EQ(ts.health, Health::kWarning);
  EXPECT_EQ(StatusExitCode(s), 2);
  EXPECT_EQ(s.history, HistoryState::kRead);
  EXPECT_TRUE(s.diagnostics.empty());
}

TEST(Status, RecordedOutcomesOnlyCountForStepsStillPlanned) {
  Table t = Sensor();
  t.history = {
      // failed too: the drop is still to do
      Outcome("sensor_readings_y2024m03", "drop", "failed", "must be owner of table"),
      // another action of a partition the plan only drops later: not this step
      Outcome("sensor_readings_y2024m04", "detach", "blocked", "lock timeout"),
      // no step any more (the partition is gone)
      Outcome("sensor_readings_y2023m01", "drop", "blocked", "backup gate: no backup"),
  };
  Catalog catalog = CatalogOf({t});
  catalog.history = HistoryState::kRead;
  Status s = StatusAt(Policy("  retention: {keep: 24 months}\n"), catalog,
                      "2026-04-01T12:00:00Z");
  ASSERT_EQ(s.tables[0].blocked.size(), 1u);
  EXPECT_EQ(s.tables[0].blocked[0].Text(),
            "drop sensor_readings_y2024m03: must be owner of table (apply at "
            "2026-04-01T03:00:00Z: failed)");

  // A hold placed since: the drop is held, not blocked.
  Status held = StatusAt(Policy("  retention: {keep: 24 months}\n  holds:\n"
                                "    - {partition: sensor_readings_y2024m03, reason: LH-1}\n"),
                         catalog, "2026-04-01T12:00:00Z");
  EXPECT_TRUE(held.tables[0].blocked.empty());
  EXPECT_EQ(held.tables[0].health, Health::kOk);
}

TEST(Status, UnreadableHistoryIsAWarningDiagnosticNotAHealth) {
  Catalog catalog = CatalogOf({Sensor()});
  catalog.history = HistoryState::kUnreadable;
  Status s = StatusAt(Policy("  retention: {keep: 24 months}\n"), catalog,
                      "2026-03-15T00:00:00Z");
  EXPECT_EQ(StatusExitCode(s), 0);
  ASSERT_EQ(s.diagnostics.size(), 1u);
  EXPECT_EQ(s.diagnostics[0].severity, Severity::kWarning);
  EXPECT_NE(s.diagnostics[0].message.find("may not read pgpart.history"), std::string::npos);
  EXPECT_NE(s.diagnostics[0].message.find("SELECT ON pgpart.history"), std::string::npos);
}

}  // namespace
}  // namespace pgpart
