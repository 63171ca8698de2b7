#pragma once
// The pull-request view of a plan: what changing the policies adds and removes (plan --base).

#include "plan/plan.h"

namespace pgpart {

// The effect of going from `base` to `head` (two plans of the same catalog at the same clock):
// a plan with is_diff set, `steps` = head's steps that base does not have, `removed_steps` = base's
// steps that head does not have (a step matches on action, table, partition, status and
// statements; duplicates are matched one for one), the summary counted over the added steps only,
// and the tables, clock, hashes, diagnostics and policy sources of `head`, plus a warning for each
// table base manages and head does not (a removed policy, a table taken out of one) or that moves
// to another policy. Pure.
Plan DiffPlans(const Plan& base, const Plan& head);

}  // namespace pgpart
