// `pgpart status --serve` end to end: the built binary as a long-running exporter against the
// sandbox, scraped over loopback HTTP with curl, its output checked by `promtool check metrics`;
// policy files edited (and broken) while it runs.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../cli/cli_fixture.h"
#include "../common/test_env.h"

namespace pgpart::e2e {
namespace {

using test_env::FreePort;
using test_env::NonLoopbackIpv4;

constexpr char kPolicy[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: readings}
spec:
  tables: [public.readings]
  interval: 1 month
  premake: 3
  retention: {keep: 24 months}
)";

// A second policy, appended to kPolicy while the exporter runs.
constexpr char kGaugesPolicy[] = R"(---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: gauges}
spec:
  tables: [public.gauges]
  interval: 1 month
  premake: 1
)";

// Replaces a file the way editors and config management do (write aside, rename), so a refresh
// never reads half a file.
void ReplaceFile(const std::string& path, const std::string& text) {
  WriteFile(path + ".tmp", text);
  ASSERT_EQ(std::rename((path + ".tmp").c_str(), path.c_str()), 0) << path;
}

// Lines of `text` containing `needle`.
int CountLines(const std::string& text, const std::string& needle) {
  std::istringstream lines(text);
  int n = 0;
  for (std::string line; std::getline(lines, line);) n += line.find(needle) != std::string::npos;
  return n;
}

struct HttpReply {
  int code = 0;  // 0: no connection
  std::string content_type;
  std::string body;
};

// A request with curl (5 s limit, no proxy).
HttpReply Request(const std::string& method, const std::string& url) {
  const std::string body_file = TestDir() + "/body";
  RunResult r = RunProgram({"curl", "-s", "--max-time", "5", "--noproxy", "*", "-X", method, "-o",
                            body_file, "-w", "%{http_code} %{content_type}", url});
  HttpReply reply;
  const size_t space = r.out.find(' ');
  reply.code = std::atoi(r.out.substr(0, space).c_str());
  if (space != std::string::npos) reply.content_type = r.out.substr(space + 1);
  if (reply.code != 0) reply.body = ReadFile(body_file);
  return reply;
}

HttpReply Get(const std::string& url) { return Request("GET", url); }

// The value of the first sample line starting with `series` ("name{labels}" or "name"), or NaN.
double Sample(const std::string& metrics, const std::string& series) {
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nan("");
}

// The exporter as a child process; SIGKILLed if a test leaves it running.
class Exporter {
 public:
  Exporter(const std::vector<std::string>& args, const std::string& log) {
    std::vector<std::string> argv = {PGPART_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      unsetenv("PGPART_DSN");
      std::vector<char*> raw;
      for (auto& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      execv(raw[0], raw.data());
      _exit(127);
    }
  }
  ~Exporter() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Exit code once the child has exited within `limit` (128 + signal when killed), else nullopt.
  std::optional<int> WaitExit(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }
  void Signal(int signal) { kill(pid_, signal); }
  bool Running() { return !exited_ && !WaitExit(std::chrono::milliseconds(0)).has_value(); }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

class ExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Monthly partitions from 3 months ago to 2 months ahead of the database's clock.
    db_.Exec(R"SQL(
      CREATE TABLE readings (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
      CREATE TABLE readings_default PARTITION OF readings DEFAULT;
      INSERT INTO readings_default VALUES (now() + interval '10 years', 1), (now() + interval '10 years', 2);
      DO $$
      DECLARE m date := date_trunc('month', now() - interval '3 months');
      BEGIN
        WHILE m < date_trunc('month', now() + interval '3 months') LOOP
          EXECUTE format('CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
                         'readings_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
                         m::timestamptz, (m + interval '1 month')::timestamptz);
          m := m + interval '1 month';
        END LOOP;
      END $$;
    )SQL");
    dir_ = TestDir();
    policy_ = dir_ + "/readings.yaml";
    WriteFile(policy_, kPolicy);
    port_ = FreePort();
    ASSERT_NE(port_, 0);
    base_ = "http://127.0.0.1:" + std::to_string(port_);
    log_ = dir_ + "/exporter.log";
  }

  // Polls /healthz (at most 15 s) until the exporter answers.
  void WaitReady(Exporter& exporter) {
    for (int i = 0; i < 150; ++i) {
      if (Get(base_ + "/healthz").code == 200) return;
      ASSERT_TRUE(exporter.Running()) << "exporter exited early:\n" << ReadFile(log_);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "exporter never answered /healthz:\n" << ReadFile(log_);
  }

  const std::string kSeries = R"({policy="readings",table="public.readings"})";
  ScratchDatabase db_;
  std::string dir_, policy_, base_, log_;
  int port_ = 0;
};

TEST_F(ExporterTest, ServesMetricsHealthAnd404AndStopsOnSigterm) {
  Exporter exporter({"status", "-f", policy_, "--dsn", db_.dsn(), "--serve",
                     "127.0.0.1:" + std::to_string(port_)},
                    log_);
  ASSERT_NO_FATAL_FAILURE(WaitReady(exporter));

  HttpReply health = Get(base_ + "/healthz");
  EXPECT_EQ(health.code, 200);
  EXPECT_EQ(health.body, "ok\n");

  HttpReply metrics = Get(base_ + "/metrics");
  ASSERT_EQ(metrics.code, 200) << ReadFile(log_);
  EXPECT_NE(metrics.content_type.find("text/plain; version=0.0.4"), std::string::npos)
      << metrics.content_type;
  EXPECT_EQ(Sample(metrics.body, "pgpart_partitions" + kSeries), 6) << metrics.body;
  EXPECT_EQ(Sample(metrics.body, "pgpart_default_partition_rows" + kSeries), 2) << metrics.body;
  EXPECT_EQ(Sample(metrics.body, "pgpart_refresh_success"), 1) << metrics.body;
  EXPECT_EQ(Sample(metrics.body, "pgpart_scrape_errors_total"), 0) << metrics.body;
  const double refreshed = Sample(metrics.body, "pgpart_last_refresh_timestamp_seconds");
  const double now = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_GT(refreshed, now - 60);
  EXPECT_LE(refreshed, now + 1);
  EXPECT_GE(Sample(metrics.body, "pgpart_refresh_duration_seconds"), 0);

  // promtool must accept the exposition without a single lint remark.
  const std::string file = dir_ + "/metrics.prom";
  WriteFile(file, metrics.body);
  RunResult lint = RunProgram({"sh", "-c", "promtool check metrics < '" + file + "'"});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "") << metrics.body;

  // Scrapes serve the cached rendering (default interval 60 s): a second one, after the table
  // changed, still shows the same refresh and the old partition count.
  db_.Exec("DROP TABLE readings_default");
  HttpReply again = Get(base_ + "/metrics");
  EXPECT_EQ(again.body, metrics.body);

  EXPECT_EQ(Get(base_ + "/").code, 404);
  EXPECT_EQ(Get(base_ + "/metrics/extra").code, 404);
  EXPECT_EQ(Get(base_ + "/nope").code, 404);
  EXPECT_EQ(Request("POST", base_ + "/metrics").code, 405);
  EXPECT_EQ(Request("DELETE", base_ + "/healthz").code, 405);

  exporter.Signal(SIGTERM);
  std::optional<int> code = exporter.WaitExit(std::chrono::seconds(5));
  ASSERT_TRUE(code.has_value()) << "still running 5 s after SIGTERM:\n" << ReadFile(log_);
  EXPECT_EQ(*code, 0) << ReadFile(log_);
  EXPECT_NE(Get(base_ + "/healthz").code, 200);
}

TEST_F(ExporterTest, RefreshesOnTheIntervalAndKeepsLastGoodMetricsWhenTheDatabaseIsDown) {
  Exporter exporter({"status", "-f", policy_, "--dsn", db_.dsn(), "--serve",
                     "127.0.0.1:" + std::to_string(port_), "--interval", "1s"},
                    log_);
  ASSERT_NO_FATAL_FAILURE(WaitReady(exporter));
  ASSERT_EQ(Sample(Get(base_ + "/metrics").body, "pgpart_partitions" + kSeries), 6);

  // A new partition shows up within a few refreshes.
  db_.Exec(R"SQL(
    DO $$
    DECLARE m date := date_trunc('month', now() + interval '3 months');
    BEGIN
      EXECUTE format('CREATE TABLE readings_next PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
                     m::timestamptz, (m + interval '1 month')::timestamptz);
    END $$;
  )SQL");
  std::string body;
  for (int i = 0; i < 50 && Sample(body, "pgpart_partitions" + kSeries) != 7; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    body = Get(base_ + "/metrics").body;
  }
  ASSERT_EQ(Sample(body, "pgpart_partitions" + kSeries), 7) << body;

  // The database refuses connections: the last good metrics stay, refresh_success goes 0 and the
  // error counter rises.
  auto allow = [&](bool on) {
    pqxx::connection c(ServerDsn());
    pqxx::nontransaction tx(c);
    tx.exec(std::string("ALTER DATABASE ") + tx.quote_name(db_.name()) +
            (on ? " ALLOW_CONNECTIONS true" : " ALLOW_CONNECTIONS false"));
  };
  allow(false);
  for (int i = 0; i < 50 && Sample(body, "pgpart_refresh_success") != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    body = Get(base_ + "/metrics").body;
  }
  allow(true);
  EXPECT_EQ(Sample(body, "pgpart_refresh_success"), 0) << body;
  EXPECT_GE(Sample(body, "pgpart_scrape_errors_total"), 1) << body;
  EXPECT_EQ(Sample(body, "pgpart_partitions" + kSeries), 7) << body;

  // And it recovers.
  for (int i = 0; i < 50 && Sample(body, "pgpart_refresh_success") != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    body = Get(base_ + "/metrics").body;
  }
  EXPECT_EQ(Sample(body, "pgpart_refresh_success"), 1) << body;

  exporter.Signal(SIGINT);
  std::optional<int> code = exporter.WaitExit(std::chrono::seconds(5));
  ASSERT_TRUE(code.has_value()) << ReadFile(log_);
  EXPECT_EQ(*code, 0) << ReadFile(log_);
}

TEST_F(ExporterTest, ReReadsThePolicyFilesOnEveryRefreshAndKeepsLastGoodMetricsWhenBroken) {
  // A partitioned table no policy names yet: no metrics for it until the policy file says so.
  db_.Exec(R"SQL(
    CREATE TABLE gauges (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
    DO $$
    DECLARE m date := date_trunc('month', now());
    BEGIN
      EXECUTE format('CREATE TABLE gauges_a PARTITION OF gauges FOR VALUES FROM (%L) TO (%L)',
                     m::timestamptz, (m + interval '1 month')::timestamptz);
      EXECUTE format('CREATE TABLE gauges_b PARTITION OF gauges FOR VALUES FROM (%L) TO (%L)',
                     (m + interval '1 month')::timestamptz, (m + interval '2 months')::timestamptz);
    END $$;
  )SQL");
  const std::string gauges = R"(pgpart_partitions{policy="gauges",table="public.gauges"})";
  Exporter exporter({"status", "-f", policy_, "--dsn", db_.dsn(), "--serve",
                     "127.0.0.1:" + std::to_string(port_), "--interval", "1s"},
                    log_);
  ASSERT_NO_FATAL_FAILURE(WaitReady(exporter));
  std::string body = Get(base_ + "/metrics").body;
  ASSERT_EQ(Sample(body, "pgpart_partitions" + kSeries), 6) << body;
  ASSERT_TRUE(std::isnan(Sample(body, gauges))) << body;
  auto poll = [&](const std::string& series, double want) {
    for (int i = 0; i < 50 && Sample(body, series) != want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      body = Get(base_ + "/metrics").body;
    }
  };

  // A policy added to the file shows up within a few refreshes, without a restart.
  ASSERT_NO_FATAL_FAILURE(ReplaceFile(policy_, std::string(kPolicy) + kGaugesPolicy));
  poll(gauges, 2);
  ASSERT_EQ(Sample(body, gauges), 2) << body << ReadFile(log_);
  EXPECT_EQ(Sample(body, "pgpart_partitions" + kSeries), 6) << body;
  EXPECT_EQ(Sample(body, "pgpart_refresh_success"), 1) << body;
  EXPECT_EQ(Sample(body, "pgpart_scrape_errors_total"), 0) << body;

  // A syntax error: the last good metrics (both policies) stay, the refresh counts as failed and
  // stderr says why, once per failed refresh.
  ASSERT_NO_FATAL_FAILURE(
      ReplaceFile(policy_, std::string(kPolicy) + kGaugesPolicy + "  holds: [unclosed\n"));
  poll("pgpart_refresh_success", 0);
  EXPECT_EQ(Sample(body, "pgpart_refresh_success"), 0) << body << ReadFile(log_);
  EXPECT_GE(Sample(body, "pgpart_scrape_errors_total"), 1) << body;
  EXPECT_EQ(Sample(body, gauges), 2) << body;
  EXPECT_EQ(Sample(body, "pgpart_partitions" + kSeries), 6) << body;
  EXPECT_EQ(Sample(body, "pgpart_default_partition_rows" + kSeries), 2) << body;
  EXPECT_TRUE(exporter.Running()) << ReadFile(log_);
  {
    const std::string log = ReadFile(log_);
    EXPECT_NE(log.find(policy_ + ":"), std::string::npos) << log;  // the error's location
    EXPECT_GE(CountLines(log, "no longer load"), 1) << log;
  }

  // Fixed again, without the second policy: its series goes, and the exporter is healthy.
  ASSERT_NO_FATAL_FAILURE(ReplaceFile(policy_, kPolicy));
  poll("pgpart_refresh_success", 1);
  EXPECT_EQ(Sample(body, "pgpart_refresh_success"), 1) << body << ReadFile(log_);
  EXPECT_TRUE(std::isnan(Sample(body, gauges))) << body;
  EXPECT_EQ(Sample(body, "pgpart_partitions" + kSeries), 6) << body;
  // Every failed refresh said why exactly once (all of them are over by now).
  const double errors = Sample(body, "pgpart_scrape_errors_total");
  EXPECT_GE(errors, 1) << body;
  EXPECT_EQ(CountLines(ReadFile(log_), "no longer load"), errors) << ReadFile(log_);

  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.WaitExit(std::chrono::seconds(5)), std::optional<int>(0)) << ReadFile(log_);
}

// Issue 10 item 9: after a cron `pgpart apply` had a backup gate block a drop, the exporter alone
// (no operator) must make the shipped PgpartRetentionBlocked alert fire. The live /metrics is fed
// to `promtool test rules` against manifests/prometheus/pgpart-rules.yaml as it is.
TEST_F(ExporterTest, ADropTheGateBlockedFiresTheShippedAlertFromTheExporterAlone) {
  // Monthly partitions from 8 months ago on, kept 3 months: the oldest are due, and the gate
  // refuses every drop.
  db_.Exec(R"SQL(
    CREATE TABLE gated (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
    DO $$
    DECLARE m date := date_trunc('month', now() - interval '8 months');
    BEGIN
      WHILE m < date_trunc('month', now() + interval '4 months') LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF gated FOR VALUES FROM (%L) TO (%L)',
                       'gated_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
                       m::timestamptz, (m + interval '1 month')::timestamptz);
        m := m + interval '1 month';
      END LOOP;
    END $$;
  )SQL");
  const std::string policy = dir_ + "/gated.yaml";
  WriteFile(policy, R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: gated}
spec:
  tables: [public.gated]
  interval: 1 month
  premake: 3
  retention: {keep: 3 months}
  backupGate: {kind: sql, query: "select false"}
)");
  RunResult apply = RunPgpart({"apply", "-f", policy, "--dsn", db_.dsn(), "--auto-approve"});
  ASSERT_EQ(apply.exit_code, 3) << apply.out << apply.err;

  Exporter exporter({"status", "-f", policy, "--dsn", db_.dsn(), "--serve",
                     "127.0.0.1:" + std::to_string(port_)},
                    log_);
  ASSERT_NO_FATAL_FAILURE(WaitReady(exporter));
  const std::string body = Get(base_ + "/metrics").body;
  const std::string series = R"({policy="gated",table="public.gated"})";
  const double blocked = Sample(body, "pgpart_blocked_steps" + series);
  ASSERT_GE(blocked, 1) << body;
  EXPECT_GE(Sample(body, "pgpart_retention_overdue_partitions" + series), 1) << body;
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.WaitExit(std::chrono::seconds(5)), std::optional<int>(0)) << ReadFile(log_);

  // Every sample of the scrape, held for 2 hours of 1-minute scrapes.
  std::string input;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    input += "      - series: '" + line.substr(0, space) + "'\n        values: '" +
             line.substr(space + 1) + "x120'\n";
  }
  const std::string count = std::to_string(static_cast<int>(blocked));
  const std::string test = dir_ + "/alert_test.yaml";
  WriteFile(test, "rule_files:\n  - " + SourcePath("manifests/prometheus/pgpart-rules.yaml") +
                      "\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n" +
                      input +
                      "    alert_rule_test:\n"
                      "      - eval_time: 50m\n        alertname: PgpartRetentionBlocked\n"
                      "        exp_alerts: []\n"
                      "      - eval_time: 70m\n        alertname: PgpartRetentionBlocked\n"
                      "        exp_alerts:\n          - exp_labels:\n"
                      "              severity: warning\n              policy: gated\n"
                      "              table: public.gated\n            exp_annotations:\n"
                      "              summary: \"Retention of public.gated is blocked\"\n"
                      "              description: \"" +
                      count +
                      " step(s) of public.gated (policy gated) have been blocked for over 1h, "
                      "usually by a failing backup gate (as the last apply recorded in "
                      "pgpart.history). Old partitions are kept and the table keeps growing; "
                      "`pgpart status` names each step and the gate's message.\"\n");
  RunResult promtool = RunProgram({"promtool", "test", "rules", test});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err << "\n" << ReadFile(test);
}

// A converged hash table has no time axis and so no future buffer: its scrape must not fire the
// shipped PgpartFutureBufferLow alert (it exported a buffer of 0, which fired forever: issue 12
// item 11). Checked like the gate alert above: the scrape held for 30 minutes, through promtool.
TEST_F(ExporterTest, AConvergedHashTableFiresNoBufferAlert) {
  db_.Exec("CREATE TABLE tenants (org_id bigint NOT NULL, v int) PARTITION BY HASH (org_id)");
  const std::string policy = dir_ + "/tenants.yaml";
  WriteFile(policy, R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: tenants}
spec:
  tables: [public.tenants]
  strategy: hash
  column: org_id
  modulus: 4
)");
  RunResult apply = RunPgpart({"apply", "-f", policy, "--dsn", db_.dsn(), "--auto-approve"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  RunResult status = RunPgpart({"status", "-f", policy, "--dsn", db_.dsn()});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;

  Exporter exporter({"status", "-f", policy, "--dsn", db_.dsn(), "--serve",
                     "127.0.0.1:" + std::to_string(port_)},
                    log_);
  ASSERT_NO_FATAL_FAILURE(WaitReady(exporter));
  const std::string body = Get(base_ + "/metrics").body;
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.WaitExit(std::chrono::seconds(5)), std::optional<int>(0)) << ReadFile(log_);
  const std::string series = R"({policy="tenants",table="public.tenants"})";
  ASSERT_EQ(Sample(body, "pgpart_partitions" + series), 4) << body;
  EXPECT_EQ(CountLines(body, "pgpart_future_buffer_periods{"), 0) << body;

  std::string input;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    input += "      - series: '" + line.substr(0, space) + "'\n        values: '" +
             line.substr(space + 1) + "x60'\n";
  }
  const std::string test = dir_ + "/alert_test.yaml";
  WriteFile(test, "rule_files:\n  - " + SourcePath("manifests/prometheus/pgpart-rules.yaml") +
                      "\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n" +
                      input +
                      "    alert_rule_test:\n"
                      "      - eval_time: 30m\n        alertname: PgpartFutureBufferLow\n"
                      "        exp_alerts: []\n"
                      "      - eval_time: 30m\n        alertname: PgpartRowsInDefault\n"
                      "        exp_alerts: []\n"
                      "      - eval_time: 30m\n        alertname: PgpartRetentionOverdue\n"
                      "        exp_alerts: []\n");
  RunResult promtool = RunProgram({"promtool", "test", "rules", test});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err << "\n" << ReadFile(test);
}

// Without Kubernetes: the last `pgpart apply` run of each table, from pgpart.history, drives the
// shipped PgpartApplyFailed alert (issue 12 item 6).
TEST_F(ExporterTest, TheLastApplyRunFromHistoryFiresTheApplyFailedAlert) {
  db_.Exec(R"SQL(
    CREATE TABLE gated (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
    DO $$
    DECLARE m date := date_trunc('month', now() - interval '8 months');
    BEGIN
      WHILE m < date_trunc('month', now() + interval '4 months') LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF gated FOR VALUES FROM (%L) TO (%L)',
                       'gated_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
                       m::timestamptz, (m + interval '1 month')::timestamptz);
        m := m + interval '1 month';
      END LOOP;
    END $$;
  )SQL");
  const std::string policy = dir_ + "/gated.yaml";
  WriteFile(policy, R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: gated}
spec:
  tables: [public.gated]
  interval: 1 month
  premake: 3
  retention: {keep: 3 months}
  backupGate: {kind: sql, query: "select false"}
)");
  const double before = std::time(nullptr);
  RunResult apply = RunPgpart({"apply", "-f", policy, "--dsn", db_.dsn(), "--auto-approve"});
  ASSERT_EQ(apply.exit_code, 3) << apply.out << apply.err;

  Exporter exporter({"status", "-f", policy, "--dsn", db_.dsn(), "--serve",
                     "127.0.0.1:" + std::to_string(port_)},
                    log_);
  ASSERT_NO_FATAL_FAILURE(WaitReady(exporter));
  const std::string body = Get(base_ + "/metrics").body;
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.WaitExit(std::chrono::seconds(5)), std::optional<int>(0)) << ReadFile(log_);
  const std::string series = R"({policy="gated",table="public.gated"})";
  EXPECT_EQ(Sample(body, "pgpart_last_apply_success" + series), 0) << body;
  const double at = Sample(body, "pgpart_last_apply_timestamp_seconds" + series);
  EXPECT_GE(at, before - 1) << body;
  EXPECT_LE(at, std::time(nullptr) + 1) << body;

  std::string input;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    input += "      - series: '" + line.substr(0, space) + "'\n        values: '" +
             line.substr(space + 1) + "x30'\n";
  }
  const std::string test = dir_ + "/alert_test.yaml";
  WriteFile(test, "rule_files:\n  - " + SourcePath("manifests/prometheus/pgpart-rules.yaml") +
                      "\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n" +
                      input +
                      "    alert_rule_test:\n"
                      "      - eval_time: 5m\n        alertname: PgpartApplyFailed\n"
                      "        exp_alerts: []\n"
                      "      - eval_time: 15m\n        alertname: PgpartApplyFailed\n"
                      "        exp_alerts:\n          - exp_labels:\n"
                      "              severity: warning\n              policy: gated\n"
                      "              table: public.gated\n            exp_annotations:\n"
                      "              summary: \"The last pgpart apply on public.gated did not "
                      "converge\"\n"
                      "              description: \"The latest `pgpart apply` run on public.gated "
                      "(policy gated) left steps blocked or failed, as recorded in "
                      "pgpart.history. `pgpart status` shows the run's summary and which "
                      "steps.\"\n");
  RunResult promtool = RunProgram({"promtool", "test", "rules", test});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err << "\n" << ReadFile(test);
}

// ",:" makes yaml-cpp 0.7's LoadAll allocate without end (a null document per turn, ~95 MB/s):
// the exporter refuses it like any syntax error, keeps serving its last good metrics and stays up.
TEST_F(ExporterTest, SurvivesPolicyTextThatMakesTheYamlParserRunAway) {
  Exporter exporter({"status", "-f", policy_, "--dsn", db_.dsn(), "--serve",
                     "127.0.0.1:" + std::to_string(port_), "--interval", "1s"},
                    log_);
  ASSERT_NO_FATAL_FAILURE(WaitReady(exporter));
  std::string body = Get(base_ + "/metrics").body;
  ASSERT_EQ(Sample(body, "pgpart_partitions" + kSeries), 6) << body;
  auto poll = [&](double want) {
    for (int i = 0; i < 50 && Sample(body, "pgpart_refresh_success") != want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      body = Get(base_ + "/metrics").body;
    }
  };

  for (const std::string& text : {std::string(",:"), std::string(kPolicy) + "---\n,\n"}) {
    ASSERT_NO_FATAL_FAILURE(ReplaceFile(policy_, text));
    poll(0);
    EXPECT_EQ(Sample(body, "pgpart_refresh_success"), 0) << text << body << ReadFile(log_);
    EXPECT_EQ(Sample(body, "pgpart_partitions" + kSeries), 6) << body;
    ASSERT_TRUE(exporter.Running()) << ReadFile(log_);
    EXPECT_NE(ReadFile(log_).find("unexpected ','"), std::string::npos) << ReadFile(log_);

    ASSERT_NO_FATAL_FAILURE(ReplaceFile(policy_, kPolicy));
    poll(1);
    EXPECT_EQ(Sample(body, "pgpart_refresh_success"), 1) << body << ReadFile(log_);
  }
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.WaitExit(std::chrono::seconds(5)), std::optional<int>(0)) << ReadFile(log_);
}

TEST_F(ExporterTest, RejectsABadAddress) {
  RunResult r = RunPgpart({"status", "-f", policy_, "--dsn", db_.dsn(), "--serve", "localhost"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--serve"), std::string::npos) << r.err;
  r = RunPgpart({"status", "-f", policy_, "--dsn", db_.dsn(), "--serve", "127.0.0.1:99999"});
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(ExporterTest, PortWithoutHostListensOnLoopbackOnly) {
  // `--serve :PORT` is 127.0.0.1:PORT: a local exporter is not reachable from elsewhere unless
  // given a host.
  Exporter exporter({"status", "-f", policy_, "--dsn", db_.dsn(), "--serve",
                     ":" + std::to_string(port_)},
                    log_);
  ASSERT_NO_FATAL_FAILURE(WaitReady(exporter));
  EXPECT_NE(ReadFile(log_).find("on http://127.0.0.1:" + std::to_string(port_) + "/"),
            std::string::npos)
      << ReadFile(log_);
  if (std::optional<std::string> ip = NonLoopbackIpv4()) {
    EXPECT_EQ(Get("http://" + *ip + ":" + std::to_string(port_) + "/healthz").code, 0) << *ip;
  }
  exporter.Signal(SIGTERM);
  std::optional<int> code = exporter.WaitExit(std::chrono::seconds(5));
  ASSERT_TRUE(code.has_value()) << ReadFile(log_);
  EXPECT_EQ(*code, 0) << ReadFile(log_);
}

TEST_F(ExporterTest, EveryInterfaceWhenAskedFor) {
  Exporter exporter({"status", "-f", policy_, "--dsn", db_.dsn(), "--serve",
                     "0.0.0.0:" + std::to_string(port_)},
                    log_);
  ASSERT_NO_FATAL_FAILURE(WaitReady(exporter));
  if (std::optional<std::string> ip = NonLoopbackIpv4()) {
    EXPECT_EQ(Get("http://" + *ip + ":" + std::to_string(port_) + "/healthz").code, 200) << *ip;
  }
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.WaitExit(std::chrono::seconds(5)), std::optional<int>(0)) << ReadFile(log_);
}

TEST_F(ExporterTest, BusyPortOrIpv6ExitsOneAndSaysWhy) {
  int busy = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  ASSERT_EQ(bind(busy, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(busy, 1), 0);
  RunResult r = RunPgpart({"status", "-f", policy_, "--dsn", db_.dsn(), "--serve",
                           "127.0.0.1:" + std::to_string(port_)});
  close(busy);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot listen on http://127.0.0.1:" + std::to_string(port_) + "/"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;

  // cpprestsdk's listener cannot bind IPv6 hosts: refused up front, not a cryptic resolve error.
  r = RunPgpart({"status", "-f", policy_, "--dsn", db_.dsn(), "--serve",
                 "[::1]:" + std::to_string(port_)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("IPv6 addresses are not supported"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pgpart::e2e
