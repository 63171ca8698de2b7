// Audit completeness (issue 12.7): the history also records held steps and steps a limit kept
// back, a passing backup gate's evidence, and the database role besides the OS actor; an audit
// table made by an older version gets the new columns from its owner and still works for others;
// JSON log lines carry a timestamp.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "apply_fixture.h"
#include "roles_fixture.h"

namespace pgpart::apply_e2e {
namespace {

// public.au with monthly partitions 2026-04 .. 2026-11; at kAt with keep 3 months, 2026-04 ..
// 2026-07 are due.
void MakeTable(const ScratchDatabase& db) {
  db.Exec("CREATE TABLE public.au (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);" +
          MonthlyPartitions("public", "au", 2026, 4, 8));
}

std::string PolicyText(const std::string& extra) {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: au}\nspec:\n"
         "  tables: [public.au]\n  interval: 1 month\n  premake: 1\n"
         "  retention: {keep: 3 months, action: drop, maxDropsPerRun: 1}\n" +
         extra;
}

TEST(AuditCompleteness, HeldLimitedAndGatedStepsAreRecordedWithTheRoleAndTheEvidence) {
  ScratchDatabase db;
  MakeTable(db);
  const std::string policy = WriteTestFile(
      "au.yaml", PolicyText("  holds:\n    - {partition: au_y2026m04, reason: \"Legal hold LH-9\"}\n"
                            "  backupGate:\n    kind: command\n    command: [/bin/sh, -c, "
                            "'echo backup 20261120-F, WAL 00000001000000000000002A']\n"));
  std::vector<std::string> args = ApplyArgs(policy, db.dsn());
  args.insert(args.end(), {"--log-format", "json"});
  RunResult r = RunPgpart(args);
  ASSERT_EQ(r.exit_code, 3) << Describe(r);  // the limit kept drops back: blocked
  EXPECT_EQ(db.History("held"),
            (std::vector<std::string>{"drop public.au_y2026m04 rows=-"}));
  EXPECT_EQ(db.History("blocked"), (std::vector<std::string>{"drop public.au_y2026m06 rows=-",
                                                             "drop public.au_y2026m07 rows=-"}))
      << Describe(r);
  EXPECT_EQ(db.History("applied"), (std::vector<std::string>{"drop public.au_y2026m05 rows=0",
                                                             "create public.au_y2026m12 rows=-"}));
  EXPECT_EQ(db.Scalar("SELECT evidence FROM pgpart.history WHERE action = 'drop' AND "
                      "outcome = 'applied'"),
            "backup gate passed: /bin/sh exited with 0: backup 20261120-F, WAL "
            "00000001000000000000002A");
  EXPECT_EQ(db.Scalar("SELECT string_agg(DISTINCT db_role, ',') FROM pgpart.history"), "postgres");
  EXPECT_NE(db.Scalar("SELECT error FROM pgpart.history WHERE outcome = 'blocked' AND "
                      "partition = 'public.au_y2026m06'")
                .find("maxDropsPerRun"),
            std::string::npos);

  // Every JSON log line is an object whose first member is its time.
  std::istringstream lines(r.err);
  std::string line;
  int logged = 0;
  const std::regex time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(line);
    ASSERT_TRUE(j.begin().key() == "time") << line;
    EXPECT_TRUE(std::regex_match(j["time"].get<std::string>(), time)) << line;
    ++logged;
  }
  EXPECT_EQ(logged, 5) << r.err;
}

TEST(AuditCompleteness, ARunWithOnlyHeldStepsRecordsTheHold) {
  ScratchDatabase db;
  db.Exec("CREATE TABLE public.au (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);" +
          MonthlyPartitions("public", "au", 2026, 7, 6));
  const std::string policy = WriteTestFile(
      "au.yaml", PolicyText("  holds:\n    - {partition: au_y2026m07, reason: \"LH-10\"}\n"));
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("No changes"), std::string::npos) << Describe(r);
  EXPECT_EQ(db.History("held"), (std::vector<std::string>{"drop public.au_y2026m07 rows=-"}));
}

TEST(AuditCompleteness, AnOlderAuditTableGetsTheNewColumnsFromItsOwnerAndWorksForOthers) {
  ScratchDatabase db;
  PasswordRole owner(db, "pgpart_au_owner");
  // The owner's table; its last partition made by hand by the superuser.
  db.Exec("CREATE TABLE public.au (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);"
          "ALTER TABLE public.au OWNER TO " + owner.name() + "; GRANT CREATE, USAGE ON SCHEMA "
          "public TO " + owner.name() + "; SET ROLE " + owner.name() + ";" +
          MonthlyPartitions("public", "au", 2026, 4, 7) + "RESET ROLE;" +
          MonthlyPartitions("public", "au", 2026, 11, 1));
  // The table layout of earlier versions (no db_role, no evidence), owned by the superuser.
  db.Exec(AuditTableSql("pgpart", "history") +
          "; GRANT USAGE ON SCHEMA pgpart TO " + owner.name() +
          "; GRANT SELECT, INSERT, UPDATE ON pgpart.history TO " + owner.name() +
          "; GRANT USAGE ON SEQUENCE pgpart.history_id_seq TO " + owner.name());
  const std::string policy = WriteTestFile("au.yaml", PolicyText(""));
  RunResult as_owner = RunPgpart(ApplyArgs(policy, owner.Dsn()));  // not the history's owner
  ASSERT_EQ(as_owner.exit_code, 3) << Describe(as_owner);
  EXPECT_EQ(db.History("applied").size(), 2u) << Describe(as_owner);
  // The partition the superuser made stays its own: the owner role may not take it.
  EXPECT_NE(as_owner.out.find("may not give public.au_y2026m11 the parent's owner and grants: it "
                              "belongs to postgres"),
            std::string::npos)
      << Describe(as_owner);
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 'pgpart.history'::"
                      "regclass AND attname IN ('db_role', 'evidence')"),
            "0");
  RunResult as_superuser = RunPgpart(ApplyArgs(policy, db.dsn()));  // the history's owner
  ASSERT_EQ(as_superuser.exit_code, 3) << Describe(as_superuser);
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 'pgpart.history'::"
                      "regclass AND attname IN ('db_role', 'evidence')"),
            "2");
  EXPECT_EQ(db.Scalar("SELECT db_role FROM pgpart.history ORDER BY id DESC LIMIT 1"), "postgres");
}

}  // namespace
}  // namespace pgpart::apply_e2e
