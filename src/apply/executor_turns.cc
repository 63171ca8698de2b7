// The executor's tables, a batch at a time: their session advisory locks in one round trip, then
// one catalog read of the locked tables for the re-checks (issue 16: a read per table cost ~2.4 ms
// of server time and ~10 round trips; the batch's one read costs about what one table's did).

#include <pqxx/pqxx>

#include "apply/executor_internal.h"

namespace pgpart::executor_internal {

void Executor::LockTurns(std::vector<TableTurn>* turns) {
  std::vector<std::string> names;
  for (TableTurn& t : *turns) {
    t.oid.reset();
    t.locked = false;
    t.lock_error.clear();
    names.push_back(plan_.steps[t.begin].table.Sql());
  }
  try {
    pqxx::nontransaction nt(conn_);
    // A table that does not exist (any more) is not locked; the others are tried in plan order.
    pqxx::result r = nt.exec_params(
        "SELECT o.oid::bigint, CASE WHEN o.oid IS NOT NULL "
        "THEN pg_catalog.pg_try_advisory_lock($1, o.oid::pg_catalog.int4) END "
        "FROM unnest($2::text[]) WITH ORDINALITY AS t(name, ord) "
        "CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(t.name)::oid AS oid) o ORDER BY t.ord",
        kApplyLockSpace, ArrayLiteral(names));
    for (size_t i = 0; i < turns->size() && i < r.size(); ++i) {
      TableTurn& t = (*turns)[i];
      if (r[i][0].is_null()) continue;
      t.oid = r[i][0].as<uint32_t>();
      t.locked = r[i][1].as<bool>();
    }
  } catch (const pqxx::broken_connection& e) {
    Fatal("lost the connection: " + OneLine(e.what()));
  } catch (const std::exception& e) {
    for (TableTurn& t : *turns) t.lock_error = OneLine(e.what());
  }
}

void Executor::ReadTurns(const std::vector<TableTurn>& turns) {
  batch_read_.reset();
  std::vector<Policy> narrowed;
  for (const TableTurn& t : turns) {
    if (!t.locked) continue;
    const Step& first = plan_.steps[t.begin];
    if (const Policy* p = FindPolicy(first.policy)) narrowed.push_back(Narrow(*p, first.table));
  }
  if (narrowed.empty()) return;
  ReadOptions options;
  options.generic_plans = true;  // one connection reads again and again
  batch_read_ = ReadCatalog(conn_, CatalogRequests(narrowed), options);
  // A failed read is read again table by table (Replan), each failure reported as the table's.
  if (HasErrors(batch_read_->diagnostics)) batch_read_.reset();
}

bool Executor::Unlock(TableTurn* turn) {
  const bool locked = turn->locked;
  turn->locked = false;
  if (fatal_) return false;  // the connection is gone, and the session's locks with it
  if (!locked) return true;
  try {
    pqxx::nontransaction nt(conn_);
    nt.exec_params("SELECT pg_catalog.pg_advisory_unlock($1, $2::oid::pg_catalog.int4)",
                   kApplyLockSpace, *turn->oid);
    return true;
  } catch (const std::exception& e) {
    Fatal("lost the connection: " + OneLine(e.what()));
    return false;
  }
}

}  // namespace pgpart::executor_internal
