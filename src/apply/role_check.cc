#include "apply/role_check.h"

namespace pgpart {

std::string RoleMayNotApply(pqxx::connection_base& conn, const QualifiedName& table,
                            const Policy& policy, const std::vector<const Step*>& steps) {
  bool creates = false, gives_owner = false, archives = false;
  for (const Step* s : steps) {
    if (s->status != StepStatus::kPlanned) continue;
    creates = creates || s->action == Action::kCreate || s->action == Action::kCreateDefault;
    archives = archives || s->action == Action::kArchive;
    for (const Statement& st : s->statements) {
      gives_owner = gives_owner || st.sql.find(" OWNER TO ") != std::string::npos;
    }
  }
  const std::string archive_schema =
      policy.retention ? policy.retention->archive_schema : std::string();
  // Prepared once per connection: apply asks this for every table (issue 16).
  conn.prepare("pgpart_role_check", R"SQL(
SELECT quote_ident(current_user), quote_ident(pg_get_userbyid(c.relowner)),
       quote_ident(n.nspname), pg_has_role(c.relowner, 'USAGE'),
       has_schema_privilege(n.oid, 'CREATE'),
       has_schema_privilege(c.relowner, n.oid, 'CREATE'),
       (SELECT has_schema_privilege(a.oid, 'CREATE') FROM pg_namespace a WHERE a.nspname = $2),
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = $1::regclass
)SQL");
  pqxx::nontransaction nt(conn);
  pqxx::row r = nt.exec_prepared1("pgpart_role_check", table.Sql(), archive_schema);
  const std::string role = r[0].as<std::string>();
  const std::string owner = r[1].as<std::string>();
  const std::string schema = r[2].as<std::string>();
  if (!r[3].as<bool>()) {
    return "role " + role + " may not change " + table.Sql() + ": only its owner " + owner +
           " and members of " + owner + " may (GRANT " + owner + " TO " + role + ")";
  }
  if (creates && !r[4].as<bool>()) {
    return "role " + role + " may not create partitions of " + table.Sql() +
           ": missing CREATE on schema " + schema + " (GRANT CREATE ON SCHEMA " + schema + " TO " +
           owner + ")";
  }
  // (a superuser may give a table to a role without CREATE on its schema)
  if (gives_owner && !r[5].as<bool>() && !r[7].as<bool>(false)) {
    return "the owner " + owner + " may not own new partitions of " + table.Sql() +
           ": missing CREATE on schema " + schema + " (GRANT CREATE ON SCHEMA " + schema + " TO " +
           owner + ", or privileges: none in the policy)";
  }
  if (archives && !r[6].is_null() && !r[6].as<bool>()) {
    const std::string archive = QuoteIdent(archive_schema);
    return "role " + role + " may not move partitions of " + table.Sql() + " into " + archive +
           ": missing CREATE on schema " + archive + " (GRANT CREATE ON SCHEMA " + archive +
           " TO " + owner + ")";
  }
  return "";
}

}  // namespace pgpart
