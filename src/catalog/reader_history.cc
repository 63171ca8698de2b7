// The catalog reader's pgpart.history part: what earlier applies could not do (a backup gate
// that blocked a drop, a step that failed), so that `status` and `report` show it.

#include <algorithm>
#include <map>
#include <tuple>

#include "catalog/reader_internal.h"

namespace pgpart::reader_internal {

void CatalogReader::ReadHistory(Tx& tx) {
  // By the catalogs, not to_regclass: naming a table in a schema the role has no USAGE on is an
  // error even for to_regclass, and an error would end the read-only transaction.
  const QualifiedName& audit = options_.history_table;
  pqxx::result access = ExecParams(tx, R"SQL(
SELECT has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
  FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid
 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
)SQL",
                                   audit.schema, audit.name);
  if (access.empty()) {  // nothing was ever applied with the audit trail on
    history_ = HistoryState::kRead;
    return;
  }
  if (!access[0][0].as<bool>()) {
    history_ = HistoryState::kUnreadable;
    return;
  }
  std::map<std::string, Table*> by_sql;  // table_name as apply records it: QualifiedName::Sql()
  std::vector<std::string> names;
  for (Work& w : work_) {
    if (!w.table.exists || !w.table.partitioned) continue;
    if (by_sql.emplace(w.table.name.Sql(), &w.table).second) names.push_back(w.table.name.Sql());
  }
  history_ = HistoryState::kRead;
  if (names.empty()) return;
  // The rows that did not apply and have no later row for the same step (by id: the insertion
  // order; `at` is the transaction's start). Apply's indexes (EnsureAuditTable) make this read
  // the unsettled rows only, however long the history grows. Then, in the same round trip, each
  // table's latest run row (action 'apply', partition = the table: apply/runs.h), by the
  // (table_name, partition, action, id) index, and the tables no policy manages any more.
  pqxx::result r = ExecParams(tx, R"SQL(
SELECT h.table_name, h.partition, h.action, h.outcome, coalesce(h.error, ''),
       (extract(epoch FROM h.at) * 1000000)::bigint
  FROM )SQL" + audit.Sql() + R"SQL( h
 WHERE h.table_name = ANY($1::text[]) AND h.outcome <> 'applied' AND h.action <> 'apply'
   -- what went wrong; not 'held' (a hold is no failure) nor 'started' (an apply under way)
   AND h.outcome IN ('blocked', 'failed', 'interrupted')
   AND NOT EXISTS (SELECT 1 FROM )SQL" + audit.Sql() + R"SQL( l
                    WHERE l.table_name = h.table_name AND l.partition = h.partition
                      AND l.action = h.action AND l.id > h.id)
UNION ALL
SELECT t.name, t.name, 'apply', run.outcome, coalesce(run.error, ''),
       (extract(epoch FROM run.at) * 1000000)::bigint
  FROM unnest($1::text[]) AS t(name)
 CROSS JOIN LATERAL (SELECT l.outcome, l.error, l.at FROM )SQL" + audit.Sql() + R"SQL( l
                      WHERE l.table_name = t.name AND l.partition = t.name
                        AND l.action = 'apply'
                      ORDER BY l.id DESC LIMIT 1) run
UNION ALL
-- When each partition of these tables was last detached or archived for keeping (the "since" of
-- the leftovers Table::detached lists): the latest applied row per step, by the step index.
(SELECT DISTINCT ON (h.table_name, h.partition) h.table_name, h.partition, '~detached', h.action,
       '', (extract(epoch FROM h.at) * 1000000)::bigint
  FROM )SQL" + audit.Sql() + R"SQL( h
 WHERE h.table_name = ANY($1::text[]) AND h.action IN ('detach', 'archive')
   AND h.outcome = 'applied'
 ORDER BY h.table_name, h.partition, h.id DESC)
UNION ALL
-- Partitioned tables pgpart once managed that no requested policy names (one row each, action
-- '~unmanaged'): the history's distinct table names by a loose index scan over the step index,
-- matched to the live partitioned tables by their quoted names (as apply records them).
SELECT d.n, n.nspname::text, '~unmanaged', c.relname::text, '', 0::bigint
  FROM (WITH RECURSIVE t(n) AS (
          SELECT min(table_name) FROM )SQL" + audit.Sql() + R"SQL(
          UNION ALL
          SELECT (SELECT min(table_name) FROM )SQL" + audit.Sql() + R"SQL( WHERE table_name > t.n)
            FROM t WHERE t.n IS NOT NULL)
        SELECT n FROM t WHERE n IS NOT NULL AND n <> ALL($1::text[]) LIMIT 1000) d
  JOIN pg_class c ON c.relkind = 'p'
  JOIN pg_namespace n ON n.oid = c.relnamespace
   AND quote_ident(n.nspname) || '.' || quote_ident(c.relname) = d.n
)SQL",
                              ArrayLiteral(names));
  for (const pqxx::row& row : r) {
    if (row[2].as<std::string>() == "~unmanaged") {
      unmanaged_with_history_.push_back({row[1].as<std::string>(), row[3].as<std::string>()});
      continue;
    }
    auto table = by_sql.find(row[0].as<std::string>());
    if (table != by_sql.end() && row[2].as<std::string>() == "apply") {
      table->second->last_apply =
          LastApply{row[5].as<int64_t>(), row[3].as<std::string>(), row[4].as<std::string>()};
      continue;
    }
    std::string error;
    std::optional<QualifiedName> partition = ParseQualifiedName(row[1].as<std::string>(), &error);
    if (table == by_sql.end() || !partition) continue;  // not written by pgpart's AuditRecord
    if (row[2].as<std::string>() == "~detached") {
      // The step names the partition where it was; an archived one now lives in another schema.
      for (Child& d : table->second->detached) {
        if (d.name.name == partition->name) d.detached_at_micros = row[5].as<int64_t>();
      }
      continue;
    }
    RecordedOutcome o;
    o.partition = *partition;
    o.action = row[2].as<std::string>();
    o.outcome = row[3].as<std::string>();
    o.error = row[4].as<std::string>();
    o.at_micros = row[5].as<int64_t>();
    table->second->history.push_back(std::move(o));
  }
  std::sort(unmanaged_with_history_.begin(), unmanaged_with_history_.end());
  for (auto& [name, table] : by_sql) {
    std::sort(table->history.begin(), table->history.end(),
              [](const RecordedOutcome& a, const RecordedOutcome& b) {
                return std::tie(a.partition, a.action) < std::tie(b.partition, b.action);
              });
  }
}

}  // namespace pgpart::reader_internal
