#include "apply/lock_holders.h"

#include "core/diagnostic.h"

namespace pgpart {

LockHolders DescribeLockHolders(pqxx::connection_base& conn, const QualifiedName& parent,
                                const QualifiedName& partition) {
  try {
    pqxx::nontransaction nt(conn);
    // pg_stat_activity shows other roles' state and times only to pg_read_all_stats members:
    // what is hidden is left out of the description.
    pqxx::result r = nt.exec_params(R"SQL(
SELECT l.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),
       coalesce(a.state, ''),
       coalesce(to_char(coalesce(a.xact_start, a.query_start) AT TIME ZONE 'UTC',
                        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       string_agg(DISTINCT l.mode || ' on ' || l.relation::regclass::text, ', '),
       bool_or(l.relation IS DISTINCT FROM to_regclass($2))
  FROM pg_catalog.pg_locks l
  LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
   AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
   AND (l.relation IN (to_regclass($1), to_regclass($2))
        OR l.relation IN (SELECT i.inhrelid FROM pg_catalog.pg_inherits i
                           WHERE i.inhparent = to_regclass($1)))
 GROUP BY 1, 2, 3, 4, 5, a.xact_start, a.query_start
 ORDER BY coalesce(a.xact_start, a.query_start) NULLS LAST, 1
 LIMIT 3)SQL",
                                    parent.Sql(), partition.Sql());
    LockHolders out;
    for (const pqxx::row& row : r) {
      std::string one = "pid " + row[0].as<std::string>() + " (";
      std::string app = row[1].as<std::string>();
      std::string user = row[2].as<std::string>();
      std::string state = row[3].as<std::string>();
      std::string since = row[4].as<std::string>();
      std::vector<std::string> parts;
      if (!app.empty()) parts.push_back("application_name '" + app + "'");
      if (!user.empty()) parts.push_back("user " + user);
      if (!state.empty()) parts.push_back(state + (since.empty() ? "" : " since " + since));
      parts.push_back(row[5].as<std::string>());
      for (size_t i = 0; i < parts.size(); ++i) one += (i > 0 ? ", " : "") + parts[i];
      one += ")";
      out.text += (out.text.empty() ? "" : "; ") + one;
      out.shared = out.shared || row[6].as<bool>();
    }
    out.text = OneLine(out.text);
    return out;
  } catch (const std::exception&) {
    return LockHolders{};
  }
}

}  // namespace pgpart
