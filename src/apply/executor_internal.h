#pragma once
// The executor's internals, shared by executor.cc (tables and steps: re-checks, gates),
// executor_turns.cc (tables' locks and re-reads, a batch at a time) and executor_groups.cc
// (statement groups with retries, the audit rows). Not part of the public API.

#include <chrono>
#include <cstdio>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "apply/audit.h"
#include "apply/executor.h"
#include "catalog/reader.h"

namespace pgpart::executor_internal {

using Clock = std::chrono::steady_clock;

constexpr int64_t kMaxBackoffMs = 1'000;

// SQLSTATEs worth retrying: lock_not_available (lock_timeout), query_canceled (statement_timeout),
// deadlock_detected, serialization_failure, object_in_use.
inline bool Retryable(const std::string& sqlstate) {
  return sqlstate == "55P03" || sqlstate == "57014" || sqlstate == "40P01" || sqlstate == "40001" ||
         sqlstate == "55006";
}

inline bool IsRetention(Action a) {
  return a == Action::kDetach || a == Action::kDrop || a == Action::kArchive ||
         a == Action::kFinalizeDetach;
}

inline bool CountsRows(Action a) {
  return a == Action::kDetach || a == Action::kDrop || a == Action::kArchive;
}

// A run of statements executed together: several transactional ones in one transaction, or one
// non-transactional statement on its own.
struct Group {
  std::vector<Statement> statements;
  bool transactional = true;
  // A one-step transactional group that takes rows out (a drop): they are counted first, in
  // its transaction, recorded in its audit row and returned through RunGroup's `audit_rows`.
  std::optional<QualifiedName> count_rows_of;
};

// Consecutive transactional statements form one group; each non-transactional one its own.
std::vector<Group> Groups(const std::vector<Statement>& statements);

// One table's turn: its steps (plan_.steps[begin, end)) and its session advisory lock, taken
// for a batch of tables at once (executor_turns.cc).
struct TableTurn {
  size_t begin = 0, end = 0;
  std::optional<uint32_t> oid;  // unset: the table does not exist (or it was not looked up)
  bool locked = false;          // this apply holds the table's advisory lock
  std::string lock_error;       // the lock could not be asked for
};

// Tables locked and re-read together: up to this many, while each read is at most this old when
// the table's turn comes (older, the table is read again on its own).
constexpr size_t kTurnsPerBatch = 32;
constexpr std::chrono::seconds kMaxBatchReadAge{5};

struct GroupResult {
  enum class Kind { kOk, kRetriesExhausted, kError } kind = Kind::kOk;
  std::string error;
  bool lock_timeout = false;  // the last attempt gave up waiting for a lock
  int64_t affected = 0;        // rows affected by the group's DML (drains)
  std::vector<int64_t> per_statement;  // count_rows: rows each statement affected
};

// Executes one plan (ExecutePlan). Holds the state of one run: the report, the current table's
// circuit breaker inputs and the step being run.
class Executor {
 public:
  Executor(pqxx::connection_base& conn, const Plan& plan, const std::vector<Policy>& policies,
           const ApplyOptions& options)
      : conn_(conn), plan_(plan), policies_(policies), options_(options) {}

  ApplyReport Run();

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
              std::string* error);

  // The tables' advisory locks, one round trip for the batch (executor_turns.cc): sets each
  // turn's oid and locked; a broken connection is fatal, another error is each turn's
  // lock_error.
  void LockTurns(std::vector<TableTurn>* turns);
  // One catalog read of the batch's locked tables (batch_read_, left unset when it failed),
  // which Replan uses while Run keeps it (at most kMaxBatchReadAge).
  void ReadTurns(const std::vector<TableTurn>& turns);
  // Releases the turn's advisory lock, if held. False (fatal) when the connection is lost.
  bool Unlock(TableTurn* turn);

  void RunTable(TableTurn* turn);

  const Step* FindFresh(const Plan& fresh, const Step& step) const {
    for (const Step& s : fresh.steps) {
      if (s.action == step.action && s.partition == step.partition) return &s;
    }
    return nullptr;
  }

  // Runs the step at `k` (with its drain, when a create is followed by one). Returns how many
  // plan steps it settled; sets failed_ when it failed.
  size_t RunStep(size_t k, size_t end, const Policy& policy, const Plan& fresh, const Plan& due,
                 KeyType key_type);

  // Marks the step being run as failed; returns how many plan steps it covered.
  size_t Failed(size_t used) {
    failed_ = true;
    return used;
  }

  // Appends who holds the locks the step waited for to `error`, and arms the table's circuit
  // breaker (lock_gave_up_) when a holder locks the parent or another partition: the next steps
  // would wait for the same session. A lock on this step's partition alone concerns only it.
  std::string NameLockHolders(const std::string& error, const Step& step);

  // Audit row in its own transaction (non-transactional steps, failures), or the step's
  // "started" row settled. Best effort for failures: the step's own error is what the user needs
  // to see.
  void Audit(const Step& step, std::optional<int64_t> rows, const std::string& outcome,
             const std::string& error);

  // The step's audit row: its "started" row settled, or a new one.
  void WriteAudit(pqxx::transaction_base& tx, const AuditRecord& record);

  AuditRecord Record(const Step& step, std::optional<int64_t> rows, const std::string& outcome,
                     const std::string& error) const;

  // Is `partition` left half-detached by an interrupted DETACH ... CONCURRENTLY?
  bool DetachPending(const QualifiedName& partition);

  // Runs one group with retries and backoff. When `audit_rows` is set, the step's audit row is
  // inserted in the same transaction, so it commits with the change it records.
  // With `count_rows`, each statement's row count is returned (one round trip each).
  GroupResult RunGroup(const Group& group, const Step& step, std::optional<int64_t>* audit_rows,
                       const std::vector<const Step*>& unit, int retries,
                       bool count_rows = false);

  // A conversion's copy (batches, then the change log replayed) and verify steps (convert.cc).
  size_t RunConvertCopy(const Step& step, const Policy& policy);
  size_t RunConvertVerify(const Step& step, const Policy& policy);
  // Before the swap's group: the captured changes replayed without the lock until fewer than
  // kSwapCatchUpBelow wait. 0 to go on with the swap, else the steps it settled (failed).
  size_t RunConvertSwap(const Step& step, const Policy& policy);
  // Replays the change log with `copy`'s statements (settling failures as `step`) until a
  // transaction takes fewer than `below` keys (at most batchRows). False on a failure (`failed`).
  bool CatchUp(const Step& copy, const Step& step, const Policy& policy, int64_t below,
               int64_t* replayed, GroupResult* failed);
  static constexpr int64_t kSwapCatchUpBelow = 100;
  // The settled outcome of a conversion step that could not go on.
  size_t ConvertFailed(const Step& step, const GroupResult& r);

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
  AuditTableInfo audit_info_;           // which columns the audit table has
  std::string evidence_;                // the step being run: what its gate said when it passed
  int64_t db_now_ = 0;                 // the database's clock at the table's re-check
  std::optional<ReadResult> batch_read_;  // the batch's tables, read under their locks
};

}  // namespace pgpart::executor_internal
