// Issue 13, old rows and changed policies on already-partitioned tables: the default partition's
// rows of expired periods are retired (create, drain, retire as one unit), `start` older than
// retention says what happens, and a changed interval (or a partition off the grid) leaves no
// gap: the part of a period nothing covers gets a bridge partition.

#include <gtest/gtest.h>

#include <algorithm>

#include "core/calendar.h"
#include "plan/planner.h"
#include "plan/select.h"
#include "plan/simulate.h"
#include "plan_fixture.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddChild;
using ::pgpart::testing::AddDefault;
using ::pgpart::testing::AddMonths;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::Names;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;
using ::pgpart::testing::StepsOf;
using V = std::vector<std::string>;

constexpr char kAt[] = "2026-11-21T12:00:00Z";

std::string SensorPolicy(const std::string& retention, const std::string& extra = "") {
  return R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor-readings}
spec:
  tables: [public.sensor_readings]
  interval: 1 month
  premake: 3
  defaultPartition: true
  retention: )" +
         retention + "\n" + extra;
}

void AddBucket(Table& t, const std::string& from, const std::string& to, int64_t rows) {
  t.default_buckets.push_back(DefaultBucket{*ParseBoundText(t.key_type, from),
                                            *ParseBoundText(t.key_type, to), rows});
  t.default_rows += rows;
  t.default_buckets_known = true;
}

// Monthly partitions 2024-09 .. 2026-12 and a default holding rows of 2023-12 (4) and 2024-03
// (5), both past retention (keep 24 months: cutoff 2024-11-21), and of 2027-01 (2).
Table SensorWithOldRows() {
  Table t = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(t, "2024-09", 28);
  AddDefault(t, 0);
  AddBucket(t, "2023-12-01T00:00:00Z", "2024-01-01T00:00:00Z", 4);
  AddBucket(t, "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z", 5);
  AddBucket(t, "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", 2);
  return t;
}

std::vector<std::string> Lines(const Plan& plan) {
  std::vector<std::string> out;
  for (const Step& s : plan.steps) {
    out.push_back(ActionName(s.action) + " " + s.partition.name + " " + ReasonName(s.reason) +
                  " " + StatusName(s.status));
  }
  return out;
}

bool Mentions(const std::vector<std::string>& lines, const std::string& a, const std::string& b) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(a) != std::string::npos && l.find(b) != std::string::npos;
  });
}

TEST(OldRows, DefaultRowsOfExpiredPeriodsAreMovedIntoAPartitionThatIsRetiredInOneUnit) {
  Table t = SensorWithOldRows();
  Catalog catalog = CatalogOf({t});
  const auto policies = Policies(SensorPolicy("{keep: 24 months}"));
  Plan plan = ComputePlan(policies, catalog, At(kAt));
  ASSERT_TRUE(plan.diagnostics.empty()) << plan.diagnostics[0].Format();
  EXPECT_EQ(Lines(plan), (V{
                             "create sensor_readings_y2023m12 retention planned",
                             "drain_default sensor_readings_y2023m12 retention planned",
                             "drop sensor_readings_y2023m12 retention planned",
                             "create sensor_readings_y2024m03 retention planned",
                             "drain_default sensor_readings_y2024m03 retention planned",
                             "drop sensor_readings_y2024m03 retention planned",
                             "drop sensor_readings_y2024m09 retention planned",
                             "drop sensor_readings_y2024m10 retention planned",
                             "create sensor_readings_y2027m01 premake planned",
                             "drain_default sensor_readings_y2027m01 premake planned",
                             "create sensor_readings_y2027m02 premake planned",
                         }));
  // Apply runs create, drain and drop as one unit (one transaction); --only retention keeps it.
  EXPECT_EQ(UnitSize(plan.steps, 0), 3u);
  EXPECT_EQ(UnitSize(plan.steps, 3), 3u);
  EXPECT_EQ(UnitSize(plan.steps, 6), 1u);
  EXPECT_EQ(UnitSize(plan.steps, 8), 2u);
  const std::vector<StepKind> kinds = KindsOf(plan.steps);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(kinds[i], StepKind::kRetention) << i;
  EXPECT_EQ(kinds[8], StepKind::kDrain);

  const Step& drain = plan.steps[4];
  EXPECT_EQ(drain.rows_estimate, 5);
  EXPECT_EQ(drain.from, "2024-03-01T00:00:00Z");
  EXPECT_EQ(drain.to, "2024-04-01T00:00:00Z");
  ASSERT_EQ(drain.statements.size(), 3u);
  EXPECT_EQ(drain.statements[1].sql,
            "WITH moved AS (DELETE FROM ONLY public.sensor_readings_default WHERE recorded_at >= "
            "'2024-03-01 00:00:00+00' AND recorded_at < '2024-04-01 00:00:00+00' RETURNING "
            "recorded_at, payload) INSERT INTO public.sensor_readings_y2024m03 (recorded_at, "
            "payload) SELECT recorded_at, payload FROM moved");
  const Step& drop = plan.steps[5];
  EXPECT_EQ(drop.rows_estimate, 5);
  ASSERT_EQ(drop.statements.size(), 1u);
  EXPECT_EQ(drop.statements[0].sql, "DROP TABLE public.sensor_readings_y2024m03");
  EXPECT_TRUE(drop.statements[0].transactional);
  EXPECT_EQ(drop.hazards, (std::vector<Hazard>{Hazard::kDeletesData,
                                               Hazard::kAcquiresAccessExclusiveLock,
                                               Hazard::kBackupUnverified}));
  EXPECT_TRUE(Mentions(plan.tables[0].drift, "~9 rows of 2 periods past retention", "drop"))
      << ::testing::PrintToString(plan.tables[0].drift);

  // Applied: the rows are gone and the plan has nothing more to do (idempotent).
  SimulateApply(plan, catalog);
  Plan again = ComputePlan(policies, catalog, At(kAt));
  EXPECT_FALSE(again.HasChanges()) << ::testing::PrintToString(Lines(again));
  EXPECT_EQ(catalog.tables[0].default_rows, 0);
}

TEST(OldRows, AHoldOrALimitKeepsTheWholeUnitAndTheRowsWhereTheyAre) {
  Table t = SensorWithOldRows();
  const auto held = Policies(SensorPolicy(
      "{keep: 24 months}", "  holds:\n    - {from: 2024-03-01, to: 2024-04-01, reason: LH-9}\n"));
  Plan plan = ComputePlan(held, CatalogOf({t}), At(kAt));
  const V lines = Lines(plan);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "create sensor_readings_y2024m03 retention held"),
            lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "drain_default sensor_readings_y2024m03 retention held"),
            lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "drop sensor_readings_y2024m03 retention held"),
            lines.end());
  for (const Step& s : plan.steps) {
    if (s.partition.name == "sensor_readings_y2024m03") {
      EXPECT_EQ(s.held_by, "LH-9");
    }
  }
  EXPECT_TRUE(Mentions(plan.tables[0].drift, "~5 rows of the default partition", "hold"))
      << ::testing::PrintToString(plan.tables[0].drift);

  // maxDropsPerRun 1: the oldest unit runs; the other waits whole, and takes no drop slot away
  // from nothing else (the partitions' drops are blocked by the same limit, oldest first).
  const auto limited = Policies(SensorPolicy("{keep: 24 months, maxDropsPerRun: 1}"));
  Plan capped = ComputePlan(limited, CatalogOf({t}), At(kAt));
  EXPECT_EQ(Lines(capped), (V{
                               "create sensor_readings_y2023m12 retention planned",
                               "drain_default sensor_readings_y2023m12 retention planned",
                               "drop sensor_readings_y2023m12 retention planned",
                               "create sensor_readings_y2024m03 retention blocked",
                               "drain_default sensor_readings_y2024m03 retention blocked",
                               "drop sensor_readings_y2024m03 retention blocked",
                               "drop sensor_readings_y2024m09 retention blocked",
                               "drop sensor_readings_y2024m10 retention blocked",
                               "create sensor_readings_y2027m01 premake planned",
                               "drain_default sensor_readings_y2027m01 premake planned",
                               "create sensor_readings_y2027m02 premake planned",
                           }));
  EXPECT_NE(capped.steps[3].blocked_by.find("maxDropsPerRun"), std::string::npos);
}

TEST(OldRows, DetachAndArchiveMarkThePartitionTheyCreateWithItsOwnOid) {
  Table t = SensorWithOldRows();
  Plan detach = ComputePlan(Policies(SensorPolicy("{keep: 24 months, action: detach}")),
                            CatalogOf({t}), At(kAt));
  auto detaches = StepsOf(detach, Action::kDetach);
  ASSERT_EQ(Names(detaches), (V{"sensor_readings_y2023m12", "sensor_readings_y2024m03",
                                "sensor_readings_y2024m09", "sensor_readings_y2024m10"}));
  ASSERT_EQ(detaches[1].statements.size(), 2u);
  // The oid is unknown when planning: read when the marker is set, the same text as for others.
  EXPECT_EQ(detaches[1].statements[0].sql,
            "DO $pgpart$BEGIN EXECUTE format('COMMENT ON TABLE %s IS %L', "
            "'public.sensor_readings_y2024m03'::regclass, 'pgpart:detached "
            "public.sensor_readings [2024-03-01T00:00:00Z, 2024-04-01T00:00:00Z) oid ' || "
            "'public.sensor_readings_y2024m03'::regclass::oid::text); END$pgpart$");
  EXPECT_EQ(detaches[1].statements[1].sql,
            "ALTER TABLE public.sensor_readings DETACH PARTITION "
            "public.sensor_readings_y2024m03");
  EXPECT_EQ(detaches[1].hazards, (std::vector<Hazard>{Hazard::kDetachesData,
                                                      Hazard::kAcquiresAccessExclusiveLock}));

  Plan archive =
      ComputePlan(Policies(SensorPolicy("{keep: 24 months, action: archive, archiveSchema: old}")),
                  CatalogOf({t}), At(kAt));
  auto archives = StepsOf(archive, Action::kArchive);
  ASSERT_EQ(archives.size(), 4u);
  ASSERT_EQ(archives[1].statements.size(), 4u);
  EXPECT_EQ(archives[1].statements[1].sql,
            "ALTER TABLE public.sensor_readings_y2024m03 SET SCHEMA old");
  EXPECT_NE(archives[1].statements[2].sql.find("'old.sensor_readings_y2024m03'::regclass::oid"),
            std::string::npos);
}

TEST(OldRows, TheUnitWaitsWholeWhenItsPartitionCannotBeCreated) {
  // A detached leftover of 2024-03 holds the name (late rows of a detached period).
  Table t = SensorWithOldRows();
  Child leftover;
  leftover.name = {"public", "sensor_readings_y2024m03"};
  leftover.from = *ParseBoundText(t.key_type, "2024-03-01T00:00:00Z");
  leftover.to = *ParseBoundText(t.key_type, "2024-04-01T00:00:00Z");
  t.detached.push_back(leftover);
  // And a snapshot that does not list the columns blocks every drain.
  Table no_columns = SensorWithOldRows();
  no_columns.columns.clear();
  no_columns.columns_known = false;
  for (const Table& table : {t, no_columns}) {
    Plan plan = ComputePlan(Policies(SensorPolicy("{keep: 24 months, action: detach}")),
                            CatalogOf({table}), At(kAt));
    int blocked = 0;
    for (const Step& s : plan.steps) {
      if (s.partition.name != "sensor_readings_y2024m03") continue;
      EXPECT_EQ(s.status, StepStatus::kBlocked) << ActionName(s.action);
      ++blocked;
    }
    EXPECT_EQ(blocked, 3);
  }
}

TEST(OldRows, EmptyExpiredPeriodsAreNotCreatedAndStartOlderThanKeepSaysWhy) {
  Table t = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(t, "2026-11", 1);
  const std::string policy = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor-readings}
spec:
  tables: [public.sensor_readings]
  interval: 1 month
  premake: 1
  start: 2024-01-01
  retention: {keep: 24 months}
)";
  Plan plan = ComputePlan(Policies(policy), CatalogOf({t}), At(kAt));
  // 2024-11 (cutoff 2024-11-21 falls in it) is the oldest period created: not 2024-01..2024-10.
  auto creates = Names(StepsOf(plan, Action::kCreate));
  ASSERT_FALSE(creates.empty());
  EXPECT_EQ(creates.front(), "sensor_readings_y2024m11");
  EXPECT_TRUE(Mentions(plan.tables[0].notes, "start 2024-01-01 is older than retention (keep 24 "
                                             "months",
                       "[2024-01-01T00:00:00Z, 2024-11-01T00:00:00Z) are not created"))
      << ::testing::PrintToString(plan.tables[0].notes);
  EXPECT_TRUE(Mentions(plan.tables[0].notes, "not created only to be retired",
                       "refused by PostgreSQL"));

  // With a default partition the rows land there and are retired; a period holding some is
  // created (for its rows), drained and dropped; the others are not created at all.
  AddDefault(t, 0);
  AddBucket(t, "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", 7);
  Plan with_default =
      ComputePlan(Policies(std::string(policy) + "  defaultPartition: true\n"), CatalogOf({t}),
                  At(kAt));
  EXPECT_TRUE(Mentions(with_default.tables[0].notes, "land in the default partition",
                       "retires it (drop)"));
  EXPECT_EQ(Names(StepsOf(with_default, Action::kDrop)), (V{"sensor_readings_y2024m02"}));
  EXPECT_EQ(Names(StepsOf(with_default, Action::kCreate)).front(), "sensor_readings_y2024m02");
  EXPECT_EQ(Names(StepsOf(with_default, Action::kCreate))[1], "sensor_readings_y2024m11");
}

TEST(OldRows, IntegerKeysToo) {
  Table t = RangeTable("ids", "id", KeyType::kBigInt);
  for (int i = 8; i <= 11; ++i) {
    AddChild(t, "ids_p" + std::to_string(i * 1000), std::to_string(i * 1000),
             std::to_string((i + 1) * 1000));
  }
  AddDefault(t, 0);
  AddBucket(t, "2000", "3000", 4);
  AddBucket(t, "7000", "8000", 1);  // its period ends after max(id) - keep = 7500: not expired
  t.max_key = 10'500;
  const std::string policy = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: ids}
spec:
  tables: [public.ids]
  interval: 1000
  premake: 1
  defaultPartition: true
  retention: {keep: 3000}
)";
  Catalog catalog = CatalogOf({t});
  Plan plan = ComputePlan(Policies(policy), catalog, At(kAt));
  EXPECT_EQ(Lines(plan), (V{
                             "create ids_p2000 retention planned",
                             "drain_default ids_p2000 retention planned",
                             "drop ids_p2000 retention planned",
                         }));
  SimulateApply(plan, catalog);
  EXPECT_FALSE(ComputePlan(Policies(policy), catalog, At(kAt)).HasChanges());
}

// --- bridges ---------------------------------------------------------------------------------

struct Change {
  std::string label;
  KeyType key_type;
  std::vector<std::pair<std::string, std::string>> children;  // what the old interval made
  std::string interval;                                       // the new one
  std::string zone;
  std::string at;
  std::optional<int64_t> max_key;
  V bridges;  // expected bridge creates, "name [from, to)"
};

std::string Policy(const Change& c) {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: t}\nspec:\n"
         "  tables: [public.t]\n  interval: " +
         c.interval + "\n  timeZone: " + c.zone + "\n  premake: 2\n";
}

// Every key from the current period's start to the last premade period's end is in a partition.
void ExpectNoGap(const Change& c, const Table& t, const Plan& plan) {
  std::string error;
  auto interval = ParseInterval(c.interval, &error);
  auto grid = Grid::Make(c.key_type, *interval, FindZone(c.zone), &error);
  ASSERT_TRUE(grid) << error;
  const int64_t now = c.max_key ? *c.max_key : grid->Now(At(c.at));
  Bound cursor = Bound::Value(grid->Lower(grid->IndexOf(now)));
  const Bound end = Bound::Value(grid->Upper(grid->IndexOf(now) + 2));
  for (bool moved = true; moved && cursor < end;) {
    moved = false;
    for (const Child& child : t.children) {
      if (!(cursor < child.from) && cursor < child.to) {
        cursor = child.to;
        moved = true;
      }
    }
  }
  EXPECT_FALSE(cursor < end) << c.label << ": nothing covers " << BoundText(c.key_type, cursor)
                             << ::testing::PrintToString(Lines(plan));
}

TEST(Bridges, ChangedIntervalsLeaveNoGapAndConverge) {
  const std::vector<Change> changes{
      {"month to week (the issue's case)",
       KeyType::kTimestampTz,
       {{"2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z"},
        {"2027-04-01T00:00:00Z", "2027-05-01T00:00:00Z"}},
       "1 week",
       "UTC",
       "2027-04-20T12:00:00Z",
       std::nullopt,
       {"t_y2027w17_from_20270501 [2027-05-01T00:00:00Z, 2027-05-03T00:00:00Z)"}},
      {"month to week in Berlin: names by the local date",
       KeyType::kTimestampTz,
       {{"2027-03-31T22:00:00Z", "2027-04-30T22:00:00Z"}},
       "1 week",
       "Europe/Berlin",
       "2027-04-20T12:00:00Z",
       std::nullopt,
       {"t_y2027w17_from_20270501 [2027-04-30T22:00:00Z, 2027-05-02T22:00:00Z)"}},
      {"week to month",
       KeyType::kTimestampTz,
       {{"2027-04-12T00:00:00Z", "2027-04-19T00:00:00Z"},
        {"2027-04-19T00:00:00Z", "2027-04-26T00:00:00Z"},
        {"2027-04-26T00:00:00Z", "2027-05-03T00:00:00Z"},
        {"2027-05-03T00:00:00Z", "2027-05-10T00:00:00Z"}},
       "1 month",
       "UTC",
       "2027-04-20T12:00:00Z",
       std::nullopt,
       {"t_y2027m04_from_20270401 [2027-04-01T00:00:00Z, 2027-04-12T00:00:00Z)",
        "t_y2027m05_from_20270510 [2027-05-10T00:00:00Z, 2027-06-01T00:00:00Z)"}},
      {"month to quarter",
       KeyType::kTimestampTz,
       {{"2027-04-01T00:00:00Z", "2027-05-01T00:00:00Z"},
        {"2027-05-01T00:00:00Z", "2027-06-01T00:00:00Z"}},
       "1 quarter",
       "UTC",
       "2027-04-20T12:00:00Z",
       std::nullopt,
       {"t_y2027q2_from_20270601 [2027-06-01T00:00:00Z, 2027-07-01T00:00:00Z)"}},
      {"month to year (timestamp without time zone)",
       KeyType::kTimestamp,
       {{"2027-01-01T00:00:00", "2027-02-01T00:00:00"},
        {"2027-02-01T00:00:00", "2027-03-01T00:00:00"}},
       "1 year",
       "UTC",
       "2027-01-20T12:00:00Z",
       std::nullopt,
       {"t_y2027_from_20270301 [2027-03-01T00:00:00, 2028-01-01T00:00:00)"}},
      {"day to month (date key): both sides of the days",
       KeyType::kDate,
       {{"2027-04-18", "2027-04-19"}, {"2027-04-19", "2027-04-20"}, {"2027-04-20", "2027-04-21"}},
       "1 month",
       "UTC",
       "2027-04-20T12:00:00Z",
       std::nullopt,
       {"t_y2027m04_from_20270401 [2027-04-01, 2027-04-18)",
        "t_y2027m04_from_20270421 [2027-04-21, 2027-05-01)"}},
      {"integers 1000 to 3000",
       KeyType::kBigInt,
       {{"5000", "6000"}, {"6000", "7000"}},
       "3000",
       "UTC",
       kAt,
       6500,
       {"t_p6000_from_7000 [7000, 9000)"}},
      {"integers 3000 to 2000 (not multiples)",
       KeyType::kBigInt,
       {{"3000", "6000"}, {"6000", "9000"}},
       "2000",
       "UTC",
       kAt,
       7500,
       {"t_p8000_from_9000 [9000, 10000)"}},
      {"quarter to month: the months inside are covered, no bridge",
       KeyType::kTimestampTz,
       {{"2027-04-01T00:00:00Z", "2027-07-01T00:00:00Z"}},
       "1 month",
       "UTC",
       "2027-04-20T12:00:00Z",
       std::nullopt,
       {}},
  };
  for (const Change& c : changes) {
    SCOPED_TRACE(c.label);
    Table t = RangeTable("t", "k", c.key_type);
    for (const auto& [from, to] : c.children) AddChild(t, "t_old_" + from, from, to);
    t.max_key = c.max_key;
    Catalog catalog = CatalogOf({t});
    Plan plan = ComputePlan(Policies(Policy(c)), catalog, At(c.at));
    ASSERT_FALSE(HasErrors(plan.diagnostics)) << plan.diagnostics[0].Format();
    V bridges;
    for (const Step& s : StepsOf(plan, Action::kCreate)) {
      if (s.partition.name.find("_from_") != std::string::npos) {
        bridges.push_back(s.partition.name + " [" + s.from + ", " + s.to + ")");
      }
    }
    EXPECT_EQ(bridges, c.bridges);
    SimulateApply(plan, catalog);
    ExpectNoGap(c, catalog.tables[0], plan);
    // Converged: the bridges are known as such (notes, not drift), nothing left to do.
    Plan again = ComputePlan(Policies(Policy(c)), catalog, At(c.at));
    EXPECT_FALSE(again.HasChanges()) << ::testing::PrintToString(Lines(again));
    for (const std::string& d : again.tables[0].drift) {
      EXPECT_FALSE(d.starts_with("partition t_y") || d.starts_with("partition t_p")) << d;
    }
    for (const std::string& b : c.bridges) {
      const std::string name = b.substr(0, b.find(' '));
      EXPECT_TRUE(Mentions(again.tables[0].notes, "partition " + name, "is a bridge"))
          << ::testing::PrintToString(again.tables[0].notes);
    }
  }
}

TEST(Bridges, AdoptedPartitionsGetBridgesAroundThemNotOverThem) {
  Table t = RangeTable("t", "k", KeyType::kTimestampTz);
  AddChild(t, "t_legacy", "2026-11-10T00:00:00Z", "2026-12-20T00:00:00Z");
  const std::string policy = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: t}
spec:
  tables: [public.t]
  interval: 1 month
  premake: 2
  adopt:
    - partition: t_legacy
)";
  Catalog catalog = CatalogOf({t});
  Plan plan = ComputePlan(Policies(policy), catalog, At(kAt));
  EXPECT_EQ(Names(StepsOf(plan, Action::kCreate)),
            (V{"t_y2026m11_from_20261101", "t_y2026m12_from_20261220", "t_y2027m01"}));
  EXPECT_TRUE(plan.tables[0].drift.empty()) << ::testing::PrintToString(plan.tables[0].drift);
  EXPECT_TRUE(Mentions(plan.tables[0].notes, "partly covered by adopted partition t_legacy",
                       "bridge partition t_y2026m11_from_20261101"));
  SimulateApply(plan, catalog);
  Plan again = ComputePlan(Policies(policy), catalog, At(kAt));
  EXPECT_FALSE(again.HasChanges());
  EXPECT_TRUE(again.tables[0].drift.empty()) << ::testing::PrintToString(again.tables[0].drift);
}

// A bridge whose name would be over 63 bytes is a blocked step, not an error that stops every
// step of the table (premake goes on).
TEST(Bridges, ANameTooLongIsBlockedNotAnErrorForTheTable) {
  const std::string parent(44, 'x');  // x..x_y2027w17 is 53 bytes; with _from_20270501, 67
  Table t = RangeTable(parent, "k", KeyType::kTimestampTz);
  AddChild(t, parent + "_old", "2027-04-01T00:00:00Z", "2027-05-01T00:00:00Z");
  const std::string policy = "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: "
                             "{name: t}\nspec:\n  tables: [public." +
                             parent + "]\n  interval: 1 week\n  premake: 2\n";
  Plan plan = ComputePlan(Policies(policy), CatalogOf({t}), At("2027-04-20T12:00:00Z"));
  EXPECT_FALSE(HasErrors(plan.diagnostics)) << plan.diagnostics[0].Format();
  auto creates = StepsOf(plan, Action::kCreate);
  ASSERT_EQ(creates.size(), 2u) << ::testing::PrintToString(Lines(plan));
  EXPECT_EQ(creates[0].status, StepStatus::kBlocked);
  EXPECT_NE(creates[0].blocked_by.find("would be 67 bytes, over PostgreSQL's 63"),
            std::string::npos)
      << creates[0].blocked_by;
  EXPECT_EQ(creates[1].partition.name, parent + "_y2027w18");
  EXPECT_EQ(creates[1].status, StepStatus::kPlanned);
}

TEST(Bridges, ExpiredPartsAreNotCreatedButTheirDefaultRowsAreRetired) {
  // The April monthly partition was dropped (keep 4 weeks); the ISO week straddling its end
  // [2027-04-26, 2027-05-03) keeps a bridge for [05-01, 05-03); its head [04-26, 05-01) is past
  // retention: not created, and its rows in the default are retired through a bridge.
  Table t = RangeTable("t", "k", KeyType::kTimestampTz);
  AddChild(t, "t_y2027w17_from_20270501", "2027-05-01T00:00:00Z", "2027-05-03T00:00:00Z");
  AddChild(t, "t_y2027w18", "2027-05-03T00:00:00Z", "2027-05-10T00:00:00Z");
  AddChild(t, "t_y2027w19", "2027-05-10T00:00:00Z", "2027-05-17T00:00:00Z");
  AddChild(t, "t_y2027w20", "2027-05-17T00:00:00Z", "2027-05-24T00:00:00Z");
  AddChild(t, "t_y2027w21", "2027-05-24T00:00:00Z", "2027-05-31T00:00:00Z");
  AddChild(t, "t_y2027w22", "2027-05-31T00:00:00Z", "2027-06-07T00:00:00Z");
  AddDefault(t, 0);
  AddBucket(t, "2027-04-26T00:00:00Z", "2027-05-03T00:00:00Z", 3);
  const std::string policy = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: t}
spec:
  tables: [public.t]
  interval: 1 week
  premake: 1
  defaultPartition: true
  retention: {keep: 4 weeks}
)";
  Catalog catalog = CatalogOf({t});
  // Cutoff 2027-05-02T12:00Z: [04-26, 05-01) past retention, the bridge [05-01, 05-03) not yet.
  Plan plan = ComputePlan(Policies(policy), catalog, At("2027-05-30T12:00:00Z"));
  EXPECT_EQ(Lines(plan), (V{
                             "create t_y2027w17_from_20270426 retention planned",
                             "drain_default t_y2027w17_from_20270426 retention planned",
                             "drop t_y2027w17_from_20270426 retention planned",
                         }));
  EXPECT_EQ(plan.steps[0].to, "2027-05-01T00:00:00Z");
  SimulateApply(plan, catalog);
  Plan again = ComputePlan(Policies(policy), catalog, At("2027-05-30T12:00:00Z"));
  EXPECT_FALSE(again.HasChanges()) << ::testing::PrintToString(Lines(again));
}

}  // namespace
}  // namespace pgpart
