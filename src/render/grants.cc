#include <set>
#include <sstream>

#include "render/grants_render.h"

namespace pgpart {

std::string RoleKindName(RoleKind kind) {
  switch (kind) {
    case RoleKind::kReader:
      return "reader";
    case RoleKind::kOwner:
      return "owner";
    case RoleKind::kMaintenance:
      return "maintenance";
    case RoleKind::kOperator:
      return "operator";
  }
  return "";
}

namespace {

void AuditTable(std::ostringstream& out, const QualifiedName& audit) {
  const std::string schema = QuoteIdent(audit.schema);
  out << "-- The audit table (apply records every step there; status and report read it back).\n"
      << "-- Made here, by the DBA, so that no pgpart role needs CREATE on the database.\n"
      << "CREATE SCHEMA IF NOT EXISTS " << schema << ";\n"
      << "CREATE TABLE IF NOT EXISTS " << audit.Sql() << " (\n"
      << "  id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), actor text NOT NULL,\n"
      << "  policy text NOT NULL, table_name text NOT NULL, partition text NOT NULL,\n"
      << "  action text NOT NULL, rows bigint, statements text[] NOT NULL, outcome text NOT NULL,\n"
      << "  error text, db_role text DEFAULT current_user, evidence text);\n"
      << "CREATE INDEX IF NOT EXISTS " << QuoteIdent(audit.name + "_step_idx") << " ON "
      << audit.Sql() << " (table_name, partition, action, id);\n"
      << "CREATE INDEX IF NOT EXISTS " << QuoteIdent(audit.name + "_unsettled_idx") << " ON "
      << audit.Sql() << " (table_name) WHERE outcome <> 'applied';\n";
}

}  // namespace

std::string RenderGrants(const std::vector<Policy>& policies, const GrantsRequest& request) {
  std::set<QualifiedName> tables;
  std::set<std::string> schemas, archive_schemas;
  for (const Policy& p : policies) {
    for (const QualifiedName& t : p.tables) {
      tables.insert(t);
      schemas.insert(t.schema);
    }
    if (p.retention && p.retention->action == RetentionAction::kArchive) {
      archive_schemas.insert(p.retention->archive_schema);
    }
  }
  const std::string role = QuoteIdent(request.role);
  const std::string owner = QuoteIdent(request.owner);
  const QualifiedName& audit = request.audit_table;
  std::ostringstream out;
  out << "-- pgpart grants --kind " << RoleKindName(request.kind) << " --role " << request.role;
  if (!request.owner.empty()) out << " --owner " << request.owner;
  out << "\n-- for " << tables.size() << " table(s) of " << policies.size()
      << " policies. Run as a superuser or the tables' owner; safe to run again.\n";
  if (request.kind == RoleKind::kReader) {
    out << "-- " << request.role << ": snapshot, plan, status and report; it writes nothing.\n"
        << "-- It reads the default partitions' rows and integer keys' max(key) through the\n"
        << "-- partitions, which get the parent's grants (policy privileges: inherit): new ones\n"
        << "-- when created, older ones at the next apply (inherit_privileges steps).\n\n";
  } else if (request.kind == RoleKind::kOwner) {
    out << "-- " << request.role << " owns the tables (if it does not yet: ALTER TABLE ... OWNER TO "
        << request.role << ";) and applies: it creates partitions, detaches and drops them.\n\n";
  } else {
    out << "-- " << request.role << " acts as the tables' owner " << request.owner
        << " through membership: it creates,\n-- detaches and drops partitions and gives new "
           "ones to "
        << request.owner << " (ALTER TABLE ... OWNER TO).\n";
    if (request.kind == RoleKind::kOperator) {
      out << "-- The operator connects as " << request.role
          << ": its DSN goes into the Secret that each policy's\n-- spec.databaseRef names.\n";
    }
    out << "\n";
  }
  AuditTable(out, audit);
  out << "\n";
  const std::string audit_schema = QuoteIdent(audit.schema);
  const std::string sequence = QualifiedName{audit.schema, audit.name + "_id_seq"}.Sql();
  if (request.kind == RoleKind::kReader) {
    for (const std::string& s : schemas) {
      out << "GRANT USAGE ON SCHEMA " << QuoteIdent(s) << " TO " << role << ";\n";
    }
    for (const QualifiedName& t : tables) {
      out << "GRANT SELECT ON TABLE " << t.Sql() << " TO " << role << ";\n";
    }
    out << "GRANT USAGE ON SCHEMA " << audit_schema << " TO " << role << ";\n"
        << "GRANT SELECT ON TABLE " << audit.Sql() << " TO " << role << ";\n";
    return out.str();
  }
  // Partitions are created in the parent's schema (and moved to an archive schema) by the
  // owner, or by a member acting as it; the owner needs CREATE there in both cases (a table's
  // new owner must have CREATE on its schema).
  const std::string grantee = request.kind == RoleKind::kOwner ? role : owner;
  if (request.kind != RoleKind::kOwner) {
    out << "GRANT " << owner << " TO " << role << ";\n";
  }
  for (const std::string& s : schemas) {
    out << "GRANT USAGE, CREATE ON SCHEMA " << QuoteIdent(s) << " TO " << grantee << ";\n";
  }
  for (const std::string& s : archive_schemas) {
    out << "CREATE SCHEMA IF NOT EXISTS " << QuoteIdent(s) << ";\n"
        << "GRANT USAGE, CREATE ON SCHEMA " << QuoteIdent(s) << " TO " << grantee << ";\n";
  }
  out << "GRANT USAGE ON SCHEMA " << audit_schema << " TO " << role << ";\n"
      << "GRANT SELECT, INSERT, UPDATE ON TABLE " << audit.Sql() << " TO " << role << ";\n"
      << "GRANT USAGE ON SEQUENCE " << sequence << " TO " << role << ";\n";
  return out.str();
}

}  // namespace pgpart
