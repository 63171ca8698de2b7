// Roles: apply runs as the table's owner — a real non-superuser, logging in with a password,
// without CREATE on the database — into an audit table that a DBA created for it (issue 12.1:
// every apply used to run CREATE SCHEMA IF NOT EXISTS, which needs CREATE on the database even
// when the schema exists), and a missing privilege is named before anything changes.

#include <gtest/gtest.h>

#include "apply_fixture.h"
#include "roles_fixture.h"

namespace pgpart::apply_e2e {
namespace {

std::string OwnerPolicy() {
  return WriteTestFile(
      "ow.yaml",
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ow}\nspec:\n"
      "  tables: [public.ow]\n  interval: 1 month\n  premake: 1\n");
}

// public.ow owned by `owner`, who may create tables in public (nothing else).
void MakeOwnedTable(const ScratchDatabase& db, const PasswordRole& owner) {
  db.Exec("GRANT CREATE, USAGE ON SCHEMA public TO " + owner.name() + R"SQL(;
CREATE TABLE public.ow (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
ALTER TABLE public.ow OWNER TO )SQL" + owner.name());
  ASSERT_EQ(db.Scalar("SELECT has_database_privilege(" + Literal(owner.name()) +
                      ", current_database(), 'CREATE')"),
            "f");
}

int64_t Partitions(const ScratchDatabase& db) {
  return db.Count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.ow'::regclass");
}

TEST(AuditTable, ThePasswordRolesReallyNeedTheirPassword) {
  ScratchDatabase db;
  PasswordRole owner(db, "pgpart_owner");
  RunResult denied = RunPgpart({"snapshot", "--dsn", owner.DsnWithoutPassword()});
  EXPECT_EQ(denied.exit_code, 1) << Describe(denied);
  EXPECT_NE(denied.err.find("password"), std::string::npos) << Describe(denied);
  RunResult ok = RunPgpart({"snapshot", "--dsn", owner.Dsn()});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
  EXPECT_EQ(ok.err.find(owner.password()), std::string::npos) << "the password was printed";
}

TEST(AuditTable, ATableOwnerWithoutCreateOnTheDatabaseAppliesIntoAHistoryTheDbaMade) {
  ScratchDatabase db;
  PasswordRole owner(db, "pgpart_owner");
  MakeOwnedTable(db, owner);
  db.Exec(AuditTableSql("pgpart", "history") + "GRANT USAGE ON SCHEMA pgpart TO " + owner.name() +
          "; GRANT SELECT, INSERT, UPDATE ON pgpart.history TO " + owner.name() +
          "; GRANT USAGE ON SEQUENCE pgpart.history_id_seq TO " + owner.name());
  RunResult r = RunPgpart(ApplyArgs(OwnerPolicy(), owner.Dsn()));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Partitions(db), 2);
  EXPECT_EQ(db.History().size(), 2u) << ::testing::PrintToString(db.History());
}

TEST(AuditTable, WithoutCreateOnTheDatabaseApplyNamesTheGrantAndChangesNothing) {
  ScratchDatabase db;
  PasswordRole owner(db, "pgpart_owner");
  MakeOwnedTable(db, owner);
  RunResult r = RunPgpart(ApplyArgs(OwnerPolicy(), owner.Dsn()));
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  const std::string grant =
      "GRANT CREATE ON DATABASE " + db.name() + " TO " + owner.name();
  EXPECT_NE(r.err.find(grant), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("--no-audit"), std::string::npos) << Describe(r);
  EXPECT_EQ(Partitions(db), 0) << "nothing may be applied without its audit trail";
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgpart'"), "0");
}

TEST(AuditTable, AHistoryTheRoleMayNotWriteIsNamedWithTheMissingGrantsBeforeAnyChange) {
  ScratchDatabase db;
  PasswordRole owner(db, "pgpart_owner");
  MakeOwnedTable(db, owner);
  db.Exec(AuditTableSql("pgpart", "history") + "GRANT USAGE ON SCHEMA pgpart TO " + owner.name() +
          "; GRANT SELECT ON pgpart.history TO " + owner.name());
  RunResult r = RunPgpart(ApplyArgs(OwnerPolicy(), owner.Dsn()));
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.err.find("GRANT INSERT, UPDATE ON pgpart.history TO " + owner.name()),
            std::string::npos)
      << Describe(r);
  EXPECT_NE(r.err.find("GRANT USAGE ON SEQUENCE pgpart.history_id_seq TO " + owner.name()),
            std::string::npos)
      << Describe(r);
  EXPECT_EQ(Partitions(db), 0) << Describe(r);
}

TEST(AuditTable, AnotherAuditTableRecordsTheStepsAndSnapshotAndStatusReadIt) {
  ScratchDatabase db;
  PasswordRole owner(db, "pgpart_owner");
  MakeOwnedTable(db, owner);
  db.Exec(AuditTableSql("ops", "pgpart_audit") + "GRANT USAGE ON SCHEMA ops TO " + owner.name() +
          "; GRANT SELECT, INSERT, UPDATE ON ops.pgpart_audit TO " + owner.name() +
          "; GRANT USAGE ON SEQUENCE ops.pgpart_audit_id_seq TO " + owner.name());
  const std::string policy = OwnerPolicy();
  std::vector<std::string> args = ApplyArgs(policy, owner.Dsn());
  args.insert(args.end(), {"--audit-table", "ops.pgpart_audit"});
  RunResult r = RunPgpart(args);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Partitions(db), 2);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ops.pgpart_audit WHERE outcome = 'applied' AND "
                     "action <> 'apply'"),
            2);
  EXPECT_EQ(db.Count("SELECT count(*) FROM ops.pgpart_audit WHERE action = 'apply'"), 1)
      << "the run row goes to the same table";
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgpart'"), "0")
      << "no pgpart schema when the audit table is elsewhere";

  // A failure recorded there is what snapshot and status read back with the same flag.
  db.Exec("INSERT INTO ops.pgpart_audit (actor, policy, table_name, partition, action, "
          "statements, outcome, error) VALUES ('dba@db', 'ow', 'public.ow', 'public.ow_p2026_10',"
          " 'drop', '{}', 'failed', 'recorded-in-ops')");
  RunResult with = RunPgpart({"snapshot", "-f", policy, "--dsn", owner.Dsn(), "--audit-table",
                              "ops.pgpart_audit"});
  ASSERT_EQ(with.exit_code, 0) << Describe(with);
  EXPECT_NE(with.out.find("recorded-in-ops"), std::string::npos) << with.out;
  RunResult without = RunPgpart({"snapshot", "-f", policy, "--dsn", owner.Dsn()});
  ASSERT_EQ(without.exit_code, 0) << Describe(without);
  EXPECT_EQ(without.out.find("recorded-in-ops"), std::string::npos) << without.out;

  RunResult bad = RunPgpart({"status", "-f", policy, "--dsn", owner.Dsn(), "--audit-table",
                             "a.b.c"});
  EXPECT_EQ(bad.exit_code, 1) << Describe(bad);
  EXPECT_NE(bad.err.find("--audit-table"), std::string::npos) << Describe(bad);
}

}  // namespace
}  // namespace pgpart::apply_e2e
