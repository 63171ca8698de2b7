// Failures must be visible (issue 10, item 9), end to end with the built binary on the sandbox:
// a drop a backup gate blocked shows in `status` (text, JSON, Prometheus), in a snapshot and in
// `report`; retention due for longer than the grace is a warning; `plan --check-gates` and
// `apply --dry-run --check-gates` say what each gate says now. Monitoring never runs a gate.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

namespace fs = std::filesystem;

// Daily partitions 2026-11-17 .. 2026-11-24. At kAt (2026-11-21T12:00Z), kept 3 days, the one of
// 2026-11-17 is due since 2026-11-21T00:00Z (12 h: within the default grace of 1 day) and the
// buffer is 3 days: healthy but for what the gate does.
constexpr char kPartition[] = "readings_y2026m11d17";

std::string PolicyWithGate(const std::string& gate) {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: readings}\n"
         "spec:\n  tables: [public.readings]\n  interval: 1 day\n  premake: 2\n"
         "  retention: {keep: 3 days}\n" +
         gate;
}

class E2eVisibleFailuresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Exec(R"SQL(
      CREATE TABLE readings (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
      DO $$
      DECLARE d date := '2026-11-17';
      BEGIN
        WHILE d < '2026-11-25' LOOP
          EXECUTE format('CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
                         'readings_y' || to_char(d, 'YYYY') || 'm' || to_char(d, 'MM') || 'd' ||
                         to_char(d, 'DD'), d::timestamptz, (d + 1)::timestamptz);
          d := d + 1;
        END LOOP;
      END $$;
      INSERT INTO readings VALUES ('2026-11-17 10:00Z', 1);
    )SQL");
    dir_ = TestDir();
    marker_ = dir_ + "/gate-ran";
    policy_ = dir_ + "/readings.yaml";
    // A command gate that leaves a mark each time it runs and refuses.
    WriteFile(policy_,
              PolicyWithGate("  backupGate:\n    kind: command\n    command: [/bin/sh, -c, 'touch " +
                             marker_ +
                             "; echo \"no backup yet for $PGPART_PARTITION\" >&2; exit 1']\n"));
  }

  RunResult Pgpart(std::vector<std::string> args, const std::string& dsn = "") {
    args.insert(args.begin() + 1, {"-f", policy_, "--dsn", dsn.empty() ? db_.dsn() : dsn});
    return RunPgpart(args);
  }
  RunResult Status(const std::string& format, const std::string& at = kAt) {
    return Pgpart({"status", "--at", at, "--format", format});
  }
  RunResult ApplyBlocked() {
    RunResult r = Pgpart({"apply", "--at", kAt, "--auto-approve"});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;  // finished with a blocked step
    EXPECT_TRUE(fs::exists(marker_)) << "apply checks the gate";
    fs::remove(marker_);
    return r;
  }
  bool PartitionExists() {
    return db_.Scalar(std::string("SELECT to_regclass('public.") + kPartition + "') IS NOT NULL") ==
           "t";
  }

  ScratchDatabase db_;
  std::string dir_, marker_, policy_;
  const std::string kSeries = R"({policy="readings",table="public.readings"})";
};

TEST_F(E2eVisibleFailuresTest, ADropTheGateBlockedIsVisibleEverywhere) {
  RunResult before = Status("json");
  ASSERT_EQ(before.exit_code, 0) << before.out << before.err;
  nlohmann::json b = nlohmann::json::parse(before.out);
  EXPECT_EQ(b["history"], "read");  // no pgpart.history yet: read as empty
  EXPECT_TRUE(b["tables"][0]["blocked"].empty());

  ApplyBlocked();
  ASSERT_TRUE(PartitionExists());

  // The text names the step, the gate's message and when the apply recorded it.
  RunResult text = Status("text");
  EXPECT_EQ(text.exit_code, 2) << text.out << text.err;
  const std::string line = std::string("  blocked: drop ") + kPartition + ": backup gate: ";
  EXPECT_NE(text.out.find(line), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(std::string("no backup yet for ") + kPartition), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find(": blocked)\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("! 1 blocked step(s)"), std::string::npos) << text.out;

  RunResult json = Status("json");
  EXPECT_EQ(json.exit_code, 2) << json.err;
  nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["health"], "warning");
  ASSERT_EQ(j["tables"][0]["blocked"].size(), 1u) << json.out;
  EXPECT_NE(j["tables"][0]["blocked"][0].get<std::string>().find("no backup yet"),
            std::string::npos);

  RunResult prom = Status("prometheus");
  EXPECT_EQ(prom.exit_code, 2) << prom.err;
  EXPECT_NE(prom.out.find("pgpart_blocked_steps" + kSeries + " 1\n"), std::string::npos)
      << prom.out;
  EXPECT_NE(prom.out.find("pgpart_retention_overdue_partitions" + kSeries + " 0\n"),
            std::string::npos)
      << prom.out;

  // The report: amber, not green, with the gate's message.
  const std::string html = dir_ + "/report.html";
  RunResult report = Pgpart({"report", "--at", kAt, "-o", html});
  ASSERT_EQ(report.exit_code, 0) << report.out << report.err;
  const std::string page = ReadFile(html);
  EXPECT_NE(page.find("class=\"health health-warning\" id=\"overall-health\""), std::string::npos)
      << page;
  EXPECT_EQ(page.find("class=\"health health-ok\""), std::string::npos) << page;
  EXPECT_NE(page.find(std::string("<ul class=\"blocked\">\n<li>drop ") + kPartition +
                      ": backup gate: "),
            std::string::npos)
      << page;

  // A snapshot carries the history: a status from it says the same.
  const std::string snapshot = dir_ + "/snapshot.json";
  RunResult snap = Pgpart({"snapshot", "-o", snapshot});
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  RunResult offline = RunPgpart({"status", "-f", policy_, "--catalog", snapshot, "--at", kAt});
  EXPECT_EQ(offline.exit_code, 2) << offline.out << offline.err;
  EXPECT_NE(offline.out.find(line), std::string::npos) << offline.out;

  // None of status, report or snapshot ran the gate.
  EXPECT_FALSE(fs::exists(marker_)) << "monitoring ran the backup gate";

  // Once the gate passes and the drop is done, it is healthy again.
  WriteFile(policy_, PolicyWithGate("  backupGate: {kind: command, command: [/bin/true]}\n"));
  RunResult applied = Pgpart({"apply", "--at", kAt, "--auto-approve"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_FALSE(PartitionExists());
  RunResult after = Status("prometheus");
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_NE(after.out.find("pgpart_blocked_steps" + kSeries + " 0\n"), std::string::npos);
}

TEST_F(E2eVisibleFailuresTest, RetentionDueLongerThanTheGraceIsAWarning) {
  WriteFile(policy_, PolicyWithGate(""));
  // A day and a half later: 2026-11-17 has been due for 30 h, 2026-11-18 for 6 h.
  const std::string later = "2026-11-22T06:00:00Z";
  RunResult text = Status("text", later);
  EXPECT_EQ(text.exit_code, 2) << text.out << text.err;
  EXPECT_NE(text.out.find(std::string("  retention overdue: drop ") + kPartition +
                          " (due since 2026-11-21T00:00:00Z)\n"),
            std::string::npos)
      << text.out;
  EXPECT_EQ(text.out.find("retention overdue: drop readings_y2026m11d18"), std::string::npos);
  RunResult prom = Status("prometheus", later);
  EXPECT_NE(prom.out.find("pgpart_retention_overdue_partitions" + kSeries + " 1\n"),
            std::string::npos)
      << prom.out;

  // Within the grace (12 h at kAt), or with a longer one: healthy.
  EXPECT_EQ(Status("text").exit_code, 0);
  RunResult relaxed = Pgpart({"status", "--at", later, "--retention-grace", "2d"});
  EXPECT_EQ(relaxed.exit_code, 0) << relaxed.out;
  RunResult strict = Pgpart({"status", "--at", kAt, "--retention-grace", "6h"});
  EXPECT_EQ(strict.exit_code, 2) << strict.out;
  RunResult bad = Pgpart({"status", "--at", kAt, "--retention-grace", "soon"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--retention-grace 'soon'"), std::string::npos) << bad.err;

  // The report marks the overdue partition and is not green.
  const std::string html = dir_ + "/report.html";
  ASSERT_EQ(Pgpart({"report", "--at", later, "-o", html}).exit_code, 0);
  const std::string page = ReadFile(html);
  EXPECT_NE(page.find("class=\"health health-warning\" id=\"overall-health\""), std::string::npos);
  // Due (before the cutoff) and overdue (past it by more than the grace).
  EXPECT_NE(page.find(std::string("<rect class=\"partition due overdue\" data-partition=\"") +
                      kPartition + "\""),
            std::string::npos)
      << page;
}

TEST_F(E2eVisibleFailuresTest, ARoleThatMayNotReadTheHistoryGetsAStatusAndAWarning) {
  ApplyBlocked();
  const std::string role = "pgpart_monitor_" + std::to_string(getpid());
  db_.Exec("DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role + " LOGIN");
  const std::string dsn = db_.dsn() + " user=" + role;
  RunResult text = Pgpart({"status", "--at", kAt}, dsn);
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;  // it cannot see the blocked drop...
  EXPECT_NE(text.out.find("may not read pgpart.history"), std::string::npos) << text.out;
  RunResult json = Pgpart({"status", "--at", kAt, "--format", "json"}, dsn);
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["history"], "unreadable");
  EXPECT_NE(json.err.find("warning: this role may not read pgpart.history"), std::string::npos)
      << json.err;
  // ...and sees it once granted.
  db_.Exec("GRANT USAGE ON SCHEMA pgpart TO " + role + "; GRANT SELECT ON pgpart.history TO " +
           role);
  EXPECT_EQ(Pgpart({"status", "--at", kAt}, dsn).exit_code, 2);
  db_.Exec("REVOKE ALL ON pgpart.history FROM " + role + "; REVOKE ALL ON SCHEMA pgpart FROM " +
           role + "; DROP ROLE " + role);
}

TEST_F(E2eVisibleFailuresTest, CheckGatesSaysWhatEachGateSaysNow) {
  RunResult plain = Pgpart({"plan", "--at", kAt});
  EXPECT_EQ(plain.out.find("gate currently"), std::string::npos) << plain.out;
  EXPECT_FALSE(fs::exists(marker_)) << "plan ran the gate without --check-gates";

  RunResult text = Pgpart({"plan", "--at", kAt, "--check-gates"});
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_TRUE(fs::exists(marker_));
  EXPECT_NE(text.out.find(std::string("      gate currently fails: /bin/sh exited with 1: "
                                      "no backup yet for ") +
                          kPartition + "\n"),
            std::string::npos)
      << text.out;

  RunResult json = Pgpart({"plan", "--at", kAt, "--check-gates", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json j = nlohmann::json::parse(json.out);
  int checked = 0;
  for (const auto& step : j["steps"]) {
    if (!step.contains("gate_check")) continue;
    ++checked;
    EXPECT_EQ(step["action"], "drop");
    EXPECT_EQ(step["gate_check"]["passed"], false);
    EXPECT_NE(step["gate_check"]["detail"].get<std::string>().find("no backup yet"),
              std::string::npos);
  }
  EXPECT_EQ(checked, 1) << json.out;

  RunResult dry = Pgpart({"apply", "--at", kAt, "--dry-run", "--check-gates"});
  EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("gate currently fails: /bin/sh exited with 1"), std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("Dry run: nothing was changed."), std::string::npos);
  EXPECT_TRUE(PartitionExists());
  EXPECT_EQ(db_.Scalar("SELECT to_regclass('pgpart.history') IS NULL"), "t")
      << "a dry run recorded history";

  // Only with --dry-run, only against a database.
  RunResult no_dry = Pgpart({"apply", "--at", kAt, "--auto-approve", "--check-gates"});
  EXPECT_NE(no_dry.exit_code, 0);
  EXPECT_NE(no_dry.err.find("--dry-run"), std::string::npos) << no_dry.err;
  EXPECT_TRUE(PartitionExists());
  const std::string snapshot = dir_ + "/snapshot.json";
  ASSERT_EQ(Pgpart({"snapshot", "-o", snapshot}).exit_code, 0);
  RunResult offline =
      RunPgpart({"plan", "-f", policy_, "--catalog", snapshot, "--at", kAt, "--check-gates"});
  EXPECT_EQ(offline.exit_code, 1);
  EXPECT_NE(offline.err.find("--check-gates"), std::string::npos) << offline.err;

  // A passing sql gate (read-only, with the partition's name) says so.
  WriteFile(policy_, PolicyWithGate("  backupGate: {kind: sql, query: \"select $1 = '" +
                                    std::string(kPartition) + "'\"}\n"));
  RunResult passes = Pgpart({"plan", "--at", kAt, "--check-gates"});
  EXPECT_EQ(passes.exit_code, 0) << passes.err;
  EXPECT_NE(passes.out.find("      gate currently passes: "), std::string::npos) << passes.out;
}

}  // namespace
}  // namespace pgpart::e2e
