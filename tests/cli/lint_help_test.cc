// End to end: `pgpart lint` (no database), `--help` on every command, `version`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <regex>
#include <string>
#include <vector>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

using ::testing::HasSubstr;

// Lint needs no server: every run here points the libpq variables at a closed port.
const EnvChanges kNoServer = {{"PGHOST", "127.0.0.1"}, {"PGPORT", "1"}};

constexpr const char* kHeader = R"yaml(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
)yaml";

TEST(E2eLintTest, ShippedPoliciesAreValid) {
  RunResult r = RunPgpart({"lint", "-f", SourcePath("policies")}, kNoServer);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // iot 1, compliance 2, finance 2, payments 1, events 1.
  EXPECT_THAT(r.out, HasSubstr("7 policies in 5 file(s) are valid"));
}

TEST(E2eLintTest, ReportsEveryProblemWithFileLineColumn) {
  const std::string path = TestDir() + "/bad.yaml";
  WriteFile(path, std::string(kHeader) +
                      "metadata:\n"                      // line 3
                      "  name: readings\n"               // 4
                      "spec:\n"                          // 5
                      "  tables: [public.r]\n"           // 6
                      "  interval: 1 mnth\n"             // 7: unknown unit
                      "  premake: 3\n"                   // 8
                      "  colour: blue\n"                 // 9: unknown key
                      "  holds:\n"                       // 10
                      "    - partition: r_y2024m01\n");  // 11: no reason
  RunResult r = RunPgpart({"lint", "-f", path}, kNoServer);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(path + ":7:"));
  EXPECT_THAT(r.err, HasSubstr("spec.interval"));
  EXPECT_THAT(r.err, HasSubstr(path + ":9:3"));
  EXPECT_THAT(r.err, HasSubstr("colour"));
  EXPECT_THAT(r.err, HasSubstr("spec.holds[0]"));
  EXPECT_THAT(r.err, HasSubstr("reason"));

  // plan refuses the same file before touching any database.
  RunResult plan = RunPgpart({"plan", "-f", path, "--at", kAt}, kNoServer);
  EXPECT_EQ(plan.exit_code, 1);
  EXPECT_THAT(plan.err, HasSubstr(path + ":9:3"));
}

TEST(E2eLintTest, FindsProblemsThatNeedThought) {
  const std::string dir = TestDir() + "/policies";
  // Retention shorter than premake.
  WriteFile(dir + "/short.yaml", std::string(kHeader) + R"yaml(metadata: {name: short}
spec:
  tables: [public.a]
  interval: 1 month
  premake: 6
  retention: {keep: 2 months}
)yaml");
  // A hold naming a partition the template cannot produce.
  WriteFile(dir + "/hold.yaml", std::string(kHeader) + R"yaml(metadata: {name: hold}
spec:
  tables: [public.b]
  interval: 1 month
  holds:
    - partition: somewhere_else
      reason: "LH-1"
)yaml");
  // Two periods map to one name (no month in a monthly template).
  WriteFile(dir + "/collide.yaml", std::string(kHeader) + R"yaml(metadata: {name: collide}
spec:
  tables: [public.c]
  interval: 1 month
  naming: "{parent}_y{YYYY}"
)yaml");
  // Generated names over 63 bytes.
  WriteFile(dir + "/long.yaml", std::string(kHeader) + R"yaml(metadata: {name: long}
spec:
  tables: [public.a_table_name_that_is_very_long_indeed_and_then_some_more_x]
  interval: 1 day
)yaml");
  // public.a claimed twice (also by short.yaml).
  WriteFile(dir + "/twice.yaml", std::string(kHeader) + R"yaml(metadata: {name: twice}
spec:
  tables: [a]
  interval: 1 month
)yaml");
  RunResult r = RunPgpart({"lint", "-f", dir}, kNoServer);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // Each file is reported with its line, column and the YAML path of the problem.
  // {file:line:, YAML path, a word the message must carry}
  const std::vector<std::array<std::string, 3>> expected = {
      {"short.yaml:8:", "spec.retention.keep", "premake"},
      {"hold.yaml:8:", "spec.holds[0].partition", "somewhere_else"},
      {"collide.yaml:7:", "spec.naming", "{parent}_y{YYYY}"},
      {"long.yaml:5:", "spec.tables[0]", "63"},
      {"twice.yaml:5:", "spec.tables[0]", "short"},  // names the other claimant
  };
  for (const auto& [where, yaml_path, word] : expected) {
    const std::string prefix = dir + "/" + where;
    const size_t at = r.err.find(prefix);
    ASSERT_NE(at, std::string::npos) << prefix << "\n" << r.err;
    const std::string line = r.err.substr(at, r.err.find('\n', at) - at);
    EXPECT_THAT(line, HasSubstr(yaml_path)) << line;
    EXPECT_THAT(line, HasSubstr(word)) << line;
  }
}

TEST(E2eHelpTest, EveryCommandHasHelp) {
  RunResult top = RunPgpart({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* cmd : {"plan", "snapshot", "lint", "version"}) {
    EXPECT_THAT(top.out, HasSubstr(cmd));
  }

  RunResult plan = RunPgpart({"plan", "--help"});
  EXPECT_EQ(plan.exit_code, 0);
  for (const char* flag :
       {"--file", "--dsn", "--catalog", "--at", "--format", "--out", "--detailed-exitcode"}) {
    EXPECT_THAT(plan.out, HasSubstr(flag)) << flag;
  }
  RunResult snapshot = RunPgpart({"snapshot", "--help"});
  EXPECT_EQ(snapshot.exit_code, 0);
  EXPECT_THAT(snapshot.out, HasSubstr("--dsn"));
  EXPECT_THAT(snapshot.out, HasSubstr("--out"));
  RunResult lint = RunPgpart({"lint", "--help"});
  EXPECT_EQ(lint.exit_code, 0);
  EXPECT_THAT(lint.out, HasSubstr("--file"));
  RunResult version = RunPgpart({"version", "--help"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, HasSubstr("version"));
}

TEST(E2eHelpTest, UsageErrorsExitOne) {
  EXPECT_EQ(RunPgpart({}).exit_code, 1);
  EXPECT_EQ(RunPgpart({"frobnicate"}).exit_code, 1);
  EXPECT_EQ(RunPgpart({"plan"}).exit_code, 1);  // -f is required
  RunResult unknown = RunPgpart({"plan", "-f", SourcePath("policies"), "--no-such-flag"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.out + unknown.err, HasSubstr("no-such-flag"));
}

TEST(E2eVersionTest, PrintsTheProjectVersion) {
  RunResult v = RunPgpart({"version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_TRUE(std::regex_match(v.out, std::regex("pgpart [0-9]+\\.[0-9]+\\.[0-9]+.*\n"))) << v.out;
  RunResult flag = RunPgpart({"--version"});
  EXPECT_EQ(flag.exit_code, 0);
  EXPECT_THAT(flag.out, HasSubstr(v.out.substr(0, v.out.size() - 1)));
}

}  // namespace
}  // namespace pgpart::e2e
