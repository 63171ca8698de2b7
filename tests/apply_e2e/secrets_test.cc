// Secrets: the DSN's password never appears in what pgpart prints, logs, saves or records in
// pgpart.history — whichever way the DSN is given, and also when something fails. (The sandbox
// trusts loopback connections, so any password is accepted.)

#include <gtest/gtest.h>

#include <regex>

#include "apply_fixture.h"
#include "scenario_fixture.h"

namespace pgpart::apply_e2e {
namespace {

constexpr const char* kPassword = "Sup3r-S3cret-Pw-7781";

std::string ServerPort() {
  std::smatch m;
  const std::string dsn = ServerDsn();
  if (std::regex_search(dsn, m, std::regex(R"(port=(\d+))"))) return m[1];
  return "5432";
}

void ExpectNoPassword(const RunResult& r, const std::string& what) {
  EXPECT_EQ(r.out.find(kPassword), std::string::npos) << what << ": password on stdout\n" << r.out;
  EXPECT_EQ(r.err.find(kPassword), std::string::npos) << what << ": password on stderr\n" << r.err;
}

TEST(Secrets, PasswordNeverPrintedLoggedOrRecorded) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  // A blocked drop too, so error details reach the output and the audit trail.
  db.Exec(
      "CREATE TABLE public.gated (id bigint NOT NULL, ts timestamptz NOT NULL, v int) PARTITION "
      "BY RANGE (ts);\n" +
      MonthlyPartitions("public", "gated", 2026, 6, 6));
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies() + R"(---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: gated}
spec:
  tables: [public.gated]
  interval: 1 month
  premake: 1
  retention: {keep: 3 months, action: drop}
  backupGate: {kind: command, command: [/bin/false]}
)");
  const std::string kv = db.dsn() + " password=" + kPassword;
  const std::string uri = "postgresql://postgres:" + std::string(kPassword) +
                          "@127.0.0.1:" + ServerPort() + "/" + db.name();

  RunResult plan_text = RunPgpart({"plan", "-f", policy, "--dsn", kv, "--at", kAt});
  EXPECT_EQ(plan_text.exit_code, 0) << Describe(plan_text);
  ExpectNoPassword(plan_text, "plan");
  const std::string plan_file = TestDir() + "/plan.json";
  RunResult plan_json =
      RunPgpart({"plan", "-f", policy, "--dsn", uri, "--at", kAt, "-o", plan_file});
  EXPECT_EQ(plan_json.exit_code, 0) << Describe(plan_json);
  ExpectNoPassword(plan_json, "plan -o");
  EXPECT_EQ(ReadFile(plan_file).find(kPassword), std::string::npos) << "password in the saved plan";

  RunResult dry =
      RunPgpart({"apply", "-f", policy, "--at", kAt, "--dry-run"}, {{"PGPART_DSN", kv}});
  EXPECT_EQ(dry.exit_code, 0) << Describe(dry);
  ExpectNoPassword(dry, "apply --dry-run with PGPART_DSN");

  // The real apply, JSON report and JSON logs: the gated drops are blocked (exit 3).
  auto args = ApplyArgs(policy, uri);
  args.insert(args.end(), {"--format", "json", "--log-format", "json"});
  RunResult applied = RunPgpart(args);
  EXPECT_EQ(applied.exit_code, 3) << Describe(applied);
  ExpectNoPassword(applied, "apply");
  EXPECT_GT(db.History("blocked").size(), 0u);
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history h WHERE strpos(h::text, " +
                     Literal(kPassword) + ") > 0"),
            0)
      << "password in pgpart.history";

  // Failures that echo the connection: a server that is not there, a database that is not.
  for (const std::string& bad :
       {"host=127.0.0.1 port=1 user=postgres dbname=x password=" + std::string(kPassword),
        db.dsn() + " dbname=no_such_db_here password=" + kPassword,
        "postgresql://postgres:" + std::string(kPassword) + "@127.0.0.1:1/x"}) {
    for (const char* command : {"plan", "apply"}) {
      RunResult r = RunPgpart({command, "-f", policy, "--dsn", bad, "--at", kAt,
                               std::string(command) == "apply" ? "--auto-approve" : "--no-color"});
      EXPECT_EQ(r.exit_code, 1) << Describe(r);
      ExpectNoPassword(r, std::string(command) + " with a bad DSN");
    }
  }
}

}  // namespace
}  // namespace pgpart::apply_e2e
