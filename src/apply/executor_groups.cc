// The executor's statement groups (one transaction, or one statement outside a transaction) with
// lock/statement timeouts, retries and backoff, and its audit rows.

#include <pqxx/pqxx>
#include <random>

#include "apply/audit.h"
#include "apply/executor_internal.h"
#include "apply/lock_holders.h"

namespace pgpart::executor_internal {

std::vector<Group> Groups(const std::vector<Statement>& statements) {
  std::vector<Group> groups;
  for (const Statement& st : statements) {
    if (st.transactional && !groups.empty() && groups.back().transactional) {
      groups.back().statements.push_back(st);
    } else {
      groups.push_back(Group{{st}, st.transactional, std::nullopt});
    }
  }
  return groups;
}

// Appends who holds the locks the step waited for to `error`, and arms the table's circuit
// breaker (lock_gave_up_) when a holder locks the parent or another partition: the next steps
// would wait for the same session. A lock on this step's partition alone concerns only it.
std::string Executor::NameLockHolders(const std::string& error, const Step& step) {
  const LockHolders holders = DescribeLockHolders(conn_, step.table, step.partition);
  if (holders.shared) lock_gave_up_ = "held by " + holders.text;
  return holders.text.empty() ? error : error + "; locks held by " + holders.text;
}

// Audit row in its own transaction (non-transactional steps, failures), or the step's
// "started" row settled. Best effort for failures: the step's own error is what the user needs
// to see.
void Executor::Audit(const Step& step, std::optional<int64_t> rows, const std::string& outcome,
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
void Executor::WriteAudit(pqxx::transaction_base& tx, const AuditRecord& record) {
  if (started_id_) {
    SettleAudit(tx, *started_id_, record);
  } else {
    InsertAudit(tx, record);
  }
}

AuditRecord Executor::Record(const Step& step, std::optional<int64_t> rows,
                             const std::string& outcome, const std::string& error) const {
  AuditRecord a = StepAuditRecord(step, options_.actor, outcome, error);
  a.audit_table = options_.audit_table;
  a.with_evidence = audit_info_.evidence;
  a.evidence = evidence_;
  a.rows = rows;
  return a;
}

// Is `partition` left half-detached by an interrupted DETACH ... CONCURRENTLY?
bool Executor::DetachPending(const QualifiedName& partition) {
  pqxx::nontransaction nt(conn_);
  pqxx::result r = nt.exec_params(
      "SELECT inhdetachpending FROM pg_catalog.pg_inherits WHERE inhrelid = to_regclass($1)",
      partition.Sql());
  return !r.empty() && r[0][0].as<bool>();
}

// Runs one group with retries and backoff. When `audit_rows` is set, the step's audit row is
// inserted in the same transaction, so it commits with the change it records.
GroupResult Executor::RunGroup(const Group& group, const Step& step,
                               std::optional<int64_t>* audit_rows,
                               const std::vector<const Step*>& unit, int retries,
                               bool count_rows) {
  GroupResult result;
  std::mt19937_64 rng(std::random_device{}());  // two appliers must not retry in step
  for (int attempt = 0;; ++attempt) {
    Checkpoint();
    try {
      result.affected = 0;
      result.per_statement.clear();
      if (group.transactional && unit.size() == 1 && !count_rows) {
        // One message: BEGIN, timeouts, the statements, the audit row, COMMIT.
        const Statement& s0 = group.statements[0];
        std::string sql =
            "BEGIN; SET LOCAL lock_timeout = " + std::to_string(s0.lock_timeout_ms) +
            "; SET LOCAL statement_timeout = " + std::to_string(s0.statement_timeout_ms) + ";\n";
        // The count rides in a session setting (set in the transaction: gone again if it rolls
        // back) to the audit row and, after COMMIT, to the last result of this one message.
        const bool counts = group.count_rows_of.has_value() && audit_rows != nullptr;
        if (counts) {
          sql += "SELECT pg_catalog.set_config('pgpart.rows', (SELECT pg_catalog.count(*) FROM "
                 "ONLY " + group.count_rows_of->Sql() + ")::text, false);\n";
        }
        for (const Statement& st : group.statements) sql += st.sql + ";\n";
        if (audit_rows != nullptr && options_.audit) {
          AuditRecord record = Record(step, *audit_rows, "applied", "");
          if (counts) record.rows_sql = "pg_catalog.current_setting('pgpart.rows')::bigint";
          sql += (started_id_ ? SettleAuditSql(conn_, *started_id_, record)
                              : AuditExecuteSql(conn_, record)) +
                 ";\n";
        }
        sql += "COMMIT";
        if (counts) sql += "; SELECT pg_catalog.current_setting('pgpart.rows')::bigint";
        pqxx::nontransaction nt(conn_);
        try {
          pqxx::result r = nt.exec(sql);
          if (counts) *audit_rows = r[0][0].as<int64_t>();
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
          result.per_statement.push_back(r.affected_rows());
        }
        if (audit_rows != nullptr && options_.audit) {
          if (unit.size() > 1) {  // create + drain: one row each, the drain's with rows moved
            InsertAudit(tx, Record(*unit[0], std::nullopt, "applied", ""));
            InsertAudit(tx, Record(*unit[1], result.affected, "applied", ""));
            // ... and the retirement of the partition they filled: those rows
            if (unit.size() > 2) InsertAudit(tx, Record(*unit[2], result.affected, "applied", ""));
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

}  // namespace pgpart::executor_internal
