// Saved plans (`plan -o`, `apply --plan`), --dry-run, and the confirmation rule: apply executes
// exactly what was reviewed, refuses a plan the catalog no longer matches, and changes nothing when
// it must not.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
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
                                  "outcome = 'applied' AND action <> 'apply' ORDER BY 1")) {
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

// Edits `edit` makes to the saved plan's JSON, each of which must be refused before anything runs.
struct Tamper {
  const char* name;
  std::function<void(nlohmann::json&)> edit;
  const char* message;  // in stderr
};

// A saved plan is applied only as it was reviewed, and only to the database it was made for: an
// edited clock, an added step, an edited statement or a clock that is not a clock are refused, and
// nothing is changed.
TEST(SavedPlan, EditedPlansAreRefusedAndChangeNothing) {
  ScratchDatabase db;
  db.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const std::string plan_file = SavePlan(db, policy);
  const auto saved = nlohmann::json::parse(ReadFile(plan_file));
  const auto before = db.TableLines(kPublic);

  // The next month's drop of public.metrics, as an edited plan would add it: at a later clock
  // the fresh re-check plans exactly this step, so only the plan's integrity can refuse it.
  nlohmann::json added;
  for (const auto& s : saved.at("steps")) {
    if (s.at("partition") == "public.metrics_y2026m07") added = s;
  }
  ASSERT_FALSE(added.is_null());
  const std::string later = "2026-12-21T12:00:00Z";
  for (auto& st : added.at("statements")) {
    std::string sql = st.at("sql").get<std::string>();
    for (const auto& [from, to] :
         std::vector<std::pair<std::string, std::string>>{{"y2026m07", "y2026m08"},
                                                          {"2026-08-01", "2026-09-01"},
                                                          {"2026-07-01", "2026-08-01"}}) {
      for (size_t at = sql.find(from); at != std::string::npos; at = sql.find(from, at + 1)) {
        sql.replace(at, from.size(), to);
      }
    }
    st["sql"] = sql;
  }
  added["partition"] = "public.metrics_y2026m08";
  added["partition_name"] = "metrics_y2026m08";
  added["from"] = "2026-08-01T00:00:00Z";
  added["to"] = "2026-09-01T00:00:00Z";

  const std::vector<Tamper> tampers{
      {"edited at", [&](nlohmann::json& j) { j["at"] = later; }, "content hash mismatch"},
      {"added drop step",
       [&](nlohmann::json& j) {
         j["at"] = later;
         j["steps"].push_back(added);
       },
       "content hash mismatch"},
      {"edited statement",
       [](nlohmann::json& j) {
         for (auto& s : j["steps"]) {
           if (s["action"] != "create") continue;
           auto& sql = s["statements"][0]["sql"];
           sql = sql.get<std::string>() + " WITH (fillfactor = 10)";
           break;
         }
       },
       "content hash mismatch"},
      {"at garbage", [](nlohmann::json& j) { j["at"] = "garbage"; }, "'garbage'"},
  };
  for (const Tamper& t : tampers) {
    SCOPED_TRACE(t.name);
    nlohmann::json j = saved;
    t.edit(j);
    const std::string edited = WriteTestFile("edited.json", j.dump(2));
    RunResult r = RunPgpart({"apply", "--plan", edited, "--dsn", db.dsn(), "--auto-approve"});
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_NE(r.err.find(t.message), std::string::npos) << Describe(r);
    EXPECT_EQ(db.TableLines(kPublic), before);
    EXPECT_EQ(db.History(), std::vector<std::string>{});
  }
  // The plan as saved still applies.
  RunResult r = RunPgpart({"apply", "--plan", plan_file, "--dsn", db.dsn(), "--auto-approve"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
}

// A saved plan names the database it was made for (name, oid, system identifier); another one with
// the same structure (a staging copy, a second tenant) refuses it and says which is which.
TEST(SavedPlan, APlanForAnotherDatabaseIsRefused) {
  ScratchDatabase db("prod");
  ScratchDatabase other("other");
  db.Exec(MixedSql());
  other.Exec(MixedSql());
  const std::string policy = WriteTestFile("mixed.yaml", MixedPolicies());
  const std::string plan_file = SavePlan(db, policy);
  const auto saved = nlohmann::json::parse(ReadFile(plan_file));
  EXPECT_EQ(saved.at("database").at("name"), db.name());
  EXPECT_EQ(saved.at("database").at("oid").get<int64_t>(),
            db.Count("SELECT oid FROM pg_database WHERE datname = current_database()"));
  EXPECT_EQ(saved.at("database").at("system_identifier"),
            db.Scalar("SELECT system_identifier::text FROM pg_control_system()"));
  // No connection details: no host, port or user.
  EXPECT_EQ(saved.at("database").size(), 3u) << saved.at("database").dump();
  EXPECT_EQ(ReadFile(plan_file).find("127.0.0.1"), std::string::npos);
  const auto before = other.TableLines(kPublic);
  const int64_t rows = other.Count("SELECT count(*) FROM public.metrics");

  RunResult r = RunPgpart({"apply", "--plan", plan_file, "--dsn", other.dsn(), "--auto-approve"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.err.find("\"" + db.name() + "\""), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("\"" + other.name() + "\""), std::string::npos) << Describe(r);
  EXPECT_EQ(other.TableLines(kPublic), before);
  EXPECT_EQ(other.Count("SELECT count(*) FROM public.metrics"), rows);
  EXPECT_EQ(other.History(), std::vector<std::string>{});

  // A plan made offline from a snapshot of the database carries its identity and applies to it.
  const std::string snapshot = TestDir() + "/catalog.json";
  RunResult snap = RunPgpart({"snapshot", "--dsn", db.dsn(), "-f", policy, "-o", snapshot});
  ASSERT_EQ(snap.exit_code, 0) << Describe(snap);
  const std::string offline = TestDir() + "/offline.json";
  RunResult made =
      RunPgpart({"plan", "-f", policy, "--catalog", snapshot, "--at", kAt, "-o", offline});
  ASSERT_EQ(made.exit_code, 0) << Describe(made);
  RunResult refused =
      RunPgpart({"apply", "--plan", offline, "--dsn", other.dsn(), "--auto-approve"});
  EXPECT_EQ(refused.exit_code, 1) << Describe(refused);
  EXPECT_EQ(other.TableLines(kPublic), before);

  // A snapshot taken by an older pgpart records no identity: its plan cannot be applied.
  auto old_snapshot = nlohmann::json::parse(ReadFile(snapshot));
  old_snapshot.erase("database_oid");
  old_snapshot.erase("system_identifier");
  const std::string old_path = WriteTestFile("old-catalog.json", old_snapshot.dump(2));
  const std::string unbound = TestDir() + "/unbound.json";
  RunResult warned =
      RunPgpart({"plan", "-f", policy, "--catalog", old_path, "--at", kAt, "-o", unbound});
  ASSERT_EQ(warned.exit_code, 0) << Describe(warned);
  EXPECT_NE(warned.err.find("`apply --plan` will refuse this plan"), std::string::npos)
      << Describe(warned);
  RunResult unknown = RunPgpart({"apply", "--plan", unbound, "--dsn", db.dsn(), "--auto-approve"});
  EXPECT_EQ(unknown.exit_code, 1) << Describe(unknown);
  EXPECT_NE(unknown.err.find("does not record which database"), std::string::npos)
      << Describe(unknown);

  RunResult applied = RunPgpart({"apply", "--plan", offline, "--dsn", db.dsn(), "--auto-approve"});
  EXPECT_EQ(applied.exit_code, 0) << Describe(applied);
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
