// The catalog reader's row work: default partitions (exact counts, rows by period), integer
// max(key) probes, and sub-partitioned children's sizes.

#include "catalog/reader_internal.h"

namespace pgpart::reader_internal {

// A child or default partition as a FROM item: ONLY for plain tables (a sub-partitioned one
// has no rows of its own).
std::string CatalogReader::FromItem(const Child& c) {
  return (c.sub_partitioned ? "" : "ONLY ") + QuoteTable(c.name);
}

// One integer table's max(key) probe: coalesce() evaluates its scalar subqueries lazily, so
// only children down to the first non-empty one are scanned.
std::string CatalogReader::MaxKeyProbe(size_t i, size_t count) {
  Work& w = work_[i];
  const std::string key = Quote(w.table.key_columns[0]);
  std::vector<std::string> probes;
  size_t end = std::min(w.probe_order.size(), w.probed + count);
  for (; w.probed < end; ++w.probed) {
    const Child& c = w.table.children[w.probe_order[w.probed]];
    probes.push_back("(SELECT max(" + key + ")::bigint FROM " + FromItem(c) + ")");
  }
  if (probes.empty()) probes.push_back("NULL::bigint");
  return "SELECT " + std::to_string(i) + ", 'm', NULL::bigint, NULL::text, " +
         (probes.size() == 1 ? probes[0] : "coalesce(" + Join(probes, ", ") + ")") + "::text";
}

// Exact row counts (and key range) of every default partition, the first max(key) probe of
// every integer-keyed range table and the leaf totals of sub-partitioned children, in one
// UNION ALL query. Columns: table index, row kind, bigint, text, text.
void CatalogReader::ReadDefaultsAndMaxKeys(Tx& tx) {
  std::vector<std::string> parts;
  std::vector<std::string> local_index_oids, local_index_tables;
  for (size_t i = 0; i < work_.size(); ++i) {
    Table& t = work_[i].table;
    if (!t.partitioned || !t.locked_by.empty() || !t.unreadable.empty()) continue;
    for (size_t k = 0; k < work_[i].sub_partitioned.size(); ++k) {
      parts.push_back(
          "SELECT " + std::to_string(i) +
          ", 's', coalesce(sum(greatest(l.reltuples, 0)), 0)::bigint, "
          "coalesce(sum(l.relpages::bigint + coalesce(lt.relpages, 0) + coalesce("
          "(SELECT sum(ic.relpages) FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid "
          "WHERE x.indrelid = l.oid), 0)), 0)::text, '" +
          std::to_string(k) + "' FROM pg_partition_tree(" +
          std::to_string(work_[i].sub_partitioned[k].second) +
          "::oid) pt JOIN pg_class l ON l.oid = pt.relid "
          "LEFT JOIN pg_class lt ON lt.oid = l.reltoastrelid WHERE pt.isleaf");
    }
    local_index_oids.push_back(std::to_string(work_[i].oid));
    local_index_tables.push_back(std::to_string(i));
    t.storage_known = true;
    if (!t.default_partition) t.default_buckets_known = true;  // no default: nothing to count
    if (t.default_partition && work_[i].default_empty) {
      t.default_rows = 0;
      t.default_buckets_known = true;
    } else if (t.default_partition) {
      std::string min_max = "NULL::text, NULL::text";
      if (SingleKey(t)) {
        const std::string key = Quote(t.key_columns[0]);
        min_max = "min(" + key + ")::text, max(" + key + ")::text";
      }
      parts.push_back("SELECT " + std::to_string(i) + ", 'd', count(*), " + min_max + " FROM " +
                      FromItem(*t.default_partition));
    }
    if (SingleKey(t) && IsIntegerKey(t.key_type) && t.strategy == "range") {
      Work& w = work_[i];
      for (size_t k = t.children.size(); k-- > 0;) {
        const Child& c = t.children[k];
        if (c.bound_kind == BoundKind::kRange) w.probe_order.push_back(k);
      }
      parts.push_back(MaxKeyProbe(i, kMaxKeyProbeFirst));
    }
  }
  // Partition-local indexes (no parent index) of every table, in one branch: what a new
  // partition copies from its template, and what drift compares between siblings.
  // pg_get_indexdef reads the catalogs, no lock. (One UNION branch per table made planning
  // this statement cost more than running it.)
  if (!local_index_oids.empty()) {
    parts.push_back("SELECT p.i, 'x', ix.indrelid::bigint, ix.indisunique::text, "
                    "pg_get_indexdef(ix.indexrelid) FROM unnest('{" +
                    Join(local_index_oids) + "}'::oid[], '{" + Join(local_index_tables) +
                    "}'::int[]) AS p(oid, i) JOIN pg_inherits h ON h.inhparent = p.oid "
                    "JOIN pg_index ix ON ix.indrelid = h.inhrelid WHERE NOT EXISTS "
                    "(SELECT 1 FROM pg_inherits pi WHERE pi.inhrelid = ix.indexrelid)");
  }
  if (parts.empty()) return;
  pqxx::result r = Exec(tx, Join(parts, "\nUNION ALL\n"));
  for (const pqxx::row& row : r) {
    Work& w = work_[row[0].as<size_t>()];
    Table& t = w.table;
    const std::string kind = row[1].as<std::string>();
    if (kind == "x") {
      const int64_t oid = row[2].as<int64_t>();
      const std::string def = row[4].is_null() ? "" : row[4].as<std::string>();
      const size_t using_at = def.find(" USING ");
      if (using_at == std::string::npos) continue;
      LocalIndex index{row[3].as<std::string>() == "true", def.substr(using_at + 7)};
      for (Child& c : t.children) {
        if (c.oid == oid) {
          c.local_indexes.push_back(index);
          std::sort(c.local_indexes.begin(), c.local_indexes.end());
        }
      }
      continue;
    }
    if (kind == "s") {
      const QualifiedName& name = w.sub_partitioned.at(std::stoul(row[4].as<std::string>())).first;
      for (Child& c : t.children) {
        if (c.name != name) continue;
        c.rows_estimate = row[2].as<int64_t>();
        c.bytes = std::stoll(row[3].as<std::string>()) * block_size_;
      }
      if (t.default_partition && t.default_partition->name == name) {
        t.default_partition->rows_estimate = row[2].as<int64_t>();
        t.default_partition->bytes = std::stoll(row[3].as<std::string>()) * block_size_;
      }
    } else if (kind == "d") {
      t.default_rows = row[2].as<int64_t>();
      if (!row[3].is_null()) w.default_min = ParseBound(t.key_type, row[3].as<std::string>());
      if (!row[4].is_null()) w.default_max = ParseBound(t.key_type, row[4].as<std::string>());
      if (t.default_rows == 0) t.default_buckets_known = true;
      if (IsIntegerKey(t.key_type) && w.default_max && w.default_max->is_value()) {
        t.max_key = std::max(t.max_key.value_or(w.default_max->value), w.default_max->value);
      }
    } else if (!row[4].is_null()) {
      int64_t v = std::stoll(row[4].as<std::string>());
      t.max_key = std::max(t.max_key.value_or(v), v);
      w.probe_order.clear();  // found: no further probes
    }
  }
}

// Integer tables whose first probes found only empty children: probe all the rest at once.
void CatalogReader::ReadMaxKeysRest(Tx& tx) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < work_.size(); ++i) {
    Work& w = work_[i];
    if (w.probed < w.probe_order.size()) parts.push_back(MaxKeyProbe(i, w.probe_order.size()));
  }
  if (parts.empty()) return;
  pqxx::result r = Exec(tx, Join(parts, "\nUNION ALL\n"));
  for (const pqxx::row& row : r) {
    if (row[4].is_null()) continue;
    Table& t = work_[row[0].as<size_t>()].table;
    int64_t v = std::stoll(row[4].as<std::string>());
    t.max_key = std::max(t.max_key.value_or(v), v);
  }
}

// Rows of each non-empty default partition by grid period: one scan per default, all in one
// query, width_bucket over the grid boundaries that cover [min(key), max(key)].
void CatalogReader::ReadDefaultBuckets(Tx& tx) {
  std::vector<std::string> parts, params;
  std::map<size_t, int64_t> first_period, period_count;
  for (size_t i = 0; i < work_.size(); ++i) {
    Work& w = work_[i];
    Table& t = w.table;
    if (!t.default_partition || t.default_rows == 0 || !w.grid || !SingleKey(t)) continue;
    if (!w.default_min || !w.default_max) {
      // Only NULL keys (or values we cannot read): nothing to place in a period.
      t.default_buckets_known = !w.default_min && !w.default_max;
      continue;
    }
    if (!w.default_min->is_value() || !w.default_max->is_value()) continue;  // +-infinity
    int64_t lo = w.grid->IndexOf(w.default_min->value);
    int64_t hi = w.grid->IndexOf(w.default_max->value);
    if (hi - lo + 1 > kMaxBucketPeriods) {
      // A stray far-away key (a device clock at 1970) must not hide the rows that matter:
      // count the periods around "now", where pgpart creates partitions; rows outside that
      // window stay uncounted and the planner blocks creates there.
      std::optional<int64_t> now;
      if (IsTimeKey(t.key_type)) now = w.grid->Now(now_micros_);
      if (IsIntegerKey(t.key_type)) now = t.max_key;
      if (!now) continue;
      const int64_t center = w.grid->IndexOf(*now);
      const int64_t all_lo = lo, all_hi = hi;
      lo = std::max(lo, center - kMaxBucketPeriods / 2);
      hi = std::min(hi, center + kMaxBucketPeriods / 2);
      if (lo > hi) continue;
      // Only a side that was cut leaves rows uncounted.
      if (lo > all_lo) t.default_counted_from = Bound::Value(w.grid->Lower(lo));
      if (hi < all_hi) t.default_counted_to = Bound::Value(w.grid->Lower(hi + 1));
      Warn(t.name, "the default partition's keys span more than " +
                       std::to_string(kMaxBucketPeriods) + " periods; its rows were counted " +
                       "by period only in [" + BoundText(t.key_type, t.default_counted_from) +
                       ", " + BoundText(t.key_type, t.default_counted_to) + ")");
    }
    std::vector<std::string> bounds;
    for (int64_t p = lo; p <= hi + 1; ++p) {
      bounds.push_back(BoundElement(t.key_type, Bound::Value(w.grid->Lower(p))));
    }
    params.push_back(ArrayLiteral(bounds));
    first_period[i] = lo;
    period_count[i] = hi - lo + 1;
    const std::string type = KeySqlType(t.key_type);
    const std::string key = Quote(t.key_columns[0]) + "::" + type;
    parts.push_back("SELECT " + std::to_string(i) + " AS i, width_bucket(" + key + ", $" +
                    std::to_string(params.size()) + "::" + type + "[]) AS b, count(*) FROM " +
                    FromItem(*t.default_partition) + " GROUP BY 2");
  }
  if (parts.empty()) return;
  pqxx::result r = ExecParams(tx, Join(parts, "\nUNION ALL\n") + "\nORDER BY 1, 2",
                              pqxx::prepare::make_dynamic_params(params));
  for (const auto& [i, lo] : first_period) work_[i].table.default_buckets_known = true;
  for (const pqxx::row& row : r) {
    const size_t i = row[0].as<size_t>();
    Work& w = work_[i];
    if (row[1].is_null()) continue;  // NULL keys
    const int64_t b = row[1].as<int64_t>();
    if (b < 1 || b > period_count[i]) continue;  // outside a clamped window
    const int64_t period = first_period[i] + b - 1;
    DefaultBucket bucket;
    bucket.from = Bound::Value(w.grid->Lower(period));
    bucket.to = Bound::Value(w.grid->Lower(period + 1));
    bucket.rows = row[2].as<int64_t>();
    if (b < 1 || bucket.rows == 0) continue;  // cannot happen within one snapshot
    w.table.default_buckets.push_back(bucket);
  }
}

}  // namespace pgpart::reader_internal
