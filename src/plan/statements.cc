#include "plan/statements.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "catalog/catalog.h"

namespace pgpart {
namespace {

Statement Make(std::string sql, const Execution& e, bool transactional = true) {
  return Statement{std::move(sql), transactional, e.lock_timeout_ms, e.statement_timeout_ms};
}

}  // namespace

namespace {

// "fillfactor=70" -> "fillfactor = '70'"; "" when the name is not a plain parameter name (a
// snapshot is input: nothing but a name and a quoted literal reaches the SQL).
std::string StorageParameter(const std::string& option) {
  const size_t eq = option.find('=');
  if (eq == std::string::npos || eq == 0) return "";
  const std::string name = option.substr(0, eq);
  for (char ch : name) {
    if (!(std::islower(static_cast<unsigned char>(ch)) ||
          std::isdigit(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.')) {
      return "";
    }
  }
  return name + " = " + QuoteLiteral(option.substr(eq + 1));
}

}  // namespace

Statement CreateStandalone(const TableShape& t, const QualifiedName& child, const Execution& e) {
  // Not INCLUDING INDEXES: ATTACH builds or adopts the parent's partitioned indexes itself.
  std::string sql = "CREATE TABLE " + child.Sql() + " (LIKE " + t.parent.Sql() +
                    " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE"
                    " INCLUDING COMMENTS INCLUDING GENERATED)";
  if (const Child* tpl = t.storage_template; tpl != nullptr) {
    if (!tpl->access_method.empty() && tpl->access_method != "heap") {
      sql += " USING " + QuoteIdent(tpl->access_method);
    }
    std::string with;
    for (const std::string& option : tpl->reloptions) {
      const std::string p = StorageParameter(option);
      if (!p.empty()) with += (with.empty() ? "" : ", ") + p;
    }
    if (!with.empty()) sql += " WITH (" + with + ")";
  }
  return Make(sql, e);
}

std::vector<Statement> FromTemplate(const TableShape& t, const QualifiedName& child,
                                    const Execution& e) {
  std::vector<Statement> out;
  const Child* tpl = t.storage_template;
  if (tpl == nullptr) return out;
  for (const LocalIndex& index : tpl->local_indexes) {
    if (index.definition.find(';') != std::string::npos) continue;
    out.push_back(Make(std::string("CREATE ") + (index.unique ? "UNIQUE " : "") + "INDEX ON " +
                           child.Sql() + " USING " + index.definition,
                       e));
  }
  if (tpl->replica_identity == 'f' || tpl->replica_identity == 'n') {
    out.push_back(Make("ALTER TABLE " + child.Sql() + " REPLICA IDENTITY " +
                           (tpl->replica_identity == 'f' ? "FULL" : "NOTHING"),
                       e));
  }
  return out;
}

Statement AttachRange(const TableShape& t, const QualifiedName& child, const Bound& from,
                      const Bound& to, const Execution& e) {
  return Make("ALTER TABLE " + t.parent.Sql() + " ATTACH PARTITION " + child.Sql() +
                  " FOR VALUES FROM (" + BoundSqlLiteral(t.key_type, from) + ") TO (" +
                  BoundSqlLiteral(t.key_type, to) + ")",
              e);
}

Statement AttachHash(const TableShape& t, const QualifiedName& child, int modulus, int remainder,
                     const Execution& e) {
  return Make("ALTER TABLE " + t.parent.Sql() + " ATTACH PARTITION " + child.Sql() +
                  " FOR VALUES WITH (MODULUS " + std::to_string(modulus) + ", REMAINDER " +
                  std::to_string(remainder) + ")",
              e);
}

std::vector<Grant> MissingGrants(const std::vector<Grant>& parent_grants,
                                 const std::vector<Grant>& child_grants) {
  std::vector<Grant> out;
  for (const Grant& g : parent_grants) {
    if (!IsTablePrivilege(g.privilege)) continue;  // only what GRANT ... ON TABLE takes
    if (std::find(child_grants.begin(), child_grants.end(), g) == child_grants.end()) {
      out.push_back(g);
    }
  }
  return out;
}

std::vector<Statement> InheritPrivileges(const TableShape& t, const QualifiedName& child,
                                         const std::string& child_owner,
                                         const std::vector<Grant>& child_grants,
                                         const Execution& e) {
  std::vector<Statement> out;
  if (!t.inherit_privileges || t.owner.empty()) return out;
  if (child_owner != t.owner) {
    out.push_back(Make("ALTER TABLE " + child.Sql() + " OWNER TO " + QuoteIdent(t.owner), e));
  }
  // One GRANT per (grantee, grant option), privileges in the parent's (sorted) order.
  std::map<std::pair<std::string, bool>, std::string> missing;
  for (const Grant& g : MissingGrants(t.grants, child_grants)) {
    std::string& privileges = missing[{g.grantee, g.grantable}];
    privileges += (privileges.empty() ? "" : ", ") + g.privilege;
  }
  for (const auto& [who, privileges] : missing) {
    out.push_back(Make("GRANT " + privileges + " ON TABLE " + child.Sql() + " TO " +
                           (who.first.empty() ? std::string("PUBLIC") : QuoteIdent(who.first)) +
                           (who.second ? " WITH GRANT OPTION" : ""),
                       e));
  }
  return out;
}

Statement CreateDefault(const TableShape& t, const QualifiedName& name, const Execution& e) {
  return Make("CREATE TABLE " + name.Sql() + " PARTITION OF " + t.parent.Sql() + " DEFAULT", e);
}

Statement LockOutWriters(const TableShape& t, const Execution& e) {
  return Make("LOCK TABLE ONLY " + t.parent.Sql() + " IN SHARE ROW EXCLUSIVE MODE", e);
}

Statement DrainDefault(const TableShape& t, const QualifiedName& child, const Bound& from,
                       const Bound& to, const Execution& e) {
  const std::string key = QuoteIdent(t.key_column);
  std::string names;
  bool identity = false;
  for (const Column& c : t.columns) {
    if (c.generated) continue;
    names += (names.empty() ? "" : ", ") + QuoteIdent(c.name);
    identity = identity || c.identity_always;
  }
  return Make("WITH moved AS (DELETE FROM ONLY " + t.default_name.Sql() + " WHERE " + key +
                  " >= " + BoundSqlLiteral(t.key_type, from) + " AND " + key + " < " +
                  BoundSqlLiteral(t.key_type, to) + " RETURNING " + names + ") INSERT INTO " +
                  child.Sql() + " (" + names + ")" +
                  (identity ? " OVERRIDING SYSTEM VALUE" : "") + " SELECT " + names +
                  " FROM moved",
              e);
}

Statement Detach(const TableShape& t, const QualifiedName& child, const Execution& e) {
  if (t.has_default) {
    return Make("ALTER TABLE " + t.parent.Sql() + " DETACH PARTITION " + child.Sql(), e);
  }
  return Make(
      "ALTER TABLE " + t.parent.Sql() + " DETACH PARTITION " + child.Sql() + " CONCURRENTLY", e,
      /*transactional=*/false);
}

Statement FinalizeDetach(const TableShape& t, const QualifiedName& child, const Execution& e) {
  return Make("ALTER TABLE " + t.parent.Sql() + " DETACH PARTITION " + child.Sql() + " FINALIZE", e,
              /*transactional=*/false);
}

Statement DropTable(const QualifiedName& child, const Execution& e) {
  return Make("DROP TABLE " + child.Sql(), e);
}

Statement MarkForDrop(const QualifiedName& child, int64_t oid, const QualifiedName& parent,
                      const std::string& from, const std::string& to, const Execution& e) {
  std::string marker =
      std::string(kDropMarkerPrefix) + parent.Sql() + " [" + from + ", " + to + ")";
  if (oid != 0) marker += kDropMarkerOid + std::to_string(oid);
  return Make("COMMENT ON TABLE " + child.Sql() + " IS " + QuoteLiteral(marker), e);
}

Statement MarkDetached(const QualifiedName& child, int64_t oid, const QualifiedName& parent,
                       const std::string& from, const std::string& to, const Execution& e) {
  std::string marker =
      std::string(kDetachedMarkerPrefix) + parent.Sql() + " [" + from + ", " + to + ")";
  if (oid != 0) marker += kDropMarkerOid + std::to_string(oid);
  return Make("COMMENT ON TABLE " + child.Sql() + " IS " + QuoteLiteral(marker), e);
}

Statement MarkDetachedCreated(const QualifiedName& child, const QualifiedName& parent,
                              const std::string& from, const std::string& to, const Execution& e) {
  const std::string marker = std::string(kDetachedMarkerPrefix) + parent.Sql() + " [" + from +
                             ", " + to + ")" + kDropMarkerOid;
  const std::string table = QuoteLiteral(child.Sql()) + "::regclass";
  const std::string body = "BEGIN EXECUTE format('COMMENT ON TABLE %s IS %L', " + table + ", " +
                           QuoteLiteral(marker) + " || " + table + "::oid::text); END";
  // A dollar-quote tag the body does not contain (identifiers may hold '$').
  std::string tag = "$pgpart$";
  while (body.find(tag) != std::string::npos) tag.insert(tag.size() - 1, "_");
  return Make("DO " + tag + body + tag, e);
}

Statement CreateSchema(const std::string& schema, const Execution& e) {
  return Make("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(schema), e);
}

Statement SetSchema(const QualifiedName& child, const std::string& schema, const Execution& e) {
  return Make("ALTER TABLE " + child.Sql() + " SET SCHEMA " + QuoteIdent(schema), e);
}

}  // namespace pgpart
