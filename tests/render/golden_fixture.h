#pragma once
// Shared by the render tests (golden_fixture.cc).

#include <string>

#include "plan/plan.h"

namespace pgpart::testing {

// A plan exercising every renderer: holds, drains, hash, hostile names, maxDropsPerRun, drift.
Plan RichPlan();
// Path of tests/golden/<name>.
std::string Golden(const std::string& name);
// Compares `actual` with tests/golden/<name>; rewrites the file first when PGPART_UPDATE_GOLDEN
// is set.
void ExpectGolden(const std::string& name, const std::string& actual);

}  // namespace pgpart::testing
