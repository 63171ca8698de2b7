// Issue 13, changed policies: when the interval changes (or a hand-made partition covers part of a
// period), the part of a period that no partition covers gets a bridge partition, so no row of it
// is refused (or left in the default) while the plan says "No changes".

#include <gtest/gtest.h>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {
namespace {

std::string Policy(const std::string& table, const std::string& interval, int premake,
                   const std::string& extra = "") {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: p}\nspec:\n"
         "  tables: [public." +
         table + "]\n  interval: " + interval + "\n  premake: " + std::to_string(premake) + "\n" +
         extra;
}

RunResult Apply(const std::string& policy, const ScratchDatabase& db, const std::string& at) {
  return RunPgpart({"apply", "-f", policy, "--dsn", db.dsn(), "--at", at, "--auto-approve"});
}

RunResult Plan(const std::string& policy, const ScratchDatabase& db, const std::string& at) {
  return RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", at, "--detailed-exitcode"});
}

// "FROM (...) TO (...)" of a partition; "" when it is not one.
std::string Bounds(const ScratchDatabase& db, const std::string& partition) {
  return db.Scalar("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = to_regclass(" +
                   Literal(partition) + ")");
}

// Inserts one row (`values`: its columns); the error text when PostgreSQL refuses it ("" when it
// went in).
std::string Insert(const ScratchDatabase& db, const std::string& table, const std::string& values) {
  try {
    pqxx::connection conn(db.dsn());
    pqxx::work tx(conn);
    tx.exec("INSERT INTO public." + table + " VALUES (" + values + ")");
    tx.commit();
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

constexpr const char* kTs =
    "CREATE TABLE public.ev (id bigint NOT NULL, ts timestamptz NOT NULL) PARTITION BY RANGE (ts)";

// The issue's case: monthly partitions up to 2027-05-01, then weekly. The ISO week
// [2027-04-26, 2027-05-03) straddles the last monthly bound: [05-01, 05-03) was never created.
TEST(IntervalChange, MonthToWeekBridgesTheWeekThatStraddlesTheLastMonth) {
  ScratchDatabase db;
  db.Exec(kTs);
  const std::string monthly = WriteTestFile("monthly.yaml", Policy("ev", "1 month", 1));
  ASSERT_EQ(Apply(monthly, db, "2027-03-15T12:00:00Z").exit_code, 0);
  ASSERT_NE(Bounds(db, "public.ev_y2027m04"), "");

  const std::string weekly = WriteTestFile("weekly.yaml", Policy("ev", "1 week", 3));
  RunResult plan = Plan(weekly, db, "2027-04-20T12:00:00Z");
  EXPECT_EQ(plan.exit_code, 2) << Describe(plan);
  EXPECT_NE(plan.out.find("+ create          public.ev_y2027w17_from_20270501  "
                          "[2027-05-01T00:00:00Z, 2027-05-03T00:00:00Z)  premake"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("note: period [2027-04-26T00:00:00Z, 2027-05-03T00:00:00Z) is partly "
                          "covered by unmanaged partition ev_y2027m04; bridge partition "
                          "ev_y2027w17_from_20270501"),
            std::string::npos)
      << plan.out;
  RunResult r = Apply(weekly, db, "2027-04-20T12:00:00Z");
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Bounds(db, "public.ev_y2027w17_from_20270501"),
            "FOR VALUES FROM ('2027-05-01 00:00:00+00') TO ('2027-05-03 00:00:00+00')");
  EXPECT_EQ(Insert(db, "ev", "1, '2027-05-02 10:00Z'"), "");
  EXPECT_EQ(Insert(db, "ev", "1, '2027-05-03 10:00Z'"), "");  // the next week, made as before
  RunResult again = Plan(weekly, db, "2027-04-20T12:00:00Z");
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_NE(again.out.find("note: partition ev_y2027w17_from_20270501 [2027-05-01T00:00:00Z, "
                           "2027-05-03T00:00:00Z) is a bridge"),
            std::string::npos)
      << again.out;
  // Weeks later (the old months retired or not), the plan goes on from there.
  RunResult later = Apply(weekly, db, "2027-05-20T12:00:00Z");
  EXPECT_EQ(later.exit_code, 0) << Describe(later);
  EXPECT_EQ(Insert(db, "ev", "1, '2027-06-01 10:00Z'"), "");
}

// Weekly partitions, then monthly: the month the weeks end in is completed by a bridge, and so
// is the current month's start, before the first week.
TEST(IntervalChange, WeekToMonthBridgesBothEnds) {
  ScratchDatabase db;
  db.Exec(kTs);
  const std::string weekly = WriteTestFile("weekly.yaml", Policy("ev", "1 week", 2));
  ASSERT_EQ(Apply(weekly, db, "2027-04-20T12:00:00Z").exit_code, 0);  // [04-19, 05-10)
  const std::string monthly = WriteTestFile("monthly.yaml", Policy("ev", "1 month", 1));
  RunResult r = Apply(monthly, db, "2027-04-20T12:00:00Z");
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Bounds(db, "public.ev_y2027m04_from_20270401"),
            "FOR VALUES FROM ('2027-04-01 00:00:00+00') TO ('2027-04-19 00:00:00+00')");
  EXPECT_EQ(Bounds(db, "public.ev_y2027m05_from_20270510"),
            "FOR VALUES FROM ('2027-05-10 00:00:00+00') TO ('2027-06-01 00:00:00+00')");
  for (const char* key : {"'2027-04-02Z'", "'2027-05-20Z'", "'2027-05-31 23:00Z'"}) {
    EXPECT_EQ(Insert(db, "ev", std::string("1, ") + key), "") << key;
  }
  EXPECT_EQ(Plan(monthly, db, "2027-04-20T12:00:00Z").exit_code, 0);
}

// Integer keys: 1000 wide, then 3000 wide.
TEST(IntervalChange, IntegerIntervalsToo) {
  ScratchDatabase db;
  db.Exec(R"SQL(
CREATE TABLE public.ids (id bigint NOT NULL, v int) PARTITION BY RANGE (id);
CREATE TABLE public.ids_p5000 PARTITION OF public.ids FOR VALUES FROM (5000) TO (6000);
INSERT INTO public.ids VALUES (5500, 1);
)SQL");
  const std::string fine = WriteTestFile("fine.yaml", Policy("ids", "1000", 2));
  ASSERT_EQ(Apply(fine, db, kAt).exit_code, 0);  // [6000, 7000), [7000, 8000)
  const std::string coarse = WriteTestFile("coarse.yaml", Policy("ids", "3000", 1));
  RunResult r = Apply(coarse, db, kAt);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Bounds(db, "public.ids_p6000_from_8000"), "FOR VALUES FROM ('8000') TO ('9000')");
  EXPECT_EQ(Plan(coarse, db, kAt).exit_code, 0);  // (before the inserts move max(id))
  EXPECT_EQ(Insert(db, "ids", "8500, 1"), "");
  EXPECT_EQ(Insert(db, "ids", "3500, 1"), "");  // and the head of the current period
}

// A hand-made partition across two months (adopted, or not): the parts of the months it leaves
// get bridges; it is never created over.
TEST(IntervalChange, HandMadePartitionsGetBridgesAroundThem) {
  for (const std::string adopt : {"", "  adopt:\n    - partition: ev_legacy\n"}) {
    SCOPED_TRACE(adopt.empty() ? "unmanaged" : "adopted");
    ScratchDatabase db(adopt.empty() ? "u" : "a");
    db.Exec(std::string(kTs) +
            ";\nCREATE TABLE public.ev_legacy PARTITION OF public.ev FOR VALUES FROM "
            "('2026-11-10Z') TO ('2026-12-20Z')");
    const std::string policy = WriteTestFile("ev.yaml", Policy("ev", "1 month", 2, adopt));
    RunResult r = Apply(policy, db, kAt);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_EQ(Bounds(db, "public.ev_y2026m11_from_20261101"),
              "FOR VALUES FROM ('2026-11-01 00:00:00+00') TO ('2026-11-10 00:00:00+00')");
    EXPECT_EQ(Bounds(db, "public.ev_y2026m12_from_20261220"),
              "FOR VALUES FROM ('2026-12-20 00:00:00+00') TO ('2027-01-01 00:00:00+00')");
    EXPECT_EQ(Bounds(db, "public.ev_legacy"),
              "FOR VALUES FROM ('2026-11-10 00:00:00+00') TO ('2026-12-20 00:00:00+00')");
    for (const char* key : {"'2026-11-05Z'", "'2026-12-25Z'", "'2027-01-05Z'"}) {
      EXPECT_EQ(Insert(db, "ev", std::string("1, ") + key), "") << key;
    }
    EXPECT_EQ(Plan(policy, db, kAt).exit_code, 0);
  }
}

}  // namespace
}  // namespace pgpart::apply_e2e
