#pragma once
// The operator's Prometheus metrics (issue 6), rendered in the text exposition format 0.0.4 so
// that `promtool check metrics` passes. The policy label is "<namespace>/<name>" (unique across
// the namespaces one operator watches). Thread-safe: reconcilers update, scrapes render.
//
//   pgpart_steps_applied_total{policy, action}        counter
//   pgpart_reconcile_total{policy, result}            counter
//                                                       (result: success|blocked|error|suspended)
//   pgpart_reconcile_duration_seconds{policy}         histogram
//   pgpart_last_success_timestamp_seconds{policy}     gauge
//   the status gauges of RenderStatusPrometheus (pgpart_partitions, pgpart_future_buffer_periods,
//   ...), labelled {policy, table}, from the latest status of each policy
//   pgpart_operator_leader                            gauge 1/0
//   pgpart_operator_policies                          gauge: policies known

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "plan/status.h"

namespace pgpart::op {

// Upper bounds of the reconcile-duration histogram buckets, in seconds (+Inf is implicit).
inline const std::vector<double> kReconcileBuckets = {0.05, 0.1, 0.25, 0.5, 1,  2.5,
                                                      5,    10,  30,   60,  120, 300};

class Metrics {
 public:
  void StepApplied(const std::string& policy, const std::string& action);
  // One reconcile finished with `result` after `seconds`.
  void Reconciled(const std::string& policy, const std::string& result, double seconds);
  // The wall clock (Unix seconds) of the policy's latest successful reconcile.
  void Succeeded(const std::string& policy, double unix_seconds);
  // The policy's latest status (its tables' gauges); `status.tables[*].policy` is replaced by
  // `policy` when rendered.
  void SetStatus(const std::string& policy, const Status& status);
  // The policy is gone: its gauges (status, last success) disappear; its counters stay until the
  // process restarts, as Prometheus counters should.
  void Forget(const std::string& policy);
  void SetLeader(bool leader);
  void SetPolicies(int count);

  // The whole exposition; families in a fixed order, series sorted by labels.
  std::string Render() const;

 private:
  struct Histogram {
    std::vector<long long> counts;  // per bucket (cumulative when rendered)
    long long count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, long long> steps_;      // (policy, action)
  std::map<std::pair<std::string, std::string>, long long> reconciles_; // (policy, result)
  std::map<std::string, Histogram> durations_;
  std::map<std::string, double> last_success_;
  std::map<std::string, Status> statuses_;
  bool leader_ = false;
  int policies_ = 0;
};

}  // namespace pgpart::op
