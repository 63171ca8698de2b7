// Saved plans (`plan -o`, `apply --plan`), --dry-run, and the confirmation rule: apply executes
// exactly what was reviewed, refuses a plan the catalog no longer matches, and changes nothing when
// it must not.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "apply_fixture.h"
#include "scenario_fixture.h"

namespace pgpart::apply_e2e {
namespace {

const std::vector<std::string> kPublic{"public"};

// Saves the plan of MixedPolicies() for `db` at kAt; returns its path.
std::string SavePlan(const ScratchDatabase& db, const std::string& policy) {
  const std::string path = TestDir() + "/plan.json";
  RunResult r = RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", kAt, "-o", path});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("Saved the plan to"), std::string::npos) << r.out;
  return path;
}

TEST(SavedPlan, AppliesExactlyTheReviewedSteps) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const std::string plan_file = SavePlan(db, policy);

  std::vector<std::string> reviewed;
  const auto saved = nlohmann::json::parse(ReadFile(plan_file));
  for (const auto& s : saved.at("steps")) {
    ASSERT_EQ(s.at("status"), "planned") << s.dump();
    reviewed.push_back(s.at("action").get<std::string>() + " " +
                       s.at("partition").get<std::string>());
  }
  std::sort(reviewed.begin(), reviewed.end());
  ASSERT_EQ(reviewed.size(), 11u);

  // New rows in a kept partition change no structure: the plan is not stale.
  db.Exec(
      "INSERT INTO public.metrics SELECT 900000 + g, timestamptz '2026-11-20Z' + g * interval "
      "'1 minute', 1 FROM generate_series(1, 50) g");

  RunResult r = RunPgpart({"apply", "--plan", plan_file, "--dsn", db.dsn(), "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  std::vector<std::string> done;
  for (const auto& row : db.Query("SELECT action || ' ' || partition FROM pgpart.history WHERE "
                                  "outcome = 'applied' ORDER BY 1")) {
    done.push_back(row[0]);
  }
  EXPECT_EQ(done, reviewed);
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 0) << Describe(plan);

  // Applying the same saved plan again: the catalog changed (by the plan itself), so it is stale.
  RunResult again = RunPgpart({"apply", "--plan", plan_file, "--dsn", db.dsn(), "--auto-approve"});
  EXPECT_EQ(again.exit_code, 1) << Describe(again);
  EXPECT_EQ(db.History().size(), reviewed.size());
}

TEST(SavedPlan, StalePlanIsRefusedAndChangesNothing) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const std::string plan_file = SavePlan(db, policy);

  // Someone creates one of the planned partitions by hand.
  db.Exec(
      "CREATE TABLE public.metrics_y2026m12 PARTITION OF public.metrics FOR VALUES FROM "
      "('2026-12-01 00:00+00') TO ('2027-01-01 00:00+00')");
  const auto before = db.TableLines(kPublic);

  RunResult r = RunPgpart({"apply", "--plan", plan_file, "--dsn", db.dsn(), "--auto-approve"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.err.find("stale"), std::string::npos) << Describe(r);
  // It says what changed.
  EXPECT_NE(r.err.find("metrics_y2026m12"), std::string::npos) << Describe(r);
  EXPECT_EQ(db.TableLines(kPublic), before);
  EXPECT_EQ(db.History(), std::vector<std::string>{});

  // A saved plan is applied as reviewed: execution knobs cannot change it.
  RunResult knobs = RunPgpart(
      {"apply", "--plan", plan_file, "--dsn", db.dsn(), "--auto-approve", "--max-drops", "9"});
  EXPECT_EQ(knobs.exit_code, 1) << Describe(knobs);
  EXPECT_EQ(db.TableLines(kPublic), before);
}

TEST(DryRun, ShowsThePlanAndChangesNothing) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const auto before = db.TableLines(kPublic);

  auto args = ApplyArgs(policy, db.dsn());
  args.push_back("--dry-run");
  RunResult r = RunPgpart(args);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("Dry run: nothing was changed."), std::string::npos) << r.out;
  // The same plan text as `pgpart plan` shows.
  RunResult plan = RunPgpart({"plan", "-f", policy, "--dsn", db.dsn(), "--at", kAt});
  ASSERT_EQ(plan.exit_code, 0) << Describe(plan);
  EXPECT_EQ(r.out.substr(0, plan.out.size()), plan.out);
  EXPECT_EQ(db.TableLines(kPublic), before);
  EXPECT_EQ(db.Scalar("SELECT to_regnamespace('pgpart')::text"), "")
      << "a dry run created the audit schema";

  // A saved plan, dry-run: nothing either.
  const std::string plan_file = SavePlan(db, policy);
  RunResult saved = RunPgpart({"apply", "--plan", plan_file, "--dsn", db.dsn(), "--dry-run"});
  EXPECT_EQ(saved.exit_code, 0) << Describe(saved);
  EXPECT_EQ(db.TableLines(kPublic), before);
}

TEST(Confirmation, WithoutATerminalAndWithoutAutoApproveNothingIsApplied) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const auto before = db.TableLines(kPublic);

  // Standard input is /dev/null: not a terminal.
  RunResult r = RunPgpart({"apply", "-f", policy, "--dsn", db.dsn(), "--at", kAt});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.err.find("--auto-approve"), std::string::npos) << Describe(r);
  EXPECT_EQ(db.TableLines(kPublic), before);
  EXPECT_EQ(db.History(), std::vector<std::string>{});

  const std::string plan_file = SavePlan(db, policy);
  RunResult saved = RunPgpart({"apply", "--plan", plan_file, "--dsn", db.dsn()});
  EXPECT_EQ(saved.exit_code, 1) << Describe(saved);
  EXPECT_EQ(db.TableLines(kPublic), before);
}

TEST(NoAudit, AppliesWithoutCreatingTheAuditTable) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  auto args = ApplyArgs(policy, db.dsn());
  args.push_back("--no-audit");
  RunResult r = RunPgpart(args);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(db.Scalar("SELECT to_regnamespace('pgpart')::text"), "");
  RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
  EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
}

}  // namespace
}  // namespace pgpart::apply_e2e
