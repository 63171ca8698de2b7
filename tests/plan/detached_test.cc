// Leftovers of retention action detach/archive: the marker set when detaching, the second
// retention spec.retention.dropDetachedAfter, and their listing in status.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "plan/planner.h"
#include "plan/status.h"
#include "plan_fixture.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddMonths;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::Names;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;
using ::pgpart::testing::StepsOf;
using V = std::vector<std::string>;

// keep 24 months + dropDetachedAfter 6 months: at 2026-11-21 partitions ending on or before
// 2024-11-21 are detached, and leftovers ending on or before 2024-05-21 are dropped.
std::string Policy(const std::string& retention, const std::string& extra = "") {
  return R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor-readings}
spec:
  tables: [public.sensor_readings]
  column: recorded_at
  interval: 1 month
  premake: 3
  retention: )" + retention + "\n" + extra;
}
const std::string kDetachAfter =
    Policy("{keep: 24 months, action: detach, dropDetachedAfter: 6 months}");

Table Sensor() {
  Table t = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(t, "2024-09", 28);  // 2024-09 .. 2026-12
  for (size_t i = 0; i < t.children.size(); ++i) t.children[i].oid = 16400 + i;
  return t;
}

// What a detach by pgpart leaves: a table named by the template, marked with its own oid.
Child Leftover(const std::string& month, int64_t oid, const std::string& schema = "public") {
  Child c;
  c.name = {schema, "sensor_readings_y" + month.substr(0, 4) + "m" + month.substr(5, 2)};
  const int y = std::stoi(month.substr(0, 4)), m = std::stoi(month.substr(5, 2));
  char to[32];
  std::snprintf(to, sizeof to, "%04d-%02d-01T00:00:00Z", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
  c.from = *ParseBoundText(KeyType::kTimestampTz, month + "-01T00:00:00Z");
  c.to = *ParseBoundText(KeyType::kTimestampTz, to);
  c.oid = oid;
  c.marker_oid = oid;
  c.rows_estimate = 1000;
  c.bytes = 65536;
  return c;
}

std::vector<Step> DropsOf(const Plan& plan) { return StepsOf(plan, Action::kDrop); }

TEST(DetachedLeftovers, DetachAndArchiveMarkThePartitionWithItsOid) {
  Plan plan = ComputePlan(Policies(Policy("{keep: 24 months, action: detach}")),
                          CatalogOf({Sensor()}), At("2026-11-21T12:00:00Z"));
  const std::vector<Step> detaches = StepsOf(plan, Action::kDetach);
  ASSERT_EQ(Names(detaches), (V{"sensor_readings_y2024m09", "sensor_readings_y2024m10"}));
  ASSERT_EQ(detaches[0].statements.size(), 2u);
  EXPECT_EQ(detaches[0].statements[0].sql,
            "COMMENT ON TABLE public.sensor_readings_y2024m09 IS 'pgpart:detached "
            "public.sensor_readings [2024-09-01T00:00:00Z, 2024-10-01T00:00:00Z) oid 16400'");
  EXPECT_TRUE(detaches[0].statements[0].transactional);
  EXPECT_NE(detaches[0].statements[1].sql.find("DETACH PARTITION"), std::string::npos);

  Plan archive = ComputePlan(
      Policies(Policy("{keep: 24 months, action: archive, archiveSchema: old}")),
      CatalogOf({Sensor()}), At("2026-11-21T12:00:00Z"));
  const Step a = StepsOf(archive, Action::kArchive)[0];
  ASSERT_EQ(a.statements.size(), 4u);  // schema, move, mark, detach
  EXPECT_EQ(a.statements[2].sql,
            "COMMENT ON TABLE old.sensor_readings_y2024m09 IS 'pgpart:detached "
            "public.sensor_readings [2024-09-01T00:00:00Z, 2024-10-01T00:00:00Z) oid 16400'");
}

TEST(DetachedLeftovers, DroppedOnceTheUpperBoundIsPastKeepPlusDropDetachedAfter) {
  Table t = Sensor();
  t.detached.push_back(Leftover("2024-04", 15000));  // ends 2024-05-01 <= 2024-05-21: due
  t.detached.push_back(Leftover("2024-05", 15001));  // ends 2024-06-01: not yet
  Plan plan = ComputePlan(Policies(kDetachAfter), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  ASSERT_TRUE(plan.diagnostics.empty()) << plan.diagnostics[0].Format();
  const std::vector<Step> drops = DropsOf(plan);
  ASSERT_EQ(Names(drops), (V{"sensor_readings_y2024m04"}));
  const Step& d = drops[0];
  EXPECT_EQ(d.reason, Reason::kRetention);
  EXPECT_EQ(d.status, StepStatus::kPlanned);
  EXPECT_EQ(d.from, "2024-04-01T00:00:00Z");  // the backup gate's bounds
  EXPECT_EQ(d.to, "2024-05-01T00:00:00Z");
  EXPECT_EQ(d.rows_estimate, 1000);
  ASSERT_EQ(d.statements.size(), 1u);
  EXPECT_EQ(d.statements[0].sql, "DROP TABLE public.sensor_readings_y2024m04");
  EXPECT_EQ(d.hazards, (std::vector<Hazard>{Hazard::kDeletesData, Hazard::kBackupUnverified}));
  EXPECT_TRUE(plan.tables[0].drift.empty()) << ::testing::PrintToString(plan.tables[0].drift);

  // A month later the second one is due too.
  Plan later = ComputePlan(Policies(kDetachAfter), CatalogOf({t}), At("2026-12-21T12:00:00Z"));
  EXPECT_EQ(Names(DropsOf(later)), (V{"sensor_readings_y2024m04", "sensor_readings_y2024m05"}));

  // Without dropDetachedAfter they are kept for ever.
  Plan kept = ComputePlan(Policies(Policy("{keep: 24 months, action: detach}")), CatalogOf({t}),
                          At("2030-01-01T00:00:00Z"));
  EXPECT_TRUE(DropsOf(kept).empty());
}

TEST(DetachedLeftovers, ArchivedLeftoversInTheArchiveSchemaAreDropped) {
  Table t = Sensor();
  t.detached.push_back(Leftover("2024-04", 15000, "old"));
  Plan plan = ComputePlan(
      Policies(Policy("{keep: 24 months, action: archive, archiveSchema: old, "
                      "dropDetachedAfter: 6 months}")),
      CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  const std::vector<Step> drops = DropsOf(plan);
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].statements[0].sql, "DROP TABLE old.sensor_readings_y2024m04");
}

TEST(DetachedLeftovers, HoldsAndMaxDropsPerRunApplyAsToPartitions) {
  Table t = Sensor();
  t.detached.push_back(Leftover("2024-03", 15000));
  t.detached.push_back(Leftover("2024-04", 15001));
  // By name, by range.
  for (const std::string& holds :
       {std::string("  holds: [{partition: sensor_readings_y2024m04, reason: audit}]\n"),
        std::string("  holds: [{from: 2024-04-01, to: 2024-04-02, reason: audit}]\n")}) {
    SCOPED_TRACE(holds);
    Plan plan = ComputePlan(
        Policies(Policy("{keep: 24 months, action: detach, dropDetachedAfter: 6 months}", holds)),
        CatalogOf({t}), At("2026-11-21T12:00:00Z"));
    const std::vector<Step> drops = DropsOf(plan);
    ASSERT_EQ(Names(drops), (V{"sensor_readings_y2024m03", "sensor_readings_y2024m04"}));
    EXPECT_EQ(drops[0].status, StepStatus::kPlanned);
    EXPECT_EQ(drops[1].status, StepStatus::kHeld);
    EXPECT_EQ(drops[1].held_by, "audit");
  }
  // maxDropsPerRun: the oldest goes first, the next waits.
  Plan limited = ComputePlan(
      Policies(Policy("{keep: 24 months, action: detach, dropDetachedAfter: 6 months, "
                      "maxDropsPerRun: 1}")),
      CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  const std::vector<Step> drops = DropsOf(limited);
  ASSERT_EQ(drops.size(), 2u);
  EXPECT_EQ(drops[0].status, StepStatus::kPlanned);
  EXPECT_EQ(drops[1].status, StepStatus::kBlocked);
  EXPECT_NE(drops[1].blocked_by.find("maxDropsPerRun (1)"), std::string::npos);
}

// Only the very table pgpart detached is ever dropped: a marker copied onto another table (a
// restore, COMMENT by hand), or one in the wrong place, is reported and left alone.
TEST(DetachedLeftovers, TablesPgpartDidNotDetachAreReportedNotDropped) {
  struct Case {
    const char* name;
    std::function<void(Child&)> change;
    const char* why;
  };
  const std::vector<Case> cases{
      {"no oid in the marker", [](Child& c) { c.marker_oid = 0; }, "names no table oid"},
      {"another table's oid", [](Child& c) { c.oid = 17001; },
       "set on the table with oid 15000, not on this one (oid 17001)"},
      {"a partitioned table", [](Child& c) { c.sub_partitioned = true; },
       "it is a partitioned table"},
      {"another schema", [](Child& c) { c.name.schema = "restore"; }, "not in schema public"},
      {"another name", [](Child& c) { c.name.name = "sensor_copy"; },
       "its name is not sensor_readings_y2024m04"},
      {"no bounds",
       [](Child& c) {
         c.from = Bound::Min();
         c.to = Bound::Max();
       },
       "its marker has no bounds"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    Table t = Sensor();
    Child leftover = Leftover("2024-04", 15000);
    k.change(leftover);
    t.detached.push_back(leftover);
    Plan plan = ComputePlan(Policies(kDetachAfter), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
    EXPECT_TRUE(DropsOf(plan).empty());
    ASSERT_EQ(plan.tables.size(), 1u);
    bool reported = false;
    for (const std::string& d : plan.tables[0].drift) {
      if (d.find(leftover.name.Sql() + " carries a pgpart detached marker") != std::string::npos &&
          d.find(k.why) != std::string::npos) {
        reported = true;
      }
    }
    EXPECT_TRUE(reported) << ::testing::PrintToString(plan.tables[0].drift);
  }
}

// keep raised after a detach (with a start): the period is wanted again, but its name is the
// leftover's. The create is blocked with the reason (it would fail on "relation already exists").
TEST(DetachedLeftovers, ACreateNamedLikeALeftoverIsBlocked) {
  Table t = Sensor();
  t.detached.push_back(Leftover("2024-08", 15000));
  Plan plan = ComputePlan(
      Policies(Policy("{keep: 30 months, action: detach}", "  start: 2024-01-01\n")),
      CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  const std::vector<Step> creates = StepsOf(plan, Action::kCreate);
  const auto it = std::find_if(creates.begin(), creates.end(), [](const Step& s) {
    return s.partition.name == "sensor_readings_y2024m08";
  });
  ASSERT_NE(it, creates.end()) << ::testing::PrintToString(Names(creates));
  EXPECT_EQ(it->status, StepStatus::kBlocked);
  EXPECT_NE(it->blocked_by.find("that pgpart detached from public.sensor_readings exists"),
            std::string::npos)
      << it->blocked_by;
}

TEST(DetachedLeftovers, PolicyHashChangesOnlyWhenDropDetachedAfterIsSet) {
  const std::string without = Policy("{keep: 24 months, action: detach}");
  EXPECT_NE(PolicyHash(Policies(without)), PolicyHash(Policies(kDetachAfter)));
  EXPECT_NE(PolicyHash(Policies(kDetachAfter)),
            PolicyHash(Policies(
                Policy("{keep: 24 months, action: detach, dropDetachedAfter: 7 months}"))));
}

TEST(DetachedLeftovers, StatusListsThemWithBoundsSizeAndSince) {
  Table t = Sensor();
  Child detached = Leftover("2024-05", 15001);
  detached.detached_at_micros = At("2026-06-01T03:00:00.250Z");
  t.detached.push_back(detached);
  Child copy = Leftover("2024-06", 15002, "old");
  copy.oid = 18000;  // a restored copy: listed, flagged
  t.detached.push_back(copy);
  const std::vector<pgpart::Policy> policies = Policies(kDetachAfter);
  Catalog catalog = CatalogOf({t});
  const int64_t now = At("2026-11-21T12:00:00Z");
  Status st = ComputeStatus(policies, catalog, ComputePlan(policies, catalog, now), now);
  ASSERT_EQ(st.tables.size(), 1u);
  ASSERT_EQ(st.tables[0].detached.size(), 2u);
  const DetachedTable& d = st.tables[0].detached[0];
  EXPECT_EQ(d.table, "sensor_readings_y2024m05");
  EXPECT_EQ(d.action, "detach");
  EXPECT_EQ(d.from, "2024-05-01T00:00:00Z");
  EXPECT_EQ(d.to, "2024-06-01T00:00:00Z");
  EXPECT_EQ(d.rows_estimate, 1000);
  EXPECT_EQ(d.bytes, 65536);
  EXPECT_EQ(d.since, "2026-06-01T03:00:00Z");
  EXPECT_TRUE(d.verified);
  const DetachedTable& c = st.tables[0].detached[1];
  EXPECT_EQ(c.table, "old.sensor_readings_y2024m06");
  EXPECT_EQ(c.action, "archive");
  EXPECT_EQ(c.since, "");
  EXPECT_FALSE(c.verified);
}

}  // namespace
}  // namespace pgpart
