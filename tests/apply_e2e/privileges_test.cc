// New partitions get the parent's owner and grants (issue 12.3): a maintenance role that is a
// member of the owner role creates them, and the application's next migration (ALTER TABLE as the
// owner) and a reporting role's SELECT on a partition work. Existing partitions that differ are
// drift with an inherit_privileges step. All roles are real non-superusers with passwords.

#include <gtest/gtest.h>

#include "apply_fixture.h"
#include "roles_fixture.h"

namespace pgpart::apply_e2e {
namespace {

std::string Policy(const std::string& extra = "") {
  return WriteTestFile(
      "ev.yaml",
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ev}\nspec:\n"
      "  tables: [public.ev]\n  interval: 1 month\n  premake: 1\n" + extra);
}

// Runs SQL as `role` (its password, over TCP); returns "" or the error.
std::string ExecAs(const PasswordRole& role, const std::string& sql) {
  try {
    pqxx::connection conn(role.Dsn());
    pqxx::nontransaction nt(conn);
    nt.exec(sql);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

struct Roles {
  explicit Roles(const ScratchDatabase& db)
      : owner(db, "pgpart_app_owner"), maint(db, "pgpart_maint"), reporting(db, "pgpart_report") {
    db.Exec("GRANT " + owner.name() + " TO " + maint.name() + "; GRANT CREATE, USAGE ON SCHEMA " +
            "public TO " + owner.name() + R"SQL(;
CREATE TABLE public.ev (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
ALTER TABLE public.ev OWNER TO )SQL" + owner.name() + "; GRANT SELECT ON public.ev TO " +
            reporting.name() + " WITH GRANT OPTION; GRANT INSERT ON public.ev TO PUBLIC;" +
            AuditTableSql("pgpart", "history") + "GRANT USAGE ON SCHEMA pgpart TO " + owner.name() +
            "; GRANT SELECT, INSERT, UPDATE ON pgpart.history TO " + owner.name() +
            "; GRANT USAGE ON SEQUENCE pgpart.history_id_seq TO " + owner.name());
  }
  PasswordRole owner, maint, reporting;
};

std::string OwnerOf(const ScratchDatabase& db, const std::string& table) {
  return db.Scalar("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = '" + table +
                   "'::regclass");
}

TEST(Privileges, AMaintenanceRoleCreatesPartitionsTheOwnerAndTheReportingRoleCanUse) {
  ScratchDatabase db;
  Roles roles(db);
  const std::string policy = Policy();
  RunResult plan = RunPgpart({"plan", "-f", policy, "--dsn", roles.maint.Dsn(), "--at", kAt,
                              "--format", "sql"});
  ASSERT_EQ(plan.exit_code, 0) << Describe(plan);
  EXPECT_NE(plan.out.find("ALTER TABLE public.ev_y2026m11 OWNER TO " + roles.owner.name()),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("GRANT SELECT ON TABLE public.ev_y2026m11 TO " + roles.reporting.name() +
                          " WITH GRANT OPTION"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("GRANT INSERT ON TABLE public.ev_y2026m11 TO PUBLIC"), std::string::npos)
      << plan.out;

  RunResult r = RunPgpart(ApplyArgs(policy, roles.maint.Dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  for (const char* partition : {"public.ev_y2026m11", "public.ev_y2026m12"}) {
    EXPECT_EQ(OwnerOf(db, partition), roles.owner.name()) << partition;
    EXPECT_EQ(ExecAs(roles.reporting, std::string("SELECT count(*) FROM ") + partition), "")
        << partition;
  }
  // The application's next migration, as the owner: every partition must be the owner's.
  EXPECT_EQ(ExecAs(roles.owner, "ALTER TABLE public.ev ADD COLUMN note text"), "");
  RunResult again = RunPgpart(PlanArgs(policy, roles.maint.Dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);  // converged: no drift, no steps
}

TEST(Privileges, ExistingPartitionsThatDifferAreDriftAndOneApplyAlignsThem) {
  ScratchDatabase db;
  Roles roles(db);
  // Partitions made by hand as another role (the superuser): no grants, the wrong owner.
  db.Exec(MonthlyPartitions("public", "ev", 2026, 11, 2));
  const std::string policy = Policy();
  RunResult plan = RunPgpart(PlanArgs(policy, roles.maint.Dsn()));
  EXPECT_EQ(plan.exit_code, 2) << Describe(plan);
  EXPECT_NE(plan.out.find("inherit_privileges"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("owner/privileges differ from the parent (owner postgres, not " +
                          roles.owner.name() + "; lacks PUBLIC INSERT, " +
                          roles.reporting.name() + " SELECT WITH GRANT OPTION)"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("ACQUIRES_ACCESS_EXCLUSIVE_LOCK"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("2 to align with the parent's privileges"), std::string::npos)
      << plan.out;

  // Only the table's owner (or a superuser) may give a table away: the superuser applies here.
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(OwnerOf(db, "public.ev_y2026m11"), roles.owner.name());
  EXPECT_EQ(ExecAs(roles.reporting, "SELECT count(*) FROM public.ev_y2026m12"), "");
  EXPECT_EQ(db.History().size(), 2u) << ::testing::PrintToString(db.History());
  RunResult again = RunPgpart(PlanArgs(policy, roles.maint.Dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
}

TEST(Privileges, PrivilegesNoneLeavesPartitionsAsPostgresMakesThem) {
  ScratchDatabase db;
  Roles roles(db);
  db.Exec(MonthlyPartitions("public", "ev", 2026, 11, 1));
  const std::string policy = Policy("  privileges: none\n");
  RunResult plan = RunPgpart({"plan", "-f", policy, "--dsn", roles.maint.Dsn(), "--at", kAt,
                              "--format", "sql"});
  ASSERT_EQ(plan.exit_code, 0) << Describe(plan);
  EXPECT_EQ(plan.out.find("OWNER TO"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find("GRANT"), std::string::npos) << plan.out;
  RunResult r = RunPgpart(ApplyArgs(policy, roles.maint.Dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(OwnerOf(db, "public.ev_y2026m12"), roles.maint.name());
}

}  // namespace
}  // namespace pgpart::apply_e2e
