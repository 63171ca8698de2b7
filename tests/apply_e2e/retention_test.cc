// Retention guards: holds keep their partition (until they expire), a failing or erroring backup
// gate keeps its partition and is recorded, and maxDropsPerRun / --max-drops caps the drops.

#include <gtest/gtest.h>

#include <algorithm>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {
namespace {

// A table public.<name> (id, ts, v) with monthly partitions 2026-05 .. 2026-11 and 10 rows in
// each. At kAt with keep: 3 months, 2026-05, -06 and -07 are expired.
std::string ExpiringTable(const std::string& name) {
  return "CREATE TABLE public." + name +
         " (id bigint NOT NULL, ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);\n" +
         MonthlyPartitions("public", name, 2026, 5, 7) + "INSERT INTO public." + name +
         " SELECT g, date_trunc('month', timestamptz '2026-05-01Z' + m * interval '1 month') + "
         "g * interval '1 hour', g FROM generate_series(0, 6) m, generate_series(1, 10) g;\n";
}

std::string Policy(const std::string& name, const std::string& extra) {
  std::string label = name;
  std::replace(label.begin(), label.end(), '_', '-');
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: " + label +
         "}\nspec:\n  tables: [public." + name +
         "]\n  interval: 1 month\n  premake: 1\n  retention: {keep: 3 months, action: drop}\n" +
         extra + "---\n";
}

bool Exists(const ScratchDatabase& db, const std::string& table) {
  return !db.Scalar("SELECT to_regclass(" + Literal("public." + table) + ")::text").empty();
}

TEST(Retention, HoldsAndFailingGatesKeepTheirPartitions) {
  ScratchDatabase db;
  std::string sql, policies;
  const std::vector<std::pair<std::string, std::string>> tables{
      {"held", "  holds:\n    - {partition: held_y2026m06, reason: \"Legal hold LH-7\"}\n"},
      {"held_range",
       "  holds:\n    - {from: 2026-07-01, to: 2026-08-01, reason: audit, until: 2027-01-01}\n"},
      {"hold_expired",
       "  holds:\n    - {partition: hold_expired_y2026m06, reason: old, until: 2026-11-01}\n"},
      {"gate_sql", "  backupGate: {kind: sql, query: \"select false\"}\n"},
      {"gate_command", "  backupGate: {kind: command, command: [/bin/false]}\n"},
      {"gate_error", "  backupGate: {kind: sql, query: \"select 1 / 0 = 1\"}\n"},
      // Evaluated per partition, with its name and bounds.
      {"gate_params",
       "  backupGate:\n    kind: sql\n    query: \"select $1 <> 'gate_params_y2026m05' and "
       "$3::timestamptz <= timestamptz '2026-08-01 00:00Z'\"\n"},
      {"gate_env",
       "  backupGate:\n    kind: command\n    command: [/bin/sh, -c, 'test \"$PGPART_PARTITION\" "
       "!= gate_env_y2026m07']\n"},
  };
  for (const auto& [name, extra] : tables) {
    sql += ExpiringTable(name);
    policies += Policy(name, extra);
  }
  db.Exec(sql);
  const std::string policy = WriteTestFile("retention.yaml", policies);

  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 3) << "failed gates: finished with blocked steps\n" << Describe(r);

  struct Expect {
    std::string partition;
    bool kept;
  };
  const std::vector<Expect> expected{
      {"held_y2026m05", false},         {"held_y2026m06", true},
      {"held_y2026m07", false},         {"held_range_y2026m05", false},
      {"held_range_y2026m06", false},   {"held_range_y2026m07", true},
      {"hold_expired_y2026m05", false}, {"hold_expired_y2026m06", false},
      {"gate_sql_y2026m05", true},      {"gate_sql_y2026m06", true},
      {"gate_sql_y2026m07", true},      {"gate_command_y2026m05", true},
      {"gate_command_y2026m07", true},  {"gate_error_y2026m06", true},
      {"gate_params_y2026m05", true},   {"gate_params_y2026m06", false},
      {"gate_params_y2026m07", false},  {"gate_env_y2026m05", false},
      {"gate_env_y2026m06", false},     {"gate_env_y2026m07", true},
  };
  for (const Expect& e : expected) {
    EXPECT_EQ(Exists(db, e.partition), e.kept)
        << e.partition << (e.kept ? " was dropped" : " kept");
    if (e.kept) {
      EXPECT_EQ(db.Count("SELECT count(*) FROM public." + e.partition), 10) << e.partition;
    }
  }
  // Held steps are reported as held, not as failures.
  EXPECT_NE(r.out.find("held: drop public.held_y2026m06: Legal hold LH-7"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("blocked: drop public.gate_sql_y2026m05: backup gate"), std::string::npos)
      << r.out;

  // The audit trail: every blocked drop with the gate's detail, every done drop with its rows
  // (the steps' rows; each table's run row, action 'apply', is checked below).
  const auto blocked = db.Query(
      "SELECT partition, error FROM pgpart.history WHERE outcome = 'blocked' AND action <> "
      "'apply' ORDER BY 1");
  std::vector<std::string> blocked_names;
  for (const auto& row : blocked) {
    blocked_names.push_back(row[0]);
    EXPECT_EQ(row[1].rfind("backup gate: ", 0), 0u) << row[0] << ": " << row[1];
  }
  EXPECT_EQ(
      blocked_names,
      (std::vector<std::string>{
          "public.gate_command_y2026m05", "public.gate_command_y2026m06",
          "public.gate_command_y2026m07", "public.gate_env_y2026m07", "public.gate_error_y2026m05",
          "public.gate_error_y2026m06", "public.gate_error_y2026m07", "public.gate_params_y2026m05",
          "public.gate_sql_y2026m05", "public.gate_sql_y2026m06", "public.gate_sql_y2026m07"}));
  // The run row of each table: blocked where a gate refused, applied where everything ran.
  EXPECT_EQ(db.Scalar("SELECT outcome || ': ' || error FROM pgpart.history WHERE action = 'apply' "
                      "AND partition = 'public.gate_sql'"),
            "blocked: 1 applied, 0 already done, 0 held, 3 blocked, 0 failed; drop "
            "public.gate_sql_y2026m05: backup gate: gate query returned false");
  EXPECT_EQ(db.Scalar("SELECT outcome FROM pgpart.history WHERE action = 'apply' AND partition = "
                      "'public.hold_expired'"),
            "applied");
  EXPECT_NE(db.Scalar("SELECT error FROM pgpart.history WHERE partition = "
                      "'public.gate_error_y2026m05'")
                .find("division by zero"),
            std::string::npos);
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE outcome = 'applied' AND action = "
                     "'drop' AND rows = 10"),
            11);  // held 2, held_range 2, hold_expired 3, gate_params 2, gate_env 2
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE partition IN "
                     "('public.held_y2026m06', 'public.held_range_y2026m07') AND outcome <> 'held'"),
            0)
      << "a held partition was touched";
  // The holds are on record: one "held" row each, with the hold's reason.
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE outcome = 'held' AND partition IN "
                     "('public.held_y2026m06', 'public.held_range_y2026m07')"),
            2);

  // Blocked drops stay in the plan (exit 2); a second run blocks them again and drops nothing.
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 2) << Describe(plan);
  RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(again.exit_code, 3) << Describe(again);
  EXPECT_EQ(db.History("applied").size(), 11u + 8u);  // 11 drops and 8 creates (2026-12), once
}

TEST(Retention, MaxDropsPerRunBlocksTheRestAndSaysHowToRaiseIt) {
  ScratchDatabase db;
  db.Exec(
      "CREATE TABLE public.many (id bigint NOT NULL, ts timestamptz NOT NULL, v int) PARTITION "
      "BY RANGE (ts);\n" +
      MonthlyPartitions("public", "many", 2026, 1, 12) +
      "INSERT INTO public.many SELECT g, timestamptz '2026-01-01Z' + g * interval '1 day', g "
      "FROM generate_series(0, 330) g;");
  // Expired at kAt: 2026-01 .. 2026-07 (seven).
  const std::string policy = WriteTestFile("many.yaml", R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: many}
spec:
  tables: [public.many]
  interval: 1 month
  premake: 1
  retention: {keep: 3 months, action: drop, maxDropsPerRun: 2}
)");
  const int64_t rows_before = db.Count("SELECT count(*) FROM public.many");

  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_NE(r.out.find("maxDropsPerRun"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--max-drops"), std::string::npos) << r.out;
  // The oldest go first.
  EXPECT_FALSE(Exists(db, "many_y2026m01"));
  EXPECT_FALSE(Exists(db, "many_y2026m02"));
  for (const char* kept :
       {"many_y2026m03", "many_y2026m04", "many_y2026m05", "many_y2026m06", "many_y2026m07"}) {
    EXPECT_TRUE(Exists(db, kept)) << kept;
  }
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE action = 'drop' AND outcome = "
                     "'applied'"),
            2);
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.many") +
                db.Count("SELECT sum(rows) FROM pgpart.history WHERE action = 'drop'"),
            rows_before);

  // --max-drops overrides the policy, per run.
  auto args = ApplyArgs(policy, db.dsn());
  args.insert(args.end(), {"--max-drops", "3"});
  RunResult three = RunPgpart(args);
  EXPECT_EQ(three.exit_code, 3) << Describe(three);
  EXPECT_FALSE(Exists(db, "many_y2026m05"));
  EXPECT_TRUE(Exists(db, "many_y2026m06"));

  args.back() = "10";
  RunResult rest = RunPgpart(args);
  EXPECT_EQ(rest.exit_code, 0) << Describe(rest);
  EXPECT_FALSE(Exists(db, "many_y2026m07"));
  EXPECT_TRUE(Exists(db, "many_y2026m08"));
  EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE action = 'drop' AND outcome = "
                     "'applied'"),
            7);
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
}

// A drop reports (and records) how many rows it took: counted in its own transaction, first
// (issue 16 folded the count into the drop's one round trip), with the audit on and off.
TEST(Retention, EachDropReportsTheRowsItTookWithAndWithoutTheAudit) {
  for (const bool audit : {true, false}) {
    SCOPED_TRACE(audit ? "audit" : "--no-audit");
    ScratchDatabase db;
    db.Exec(
        "CREATE TABLE public.counted (id bigint NOT NULL, ts timestamptz NOT NULL) PARTITION BY "
        "RANGE (ts);\n" +
        MonthlyPartitions("public", "counted", 2026, 1, 12) +
        // 31 rows in January, 28 in February, none in March.
        "INSERT INTO public.counted SELECT g, timestamptz '2026-01-01Z' + g * interval '1 day' "
        "FROM generate_series(0, 58) g;");
    const std::string policy = WriteTestFile("counted.yaml", R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: counted}
spec:
  tables: [public.counted]
  interval: 1 month
  premake: 1
  retention: {keep: 7 months, action: drop}
)");
    auto args = ApplyArgs(policy, db.dsn());
    if (!audit) args.push_back("--no-audit");
    RunResult r = RunPgpart(args);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_NE(r.out.find("- dropped public.counted_y2026m01 (31 rows)"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("- dropped public.counted_y2026m02 (28 rows)"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("- dropped public.counted_y2026m03 (0 rows)"), std::string::npos)
        << r.out;
    EXPECT_EQ(db.Count("SELECT count(*) FROM public.counted"), 0);
    if (audit) {
      EXPECT_EQ(db.History("applied"),
                (std::vector<std::string>{"drop public.counted_y2026m01 rows=31",
                                          "drop public.counted_y2026m02 rows=28",
                                          "drop public.counted_y2026m03 rows=0"}));
    } else {
      EXPECT_EQ(db.Scalar("SELECT to_regnamespace('pgpart')::text"), "");
    }
  }
}

}  // namespace
}  // namespace pgpart::apply_e2e
