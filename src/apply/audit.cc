#include "apply/audit.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/json_text.h"

namespace pgpart {
namespace {

// pg_advisory_xact_lock key that serialises pgpart's own DDL on its schema.
constexpr int64_t kSchemaLockKey = 0x7067706172740001LL;  // "pgpart" + 1

}  // namespace

QualifiedName DefaultAuditTable() { return QualifiedName{"pgpart", "history"}; }

namespace {

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i > 0 ? ", " : "") + parts[i];
  return out;
}

}  // namespace

AuditTableInfo EnsureAuditTable(pqxx::connection_base& conn, const QualifiedName& audit_table) {
  const std::string table = audit_table.Sql();
  const std::string schema = QuoteIdent(audit_table.schema);
  pqxx::work tx(conn);
  tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kSchemaLockKey) + ")");
  // DDL only for what is missing: CREATE SCHEMA IF NOT EXISTS asks for CREATE on the database even
  // when the schema exists, so a table owner without it could not apply into a history a DBA made
  // for it. Looked up in the catalogs (to_regclass needs USAGE on the schema), with what the role
  // may do there, so that a refusal names the grant instead of failing half-way.
  pqxx::row have = tx.exec_params1(R"SQL(
SELECT current_user, current_database(), n.oid IS NOT NULL, c.oid IS NOT NULL,
       has_database_privilege(current_database(), 'CREATE'),
       n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'CREATE'),
       n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'USAGE'),
       c.oid IS NOT NULL AND has_table_privilege(c.oid, 'SELECT'),
       c.oid IS NOT NULL AND has_table_privilege(c.oid, 'INSERT'),
       c.oid IS NOT NULL AND has_table_privilege(c.oid, 'UPDATE'),
       (SELECT quote_ident(sn.nspname) || '.' || quote_ident(s.relname)
          FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid
          JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
         WHERE d.refobjid = c.oid AND d.classid = 'pg_class'::regclass AND s.relkind = 'S'
           AND d.deptype IN ('a', 'i')
           -- CASE: has_sequence_privilege must not see the table's other dependents
           AND CASE WHEN s.relkind = 'S' THEN NOT has_sequence_privilege(s.oid, 'USAGE') END
         LIMIT 1)
  FROM (SELECT $1::text AS nspname, $2::text AS relname) w
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = w.nspname
  LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.relname
)SQL",
                                   audit_table.schema, audit_table.name);
  const std::string role = QuoteIdent(have[0].as<std::string>());
  const std::string database = QuoteIdent(have[1].as<std::string>());
  const bool schema_exists = have[2].as<bool>();
  const bool table_exists = have[3].as<bool>();
  const std::string dba_hint =
      ", or have a DBA create it beforehand (docs/permissions.md has the SQL)";
  if (!schema_exists && !have[4].as<bool>()) {
    throw AuditAccessError("the audit table " + table + " does not exist and role " + role +
                           " may not create its schema: missing CREATE on database " + database +
                           " (GRANT CREATE ON DATABASE " + database + " TO " + role + dba_hint +
                           ")");
  }
  if (schema_exists && !have[6].as<bool>()) {
    throw AuditAccessError("role " + role + " may not use the audit table's schema " + schema +
                           ": missing USAGE on schema " + schema + " (GRANT USAGE ON SCHEMA " +
                           schema + " TO " + role + ")");
  }
  if (schema_exists && !table_exists && !have[5].as<bool>()) {
    throw AuditAccessError("the audit table " + table + " does not exist and role " + role +
                           " may not create it: missing CREATE on schema " + schema +
                           " (GRANT CREATE ON SCHEMA " + schema + " TO " + role + dba_hint + ")");
  }
  if (table_exists) {
    std::vector<std::string> missing;  // what writing and settling its rows takes
    if (!have[7].as<bool>()) missing.push_back("SELECT");
    if (!have[8].as<bool>()) missing.push_back("INSERT");
    if (!have[9].as<bool>()) missing.push_back("UPDATE");
    std::vector<std::string> grants;
    if (!missing.empty()) {
      grants.push_back("GRANT " + Join(missing) + " ON " + table + " TO " + role);
    }
    if (!have[10].is_null()) {
      missing.push_back("USAGE on sequence " + have[10].as<std::string>());
      grants.push_back("GRANT USAGE ON SEQUENCE " + have[10].as<std::string>() + " TO " + role);
    }
    if (!missing.empty()) {
      throw AuditAccessError("role " + role + " may not write the audit table " + table +
                             ": missing " + Join(missing) + " (" + Join(grants) + ")");
    }
  }
  if (!schema_exists) tx.exec("CREATE SCHEMA IF NOT EXISTS " + schema);
  if (!table_exists) {
    tx.exec("CREATE TABLE IF NOT EXISTS " + table + R"SQL( (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  policy      text NOT NULL,
  table_name  text NOT NULL,
  partition   text NOT NULL,
  action      text NOT NULL,
  rows        bigint,
  statements  text[] NOT NULL,
  outcome     text NOT NULL,
  error       text,
  db_role     text DEFAULT current_user,
  evidence    text
))SQL");
  }
  // What `status` reads back (the latest outcome of each step, when not applied) stays cheap as
  // the history grows: the unsettled rows, then a probe for a later row of the same step. Created
  // only when missing (CREATE INDEX IF NOT EXISTS would take a SHARE lock on every apply) and by
  // the table's owner (a role that may only insert leaves them to the owner's next apply).
  const std::string step_idx = audit_table.name + "_step_idx";
  const std::string unsettled_idx = audit_table.name + "_unsettled_idx";
  pqxx::row missing = tx.exec_params1(
      "SELECT to_regclass($1) IS NULL, to_regclass($2) IS NULL, pg_has_role(relowner, 'USAGE'), "
      "NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c.oid AND attname = 'db_role' "
      "AND NOT attisdropped), "
      "NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c.oid AND attname = 'evidence' "
      "AND NOT attisdropped) "
      "FROM pg_class c WHERE oid = $3::regclass",
      QualifiedName{audit_table.schema, step_idx}.Sql(),
      QualifiedName{audit_table.schema, unsettled_idx}.Sql(), table);
  AuditTableInfo info;
  info.evidence = !missing[4].as<bool>();
  if (missing[2].as<bool>()) {
    // Columns of later versions, added by the table's owner (old rows keep NULL there).
    if (missing[3].as<bool>()) {
      tx.exec("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS db_role text");
      tx.exec("ALTER TABLE " + table + " ALTER COLUMN db_role SET DEFAULT current_user");
    }
    if (missing[4].as<bool>()) {
      tx.exec("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS evidence text");
      info.evidence = true;
    }
    if (missing[0].as<bool>()) {
      tx.exec("CREATE INDEX " + QuoteIdent(step_idx) + " ON " + table +
              " (table_name, partition, action, id)");
    }
    if (missing[1].as<bool>()) {
      tx.exec("CREATE INDEX " + QuoteIdent(unsettled_idx) + " ON " + table +
              " (table_name) WHERE outcome <> 'applied'");
    }
  }
  tx.commit();
  return info;
}

AuditRecord StepAuditRecord(const Step& step, const std::string& actor, const std::string& outcome,
                            const std::string& error) {
  AuditRecord a;
  a.actor = actor;
  a.policy = step.policy;
  a.table = step.table;
  a.partition = step.partition;
  a.action = ActionName(step.action);
  for (const Statement& st : step.statements) a.statements.push_back(st.sql);
  a.outcome = outcome;
  a.error = error;
  return a;
}

void InsertAuditRecords(pqxx::connection_base& conn, std::vector<AuditRecord> records,
                        const QualifiedName& audit_table) {
  if (records.empty()) return;
  const AuditTableInfo info = EnsureAuditTable(conn, audit_table);
  // All rows in one message (a row per table of the run: one round trip each cost ~0.1 ms).
  std::string sql;
  for (AuditRecord& r : records) {
    r.audit_table = audit_table;
    r.with_evidence = info.evidence;
    sql += AuditExecuteSql(conn, r) + ";\n";
  }
  pqxx::work tx(conn);
  tx.exec(sql);
  tx.commit();
}

void InsertAudit(pqxx::transaction_base& tx, const AuditRecord& r) {
  // statements travel as a JSON array and become text[] server-side: no array quoting by hand.
  const std::string statements = JsonText(nlohmann::json(r.statements));
  if (r.with_evidence) {
    tx.exec_params("INSERT INTO " + r.audit_table.Sql() +
                       " (actor, policy, table_name, partition, action, rows, "
                       "statements, outcome, error, evidence) VALUES ($1, $2, $3, $4, $5, $6, "
                       "ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), $8, nullif($9, ''), "
                       "nullif($10, ''))",
                   r.actor, r.policy, r.table.Sql(), r.partition.Sql(), r.action, r.rows,
                   statements, r.outcome, r.error, r.evidence);
    return;
  }
  tx.exec_params(
      "INSERT INTO " + r.audit_table.Sql() +
          " (actor, policy, table_name, partition, action, rows, "
          "statements, outcome, error) VALUES ($1, $2, $3, $4, $5, $6, "
      "ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), $8, nullif($9, ''))",
      r.actor, r.policy, r.table.Sql(), r.partition.Sql(), r.action, r.rows, statements, r.outcome,
      r.error);
}

namespace {

// The record's rows as SQL: the server's expression, the number, or `otherwise`.
std::string RowsSql(const AuditRecord& r, const std::string& otherwise) {
  if (!r.rows_sql.empty()) return "(" + r.rows_sql + ")";
  return r.rows ? std::to_string(*r.rows) : otherwise;
}

// "(actor, policy, ..., error[, evidence])": the columns a record fills, and their values as
// quoted literals (conn.quote) in the same order.
std::string AuditColumns(const AuditRecord& r) {
  return std::string("(actor, policy, table_name, partition, action, rows, statements, outcome, "
                     "error") +
         (r.with_evidence ? ", evidence)" : ")");
}

std::string AuditValues(pqxx::connection_base& conn, const AuditRecord& r) {
  std::string statements = "ARRAY[";
  for (size_t i = 0; i < r.statements.size(); ++i) {
    statements += (i > 0 ? ", " : "") + conn.quote(r.statements[i]);
  }
  statements += "]::text[]";
  const std::string evidence =
      !r.with_evidence ? "" : r.evidence.empty() ? ", NULL" : ", " + conn.quote(r.evidence);
  return "(" + conn.quote(r.actor) + ", " + conn.quote(r.policy) + ", " +
         conn.quote(r.table.Sql()) + ", " + conn.quote(r.partition.Sql()) + ", " +
         conn.quote(r.action) + ", " + RowsSql(r, "NULL") + ", " + statements + ", " +
         conn.quote(r.outcome) + ", " + (r.error.empty() ? "NULL" : conn.quote(r.error)) +
         evidence + ")";
}

}  // namespace

std::string AuditInsertSql(pqxx::connection_base& conn, const AuditRecord& r) {
  return "INSERT INTO " + r.audit_table.Sql() + " " + AuditColumns(r) + " VALUES " +
         AuditValues(conn, r);
}

std::string AuditExecuteSql(pqxx::connection_base& conn, const AuditRecord& r) {
  const std::string insert =
      "INSERT INTO " + r.audit_table.Sql() + " " + AuditColumns(r) +
      (r.with_evidence ? " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                       : " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
  // One name per text (libpqxx refuses a name redefined): the audit table and its columns.
  char name[40];
  std::snprintf(name, sizeof name, "pgpart_audit_%016zx", std::hash<std::string>{}(insert));
  conn.prepare(name, insert);
  conn.prepare_now(name);
  return std::string("EXECUTE ") + name + AuditValues(conn, r);
}

int64_t InsertAuditReturningId(pqxx::connection_base& conn, const AuditRecord& r) {
  pqxx::work tx(conn);
  const int64_t id = tx.exec(AuditInsertSql(conn, r) + " RETURNING id")[0][0].as<int64_t>();
  tx.commit();
  return id;
}

std::string SettleAuditSql(pqxx::connection_base& conn, int64_t id, const AuditRecord& r) {
  return "UPDATE " + r.audit_table.Sql() + " SET at = now(), rows = " + RowsSql(r, "rows") +
         ", outcome = " + conn.quote(r.outcome) +
         ", error = " + (r.error.empty() ? "NULL" : conn.quote(r.error)) +
         (r.with_evidence && !r.evidence.empty() ? ", evidence = " + conn.quote(r.evidence)
                                                  : std::string()) +
         " WHERE id = " + std::to_string(id);
}

void SettleAudit(pqxx::transaction_base& tx, int64_t id, const AuditRecord& r) {
  tx.exec(SettleAuditSql(tx.conn(), id, r));
}

namespace {

// The relation a started row's statement was detaching: "ALTER TABLE p DETACH PARTITION c
// CONCURRENTLY" (or FINALIZE) -> "c". "" when the note has another shape.
std::string DetachTarget(const std::string& note) {
  const std::string key = " DETACH PARTITION ";
  size_t at = note.rfind(key);
  if (at == std::string::npos) return "";
  std::string rest = note.substr(at + key.size());
  for (const std::string suffix : {" CONCURRENTLY", " FINALIZE"}) {
    if (rest.size() > suffix.size() &&
        rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return rest.substr(0, rest.size() - suffix.size());
    }
  }
  return "";
}

}  // namespace

std::vector<std::string> SettleInterruptedSteps(pqxx::connection_base& conn,
                                                const QualifiedName& audit_table) {
  std::vector<std::string> settled;
  const std::string audit = audit_table.Sql();
  pqxx::nontransaction nt(conn);
  if (nt.exec_params("SELECT to_regclass($1) IS NULL", audit)[0][0].as<bool>()) return settled;
  pqxx::result started = nt.exec(
      "SELECT id, table_name, partition, action, coalesce(error, '') FROM " + audit +
      " WHERE outcome = 'started' ORDER BY id");
  for (const pqxx::row& row : started) {
    const int64_t id = row[0].as<int64_t>();
    const std::string table = row[1].as<std::string>();
    const std::string partition = row[2].as<std::string>();
    const std::string action = row[3].as<std::string>();
    const std::string target = DetachTarget(row[4].as<std::string>());
    pqxx::result parent = nt.exec_params("SELECT to_regclass($1)::oid", table);
    const bool have_parent = !parent[0][0].is_null();
    if (have_parent && !nt.exec_params("SELECT pg_try_advisory_lock($1, $2::oid::int4)",
                                       kApplyLockSpace, parent[0][0].as<uint32_t>())[0][0]
                            .as<bool>()) {
      continue;  // an apply is working on that table right now: its row is not stale
    }
    pqxx::result state = nt.exec_params(
        "SELECT i.inhparent IS NOT NULL AND i.inhparent = to_regclass($2), "
        "coalesce(i.inhdetachpending, false) "
        "FROM (SELECT to_regclass($1) AS oid) c LEFT JOIN pg_catalog.pg_inherits i "
        "ON i.inhrelid = c.oid",
        target.empty() ? partition : target, table);
    const bool attached = state[0][0].as<bool>();
    const bool pending = state[0][1].as<bool>();
    std::string outcome = "interrupted";
    std::string note;
    if (attached && pending) {
      note = "the apply was interrupted during DETACH ... CONCURRENTLY; the partition was left "
             "detach-pending (a later finalize_detach step completes and records it)";
    } else if (attached) {
      note = "the apply was interrupted before the detach took effect";
    } else if (action == "drop") {
      note = "the apply was interrupted after the detach; the recovery drop step records the drop";
    } else {
      outcome = "applied";
      note = "completed by PostgreSQL after the apply that started it was interrupted; recorded "
             "by a later run";
    }
    nt.exec_params(
        "UPDATE " + audit + " SET outcome = $2, error = $3 WHERE id = $1 AND outcome = 'started'",
        id, outcome, note);
    if (have_parent) {
      nt.exec_params("SELECT pg_advisory_unlock($1, $2::oid::int4)", kApplyLockSpace,
                     parent[0][0].as<uint32_t>());
    }
    settled.push_back(action + " " + partition + ": " + outcome + " (" + note + ")");
  }
  return settled;
}

std::string DefaultActor() {
  std::string user;
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr) user = pw->pw_name;
  if (user.empty()) {
    const char* env = std::getenv("USER");
    user = env != nullptr ? env : "unknown";
  }
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return user + "@" + (host[0] != '\0' ? host : "localhost");
}

}  // namespace pgpart
