#include "plan/select.h"

namespace pgpart {

std::string StepKindName(StepKind kind) {
  switch (kind) {
    case StepKind::kPremake:
      return "premake";
    case StepKind::kRetention:
      return "retention";
    case StepKind::kDrain:
      return "drain";
  }
  return "premake";
}

std::optional<StepKind> StepKindFromName(const std::string& name) {
  for (StepKind k : {StepKind::kPremake, StepKind::kRetention, StepKind::kDrain}) {
    if (StepKindName(k) == name) return k;
  }
  return std::nullopt;
}

std::vector<StepKind> KindsOf(const std::vector<Step>& steps) {
  std::vector<StepKind> kinds;
  kinds.reserve(steps.size());
  for (size_t i = 0; i < steps.size();) {
    // The executor runs a unit (plan.h UnitSize) as one: its steps are of one kind. A create and
    // its drain are a drain; with the retirement of that partition after them (the default's rows
    // of an expired period), a retention.
    const size_t unit = UnitSize(steps, i);
    StepKind kind = StepKind::kPremake;
    if (unit == 3) {
      kind = StepKind::kRetention;
    } else if (unit == 2) {
      kind = StepKind::kDrain;
    } else {
      switch (steps[i].action) {
        case Action::kCreate:
        case Action::kCreateDefault:
        case Action::kInheritPrivileges:
        // A conversion makes the table and its partitions: with the creates.
        case Action::kConvertPrepare:
        case Action::kConvertCopy:
        case Action::kConvertVerify:
        case Action::kConvertSwap:
          kind = StepKind::kPremake;
          break;
        case Action::kDrainDefault:
          kind = StepKind::kDrain;
          break;
        case Action::kDetach:
        case Action::kFinalizeDetach:
        case Action::kArchive:
        case Action::kDrop:
        case Action::kConvertDropOld:
          kind = StepKind::kRetention;
          break;
      }
    }
    kinds.insert(kinds.end(), unit, kind);
    i += unit;
  }
  return kinds;
}

bool ParseStepKinds(const std::vector<std::string>& values, std::set<StepKind>* kinds,
                    std::string* error) {
  for (const std::string& value : values) {
    size_t start = 0;
    while (true) {
      const size_t comma = value.find(',', start);
      const std::string name =
          value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      std::optional<StepKind> kind = StepKindFromName(name);
      if (!kind) {
        *error = "--only: '" + name + "' is not a kind of step (premake, retention, drain)";
        return false;
      }
      kinds->insert(*kind);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return true;
}

void SelectStepKinds(Plan* plan, const std::set<StepKind>& kinds) {
  if (kinds.empty()) return;
  const std::vector<StepKind> of = KindsOf(plan->steps);
  std::vector<Step> kept;
  for (size_t i = 0; i < plan->steps.size(); ++i) {
    (kinds.count(of[i]) ? kept : plan->left_out).push_back(std::move(plan->steps[i]));
  }
  plan->steps = std::move(kept);
  plan->only.clear();
  for (StepKind k : kinds) plan->only.push_back(StepKindName(k));
  plan->summary = Summarize(plan->steps);
}

}  // namespace pgpart
