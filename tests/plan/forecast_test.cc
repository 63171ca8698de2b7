// The forecast (and the simulated apply it runs on) on fake catalogs with a fixed clock.

#include "plan/forecast.h"

#include <gtest/gtest.h>

#include "plan/planner.h"
#include "plan/simulate.h"
#include "plan_fixture.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddMonths;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;
using V = std::vector<std::string>;

std::string Policy(const std::string& spec_extra, const std::string& interval = "1 month") {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: sensor}\n"
         "spec:\n  tables: [public.sensor_readings]\n  interval: " +
         interval + "\n  premake: 3\n" + spec_extra;
}

Table Sensor(const std::string& first = "2024-03", int months = 34) {
  Table t = RangeTable("public.sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(t, first, months);  // 2024-03 .. 2026-12 by default
  return t;
}

// The instants (UTC text) of the events where `partition` has a step of `action` and `status`.
V WhenStep(const Forecast& f, Action action, const std::string& partition,
           StepStatus status = StepStatus::kPlanned) {
  V out;
  for (const ForecastEvent& e : f.events) {
    for (const Step& s : e.steps) {
      if (s.action == action && s.partition.name == partition && s.status == status) {
        out.push_back(e.at);
      }
    }
  }
  return out;
}

const ForecastEvent* EventAt(const Forecast& f, const std::string& at) {
  for (const ForecastEvent& e : f.events) {
    if (e.at == at) return &e;
  }
  return nullptr;
}

TEST(Forecast, WhenWillMarch2024BeDropped) {
  Forecast f = ComputeForecast(Policies(Policy("  retention: {keep: 24 months}\n")),
                               CatalogOf({Sensor()}), At("2026-03-15T09:30:00Z"),
                               At("2026-12-31T00:00:00Z"));
  ASSERT_TRUE(f.error.empty()) << f.error;
  EXPECT_EQ(f.at, "2026-03-15T09:30:00Z");
  EXPECT_EQ(f.time_zone, "UTC");
  EXPECT_EQ(WhenStep(f, Action::kDrop, "sensor_readings_y2024m03"), V{"2026-04-01T00:00:00Z"});
  EXPECT_EQ(WhenStep(f, Action::kDrop, "sensor_readings_y2024m04"), V{"2026-05-01T00:00:00Z"});
  EXPECT_EQ(WhenStep(f, Action::kDrop, "sensor_readings_y2024m11"), V{"2026-12-01T00:00:00Z"});
  EXPECT_TRUE(WhenStep(f, Action::kDrop, "sensor_readings_y2024m12").empty());
  // Nothing is due at the start: no event at `at`, one per month from April.
  ASSERT_FALSE(f.events.empty());
  EXPECT_EQ(f.events.front().at, "2026-04-01T00:00:00Z");
  EXPECT_EQ(f.events.front().local, "2026-04-01");
  EXPECT_EQ(f.events.size(), 9u);  // 2026-04-01 .. 2026-12-01
}

TEST(Forecast, PremakeCreatesAppearOnEachMonthBoundary) {
  Forecast f = ComputeForecast(Policies(Policy("")), CatalogOf({Sensor()}),
                               At("2026-03-15T09:30:00Z"), At("2027-01-01T00:00:00Z"));
  ASSERT_TRUE(f.error.empty()) << f.error;
  // Children reach 2026-12; premake 3 needs 2027-01 once the current month is 2026-10.
  EXPECT_EQ(WhenStep(f, Action::kCreate, "sensor_readings_y2027m01"), V{"2026-10-01T00:00:00Z"});
  EXPECT_EQ(WhenStep(f, Action::kCreate, "sensor_readings_y2027m02"), V{"2026-11-01T00:00:00Z"});
  EXPECT_EQ(WhenStep(f, Action::kCreate, "sensor_readings_y2027m03"), V{"2026-12-01T00:00:00Z"});
  // `until` is included.
  EXPECT_EQ(WhenStep(f, Action::kCreate, "sensor_readings_y2027m04"), V{"2027-01-01T00:00:00Z"});
  ASSERT_EQ(f.events.size(), 4u);
  const Step& s = f.events[0].steps.at(0);
  EXPECT_EQ(s.from, "2027-01-01T00:00:00Z");
  EXPECT_EQ(s.to, "2027-02-01T00:00:00Z");
}

TEST(Forecast, WhatIsDueNowIsTheFirstEvent) {
  Table t = Sensor("2026-01", 2);  // 2026-01, 2026-02
  Forecast f = ComputeForecast(Policies(Policy("")), CatalogOf({t}), At("2026-03-15T09:30:00Z"),
                               At("2026-04-15T00:00:00Z"));
  ASSERT_GE(f.events.size(), 2u);
  EXPECT_EQ(f.events[0].at, "2026-03-15T09:30:00Z");
  EXPECT_EQ(f.events[0].local, "2026-03-15 09:30:00");
  V names;
  for (const Step& s : f.events[0].steps) names.push_back(s.partition.name);
  EXPECT_EQ(names, (V{"sensor_readings_y2026m03", "sensor_readings_y2026m04",
                      "sensor_readings_y2026m05", "sensor_readings_y2026m06"}));
  EXPECT_EQ(WhenStep(f, Action::kCreate, "sensor_readings_y2026m07"), V{"2026-04-01T00:00:00Z"});
}

TEST(Forecast, HoldKeepsAPartitionUntilItExpires) {
  std::string yaml = Policy(
      "  retention: {keep: 24 months}\n"
      "  holds:\n"
      "    - {partition: sensor_readings_y2024m05, reason: \"Legal hold LH-1142\", "
      "until: 2027-01-01}\n");
  Forecast f = ComputeForecast(Policies(yaml), CatalogOf({Sensor()}), At("2026-03-15T09:30:00Z"),
                               At("2027-02-01T00:00:00Z"));
  ASSERT_TRUE(f.error.empty()) << f.error;
  // Due 2026-06-01 but held: listed once as held, then dropped the day the hold expires.
  EXPECT_EQ(WhenStep(f, Action::kDrop, "sensor_readings_y2024m05", StepStatus::kHeld),
            V{"2026-06-01T00:00:00Z"});
  EXPECT_EQ(WhenStep(f, Action::kDrop, "sensor_readings_y2024m05"), V{"2027-01-01T00:00:00Z"});
  const ForecastEvent* held = EventAt(f, "2026-06-01T00:00:00Z");
  ASSERT_NE(held, nullptr);
  EXPECT_NE(held->steps.back().held_by.find("until 2027-01-01"), std::string::npos);
  const ForecastEvent* expiry = EventAt(f, "2027-01-01T00:00:00Z");
  ASSERT_NE(expiry, nullptr);
  ASSERT_FALSE(expiry->notes.empty());
  EXPECT_NE(expiry->notes[0].find("Legal hold LH-1142"), std::string::npos);
  EXPECT_NE(expiry->notes[0].find("expires"), std::string::npos);
}

TEST(Forecast, HoldExpiringBetweenBoundariesIsAnInstantOfItsOwn) {
  std::string yaml = Policy(
      "  retention: {keep: 24 months}\n"
      "  holds:\n"
      "    - {partition: sensor_readings_y2024m03, reason: audit, until: 2026-06-17}\n");
  Forecast f = ComputeForecast(Policies(yaml), CatalogOf({Sensor()}), At("2026-03-15T00:00:00Z"),
                               At("2026-07-01T00:00:00Z"));
  EXPECT_EQ(WhenStep(f, Action::kDrop, "sensor_readings_y2024m03"), V{"2026-06-17T00:00:00Z"});
}

TEST(Forecast, BackupGateIsNotedOnDropDays) {
  std::string yaml =
      Policy("  retention: {keep: 24 months}\n  backupGate: {kind: pgbackrest, stanza: main}\n");
  Forecast f = ComputeForecast(Policies(yaml), CatalogOf({Sensor()}), At("2026-03-15T00:00:00Z"),
                               At("2026-04-01T00:00:00Z"));
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_EQ(f.events[0].notes,
            V{"backup gate pgbackrest checked before each drop on public.sensor_readings"});
}

TEST(Forecast, KeepInDaysOnAMonthlyGridDropsOnTheRightDay) {
  Forecast f = ComputeForecast(Policies(Policy("  retention: {keep: 100 days}\n")),
                               CatalogOf({Sensor("2026-01", 12)}), At("2026-03-15T00:00:00Z"),
                               At("2026-06-30T00:00:00Z"));
  ASSERT_TRUE(f.error.empty()) << f.error;
  // 2026-01 ends 2026-02-01; + 100 days = 2026-05-12. 2026-02 ends 03-01; + 100 days = 06-09.
  EXPECT_EQ(WhenStep(f, Action::kDrop, "sensor_readings_y2026m01"), V{"2026-05-12T00:00:00Z"});
  EXPECT_EQ(WhenStep(f, Action::kDrop, "sensor_readings_y2026m02"), V{"2026-06-09T00:00:00Z"});
}

TEST(Forecast, MaxDropsPerRunIsRepeatedWithinTheInstant) {
  std::string yaml = Policy("  retention: {keep: 12 months, maxDropsPerRun: 1}\n");
  Forecast f = ComputeForecast(Policies(yaml), CatalogOf({Sensor()}), At("2026-03-15T00:00:00Z"),
                               At("2026-03-20T00:00:00Z"));
  ASSERT_EQ(f.events.size(), 1u);
  // 2024-03 .. 2025-02 all ended before 2025-03-15.
  V names;
  for (const Step& s : f.events[0].steps) names.push_back(ActionName(s.action) + " " + s.partition.name);
  EXPECT_EQ(f.events[0].steps.size(), 12u) << ::testing::PrintToString(names);
  EXPECT_EQ(f.events[0].steps.back().partition.name, "sensor_readings_y2025m02");
}

TEST(Forecast, DaylightSavingZoneUsesLocalMidnights) {
  std::string yaml = Policy("  timeZone: Europe/Berlin\n");
  Table t = RangeTable("public.sensor_readings", "recorded_at", KeyType::kTimestampTz);
  Forecast f = ComputeForecast(Policies(yaml), CatalogOf({t}), At("2026-03-15T00:00:00Z"),
                               At("2026-11-15T00:00:00Z"));
  ASSERT_TRUE(f.error.empty()) << f.error;
  EXPECT_EQ(f.time_zone, "Europe/Berlin");
  // April 1 in Berlin (CEST, +02:00) and November 1 (CET, +01:00).
  EXPECT_EQ(WhenStep(f, Action::kCreate, "sensor_readings_y2026m07"), V{"2026-03-31T22:00:00Z"});
  EXPECT_EQ(WhenStep(f, Action::kCreate, "sensor_readings_y2027m02"), V{"2026-10-31T23:00:00Z"});
  const ForecastEvent* nov = EventAt(f, "2026-10-31T23:00:00Z");
  ASSERT_NE(nov, nullptr);
  EXPECT_EQ(nov->local, "2026-11-01");
  EXPECT_EQ(nov->steps.at(0).from, "2027-01-31T23:00:00Z");
}

TEST(Forecast, IntegerKeysAreNotForecast) {
  std::string yaml =
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: events}\n"
      "spec:\n  tables: [public.events]\n  interval: 1000000\n  premake: 2\n";
  Table t = RangeTable("public.events", "id", KeyType::kBigInt);
  t.max_key = 10;
  Forecast f = ComputeForecast(Policies(yaml), CatalogOf({t}), At("2026-03-15T00:00:00Z"),
                               At("2027-03-15T00:00:00Z"));
  ASSERT_EQ(f.not_forecast.size(), 1u);
  EXPECT_EQ(f.not_forecast[0].table.name, "events");
  EXPECT_EQ(f.not_forecast[0].reason, "integer key: advances with max(key)");
  // What is due now is still shown; nothing later (there is no clock to advance).
  for (const ForecastEvent& e : f.events) EXPECT_EQ(e.at, "2026-03-15T00:00:00Z");
}

TEST(Forecast, TooManyInstantsIsAnError) {
  Table t = RangeTable("public.sensor_readings", "recorded_at", KeyType::kTimestampTz);
  Forecast f = ComputeForecast(Policies(Policy("", "1 hour")), CatalogOf({t}),
                               At("2026-01-01T00:00:00Z"), At("2030-01-01T00:00:00Z"));
  EXPECT_NE(f.error.find("more than 10000 instants"), std::string::npos) << f.error;
  EXPECT_TRUE(f.events.empty());
  Forecast backwards = ComputeForecast(Policies(Policy("")), CatalogOf({t}),
                                       At("2026-01-01T00:00:00Z"), At("2025-01-01T00:00:00Z"));
  EXPECT_NE(backwards.error.find("before it starts"), std::string::npos);
}

TEST(Simulate, ApplyingAPlanLeavesNothingToDo) {
  std::string yaml = Policy("  retention: {keep: 12 months}\n  defaultPartition: true\n");
  Catalog c = CatalogOf({Sensor("2024-01", 12)});
  const int64_t now = At("2026-03-15T00:00:00Z");
  Plan first = ComputePlan(Policies(yaml), c, now);
  ASSERT_TRUE(first.HasChanges());
  SimulateApply(first, c);
  Plan second = ComputePlan(Policies(yaml), c, now);
  EXPECT_FALSE(second.HasChanges());
  EXPECT_TRUE(second.steps.empty());
  const Table& t = c.tables[0];
  ASSERT_TRUE(t.default_partition.has_value());
  ASSERT_FALSE(t.children.empty());
  EXPECT_EQ(t.children.front().name.name, "sensor_readings_y2025m03");
  EXPECT_EQ(t.children.back().name.name, "sensor_readings_y2026m06");
}

}  // namespace
}  // namespace pgpart
