// Default partition: rows in the default that fall into a period being created are moved into the
// new child in the same transaction, counted in the output and the audit trail, and the run never
// fails with "updated partition constraint for default partition would be violated".

#include <gtest/gtest.h>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {
namespace {

constexpr const char* kViolated = "would be violated";

// public.ev (id, ts, v) with a default, partitions 2026-10 and 2026-11, and rows in the default:
// 4 in 2026-12, 6 in 2027-02 (both created by premake 3), 2 in 2030-05 and 1 in 2026-03 (outside
// the desired periods: they stay). Not analyzed: the counts must not come from statistics.
constexpr const char* kEvSql = R"SQL(
CREATE TABLE public.ev (id bigint NOT NULL, ts timestamptz NOT NULL, v int, PRIMARY KEY (id, ts))
  PARTITION BY RANGE (ts);
CREATE TABLE public.ev_default PARTITION OF public.ev DEFAULT;
CREATE TABLE public.ev_y2026m10 PARTITION OF public.ev
  FOR VALUES FROM ('2026-10-01 00:00+00') TO ('2026-11-01 00:00+00');
CREATE TABLE public.ev_y2026m11 PARTITION OF public.ev
  FOR VALUES FROM ('2026-11-01 00:00+00') TO ('2026-12-01 00:00+00');
INSERT INTO public.ev SELECT g, timestamptz '2026-10-01Z' + g * interval '9 hours', g
  FROM generate_series(0, 150) g;
INSERT INTO public.ev SELECT 1000 + g, timestamptz '2026-12-03Z' + g * interval '2 days', g
  FROM generate_series(1, 4) g;
INSERT INTO public.ev SELECT 2000 + g, timestamptz '2027-02-01Z' + g * interval '3 days', g
  FROM generate_series(0, 5) g;
INSERT INTO public.ev VALUES (3001, '2030-05-01 10:00Z', 1), (3002, '2030-05-02 10:00Z', 2),
  (3003, '2026-03-15 00:00Z', 3);
)SQL";

constexpr const char* kEvPolicy = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: ev}
spec:
  tables: [public.ev]
  interval: 1 month
  premake: 3
  defaultPartition: true
)";

std::string Digest(const ScratchDatabase& db, const std::string& where) {
  return db.Scalar("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM public.ev t WHERE " +
                   where);
}

TEST(DefaultPartition, RowsOfANewPeriodAreMovedIntoTheNewChildAndCounted) {
  ScratchDatabase db;
  db.Exec(kEvSql);
  const std::string policy = WriteTestFile("ev.yaml", kEvPolicy);
  const int64_t total = db.Count("SELECT count(*) FROM public.ev");
  const std::string december = Digest(db, "ts >= '2026-12-01Z' AND ts < '2027-01-01Z'");
  const std::string february = Digest(db, "ts >= '2027-02-01Z' AND ts < '2027-03-01Z'");

  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out.find(kViolated), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find(kViolated), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("drained default into public.ev_y2026m12 (4 rows)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("drained default into public.ev_y2027m02 (6 rows)"), std::string::npos)
      << r.out;

  // Moved, not copied or lost: the same rows, now in the children.
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.ev_y2026m12"), 4);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.ev_y2027m01"), 0);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.ev_y2027m02"), 6);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.ev_default"), 3);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev"), total);
  EXPECT_EQ(db.Scalar("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM ONLY "
                      "public.ev_y2026m12 t"),
            december);
  EXPECT_EQ(db.Scalar("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM ONLY "
                      "public.ev_y2027m02 t"),
            february);
  EXPECT_EQ(db.History(), (std::vector<std::string>{
                              "create public.ev_y2026m12 rows=-",
                              "drain_default public.ev_y2026m12 rows=4",
                              "create public.ev_y2027m01 rows=-",
                              "create public.ev_y2027m02 rows=-",
                              "drain_default public.ev_y2027m02 rows=6",
                          }));
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
}

// Rows land in the default after the plan was reviewed, in a period whose create was planned
// without a drain: the executor's re-check catches it (blocked, "plan again"), never a failed
// ATTACH; the next run drains them.
TEST(DefaultPartition, RowsArrivingAfterThePlanNeverFailTheAttach) {
  ScratchDatabase db;
  db.Exec(kEvSql);
  const std::string policy = WriteTestFile("ev.yaml", kEvPolicy);
  const std::string plan_file = TestDir() + "/plan.json";
  RunResult saved =
      RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", kAt, "-o", plan_file});
  ASSERT_EQ(saved.exit_code, 0) << Describe(saved);
  db.Exec(
      "INSERT INTO public.ev SELECT 5000 + g, timestamptz '2027-01-10Z' + g * interval '1 hour', "
      "g FROM generate_series(1, 5) g");
  const int64_t total = db.Count("SELECT count(*) FROM public.ev");

  RunResult r = RunPgpart({"apply", "--plan", plan_file, "--dsn", db.dsn(), "--auto-approve"});
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_NE(r.out.find("blocked: create public.ev_y2027m01: the table changed since the plan was "
                       "made; plan again"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.ev_y2026m12"), 4);  // the rest went on
  EXPECT_EQ(r.out.find(kViolated), std::string::npos) << Describe(r);
  EXPECT_EQ(r.err.find(kViolated), std::string::npos) << Describe(r);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev"), total);

  RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.ev_y2027m01"), 5);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev"), total);
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
}

// Hourly partitions and one device that reported the Unix epoch: the default's keys span about
// half a million hours. The rows of the hours being created must still be drained (and the 1970
// row left alone) — not an attach that fails, and not premake blocked for good.
TEST(DefaultPartition, FarAwayBadClockRowDoesNotStopDrains) {
  ScratchDatabase db;
  db.Exec(R"SQL(
CREATE TABLE public.pings (id bigint NOT NULL, ts timestamptz NOT NULL, v int)
  PARTITION BY RANGE (ts);
CREATE TABLE public.pings_default PARTITION OF public.pings DEFAULT;
CREATE TABLE public.pings_y2026m11d21h12 PARTITION OF public.pings
  FOR VALUES FROM ('2026-11-21 12:00+00') TO ('2026-11-21 13:00+00');
INSERT INTO public.pings VALUES (1, '2026-11-21 12:30Z', 1), (2, '2026-11-21 13:15Z', 2),
  (3, '2026-11-21 14:45Z', 3), (4, '1970-01-01 00:00Z', 4);
)SQL");
  const std::string policy = WriteTestFile("pings.yaml", R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: pings}
spec:
  tables: [public.pings]
  interval: 1 hour
  premake: 3
  defaultPartition: true
)");
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.err.find(kViolated), std::string::npos) << Describe(r);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.pings_y2026m11d21h13"), 1);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.pings_y2026m11d21h14"), 1);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.pings_default"), 1);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.pings"), 4);
}

}  // namespace
}  // namespace pgpart::apply_e2e
