// Roles: apply runs as the table's owner — a real non-superuser without CREATE on the database —
// into a pgpart.history that a DBA created for it (issue 12.1: every apply used to run CREATE
// SCHEMA IF NOT EXISTS, which needs CREATE on the database even when the schema exists).

#include <gtest/gtest.h>
#include <unistd.h>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {
namespace {

TEST(AuditTable, ATableOwnerWithoutCreateOnTheDatabaseAppliesIntoAHistoryTheDbaMade) {
  ScratchDatabase db;
  const std::string role = "pgpart_owner_" + std::to_string(getpid());
  db.Exec("DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role + " LOGIN NOSUPERUSER");
  db.Exec("GRANT CREATE, USAGE ON SCHEMA public TO " + role + R"SQL(;
CREATE TABLE public.ow (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
ALTER TABLE public.ow OWNER TO )SQL" + role + R"SQL(;
CREATE SCHEMA pgpart;
CREATE TABLE pgpart.history (
  id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), actor text NOT NULL,
  policy text NOT NULL, table_name text NOT NULL, partition text NOT NULL, action text NOT NULL,
  rows bigint, statements text[] NOT NULL, outcome text NOT NULL, error text);
GRANT USAGE ON SCHEMA pgpart TO )SQL" + role + R"SQL(;
GRANT SELECT, INSERT, UPDATE ON pgpart.history TO )SQL" + role + R"SQL(;
GRANT USAGE ON SEQUENCE pgpart.history_id_seq TO )SQL" + role + ";");
  ASSERT_EQ(db.Scalar("SELECT has_database_privilege('" + role + "', current_database(), 'CREATE')"),
            "f");
  ASSERT_EQ(db.Scalar("SELECT rolsuper FROM pg_roles WHERE rolname = '" + role + "'"), "f");
  const std::string policy = WriteTestFile(
      "ow.yaml",
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ow}\nspec:\n"
      "  tables: [public.ow]\n  interval: 1 month\n  premake: 1\n");
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn() + " user=" + role));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(db.Count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.ow'::regclass"),
            2);
  EXPECT_EQ(db.History().size(), 2u) << ::testing::PrintToString(db.History());
  db.Exec("DROP TABLE public.ow; DROP OWNED BY " + role + "; DROP ROLE " + role);
}

}  // namespace
}  // namespace pgpart::apply_e2e
