// A saved plan (RenderJson) loads (PlanFromJson) only as it was written: its content_hash covers
// every member a reader could act on, and members are checked strictly.

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "golden_fixture.h"
#include "plan/planner.h"
#include "render/render.h"

namespace pgpart {
namespace {

using Json = nlohmann::ordered_json;
using ::pgpart::testing::RichPlan;

// Calls `visit` with every leaf (string, number, boolean, null) of `j` and its JSON pointer.
void ForEachLeaf(Json& j, const std::string& path,
                 const std::function<void(Json&, const std::string&)>& visit) {
  if (j.is_object()) {
    for (auto& [key, value] : j.items()) ForEachLeaf(value, path + "/" + key, visit);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) ForEachLeaf(j[i], path + "/" + std::to_string(i), visit);
  } else {
    visit(j, path);
  }
}

// Another value of the same kind (so that most edits still parse and only the hash can refuse).
Json Changed(const Json& v) {
  if (v.is_string()) return v.get<std::string>() + "x";
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() + 1;
  return "x";
}

TEST(SavedPlanJson, EveryMemberIsCoveredByTheContentHash) {
  Plan plan = RichPlan();
  plan.policy_sources.push_back(PolicySource{"policies/a.yaml", "kind: PartitionPolicy\n"});
  plan.is_diff = true;  // removed_steps are covered too
  plan.removed_steps.push_back(plan.steps.back());
  const std::string text = RenderJson(plan);
  Plan back;
  std::string error;
  ASSERT_TRUE(PlanFromJson(text, &back, &error)) << error;
  // Whitespace is not content.
  ASSERT_TRUE(PlanFromJson(Json::parse(text).dump(), &back, &error)) << error;

  Json original = Json::parse(text);
  std::vector<std::string> paths;
  ForEachLeaf(original, "", [&](Json&, const std::string& path) { paths.push_back(path); });
  ASSERT_GT(paths.size(), 300u);
  int refused_by_hash = 0;
  for (const std::string& path : paths) {
    if (path == "/generated_at") continue;  // informational: when, by the wall clock
    Json edited = Json::parse(text);
    Json& leaf = edited.at(Json::json_pointer(path));
    leaf = Changed(leaf);
    Plan out;
    std::string why;
    EXPECT_FALSE(PlanFromJson(edited.dump(2), &out, &why)) << "editing " << path << " went unseen";
    if (why.find("content hash mismatch") != std::string::npos) ++refused_by_hash;
  }
  EXPECT_GT(refused_by_hash, 250);
  // An added member (a step a later version would act on, say) is content too.
  Json added = Json::parse(text);
  added["steps_extra"] = Json::array();
  EXPECT_FALSE(PlanFromJson(added.dump(2), &back, &error));
  EXPECT_NE(error.find("content hash mismatch"), std::string::npos) << error;
  // generated_at is not covered.
  Json when = Json::parse(text);
  when["generated_at"] = "2030-01-01T00:00:00Z";
  EXPECT_TRUE(PlanFromJson(when.dump(2), &back, &error)) << error;
}

TEST(SavedPlanJson, APlanWithoutContentHashIsRefused) {
  Json j = Json::parse(RenderJson(RichPlan()));
  j.erase("content_hash");
  Plan plan;
  std::string error;
  EXPECT_FALSE(PlanFromJson(j.dump(2), &plan, &error));
  EXPECT_NE(error.find("no content_hash"), std::string::npos) << error;
}

// Even with a matching hash (anyone can recompute one), the clock must be a clock.
TEST(SavedPlanJson, AtMustBeAnInstantAsPgpartWritesIt) {
  for (const char* at : {"garbage", "", "2026-11-21", "2026-11-21T12:00:00+01:00",
                         "2026-11-21 12:00:00Z", "2026-13-01T00:00:00Z"}) {
    SCOPED_TRACE(at);
    Plan plan = RichPlan();
    plan.at = at;
    Plan back;
    std::string error;
    EXPECT_FALSE(PlanFromJson(RenderJson(plan), &back, &error));
    EXPECT_NE(error.find("at: '" + std::string(at) + "' is not a UTC instant"),
              std::string::npos)
        << error;
  }
  Plan plan = RichPlan();
  plan.at = "2026-11-21T12:00:00.25Z";
  Plan back;
  std::string error;
  EXPECT_TRUE(PlanFromJson(RenderJson(plan), &back, &error)) << error;
}

TEST(SavedPlanJson, TheDatabaseIdentityRoundTripsAndNothingElseOfTheConnection) {
  const Plan plan = RichPlan();
  const Json j = Json::parse(RenderJson(plan));
  EXPECT_EQ(j.at("database"), (Json{{"name", "app"},
                                    {"oid", 16384},
                                    {"system_identifier", "7300000000000000001"}}));
  Plan back;
  std::string error;
  ASSERT_TRUE(PlanFromJson(j.dump(2), &back, &error)) << error;
  EXPECT_EQ(back.database, plan.database);
}

TEST(SavedPlanJson, AnUnknownDiagnosticSeverityIsRefused) {
  Plan plan = RichPlan();
  plan.diagnostics.push_back(Diagnostic{Severity::kError, {}, "spec", "boom"});
  Json j = Json::parse(RenderJson(plan));
  j["diagnostics"].back()["severity"] = "ERROR";
  j["content_hash"] = Sha256Hex([&] {
    Json c = j;
    c.erase("generated_at");
    c.erase("content_hash");
    return c.dump();
  }());
  Plan back;
  std::string error;
  EXPECT_FALSE(PlanFromJson(j.dump(2), &back, &error));
  EXPECT_NE(error.find("severity"), std::string::npos) << error;
}

}  // namespace
}  // namespace pgpart
