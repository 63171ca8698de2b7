#pragma once
// `plan --only` / `apply --only KIND[,KIND]`: a plan narrowed to some kinds of steps, for cron jobs
// and systemd timers that premake often and retire rarely. Pure.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace pgpart {

// premake: create steps (premake and backfill periods, hash remainders) and the default
// partition; retention: detach, finalize_detach, archive and drop (recovery steps included);
// drain: drain_default together with the create it completes (a period whose rows wait in the
// default partition: created, filled and attached as one unit, which moves rows).
enum class StepKind { kPremake, kRetention, kDrain };

std::string StepKindName(StepKind kind);  // "premake", "retention", "drain"
std::optional<StepKind> StepKindFromName(const std::string& name);

// The kind of each step of `steps`, in order (a create directly followed by the drain_default of
// the same partition is a drain, like its drain).
std::vector<StepKind> KindsOf(const std::vector<Step>& steps);

// Parses --only values: each a kind or a comma-separated list of kinds. False (with *error) on an
// unknown or empty kind.
bool ParseStepKinds(const std::vector<std::string>& values, std::set<StepKind>* kinds,
                    std::string* error);

// Keeps the steps of `kinds` in plan->steps and moves the others to plan->left_out (in order);
// sets plan->only to the kinds' names and recomputes plan->summary over the kept steps. An empty
// `kinds` keeps everything and changes nothing.
void SelectStepKinds(Plan* plan, const std::set<StepKind>& kinds);

}  // namespace pgpart
