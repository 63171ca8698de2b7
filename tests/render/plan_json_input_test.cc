// A saved plan is input: numbers it holds are integers within int64, or the plan is refused
// with the member's path (converting 1e300 to int is undefined behaviour).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "golden_fixture.h"
#include "render/render.h"

namespace pgpart {
namespace {

std::string ErrorFor(const nlohmann::json& j) {
  Plan plan;
  std::string error;
  return PlanFromJson(j.dump(), &plan, &error) ? "" : error;
}

TEST(PlanJsonInput, NumbersThatAreNoInt64AreRefusedWithTheirPath) {
  const nlohmann::json valid = nlohmann::json::parse(RenderJson(testing::RichPlan()));
  ASSERT_EQ(ErrorFor(valid), "");
  nlohmann::json j = valid;
  j["format_version"] = 1e300;
  EXPECT_EQ(ErrorFor(j), "malformed plan JSON: format_version: expected an integer, got 1e+300");
  j = valid;
  j["summary"]["create"] = 2.5;
  EXPECT_EQ(ErrorFor(j), "malformed plan JSON: summary.create: expected an integer, got 2.5");
  j = valid;
  j["steps"][0]["rows_estimate"] = UINT64_MAX;
  EXPECT_EQ(ErrorFor(j),
            "malformed plan JSON: steps[0].rows_estimate: 18446744073709551615 is out of range "
            "(int64)");
}

}  // namespace
}  // namespace pgpart
