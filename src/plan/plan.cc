#include "plan/plan.h"

#include <array>
#include <utility>

namespace pgpart {
namespace {

template <typename E, size_t N>
std::optional<E> FromName(const std::array<std::pair<E, const char*>, N>& table,
                          const std::string& name) {
  for (const auto& [value, text] : table) {
    if (name == text) return value;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string ToName(const std::array<std::pair<E, const char*>, N>& table, E value) {
  for (const auto& [v, text] : table) {
    if (v == value) return text;
  }
  return "unknown";
}

constexpr std::array<std::pair<Action, const char*>, 13> kActions{{
    {Action::kCreate, "create"},
    {Action::kCreateDefault, "create_default"},
    {Action::kDrainDefault, "drain_default"},
    {Action::kDetach, "detach"},
    {Action::kFinalizeDetach, "finalize_detach"},
    {Action::kArchive, "archive"},
    {Action::kDrop, "drop"},
    {Action::kInheritPrivileges, "inherit_privileges"},
    {Action::kConvertPrepare, "convert_prepare"},
    {Action::kConvertCopy, "convert_copy"},
    {Action::kConvertVerify, "convert_verify"},
    {Action::kConvertSwap, "convert_swap"},
    {Action::kConvertDropOld, "convert_drop_old"},
}};
constexpr std::array<std::pair<Reason, const char*>, 7> kReasons{{
    {Reason::kPremake, "premake"},
    {Reason::kBackfill, "backfill"},
    {Reason::kRetention, "retention"},
    {Reason::kDefault, "default"},
    {Reason::kRecovery, "recovery"},
    {Reason::kDrift, "drift"},
    {Reason::kConvert, "convert"},
}};
constexpr std::array<std::pair<StepStatus, const char*>, 3> kStatuses{{
    {StepStatus::kPlanned, "planned"},
    {StepStatus::kHeld, "held"},
    {StepStatus::kBlocked, "blocked"},
}};
constexpr std::array<std::pair<Hazard, const char*>, 6> kHazards{{
    {Hazard::kDeletesData, "DELETES_DATA"},
    {Hazard::kDetachesData, "DETACHES_DATA"},
    {Hazard::kRewritesRows, "REWRITES_ROWS"},
    {Hazard::kAcquiresAccessExclusiveLock, "ACQUIRES_ACCESS_EXCLUSIVE_LOCK"},
    {Hazard::kNonTransactional, "NON_TRANSACTIONAL"},
    {Hazard::kBackupUnverified, "BACKUP_UNVERIFIED"},
}};

}  // namespace

std::string ActionName(Action a) { return ToName(kActions, a); }
std::string ReasonName(Reason r) { return ToName(kReasons, r); }
std::string StatusName(StepStatus s) { return ToName(kStatuses, s); }
std::string HazardName(Hazard h) { return ToName(kHazards, h); }
std::optional<Action> ActionFromName(const std::string& name) { return FromName(kActions, name); }
std::optional<Reason> ReasonFromName(const std::string& name) { return FromName(kReasons, name); }
std::optional<StepStatus> StatusFromName(const std::string& name) {
  return FromName(kStatuses, name);
}
std::optional<Hazard> HazardFromName(const std::string& name) { return FromName(kHazards, name); }

PlanSummary Summarize(const std::vector<Step>& steps) {
  PlanSummary summary;
  for (const Step& s : steps) {
    if (s.status == StepStatus::kHeld) {
      ++summary.held;
      continue;
    }
    if (s.status == StepStatus::kBlocked) {
      ++summary.blocked;
      continue;
    }
    switch (s.action) {
      case Action::kCreate:
      case Action::kCreateDefault:
        ++summary.create;
        break;
      case Action::kDrainDefault:
        ++summary.drain;
        break;
      case Action::kDetach:
      case Action::kFinalizeDetach:
        ++summary.detach;
        break;
      case Action::kArchive:
        ++summary.archive;
        break;
      case Action::kDrop:
        ++summary.drop;
        break;
      case Action::kInheritPrivileges:
        ++summary.privileges;
        break;
      case Action::kConvertPrepare:
      case Action::kConvertCopy:
      case Action::kConvertVerify:
      case Action::kConvertSwap:
      case Action::kConvertDropOld:
        ++summary.convert;
        break;
    }
  }
  return summary;
}

size_t UnitSize(const std::vector<Step>& steps, size_t i) {
  const Step& s = steps[i];
  auto same = [&](size_t k) {
    return k < steps.size() && steps[k].partition == s.partition && steps[k].table == s.table;
  };
  if (s.action != Action::kCreate || !same(i + 1) ||
      steps[i + 1].action != Action::kDrainDefault) {
    return 1;
  }
  if (!same(i + 2)) return 2;
  const Action retire = steps[i + 2].action;
  return retire == Action::kDrop || retire == Action::kDetach || retire == Action::kArchive ? 3
                                                                                           : 2;
}

bool Plan::HasChanges() const {
  for (const Step& step : steps) {
    if (step.status != StepStatus::kHeld) return true;
  }
  return false;
}

}  // namespace pgpart
