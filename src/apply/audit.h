#pragma once
// The audit trail: table pgpart.history (or the table --audit-table names), one row per applied
// (or failed, blocked) step.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/ident.h"
#include "plan/plan.h"

namespace pgpart {

// pgpart.history: where the audit trail lives unless --audit-table names another table.
QualifiedName DefaultAuditTable();

struct AuditRecord {
  QualifiedName audit_table = DefaultAuditTable();  // the table the row goes to
  std::string actor;  // user@host, or the operator's pod
  std::string policy;
  QualifiedName table;
  QualifiedName partition;
  std::string action;           // ActionName
  std::optional<int64_t> rows;  // exact count for detach/drop/archive, moved rows for drains
  std::string rows_sql;         // when set, an SQL expression for `rows`, computed by the server
  std::vector<std::string> statements;
  // "applied" | "failed" | "blocked" | "held"; "started" while a statement that runs outside a
  // transaction (DETACH ... CONCURRENTLY) is under way, then settled in place; "interrupted"
  // when a later run found the apply that started it gone and the step not done.
  std::string outcome;
  std::string error;  // why failed/blocked/interrupted; for a step the server completed after
                      // its apply was interrupted, says so
  // What a step that passed a check was allowed on (a drop's backup gate: which backup, which
  // WAL segment). Written only when the table has the column (AuditTableInfo::evidence).
  std::string evidence;
  bool with_evidence = true;
};

// What the audit table has. Tables made by older versions (or by a DBA from older docs) lack the
// newer columns: `db_role` (the database role, DEFAULT current_user) and `evidence`. The table's
// owner adds them; other roles write without them.
struct AuditTableInfo {
  bool evidence = true;
};

// Creates the audit table's schema and the table if missing (no DDL when they exist), and (when
// the role owns the table) the two indexes `status` reads it by. Before any DDL or write it checks
// that the role may: a missing privilege throws AuditAccessError naming the grant (and the role),
// e.g. "GRANT CREATE ON DATABASE app TO app_owner", "GRANT INSERT, UPDATE ON pgpart.history TO
// app_owner". Safe when two appliers race (an advisory transaction lock serialises the DDL).
// Needs no open transaction on `conn`.
struct AuditAccessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
AuditTableInfo EnsureAuditTable(pqxx::connection_base& conn,
                                const QualifiedName& audit_table = DefaultAuditTable());

// The row of `step` (policy, table, partition, action, statements) with that outcome and reason.
AuditRecord StepAuditRecord(const Step& step, const std::string& actor, const std::string& outcome,
                            const std::string& error);

// Inserts `records` into `audit_table` in one transaction, EnsureAuditTable first (each record's
// audit_table and with_evidence are set from it). Throws on a database error.
void InsertAuditRecords(pqxx::connection_base& conn, std::vector<AuditRecord> records,
                        const QualifiedName& audit_table);

// Inserts one row inside the caller's transaction (so it commits with the step it records).
void InsertAudit(pqxx::transaction_base& tx, const AuditRecord& record);

// The same INSERT as one SQL text with quoted literals (conn.quote), so that it can travel in
// the same message as the step's statements and COMMIT: one round trip for the whole group.
std::string AuditInsertSql(pqxx::connection_base& conn, const AuditRecord& record);

// The same INSERT as `EXECUTE <prepared>(...)`: prepared once per connection, so that the
// statement a step's message carries is not parsed and planned again for every step (issue 16).
std::string AuditExecuteSql(pqxx::connection_base& conn, const AuditRecord& record);

// Inserts a row in its own transaction and returns its id (a "started" row, settled later with
// SettleAuditSql / SettleAudit).
int64_t InsertAuditReturningId(pqxx::connection_base& conn, const AuditRecord& record);

// UPDATE of row `id` to the record's outcome, rows and error, `at` = now(): one row per step even
// when the step was recorded as started first. SettleAudit runs it in the caller's transaction.
std::string SettleAuditSql(pqxx::connection_base& conn, int64_t id, const AuditRecord& record);
void SettleAudit(pqxx::transaction_base& tx, int64_t id, const AuditRecord& record);

// Settles the "started" rows that an interrupted apply left (killed while PostgreSQL was still
// running its DETACH ... CONCURRENTLY, which the server may complete on its own): a detach or
// archive whose partition is no longer attached becomes "applied" (with a note saying a later
// run recorded it); anything else becomes "interrupted" (a pending detach is finalized by a later
// step, which records itself). Rows of a table whose apply is still running (its advisory lock
// is held) are left alone. Returns one line per settled row, for the log. Needs no open
// transaction on `conn`; does nothing when pgpart.history does not exist.
std::vector<std::string> SettleInterruptedSteps(
    pqxx::connection_base& conn, const QualifiedName& audit_table = DefaultAuditTable());

// The advisory lock space of the per-parent apply lock: pg_try_advisory_lock(space, parent oid).
constexpr int32_t kApplyLockSpace = 0x70677074;  // "pgpt"

// "user@host" of this process.
std::string DefaultActor();

}  // namespace pgpart
