#include "catalog/reader.h"

#include <libpq-fe.h>

#include <memory>
#include <string_view>

#include "catalog/reader_internal.h"

namespace pgpart {
namespace reader_internal {

// The database's identity as three columns (name, oid, system identifier). pg_control_system() is
// executable by PUBLIC by default (PostgreSQL 9.6+); where an administrator revoked it, the
// identifier reads as NULL ("") instead of failing the read (an uncorrelated subquery in a CASE
// branch is only run when the branch is taken).
const char* const kIdentityColumns =
    "current_database()::text, "
    "(SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())::bigint, "
    "CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE') "
    "THEN (SELECT s.system_identifier::text FROM pg_catalog.pg_control_system() s) END";

DatabaseIdentity IdentityFrom(const pqxx::row& row, int first) {
  DatabaseIdentity id;
  id.name = row[first].as<std::string>();
  id.oid = row[first + 1].as<int64_t>();
  id.system_identifier = row[first + 2].is_null() ? "" : row[first + 2].as<std::string>();
  return id;
}

// Session settings (transaction-local, so a connection lent by apply is left as it was) and
// the server facts, in one round trip.
// The catalog queries are prepared once per connection (ExecPrepared); ReadOptions::generic_plans
// says whether they run with generic plans.
void CatalogReader::ReadSession(Tx& tx) {
  pqxx::result r = Exec(
      tx, std::string("SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; "
                      "SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3; "
                      "SET LOCAL search_path = pg_catalog, pg_temp; SET LOCAL lock_timeout = '") +
              kLockTimeout +
              "'; " +
              (options_.generic_plans
                   ? "SELECT set_config('plan_cache_mode', 'force_generic_plan', true) "
                     "WHERE current_setting('server_version_num')::int >= 120000; "
                   : "") +
              "SELECT current_setting('server_version'), "
              "current_setting('server_version_num')::int, "
              "(extract(epoch FROM now()) * 1000000)::bigint, "
              "current_setting('block_size')::int, " +
              kIdentityColumns +
              // pg_partman: its schema (pg_extension.extnamespace) and whether part_config may be
              // read; by the catalogs, so that no privilege error ends the transaction.
              ", (SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n "
              "ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman'), "
              "(SELECT e.extversion FROM pg_extension e WHERE e.extname = 'pg_partman'), "
              "(SELECT has_schema_privilege(n.oid, 'USAGE') AND "
              "has_table_privilege(c.oid, 'SELECT') FROM pg_extension e "
              "JOIN pg_namespace n ON n.oid = e.extnamespace "
              "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'part_config' "
              "WHERE e.extname = 'pg_partman'), current_user::text");
  std::string version = r[0][0].as<std::string>();
  server_version_ = version.substr(0, version.find(' '));  // "15.8 (Debian ...)" -> "15.8"
  server_version_num_ = r[0][1].as<int>();
  now_micros_ = r[0][2].as<int64_t>();
  block_size_ = r[0][3].as<int64_t>();
  database_ = IdentityFrom(r[0], 4);
  partman_schema_ = r[0][7].is_null() ? "" : r[0][7].as<std::string>();
  partman_version_ = r[0][8].is_null() ? "" : r[0][8].as<std::string>();
  partman_readable_ = !r[0][9].is_null() && r[0][9].as<bool>();
  role_ = r[0][10].as<std::string>();
}

// Every requested table (or every partitioned table) with its partition key, in one query.
void CatalogReader::ReadTables(Tx& tx) {
  std::vector<std::string> schemas, names;
  std::map<QualifiedName, const TableRequest*> by_name;
  for (const TableRequest& req : requests_) {
    if (by_name.emplace(req.name, &req).second) {
      schemas.push_back(req.name.schema);
      names.push_back(req.name.name);
    }
  }
  pqxx::result r = ExecPrepared(tx, std::string(R"SQL(
WITH )SQL") + kLockedCte + R"SQL(, req AS (
SELECT r.nsp, r.rel FROM unnest($1::text[], $2::text[]) AS r(nsp, rel)
UNION
SELECT n.nspname::text, c.relname::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE $3 AND c.relkind = 'p'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
)
SELECT req.nsp, req.rel, c.oid, c.relkind::text, pt.partstrat::text,
     (SELECT array_agg(coalesce(a.attname::text, '') ORDER BY k.ord)
        FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),
     (SELECT format_type(a.atttypid, NULL) FROM pg_attribute a
       WHERE a.attrelid = c.oid AND a.attnum = pt.partattrs[0] AND pt.partnatts = 1),
     -- deparsed only for keys pgpart cannot use (the message quotes it): it locks the table
     CASE WHEN c.relkind = 'p' AND (pt.partnatts <> 1 OR 0 = ANY(pt.partattrs::int2[]))
          THEN pg_get_partkeydef(c.oid) END,
     lk.pids,
     -- an empty default partition (no blocks: no rows) need not be counted; skipped when
     -- locked, since even its size would wait for the lock
     CASE WHEN coalesce(pt.partdefid, 0) <> 0
           AND NOT EXISTS (SELECT 1 FROM locked WHERE relation = pt.partdefid)
          THEN pg_relation_size(pt.partdefid) END,
     -- every locked relation once (oid=pids;...): the children are checked against it
     (SELECT string_agg(relation::text || '=' || pids, ';') FROM locked),
     -- the parent's columns (drains name them) and their kind: generated, identity always
     (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
       WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
     (SELECT array_agg(a.attgenerated::text || a.attidentity::text ORDER BY a.attnum)
        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
     -- new partitions get the parent's owner and grants (policy privileges: inherit)
     pg_get_userbyid(c.relowner)::text, )SQL" + std::string(kGrantsExpr) + R"SQL(
FROM req
LEFT JOIN pg_namespace n ON n.nspname = req.nsp
LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = req.rel
LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
LEFT JOIN locked lk ON lk.relation = c.oid
)SQL",
                              ArrayLiteral(schemas), ArrayLiteral(names), requests_.empty());
  for (const pqxx::row& row : r) {
    Work w;
    w.table.name = QualifiedName{row[0].as<std::string>(), row[1].as<std::string>()};
    if (auto it = by_name.find(w.table.name); it != by_name.end()) w.request = it->second;
    if (!row[2].is_null()) {
      w.table.exists = true;
      w.oid = row[2].as<uint32_t>();
      w.relkind = row[3].as<std::string>()[0];
      if (!row[8].is_null()) Lock(w, w.table.name, row[8].as<std::string>());
      w.default_empty = !row[9].is_null() && row[9].as<int64_t>() == 0;
      if (locked_.empty() && !row[10].is_null()) {
        std::string all = row[10].as<std::string>();
        for (size_t start = 0; start < all.size();) {
          size_t end = all.find(';', start);
          if (end == std::string::npos) end = all.size();
          const std::string item = all.substr(start, end - start);
          if (size_t eq = item.find('='); eq != std::string::npos) {
            locked_[item.substr(0, eq)] = item.substr(eq + 1);
          }
          start = end + 1;
        }
      }
    }
    if (w.relkind == 'p' || w.relkind == 'r') {
      // A plain table's too: a conversion (spec.convert) gives them to the partitioned one.
      w.table.owner = row[13].is_null() ? "" : row[13].as<std::string>();
      w.table.grants = ParseGrants(row[14]);
      w.table.privileges_known = true;
    }
    if (w.relkind == 'p' && !row[4].is_null()) {
      Table& t = w.table;
      t.partitioned = true;
      char strat = row[4].as<std::string>()[0];
      t.strategy = strat == 'r' ? "range" : strat == 'h' ? "hash" : strat == 'l' ? "list" : "";
      const std::vector<std::string> names = ParseTextArray(row[11]);
      const std::vector<std::string> kinds = ParseTextArray(row[12]);
      for (size_t i = 0; i < names.size() && i < kinds.size(); ++i) {
        Column col;
        col.name = names[i];
        col.generated = kinds[i].find('s') != std::string::npos;
        col.identity_always = kinds[i].find('a') != std::string::npos;
        t.columns.push_back(std::move(col));
      }
      t.columns_known = true;
      std::vector<std::string> cols = ParseTextArray(row[5]);
      const std::string keydef = row[7].is_null() ? "" : row[7].as<std::string>();
      if (std::find(cols.begin(), cols.end(), "") != cols.end()) {
        Warn(t.name, "the partition key is an expression (PARTITION BY " + keydef +
                         "); pgpart supports a single plain column");
      } else {
        t.key_columns = cols;
        if (cols.size() > 1) {
          Warn(t.name, "the partition key has " + std::to_string(cols.size()) +
                           " columns (PARTITION BY " + keydef +
                           "); pgpart supports a single column");
        }
      }
      if (cols.size() == 1 && !t.key_columns.empty() && !row[6].is_null()) {
        t.key_type_name = row[6].as<std::string>();
        t.key_type = KeyTypeFromPgName(t.key_type_name);
      }
      if (w.request != nullptr && w.request->interval && t.key_type != KeyType::kUnsupported) {
        // A grid that does not fit the key type is the planner's error to report.
        std::string ignored;
        w.grid =
            Grid::Make(t.key_type, *w.request->interval, FindZone(w.request->time_zone), &ignored);
      }
    }
    work_.push_back(std::move(w));
  }
}

// The children of all partitioned tables: one query, plus one small one for the bounds that
// are not plain single-column ranges.
//
// pg_get_expr(relpartbound) costs the server ~3 µs a child, most of a no-op plan's server time
// at thousands of children. A plain range bound is therefore decoded from the stored node tree
// (the constant's bytes after ":constvalue", DecodeStoredBound); defaults, hash and list bounds,
// MINVALUE/MAXVALUE and tables pgpart cannot use go through pg_get_expr, and so does one decoded
// child as a check: if it disagrees (another byte order, a changed node format), everything is
// read again through pg_get_expr.
void CatalogReader::ReadChildren(Tx& tx) {
  std::vector<std::string> oids;
  std::vector<size_t> index;
  for (size_t i = 0; i < work_.size(); ++i) {
    if (work_[i].table.partitioned) {
      oids.push_back(std::to_string(work_[i].oid));
      index.push_back(i);
    }
  }
  if (oids.empty()) return;
  if (!ReadChildrenOnce(tx, oids, index, /*decode=*/true)) {
    for (size_t i : index) {
      work_[i].table.children.clear();
      work_[i].table.default_partition.reset();
      work_[i].table.locked_by.clear();
      work_[i].table.unreadable.clear();
      work_[i].sub_partitioned.clear();
    }
    ReadChildrenOnce(tx, oids, index, /*decode=*/false);
  }
  for (size_t i : index) {
    std::vector<Child>& children = work_[i].table.children;
    std::sort(children.begin(), children.end(), [](const Child& a, const Child& b) {
      if (a.from != b.from) return a.from < b.from;
      if (a.remainder != b.remainder) return a.remainder < b.remainder;
      return a.name < b.name;
    });
  }
}

// False when the decoded bounds failed their check against pg_get_expr.
bool CatalogReader::ReadChildrenOnce(Tx& tx, const std::vector<std::string>& oids,
                                     const std::vector<size_t>& index, bool decode) {
  // inhdetachpending exists from PostgreSQL 14 on.
  const std::string detach_pending = server_version_num_ >= 140000 ? "i.inhdetachpending" : "false";
  std::vector<std::string> all_children;  // parallel to oids: integer keys probe every child
  for (size_t i : index) {
    all_children.push_back(IsIntegerKey(work_[i].table.key_type) ? "t" : "f");
  }
  auto piece = [&](const char* side) {
    return decode
               ? std::string("split_part(split_part(split_part(c.relpartbound::text, ':") + side +
                     "datums ({PARTITIONRANGEDATUM :kind 0 ', 2), ':constvalue ', 2), "
                     "']', 1)"
               : std::string("''");
  };
  // Sizes come from pg_class.relpages (as of the last VACUUM/ANALYZE) of the child, its TOAST
  // table and its indexes: pg_total_relation_size would open every child (relcache build and
  // a lock each), which dominates the read at tens of thousands of children.
  pqxx::result r = ExecPrepared(tx,
                              R"SQL(
WITH ix AS (
-- The index pages of these parents' children only: apply re-reads one table at a time under its
-- lock, and summing every index of the database each time cost ~2 ms a table (issue 16).
SELECT x.indrelid, sum(ic.relpages)::bigint AS pages
  FROM pg_inherits h JOIN pg_index x ON x.indrelid = h.inhrelid
  JOIN pg_class ic ON ic.oid = x.indexrelid
 WHERE h.inhparent = ANY ($1::oid[])
 GROUP BY 1
)
SELECT p.ord, n.nspname, c.relname, c.relkind::text, )SQL" +
                                  detach_pending + R"SQL(,
     )SQL" + piece("lower") + R"SQL(, greatest(c.reltuples, 0)::bigint,
     c.relpages::bigint + coalesce(t.relpages, 0) + coalesce(ix.pages, 0), c.oid, NULL::text,
     )SQL" + piece("upper") + R"SQL(, pg_get_userbyid(c.relowner)::text, )SQL" + kGrantsExpr +
                                  R"SQL(,
     -- Whether rows pgpart counts or probes may be read: the default partition's, and every
     -- child's of an integer-keyed table ($2). has_table_privilege on every child was ~40 %
     -- of this read at 42,000 children (issue 16); NULL elsewhere (read as readable).
     CASE WHEN p.all_children OR c.oid = pt.partdefid
          THEN has_table_privilege(c.oid, 'SELECT') END,
     c.reloptions::text[], am.amname::text, c.relreplident::text
FROM unnest($1::oid[], $2::bool[]) WITH ORDINALITY AS p(oid, all_children, ord)
LEFT JOIN pg_partitioned_table pt ON pt.partrelid = p.oid
JOIN pg_inherits i ON i.inhparent = p.oid
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
LEFT JOIN pg_am am ON am.oid = c.relam
LEFT JOIN ix ON ix.indrelid = c.oid
)SQL",
                              "{" + Join(oids) + "}", "{" + Join(all_children) + "}");
  struct Row {
    Work* work;
    Child child;
    std::string oid;
    std::string locked_by;
    bool decoded = false;
    bool readable = true;
  };
  std::vector<Row> rows;
  rows.reserve(r.size());
  std::vector<std::string> fallback;  // oids whose bound text pg_get_expr must give
  const Row* check = nullptr;         // the decoded child checked against pg_get_expr
  for (const pqxx::row& row : r) {
    // The columns in order through one iterator: row[k] copies the whole result (an atomic
    // reference count) for every field, ~7 ms of CPU at 42,000 children (issue 16). The
    // iterator is a field itself: `f->` reads the column it stands on.
    pqxx::const_row_iterator f = row.begin();
    auto next = [&f]() -> const pqxx::field& { return *(++f).operator->(); };
    Row out;
    out.work = &work_[index[f->as<size_t>() - 1]];
    const Table& t = out.work->table;
    Child& c = out.child;
    c.name.schema = next().c_str();                     // 1
    c.name.name = next().c_str();                       // 2
    const char relkind = next().c_str()[0];             // 3
    c.sub_partitioned = relkind == 'p';
    c.foreign = relkind == 'f';
    c.detach_pending = next().as<bool>();               // 4
    const char* const lower = next().c_str();           // 5
    c.rows_estimate = next().as<int64_t>();             // 6
    c.bytes = next().as<int64_t>() * block_size_;       // 7
    out.oid = next().c_str();                           // 8
    c.oid = f->as<int64_t>();
    next();                                             // 9 (NULL: the bound text comes later)
    const char* const upper = next().c_str();           // 10
    c.owner = next().is_null() ? "" : f->c_str();       // 11
    c.grants = ParseGrants(next());                     // 12
    // NULL when the child was dropped since the read's snapshot (privilege functions look at the
    // current catalogs): gone, so nothing to refuse.
    out.readable = next().as<bool>(true);               // 13
    c.reloptions = ParseTextArray(next());              // 14
    c.access_method = next().is_null() ? "" : f->c_str();       // 15
    c.replica_identity = next().is_null() ? 'd' : f->c_str()[0];  // 16
    if (c.sub_partitioned) {
      out.work->sub_partitioned.emplace_back(c.name, static_cast<uint32_t>(c.oid));
    }
    if (auto it = locked_.find(out.oid); it != locked_.end()) out.locked_by = it->second;
    std::optional<Bound> from, to;
    if (decode && t.strategy == "range" && SingleKey(t)) {
      from = DecodeStoredBound(t.key_type, lower);
      to = DecodeStoredBound(t.key_type, upper);
    }
    if (from && to) {
      c.bound_kind = BoundKind::kRange;
      c.from = *from;
      c.to = *to;
      c.bound_text = "FOR VALUES FROM (" + BoundSqlLiteral(t.key_type, *from) + ") TO (" +
                     BoundSqlLiteral(t.key_type, *to) + ")";
      out.decoded = true;
    } else {
      fallback.push_back(out.oid);
    }
    rows.push_back(std::move(out));
  }
  // Every value is in `rows` now: let libpq's copy go before the children are built (at 1000
  // tables × 42 the result alone was 17 MB of the peak; issue 16).
  r = pqxx::result();
  for (const Row& row : rows) {
    if (row.decoded) {
      check = &row;
      fallback.push_back(row.oid);
      break;
    }
  }
  std::map<std::string, std::string> texts;
  if (!fallback.empty()) {
    pqxx::result f = ExecPrepared(tx,
                                "SELECT c.oid::text, pg_get_expr(c.relpartbound, 0) "
                                "FROM unnest($1::oid[]) AS o(oid) JOIN pg_class c ON c.oid = o.oid",
                                "{" + Join(fallback) + "}");
    for (const pqxx::row& row : f) {
      texts[row[0].as<std::string>()] = row[1].is_null() ? "" : row[1].as<std::string>();
    }
  }
  if (check != nullptr) {
    Child probe = check->child;
    probe.bound_text = texts[check->oid];
    ApplyBound(check->work->table, &probe);
    if (!(probe.from == check->child.from) || !(probe.to == check->child.to)) return false;
  }
  // Each table's children grow once, to their size (doubling left up to half of them unused).
  std::map<Work*, size_t> counts;
  for (const Row& row : rows) ++counts[row.work];
  for (auto& [work, n] : counts) work->table.children.reserve(work->table.children.size() + n);
  for (Row& row : rows) {
    Table& t = row.work->table;
    Child& c = row.child;
    if (!row.decoded) {
      c.bound_text = texts[row.oid];
      ApplyBound(t, &c);
    }
    // A lock on the default partition (counted) or, for integer keys, on any child (probed
    // for max(key)) would make the read wait. A lock on another child only concerns a step
    // on that child, which apply counts and runs under lock_timeout.
    if (!row.locked_by.empty() &&
        (c.bound_kind == BoundKind::kDefault || IsIntegerKey(t.key_type))) {
      Lock(*row.work, c.name, row.locked_by);
    }
    if (!row.readable && t.unreadable.empty() &&
        (c.bound_kind == BoundKind::kDefault || IsIntegerKey(t.key_type))) {
      t.unreadable = "role " + QuoteIdent(role_) + " may not read " + TableText(c.name) +
                     " (no SELECT), so its rows were not counted: GRANT SELECT ON " +
                     TableText(c.name) + " TO " + QuoteIdent(role_) +
                     ", or apply once as the owner (privileges: inherit gives partitions the "
                     "parent's grants)";
    }
    if (c.bound_kind == BoundKind::kDefault) {
      t.default_partition = std::move(c);
    } else {
      t.children.push_back(std::move(c));
    }
  }
  return true;
}

// Fills bound_kind, from/to or modulus/remainder from bound_text.
void CatalogReader::ApplyBound(const Table& t, Child* c) {
  std::optional<BoundExpr> e = ParseBoundExpr(c->bound_text);
  if (!e) {
    // Unknown shape: call it a range over everything, so that nothing is created over it and
    // it never expires; the planner reports it as unmanaged.
    c->bound_kind = BoundKind::kRange;
    c->from = Bound::Min();
    c->to = Bound::Max();
    Warn(c->name, "cannot read the partition bound \"" + c->bound_text + "\"");
    return;
  }
  c->bound_kind = e->kind;
  c->modulus = e->modulus;
  c->remainder = e->remainder;
  if (e->kind != BoundKind::kRange || t.key_type == KeyType::kUnsupported) return;
  if (e->from.size() != 1 || e->to.size() != 1) return;  // multi-column: table unsupported
  auto from = ParseBound(t.key_type, e->from[0]);
  auto to = ParseBound(t.key_type, e->to[0]);
  if (from && to) {
    c->from = *from;
    c->to = *to;
  } else {
    c->from = Bound::Min();
    c->to = Bound::Max();
    Warn(c->name, "cannot read the " + t.key_type_name + " bounds of \"" + c->bound_text +
                      "\"; treating the partition as covering everything");
  }
}

}  // namespace reader_internal

namespace {

using reader_internal::CatalogReader;
using reader_internal::IsSpace;

Diagnostic Error(std::string message) {
  Diagnostic d;
  d.severity = Severity::kError;
  d.message = std::move(message);
  return d;
}

}  // namespace

ReadResult ReadCatalog(pqxx::connection_base& conn, const std::vector<TableRequest>& requests,
                       const ReadOptions& options) {
  ReadResult result;
  try {
    return CatalogReader(conn, requests, options).Read();
  } catch (const pqxx::broken_connection& e) {
    result.diagnostics.push_back(
        Error("lost the connection to PostgreSQL while reading the catalog: " + OneLine(e.what())));
  } catch (const pqxx::sql_error& e) {
    std::string state = e.sqlstate().empty() ? "" : " [SQLSTATE " + e.sqlstate() + "]";
    result.diagnostics.push_back(Error("reading the catalog failed: " + OneLine(e.what()) + state));
  } catch (const std::exception& e) {
    result.diagnostics.push_back(Error("reading the catalog failed: " + OneLine(e.what())));
  }
  return result;
}

ReadResult ReadCatalog(const std::string& dsn, const std::vector<TableRequest>& requests,
                       const ReadOptions& options) {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(dsn);
  } catch (const std::exception& e) {
    ReadResult result;
    const std::string where = dsn.empty() ? "(PG* environment)" : "\"" + RedactDsn(dsn) + "\"";
    result.diagnostics.push_back(
        Error("cannot connect to PostgreSQL " + where + ": " +
              ConnectErrorText(e.what(), dsn, false)));
    return result;
  }
  return ReadCatalog(*conn, requests, options);
}

std::optional<DatabaseIdentity> ReadDatabaseIdentity(pqxx::connection_base& conn,
                                                     std::string* error) {
  try {
    pqxx::nontransaction nt(conn);
    pqxx::result r = nt.exec(std::string("SELECT ") + reader_internal::kIdentityColumns);
    return reader_internal::IdentityFrom(r[0], 0);
  } catch (const std::exception& e) {
    *error = OneLine(e.what());
    return std::nullopt;
  }
}

// RedactDsn and RedactPassword: dsn_redact.cc.

}  // namespace pgpart
