// What PostgreSQL does not propagate from a parent to a new partition (issue 12.4): the
// partition-local unique index standing in for a unique key without the partition key, storage
// parameters, replica identity. New partitions take them from the newest partition (the
// template), the plan shows it, and a partition lacking an index all its siblings have is drift.

#include <gtest/gtest.h>

#include "apply_fixture.h"
#include "roles_fixture.h"

namespace pgpart::apply_e2e {
namespace {

// What `pgpart grants --kind owner` gives the owner here: CREATE in public, the audit table.
std::string Grants(const std::string& owner) {
  return "REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE, CREATE ON SCHEMA public TO " +
         owner + ";" + AuditTableSql("pgpart", "history") + "GRANT USAGE ON SCHEMA pgpart TO " +
         owner + "; GRANT SELECT, INSERT, UPDATE ON pgpart.history TO " + owner +
         "; GRANT USAGE ON SEQUENCE pgpart.history_id_seq TO " + owner;
}

TEST(Template, NewPartitionsTakeTheNewestPartitionsIndexesStorageAndReplicaIdentity) {
  ScratchDatabase db;
  PasswordRole owner(db, "pgpart_tpl_owner");  // the application's owner role applies
  db.Exec(Grants(owner.name()));
  std::string sql =
      "SET ROLE " + owner.name() +
      "; CREATE TABLE public.ev (id bigint NOT NULL, ts timestamptz NOT NULL) PARTITION BY RANGE "
      "(ts);" +
      MonthlyPartitions("public", "ev", 2026, 9, 3);
  for (const char* p : {"ev_y2026m10", "ev_y2026m11"}) {  // September lacks the index
    sql += std::string("CREATE UNIQUE INDEX ON public.") + p + " (id);";
  }
  sql += "ALTER TABLE public.ev_y2026m11 SET (fillfactor = 70, "
         "autovacuum_vacuum_scale_factor = 0.01); ALTER TABLE public.ev_y2026m11 REPLICA "
         "IDENTITY FULL; RESET ROLE;";
  db.Exec(sql);
  const std::string policy = WriteTestFile(
      "ev.yaml",
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ev}\nspec:\n"
      "  tables: [public.ev]\n  interval: 1 month\n  premake: 1\n");
  RunResult plan =
      RunPgpart({"plan", "-f", policy, "--dsn", owner.Dsn(), "--at", kAt, "--format", "sql"});
  ASSERT_EQ(plan.exit_code, 0) << Describe(plan);
  EXPECT_NE(plan.out.find("INCLUDING GENERATED) WITH (fillfactor = '70', "
                          "autovacuum_vacuum_scale_factor = '0.01')"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("CREATE UNIQUE INDEX ON public.ev_y2026m12 USING btree (id)"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("ALTER TABLE public.ev_y2026m12 REPLICA IDENTITY FULL"),
            std::string::npos)
      << plan.out;
  RunResult text = RunPgpart(PlanArgs(policy, owner.Dsn()));
  EXPECT_NE(text.out.find("drift: partition ev_y2026m09 lacks the index UNIQUE btree (id) that "
                          "all its 2 siblings have"),
            std::string::npos)
      << Describe(text);

  RunResult r = RunPgpart(ApplyArgs(policy, owner.Dsn()));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(db.Scalar("SELECT array_to_string(reloptions, ',') || ' ' || relreplident::text FROM "
                      "pg_class WHERE oid = 'public.ev_y2026m12'::regclass"),
            "fillfactor=70,autovacuum_vacuum_scale_factor=0.01 f");
  db.Exec("INSERT INTO public.ev VALUES (1, '2026-12-02Z')");
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM pg_index WHERE indrelid = "
                      "'public.ev_y2026m12'::regclass AND indisunique"),
            "1");
  // The new partition is the next one's template: the plan converges.
  RunResult again = RunPgpart(PlanArgs(policy, owner.Dsn()));
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  // And a snapshot carries what the plan needs: the same SQL offline.
  RunResult snap = RunPgpart({"snapshot", "-f", policy, "--dsn", owner.Dsn()});
  ASSERT_EQ(snap.exit_code, 0) << Describe(snap);
  const std::string catalog = WriteTestFile("catalog.json", snap.out);
  RunResult offline = RunPgpart({"plan", "-f", policy, "--catalog", catalog, "--at",
                                 "2027-01-21T12:00:00Z", "--format", "sql"});
  ASSERT_EQ(offline.exit_code, 0) << Describe(offline);
  EXPECT_NE(offline.out.find("CREATE UNIQUE INDEX ON public.ev_y2027m02 USING btree (id)"),
            std::string::npos)
      << offline.out;
}

}  // namespace
}  // namespace pgpart::apply_e2e
