#include "render/headline.h"

#include <vector>

#include "render/markdown_text.h"

namespace pgpart::render_internal {

std::string SummaryCounts(const PlanSummary& s) {
  std::vector<std::string> parts;
  auto add = [&](int n, const std::string& what) {
    if (n > 0) parts.push_back(std::to_string(n) + " " + what);
  };
  add(s.create, "to create");
  add(s.drain, "to drain");
  add(s.privileges, "to align with the parent's privileges");
  add(s.convert, "conversion steps");
  add(s.detach + s.archive, "to detach");
  add(s.drop, "to drop");
  add(s.held, "held");
  add(s.blocked, "blocked");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

std::string Headline(const Plan& plan) {
  const std::string counts = SummaryCounts(plan.summary);
  if (plan.is_diff) {
    if (plan.steps.empty() && plan.removed_steps.empty()) {
      return "No difference: the change leaves the plan as it was.";
    }
    return "This change adds " + (counts.empty() ? std::string("nothing") : counts) +
           " and takes away " + Plural(static_cast<int64_t>(plan.removed_steps.size()), "step") +
           ".";
  }
  std::string kinds;  // --only
  for (const std::string& k : plan.only) kinds += (kinds.empty() ? "" : ",") + k;
  std::string left_out;
  if (!plan.only.empty()) {
    left_out = " Left out by --only " + kinds + ": " +
               Plural(static_cast<int64_t>(plan.left_out.size()), "step") +
               " of other kinds, not applied.";
  }
  int64_t errors = 0;
  for (const Diagnostic& d : plan.diagnostics) errors += d.severity == Severity::kError;
  if (errors > 0) {
    // Tables it could not plan for (missing, unreadable, invalid policy): whatever else it found,
    // "no changes" would be a false all-clear.
    return "Plan incomplete: " + Plural(errors, "error") + "; " +
           (counts.empty() ? std::string("no changes") : counts) +
           " for the tables it could plan." + left_out;
  }
  if (!plan.HasChanges()) {
    std::string line = plan.only.empty()
                           ? "No changes. Partitions match the policies."
                           : "No changes in the steps selected by --only " + kinds + ".";
    if (plan.summary.held > 0) line += " (" + std::to_string(plan.summary.held) + " held)";
    return line + left_out;
  }
  return "Plan: " +
         (counts.empty() ? Plural(static_cast<int64_t>(plan.steps.size()), "step") : counts) +
         "." + left_out;
}

std::string DatabaseText(const Plan& plan) {
  if (plan.database.name.empty()) return "";
  return "of database \"" + plan.database.name + "\"";
}

}  // namespace pgpart::render_internal
