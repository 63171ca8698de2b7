#include "apply/executor.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <pqxx/pqxx>
#include <random>
#include <thread>

#include "apply/audit.h"
#include "apply/gates.h"
#include "apply/lock_holders.h"
#include "catalog/reader.h"
#include "core/calendar.h"
#include "plan/planner.h"

namespace pgpart {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kMaxBackoffMs = 1'000;

// SQLSTATEs worth retrying: lock_not_available (lock_timeout), query_canceled (statement_timeout),
// deadlock_detected, serialization_failure, object_in_use.
bool Retryable(const std::string& sqlstate) {
  return sqlstate == "55P03" || sqlstate == "57014" || sqlstate == "40P01" || sqlstate == "40001" ||
         sqlstate == "55006";
}

bool IsRetention(Action a) {
  return a == Action::kDetach || a == Action::kDrop || a == Action::kArchive ||
         a == Action::kFinalizeDetach;
}

bool CountsRows(Action a) {
  return a == Action::kDetach || a == Action::kDrop || a == Action::kArchive;
}

// A run of statements executed together: several transactional ones in one transaction, or one
// non-transactional statement on its own.
struct Group {
  std::vector<Statement> statements;
  bool transactional = true;
};

std::vector<Group> Groups(const std::vector<Statement>& statements) {
  std::vector<Group> groups;
  for (const Statement& st : statements) {
    if (st.transactional && !groups.empty() && groups.back().transactional) {
      groups.back().statements.push_back(st);
    } else {
      groups.push_back(Group{{st}, st.transactional});
    }
  }
  return groups;
}

struct GroupResult {
  enum class Kind { kOk, kRetriesExhausted, kError } kind = Kind::kOk;
  std::string error;
  bool lock_timeout = false;  // the last attempt gave up waiting for a lock
  int64_t affected = 0;  // rows affected by the group's DML (drains)
};

class Executor {
 public:
  Executor(pqxx::connection_base& conn, const Plan& plan, const std::vector<Policy>& policies,
           const ApplyOptions& options)
      : conn_(conn), plan_(plan), policies_(policies), options_(options) {}

  ApplyReport Run() {
    if (options_.audit && plan_.HasChanges()) {
      try {
        EnsureAuditTable(conn_);
      } catch (const std::exception& e) {
        Fatal("cannot create the audit table pgpart.history: " + OneLine(e.what()) +
              " (use --no-audit to apply without it)");
        return std::move(report_);
      }
    }
    if (options_.audit) {
      try {
        for (const std::string& line : SettleInterruptedSteps(conn_)) {
          Progress("recorded an interrupted earlier run: " + line);
        }
      } catch (const std::exception& e) {
        report_.diagnostics.push_back(Diagnostic{
            Severity::kWarning, {}, "",
            "cannot settle interrupted steps in pgpart.history: " + OneLine(e.what())});
      }
    }
    size_t i = 0;
    while (i < plan_.steps.size() && !fatal_ && !StopRequested()) {
      size_t end = i;
      while (end < plan_.steps.size() && plan_.steps[end].table == plan_.steps[i].table) ++end;
      RunTable(i, end);
      i = end;
    }
    // Whatever a fatal error or a stop request left unsettled.
    for (size_t k = report_.steps.size(); k < plan_.steps.size(); ++k) {
      Settle(plan_.steps[k], StepOutcome::kNotRun,
             fatal_ ? "not run: an earlier error stopped the apply"
                    : "not run: the apply was asked to stop");
    }
    return std::move(report_);
  }

 private:
  void Fatal(const std::string& message) {
    fatal_ = true;
    report_.diagnostics.push_back(Diagnostic{Severity::kError, {}, "", message});
  }

  void Progress(const std::string& line) {
    if (options_.on_progress) options_.on_progress(line);
  }

  void Settle(const Step& step, StepOutcome outcome, std::string detail,
              std::optional<int64_t> rows = std::nullopt, double seconds = 0) {
    StepReport r{step, outcome, rows, std::move(detail), seconds};
    if (options_.on_step) options_.on_step(r);
    report_.steps.push_back(std::move(r));
  }

  bool StopRequested() const { return options_.should_stop && options_.should_stop(); }

  void Checkpoint() {
    ++checkpoint_;
    if (options_.pause_at_checkpoint > 0 && checkpoint_ == options_.pause_at_checkpoint) {
      std::fprintf(stderr, "pgpart: paused at checkpoint %d (PGPART_TEST_PAUSE_AT)\n", checkpoint_);
      std::fflush(stderr);
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(3600));
    }
  }

  const Policy* FindPolicy(const std::string& name) const {
    for (const Policy& p : policies_) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }

  // The policy narrowed to one table (execution overrides are applied to the policies before
  // planning, so the plan's statements and the re-check's agree).
  static Policy Narrow(const Policy& p, const QualifiedName& table) {
    Policy one = p;
    one.tables = {table};
    return one;
  }

  // A fresh read and plan of one table (precondition re-check under the advisory lock): `fresh`
  // at the plan's clock, `due` at the database's clock, which decides whether a destructive step
  // is due (a plan made for a future `--at` never drops early).
  bool Replan(const Policy& policy, Plan* fresh, Plan* due, KeyType* key_type,
              std::string* error) {
    ReadResult read = ReadCatalog(conn_, CatalogRequests({policy}));
    if (HasErrors(read.diagnostics)) {
      *error = read.diagnostics[0].message;
      return false;
    }
    PlanOptions plan_options;
    plan_options.max_drops = options_.max_drops;
    *fresh = ComputePlan({policy}, read.catalog, options_.now_micros, plan_options);
    db_now_ = read.catalog.now_micros.value_or(options_.now_micros);
    *due = db_now_ == options_.now_micros
               ? *fresh
               : ComputePlan({policy}, read.catalog, db_now_, plan_options);
    for (const Diagnostic& d : fresh->diagnostics) {
      if (d.severity == Severity::kError) {
        *error = d.message;
        return false;
      }
    }
    const Table* t = read.catalog.Find(policy.tables[0]);
    *key_type = t != nullptr ? t->key_type : KeyType::kUnsupported;
    return true;
  }

  void RunTable(size_t begin, size_t end) {
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

    // Session advisory lock on the parent: a second applier skips this table.
    std::optional<uint32_t> oid;
    try {
      pqxx::nontransaction nt(conn_);
      pqxx::result r = nt.exec_params("SELECT to_regclass($1)::oid", table.Sql());
      if (!r[0][0].is_null()) oid = r[0][0].as<uint32_t>();
      if (oid) {
        pqxx::result l =
            nt.exec_params("SELECT pg_try_advisory_lock($1, $2::oid::int4)", kApplyLockSpace, *oid);
        if (!l[0][0].as<bool>()) {
          Progress("skipped " + table.Sql() + ": another pgpart apply holds its lock");
          settle_rest(begin, StepOutcome::kSkippedLocked,
                      "another pgpart apply holds the lock on " + table.Sql());
          return;
        }
      }
    } catch (const pqxx::broken_connection& e) {
      Fatal("lost the connection: " + OneLine(e.what()));
      return;
    } catch (const std::exception& e) {
      settle_rest(begin, StepOutcome::kFailed, OneLine(e.what()));
      return;
    }
    if (!oid) {
      settle_rest(begin, StepOutcome::kFailed, "table " + table.Sql() + " no longer exists");
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
    if (!replanned) {
      settle_rest(begin, StepOutcome::kFailed, "re-check failed: " + error);
    } else {
      // A failure stops the same kind of work on this table (retention, or creation) but not the
      // other: a failed drop must not cost the table its premade partitions. So does a step that
      // gave up waiting for a lock (a circuit breaker): the next steps of that kind would wait
      // for the same session, each queued lock request stalling the writers behind it.
      bool stopped[2] = {false, false};
      std::string breaker[2];
      pending_detach_.reset();
      for (size_t k = begin; k < end && !fatal_;) {
        const int kind = IsRetention(plan_.steps[k].action) ? 0 : 1;
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
    try {
      pqxx::nontransaction nt(conn_);
      nt.exec_params("SELECT pg_advisory_unlock($1, $2::oid::int4)", kApplyLockSpace, *oid);
    } catch (const std::exception& e) {
      Fatal("lost the connection: " + OneLine(e.what()));
    }
  }

  const Step* FindFresh(const Plan& fresh, const Step& step) const {
    for (const Step& s : fresh.steps) {
      if (s.action == step.action && s.partition == step.partition) return &s;
    }
    return nullptr;
  }

  // Runs the step at `k` (with its drain, when a create is followed by one). Returns how many
  // plan steps it settled; sets failed_ when it failed.
  size_t RunStep(size_t k, size_t end, const Policy& policy, const Plan& fresh, const Plan& due,
                 KeyType key_type) {
    Checkpoint();
    const Step& step = plan_.steps[k];
    if (step.status == StepStatus::kHeld) {
      Settle(step, StepOutcome::kHeld, step.held_by);
      return 1;
    }
    if (step.status == StepStatus::kBlocked) {
      Settle(step, StepOutcome::kBlocked, step.blocked_by);
      return 1;
    }
    std::vector<const Step*> unit{&step};
    if (step.action == Action::kCreate && k + 1 < end &&
        plan_.steps[k + 1].action == Action::kDrainDefault &&
        plan_.steps[k + 1].partition == step.partition) {
      unit.push_back(&plan_.steps[k + 1]);
    }
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

    // Backup gate, right before a drop.
    std::string gate_detail;
    if (step.action == Action::kDrop && policy.backup_gate) {
      Checkpoint();
      GateResult gate =
          CheckGate(*policy.backup_gate, conn_, GateContextOf(step, policy, key_type));
      if (!gate.passed) {
        Audit(step, std::nullopt, "blocked", "backup gate: " + gate.detail);
        Settle(step, StepOutcome::kBlocked, "backup gate: " + gate.detail);
        return 1;
      }
      gate_detail = "backup gate passed: " + gate.detail;
    }

    const auto started = Clock::now();
    std::optional<int64_t> rows;
    if (CountsRows(step.action)) {
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

    std::vector<Statement> statements;
    for (const Step* s : unit) {
      statements.insert(statements.end(), s->statements.begin(), s->statements.end());
    }
    if (unit.size() > 1) {
      Progress("moving ~" + std::to_string(unit[1]->rows_estimate) + " rows from the default " +
               "partition into " + step.partition.Sql() + " ...");
    }
    std::vector<Group> groups = Groups(statements);
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
    } else {
      Settle(step, StepOutcome::kApplied, gate_detail, rows, seconds);
    }
    return unit.size();
  }

  // Marks the step being run as failed; returns how many plan steps it covered.
  size_t Failed(size_t used) {
    failed_ = true;
    return used;
  }

  // Appends who holds the locks the step waited for to `error`, and arms the table's circuit
  // breaker (lock_gave_up_) when a holder locks the parent or another partition: the next steps
  // would wait for the same session. A lock on this step's partition alone concerns only it.
  std::string NameLockHolders(const std::string& error, const Step& step) {
    const LockHolders holders = DescribeLockHolders(conn_, step.table, step.partition);
    if (holders.shared) lock_gave_up_ = "held by " + holders.text;
    return holders.text.empty() ? error : error + "; locks held by " + holders.text;
  }

  // Audit row in its own transaction (non-transactional steps, failures), or the step's
  // "started" row settled. Best effort for failures: the step's own error is what the user needs
  // to see.
  void Audit(const Step& step, std::optional<int64_t> rows, const std::string& outcome,
             const std::string& error) {
    if (!options_.audit) return;
    try {
      pqxx::work tx(conn_);
      WriteAudit(tx, Record(step, rows, outcome, error));
      tx.commit();
    } catch (const std::exception& e) {
      if (outcome == "applied") {
        report_.diagnostics.push_back(Diagnostic{
            Severity::kError, {}, "", "cannot write the audit row: " + OneLine(e.what())});
      }
    }
  }

  // The step's audit row: its "started" row settled, or a new one.
  void WriteAudit(pqxx::transaction_base& tx, const AuditRecord& record) {
    if (started_id_) {
      SettleAudit(tx, *started_id_, record);
    } else {
      InsertAudit(tx, record);
    }
  }

  AuditRecord Record(const Step& step, std::optional<int64_t> rows, const std::string& outcome,
                     const std::string& error) const {
    AuditRecord a;
    a.actor = options_.actor;
    a.policy = step.policy;
    a.table = step.table;
    a.partition = step.partition;
    a.action = ActionName(step.action);
    a.rows = rows;
    for (const Statement& st : step.statements) a.statements.push_back(st.sql);
    a.outcome = outcome;
    a.error = error;
    return a;
  }

  // Is `partition` left half-detached by an interrupted DETACH ... CONCURRENTLY?
  bool DetachPending(const QualifiedName& partition) {
    pqxx::nontransaction nt(conn_);
    pqxx::result r = nt.exec_params(
        "SELECT inhdetachpending FROM pg_catalog.pg_inherits WHERE inhrelid = to_regclass($1)",
        partition.Sql());
    return !r.empty() && r[0][0].as<bool>();
  }

  // Runs one group with retries and backoff. When `audit_rows` is set, the step's audit row is
  // inserted in the same transaction, so it commits with the change it records.
  GroupResult RunGroup(const Group& group, const Step& step, std::optional<int64_t>* audit_rows,
                       const std::vector<const Step*>& unit, int retries) {
    GroupResult result;
    std::mt19937_64 rng(std::random_device{}());  // two appliers must not retry in step
    for (int attempt = 0;; ++attempt) {
      Checkpoint();
      try {
        result.affected = 0;
        if (group.transactional && unit.size() == 1) {
          // One message: BEGIN, timeouts, the statements, the audit row, COMMIT.
          const Statement& s0 = group.statements[0];
          std::string sql =
              "BEGIN; SET LOCAL lock_timeout = " + std::to_string(s0.lock_timeout_ms) +
              "; SET LOCAL statement_timeout = " + std::to_string(s0.statement_timeout_ms) + ";\n";
          for (const Statement& st : group.statements) sql += st.sql + ";\n";
          if (audit_rows != nullptr && options_.audit) {
            const AuditRecord record = Record(step, *audit_rows, "applied", "");
            sql += (started_id_ ? SettleAuditSql(conn_, *started_id_, record)
                                : AuditInsertSql(conn_, record)) +
                   ";\n";
          }
          sql += "COMMIT";
          pqxx::nontransaction nt(conn_);
          try {
            nt.exec(sql);
          } catch (const pqxx::broken_connection&) {
            throw;
          } catch (...) {
            nt.exec("ROLLBACK");  // the failed statement left the transaction aborted
            throw;
          }
        } else if (group.transactional) {  // create + drain: the drain's row count is needed
          pqxx::work tx(conn_);
          const Statement& s0 = group.statements[0];
          tx.exec("SET LOCAL lock_timeout = " + std::to_string(s0.lock_timeout_ms));
          tx.exec("SET LOCAL statement_timeout = " + std::to_string(s0.statement_timeout_ms));
          for (const Statement& st : group.statements) {
            pqxx::result r = tx.exec(st.sql);
            if (r.affected_rows() > 0) result.affected += r.affected_rows();
          }
          if (audit_rows != nullptr && options_.audit) {
            if (unit.size() > 1) {  // create + drain: one row each, the drain's with rows moved
              InsertAudit(tx, Record(*unit[0], std::nullopt, "applied", ""));
              InsertAudit(tx, Record(*unit[1], result.affected, "applied", ""));
            } else {
              WriteAudit(tx, Record(step, *audit_rows, "applied", ""));
            }
          }
          tx.commit();
        } else {
          Statement st = group.statements[0];
          // A retried concurrent detach that got half-way is completed, not restarted.
          const std::string concurrently = " CONCURRENTLY";
          if (attempt > 0 && st.sql.ends_with(concurrently) && DetachPending(step.partition)) {
            st.sql = st.sql.substr(0, st.sql.size() - concurrently.size()) + " FINALIZE";
          }
          pqxx::nontransaction nt(conn_);
          nt.exec("SET lock_timeout = " + std::to_string(st.lock_timeout_ms));
          nt.exec("SET statement_timeout = " + std::to_string(st.statement_timeout_ms));
          try {
            nt.exec(st.sql);
          } catch (...) {
            nt.exec("RESET lock_timeout; RESET statement_timeout");
            throw;
          }
          nt.exec("RESET lock_timeout; RESET statement_timeout");
        }
        result.kind = GroupResult::Kind::kOk;
        return result;
      } catch (const pqxx::broken_connection& e) {
        Fatal("lost the connection: " + OneLine(e.what()));
        result.kind = GroupResult::Kind::kError;
        result.error = OneLine(e.what());
        return result;
      } catch (const pqxx::sql_error& e) {
        result.error = OneLine(e.what());
        result.lock_timeout = e.sqlstate() == "55P03";
        if (!Retryable(e.sqlstate())) {
          result.kind = GroupResult::Kind::kError;
          return result;
        }
        if (attempt >= retries) {
          result.kind = GroupResult::Kind::kRetriesExhausted;
          result.error =
              "gave up after " + std::to_string(retries + 1) + " attempts: " + result.error;
          return result;
        }
        int64_t delay = std::min(kMaxBackoffMs, options_.backoff_base_ms << std::min(attempt, 20));
        delay = delay / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(delay / 2 + 1));
        Progress("  retrying " + step.partition.Sql() + " in " + std::to_string(delay) +
                 " ms: " + result.error);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      } catch (const std::exception& e) {
        result.kind = GroupResult::Kind::kError;
        result.error = OneLine(e.what());
        return result;
      }
    }
  }

  pqxx::connection_base& conn_;
  const Plan& plan_;
  const std::vector<Policy>& policies_;
  const ApplyOptions& options_;
  ApplyReport report_;
  bool fatal_ = false;
  int checkpoint_ = 0;
  std::optional<QualifiedName> pending_detach_;  // this table's half-done concurrent detach
  bool failed_ = false;                          // the last RunStep failed
  std::string lock_gave_up_;  // the last RunStep gave up on a lock: who holds it
  std::optional<int64_t> started_id_;  // the "started" audit row of the step being run
  int64_t db_now_ = 0;                 // the database's clock at the table's re-check
};

}  // namespace

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
  return Executor(conn, plan, policies, options).Run();
}

}  // namespace pgpart
