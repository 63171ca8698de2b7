#include "apply/convert_rollback.h"

#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "catalog/convert.h"
#include "core/ident.h"
#include "plan/convert_sql.h"

namespace pgpart {
namespace {

// Swapped: the partitioned table has the name, the old one is kept with our marker.
RollbackPlan SwapBack(pqxx::work& tx, const ConvertNames& n, const Execution& e) {
  RollbackShape r;
  ConvertShape& s = r.shape;
  s.names = n;
  s.execution = e;
  const std::string old = n.old.Sql(), table = n.table.Sql();
  for (const pqxx::row& k : tx.exec_params(
           "SELECT a.attname::text FROM pg_constraint co, unnest(co.conkey) WITH ORDINALITY AS "
           "k(n, ord) JOIN pg_attribute a ON a.attnum = k.n WHERE co.conrelid = $1::regclass AND "
           "co.contype = 'p' AND a.attrelid = co.conrelid ORDER BY k.ord",
           old)) {
    s.row_key.push_back(k[0].as<std::string>());
  }
  // The back log records the row key and the partition key (plan/convert_sql.cc LogColumns).
  pqxx::row key = tx.exec_params1(
      "SELECT a.attname::text FROM pg_partitioned_table pt JOIN pg_attribute a ON a.attrelid = "
      "pt.partrelid AND a.attnum = pt.partattrs[0] WHERE pt.partrelid = $1::regclass",
      table);
  s.key_column = key[0].as<std::string>();
  for (const pqxx::row& c : tx.exec_params(
           "SELECT attname::text, format_type(atttypid, atttypmod), attgenerated <> '', "
           "attidentity::text FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 "
           "AND NOT attisdropped ORDER BY attnum",
           old)) {
    SourceColumn col;
    col.name = c[0].as<std::string>();
    col.type = c[1].as<std::string>();
    col.generated = c[2].as<bool>();
    const std::string identity = c[3].as<std::string>();
    col.identity = identity.empty() ? 0 : identity[0];
    s.columns.push_back(std::move(col));
  }
  for (const pqxx::row& q : tx.exec_params(
           "SELECT sn.nspname::text, sq.relname::text, a.attname::text FROM pg_depend d "
           "JOIN pg_class sq ON sq.oid = d.objid AND sq.relkind = 'S' "
           "JOIN pg_namespace sn ON sn.oid = sq.relnamespace "
           "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
           "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
           "AND d.refobjid = $1::regclass AND d.deptype = 'a' ORDER BY 2",
           table)) {
    s.sequences.push_back(OwnedSequence{{q[0].as<std::string>(), q[1].as<std::string>()},
                                        q[2].as<std::string>()});
  }
  tx.exec("SET LOCAL search_path = pg_catalog");
  for (const pqxx::row& v : tx.exec_params(
           "SELECT vn.nspname::text, v.relname::text, v.relkind::text, pg_get_viewdef(v.oid), "
           "coalesce(array_to_string(v.reloptions, ','), '') FROM (SELECT DISTINCT r.ev_class "
           "FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid WHERE d.classid = "
           "'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = "
           "to_regclass($1)) dv JOIN pg_class v ON v.oid = dv.ev_class JOIN pg_namespace vn ON "
           "vn.oid = v.relnamespace ORDER BY 1, 2",
           table)) {
    SourceObject view{{v[0].as<std::string>(), v[1].as<std::string>()}, "view",
                      v[3].is_null() ? "" : v[3].as<std::string>(), v[4].as<std::string>()};
    if (v[2].as<std::string>() != "v") {
      throw std::runtime_error(view.name.Sql() + " (a materialized view or rule) depends on " +
                               table + " and cannot be moved back; drop it first");
    }
    s.views.push_back(std::move(view));
  }
  tx.exec("RESET search_path");
  for (const pqxx::row& t : tx.exec_params(
           "SELECT tgname::text FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal "
           "AND tgenabled = 'O' AND tgname !~ '^pgpart_convert_' ORDER BY 1",
           old)) {
    r.enabled_triggers.push_back(t[0].as<std::string>());
  }
  const std::string was = kWasMarker;
  for (const pqxx::row& i : tx.exec_params(
           "SELECT ic.relname::text, obj_description(ic.oid, 'pg_class'), EXISTS (SELECT FROM "
           "pg_constraint co WHERE co.conindid = ic.oid AND co.conrelid = i.indrelid) FROM "
           "pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = $1::regclass "
           "AND obj_description(ic.oid, 'pg_class') LIKE 'pgpart:was %' ORDER BY 1",
           old)) {
    r.renames.push_back(RollbackShape::Rename{i[0].as<std::string>(),
                                              i[1].as<std::string>().substr(was.size()),
                                              i[2].as<bool>()});
  }
  pqxx::row c = tx.exec_params1("SELECT coalesce(obj_description($1::regclass, 'pg_class'), '')",
                                table);
  s.comment = c[0].as<std::string>();
  pqxx::row back = tx.exec_params1(
      "SELECT to_regclass($1) IS NOT NULL", n.back_log.Sql());
  if (!back[0].as<bool>()) {
    throw std::runtime_error(n.back_log.Sql() +
                             " is missing: the changes made since the swap were not recorded, "
                             "so swapping back would lose them");
  }
  std::string keys;
  for (const std::string& k : s.row_key) keys += (keys.empty() ? "" : ", ") + QuoteIdent(k);
  const int64_t changed = tx.exec("SELECT count(*) FROM (SELECT DISTINCT " + keys + " FROM " +
                                  n.back_log.Sql() + ") k")[0][0]
                              .as<int64_t>();
  RollbackPlan plan;
  plan.phase = "swapped";
  plan.statements = ConvertRollback(r);
  plan.summary.push_back("swaps " + n.old.Sql() + " back in as " + table + " with the " +
                         std::to_string(changed) +
                         " rows changed since the swap (recorded in " + n.back_log.Sql() + ")");
  plan.summary.push_back("drops the partitioned " + table + " and its partitions");
  plan.summary.push_back("remove spec.convert from the policy first, or the next apply "
                         "converts the table again");
  return plan;
}

}  // namespace

std::optional<RollbackPlan> PlanRollback(pqxx::connection_base& conn, const QualifiedName& table,
                                         const Execution& execution, std::string* error) {
  const ConvertNames n = NamesFor(table);
  try {
    pqxx::work tx(conn);
    pqxx::row r = tx.exec_params1(
        "SELECT (SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)), "
        "to_regclass($1)::oid, "
        "coalesce(obj_description(to_regclass($2), 'pg_class'), ''), "
        "coalesce(obj_description(to_regclass($3), 'pg_class'), '')",
        table.Sql(), n.fresh.Sql(), n.old.Sql());
    const std::string kind = r[0].is_null() ? "" : r[0].as<std::string>();
    if (kind.empty()) {
      *error = "table " + table.Sql() + " does not exist";
      return std::nullopt;
    }
    std::optional<RollbackPlan> plan;
    const std::string converted = std::string(kConvertedMarker) + table.Sql();
    const std::string old_comment = r[3].as<std::string>();
    if (kind == "p" && (old_comment == converted ||
                        old_comment.rfind(converted + kSwappedAt, 0) == 0)) {
      plan = SwapBack(tx, n, execution);
    } else if (kind == "r" &&
               r[2].as<std::string>().rfind(std::string(kConvertMarker) + table.Sql() + " oid " +
                                                r[1].as<std::string>() + " ",
                                            0) == 0) {
      plan = RollbackPlan{"copying",
                          {"drops " + n.fresh.Sql() + " (the partitioned copy, with its "
                           "partitions), the change log " + n.log.Sql() +
                           " and the triggers that fill it; " + table.Sql() +
                           " itself is not touched"},
                          ConvertAbort(n, execution)};
    } else {
      *error = "there is no conversion of " + table.Sql() +
               " to roll back (no partitioned copy in progress, no " + n.old.Sql() +
               " swapped out by pgpart)";
      return std::nullopt;
    }
    tx.abort();
    return plan;
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

std::string RunRollback(pqxx::connection_base& conn, const RollbackPlan& plan, int retries,
                        const std::function<void(const std::string&)>& progress) {
  if (plan.statements.empty()) return "nothing to run";
  const Statement& s0 = plan.statements.front();
  for (int attempt = 0;; ++attempt) {
    try {
      pqxx::work tx(conn);
      tx.exec("SET LOCAL lock_timeout = " + std::to_string(s0.lock_timeout_ms));
      tx.exec("SET LOCAL statement_timeout = " + std::to_string(s0.statement_timeout_ms));
      for (const Statement& st : plan.statements) tx.exec(st.sql);
      tx.commit();
      return "";
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() != "55P03" || attempt >= retries) return e.what();
      const int64_t delay = std::min<int64_t>(1000, 100LL << std::min(attempt, 10));
      if (progress) progress("  lock not obtained, retrying in " + std::to_string(delay) + " ms");
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    } catch (const std::exception& e) {
      return e.what();
    }
  }
}

}  // namespace pgpart
