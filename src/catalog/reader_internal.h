#pragma once
// Internals of the catalog reader, shared by reader.cc (tables, children, bounds) and
// reader_rows.cc (default partitions, max(key), rows by period). Not part of the API.

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "catalog/bound_expr.h"
#include "catalog/detached.h"
#include "catalog/reader.h"

namespace pgpart::reader_internal {

// Past this many grid periods between the default partition's smallest and largest key, its rows
// are not counted by period (the array of boundaries would be unreasonably large).
inline constexpr int64_t kMaxBucketPeriods = 100'000;
// Integer keys: how many children (from the highest bound down) the first max(key) query probes
// before a second query probes the rest. Premade children are empty, so a handful is typical.
inline constexpr size_t kMaxKeyProbeFirst = 8;
// The reader never waits long behind an ACCESS EXCLUSIVE lock (a running migration).
inline constexpr const char* kLockTimeout = "30s";

inline bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// ---- SQL helpers ----------------------------------------------------------------------------

// The SQL type a key is compared as in our own queries (integers widened to bigint).
inline std::string KeySqlType(KeyType type) {
  return IsTimeKey(type) ? KeyTypeName(type) : "bigint";
}

// Relations another session holds ACCESS EXCLUSIVE locks on (a CTE of the tables and children
// queries): reading their rows would wait.
inline constexpr char kLockedCte[] = R"SQL(locked AS MATERIALIZED (
  SELECT l.relation, string_agg(DISTINCT l.pid::text, ', ') AS pids
    FROM pg_locks l
   WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'AccessExclusiveLock'
     AND l.pid <> pg_backend_pid()
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   GROUP BY 1
))SQL";

// A bound as an unquoted array element ('2024-01-01 00:00:00+00' -> 2024-01-01 00:00:00+00).
inline std::string BoundElement(KeyType type, const Bound& b) {
  std::string s = BoundSqlLiteral(type, b);
  if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') s = s.substr(1, s.size() - 2);
  return s;
}

inline std::string TableText(const QualifiedName& n) { return n.Sql(); }

// Parses a text[] value as PostgreSQL prints it.
inline std::vector<std::string> ParseTextArray(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  pqxx::array_parser parser(f.c_str());
  for (;;) {
    auto [junction, value] = parser.get_next();
    if (junction == pqxx::array_parser::juncture::done) break;
    if (junction == pqxx::array_parser::juncture::string_value) out.push_back(value);
    if (junction == pqxx::array_parser::juncture::null_value) out.emplace_back();
  }
  return out;
}

// ---- the reader -----------------------------------------------------------------------------

// The database's identity as three SELECT columns (name, oid, system identifier), and reading them.
extern const char* const kIdentityColumns;

// A relation's grants to roles other than its owner, as text[] of "<g><PRIVILEGE> <grantee>"
// (g: 1 WITH GRANT OPTION, else 0; grantee "" for PUBLIC), for the pg_class row aliased `c`.
// NULL when relacl is NULL (the default: no grants). Decoded by ParseGrants.
inline constexpr char kGrantsExpr[] = R"SQL(CASE WHEN c.relacl IS NOT NULL THEN
       (SELECT array_agg(CASE WHEN a.is_grantable THEN '1' ELSE '0' END || a.privilege_type
                         || ' ' || coalesce(g.rolname::text, ''))
          FROM aclexplode(c.relacl) a LEFT JOIN pg_roles g ON g.oid = a.grantee
         WHERE a.grantee <> c.relowner) END)SQL";

inline std::vector<Grant> ParseGrants(const pqxx::field& f) {
  std::vector<Grant> grants;
  for (const std::string& item : ParseTextArray(f)) {
    const size_t space = item.find(' ');
    if (item.size() < 2 || space == std::string::npos) continue;
    grants.push_back(Grant{item.substr(space + 1), item.substr(1, space - 1), item[0] == '1'});
  }
  std::sort(grants.begin(), grants.end());
  return grants;
}
DatabaseIdentity IdentityFrom(const pqxx::row& row, int first);

using Tx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// Per-table state while reading.
struct Work {
  Table table;
  const TableRequest* request = nullptr;  // nullptr: read because the request list was empty
  uint32_t oid = 0;
  char relkind = 0;
  std::optional<Grid> grid;
  std::optional<Bound> default_min, default_max;
  bool default_empty = false;       // its main fork has no blocks: no rows to count
  std::vector<size_t> probe_order;  // integer keys: children from the highest bound down
  size_t probed = 0;
  // Sub-partitioned children (name, oid): their rows and pages are summed over their leaves.
  std::vector<std::pair<QualifiedName, uint32_t>> sub_partitioned;
};

class CatalogReader {
 public:
  CatalogReader(pqxx::connection_base& conn, const std::vector<TableRequest>& requests,
                const ReadOptions& options = {})
      : conn_(conn), requests_(requests), options_(options) {}

  ReadResult Read() {
    Tx tx(conn_);
    ReadSession(tx);
    ReadTables(tx);
    ReadChildren(tx);
    ReadDefaultsAndMaxKeys(tx);
    ReadMaxKeysRest(tx);
    ReadDefaultBuckets(tx);
    std::vector<Table*> parents;
    for (Work& w : work_) {
      if (w.table.exists && w.table.partitioned) parents.push_back(&w.table);
    }
    if (!parents.empty()) {
      ++round_trips_;
      ReadDetachedForDrop(tx, parents, block_size_);
    }
    if (options_.history) ReadHistory(tx);
    ReadPartman(tx);
    ReadConversions(tx);
    tx.commit();

    ReadResult result;
    for (Work& w : work_) result.catalog.tables.push_back(std::move(w.table));
    std::sort(result.catalog.tables.begin(), result.catalog.tables.end(),
              [](const Table& a, const Table& b) { return a.name < b.name; });
    result.catalog.server_version = server_version_;
    result.catalog.database = database_;
    result.catalog.now_micros = now_micros_;
    result.catalog.history = history_;
    result.catalog.unmanaged_with_history = unmanaged_with_history_;
    result.diagnostics = std::move(diagnostics_);
    result.round_trips = round_trips_;
    return result;
  }

 private:
  pqxx::result Exec(Tx& tx, const std::string& sql) {
    ++round_trips_;
    return tx.exec(sql);
  }
  template <typename... Args>
  pqxx::result ExecParams(Tx& tx, const std::string& sql, Args&&... args) {
    ++round_trips_;
    return tx.exec_params(sql, std::forward<Args>(args)...);
  }
  // For a statement whose text is the same on every call (only its parameters change): prepared
  // once per connection and run by name, so that apply's re-read of each table under its lock
  // does not parse and plan the same large queries again (issue 16). Never for texts built
  // from the data: each would stay prepared for the session.
  template <typename... Args>
  pqxx::result ExecPrepared(Tx& tx, const std::string& sql, Args&&... args) {
    ++round_trips_;
    const std::string name = PreparedName(sql);
    tx.conn().prepare(name, sql);  // a no-op once this connection knows it
    return tx.exec_prepared(name, std::forward<Args>(args)...);
  }
  // "pgpart_catalog_N": one name per distinct text in this process.
  static std::string PreparedName(const std::string& sql) {
    static std::mutex mutex;
    static std::map<std::string, std::string> names;
    std::lock_guard<std::mutex> lock(mutex);
    auto [it, added] = names.try_emplace(sql, "");
    if (added) it->second = "pgpart_catalog_" + std::to_string(names.size());
    return it->second;
  }

  void Warn(const QualifiedName& table, const std::string& message) {
    Diagnostic d;
    d.severity = Severity::kWarning;
    d.message = TableText(table) + ": " + message;
    diagnostics_.push_back(std::move(d));
  }

  // Another session holds ACCESS EXCLUSIVE on the table or one of its partitions: counting its
  // rows would wait for it, so the table is read structurally only and the planner blocks it.
  void Lock(Work& w, const QualifiedName& relation, const std::string& pids) {
    if (!w.table.locked_by.empty()) return;
    w.table.locked_by =
        "process " + pids + " holds an ACCESS EXCLUSIVE lock on " + TableText(relation);
  }

  std::string Quote(const std::string& ident) { return conn_.quote_name(ident); }
  std::string QuoteTable(const QualifiedName& n) { return Quote(n.schema) + "." + Quote(n.name); }

  // Session settings (transaction-local, so a connection lent by apply is left as it was) and
  // the server facts, in one round trip.
  void ReadSession(Tx& tx);

  // Every requested table (or every partitioned table) with its partition key, in one query.
  void ReadTables(Tx& tx);

  // The children of all partitioned tables: one query, plus one small one for the bounds that
  // are not plain single-column ranges.
  //
  // pg_get_expr(relpartbound) costs the server ~3 µs a child, most of a no-op plan's server time
  // at thousands of children. A plain range bound is therefore decoded from the stored node tree
  // (the constant's bytes after ":constvalue", DecodeStoredBound); defaults, hash and list bounds,
  // MINVALUE/MAXVALUE and tables pgpart cannot use go through pg_get_expr, and so does one decoded
  // child as a check: if it disagrees (another byte order, a changed node format), everything is
  // read again through pg_get_expr.
  void ReadChildren(Tx& tx);

  // False when the decoded bounds failed their check against pg_get_expr.
  bool ReadChildrenOnce(Tx& tx, const std::vector<std::string>& oids,
                        const std::vector<size_t>& index, bool decode);

  // Fills bound_kind, from/to or modulus/remainder from bound_text.
  void ApplyBound(const Table& t, Child* c);

  static std::string Join(const std::vector<std::string>& items, const char* sep = ",") {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
    return out;
  }

  // A child or default partition as a FROM item: ONLY for plain tables (a sub-partitioned one
  // has no rows of its own).
  std::string FromItem(const Child& c);

  bool SingleKey(const Table& t) const {
    return t.partitioned && t.key_columns.size() == 1 && t.key_type != KeyType::kUnsupported;
  }

  // One integer table's max(key) probe: coalesce() evaluates its scalar subqueries lazily, so
  // only children down to the first non-empty one are scanned.
  std::string MaxKeyProbe(size_t i, size_t count);

  // Exact row counts (and key range) of every default partition, the first max(key) probe of
  // every integer-keyed range table and the leaf totals of sub-partitioned children, in one
  // UNION ALL query. Columns: table index, row kind, bigint, text, text.
  void ReadDefaultsAndMaxKeys(Tx& tx);

  // Integer tables whose first probes found only empty children: probe all the rest at once.
  void ReadMaxKeysRest(Tx& tx);

  // Rows of each non-empty default partition by grid period: one scan per default, all in one
  // query, width_bucket over the grid boundaries that cover [min(key), max(key)].
  void ReadDefaultBuckets(Tx& tx);

  // pgpart.history's unsettled outcomes of the read tables (ReadOptions::history): whether the
  // role may read it (one query), then the latest row of each (table, partition, action) whose
  // outcome is not "applied" (one more, when it may).
  void ReadHistory(Tx& tx);

  // pg_partman's part_config rows of the read tables (Table::pg_partman), when the extension is
  // installed (one query; none without it). A role that may not read part_config gets a warning.
  void ReadPartman(Tx& tx);
  void ReadConversions(Tx& tx);  // reader_convert.cc

  pqxx::connection_base& conn_;
  const std::vector<TableRequest>& requests_;
  ReadOptions options_;
  HistoryState history_ = HistoryState::kNotRead;
  std::vector<QualifiedName> unmanaged_with_history_;
  std::vector<Work> work_;
  Diagnostics diagnostics_;
  std::string server_version_;
  DatabaseIdentity database_;
  int server_version_num_ = 0;
  int64_t now_micros_ = 0;
  int64_t block_size_ = 8192;
  std::string partman_schema_;     // where pg_partman is installed ("" when it is not)
  std::string partman_version_;    // its extversion
  bool partman_readable_ = false;  // this role may read its part_config
  std::string role_;  // current_user: named in what the role may not read
  int round_trips_ = 0;
  // Relations (oid as text) another session holds ACCESS EXCLUSIVE, with the holders' pids; read
  // once by the tables query.
  std::map<std::string, std::string> locked_;
};

}  // namespace pgpart::reader_internal
