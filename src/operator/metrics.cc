// The operator's Prometheus metrics. The status gauges come from RenderStatusPrometheus so that
// the operator and `pgpart status --format prometheus` / `--serve` expose the same families.

#include "operator/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "render/status_render.h"

namespace pgpart::op {
namespace {

std::string Family(const std::string& name, const std::string& type, const std::string& help) {
  return "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string PolicyLabel(const std::string& policy) {
  return "policy=\"" + EscapePrometheusLabel(policy) + "\"";
}

// Shortest round-trip form ("0.05", "1", "300"), as Prometheus client libraries write `le`.
std::string Number(double value) { return fmt::format("{}", value); }

}  // namespace

void Metrics::StepApplied(const std::string& policy, const std::string& action) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++steps_[{policy, action}];
}

void Metrics::Reconciled(const std::string& policy, const std::string& result, double seconds) {
  // A NaN or negative duration (a clock gone wrong) would poison _sum forever: count it as 0.
  if (!(seconds >= 0)) seconds = 0;
  std::lock_guard<std::mutex> lock(mutex_);
  ++reconciles_[{policy, result}];
  Histogram& h = durations_[policy];
  if (h.counts.empty()) h.counts.assign(kReconcileBuckets.size(), 0);
  // Stored per bucket (the first upper bound that holds it); above the last: only in +Inf.
  auto bucket = std::lower_bound(kReconcileBuckets.begin(), kReconcileBuckets.end(), seconds);
  if (bucket != kReconcileBuckets.end()) ++h.counts[bucket - kReconcileBuckets.begin()];
  ++h.count;
  h.sum += seconds;
}

void Metrics::Succeeded(const std::string& policy, double unix_seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_success_[policy] = unix_seconds;
}

void Metrics::SetStatus(const std::string& policy, const Status& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  statuses_[policy] = status;
}

void Metrics::Forget(const std::string& policy) {
  std::lock_guard<std::mutex> lock(mutex_);
  statuses_.erase(policy);
  last_success_.erase(policy);
}

void Metrics::SetLeader(bool leader) {
  std::lock_guard<std::mutex> lock(mutex_);
  leader_ = leader;
}

void Metrics::SetPolicies(int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  policies_ = count;
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mutex_);

  // One Status over every policy, rendered once: each status family appears once (a second
  // HELP/TYPE of the same family is invalid exposition). Series sorted by (policy, table); a
  // table listed twice would be a duplicate series, so only its first entry stays.
  Status merged;
  for (const auto& [policy, status] : statuses_) {
    for (TableStatus table : status.tables) {
      table.policy = policy;
      merged.tables.push_back(std::move(table));
    }
  }
  auto key = [](const TableStatus& t) { return std::tie(t.policy, t.table); };
  std::stable_sort(merged.tables.begin(), merged.tables.end(),
                   [&](const TableStatus& a, const TableStatus& b) { return key(a) < key(b); });
  merged.tables.erase(
      std::unique(merged.tables.begin(), merged.tables.end(),
                  [&](const TableStatus& a, const TableStatus& b) { return key(a) == key(b); }),
      merged.tables.end());
  std::string out = RenderStatusPrometheus(merged);

  out += Family("pgpart_steps_applied_total", "counter", "Plan steps applied, by action.");
  for (const auto& [labels, count] : steps_) {
    out += fmt::format("pgpart_steps_applied_total{{{},action=\"{}\"}} {}\n",
                       PolicyLabel(labels.first), EscapePrometheusLabel(labels.second), count);
  }

  out += Family("pgpart_reconcile_total", "counter",
                "Reconciles finished, by result (success, blocked, error, suspended).");
  for (const auto& [labels, count] : reconciles_) {
    out += fmt::format("pgpart_reconcile_total{{{},result=\"{}\"}} {}\n",
                       PolicyLabel(labels.first), EscapePrometheusLabel(labels.second), count);
  }

  out += Family("pgpart_reconcile_duration_seconds", "histogram",
                "How long reconciles took, in seconds.");
  for (const auto& [policy, h] : durations_) {
    const std::string labels = PolicyLabel(policy);
    long long cumulative = 0;
    for (size_t i = 0; i < kReconcileBuckets.size(); ++i) {
      cumulative += h.counts[i];
      out += fmt::format("pgpart_reconcile_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                         Number(kReconcileBuckets[i]), cumulative);
    }
    out += fmt::format("pgpart_reconcile_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels,
                       h.count);
    out += fmt::format("pgpart_reconcile_duration_seconds_sum{{{}}} {}\n", labels, Number(h.sum));
    out += fmt::format("pgpart_reconcile_duration_seconds_count{{{}}} {}\n", labels, h.count);
  }

  out += Family("pgpart_last_success_timestamp_seconds", "gauge",
                "Unix time of the policy's latest successful reconcile.");
  for (const auto& [policy, seconds] : last_success_) {
    out += fmt::format("pgpart_last_success_timestamp_seconds{{{}}} {:.3f}\n", PolicyLabel(policy),
                       seconds);
  }

  out += Family("pgpart_operator_leader", "gauge",
                "Whether this operator replica holds the leader lease (1) or not (0).");
  out += fmt::format("pgpart_operator_leader {}\n", leader_ ? 1 : 0);
  out += Family("pgpart_operator_policies", "gauge", "PartitionPolicies the operator knows.");
  out += fmt::format("pgpart_operator_policies {}\n", policies_);
  return out;
}

}  // namespace pgpart::op
