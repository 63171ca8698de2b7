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
  tx.exec("CREATE SCHEMA IF NOT EXISTS pgpart");
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
