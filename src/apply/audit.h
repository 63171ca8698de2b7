#pragma once
// The audit trail: table pgpart.history, one row per applied (or failed) step.

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/ident.h"

namespace pgpart {

struct AuditRecord {
  std::string actor;  // user@host, or the operator's pod
  std::string policy;
  QualifiedName table;
  QualifiedName partition;
  std::string action;           // ActionName
  std::optional<int64_t> rows;  // exact count for detach/drop/archive, moved rows for drains
  std::vector<std::string> statements;
  std::string outcome;  // "applied" | "failed" | "blocked"
  std::string error;    // empty unless failed/blocked
};

// Creates schema pgpart and table pgpart.history if missing. Safe when two appliers race (an
// advisory transaction lock serialises the DDL). Needs no open transaction on `conn`.
void EnsureAuditTable(pqxx::connection_base& conn);

// Inserts one row inside the caller's transaction (so it commits with the step it records).
void InsertAudit(pqxx::transaction_base& tx, const AuditRecord& record);

// The same INSERT as one SQL text with quoted literals (conn.quote), so that it can travel in
// the same message as the step's statements and COMMIT: one round trip for the whole group.
std::string AuditInsertSql(pqxx::connection_base& conn, const AuditRecord& record);

// "user@host" of this process.
std::string DefaultActor();

}  // namespace pgpart
