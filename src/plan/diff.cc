#include "plan/diff.h"

#include <map>
#include <tuple>
#include <vector>

namespace pgpart {
namespace {

// What makes two steps "the same" for a reviewer: the same action on the same partition with the
// same status and the same SQL. Reasons, hazards, row estimates and hold texts follow from these.
struct StepKey {
  Action action;
  QualifiedName table;
  QualifiedName partition;
  StepStatus status;
  std::vector<std::tuple<std::string, bool, int64_t, int64_t>> statements;
  auto operator<=>(const StepKey&) const = default;
};

StepKey KeyOf(const Step& s) {
  StepKey k{s.action, s.table, s.partition, s.status, {}};
  for (const Statement& st : s.statements) {
    k.statements.emplace_back(st.sql, st.transactional, st.lock_timeout_ms,
                              st.statement_timeout_ms);
  }
  return k;
}

// Steps of `from` that `other` lacks, matched one for one, in `from`'s order.
std::vector<Step> Missing(const std::vector<Step>& from, const std::vector<Step>& other) {
  std::map<StepKey, int> available;
  for (const Step& s : other) ++available[KeyOf(s)];
  std::vector<Step> out;
  for (const Step& s : from) {
    auto it = available.find(KeyOf(s));
    if (it != available.end() && it->second > 0) {
      --it->second;
    } else {
      out.push_back(s);
    }
  }
  return out;
}

// Tables base manages that head does not (a policy removed, a table taken out of one) and tables
// moving between policies: warnings, since nothing premakes or retires their partitions any more.
void AddManagementChanges(const Plan& base, const Plan& head, Diagnostics* out) {
  std::map<QualifiedName, std::string> before, after;
  std::map<std::string, bool> head_policies;
  for (const TableReport& t : base.tables) before[t.table] = t.policy;
  for (const TableReport& t : head.tables) {
    after[t.table] = t.policy;
    head_policies[t.policy] = true;
  }
  for (const auto& [table, policy] : before) {
    auto now = after.find(table);
    std::string message;
    if (now == after.end()) {
      message = (head_policies.count(policy) ? "table " + table.Text() +
                                                   " is taken out of policy " + policy
                                             : "policy " + policy + " is removed") +
                ": pgpart stops managing " + table.Text() +
                " — no more partitions are made ahead for it and none is retired; its "
                "partitions stay as they are";
    } else if (now->second != policy) {
      message = "table " + table.Text() + " moves from policy " + policy + " to policy " +
                now->second;
    }
    if (!message.empty()) out->push_back(Diagnostic{Severity::kWarning, {}, "", message});
  }
}

}  // namespace

Plan DiffPlans(const Plan& base, const Plan& head) {
  Plan diff;
  diff.generated_at = head.generated_at;
  diff.at = head.at;
  diff.catalog_hash = head.catalog_hash;
  diff.policy_hash = head.policy_hash;
  diff.database = head.database;
  diff.tables = head.tables;
  diff.diagnostics = head.diagnostics;
  AddManagementChanges(base, head, &diff.diagnostics);
  diff.policy_sources = head.policy_sources;
  diff.is_diff = true;
  diff.steps = Missing(head.steps, base.steps);
  diff.removed_steps = Missing(base.steps, head.steps);
  diff.summary = Summarize(diff.steps);
  return diff;
}

}  // namespace pgpart
