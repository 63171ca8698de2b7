#include "apply/runs.h"

#include <algorithm>

#include "core/diagnostic.h"

namespace pgpart {
namespace {

const TableReport* FindTable(const Plan& plan, const std::string& policy,
                             const QualifiedName& table) {
  for (const TableReport& t : plan.tables) {
    if (t.policy == policy && t.table == table) return &t;
  }
  return nullptr;
}

}  // namespace

std::vector<AuditRecord> ApplyRunRecords(const Plan& plan, const ApplyReport& report,
                                         const std::vector<Policy>& policies,
                                         const std::string& actor) {
  std::string only;
  for (const std::string& kind : plan.only) only += (only.empty() ? "" : ",") + kind;
  const bool run_error = HasErrors(report.diagnostics);
  std::vector<AuditRecord> out;
  for (const Policy& p : policies) {
    for (const QualifiedName& name : p.tables) {
      auto same = [&](const AuditRecord& r) { return r.table == name; };
      if (std::any_of(out.begin(), out.end(), same)) continue;  // the first policy plans it
      AuditRecord r;
      r.actor = actor;
      r.policy = p.name;
      r.table = name;
      r.partition = name;
      r.action = kApplyRunAction;
      OutcomeCounts n;
      std::string first_problem;
      for (const StepReport& s : report.steps) {
        if (!(s.step.table == name) || !n.Add(s.outcome)) continue;
        if (first_problem.empty()) {
          first_problem = ActionName(s.step.action) + " " + s.step.partition.Sql() +
                          (s.detail.empty() ? "" : ": " + OneLine(s.detail));
        }
      }
      const TableReport* t = FindTable(plan, p.name, name);
      const bool not_planned =
          t == nullptr ||
          std::any_of(t->drift.begin(), t->drift.end(),
                      [](const std::string& d) { return d.rfind("not planned:", 0) == 0; });
      r.rows = n.applied;
      r.outcome = n.failed > 0 || not_planned || run_error ? "failed"
                  : n.blocked > 0                          ? "blocked"
                                                           : "applied";
      r.error = (only.empty() ? "" : "--only " + only + ": ") + std::to_string(n.applied) +
                " applied, " + std::to_string(n.already_done) + " already done, " +
                std::to_string(n.held) + " held, " + std::to_string(n.blocked) + " blocked, " +
                std::to_string(n.failed) + " failed";
      if (not_planned) {
        r.error += "; not planned: the plan has errors for this table";
      } else if (!first_problem.empty()) {
        r.error += "; " + first_problem;
      } else if (run_error) {
        for (const Diagnostic& d : report.diagnostics) {
          if (d.severity == Severity::kError) {
            r.error += "; " + OneLine(d.message);
            break;
          }
        }
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace pgpart
