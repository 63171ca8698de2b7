// Day-2 changes to the policies (issue 12.8): removing a policy is visible — the pull-request
// diff names the policy and the tables it stops managing, and `status` lists partitioned tables
// that have pgpart history but no policy any more.

#include <gtest/gtest.h>

#include <filesystem>

#include "apply_fixture.h"
#include "roles_fixture.h"

namespace pgpart::apply_e2e {
namespace {

std::string PolicyDoc(const std::string& table) {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: " + table +
         "}\nspec:\n  tables: [public." + table + "]\n  interval: 1 month\n  premake: 2\n";
}

TEST(Day2, RemovingAPolicyIsNamedInTheDiffAndStatusListsTheTableItLeft) {
  ScratchDatabase db;
  // The owner role applies, a read-only role reviews and watches (docs/permissions.md).
  PasswordRole owner(db, "pgpart_d2_owner"), reader(db, "pgpart_d2_reader");
  db.Exec("CREATE TABLE public.kept (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);"
          "CREATE TABLE public.gone (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);"
          "ALTER TABLE public.kept OWNER TO " + owner.name() + "; ALTER TABLE public.gone OWNER TO " +
          owner.name() + "; GRANT USAGE, CREATE ON SCHEMA public TO " + owner.name() + ";" +
          AuditTableSql("pgpart", "history") + "GRANT USAGE ON SCHEMA pgpart TO " + owner.name() +
          ", " + reader.name() + "; GRANT SELECT, INSERT, UPDATE ON pgpart.history TO " +
          owner.name() + "; GRANT USAGE ON SEQUENCE pgpart.history_id_seq TO " + owner.name() +
          "; GRANT SELECT ON pgpart.history, public.kept, public.gone TO " + reader.name());
  std::filesystem::create_directories(TestDir() + "/both");
  std::filesystem::create_directories(TestDir() + "/one");
  const std::string both = TestDir() + "/both";
  const std::string one = TestDir() + "/one";
  WriteTestFile("both/kept.yaml", PolicyDoc("kept"));
  WriteTestFile("both/gone.yaml", PolicyDoc("gone"));
  WriteTestFile("one/kept.yaml", PolicyDoc("kept"));
  RunResult applied = RunPgpart(ApplyArgs(both, owner.Dsn()));
  ASSERT_EQ(applied.exit_code, 0) << Describe(applied);

  // The pull request that deletes gone.yaml: the review says what stops.
  RunResult diff = RunPgpart({"plan", "-f", one, "--base-policies", both, "--dsn", reader.Dsn(),
                              "--at", kAt, "--format", "markdown"});
  ASSERT_EQ(diff.exit_code, 0) << Describe(diff);
  EXPECT_NE(diff.out.find("policy gone is removed: pgpart stops managing public.gone"),
            std::string::npos)
      << diff.out;

  RunResult status = RunPgpart({"status", "-f", one, "--dsn", reader.Dsn(), "--at", kAt});
  EXPECT_EQ(status.exit_code, 0) << Describe(status);  // a decision, not a problem
  EXPECT_NE(status.out.find("public.gone: no policy manages it any more"), std::string::npos)
      << Describe(status);
  EXPECT_EQ(status.out.find("public.kept: no policy"), std::string::npos) << Describe(status);
  RunResult json = RunPgpart({"status", "-f", one, "--dsn", reader.Dsn(), "--at", kAt,
                              "--format", "json"});
  EXPECT_NE(json.out.find("\"unmanaged_with_history\": [\n    \"public.gone\"\n  ]"),
            std::string::npos)
      << json.out;
  // A table dropped since is not listed.
  db.Exec("DROP TABLE public.gone");
  RunResult after = RunPgpart({"status", "-f", one, "--dsn", reader.Dsn(), "--at", kAt});
  EXPECT_EQ(after.out.find("no policy manages it"), std::string::npos) << Describe(after);
}

// Issue 12.9: hand-made quarterly partitions off a monthly grid are drift and a permanent status
// warning until the policy adopts them; then they are notes and status is healthy. As the
// reader role.
TEST(Day2, AdoptedOffGridPartitionsAreNotesAndStatusIsHealthy) {
  ScratchDatabase db;
  PasswordRole reader(db, "pgpart_d2_reader");
  db.Exec("CREATE TABLE public.kept (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);"
          "CREATE TABLE public.kept_2026q3 PARTITION OF public.kept FOR VALUES FROM "
          "('2026-07-01Z') TO ('2026-10-01Z');"
          "CREATE TABLE public.kept_manual PARTITION OF public.kept FOR VALUES FROM "
          "('2026-10-01Z') TO ('2026-10-20Z');" +
          MonthlyPartitions("public", "kept", 2026, 11, 3) +
          "GRANT SELECT ON public.kept, public.kept_2026q3, public.kept_manual, "
          "public.kept_y2026m11, public.kept_y2026m12, public.kept_y2027m01 TO " +
          reader.name());
  const std::string loose = WriteTestFile("loose.yaml", PolicyDoc("kept"));
  RunResult drift = RunPgpart({"status", "-f", loose, "--dsn", reader.Dsn(), "--at", kAt});
  EXPECT_EQ(drift.exit_code, 2) << Describe(drift);
  EXPECT_NE(drift.out.find("drift: partition kept_2026q3"), std::string::npos) << Describe(drift);
  const std::string adopted = WriteTestFile(
      "adopted.yaml", PolicyDoc("kept") + "  adopt:\n    - {from: 2026-07-01, to: 2026-10-01}\n"
                                          "    - partition: kept_manual\n");
  RunResult ok = RunPgpart({"status", "-f", adopted, "--dsn", reader.Dsn(), "--at", kAt});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
  EXPECT_NE(ok.out.find("note: partition kept_2026q3 [2026-07-01T00:00:00Z, "
                        "2026-10-01T00:00:00Z) is not on the 1 month grid (adopted: left as it "
                        "is)"),
            std::string::npos)
      << Describe(ok);
  EXPECT_EQ(ok.out.find("drift:"), std::string::npos) << Describe(ok);
  RunResult plan = RunPgpart(PlanArgs(adopted, reader.Dsn()));
  EXPECT_EQ(plan.exit_code, 0) << Describe(plan);  // nothing created over them
}

}  // namespace
}  // namespace pgpart::apply_e2e
