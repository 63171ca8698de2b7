// `pgpart status` end to end: the built binary against the sandbox, used as a monitoring check.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

constexpr char kPolicy[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: readings}
spec:
  tables: [public.readings]
  interval: 1 month
  premake: 3
  defaultPartition: true
  retention: {keep: 24 months}
)";

class E2eStatusCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 2026-09 .. 2027-02 around the fixed clock 2026-11-21: a buffer of 3 whole periods.
    db_.Exec(R"SQL(
      CREATE TABLE readings (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
      CREATE TABLE readings_default PARTITION OF readings DEFAULT;
      DO $$
      DECLARE m date := '2026-09-01';
      BEGIN
        WHILE m < '2027-03-01' LOOP
          EXECUTE format('CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
                         'readings_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
                         m::timestamptz, (m + interval '1 month')::timestamptz);
          m := m + interval '1 month';
        END LOOP;
      END $$;
    )SQL");
    policy_ = TestDir() + "/readings.yaml";
    WriteFile(policy_, kPolicy);
  }
  RunResult Status(const std::string& format) {
    return RunPgpart({"status", "-f", policy_, "--dsn", db_.dsn(), "--at", kAt, "--format",
                      format});
  }
  ScratchDatabase db_;
  std::string policy_;
};

TEST_F(E2eStatusCommandTest, HealthyTableExitsZeroAndRowsInTheDefaultWarn) {
  RunResult ok = Status("json");
  EXPECT_EQ(ok.exit_code, 0) << ok.err << ok.out;
  RunResult prom = Status("prometheus");
  EXPECT_EQ(prom.exit_code, 0) << prom.err;
  EXPECT_NE(prom.out.find("pgpart_future_buffer_periods{policy=\"readings\",table=\"public."
                          "readings\"} 3"),
            std::string::npos)
      << prom.out;
  EXPECT_NE(prom.out.find("pgpart_partitions{policy=\"readings\",table=\"public.readings\"} 6"),
            std::string::npos)
      << prom.out;

  // A row with no partition of its own lands in the default: a warning (exit 2), counted.
  db_.Exec("INSERT INTO readings VALUES ('2030-01-01', 1)");
  RunResult warn = Status("prometheus");
  EXPECT_EQ(warn.exit_code, 2) << warn.err << warn.out;
  EXPECT_NE(warn.out.find("pgpart_default_partition_rows{policy=\"readings\",table=\"public."
                          "readings\"} 1"),
            std::string::npos)
      << warn.out;
}

TEST_F(E2eStatusCommandTest, MissingTableIsAnError) {
  db_.Exec("DROP TABLE readings");
  RunResult r = Status("text");
  EXPECT_EQ(r.exit_code, 1) << r.out;
}

}  // namespace
}  // namespace pgpart::e2e
