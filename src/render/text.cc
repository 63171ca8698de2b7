// Terraform-like text rendering of a plan.

#include <sstream>

#include "core/utf8.h"
#include "render/headline.h"
#include "render/render.h"

namespace pgpart {
namespace {

struct Style {
  bool color;
  std::string Paint(const std::string& code, const std::string& text) const {
    return color ? "\x1b[" + code + "m" + text + "\x1b[0m" : text;
  }
};

// Terraform's symbols: + create, - drop, ~ detach/archive/drain, ! held/blocked.
std::string Symbol(const Step& s, const Style& st) {
  if (s.status != StepStatus::kPlanned) return st.Paint("33", "!");
  switch (s.action) {
    case Action::kCreate:
    case Action::kCreateDefault:
      return st.Paint("32", "+");
    case Action::kDrop:
    case Action::kConvertDropOld:
      return st.Paint("31", "-");
    default:
      return st.Paint("33", "~");
  }
}

// Every identifier, bound, reason and message: names can hold newlines and terminal escapes.
std::string E(const std::string& s) { return EscapeControls(s); }

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string Plural(int64_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// One step: symbol, action, partition, bounds, reason, rows; then held/blocked/hazard lines.
void StepLines(std::ostringstream& out, const Step& s, const Style& st, const std::string& prefix) {
  out << "  " << Symbol(s, st) << " " << prefix << Pad(ActionName(s.action), 15) << " "
      << E(s.partition.Sql());
  if (!s.from.empty()) out << "  [" << E(s.from) << ", " << E(s.to) << ")";
  out << "  " << ReasonName(s.reason);
  if (s.rows_estimate > 0) {
    out << ", " << (s.action == Action::kDrainDefault ? "" : "~") << Plural(s.rows_estimate, "row");
  }
  out << "\n";
  for (const std::string& d : s.details) out << "      " << E(d) << "\n";
  if (s.status == StepStatus::kHeld) out << "      held: " << E(s.held_by) << "\n";
  if (s.status == StepStatus::kBlocked) out << "      blocked: " << E(s.blocked_by) << "\n";
  if (s.gate_check) {
    out << "      " << (s.gate_check->passed ? st.Paint("32", "gate currently passes: ")
                                             : st.Paint("31", "gate currently fails: "))
        << E(s.gate_check->detail) << "\n";
  }
  if (!s.hazards.empty()) {
    out << "      hazards:";
    for (Hazard h : s.hazards) out << " " << HazardName(h);
    out << "\n";
  }
}

}  // namespace

std::string RenderText(const Plan& plan, const TextOptions& options) {
  Style st{options.color};
  std::ostringstream out;
  out << "pgpart plan at " << E(plan.at);
  if (const std::string db = render_internal::DatabaseText(plan); !db.empty()) out << " " << E(db);
  out << "\n";
  for (const Diagnostic& d : plan.diagnostics) {
    out << (d.severity == Severity::kError ? st.Paint("31", "Error: ")
                                           : st.Paint("33", "Warning: "))
        << E(d.Format()) << "\n";
  }
  for (const TableReport& t : plan.tables) {
    const PartitionSummary& p = t.partitions;
    out << "\n"
        << st.Paint("1", E(t.table.Sql())) << "  (policy " << E(t.policy) << ", key " << E(t.key)
        << ")\n";
    out << "  " << Plural(p.count, "partition");
    if (!p.oldest.empty()) out << " from " << E(p.oldest) << " to " << E(p.newest);
    if (!p.covered_until.empty()) out << ", covered until " << E(p.covered_until);
    if (p.has_default) out << ", default partition: " << Plural(p.default_rows, "row");
    out << "\n";
    bool any = false;
    for (const Step& s : plan.steps) {
      if (!(s.table == t.table)) continue;
      any = true;
      StepLines(out, s, st, "");
    }
    for (const Step& s : plan.removed_steps) {
      if (!(s.table == t.table)) continue;
      any = true;
      StepLines(out, s, st, "no longer: ");
    }
    for (const Step& s : plan.left_out) {  // --only: listed, not applied
      if (!(s.table == t.table)) continue;
      out << "  . left out: " << ActionName(s.action) << " " << E(s.partition.Sql()) << "\n";
    }
    if (!any) out << (plan.is_diff ? "  (no change from the base policies)\n" : "  (no changes)\n");
    if (!plan.is_diff) {  // a diff shows what the change does, not the drift both sides share
      for (const std::string& d : t.drift) out << "  drift: " << E(d) << "\n";
      for (const std::string& n : t.notes) out << "  note: " << E(n) << "\n";
    }
  }
  out << "\n";
  out << render_internal::Headline(plan) << "\n";
  return out.str();
}

}  // namespace pgpart
