#pragma once
// The plan's one-line verdict, worded once for every format (text, SQL, Markdown; JSON carries
// the same counts as numbers).

#include <string>

#include "plan/plan.h"

namespace pgpart::render_internal {

// "11 to create, 2 to drain, 2 to detach, 9 to drop, 1 held": the non-zero counts in one fixed
// order (create, drain, privileges, conversion, detach incl. archive, drop, held, blocked); ""
// when all are zero.
std::string SummaryCounts(const PlanSummary& s);

// "Plan: 11 to create, ...", "No changes. Partitions match the policies.", "Plan incomplete: 2
// errors ..." (a plan that could not look at every table never claims to match), the diff's
// "This change adds ..." and the --only notes. No trailing period or newline handling beyond the
// sentence itself.
std::string Headline(const Plan& plan);

// "of database "app"" or "" when the plan does not record one (an old snapshot).
std::string DatabaseText(const Plan& plan);

}  // namespace pgpart::render_internal
