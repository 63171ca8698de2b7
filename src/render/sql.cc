// SQL script rendering: exactly the statements apply would run, for review.

#include <sstream>

#include "core/utf8.h"
#include "render/headline.h"
#include "render/render.h"

namespace pgpart {
namespace {

// One comment line: names, reasons and gate messages can hold newlines and terminal escapes.
std::string Comment(const std::string& text) { return "-- " + EscapeControls(text) + "\n"; }

// A statement that is shown but not run: EVERY line commented out (a quoted identifier can hold
// a newline, and the rest of the statement must not become live SQL).
std::string Commented(const std::string& prefix, const std::string& sql) {
  std::string out = prefix;
  for (char c : sql) {
    out += c;
    if (c == '\n') out += prefix;
  }
  return out;
}

void RenderStatements(std::ostringstream& out, const std::vector<const Step*>& group,
                      bool commented) {
  const std::string prefix = commented ? "-- " : "";
  bool in_tx = false;
  for (const Step* s : group) {
    for (const Statement& st : s->statements) {
      if (st.transactional && !in_tx) {
        out << prefix << "BEGIN;\n";
        out << prefix << "SET LOCAL lock_timeout = '" << st.lock_timeout_ms << "ms';\n";
        out << prefix << "SET LOCAL statement_timeout = '" << st.statement_timeout_ms << "ms';\n";
        in_tx = true;
      } else if (!st.transactional) {
        if (in_tx) out << prefix << "COMMIT;\n";
        in_tx = false;
        out << prefix << "-- runs outside a transaction block\n";
        out << prefix << "SET lock_timeout = '" << st.lock_timeout_ms << "ms';\n";
        out << prefix << "SET statement_timeout = '" << st.statement_timeout_ms << "ms';\n";
      }
      out << Commented(prefix, st.sql) << ";\n";
    }
  }
  if (in_tx) out << prefix << "COMMIT;\n";
}

}  // namespace

std::string RenderSql(const Plan& plan) {
  std::ostringstream out;
  out << "-- pgpart plan at " << plan.at;
  if (const std::string db = render_internal::DatabaseText(plan); !db.empty()) {
    out << " " << EscapeControls(db);
  }
  out << "\n";
  out << "-- catalog " << plan.catalog_hash << "\n-- policies " << plan.policy_hash << "\n";
  out << "-- " << render_internal::Headline(plan) << "\n";
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Step& step = plan.steps[i];
    // A create followed by the drain of the same partition (and its retirement, for the default
    // partition's rows of an expired period) is one transaction: one unit, as apply runs it.
    std::vector<const Step*> group;
    const size_t unit = UnitSize(plan.steps, i);
    for (size_t k = 0; k < unit; ++k) group.push_back(&plan.steps[i + k]);
    i += unit - 1;
    out << "\n";
    for (const Step* g : group) {
      std::string head = ActionName(g->action) + " " + g->partition.Sql() + " on " +
                         g->table.Sql() + " (policy " + g->policy + ", " + ReasonName(g->reason) +
                         ")";
      if (!g->from.empty()) head += " [" + g->from + ", " + g->to + ")";
      if (g->rows_estimate > 0) head += ", rows: " + std::to_string(g->rows_estimate);
      out << Comment(head);
      if (!g->hazards.empty()) {
        std::string hz = "hazards:";
        for (Hazard h : g->hazards) hz += " " + HazardName(h);
        out << Comment(hz);
      }
      if (g->status == StepStatus::kHeld) out << Comment("HELD, not run: " + g->held_by);
      if (g->status == StepStatus::kBlocked) out << Comment("BLOCKED, not run: " + g->blocked_by);
      if (g->gate_check) {
        out << Comment(std::string("gate currently ") +
                       (g->gate_check->passed ? "passes: " : "fails: ") + g->gate_check->detail);
      }
    }
    RenderStatements(out, group, step.status != StepStatus::kPlanned);
  }
  return out.str();
}

}  // namespace pgpart
