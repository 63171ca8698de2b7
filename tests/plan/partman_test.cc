// pg_partman configured for a managed table (issue 12 item 5): every step blocked with the way
// out; and the naming templates of docs/migrating-from-pg_partman.md take pg_partman's partition
// names over with no naming drift (pg_partman 4's _pYYYY_MM / _pYYYY_MM_DD, 5's _pYYYYMMDD).

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>

#include "plan/planner.h"
#include "plan_fixture.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddChild;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::Names;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;
using ::pgpart::testing::StepsOf;
using V = std::vector<std::string>;

std::string Policy(const std::string& interval, const std::string& naming) {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: events}\n"
         "spec:\n  tables: [public.events]\n  interval: " +
         interval + "\n  premake: 3\n  retention: {keep: 3 months}\n  naming: \"" + naming +
         "\"\n";
}

// Monthly children 2026-06 .. 2026-12 named as `name` says for each first day.
Table Monthly(const std::function<std::string(int year, int month)>& name) {
  Table t = RangeTable("public.events", "at", KeyType::kTimestampTz);
  for (int i = 0; i < 7; ++i) {
    const int month = 6 + i;
    char from[32], to[32];
    std::snprintf(from, sizeof from, "2026-%02d-01T00:00:00Z", month);
    std::snprintf(to, sizeof to, month == 12 ? "2027-01-01T00:00:00Z" : "2026-%02d-01T00:00:00Z",
                  month + 1);
    AddChild(t, name(2026, month), from, to);
  }
  return t;
}

std::string Fmt(const char* format, int year, int month) {
  char out[64];
  std::snprintf(out, sizeof out, format, year, month);
  return out;
}

TEST(PgPartman, AConfiguredTableHasEveryStepBlockedWithTheWayOut) {
  Table t = Monthly([](int y, int m) { return Fmt("events_p%04d_%02d", y, m); });
  t.pg_partman = PartmanConfig{"partman", "4.7.2", "public.events", "on"};
  const std::string yaml = Policy("1 month", "{parent}_p{YYYY}_{MM}");
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  ASSERT_EQ(plan.summary.create + plan.summary.drop, 0) << "nothing planned to run";
  EXPECT_EQ(plan.summary.blocked, 4);  // 2027-01, 2027-02 to create; 2026-06, -07 to drop
  const std::string why =
      "pg_partman maintains this table too (partman.part_config lists 'public.events', "
      "automatic_maintenance on): two maintainers would fight over its partitions, each "
      "creating, detaching and dropping on its own schedule. Take the table out of pg_partman "
      "first, keeping its partitions: DELETE FROM partman.part_config WHERE parent_table = "
      "'public.events'; not undo_partition(), which moves the rows out of the partitions "
      "(docs/migrating-from-pg_partman.md)";
  for (const Step& s : plan.steps) {
    EXPECT_EQ(s.status, StepStatus::kBlocked) << s.partition.name;
    EXPECT_EQ(s.blocked_by, why);
  }
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].drift, V{why});

  // pg_partman 5.4 and later clean up with config_cleanup(); names are quoted as SQL needs.
  t.pg_partman = PartmanConfig{"Part Man", "5.4.0", "public.events", "off"};
  plan = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  ASSERT_FALSE(plan.steps.empty());
  EXPECT_NE(plan.steps[0].blocked_by.find(
                "(\"Part Man\".part_config lists 'public.events', automatic_maintenance off)"),
            std::string::npos)
      << plan.steps[0].blocked_by;
  EXPECT_NE(plan.steps[0].blocked_by.find(
                "keeping its partitions: SELECT \"Part Man\".config_cleanup('public.events');"),
            std::string::npos)
      << plan.steps[0].blocked_by;

  // A converged table is reported all the same: pg_partman would still act on it.
  t.pg_partman = PartmanConfig{"partman", "5.1.0", "public.events", "on"};
  plan = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-08-15T12:00:00Z"));
  EXPECT_TRUE(plan.steps.empty());
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].drift.size(), 1u);
  EXPECT_NE(plan.tables[0].drift[0].find("DELETE FROM partman.part_config"), std::string::npos);
}

TEST(PgPartman, Version4MonthlyNamesNeedNoRename) {
  Table t = Monthly([](int y, int m) { return Fmt("events_p%04d_%02d", y, m); });
  Plan plan = ComputePlan(Policies(Policy("1 month", "{parent}_p{YYYY}_{MM}")), CatalogOf({t}),
                          At("2026-11-21T12:00:00Z"));
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].drift, V{});
  EXPECT_EQ(Names(StepsOf(plan, Action::kCreate)), (V{"events_p2027_01", "events_p2027_02"}));
  EXPECT_EQ(Names(StepsOf(plan, Action::kDrop)), (V{"events_p2026_06", "events_p2026_07"}));
}

TEST(PgPartman, Version5NamesNeedNoRename) {
  // pg_partman 5 names every interval of a day or more _pYYYYMMDD (the period's first day).
  Table t = Monthly([](int y, int m) { return Fmt("events_p%04d%02d01", y, m); });
  Plan plan = ComputePlan(Policies(Policy("1 month", "{parent}_p{YYYY}{MM}{DD}")), CatalogOf({t}),
                          At("2026-11-21T12:00:00Z"));
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].drift, V{});
  EXPECT_EQ(Names(StepsOf(plan, Action::kCreate)), (V{"events_p20270101", "events_p20270201"}));

  // Daily, pg_partman 4 (_pYYYY_MM_DD) and 5 (_pYYYYMMDD).
  for (const auto& [format, naming] :
       {std::pair{"events_p2026_11_%02d", "{parent}_p{YYYY}_{MM}_{DD}"},
        std::pair{"events_p202611%02d", "{parent}_p{YYYY}{MM}{DD}"}}) {
    Table daily = RangeTable("public.events", "at", KeyType::kTimestampTz);
    for (int d = 18; d <= 24; ++d) {
      char name[64], from[32], to[32];
      std::snprintf(name, sizeof name, format, d);
      std::snprintf(from, sizeof from, "2026-11-%02dT00:00:00Z", d);
      std::snprintf(to, sizeof to, "2026-11-%02dT00:00:00Z", d + 1);
      AddChild(daily, name, from, to);
    }
    plan = ComputePlan(Policies(Policy("1 day", naming)), CatalogOf({daily}),
                       At("2026-11-21T12:00:00Z"));
    ASSERT_EQ(plan.tables.size(), 1u);
    EXPECT_EQ(plan.tables[0].drift, V{}) << naming;
    EXPECT_TRUE(StepsOf(plan, Action::kCreate).empty()) << naming;  // through 11-24 = premake 3
  }
}

}  // namespace
}  // namespace pgpart
