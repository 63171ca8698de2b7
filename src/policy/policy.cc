#include "policy/policy.h"

namespace pgpart {

namespace {

// "spec.holds[0].until" -> "spec.holds[0]" -> "spec.holds" -> "spec" -> "".
std::string ParentPath(const std::string& path) {
  size_t cut = path.find_last_of(".[");
  return cut == std::string::npos ? std::string() : path.substr(0, cut);
}

}  // namespace

SourceLocation Policy::LocationOf(const std::string& yaml_path) const {
  for (std::string path = yaml_path; !path.empty(); path = ParentPath(path)) {
    for (const auto& [recorded, location] : field_locations) {
      if (recorded == path) return location;
    }
  }
  return location;
}

std::string Policy::NameTemplate() const {
  if (naming) return *naming;
  if (strategy == Strategy::kHash) return DefaultNameTemplate(Unit::kMonth, /*hash=*/true);
  return DefaultNameTemplate(interval ? interval->unit : Unit::kMonth, /*hash=*/false);
}

std::string StrategyName(Strategy strategy) {
  return strategy == Strategy::kHash ? "hash" : "range";
}

std::string RetentionActionName(RetentionAction action) {
  switch (action) {
    case RetentionAction::kDrop:
      return "drop";
    case RetentionAction::kDetach:
      return "detach";
    case RetentionAction::kArchive:
      return "archive";
  }
  return "drop";
}

std::string GateKindName(GateKind kind) {
  switch (kind) {
    case GateKind::kSql:
      return "sql";
    case GateKind::kArchiver:
      return "archiver";
    case GateKind::kPgBackRest:
      return "pgbackrest";
    case GateKind::kCommand:
      return "command";
  }
  return "sql";
}

std::string ModeName(Mode mode) { return mode == Mode::kDryRun ? "DryRun" : "Apply"; }

}  // namespace pgpart
