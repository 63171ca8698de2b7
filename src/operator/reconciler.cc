// One reconcile: Secret → connection → catalog → plan → (apply → catalog → plan) → status.

#include "operator/reconciler.h"

#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "apply/audit.h"
#include "apply/executor.h"
#include "catalog/reader.h"
#include "core/calendar.h"
#include "operator/spec.h"
#include "operator/status_patch.h"
#include "plan/forecast.h"
#include "plan/planner.h"

namespace pgpart::op {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

std::string NowRfc3339() {
  using namespace std::chrono;
  const auto micros = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  return InstantText(micros / 1'000'000 * 1'000'000);
}

// Event reason and verb for an applied step.
std::pair<std::string, std::string> AppliedEvent(Action a) {
  switch (a) {
    case Action::kCreate:
      return {"PartitionCreated", "created"};
    case Action::kCreateDefault:
      return {"DefaultPartitionCreated", "created default partition"};
    case Action::kDrainDefault:
      return {"DefaultPartitionDrained", "moved rows from the default partition into"};
    case Action::kDetach:
      return {"PartitionDetached", "detached"};
    case Action::kFinalizeDetach:
      return {"DetachFinalized", "finalized the detach of"};
    case Action::kArchive:
      return {"PartitionArchived", "archived"};
    case Action::kDrop:
      return {"PartitionDropped", "dropped"};
    case Action::kInheritPrivileges:
      return {"PartitionPrivilegesAligned", "gave the parent's owner and grants to"};
    case Action::kConvertPrepare:
      return {"ConversionPrepared", "prepared the conversion into"};
    case Action::kConvertCopy:
      return {"ConversionCopied", "copied the rows of"};
    case Action::kConvertVerify:
      return {"ConversionVerified", "verified the copy into"};
    case Action::kConvertSwap:
      return {"ConversionSwapped", "swapped in the partitioned table"};
    case Action::kConvertDropOld:
      return {"ConvertedTableDropped", "dropped the old table"};
  }
  return {"StepApplied", "applied"};
}

std::string AppliedSummary(const ApplyReport& report) {
  std::map<Action, int> counts;
  for (const StepReport& r : report.steps) {
    if (r.outcome == StepOutcome::kApplied) ++counts[r.step.action];
  }
  std::string out;
  for (const auto& [action, n] : counts) {
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + AppliedEvent(action).second;
  }
  return out.empty() ? "nothing applied" : out;
}

// The planner cannot know what only the executor finds out (a backup gate failing, a lock not
// obtained): mark those steps of the fresh plan blocked, with the executor's reason, so the
// status says Blocked rather than Reconciled with a step still pending.
void CarryBlocked(const ApplyReport& report, Plan* plan) {
  for (const StepReport& r : report.steps) {
    if (r.outcome != StepOutcome::kBlocked) continue;
    for (Step& s : plan->steps) {
      if (s.status == StepStatus::kPlanned && s.action == r.step.action &&
          s.partition == r.step.partition) {
        s.status = StepStatus::kBlocked;
        s.blocked_by = r.detail;
      }
    }
  }
  plan->summary = Summarize(plan->steps);
}

}  // namespace

std::chrono::milliseconds NextWake(const std::vector<Policy>& policies, const Catalog& catalog,
                                   int64_t now_micros, std::chrono::milliseconds resync) {
  const int64_t resync_us = resync.count() * 1000;
  Forecast f = ComputeForecast(policies, catalog, now_micros, now_micros + resync_us);
  for (const ForecastEvent& e : f.events) {
    if (e.at_micros > now_micros) {
      // A second late, so the database's clock has surely passed the boundary.
      return std::min(resync, milliseconds((e.at_micros - now_micros) / 1000 + 1000));
    }
  }
  return resync;
}

// The state of one reconcile.
struct Reconciler::Run {
  Reconciler& r;
  const json& object;
  std::string key;
  int64_t generation = 0;
  json previous;  // status as last seen
  // The object's resourceVersion as of our last write: the precondition of the next status write
  // (the first write changes it; sending the one we read would make every second write a 409).
  std::string resource_version;
  ReconcileResult result;
  std::string secret_ns, secret_name;  // the Secret this reconcile read, if any

  void Log(const std::string& line) {
    if (r.options_.log) r.options_.log(key + ": " + line);
  }

  // Writes the status (merge patch on /status, retried on 409), unless it says nothing new.
  void Write(const Verdict& v, const Plan* plan, const Status* status,
             const std::optional<LastApplied>& last) {
    StatusInputs in;
    in.generation = generation;
    in.verdict = v;
    in.now = NowRfc3339();
    in.plan = plan;
    in.status = status;
    in.last_applied = last;
    if (r.options_.may_write_status && !r.options_.may_write_status()) {
      Log("lost the lease: leaving the status to the new leader");
      return;
    }
    json next = BuildStatus(previous, in);
    if (SameStatus(next, previous)) return;
    const json& meta = object["metadata"];
    k8s::PatchStatusOptions options;
    options.resource_version = resource_version;
    auto patched = r.client_.PatchStatus(k8s::kPartitionPolicies, meta.value("namespace", ""),
                                         meta.value("name", ""), json{{"status", next}}, options);
    if (!patched.ok()) {
      Log("cannot write status: " + patched.error.message);
    } else {
      previous = patched.value->value("status", json::object());
      resource_version =
          patched.value->value("metadata", json::object()).value("resourceVersion", "");
    }
  }

  // A failure: Stalled, an event, a retry with backoff.
  ReconcileResult Fail(const std::string& reason, const std::string& message, bool retry = true) {
    Verdict v{false, true, false, reason, message};
    Write(v, nullptr, nullptr, std::nullopt);
    r.events_.Record(object, "Warning", reason, "Reconcile", message);
    Log(reason + ": " + message);
    result.result = "error";
    result.backoff = retry;
    return result;
  }

  ReconcileResult Go() {
    key = ObjectKey(object);
    generation = Generation(object);
    previous = object.value("status", json::object());
    resource_version = object["metadata"].value("resourceVersion", "");

    PolicySet set = ParseResource(object);
    if (HasErrors(set.diagnostics) || set.policies.size() != 1) {
      // Not retried: only a new spec can fix it, and an edit is watched.
      return Fail("InvalidSpec", FirstError(set.diagnostics), false);
    }
    const std::vector<Policy>& policies = set.policies;
    const Policy& policy = policies[0];
    if (policy.suspend) {
      Write(Verdict{false, false, false, "Suspended",
                    "spec.suspend is true: nothing is planned or applied"},
            nullptr, nullptr, std::nullopt);
      result.result = "suspended";
      return result;
    }

    const std::string ns = object["metadata"].value("namespace", "");
    const DatabaseRef& ref = *policy.database_ref;
    if (r.options_.earlier_claim) {
      if (auto conflict = r.options_.earlier_claim(ClaimOf(object, policy))) {
        // Not retried with backoff: the controller queues this policy again when another one
        // changes or goes; the resync is the safety net.
        result.requeue_after = r.options_.resync;
        return Fail("TableClaimed",
                    "table " + conflict->table.Text() + " is also claimed by PartitionPolicy " +
                        conflict->other + " (same Secret " + ref.secret_name + " key " +
                        ref.key + "), which came first: a table belongs to exactly one policy, "
                        "and nothing of this one is planned or applied until one of them lets "
                        "the table go",
                    false);
      }
    }
    const std::string where = "Secret " + ns + "/" + ref.secret_name + " key " + ref.key;
    // A spec the status does not describe yet (an edit, a new policy) reads the Secret afresh;
    // a resync of an unchanged policy may share a recent read with the others naming it.
    const bool edited = !previous.contains("observedGeneration") ||
                        previous["observedGeneration"] != generation;
    secret_ns = ns;
    secret_name = ref.secret_name;
    auto secret = r.secrets_.Get(ns, ref.secret_name, edited);
    if (!secret.ok()) {
      if (secret.error.status == 404) return Fail("SecretNotFound", where + " does not exist");
      return Fail("SecretUnavailable", "cannot read " + where + ": " + secret.error.message);
    }
    auto found = secret.value->find(ref.key);
    if (found == secret.value->end()) {
      return Fail("SecretNotFound", "Secret " + ns + "/" + ref.secret_name + " has no key " +
                                        ref.key);
    }
    const std::string& dsn = found->second;

    std::unique_ptr<pqxx::connection> conn;
    try {
      conn = std::make_unique<pqxx::connection>(dsn);
    } catch (const std::exception& e) {
      // Whoever may read the policy's status and Events need not be allowed to read the Secret:
      // nothing of its value is shown (not even the host), and a value that is no connection
      // string at all (any Secret key can be named) is not quoted back.
      if (!IsValidConnectionString(dsn)) {
        return Fail("InvalidSecret", "the " + where +
                                         " does not hold a valid libpq connection string (its "
                                         "content is not shown)");
      }
      return Fail("DatabaseUnavailable", "cannot connect to the database of " + where + ": " +
                                             ConnectErrorText(e.what(), dsn, true));
    }

    ReadResult read = ReadCatalog(*conn, CatalogRequests(policies));
    if (HasErrors(read.diagnostics) || !read.catalog.now_micros) {
      return Fail("DatabaseUnavailable",
                  "cannot read the catalog: " + RedactPassword(FirstError(read.diagnostics), dsn));
    }
    // Whole seconds, as the CLI plans (a re-plan in the same second matches).
    const int64_t now = *read.catalog.now_micros / 1'000'000 * 1'000'000;
    Plan plan = ComputePlan(policies, read.catalog, now);
    if (HasErrors(plan.diagnostics)) {
      return Fail("PlanError", FirstError(plan.diagnostics));
    }

    if (policy.mode == Mode::kDryRun || !plan.HasChanges()) {
      if (policy.mode != Mode::kDryRun) {
        // What an interrupted earlier apply left under way (a DETACH ... CONCURRENTLY the server
        // completed on its own) is recorded even when there is nothing else to do.
        try {
          SettleInterruptedSteps(*conn, r.options_.audit_table);
        } catch (const std::exception&) {
        }
      }
      Status status = ComputeStatus(policies, read.catalog, plan, now);
      r.metrics_.SetStatus(key, status);
      return Settle(policies, read.catalog, plan, status, now, nullptr);
    }

    // Apply: say so first (kstatus Reconciling), then run the same executor as `pgpart apply`.
    int planned = 0;
    for (const Step& s : plan.steps) planned += s.status == StepStatus::kPlanned ? 1 : 0;
    Write(Verdict{false, false, true, "Applying",
                  "applying " + std::to_string(planned) + " step(s): " +
                      PlanSummaryText(plan.summary)},
          &plan, nullptr, std::nullopt);
    ApplyOptions options;
    options.audit = true;
    options.audit_table = r.options_.audit_table;
    options.actor = r.options_.actor;
    options.now_micros = now;
    options.should_stop = r.options_.should_stop;
    options.on_step = [&](const StepReport& s) { OnStep(s); };
    ApplyReport report = ExecutePlan(*conn, plan, policies, options);

    std::optional<LastApplied> last;
    if (result.applied > 0) {
      last = LastApplied{NowRfc3339(), PlanDigest(plan), result.applied, AppliedSummary(report)};
    }
    if (HasErrors(report.diagnostics)) {
      Write(Verdict{false, true, false, "DatabaseUnavailable",
                    RedactPassword(FirstError(report.diagnostics), dsn)},
            &plan, nullptr, last);
      result.result = "error";
      result.backoff = true;
      return result;
    }

    // The status describes the database as the apply left it: read and plan again.
    ReadResult after = ReadCatalog(*conn, CatalogRequests(policies));
    if (HasErrors(after.diagnostics) || !after.catalog.now_micros) {
      return Fail("DatabaseUnavailable", "cannot read the catalog after applying: " +
                                             RedactPassword(FirstError(after.diagnostics), dsn));
    }
    const int64_t now2 = *after.catalog.now_micros / 1'000'000 * 1'000'000;
    Plan replan = ComputePlan(policies, after.catalog, now2);
    CarryBlocked(report, &replan);
    Status status = ComputeStatus(policies, after.catalog, replan, now2);
    r.metrics_.SetStatus(key, status);

    for (const StepReport& s : report.steps) {
      if (s.outcome == StepOutcome::kFailed) {
        Write(Verdict{false, true, false, "ApplyFailed",
                      ActionName(s.step.action) + " " + s.step.partition.Sql() + " failed: " +
                          RedactPassword(s.detail, dsn)},
              &replan, &status, last);
        result.result = "error";
        result.backoff = true;
        return result;
      }
      if (s.outcome == StepOutcome::kNotRun && r.options_.should_stop && r.options_.should_stop()) {
        Write(Verdict{false, false, true, "Interrupted",
                      "the operator stopped after " + std::to_string(result.applied) +
                          " step(s); the next leader continues"},
              &replan, &status, last);
        result.result = "error";
        result.backoff = true;
        return result;
      }
      if (s.outcome == StepOutcome::kSkippedLocked) {
        Write(Verdict{false, false, true, "Locked", s.detail}, &replan, &status, last);
        result.result = "blocked";
        result.backoff = true;
        return result;
      }
    }
    return Settle(policies, after.catalog, replan, status, now2, &last);
  }

  // The verdict when nothing failed: Ready (Reconciled / DryRun) or Blocked.
  ReconcileResult Settle(const std::vector<Policy>& policies, const Catalog& catalog,
                         const Plan& plan, const Status& status, int64_t now,
                         const std::optional<LastApplied>* last) {
    const Policy& policy = policies[0];
    int pending = 0;
    std::string blocked;
    for (const Step& s : plan.steps) {
      if (s.status == StepStatus::kPlanned) ++pending;
      if (s.status == StepStatus::kBlocked && blocked.empty()) {
        blocked = ActionName(s.action) + " " + s.partition.Sql() + ": " + s.blocked_by;
      }
    }
    Verdict v;
    if (policy.mode == Mode::kDryRun) {
      v = {true, false, false, "DryRun",
           pending == 0 ? "dry run: nothing to do"
                        : "dry run: " + std::to_string(pending) +
                              " step(s) would run (" + PlanSummaryText(plan.summary) +
                              "); set spec.mode: Apply to run them"};
      result.result = "success";
    } else if (!blocked.empty()) {
      v = {false, false, false, "Blocked", blocked};
      result.result = "blocked";
    } else {
      std::string covered;
      for (const TableStatus& t : status.tables) {
        if (!t.partitions.covered_until.empty() &&
            (covered.empty() || t.partitions.covered_until < covered)) {
          covered = t.partitions.covered_until;
        }
      }
      v = {true, false, false, "Reconciled",
           "partitions match the policy" + (covered.empty() ? "" : "; covered until " + covered)};
      result.result = "success";
    }
    for (const Step& s : plan.steps) {
      if (s.status == StepStatus::kBlocked) {
        r.events_.Record(object, "Warning", "StepBlocked", ActionName(s.action),
                         ActionName(s.action) + " " + s.partition.Sql() + ": " + s.blocked_by);
      } else if (s.status == StepStatus::kHeld) {
        r.events_.Record(object, "Normal", "RetentionHeld", ActionName(s.action),
                         s.partition.Sql() + " is held: " + s.held_by);
      }
    }
    Write(v, &plan, &status, last != nullptr ? *last : std::nullopt);
    result.requeue_after = NextWake(policies, catalog, now, r.options_.resync);
    return result;
  }

  void OnStep(const StepReport& s) {
    const std::string what = s.step.partition.Sql();
    switch (s.outcome) {
      case StepOutcome::kApplied: {
        ++result.applied;
        r.metrics_.StepApplied(key, ActionName(s.step.action));
        auto [reason, verb] = AppliedEvent(s.step.action);
        std::string note = verb + " " + what;
        if (s.rows) note += " (" + std::to_string(*s.rows) + " rows)";
        r.events_.Record(object, "Normal", reason, ActionName(s.step.action), note);
        Log(note);
        break;
      }
      case StepOutcome::kFailed:
        r.events_.Record(object, "Warning", "StepFailed", ActionName(s.step.action),
                         ActionName(s.step.action) + " " + what + " failed: " + s.detail);
        Log(ActionName(s.step.action) + " " + what + " failed: " + s.detail);
        break;
      default:
        break;  // held and blocked steps are reported from the plan after the apply
    }
  }
};

Reconciler::Reconciler(k8s::Client& client, EventRecorder& events, Metrics& metrics,
                       ReconcilerOptions options)
    : client_(client),
      events_(events),
      metrics_(metrics),
      options_(std::move(options)),
      secrets_(client, options_.secret_ttl) {}

ReconcileResult Reconciler::Reconcile(const json& object) {
  const auto started = std::chrono::steady_clock::now();
  Run run{*this, object, "", 0, nlohmann::json::object(), "", ReconcileResult{}, "", ""};
  ReconcileResult result;
  try {
    result = run.Go();
  } catch (const std::exception& e) {
    // Nothing above should throw; if something does, the policy is retried, the operator lives.
    result = run.Fail("InternalError", OneLine(e.what()));
  }
  // A failed reconcile may have failed because of the Secret (a rotated password, a moved
  // database): its retry reads the Secret afresh.
  if (result.backoff && !run.secret_name.empty()) secrets_.Forget(run.secret_ns, run.secret_name);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.Reconciled(run.key, result.result, seconds);
  if (result.result == "success" || result.result == "blocked") {
    metrics_.Succeeded(run.key, std::chrono::duration<double>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
  }
  return result;
}

}  // namespace pgpart::op
