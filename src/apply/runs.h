#pragma once
// One pgpart.history row per table and `pgpart apply` run (action "apply", partition = the table
// itself, no statements): when maintenance last ran for the table and how it ended, so that
// `status --serve` can export pgpart_last_apply_timestamp_seconds / pgpart_last_apply_success and
// "maintenance not run" alerts work for cron jobs and systemd timers.

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "apply/audit.h"
#include "apply/executor.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pgpart {

// The action run rows carry (no step has it).
inline constexpr char kApplyRunAction[] = "apply";

// The run row of every table the policies name: outcome "applied" when every step of the table
// that this run was to apply is applied, already done or held (the selected part converged),
// "blocked" when some step was blocked or skipped, "failed" when one failed or the table could
// not be planned (or the run ended in an error). `error` summarises the counts and the first
// problem; rows counts the steps applied. A run narrowed by --only (plan.only) says so and
// ignores the steps left out.
std::vector<AuditRecord> ApplyRunRecords(const Plan& plan, const ApplyReport& report,
                                         const std::vector<Policy>& policies,
                                         const std::string& actor);

// They are written with InsertAuditRecords (apply/audit.h).

}  // namespace pgpart
