// pg_partman configured for a table pgpart manages (issue 12 item 5): the real extension
// (Debian's postgresql-15-partman, installed by scripts/setup) in a schema of its own, the built
// binary. Two maintainers would fight over the partitions, so pgpart blocks the table's steps and
// says how to take it out of pg_partman; once out, the naming template of
// docs/migrating-from-pg_partman.md takes over pg_partman's partitions without renaming any.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

// premake 4 against pg_partman's 3: at least one create for pgpart to do (and block).
constexpr char kPolicy[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: events}
spec:
  tables: [public.events]
  interval: 1 month
  premake: 4
  defaultPartition: true
  naming: "{parent}_p{YYYY}_{MM}"
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: clicks}
spec:
  tables: [public.clicks]
  interval: 1 day
  premake: 5
  defaultPartition: true
  naming: "{parent}_p{YYYY}_{MM}_{DD}"
)";

class E2ePartmanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // pg_partman 4's native partitioning, premake 3, started two periods back: the partitions
    // and names its run_maintenance() keeps (events_p2026_10, clicks_p2026_12_03, ...).
    db_.Exec(R"SQL(
      CREATE SCHEMA partman;
      CREATE EXTENSION pg_partman SCHEMA partman;
      CREATE TABLE public.events (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
      CREATE TABLE public.clicks (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
      SELECT partman.create_parent('public.events', 'at', 'native', 'monthly', p_premake := 3,
                                   p_start_partition := to_char(date_trunc('month', now())
                                                                - interval '2 months',
                                                                'YYYY-MM-DD'));
      SELECT partman.create_parent('public.clicks', 'at', 'native', 'daily', p_premake := 3,
                                   p_start_partition := to_char(date_trunc('day', now())
                                                                - interval '2 days',
                                                                'YYYY-MM-DD'));
    )SQL");
    policy_ = TestDir() + "/policy.yaml";
    WriteFile(policy_, kPolicy);
  }
  int64_t Partitions(const std::string& table) {
    return std::stoll(db_.Scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = '" + table +
                                 "'::regclass"));
  }
  nlohmann::json PlanJson() {
    RunResult r = RunPgpart({"plan", "-f", policy_, "--dsn", db_.dsn(), "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return nlohmann::json::parse(r.out);
  }
  ScratchDatabase db_;
  std::string policy_;
};

TEST_F(E2ePartmanTest, ConfiguredTablesAreBlockedUntilTakenOutOfPgPartman) {
  ASSERT_EQ(db_.Scalar("SELECT extversion FROM pg_extension WHERE extname = 'pg_partman'")[0], '4');
  const int64_t events_before = Partitions("public.events");
  ASSERT_GE(events_before, 6);  // 2 back, the current one, 3 ahead, the default

  RunResult plan = RunPgpart({"plan", "-f", policy_, "--dsn", db_.dsn()});
  EXPECT_EQ(plan.exit_code, 0) << plan.err << plan.out;
  EXPECT_NE(plan.out.find("pg_partman maintains this table too (partman.part_config lists "
                          "'public.events', automatic_maintenance on): two maintainers would "
                          "fight over its partitions"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("DELETE FROM partman.part_config WHERE parent_table = 'public.events'"),
            std::string::npos)
      << plan.out;
  nlohmann::json j = PlanJson();
  ASSERT_FALSE(j["steps"].empty()) << j.dump(2);
  for (const auto& step : j["steps"]) {
    EXPECT_EQ(step["status"], "blocked") << step.dump();
    EXPECT_NE(step["blocked_by"].get<std::string>().find("pg_partman"), std::string::npos);
  }

  // Apply touches neither table: every step is blocked (exit 3).
  RunResult apply = RunPgpart({"apply", "-f", policy_, "--dsn", db_.dsn(), "--auto-approve"});
  EXPECT_EQ(apply.exit_code, 3) << apply.err << apply.out;
  EXPECT_EQ(Partitions("public.events"), events_before);

  // `pgpart status` says so too (a warning), with the fix.
  RunResult status = RunPgpart({"status", "-f", policy_, "--dsn", db_.dsn()});
  EXPECT_EQ(status.exit_code, 2) << status.out;
  EXPECT_NE(status.out.find("drift: pg_partman maintains this table too"), std::string::npos)
      << status.out;

  // Taken out as the message says: pg_partman's names are on pgpart's grid under the template,
  // so nothing is renamed and only pgpart's fourth premade month (and the daily table's extra
  // days) is created, named as pg_partman would have.
  db_.Exec("DELETE FROM partman.part_config WHERE parent_table IN ('public.events', "
           "'public.clicks')");
  j = PlanJson();
  for (const auto& t : j["tables"]) {
    for (const auto& d : t["drift"]) ADD_FAILURE() << t["table_name"] << ": " << d;
  }
  ASSERT_FALSE(j["steps"].empty());
  const std::regex monthly("events_p[0-9]{4}_[0-9]{2}");
  const std::regex daily("clicks_p[0-9]{4}_[0-9]{2}_[0-9]{2}");
  for (const auto& step : j["steps"]) {
    EXPECT_EQ(step["action"], "create") << step.dump();
    EXPECT_EQ(step["status"], "planned") << step.dump();
    const std::string name = step["partition_name"].get<std::string>();
    EXPECT_TRUE(std::regex_match(name, monthly) || std::regex_match(name, daily)) << name;
  }
  apply = RunPgpart({"apply", "-f", policy_, "--dsn", db_.dsn(), "--auto-approve"});
  EXPECT_EQ(apply.exit_code, 0) << apply.err << apply.out;
  EXPECT_EQ(Partitions("public.events"), events_before + 1);
  RunResult again = RunPgpart({"plan", "-f", policy_, "--dsn", db_.dsn()});
  EXPECT_NE(again.out.find("No changes."), std::string::npos) << again.out;
}

// A role that may not read part_config cannot know: pgpart warns and says what to grant (it
// cannot block what it cannot see; the DBA decides).
TEST_F(E2ePartmanTest, ARoleThatMayNotReadPartConfigIsWarned) {
  const std::string role = "pgpart_partman_reader";
  db_.Exec("DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role + " LOGIN NOSUPERUSER");
  RunResult plan = RunPgpart({"plan", "-f", policy_, "--dsn", db_.dsn() + " user=" + role});
  EXPECT_EQ(plan.exit_code, 0) << plan.err << plan.out;
  EXPECT_NE(plan.err.find("warning: pg_partman is installed (schema partman) but this role may "
                          "not read partman.part_config, so pgpart cannot tell whether "
                          "pg_partman maintains the same tables (two maintainers would fight "
                          "over their partitions); grant it USAGE ON SCHEMA partman and SELECT "
                          "ON partman.part_config"),
            std::string::npos)
      << plan.err;
  db_.Exec("GRANT USAGE ON SCHEMA partman TO " + role +
           "; GRANT SELECT ON partman.part_config TO " + role);
  plan = RunPgpart({"plan", "-f", policy_, "--dsn", db_.dsn() + " user=" + role});
  EXPECT_EQ(plan.err.find("pg_partman is installed"), std::string::npos) << plan.err;
  EXPECT_NE(plan.out.find("pg_partman maintains this table too"), std::string::npos) << plan.out;
  db_.Exec("DROP OWNED BY " + role + "; DROP ROLE " + role);
}

}  // namespace
}  // namespace pgpart::e2e
