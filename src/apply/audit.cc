#include "apply/audit.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/json_text.h"

namespace pgpart {
namespace {

// pg_advisory_xact_lock key that serialises pgpart's own DDL on its schema.
constexpr int64_t kSchemaLockKey = 0x7067706172740001LL;  // "pgpart" + 1

}  // namespace

void EnsureAuditTable(pqxx::connection_base& conn) {
  pqxx::work tx(conn);
  tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kSchemaLockKey) + ")");
  // DDL only for what is missing: CREATE SCHEMA IF NOT EXISTS asks for CREATE on the database even
  // when the schema exists, so a table owner without it could not apply into a pgpart.history a
  // DBA made for it. (Looked up in the catalogs: to_regclass needs USAGE on the schema.)
  pqxx::row have = tx.exec1(
      "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'pgpart'), "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
      "ON n.oid = c.relnamespace WHERE n.nspname = 'pgpart' AND c.relname = 'history')");
  if (!have[0].as<bool>()) tx.exec("CREATE SCHEMA IF NOT EXISTS pgpart");
  if (!have[1].as<bool>()) {
    tx.exec(R"SQL(
CREATE TABLE IF NOT EXISTS pgpart.history (
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
  error       text
))SQL");
  }
  // What `status` reads back (the latest outcome of each step, when not applied) stays cheap as
  // the history grows: the unsettled rows, then a probe for a later row of the same step. Created
  // only when missing (CREATE INDEX IF NOT EXISTS would take a SHARE lock on every apply) and by
  // the table's owner (a role that may only insert leaves them to the owner's next apply).
  pqxx::row missing = tx.exec1(
      "SELECT to_regclass('pgpart.history_step_idx') IS NULL, "
      "to_regclass('pgpart.history_unsettled_idx') IS NULL, pg_has_role(relowner, 'USAGE') "
      "FROM pg_class WHERE oid = 'pgpart.history'::regclass");
  if (missing[2].as<bool>()) {
    if (missing[0].as<bool>()) {
      tx.exec(
          "CREATE INDEX history_step_idx ON pgpart.history (table_name, partition, action, id)");
    }
    if (missing[1].as<bool>()) {
      tx.exec(
          "CREATE INDEX history_unsettled_idx ON pgpart.history (table_name) "
          "WHERE outcome <> 'applied'");
    }
  }
  tx.commit();
}

void InsertAudit(pqxx::transaction_base& tx, const AuditRecord& r) {
  // statements travel as a JSON array and become text[] server-side: no array quoting by hand.
  const std::string statements = JsonText(nlohmann::json(r.statements));
  tx.exec_params(
      "INSERT INTO pgpart.history (actor, policy, table_name, partition, action, rows, "
      "statements, outcome, error) VALUES ($1, $2, $3, $4, $5, $6, "
      "ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), $8, nullif($9, ''))",
      r.actor, r.policy, r.table.Sql(), r.partition.Sql(), r.action, r.rows, statements, r.outcome,
      r.error);
}

std::string AuditInsertSql(pqxx::connection_base& conn, const AuditRecord& r) {
  std::string statements = "ARRAY[";
  for (size_t i = 0; i < r.statements.size(); ++i) {
    statements += (i > 0 ? ", " : "") + conn.quote(r.statements[i]);
  }
  statements += "]::text[]";
  return "INSERT INTO pgpart.history (actor, policy, table_name, partition, action, rows, "
         "statements, outcome, error) VALUES (" +
         conn.quote(r.actor) + ", " + conn.quote(r.policy) + ", " + conn.quote(r.table.Sql()) +
         ", " + conn.quote(r.partition.Sql()) + ", " + conn.quote(r.action) + ", " +
         (r.rows ? std::to_string(*r.rows) : "NULL") + ", " + statements + ", " +
         conn.quote(r.outcome) + ", " + (r.error.empty() ? "NULL" : conn.quote(r.error)) + ")";
}

int64_t InsertAuditReturningId(pqxx::connection_base& conn, const AuditRecord& r) {
  pqxx::work tx(conn);
  const int64_t id = tx.exec(AuditInsertSql(conn, r) + " RETURNING id")[0][0].as<int64_t>();
  tx.commit();
  return id;
}

std::string SettleAuditSql(pqxx::connection_base& conn, int64_t id, const AuditRecord& r) {
  return "UPDATE pgpart.history SET at = now(), rows = " +
         (r.rows ? std::to_string(*r.rows) : std::string("rows")) +
         ", outcome = " + conn.quote(r.outcome) +
         ", error = " + (r.error.empty() ? "NULL" : conn.quote(r.error)) +
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

std::vector<std::string> SettleInterruptedSteps(pqxx::connection_base& conn) {
  std::vector<std::string> settled;
  pqxx::nontransaction nt(conn);
  if (nt.exec("SELECT to_regclass('pgpart.history') IS NULL")[0][0].as<bool>()) return settled;
  pqxx::result started = nt.exec(
      "SELECT id, table_name, partition, action, coalesce(error, '') FROM pgpart.history "
      "WHERE outcome = 'started' ORDER BY id");
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
        "UPDATE pgpart.history SET outcome = $2, error = $3 WHERE id = $1 AND outcome = 'started'",
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
