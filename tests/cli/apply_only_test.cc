// Cron and systemd users (issue 12 item 6), end to end with the built binary on the sandbox:
// `apply --only` applies one kind of step and exits by that part alone; the shipped systemd
// units' command lines do what their comments say; every apply run is recorded per table in
// pgpart.history and `status` exports it (pgpart_last_apply_*).

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

// Kept 3 months behind a backup gate that refuses every drop; 3 months premade.
constexpr char kPolicy[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: gated}
spec:
  tables: [public.gated]
  interval: 1 month
  premake: 3
  retention: {keep: 3 months}
  backupGate: {kind: sql, query: "select false"}
)";

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The value of the first sample line starting with `series` ("name{labels}"), or -1.
double Sample(const std::string& metrics, const std::string& series) {
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

class E2eApplyOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Monthly partitions from 8 months ago through next month, by the database's clock: old ones
    // are due for retention (and the gate blocks them), 2 months are missing ahead.
    db_.Exec(R"SQL(
      CREATE TABLE gated (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
      DO $$
      DECLARE m date := date_trunc('month', now() - interval '8 months');
      BEGIN
        WHILE m < date_trunc('month', now() + interval '2 months') LOOP
          EXECUTE format('CREATE TABLE %I PARTITION OF gated FOR VALUES FROM (%L) TO (%L)',
                         'gated_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
                         m::timestamptz, (m + interval '1 month')::timestamptz);
          m := m + interval '1 month';
        END LOOP;
      END $$;
    )SQL");
    dir_ = TestDir() + "/policies";
    RunProgram({"mkdir", "-p", dir_});
    WriteFile(dir_ + "/gated.yaml", kPolicy);
  }
  RunResult Pgpart(std::vector<std::string> args) {
    args.insert(args.end(), {"-f", dir_, "--dsn", db_.dsn()});
    return RunPgpart(args);
  }
  int64_t Partitions() {
    return std::stoll(
        db_.Scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'gated'::regclass"));
  }
  int64_t Runs(const std::string& outcome) {
    return std::stoll(db_.Scalar(
        "SELECT count(*) FROM pgpart.history WHERE action = 'apply' AND table_name = "
        "'public.gated' AND partition = 'public.gated' AND outcome = '" + outcome + "'"));
  }
  ScratchDatabase db_;
  std::string dir_;
};

TEST_F(E2eApplyOnlyTest, OnlyPremakeCreatesAndExitsZeroWhileDropsAreBlocked) {
  const int64_t before = Partitions();
  // The whole plan: creates applied, drops blocked by the gate: exit 3, every week, for cron.
  RunResult dry = Pgpart({"apply", "--auto-approve", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;

  RunResult premake = Pgpart({"apply", "--auto-approve", "--only", "premake"});
  EXPECT_EQ(premake.exit_code, 0) << premake.err << premake.out;
  EXPECT_EQ(Partitions(), before + 2) << premake.out;  // the two missing months, nothing dropped
  EXPECT_NE(premake.out.find("  . left out: drop public.gated_y"), std::string::npos)
      << premake.out;
  EXPECT_NE(premake.out.find("Left out by --only premake: 5 steps of other kinds, not applied."),
            std::string::npos)
      << premake.out;
  EXPECT_EQ(premake.out.find("blocked:"), std::string::npos) << premake.out;

  RunResult again = Pgpart({"apply", "--auto-approve", "--only", "premake"});
  EXPECT_EQ(again.exit_code, 0) << again.err << again.out;
  EXPECT_NE(again.out.find("No changes in the steps selected by --only premake."),
            std::string::npos)
      << again.out;

  // The review side: plan --only lists the same; its JSON carries the selection.
  RunResult plan = Pgpart({"plan", "--only", "premake", "--format", "json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  nlohmann::json j = nlohmann::json::parse(plan.out);
  EXPECT_EQ(j["only"], nlohmann::json::array({"premake"}));
  EXPECT_TRUE(j["steps"].empty()) << j["steps"].dump();
  ASSERT_EQ(j["left_out"].size(), 5u);
  for (const auto& step : j["left_out"]) EXPECT_EQ(step["action"], "drop") << step.dump();

  // Retention alone: the gate blocks each drop, so that part did not converge (exit 3).
  RunResult retention = Pgpart({"apply", "--auto-approve", "--only", "retention,drain"});
  EXPECT_EQ(retention.exit_code, 3) << retention.err << retention.out;
  EXPECT_EQ(Partitions(), before + 2);

  RunResult bad = Pgpart({"apply", "--auto-approve", "--only", "premake,vacuum"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.err.find("--only: 'vacuum' is not a kind of step (premake, retention, drain)"),
            std::string::npos)
      << bad.err;
}

// The ExecStart lines of docs/systemd/*.service, run as written (binary and policy folder
// substituted, the DSN from the environment as the units' EnvironmentFile gives it).
std::vector<std::string> ExecStart(const std::string& unit, const std::string& policies) {
  std::istringstream lines(ReadFile(SourcePath("docs/systemd/" + unit)));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("ExecStart=", 0) != 0) continue;
    std::istringstream words(line.substr(10));
    std::vector<std::string> args;
    for (std::string w; words >> w;) args.push_back(w == "/etc/pgpart/policies" ? policies : w);
    EXPECT_EQ(args.at(0), "/usr/local/bin/pgpart");
    args.erase(args.begin());
    return args;
  }
  ADD_FAILURE() << unit << " has no ExecStart";
  return {};
}

TEST_F(E2eApplyOnlyTest, TheShippedSystemdCommandLinesDoWhatTheySay) {
  const int64_t before = Partitions();
  RunResult premake =
      RunPgpart(ExecStart("pgpart-premake.service", dir_), {{"PGPART_DSN", db_.dsn()}});
  EXPECT_EQ(premake.exit_code, 0) << premake.err << premake.out;
  EXPECT_EQ(Partitions(), before + 2);
  RunResult retention =
      RunPgpart(ExecStart("pgpart-retention.service", dir_), {{"PGPART_DSN", db_.dsn()}});
  EXPECT_EQ(retention.exit_code, 3) << retention.err << retention.out;  // the gate said no
  EXPECT_EQ(Partitions(), before + 2);

  // Once the gate passes, retention converges too.
  WriteFile(dir_ + "/gated.yaml",
            std::string(kPolicy).replace(std::string(kPolicy).find("select false"), 12,
                                         "select true"));
  retention = RunPgpart(ExecStart("pgpart-retention.service", dir_), {{"PGPART_DSN", db_.dsn()}});
  EXPECT_EQ(retention.exit_code, 0) << retention.err << retention.out;
  EXPECT_EQ(Partitions(), before + 2 - 5);
}

TEST_F(E2eApplyOnlyTest, EveryRunIsRecordedPerTableAndStatusExportsTheLastOne) {
  const std::string series = R"({policy="gated",table="public.gated"})";
  RunResult status = Pgpart({"status", "--format", "prometheus"});
  EXPECT_EQ(Sample(status.out, "pgpart_last_apply_success" + series), -1) << status.out;

  // Neither a dry run nor an apply without the audit trail is a recorded run.
  EXPECT_EQ(Pgpart({"apply", "--auto-approve", "--dry-run"}).exit_code, 0);
  EXPECT_EQ(Pgpart({"apply", "--auto-approve", "--no-audit", "--only", "drain"}).exit_code, 0);
  EXPECT_EQ(db_.Scalar("SELECT to_regclass('pgpart.history') IS NULL"), "t");

  const int64_t start = UnixNow();
  RunResult premake = Pgpart({"apply", "--auto-approve", "--only", "premake"});
  ASSERT_EQ(premake.exit_code, 0) << premake.err << premake.out;
  EXPECT_EQ(Runs("applied"), 1);
  EXPECT_EQ(db_.Scalar("SELECT error || ' / ' || rows FROM pgpart.history WHERE action = "
                       "'apply'"),
            "--only premake: 2 applied, 0 already done, 0 held, 0 blocked, 0 failed / 2");
  status = Pgpart({"status", "--format", "prometheus"});
  EXPECT_EQ(Sample(status.out, "pgpart_last_apply_success" + series), 1) << status.out;
  const double at = Sample(status.out, "pgpart_last_apply_timestamp_seconds" + series);
  EXPECT_GE(at, start - 1) << status.out;
  EXPECT_LE(at, UnixNow() + 1) << status.out;

  // A run with nothing to do is recorded as well: "maintenance not run" alerts go by it.
  ASSERT_EQ(Pgpart({"apply", "--auto-approve", "--only", "premake"}).exit_code, 0);
  EXPECT_EQ(Runs("applied"), 2);

  // The whole plan: the gate blocks the drops; the run is recorded as blocked, status says so.
  RunResult all = Pgpart({"apply", "--auto-approve"});
  ASSERT_EQ(all.exit_code, 3) << all.err << all.out;
  EXPECT_EQ(Runs("blocked"), 1);
  status = Pgpart({"status", "--format", "prometheus"});
  EXPECT_EQ(Sample(status.out, "pgpart_last_apply_success" + series), 0) << status.out;
  RunResult text = Pgpart({"status"});
  EXPECT_NE(text.out.find("  last apply: "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(", blocked (0 applied, 0 already done, 0 held, 5 blocked, 0 failed; "
                          "drop public.gated_y"),
            std::string::npos)
      << text.out;
  // Recorded runs are not steps: status does not count them as blocked steps.
  RunResult json = Pgpart({"status", "--format", "json"});
  nlohmann::json sj = nlohmann::json::parse(json.out);
  EXPECT_EQ(sj["tables"][0]["last_apply"]["outcome"], "blocked");
  EXPECT_EQ(sj["tables"][0]["blocked"].size(), 5u) << sj.dump(2);
}

}  // namespace
}  // namespace pgpart::e2e
