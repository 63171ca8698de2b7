// The planner's conversion of a plain table (spec.convert) on fake catalogs: which steps, in
// which order, what each says, what it refuses, and that a saved plan keeps all of it.

#include <gtest/gtest.h>

#include "plan/planner.h"
#include "plan_fixture.h"
#include "render/render.h"

namespace pgpart {
namespace {

using testing::At;
using testing::CatalogOf;
using testing::Policies;

const char kPolicy[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: conv}
spec:
  tables: [public.readings]
  column: ts
  interval: 1 month
  premake: 1
  convert:
    batchRows: 1000
    primaryKey: [id, ts]
)";

// A plain table with a bigint primary key, rows from 2026-09-10 to 2026-11-02.
Table Plain() {
  Table t;
  t.name = {"public", "readings"};
  t.exists = true;
  t.owner = "app";
  t.grants = {Grant{"reporting", "SELECT", false}};
  ConvertSource s;
  s.names = NamesFor(t.name);
  s.oid = 4242;
  s.owner = "app";
  s.columns = {SourceColumn{"id", "bigint", true, false, 0, false},
               SourceColumn{"ts", "timestamp with time zone", true, false, 0, false},
               SourceColumn{"v", "double precision", false, false, 0, false}};
  s.key_type_name = "timestamp with time zone";
  s.key_type = KeyType::kTimestampTz;
  s.rows_estimate = 50'000;
  s.pages = 500;
  s.bytes = 8 << 20;
  s.min_key = Bound::Value(At("2026-09-10T00:00:00Z"));
  s.max_key = Bound::Value(At("2026-11-02T00:00:00Z"));
  s.constraints = {SourceConstraint{"readings_pkey", 'p', "PRIMARY KEY (id)", {"id"}}};
  s.indexes = {SourceIndex{"readings_ts_idx", false, "btree (ts)", {"ts"}}};
  t.convert = s;
  return t;
}

TEST(ConvertPlan, APlainTablesConversionIsFourStepsWithTheirSqlAndDetails) {
  Plan plan = ComputePlan(Policies(kPolicy), CatalogOf({Plain()}), At("2026-11-21T12:00:00Z"));
  ASSERT_TRUE(plan.diagnostics.empty()) << plan.diagnostics[0].message;
  ASSERT_EQ(plan.steps.size(), 4u);
  EXPECT_EQ(plan.steps[0].action, Action::kConvertPrepare);
  EXPECT_EQ(plan.steps[1].action, Action::kConvertCopy);
  EXPECT_EQ(plan.steps[2].action, Action::kConvertVerify);
  EXPECT_EQ(plan.steps[3].action, Action::kConvertSwap);
  EXPECT_EQ(plan.summary.convert, 4);
  EXPECT_TRUE(plan.HasChanges());
  // September to December (premake 1): four partitions, made inside the prepare.
  std::string prepare;
  for (const Statement& s : plan.steps[0].statements) prepare += s.sql + ";\n";
  for (const char* part : {"readings_y2026m09", "readings_y2026m10", "readings_y2026m11",
                           "readings_y2026m12"}) {
    EXPECT_NE(prepare.find("CREATE TABLE public." + std::string(part) +
                           " PARTITION OF public.readings_pgpart_new"),
              std::string::npos)
        << part << "\n"
        << prepare;
  }
  EXPECT_EQ(prepare.find("readings_y2027m01"), std::string::npos) << prepare;
  EXPECT_NE(prepare.find("PRIMARY KEY (id, ts)"), std::string::npos) << prepare;
  EXPECT_NE(prepare.find("GRANT SELECT ON TABLE public.readings_pgpart_new TO reporting"),
            std::string::npos)
      << prepare;
  EXPECT_NE(prepare.find("CREATE TRIGGER pgpart_convert_upd AFTER UPDATE ON public.readings "
                         "REFERENCING OLD TABLE AS pgpart_old_rows NEW TABLE AS pgpart_new_rows"),
            std::string::npos)
      << prepare;
  EXPECT_EQ(plan.steps[1].rows_estimate, 50'000);
  EXPECT_EQ(plan.steps[1].hazards, std::vector<Hazard>{Hazard::kRewritesRows});
  EXPECT_EQ(plan.steps[3].hazards, std::vector<Hazard>{Hazard::kAcquiresAccessExclusiveLock});
  EXPECT_NE(plan.steps[1].details[0].find("~50 batches of ~1,000 rows"), std::string::npos)
      << plan.steps[1].details[0];

  // A saved plan keeps the details, and reads back equal.
  Plan back;
  std::string error;
  ASSERT_TRUE(PlanFromJson(RenderJson(plan), &back, &error)) << error;
  EXPECT_EQ(back.steps, plan.steps);
}

TEST(ConvertPlan, EveryReasonItCannotConvertIsNamedAndNoStepIsPlanned) {
  Table t = Plain();
  ConvertSource& s = *t.convert;
  s.constraints.push_back(SourceConstraint{"readings_v_key", 'u', "UNIQUE (v)", {"v"}});
  s.indexes.push_back(SourceIndex{"readings_v_uidx", true, "btree (v, id)", {"v", "id"}});
  s.dependents.push_back(SourceObject{{"", "alerts_reading_fkey"}, "foreign key",
                                      "public.alerts FOREIGN KEY (r) REFERENCES readings(id)", ""});
  s.dependents.push_back(SourceObject{{"public", "daily"}, "materialized view", "", ""});
  s.rls_enabled = true;
  s.null_keys = true;
  std::string yaml = kPolicy;
  yaml.replace(yaml.find("    primaryKey: [id, ts]\n"), 25, "");
  Plan plan = ComputePlan(Policies(yaml), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  EXPECT_TRUE(plan.steps.empty());
  ASSERT_EQ(plan.diagnostics.size(), 1u);
  const std::string& m = plan.diagnostics[0].message;
  for (const char* reason :
       {"some rows have a NULL ts", "set convert.primaryKey: [id, ts]",
        "unique constraint readings_v_key (v) lacks the partition key ts",
        "unique index readings_v_uidx lacks the partition key ts",
        "foreign key alerts_reading_fkey of public.alerts",
        "materialized view public.daily depends on it", "row level security is enabled"}) {
    EXPECT_NE(m.find(reason), std::string::npos) << reason << "\n" << m;
  }
}

TEST(ConvertPlan, AConversionUnderWayPlansOnlyWhatIsLeft) {
  Table t = Plain();
  ConvertSource& s = *t.convert;
  s.phase = ConvertPhase::kCopying;
  s.next_block = 400;
  s.log_rows = 7;
  s.fresh_ranges = {{Bound::Value(At("2026-09-01T00:00:00Z")), Bound::Value(At("2026-10-01T00:00:00Z"))},
                    {Bound::Value(At("2026-10-01T00:00:00Z")), Bound::Value(At("2026-11-01T00:00:00Z"))}};
  Plan plan = ComputePlan(Policies(kPolicy), CatalogOf({t}), At("2026-11-21T12:00:00Z"));
  ASSERT_EQ(plan.steps.size(), 3u);
  EXPECT_EQ(plan.steps[0].action, Action::kConvertCopy);
  // A fifth of the blocks are left, and the captured changes.
  EXPECT_EQ(plan.steps[0].rows_estimate, 10'000 + 7);
  EXPECT_NE(plan.steps[0].details[0].find("from block 400 of 500"), std::string::npos)
      << plan.steps[0].details[0];
  // The verification compares the periods of the partitions that exist.
  EXPECT_NE(plan.steps[1].statements[0].sql.find("ARRAY['2026-09-01 00:00:00+00', "
                                                 "'2026-10-01 00:00:00+00', "
                                                 "'2026-11-01 00:00:00+00']"),
            std::string::npos)
      << plan.steps[1].statements[0].sql;
}

}  // namespace
}  // namespace pgpart
