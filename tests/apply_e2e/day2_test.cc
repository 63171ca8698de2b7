// Day-2 changes to the policies (issue 12.8): removing a policy is visible — the pull-request
// diff names the policy and the tables it stops managing, and `status` lists partitioned tables
// that have pgpart history but no policy any more.

#include <gtest/gtest.h>

#include <filesystem>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {
namespace {

std::string PolicyDoc(const std::string& table) {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: " + table +
         "}\nspec:\n  tables: [public." + table + "]\n  interval: 1 month\n  premake: 2\n";
}

TEST(Day2, RemovingAPolicyIsNamedInTheDiffAndStatusListsTheTableItLeft) {
  ScratchDatabase db;
  db.Exec("CREATE TABLE public.kept (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);"
          "CREATE TABLE public.gone (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);");
  std::filesystem::create_directories(TestDir() + "/both");
  std::filesystem::create_directories(TestDir() + "/one");
  const std::string both = TestDir() + "/both";
  const std::string one = TestDir() + "/one";
  WriteTestFile("both/kept.yaml", PolicyDoc("kept"));
  WriteTestFile("both/gone.yaml", PolicyDoc("gone"));
  WriteTestFile("one/kept.yaml", PolicyDoc("kept"));
  RunResult applied = RunPgpart(ApplyArgs(both, db.dsn()));
  ASSERT_EQ(applied.exit_code, 0) << Describe(applied);

  // The pull request that deletes gone.yaml: the review says what stops.
  RunResult diff = RunPgpart({"plan", "-f", one, "--base-policies", both, "--dsn", db.dsn(),
                              "--at", kAt, "--format", "markdown"});
  ASSERT_EQ(diff.exit_code, 0) << Describe(diff);
  EXPECT_NE(diff.out.find("policy gone is removed: pgpart stops managing public.gone"),
            std::string::npos)
      << diff.out;

  RunResult status = RunPgpart({"status", "-f", one, "--dsn", db.dsn(), "--at", kAt});
  EXPECT_EQ(status.exit_code, 0) << Describe(status);  // a decision, not a problem
  EXPECT_NE(status.out.find("public.gone: no policy manages it any more"), std::string::npos)
      << Describe(status);
  EXPECT_EQ(status.out.find("public.kept: no policy"), std::string::npos) << Describe(status);
  RunResult json = RunPgpart({"status", "-f", one, "--dsn", db.dsn(), "--at", kAt, "--format",
                              "json"});
  EXPECT_NE(json.out.find("\"unmanaged_with_history\": [\n    \"public.gone\"\n  ]"),
            std::string::npos)
      << json.out;
  // A table dropped since is not listed.
  db.Exec("DROP TABLE public.gone");
  RunResult after = RunPgpart({"status", "-f", one, "--dsn", db.dsn(), "--at", kAt});
  EXPECT_EQ(after.out.find("no policy manages it"), std::string::npos) << Describe(after);
}

}  // namespace
}  // namespace pgpart::apply_e2e
