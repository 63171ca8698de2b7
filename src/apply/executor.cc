#include "apply/executor.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "apply/audit.h"
#include "apply/executor_internal.h"
#include "apply/gates.h"
#include "apply/role_check.h"
#include "catalog/reader.h"
#include "core/calendar.h"
#include "plan/planner.h"

namespace pgpart {
namespace executor_internal {

ApplyReport Executor::Run() {
  if (options_.audit && plan_.HasChanges()) {
    try {
      audit_info_ = EnsureAuditTable(conn_, options_.audit_table);
    } catch (const AuditAccessError& e) {
      Fatal(std::string(e.what()) + "; nothing was applied (--no-audit applies without an audit "
            "trail)");
      return std::move(report_);
    } catch (const std::exception& e) {
      Fatal("cannot create the audit table " + options_.audit_table.Sql() + ": " +
            OneLine(e.what()) + "; nothing was applied (--no-audit applies without it)");
      return std::move(report_);
    }
  }
  if (options_.audit) {
    try {
      for (const std::string& line : SettleInterruptedSteps(conn_, options_.audit_table)) {
        Progress("recorded an interrupted earlier run: " + line);
      }
    } catch (const std::exception& e) {
      report_.diagnostics.push_back(Diagnostic{
          Severity::kWarning, {}, "",
          "cannot settle interrupted steps in " + options_.audit_table.Sql() + ": " +
              OneLine(e.what())});
    }
  }
  // The tables a batch at a time: their advisory locks, one read of them under those locks,
  // then each table's re-check and steps, its lock released when it is done.
  size_t i = 0;
  while (i < plan_.steps.size() && !fatal_ && !StopRequested()) {
    std::vector<TableTurn> turns;
    while (i < plan_.steps.size() && turns.size() < kTurnsPerBatch) {
      size_t end = i;
      while (end < plan_.steps.size() && plan_.steps[end].table == plan_.steps[i].table) ++end;
      TableTurn turn;
      turn.begin = i;
      turn.end = end;
      turns.push_back(std::move(turn));
      i = end;
    }
    LockTurns(&turns);
    if (fatal_) break;
    const Clock::time_point locked_at = Clock::now();
    ReadTurns(turns);
    bool one_by_one = false;
    for (size_t k = 0; k < turns.size(); ++k) {
      // Once the batch is older than its read may be (an earlier table took long), the tables
      // not started yet are released, then locked and read one at a time when their turn
      // comes: another applier is not kept from them meanwhile.
      if (!one_by_one && Clock::now() - locked_at > kMaxBatchReadAge) {
        one_by_one = true;
        batch_read_.reset();
        for (size_t j = k; j < turns.size(); ++j) {
          if (!Unlock(&turns[j])) break;
        }
      }
      if (fatal_ || StopRequested()) break;
      if (one_by_one) {
        std::vector<TableTurn> one{turns[k]};
        LockTurns(&one);
        turns[k] = std::move(one[0]);
        if (fatal_) break;
      }
      RunTable(&turns[k]);
      if (!Unlock(&turns[k])) break;
    }
    for (TableTurn& turn : turns) {  // after a fatal error or a stop request
      if (!Unlock(&turn)) break;
    }
    batch_read_.reset();
  }
  // Whatever a fatal error or a stop request left unsettled.
  for (size_t k = report_.steps.size(); k < plan_.steps.size(); ++k) {
    Settle(plan_.steps[k], StepOutcome::kNotRun,
           fatal_ ? "not run: an earlier error stopped the apply"
                  : "not run: the apply was asked to stop");
  }
  return std::move(report_);
}

// A fresh read and plan of one table (precondition re-check under the advisory lock): `fresh`
// at the plan's clock, `due` at the database's clock, which decides whether a destructive step
// is due (a plan made for a future `--at` never drops early).
//
// The batch's read (ReadTurns, under the same lock) serves while Run keeps it (it drops it once
// the batch is older than kMaxBatchReadAge); otherwise the table is read again now.
bool Executor::Replan(const Policy& policy, Plan* fresh, Plan* due, KeyType* key_type,
                      std::string* error) {
  std::optional<ReadResult> own;
  const bool batch_serves =
      batch_read_ && batch_read_->catalog.Find(policy.tables[0]) != nullptr;
  if (!batch_serves) {
    ReadOptions options;
    options.generic_plans = true;
    own = ReadCatalog(conn_, CatalogRequests({policy}), options);
    if (HasErrors(own->diagnostics)) {
      *error = own->diagnostics[0].message;
      return false;
    }
  }
  const Catalog& catalog = batch_serves ? batch_read_->catalog : own->catalog;
  PlanOptions plan_options;
  plan_options.max_drops = options_.max_drops;
  *fresh = ComputePlan({policy}, catalog, options_.now_micros, plan_options);
  db_now_ = catalog.now_micros.value_or(options_.now_micros);
  *due = db_now_ == options_.now_micros ? *fresh
                                        : ComputePlan({policy}, catalog, db_now_, plan_options);
  for (const Diagnostic& d : fresh->diagnostics) {
    if (d.severity == Severity::kError) {
      *error = d.message;
      return false;
    }
  }
  const Table* t = catalog.Find(policy.tables[0]);
  *key_type = t != nullptr ? t->key_type : KeyType::kUnsupported;
  return true;
}

void Executor::RunTable(TableTurn* turn) {
  const size_t begin = turn->begin, end = turn->end;
  const Step& first = plan_.steps[begin];
  const QualifiedName& table = first.table;
  auto settle_rest = [&](size_t from, StepOutcome outcome, const std::string& why) {
    for (size_t k = from; k < end; ++k) {
      const Step& s = plan_.steps[k];
      if (s.status == StepStatus::kHeld) {
        Settle(s, StepOutcome::kHeld, s.held_by);
      } else {
        Settle(s, outcome, why);
      }
    }
  };
  const Policy* policy = FindPolicy(first.policy);
  if (policy == nullptr) {
    settle_rest(begin, StepOutcome::kFailed, "policy " + first.policy + " is not loaded");
    return;
  }
  const Policy narrowed = Narrow(*policy, table);

  // Session advisory lock on the parent (LockTurns): a second applier skips this table.
  if (!turn->lock_error.empty()) {
    settle_rest(begin, StepOutcome::kFailed, turn->lock_error);
    return;
  }
  if (!turn->oid) {
    settle_rest(begin, StepOutcome::kFailed, "table " + table.Sql() + " no longer exists");
    return;
  }
  if (!turn->locked) {
    Progress("skipped " + table.Sql() + ": another pgpart apply holds its lock");
    settle_rest(begin, StepOutcome::kSkippedLocked,
                "another pgpart apply holds the lock on " + table.Sql());
    return;
  }

  Plan fresh, due;
  KeyType key_type = KeyType::kUnsupported;
  std::string error;
  bool replanned = false;
  try {
    replanned = Replan(narrowed, &fresh, &due, &key_type, &error);
  } catch (const std::exception& e) {
    error = OneLine(e.what());
  }
  std::string refused;  // the role may not run this table's steps at all
  if (replanned) {
    std::vector<const Step*> steps;
    for (size_t k = begin; k < end; ++k) steps.push_back(&plan_.steps[k]);
    try {
      refused = RoleMayNotApply(conn_, table, narrowed, steps);
    } catch (const std::exception& e) {
      refused = "cannot check the role's privileges: " + OneLine(e.what());
    }
  }
  if (!replanned) {
    settle_rest(begin, StepOutcome::kFailed, "re-check failed: " + error);
  } else if (!refused.empty()) {
    for (size_t k = begin; k < end; ++k) {
      if (plan_.steps[k].status != StepStatus::kHeld) {
        Audit(plan_.steps[k], std::nullopt, "failed", refused);
      }
    }
    settle_rest(begin, StepOutcome::kFailed, refused);
  } else {
    // A failure stops the same kind of work on this table (retention, or creation) but not the
    // other: a failed drop must not cost the table its premade partitions. So does a step that
    // gave up waiting for a lock (a circuit breaker): the next steps of that kind would wait
    // for the same session, each queued lock request stalling the writers behind it.
    // A third kind: aligning privileges, whose failure must not cost the table its creates.
    bool stopped[3] = {false, false, false};
    std::string breaker[3];
    pending_detach_.reset();
    for (size_t k = begin; k < end && !fatal_;) {
      const Action action = plan_.steps[k].action;
      // A create with reason retention begins a unit that retires the default's rows of an
      // expired period (plan.h UnitSize): retention work.
      const int kind = IsRetention(action) || plan_.steps[k].reason == Reason::kRetention ? 0
                       : action == Action::kInheritPrivileges                         ? 2
                                                                                      : 1;
      if (StopRequested()) {
        Settle(plan_.steps[k], StepOutcome::kNotRun, "not run: the apply was asked to stop");
        ++k;
        continue;
      }
      if (stopped[kind]) {
        Settle(plan_.steps[k], StepOutcome::kNotRun,
               "not run: an earlier step of this table failed");
        ++k;
        continue;
      }
      if (!breaker[kind].empty() && plan_.steps[k].status != StepStatus::kHeld) {
        Audit(plan_.steps[k], std::nullopt, "blocked", breaker[kind]);
        Settle(plan_.steps[k], StepOutcome::kBlocked, breaker[kind]);
        ++k;
        continue;
      }
      failed_ = false;
      lock_gave_up_.clear();
      const size_t used = RunStep(k, end, narrowed, fresh, due, key_type);
      started_id_.reset();
      if (failed_) stopped[kind] = true;
      if (!lock_gave_up_.empty()) {
        breaker[kind] = "not tried: an earlier step of this table could not get its lock (" +
                        lock_gave_up_ + "); the next run tries again";
      }
      k += used;
    }
  }
}

// Runs the step at `k` (with its drain, when a create is followed by one). Returns how many
// plan steps it settled; sets failed_ when it failed.
size_t Executor::RunStep(size_t k, size_t end, const Policy& policy, const Plan& fresh,
                         const Plan& due, KeyType key_type) {
  Checkpoint();
  const Step& step = plan_.steps[k];
  evidence_.clear();
  // Held and blocked steps are recorded too: the history shows that a hold was honoured and
  // what a limit (maxDropsPerRun, --max-drops) kept back, not only what ran.
  if (step.status == StepStatus::kHeld) {
    Audit(step, std::nullopt, "held", step.held_by);
    Settle(step, StepOutcome::kHeld, step.held_by);
    return 1;
  }
  if (step.status == StepStatus::kBlocked) {
    Audit(step, std::nullopt, "blocked", step.blocked_by);
    Settle(step, StepOutcome::kBlocked, step.blocked_by);
    return 1;
  }
  // A create with its drain, and the retirement of that partition when the default's rows of an
  // expired period are retired: one unit, one transaction (plan.h UnitSize).
  std::vector<const Step*> unit{&step};
  for (size_t u = 1; u < UnitSize(plan_.steps, k) && k + u < end; ++u) {
    unit.push_back(&plan_.steps[k + u]);
  }
  const Step& last_of_unit = *unit.back();
  // Preconditions: the fresh plan must still contain each step, planned, with the same SQL.
  for (const Step* s : unit) {
    const Step* now = FindFresh(fresh, *s);
    std::string why;
    StepOutcome outcome = StepOutcome::kApplied;
    if (now == nullptr) {
      outcome = StepOutcome::kAlreadyDone;
      why = "no longer needed (already applied, or the table changed)";
    } else if (now->status == StepStatus::kHeld) {
      outcome = StepOutcome::kHeld;
      why = now->held_by;
    } else if (now->status == StepStatus::kBlocked) {
      outcome = StepOutcome::kBlocked;
      why = now->blocked_by;
    } else if (now->statements != s->statements) {
      outcome = StepOutcome::kBlocked;
      why = "the table changed since the plan was made; plan again";
    }
    if (outcome == StepOutcome::kApplied && CountsRows(s->action)) {
      // A step that takes data out is due by the plan's clock; is it due by the database's,
      // now, under the lock?
      const Step* by_db = FindFresh(due, *s);
      if (by_db != nullptr && by_db->status == StepStatus::kHeld) {
        outcome = StepOutcome::kHeld;
        why = by_db->held_by;
      } else if (by_db == nullptr || by_db->status != StepStatus::kPlanned) {
        outcome = StepOutcome::kBlocked;
        why = by_db != nullptr
                  ? by_db->blocked_by
                  : "not due yet by the database clock (" + InstantText(db_now_) +
                        "): the plan was made for " + plan_.at +
                        "; retention is judged on the database's clock when the step runs";
      }
    }
    if (outcome != StepOutcome::kApplied) {
      if (outcome == StepOutcome::kBlocked || outcome == StepOutcome::kHeld) {
        Audit(*s, std::nullopt, outcome == StepOutcome::kBlocked ? "blocked" : "held", why);
      }
      for (const Step* u : unit) Settle(*u, outcome, why);
      return unit.size();
    }
  }

  // Only a table's owner (a member of its owner role, a superuser) may give it away: a partition
  // someone else made waits for them, named, instead of failing on "must be owner".
  if (step.action == Action::kInheritPrivileges) {
    try {
      pqxx::nontransaction nt(conn_);
      pqxx::row r = nt.exec_params1(
          "SELECT pg_has_role(relowner, 'USAGE'), quote_ident(pg_get_userbyid(relowner)), "
          "quote_ident(current_user) FROM pg_class WHERE oid = $1::regclass",
          step.partition.Sql());
      if (!r[0].as<bool>()) {
        const std::string why =
            "role " + r[2].as<std::string>() + " may not give " + step.partition.Sql() +
            " the parent's owner and grants: it belongs to " + r[1].as<std::string>() +
            ", and only that role, its members or a superuser may (apply once as one of them)";
        Audit(step, std::nullopt, "blocked", why);
        Settle(step, StepOutcome::kBlocked, why);
        return 1;
      }
    } catch (const std::exception& e) {
      Settle(step, StepOutcome::kFailed, "checking the partition's owner: " + OneLine(e.what()));
      return Failed(1);
    }
  }

  // After a concurrent detach of this table timed out half-way, PostgreSQL refuses another one
  // until that one is finalized (which the next run does first).
  if (pending_detach_) {
    for (const Statement& st : step.statements) {
      if (!st.transactional && st.sql.ends_with(" CONCURRENTLY")) {
        const std::string why = "a detach of " + pending_detach_->Sql() +
                                " is still pending; the next run finalizes it first";
        Settle(step, StepOutcome::kBlocked, why);
        return 1;
      }
    }
  }

  if (step.action == Action::kConvertCopy) return RunConvertCopy(step, policy);
  if (step.action == Action::kConvertVerify) return RunConvertVerify(step, policy);
  if (step.action == Action::kConvertSwap) {
    if (const size_t settled = RunConvertSwap(step, policy); settled > 0) return settled;
  }

  // Backup gate, right before a drop (before its whole unit: a unit that retires the default's
  // rows of an expired period does not move them when the gate fails), and before the drop of
  // a converted table's old table.
  std::string gate_detail;
  if ((last_of_unit.action == Action::kDrop || last_of_unit.action == Action::kConvertDropOld) &&
      policy.backup_gate) {
    Checkpoint();
    GateResult gate =
        CheckGate(*policy.backup_gate, conn_, GateContextOf(last_of_unit, policy, key_type));
    if (!gate.passed) {
      const std::string why = "backup gate: " + gate.detail;
      Audit(last_of_unit, std::nullopt, "blocked", why);
      for (const Step* u : unit) {
        Settle(*u, StepOutcome::kBlocked,
               u == &last_of_unit ? why : why + " (the rows stay in the default partition)");
      }
      return unit.size();
    }
    gate_detail = "backup gate passed: " + gate.detail;
    evidence_ = gate_detail;
  }

  const auto started = Clock::now();
  std::vector<Statement> statements;
  for (const Step* s : unit) {
    statements.insert(statements.end(), s->statements.begin(), s->statements.end());
  }
  std::vector<Group> groups = Groups(statements);
  // A step that takes data out records how many rows it took. When it is one transaction, they
  // are counted first in that transaction (exact, and no round trip of its own: issue 16);
  // otherwise (DETACH ... CONCURRENTLY runs outside one) right before it.
  const bool count_in_group = CountsRows(step.action) && unit.size() == 1 &&
                              groups.size() == 1 && groups[0].transactional;
  if (count_in_group) groups[0].count_rows_of = step.partition;
  std::optional<int64_t> rows;
  if (CountsRows(step.action) && !count_in_group) {
    const Statement& first = step.statements.front();
    try {
      // One message; the session timeouts stay until the next statement group sets its own.
      pqxx::nontransaction nt(conn_);
      rows = nt.exec("SET lock_timeout = " + std::to_string(first.lock_timeout_ms) +
                     "; SET statement_timeout = " + std::to_string(first.statement_timeout_ms) +
                     "; SELECT count(*) FROM ONLY " + step.partition.Sql())[0][0]
                 .as<int64_t>();
    } catch (const pqxx::broken_connection& e) {
      Fatal("lost the connection: " + OneLine(e.what()));
      return Failed(unit.size());
    } catch (const pqxx::sql_error& e) {
      std::string why = "counting rows: " + OneLine(e.what());
      if (Retryable(e.sqlstate())) {  // locked or slow: blocked, not failed
        if (e.sqlstate() == "55P03") why = NameLockHolders(why, step);
        Audit(step, std::nullopt, "blocked", why);
        Settle(step, StepOutcome::kBlocked, why);
        return 1;
      }
      Settle(step, StepOutcome::kFailed, why);
      return Failed(unit.size());
    } catch (const std::exception& e) {
      Settle(step, StepOutcome::kFailed, "counting rows: " + OneLine(e.what()));
      return Failed(unit.size());
    }
  }

  if (unit.size() > 1) {
    Progress("moving ~" + std::to_string(unit[1]->rows_estimate) + " rows from the default " +
             "partition into " + step.partition.Sql() +
             (unit.size() > 2 ? " to " + ActionName(unit[2]->action) + " it (past retention)"
                              : std::string()) +
             " ...");
  }
  int64_t moved = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    const bool last = g + 1 == groups.size();
    if (!groups[g].transactional && options_.audit && !started_id_) {
      // PostgreSQL may finish a DETACH ... CONCURRENTLY on its own after this process dies:
      // a "started" row lets the next run record what happened (SettleInterruptedSteps).
      AuditRecord started = Record(step, rows, "started", "under way: " +
                                                             groups[g].statements[0].sql);
      try {
        started_id_ = InsertAuditReturningId(conn_, started);
      } catch (const std::exception& e) {
        report_.diagnostics.push_back(Diagnostic{
            Severity::kWarning, {}, "", "cannot write the audit row: " + OneLine(e.what())});
      }
    }
    GroupResult r = RunGroup(groups[g], step, last && groups[g].transactional ? &rows : nullptr,
                             unit, policy.execution.retries);
    moved += r.affected;
    if (fatal_) return Failed(unit.size());
    if (r.kind != GroupResult::Kind::kOk) {
      const bool blocked = r.kind == GroupResult::Kind::kRetriesExhausted;
      if (r.lock_timeout) r.error = NameLockHolders(r.error, step);
      if (!groups[g].transactional && groups[g].statements[0].sql.ends_with(" CONCURRENTLY")) {
        try {
          if (DetachPending(step.partition)) pending_detach_ = step.partition;
        } catch (const std::exception&) {
        }
      }
      Audit(step, rows, blocked ? "blocked" : "failed", r.error);
      for (const Step* u : unit) {
        Settle(*u, blocked ? StepOutcome::kBlocked : StepOutcome::kFailed, r.error);
      }
      return blocked ? unit.size() : Failed(unit.size());
    }
    if (last && !groups[g].transactional) Audit(step, rows, "applied", "");
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (unit.size() > 1) {
    Settle(step, StepOutcome::kApplied, "", std::nullopt, seconds);
    Settle(*unit[1], StepOutcome::kApplied, "moved " + std::to_string(moved) + " rows", moved,
           seconds);
    if (unit.size() > 2) Settle(*unit[2], StepOutcome::kApplied, gate_detail, moved, seconds);
  } else {
    Settle(step, StepOutcome::kApplied, gate_detail, rows, seconds);
  }
  return unit.size();
}

}  // namespace executor_internal


std::string OutcomeName(StepOutcome outcome) {
  switch (outcome) {
    case StepOutcome::kApplied:
      return "applied";
    case StepOutcome::kAlreadyDone:
      return "already_done";
    case StepOutcome::kHeld:
      return "held";
    case StepOutcome::kBlocked:
      return "blocked";
    case StepOutcome::kSkippedLocked:
      return "skipped_locked";
    case StepOutcome::kFailed:
      return "failed";
    case StepOutcome::kNotRun:
      return "not_run";
  }
  return "unknown";
}

bool OutcomeCounts::Add(StepOutcome outcome) {
  switch (outcome) {
    case StepOutcome::kApplied:
      ++applied;
      return false;
    case StepOutcome::kAlreadyDone:
      ++already_done;
      return false;
    case StepOutcome::kHeld:
      ++held;
      return false;
    case StepOutcome::kBlocked:
    case StepOutcome::kSkippedLocked:
      ++blocked;
      return true;
    default:
      ++failed;
      return true;
  }
}

int ApplyReport::ExitCode() const {
  bool blocked = false;
  if (HasErrors(diagnostics)) return 1;
  for (const StepReport& s : steps) {
    if (s.outcome == StepOutcome::kFailed || s.outcome == StepOutcome::kNotRun) return 1;
    if (s.outcome == StepOutcome::kBlocked || s.outcome == StepOutcome::kSkippedLocked) {
      blocked = true;
    }
  }
  return blocked ? 3 : 0;
}

ApplyReport ExecutePlan(pqxx::connection_base& conn, const Plan& plan,
                        const std::vector<Policy>& policies, const ApplyOptions& options) {
  return executor_internal::Executor(conn, plan, policies, options).Run();
}

}  // namespace pgpart
