// The PartitionPolicy status document.

#include "operator/status_patch.h"

#include <string>
#include <vector>

#include "plan/planner.h"

namespace pgpart::op {
namespace {

using nlohmann::json;

// One kstatus condition; keeps the previous lastTransitionTime while the status is unchanged.
json Condition(const json& previous, const std::string& type, bool value, const std::string& reason,
               const std::string& message, int64_t generation, const std::string& now) {
  const std::string status = value ? "True" : "False";
  std::string since = now;
  if (previous.is_object() && previous.contains("conditions") &&
      previous["conditions"].is_array()) {
    for (const json& c : previous["conditions"]) {
      if (c.value("type", "") == type && c.value("status", "") == status &&
          c.contains("lastTransitionTime")) {
        since = c.value("lastTransitionTime", now);
      }
    }
  }
  return json{{"type", type},       {"status", status},
              {"reason", reason},   {"message", message},
              {"lastTransitionTime", since}, {"observedGeneration", generation}};
}

// A copy without the fields that only say when (compared by SameStatus).
json WithoutTimes(json status) {
  if (!status.is_object()) return status;
  if (status.contains("conditions") && status["conditions"].is_array()) {
    for (json& c : status["conditions"]) c.erase("lastTransitionTime");
  }
  if (status.contains("plan") && status["plan"].is_object()) status["plan"].erase("generatedAt");
  return status;
}

}  // namespace

std::string PlanSummaryText(const PlanSummary& s) {
  std::vector<std::string> parts;
  auto add = [&](int n, const char* what) {
    if (n > 0) parts.push_back(std::to_string(n) + " " + what);
  };
  add(s.create, "to create");
  add(s.drain, "to drain");
  add(s.detach, "to detach");
  add(s.archive, "to archive");
  add(s.drop, "to drop");
  add(s.privileges, "to align with the parent's privileges");
  add(s.held, "held");
  add(s.blocked, "blocked");
  if (parts.empty()) return "nothing to do";
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

std::string PlanDigest(const Plan& plan) { return PlanHash(plan).substr(0, 16); }

json BuildStatus(const json& previous, const StatusInputs& in) {
  const Verdict& v = in.verdict;
  json status;
  status["observedGeneration"] = in.generation;
  status["conditions"] = json::array(
      {Condition(previous, "Ready", v.ready, v.reason, v.message, in.generation, in.now),
       Condition(previous, "Reconciling", v.reconciling, v.reason,
                 v.reconciling ? v.message : "", in.generation, in.now),
       Condition(previous, "Stalled", v.stalled, v.reason, v.stalled ? v.message : "",
                 in.generation, in.now)});
  if (in.plan != nullptr) {
    int pending = 0;
    for (const Step& s : in.plan->steps) pending += s.status == StepStatus::kPlanned ? 1 : 0;
    status["plan"] = {{"summary", PlanSummaryText(in.plan->summary)},
                      {"hash", PlanDigest(*in.plan)},
                      {"generatedAt", in.now},
                      {"pending", pending}};
    json blocked = json::array(), held = json::array();
    for (const Step& s : in.plan->steps) {
      if (s.status == StepStatus::kBlocked) {
        blocked.push_back({{"table", s.table.Text()},
                           {"partition", s.partition.name},
                           {"action", ActionName(s.action)},
                           {"reason", s.blocked_by}});
      }
    }
    if (in.status != nullptr) {
      for (const TableStatus& t : in.status->tables) {
        for (const HeldPartition& h : t.held) {
          held.push_back(
              {{"table", t.table.Text()}, {"partition", h.partition}, {"reason", h.held_by}});
        }
      }
    }
    status["blocked"] = blocked;
    status["held"] = held;
  }
  if (in.status != nullptr) {
    json partitions = json::array();
    std::string covered;  // the earliest over the tables
    for (const TableStatus& t : in.status->tables) {
      json p = {{"table", t.table.Text()}};
      if (t.exists) {
        p["count"] = t.partitions.count;
        p["oldest"] = t.partitions.oldest;
        p["newest"] = t.partitions.newest;
        p["coveredUntil"] = t.partitions.covered_until;
        p["defaultRows"] = t.partitions.default_rows;
        if (!t.partitions.covered_until.empty() &&
            (covered.empty() || t.partitions.covered_until < covered)) {
          covered = t.partitions.covered_until;
        }
      }
      partitions.push_back(p);
    }
    status["partitions"] = partitions;
    status["coveredUntil"] = covered.empty() ? json(nullptr) : json(covered);
  }
  if (in.last_applied) {
    status["lastApplied"] = {{"time", in.last_applied->time},
                             {"hash", in.last_applied->hash},
                             {"steps", in.last_applied->steps},
                             {"summary", in.last_applied->summary}};
  }
  return status;
}

bool SameStatus(const json& a, const json& b) {
  // Only the keys `a` (the new status) sets matter: the merge patch leaves the others alone.
  if (!a.is_object() || !b.is_object()) return false;
  json wa = WithoutTimes(a), wb = WithoutTimes(b);
  for (auto it = wa.begin(); it != wa.end(); ++it) {
    if (!wb.contains(it.key()) || wb[it.key()] != it.value()) {
      if (it.value().is_null() && !wb.contains(it.key())) continue;
      return false;
    }
  }
  return true;
}

}  // namespace pgpart::op
