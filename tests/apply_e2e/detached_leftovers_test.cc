// Leftovers of retention action detach (issue 12 item 10): pgpart marks what it detaches, status
// lists it (also with the audit table elsewhere), and spec.retention.dropDetachedAfter drops it
// later behind the same holds and backup gate as partitions — never a table pgpart did not
// detach itself. Destructive steps are judged on the database's clock: every drop here is due at
// 2026-12-01, before the real date this was written (2026-12-05), so the test does not depend
// on the clock.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {
namespace {

constexpr const char* kLater = "2026-12-01T00:00:00Z";

std::string Policy(const std::string& retention, const std::string& extra = "") {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ev}\nspec:\n"
         "  tables: [public.ev]\n  interval: 1 month\n  premake: 1\n  retention: " +
         retention + "\n" + extra;
}

bool Exists(const ScratchDatabase& db, const std::string& qualified) {
  return !db.Scalar("SELECT to_regclass(" + Literal(qualified) + ")::text").empty();
}

// status --format json's `detached` of public.ev, by table name.
std::map<std::string, nlohmann::json> Detached(const ScratchDatabase& db, const std::string& policy,
                                               const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"status", "-f", policy, "--dsn", db.dsn(), "--at", kAt,
                                "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = RunPgpart(args);
  EXPECT_NE(r.exit_code, 1) << Describe(r);
  std::map<std::string, nlohmann::json> out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << Describe(r);
  if (j.is_discarded()) return out;
  for (const auto& d : j.at("tables").at(0).at("detached")) out[d.at("table")] = d;
  return out;
}

TEST(DetachedLeftovers, StatusListsThemAndDropDetachedAfterDropsOnlyPgpartsOwn) {
  ScratchDatabase db;
  // 2026-01 .. 2026-12, 10 rows each; keep 3 months at kAt detaches 2026-01 .. 2026-07.
  db.Exec("CREATE TABLE public.ev (id bigint NOT NULL, ts timestamptz NOT NULL) "
          "PARTITION BY RANGE (ts);\n" +
          MonthlyPartitions("public", "ev", 2026, 1, 12) +
          "INSERT INTO public.ev SELECT g, timestamptz '2026-01-01Z' + m * interval '1 month' + "
          "g * interval '1 hour' FROM generate_series(0, 11) m, generate_series(1, 10) g;\n"
          "CREATE SCHEMA ops;");
  const std::string detach =
      WriteTestFile("detach.yaml", Policy("{keep: 3 months, action: detach}"));
  // The audit table is elsewhere: the leftovers are found by their marker, not by the history.
  std::vector<std::string> args = ApplyArgs(detach, db.dsn());
  args.insert(args.end(), {"--audit-table", "ops.pgpart_history"});
  RunResult r = RunPgpart(args);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  for (int m = 1; m <= 7; ++m) {
    const std::string name = "public.ev_y2026m0" + std::to_string(m);
    ASSERT_TRUE(Exists(db, name)) << name;
    EXPECT_EQ(db.Scalar("SELECT obj_description(" + Literal(name) +
                        "::regclass, 'pg_class') = 'pgpart:detached public.ev [' || "
                        "to_char(timestamptz '2026-0" + std::to_string(m) +
                        "-01Z' AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ', ' || "
                        "to_char((timestamptz '2026-0" + std::to_string(m) +
                        "-01Z' + interval '1 month') AT TIME ZONE 'UTC', "
                        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ') oid ' || " +
                        Literal(name) + "::regclass::oid"),
              "t")
        << name;
  }

  // status lists them; with --audit-table it also knows since when.
  auto listed = Detached(db, detach);
  ASSERT_EQ(listed.size(), 7u);
  const auto& jan = listed.at("ev_y2026m01");
  EXPECT_EQ(jan.at("action"), "detach");
  EXPECT_EQ(jan.at("from"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(jan.at("to"), "2026-02-01T00:00:00Z");
  EXPECT_EQ(jan.at("verified"), true);
  EXPECT_TRUE(jan.at("since").is_null());  // pgpart.history is not where apply wrote
  auto with_history = Detached(db, detach, {"--audit-table", "ops.pgpart_history"});
  ASSERT_EQ(with_history.size(), 7u);
  EXPECT_TRUE(with_history.at("ev_y2026m01").at("since").is_string())
      << with_history.at("ev_y2026m01").dump();
  RunResult text = RunPgpart({"status", "-f", detach, "--dsn", db.dsn(), "--at", kAt});
  EXPECT_NE(text.out.find("detached: ev_y2026m03 [2026-03-01T00:00:00Z, 2026-04-01T00:00:00Z)"),
            std::string::npos)
      << Describe(text);
  RunResult prom = RunPgpart(
      {"status", "-f", detach, "--dsn", db.dsn(), "--at", kAt, "--format", "prometheus"});
  EXPECT_NE(prom.out.find("pgpart_detached_tables{policy=\"ev\",table=\"public.ev\"} 7"),
            std::string::npos)
      << Describe(prom);

  // report too, and a snapshot keeps them (planning from it lists the same).
  RunResult md = RunPgpart({"report", "-f", detach, "--dsn", db.dsn(), "--at", kAt, "--format",
                            "markdown", "--audit-table", "ops.pgpart_history", "-o", "-"});
  EXPECT_EQ(md.exit_code, 0) << Describe(md);
  EXPECT_NE(md.out.find("- Detached or archived: ev\\_y2026m01 (detached) \\[2026-01-01T00:00:00Z, "
                        "2026-02-01T00:00:00Z), "),
            std::string::npos)
      << Describe(md);
  EXPECT_NE(md.out.find("since 2026-"), std::string::npos) << Describe(md);
  const std::string snap = TestDir() + "/snap.json";
  RunResult sn = RunPgpart({"snapshot", "-f", detach, "--dsn", db.dsn(), "-o", snap});
  ASSERT_EQ(sn.exit_code, 0) << Describe(sn);
  RunResult offline = RunPgpart({"status", "-f", detach, "--catalog", snap, "--at", kAt,
                                 "--format", "json"});
  EXPECT_EQ(nlohmann::json::parse(offline.out).at("tables").at(0).at("detached").size(), 7u)
      << Describe(offline);

  // Someone replaces January by a table of their own under the same name, and February by a
  // restored copy, comment and all (another oid).
  db.Exec("DROP TABLE public.ev_y2026m01; CREATE TABLE public.ev_y2026m01 (note text); "
          "INSERT INTO public.ev_y2026m01 VALUES ('mine');");
  const std::string feb_comment = db.Scalar(
      "SELECT obj_description('public.ev_y2026m02'::regclass, 'pg_class')");
  db.Exec("CREATE TABLE public.ev_feb_copy AS SELECT * FROM public.ev_y2026m02; "
          "DROP TABLE public.ev_y2026m02; ALTER TABLE public.ev_feb_copy RENAME TO ev_y2026m02; "
          "COMMENT ON TABLE public.ev_y2026m02 IS " + Literal(feb_comment));

  // Time passes: at 2026-12-01 keep 3 months + dropDetachedAfter 3 months reach 2026-06-01, so
  // 2026-01 .. 2026-05 are due; March is held, April's gate fails, May goes.
  const std::string later = WriteTestFile(
      "later.yaml",
      Policy("{keep: 3 months, action: detach, dropDetachedAfter: 3 months}",
             "  holds:\n    - {partition: ev_y2026m03, reason: \"Legal hold LH-9\"}\n"
             "  backupGate: {kind: sql, query: \"select $1 <> 'ev_y2026m04'\"}\n"));
  RunResult plan = RunPgpart({"plan", "-f", later, "--dsn", db.dsn(), "--at", kLater, "--format",
                              "json"});
  ASSERT_NE(plan.exit_code, 1) << Describe(plan);
  const auto pj = nlohmann::json::parse(plan.out);
  std::vector<std::string> drops;
  for (const auto& s : pj.at("steps")) {
    if (s.at("action") == "drop") {
      drops.push_back(s.at("partition").get<std::string>() + " " +
                      s.at("status").get<std::string>());
    }
  }
  EXPECT_EQ(drops, (std::vector<std::string>{"public.ev_y2026m03 held",
                                             "public.ev_y2026m04 planned",
                                             "public.ev_y2026m05 planned"}))
      << plan.out;
  EXPECT_NE(plan.out.find("ev_y2026m02 carries a pgpart detached marker for public.ev but its "
                          "marker was set on the table with oid"),
            std::string::npos)
      << plan.out;

  std::vector<std::string> apply_later{"apply", "-f", later, "--dsn", db.dsn(), "--at", kLater,
                                       "--auto-approve", "--audit-table", "ops.pgpart_history"};
  RunResult applied = RunPgpart(apply_later);
  EXPECT_NE(applied.exit_code, 1) << Describe(applied);
  EXPECT_FALSE(Exists(db, "public.ev_y2026m05")) << Describe(applied);    // dropped
  EXPECT_TRUE(Exists(db, "public.ev_y2026m04")) << Describe(applied);     // gate blocked
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev_y2026m04"), 10);
  EXPECT_TRUE(Exists(db, "public.ev_y2026m03"));                          // held
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev_y2026m03"), 10);
  EXPECT_EQ(db.Scalar("SELECT note FROM public.ev_y2026m01"), "mine");   // never ours
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev_y2026m02"), 10);    // a copy: kept
  EXPECT_TRUE(Exists(db, "public.ev_y2026m06"));                          // not due
  EXPECT_NE(applied.out.find("backup gate"), std::string::npos) << Describe(applied);
  const Rows audit = db.Query(
      "SELECT action || ' ' || partition || ' ' || outcome FROM ops.pgpart_history "
      "WHERE action = 'drop' ORDER BY partition, id");
  std::vector<std::string> lines;
  for (const auto& row : audit) lines.push_back(row[0]);
  EXPECT_EQ(lines, (std::vector<std::string>{"drop public.ev_y2026m03 held",
                                             "drop public.ev_y2026m04 blocked",
                                             "drop public.ev_y2026m05 applied"}))
      << ::testing::PrintToString(lines);

  // Without the hold and with a passing gate, the next run drops March and April too, and
  // still not the hand-made table nor the copy.
  const std::string free = WriteTestFile(
      "free.yaml", Policy("{keep: 3 months, action: detach, dropDetachedAfter: 3 months}"));
  RunResult again = RunPgpart({"apply", "-f", free, "--dsn", db.dsn(), "--at", kLater,
                               "--auto-approve"});
  EXPECT_NE(again.exit_code, 1) << Describe(again);
  EXPECT_FALSE(Exists(db, "public.ev_y2026m03")) << Describe(again);
  EXPECT_FALSE(Exists(db, "public.ev_y2026m04")) << Describe(again);
  EXPECT_EQ(db.Scalar("SELECT note FROM public.ev_y2026m01"), "mine");
  EXPECT_EQ(db.Count("SELECT count(*) FROM public.ev_y2026m02"), 10);
}

}  // namespace
}  // namespace pgpart::apply_e2e
