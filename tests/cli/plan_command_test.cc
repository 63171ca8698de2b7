// End to end: `pgpart plan` and `pgpart snapshot` exit codes, formats, output files, DSN sources,
// offline plans and blocking drift, on small fixtures in a scratch database.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// public.metrics: monthly, complete from 2026-10 to 2027-02 (current 2026-11 + premake 3).
constexpr const char* kMetricsSql = R"sql(
CREATE TABLE public.metrics (at timestamptz NOT NULL, v double precision)
  PARTITION BY RANGE (at);
CREATE TABLE public.metrics_y2026m10 PARTITION OF public.metrics
  FOR VALUES FROM ('2026-10-01 00:00+00') TO ('2026-11-01 00:00+00');
CREATE TABLE public.metrics_y2026m11 PARTITION OF public.metrics
  FOR VALUES FROM ('2026-11-01 00:00+00') TO ('2026-12-01 00:00+00');
CREATE TABLE public.metrics_y2026m12 PARTITION OF public.metrics
  FOR VALUES FROM ('2026-12-01 00:00+00') TO ('2027-01-01 00:00+00');
CREATE TABLE public.metrics_y2027m01 PARTITION OF public.metrics
  FOR VALUES FROM ('2027-01-01 00:00+00') TO ('2027-02-01 00:00+00');
CREATE TABLE public.metrics_y2027m02 PARTITION OF public.metrics
  FOR VALUES FROM ('2027-02-01 00:00+00') TO ('2027-03-01 00:00+00');
INSERT INTO public.metrics SELECT t, 1 FROM generate_series(
  timestamptz '2026-10-01', timestamptz '2026-11-21', interval '1 hour') AS t;
)sql";

constexpr const char* kMetricsPolicy = R"yaml(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata:
  name: metrics
spec:
  tables: [public.metrics]
  column: at
  interval: 1 month
  premake: 3
)yaml";

constexpr const char* kNoChanges = "No changes. Partitions match the policies.";

class E2ePlanCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(db_.Exec(kMetricsSql));
    policy_ = TestDir() + "/metrics.yaml";
    WriteFile(policy_, kMetricsPolicy);
  }

  RunResult Plan(const std::vector<std::string>& extra, const EnvChanges& env = {}) {
    std::vector<std::string> args{"plan", "-f", policy_, "--at", kAt};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunPgpart(args, env);
  }
  RunResult PlanDb(const std::vector<std::string>& extra) {
    std::vector<std::string> args{"--dsn", db_.dsn()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Plan(args);
  }

  ScratchDatabase db_;
  std::string policy_;
};

// "host=127.0.0.1 port=5 user=u dbname=d" -> {host: ..., port: ..., ...}
std::map<std::string, std::string> DsnFields(const std::string& dsn) {
  std::map<std::string, std::string> fields;
  std::istringstream in(dsn);
  std::string word;
  while (in >> word) {
    auto eq = word.find('=');
    if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return fields;
}

TEST_F(E2ePlanCommandTest, NoChangesExitsZero) {
  RunResult r = PlanDb({"--detailed-exitcode"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(kNoChanges));

  RunResult j = PlanDb({"--format", "json", "--detailed-exitcode"});
  EXPECT_EQ(j.exit_code, 0) << j.err;
  json plan = json::parse(j.out);
  EXPECT_TRUE(plan.at("steps").empty());
  EXPECT_EQ(plan.at("tables").at(0).at("partitions").at("count"), 5);
  EXPECT_EQ(plan.at("tables").at(0).at("partitions").at("covered_until"), "2027-03-01T00:00:00Z");
}

TEST_F(E2ePlanCommandTest, ChangesExitTwoOnlyWithDetailedExitcode) {
  db_.Exec("DROP TABLE public.metrics_y2027m02");
  RunResult detailed = PlanDb({"--detailed-exitcode"});
  EXPECT_EQ(detailed.exit_code, 2) << detailed.out << detailed.err;
  EXPECT_THAT(detailed.out, HasSubstr("metrics_y2027m02"));
  EXPECT_THAT(detailed.out,
              HasSubstr("Plan: 1 to create.\n"));

  RunResult plain = PlanDb({});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, detailed.out);

  // The clock matters: a month earlier, 2027-02 is not yet needed.
  RunResult earlier = RunPgpart({"plan", "-f", policy_, "--dsn", db_.dsn(), "--at",
                                 "2026-10-15T00:00:00Z", "--detailed-exitcode"});
  EXPECT_EQ(earlier.exit_code, 0) << earlier.out << earlier.err;
}

TEST_F(E2ePlanCommandTest, ErrorsExitOne) {
  // Unreachable server.
  RunResult down = Plan(
      {"--dsn", "host=127.0.0.1 port=1 user=postgres connect_timeout=3", "--detailed-exitcode"});
  EXPECT_EQ(down.exit_code, 1) << down.out;
  EXPECT_FALSE(down.err.empty());

  // A table the database does not have.
  const std::string missing = TestDir() + "/missing.yaml";
  std::string text = kMetricsPolicy;
  text.replace(text.find("public.metrics"), 14, "public.nowhere");
  WriteFile(missing, text);
  RunResult absent =
      RunPgpart({"plan", "-f", missing, "--dsn", db_.dsn(), "--at", kAt, "--detailed-exitcode"});
  EXPECT_EQ(absent.exit_code, 1) << absent.out;
  EXPECT_THAT(absent.out + absent.err, HasSubstr("nowhere"));

  // A table that is not partitioned.
  db_.Exec("CREATE TABLE public.plain (at timestamptz)");
  text = kMetricsPolicy;
  text.replace(text.find("public.metrics"), 14, "public.plain");
  WriteFile(missing, text);
  RunResult plain = RunPgpart({"plan", "-f", missing, "--dsn", db_.dsn(), "--at", kAt});
  EXPECT_EQ(plain.exit_code, 1) << plain.out;
  EXPECT_THAT(plain.out + plain.err, HasSubstr("plain"));

  // A bad clock, a bad format, a missing policy path.
  EXPECT_EQ(PlanDb({"--at", "yesterday"}).exit_code, 1);
  EXPECT_EQ(PlanDb({"--format", "yaml"}).exit_code, 1);
  EXPECT_EQ(RunPgpart({"plan", "-f", TestDir() + "/no-such.yaml", "--dsn", db_.dsn()}).exit_code,
            1);
}

TEST_F(E2ePlanCommandTest, EveryFormatRenders) {
  db_.Exec("DROP TABLE public.metrics_y2027m02");
  RunResult text = PlanDb({"--format", "text"});
  RunResult js = PlanDb({"--format", "json"});
  RunResult sql = PlanDb({"--format", "sql"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  ASSERT_EQ(js.exit_code, 0) << js.err;
  ASSERT_EQ(sql.exit_code, 0) << sql.err;

  EXPECT_THAT(text.out, HasSubstr("+ "));
  json plan = json::parse(js.out);
  for (const char* key : {"format_version", "generated_at", "at", "catalog_hash", "policy_hash",
                          "summary", "tables", "steps"}) {
    EXPECT_TRUE(plan.contains(key)) << key;
  }
  ASSERT_EQ(plan.at("steps").size(), 1u);
  const json& step = plan.at("steps").at(0);
  EXPECT_EQ(step.at("action"), "create");
  EXPECT_EQ(step.at("partition"), "public.metrics_y2027m02");
  EXPECT_EQ(step.at("from"), "2027-02-01T00:00:00Z");
  EXPECT_EQ(step.at("to"), "2027-03-01T00:00:00Z");
  EXPECT_EQ(step.at("reason"), "premake");
  EXPECT_EQ(plan.at("catalog_hash").get<std::string>().size(), 64u);

  EXPECT_THAT(sql.out, HasSubstr("metrics_y2027m02"));
  EXPECT_THAT(sql.out, HasSubstr("'2027-02-01 00:00:00+00'"));
  EXPECT_THAT(sql.out, HasSubstr("'2027-03-01 00:00:00+00'"));
}

// -o FILE writes the plan there, and stdout still shows the whole text plan, every step (the
// README once said "a summary").
TEST_F(E2ePlanCommandTest, OutputFileGetsThePlanStdoutTheWholeTextPlan) {
  db_.Exec("DROP TABLE public.metrics_y2027m02");
  const std::string json_path = TestDir() + "/plan.json";
  RunResult saved = PlanDb({"-o", json_path, "--detailed-exitcode"});
  EXPECT_EQ(saved.exit_code, 2) << saved.err;
  RunResult shown = PlanDb({});
  EXPECT_THAT(shown.out, HasSubstr("+ create          public.metrics_y2027m02"));
  EXPECT_EQ(saved.out, shown.out + "Saved the plan to " + json_path + ".\n");
  json plan = json::parse(ReadFile(json_path));  // .json and no --format: JSON
  EXPECT_EQ(plan.at("summary").at("create"), 1);

  const std::string sql_path = TestDir() + "/plan.sql";
  ASSERT_EQ(PlanDb({"-o", sql_path, "--format", "sql"}).exit_code, 0);
  EXPECT_EQ(ReadFile(sql_path), PlanDb({"--format", "sql"}).out);

  const std::string text_path = TestDir() + "/plan.txt";
  ASSERT_EQ(PlanDb({"--out", text_path, "--format", "text"}).exit_code, 0);
  EXPECT_EQ(ReadFile(text_path), PlanDb({}).out);
}

TEST_F(E2ePlanCommandTest, DsnFromEnvironment) {
  db_.Exec("DROP TABLE public.metrics_y2027m02");
  RunResult flag = PlanDb({"--format", "json"});
  ASSERT_EQ(flag.exit_code, 0) << flag.err;

  RunResult env = Plan({"--format", "json"}, {{"PGPART_DSN", db_.dsn()}});
  ASSERT_EQ(env.exit_code, 0) << env.err;
  EXPECT_EQ(WithoutGeneratedAt(env.out), WithoutGeneratedAt(flag.out));

  std::map<std::string, std::string> f = DsnFields(ServerDsn());
  RunResult libpq = Plan({"--format", "json"}, {{"PGHOST", f["host"]},
                                                {"PGPORT", f["port"]},
                                                {"PGUSER", f["user"]},
                                                {"PGDATABASE", db_.name()}});
  ASSERT_EQ(libpq.exit_code, 0) << libpq.err;
  EXPECT_EQ(WithoutGeneratedAt(libpq.out), WithoutGeneratedAt(flag.out));

  // --dsn wins over PGPART_DSN.
  RunResult both = Plan({"--dsn", db_.dsn(), "--format", "json"},
                        {{"PGPART_DSN", "host=127.0.0.1 port=1 connect_timeout=3"}});
  EXPECT_EQ(both.exit_code, 0) << both.err;
}

TEST_F(E2ePlanCommandTest, SourceDateEpochFixesGeneratedAt) {
  RunResult r =
      Plan({"--dsn", db_.dsn(), "--format", "json"}, {{"SOURCE_DATE_EPOCH", "1795262400"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("generated_at"), "2026-11-21T12:00:00Z");
}

TEST_F(E2ePlanCommandTest, SnapshotIsJsonAndPlansOffline) {
  db_.Exec("DROP TABLE public.metrics_y2027m02");
  RunResult snap = RunPgpart({"snapshot", "--dsn", db_.dsn()});
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  json catalog = json::parse(snap.out);
  EXPECT_THAT(snap.out, HasSubstr("metrics_y2026m10"));

  const std::string path = TestDir() + "/catalog.json";
  RunResult to_file = RunPgpart({"snapshot", "--dsn", db_.dsn(), "-o", path});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  // Same catalog; only the server clock at the time of reading differs.
  json from_file = json::parse(ReadFile(path));
  for (json* j : {&from_file, &catalog}) {
    j->erase("now");
    j->erase("now_micros");
  }
  EXPECT_EQ(from_file, catalog);

  // No database at all: a DSN that cannot connect is not even tried.
  RunResult offline = RunPgpart({"plan", "-f", policy_, "--catalog", path, "--at", kAt, "--format",
                                 "json", "--detailed-exitcode"},
                                {{"PGHOST", "127.0.0.1"}, {"PGPORT", "1"}});
  EXPECT_EQ(offline.exit_code, 2) << offline.err;
  EXPECT_EQ(WithoutGeneratedAt(offline.out), WithoutGeneratedAt(PlanDb({"--format", "json"}).out));

  // --catalog and --dsn exclude each other.
  EXPECT_EQ(RunPgpart({"plan", "-f", policy_, "--catalog", path, "--dsn", db_.dsn()}).exit_code, 1);
}

// A snapshot from a pipe (`--catalog /dev/stdin`, `<(...)`) has no size to read at once: it is
// read to its end, past the first 64 KiB, and plans like the same file (issue 16).
TEST_F(E2ePlanCommandTest, SnapshotFromAPipePlansLikeTheFile) {
  const std::string path = TestDir() + "/catalog.json";
  RunResult snap = RunPgpart({"snapshot", "--dsn", db_.dsn(), "-o", path});
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  json padded = json::parse(ReadFile(path));
  padded["x_padding"] = std::string(300 * 1024, 'x');  // an unknown member: ignored
  WriteFile(path, padded.dump());
  RunResult from_file = Plan({"--catalog", path, "--format", "json"});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  RunResult from_pipe = RunProgram(
      {"sh", "-c", R"(cat "$1" | "$2" plan -f "$3" --at "$4" --catalog /dev/stdin --format json)",
       "sh", path, PGPART_BINARY, policy_, kAt});
  EXPECT_EQ(from_pipe.exit_code, 0) << from_pipe.err;
  EXPECT_EQ(WithoutGeneratedAt(from_pipe.out), WithoutGeneratedAt(from_file.out));
  EXPECT_THAT(from_pipe.out, HasSubstr("\"count\": 5"));  // the five partitions were read
}

// A snapshot that never ends (a device, a pipe that keeps writing) is refused once it passes the
// input limit, instead of taking all memory (it grew until the OOM killer came).
TEST_F(E2ePlanCommandTest, ASnapshotThatNeverEndsIsRefusedNotReadUntilMemoryRunsOut) {
  const auto started = std::chrono::steady_clock::now();
  RunResult r = RunProgram({"sh", "-c",
                            "ulimit -v 2097152; exec \"$1\" plan -f \"$2\" --at \"$3\" "
                            "--catalog /dev/zero",
                            "sh", PGPART_BINARY, policy_, kAt});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("/dev/zero is larger than 512 MiB")) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

// A hash table with a different modulus is drift that blocks; pgpart never re-hashes.
TEST_F(E2ePlanCommandTest, HashModulusDriftBlocks) {
  db_.Exec(R"sql(
    CREATE TABLE public.balances (org_id bigint NOT NULL, cents bigint) PARTITION BY HASH (org_id);
    DO $$ BEGIN FOR r IN 0..7 LOOP
      EXECUTE format('CREATE TABLE public.balances_h%s PARTITION OF public.balances '
                     'FOR VALUES WITH (MODULUS 8, REMAINDER %s)', r, r);
    END LOOP; END $$;)sql");
  const std::string policy = TestDir() + "/balances.yaml";
  WriteFile(policy, R"yaml(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: balances}
spec:
  tables: [public.balances]
  strategy: hash
  column: org_id
  modulus: 16
)yaml");
  RunResult r = RunPgpart({"plan", "-f", policy, "--dsn", db_.dsn(), "--at", kAt, "--format",
                           "json", "--detailed-exitcode"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  json plan = json::parse(r.out);
  EXPECT_GE(plan.at("summary").at("blocked").get<int>(), 1);
  EXPECT_FALSE(plan.at("tables").at(0).at("drift").empty());
  for (const auto& step : plan.at("steps")) {
    EXPECT_NE(step.at("status"), "planned") << step.dump();
  }

  // With the right modulus, 16 children are planned.
  db_.Exec(
      "DROP TABLE public.balances; CREATE TABLE public.balances (org_id bigint NOT NULL) "
      "PARTITION BY HASH (org_id)");
  RunResult fresh =
      RunPgpart({"plan", "-f", policy, "--dsn", db_.dsn(), "--at", kAt, "--format", "json"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  json created = json::parse(fresh.out);
  EXPECT_EQ(created.at("summary").at("create"), 16);
  EXPECT_EQ(created.at("summary").at("blocked"), 0);
}

// Identifiers of any shape: a quoted schema and table with spaces, quotes and capitals.
TEST_F(E2ePlanCommandTest, OddIdentifiersRoundTripThroughSql) {
  db_.Exec(R"sql(
    CREATE SCHEMA "Odd Schema";
    CREATE TABLE "Odd Schema"."Sensor ""Data""" (recorded_at timestamptz NOT NULL)
      PARTITION BY RANGE (recorded_at);)sql");
  const std::string policy = TestDir() + "/odd.yaml";
  WriteFile(policy, R"yaml(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: odd}
spec:
  tables: ['"Odd Schema"."Sensor ""Data"""']
  column: recorded_at
  interval: 1 week
  premake: 2
  defaultPartition: true
)yaml");
  std::vector<std::string> args{"plan", "-f", policy, "--dsn", db_.dsn(), "--at", kAt};
  std::vector<std::string> sql_args = args;
  sql_args.insert(sql_args.end(), {"--format", "sql"});
  RunResult sql = RunPgpart(sql_args);
  ASSERT_EQ(sql.exit_code, 0) << sql.err;
  const std::string script = TestDir() + "/odd.sql";
  WriteFile(script, sql.out);
  RunResult psql = RunPsqlFile(db_.dsn(), script);
  ASSERT_EQ(psql.exit_code, 0) << psql.err << "\n" << sql.out;
  // 2026-11-21 is in ISO week 47: weeks 47, 48, 49 and the default.
  EXPECT_EQ(db_.Scalar("select count(*) from pg_inherits where inhparent = "
                       "'\"Odd Schema\".\"Sensor \"\"Data\"\"\"'::regclass"),
            "4");
  EXPECT_EQ(db_.Scalar("select to_regclass('\"Odd Schema\".\"Sensor \"\"Data\"\"_y2026w47\"') "
                       "is not null"),
            "t");
  args.push_back("--detailed-exitcode");
  RunResult again = RunPgpart(args);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr(kNoChanges));
}

}  // namespace
}  // namespace pgpart::e2e
