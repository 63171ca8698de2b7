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
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    switch (s.action) {
      case Action::kCreate: {
        // The executor runs a create and the drain after it as one unit (RunStep).
        const bool drained = i + 1 < steps.size() &&
                             steps[i + 1].action == Action::kDrainDefault &&
                             steps[i + 1].partition == s.partition;
        kinds.push_back(drained ? StepKind::kDrain : StepKind::kPremake);
        break;
      }
      case Action::kCreateDefault:
        kinds.push_back(StepKind::kPremake);
        break;
      case Action::kDrainDefault:
        kinds.push_back(StepKind::kDrain);
        break;
      case Action::kDetach:
      case Action::kFinalizeDetach:
      case Action::kArchive:
      case Action::kDrop:
        kinds.push_back(StepKind::kRetention);
        break;
    }
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
