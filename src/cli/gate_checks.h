#pragma once
// `plan --check-gates` and `apply --dry-run --check-gates`: what each drop's backup gate says now,
// evaluated read-only, for the reviewer. Apply itself checks the gate again right before the drop.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "policy/policy.h"

namespace pgpart::cli {

// The --check-gates flag of `plan` and `apply`.
CLI::Option* AddCheckGatesFlag(CLI::App* cmd, bool* check_gates);

// Runs the backup gate of every planned drop of `plan` whose policy has one and records the result
// on the step (Step::gate_check). sql gates run in their own READ ONLY transaction, archiver and
// pgbackrest gates only read; a command gate runs its command, as apply would. Connects to `dsn`
// once (and reads the tables' key types there). False (after printing why) when it cannot connect
// or read; a gate that fails or errors is a result, not an error.
bool CheckPlanGates(const std::string& dsn, const std::vector<Policy>& policies, Plan* plan);

}  // namespace pgpart::cli
