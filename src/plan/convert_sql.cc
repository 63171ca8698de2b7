#include "plan/convert_sql.h"

#include <algorithm>

#include "core/ident.h"
#include "plan/statements.h"

namespace pgpart {
namespace {

Statement Make(std::string sql, const Execution& e) {
  return Statement{std::move(sql), true, e.lock_timeout_ms, e.statement_timeout_ms};
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ", ") + QuoteIdent(i);
  return out;
}

// The columns rows are moved by: stored generated ones are recomputed, never written.
std::vector<std::string> Writable(const ConvertShape& s) {
  std::vector<std::string> out;
  for (const SourceColumn& c : s.columns) {
    if (!c.generated) out.push_back(c.name);
  }
  return out;
}

std::vector<std::string> AllColumns(const ConvertShape& s) {
  std::vector<std::string> out;
  for (const SourceColumn& c : s.columns) out.push_back(c.name);
  return out;
}

bool HasIdentityAlways(const ConvertShape& s) {
  for (const SourceColumn& c : s.columns) {
    if (c.identity == 'a') return true;
  }
  return false;
}

std::string ColumnType(const ConvertShape& s, const std::string& name) {
  for (const SourceColumn& c : s.columns) {
    if (c.name == name) return c.type;
  }
  return "text";
}

// The columns a change log records: the row key, and the partition key when the row key lacks
// it (the replay then deletes a key's rows from the partitioned table partition by partition).
std::vector<std::string> LogColumns(const ConvertShape& s) {
  std::vector<std::string> out = s.row_key;
  if (std::find(out.begin(), out.end(), s.key_column) == out.end() && !s.key_column.empty()) {
    out.push_back(s.key_column);
  }
  return out;
}

// "a.x = b.x AND a.y = b.y" over `columns` (default: the row key).
std::string KeyMatch(const ConvertShape& s, const std::string& a, const std::string& b,
                     const std::vector<std::string>* columns = nullptr) {
  std::string out;
  for (const std::string& k : columns != nullptr ? *columns : s.row_key) {
    out += (out.empty() ? "" : " AND ") + a + "." + QuoteIdent(k) + " = " + b + "." + QuoteIdent(k);
  }
  return out;
}

// " AND <alias>.key >= <copy_from>" (expiredRows: skip), or "".
std::string FromFilter(const ConvertShape& s, const std::string& alias) {
  if (!s.copy_from) return "";
  return " AND " + alias + QuoteIdent(s.key_column) + " >= " +
         BoundSqlLiteral(s.key_type, *s.copy_from);
}

// Names the new parent's keys and indexes carry until the swap gives them the old ones (index
// names are unique per schema, and the old table keeps its own until then).
std::string NewName(const ConvertShape& s, size_t i) {
  return "pgpart_new_" + std::to_string(s.old_oid) + "_" + std::to_string(i);
}
std::string OldName(const ConvertShape& s, size_t i) {
  return "pgpart_old_" + std::to_string(s.old_oid) + "_" + std::to_string(i);
}

// A statement-level trigger function that records the row key of every changed row into `log`
// (TRUNCATE is refused: it would empty the table without a row to replay). SECURITY DEFINER:
// the application's roles write the table, not the log.
std::string CaptureFunction(const ConvertShape& s, const QualifiedName& function,
                            const QualifiedName& log) {
  const std::string keys = Join(LogColumns(s));
  const std::string into = "INSERT INTO " + log.Sql() + " (" + keys + ") SELECT " + keys;
  return "CREATE FUNCTION " + function.Sql() +
         "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER"
         " SET search_path = pg_catalog, pg_temp AS $pgpart$\nBEGIN\n"
         "  IF TG_OP = 'TRUNCATE' THEN\n"
         "    RAISE EXCEPTION 'pgpart: %.% is being converted into a partitioned table; TRUNCATE "
         "is refused until the conversion ends (pgpart convert rollback ends it)', "
         "TG_TABLE_SCHEMA, TG_TABLE_NAME;\n"
         "  ELSIF TG_OP = 'INSERT' THEN\n    " + into + " FROM pgpart_new_rows;\n"
         "  ELSIF TG_OP = 'UPDATE' THEN\n    " + into + " FROM pgpart_old_rows UNION ALL SELECT " +
         keys + " FROM pgpart_new_rows;\n"
         "  ELSE\n    " + into + " FROM pgpart_old_rows;\n"
         "  END IF;\n  RETURN NULL;\nEND\n$pgpart$";
}

// The log, its function and the four triggers on `table` (trigger names start with `prefix`).
std::vector<Statement> Capture(const ConvertShape& s, const QualifiedName& table,
                               const QualifiedName& log, const QualifiedName& function,
                               const std::string& prefix) {
  const Execution& e = s.execution;
  std::string cols;
  for (const std::string& k : LogColumns(s)) {
    cols += ", " + QuoteIdent(k) + " " + ColumnType(s, k);
  }
  std::vector<Statement> out;
  out.push_back(Make("CREATE TABLE " + log.Sql() + " (pgpart_id bigint GENERATED ALWAYS AS "
                                                   "IDENTITY PRIMARY KEY" + cols + ")",
                     e));
  out.push_back(Make(CaptureFunction(s, function, log), e));
  const std::string exec = " FOR EACH STATEMENT EXECUTE FUNCTION " + function.Sql() + "()";
  const std::string on = " ON " + table.Sql();
  out.push_back(Make("CREATE TRIGGER " + QuoteIdent(prefix + "ins") + " AFTER INSERT" + on +
                         " REFERENCING NEW TABLE AS pgpart_new_rows" + exec,
                     e));
  out.push_back(Make("CREATE TRIGGER " + QuoteIdent(prefix + "upd") + " AFTER UPDATE" + on +
                         " REFERENCING OLD TABLE AS pgpart_old_rows NEW TABLE AS "
                         "pgpart_new_rows" + exec,
                     e));
  out.push_back(Make("CREATE TRIGGER " + QuoteIdent(prefix + "del") + " AFTER DELETE" + on +
                         " REFERENCING OLD TABLE AS pgpart_old_rows" + exec,
                     e));
  out.push_back(Make("CREATE TRIGGER " + QuoteIdent(prefix + "trunc") + " BEFORE TRUNCATE" + on +
                         exec,
                     e));
  return out;
}

std::vector<Statement> DropCapture(const QualifiedName& table, const QualifiedName& log,
                                   const QualifiedName& function, const std::string& prefix,
                                   const Execution& e) {
  std::vector<Statement> out;
  for (const char* what : {"ins", "upd", "del", "trunc"}) {
    out.push_back(Make("DROP TRIGGER " + QuoteIdent(prefix + what) + " ON " + table.Sql(), e));
  }
  out.push_back(Make("DROP FUNCTION " + function.Sql() + "()", e));
  out.push_back(Make("DROP TABLE " + log.Sql(), e));
  return out;
}

// The replay of logged keys from `source` into `target`: take up to `limit` keys out of `log`
// (all when 0), delete their rows from `target`, copy them again from `source`.
std::vector<Statement> Replay(const ConvertShape& s, const QualifiedName& log,
                              const QualifiedName& source, const QualifiedName& target,
                              int64_t limit, bool source_partitioned = false) {
  const Execution& e = s.execution;
  const std::vector<std::string> logged = LogColumns(s);
  const std::string keys = Join(logged);
  const std::string cols = Join(Writable(s));
  const std::string take =
      limit > 0 ? "DELETE FROM " + log.Sql() + " WHERE pgpart_id IN (SELECT pgpart_id FROM " +
                      log.Sql() + " ORDER BY pgpart_id LIMIT " + std::to_string(limit) + ")"
                : "DELETE FROM " + log.Sql();
  std::vector<Statement> out;
  // A few keys against a big table: index probes, partition by partition, never a scan of the
  // whole table (a merge or hash join) nor a JIT compilation that costs more than the work.
  out.push_back(Make("SET LOCAL jit = off", e));
  out.push_back(Make("SET LOCAL enable_mergejoin = off", e));
  out.push_back(Make("SET LOCAL enable_hashjoin = off", e));
  out.push_back(Make("CREATE TEMP TABLE pgpart_convert_keys ON COMMIT DROP AS SELECT " + keys +
                         " FROM " + log.Sql() + " WITH NO DATA",
                     e));
  out.push_back(Make("WITH taken AS (" + take + " RETURNING " + keys +
                         ") INSERT INTO pg_temp.pgpart_convert_keys SELECT DISTINCT " + keys +
                         " FROM taken",
                     e));
  // Into the partitioned table: by the row key and the partition key, as they were logged (the
  // old values of an update too), so each delete goes to one partition. Into the plain table (a
  // rollback): by the row key, its primary key.
  out.push_back(Make("DELETE FROM " + target.Sql() + " t USING pg_temp.pgpart_convert_keys k WHERE " +
                         KeyMatch(s, "t", "k", source_partitioned ? nullptr : &logged),
                     e));
  out.push_back(Make("INSERT INTO " + target.Sql() + " (" + cols + ")" +
                         (HasIdentityAlways(s) ? " OVERRIDING SYSTEM VALUE" : "") + " SELECT " +
                         cols + " FROM " + (source_partitioned ? "" : "ONLY ") + source.Sql() +
                         " o WHERE EXISTS (SELECT FROM pg_temp.pgpart_convert_keys k WHERE " +
                         KeyMatch(s, "o", "k") + ")" +
                         (source_partitioned ? "" : FromFilter(s, "o.")),
                     e));
  return out;
}

// CREATE OR REPLACE VIEW with the view's own query: run after a rename, it binds the view to
// the table that has the name now.
Statement ReplaceView(const SourceObject& v, const Execution& e) {
  std::string def = v.definition;
  while (!def.empty() && (def.back() == ';' || def.back() == ' ' || def.back() == '\n')) {
    def.pop_back();
  }
  return Make("CREATE OR REPLACE VIEW " + v.name.Sql() +
                  (v.options.empty() ? "" : " WITH (" + v.options + ")") + " AS" + def,
              e);
}

// Each identity column's sequence of `to` continues where `from`'s is (nobody inserts: both are
// locked), so that the table that keeps the name hands out no value twice.
void ContinueIdentities(const ConvertShape& s, const QualifiedName& to, const QualifiedName& from,
                        std::vector<Statement>* out) {
  for (const SourceColumn& c : s.columns) {
    if (c.identity == 0) continue;
    const std::string column = QuoteLiteral(QuoteIdent(c.name));
    out->push_back(Make("SELECT setval(pg_get_serial_sequence(" + QuoteLiteral(to.Sql()) + ", " +
                            column + "), nextval(pg_get_serial_sequence(" +
                            QuoteLiteral(from.Sql()) + ", " + column + ")), false)",
                        s.execution));
  }
}

// The serial sequences the table owns go with its name to `table` (dropping the other table must
// not drop them).
void MoveSequences(const ConvertShape& s, const QualifiedName& table,
                   std::vector<Statement>* out) {
  for (const OwnedSequence& q : s.sequences) {
    out->push_back(Make("ALTER SEQUENCE " + q.sequence.Sql() + " OWNED BY " + table.Sql() + "." +
                            QuoteIdent(q.column),
                        s.execution));
  }
}

TableShape PrivilegeShape(const ConvertShape& s) {
  TableShape t;
  t.parent = s.names.fresh;
  t.inherit_privileges = true;
  t.owner = s.owner;
  t.grants = s.grants;
  return t;
}

}  // namespace

std::string ConvertMarkerText(const QualifiedName& table, int64_t old_oid,
                              const std::string& block) {
  return std::string(kConvertMarker) + table.Sql() + " oid " + std::to_string(old_oid) +
         " next_block " + block;
}

std::vector<Statement> ConvertPrepare(const ConvertShape& s) {
  const Execution& e = s.execution;
  const QualifiedName& fresh = s.names.fresh;
  std::vector<Statement> out;
  out.push_back(Make("CREATE TABLE " + fresh.Sql() + " (LIKE " + s.names.table.Sql() +
                         " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED"
                         " INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION"
                         " INCLUDING COMMENTS INCLUDING STATISTICS) PARTITION BY RANGE (" +
                         QuoteIdent(s.key_column) + ")",
                     e));
  // The parent's owner and grants: the same table, to everyone who uses it.
  for (Statement& st : InheritPrivileges(PrivilegeShape(s), fresh, "", {}, e)) {
    out.push_back(std::move(st));
  }
  size_t n = 0;
  out.push_back(Make("ALTER TABLE " + fresh.Sql() + " ADD CONSTRAINT " +
                         QuoteIdent(NewName(s, n++)) + " PRIMARY KEY (" + Join(s.primary_key) +
                         ")",
                     e));
  for (const SourceConstraint& c : s.constraints) {
    if (c.kind == 'u') {
      out.push_back(Make("ALTER TABLE " + fresh.Sql() + " ADD CONSTRAINT " +
                             QuoteIdent(NewName(s, n++)) + " " + c.definition,
                         e));
    }
  }
  for (const SourceIndex& i : s.indexes) {
    out.push_back(Make(std::string("CREATE ") + (i.unique ? "UNIQUE " : "") + "INDEX " +
                           QuoteIdent(NewName(s, n++)) + " ON " + fresh.Sql() + " USING " +
                           i.definition,
                       e));
  }
  // Foreign keys to other tables: checked row by row as the copy inserts (the new table is
  // empty now, so adding them scans nothing). Their names are per table: kept.
  for (const SourceConstraint& c : s.constraints) {
    if (c.kind == 'f') {
      out.push_back(Make("ALTER TABLE " + fresh.Sql() + " ADD CONSTRAINT " + QuoteIdent(c.name) +
                             " " + c.definition,
                         e));
    }
  }
  TableShape shape = PrivilegeShape(s);
  for (size_t i = 0; i < s.ranges.size() && i < s.range_names.size(); ++i) {
    out.push_back(Make("CREATE TABLE " + s.range_names[i].Sql() + " PARTITION OF " + fresh.Sql() +
                           " FOR VALUES FROM (" + BoundSqlLiteral(s.key_type, s.ranges[i].first) +
                           ") TO (" + BoundSqlLiteral(s.key_type, s.ranges[i].second) + ")",
                       e));
    if (s.inherit_privileges) {
      for (Statement& st : InheritPrivileges(shape, s.range_names[i], "", {}, e)) {
        out.push_back(std::move(st));
      }
    }
  }
  if (s.default_name) {
    out.push_back(
        Make("CREATE TABLE " + s.default_name->Sql() + " PARTITION OF " + fresh.Sql() + " DEFAULT",
             e));
    if (s.inherit_privileges) {
      for (Statement& st : InheritPrivileges(shape, *s.default_name, "", {}, e)) {
        out.push_back(std::move(st));
      }
    }
  }
  for (Statement& st :
       Capture(s, s.names.table, s.names.log, s.names.capture, "pgpart_convert_")) {
    out.push_back(std::move(st));
  }
  out.push_back(Make("COMMENT ON TABLE " + fresh.Sql() + " IS " +
                         QuoteLiteral(ConvertMarkerText(s.names.table, s.old_oid, "0")),
                     e));
  return out;
}

std::vector<Statement> ConvertCopy(const ConvertShape& s) {
  const Execution& e = s.execution;
  const std::string cols = Join(Writable(s));
  std::vector<Statement> out;
  out.push_back(Make("INSERT INTO " + s.names.fresh.Sql() + " (" + cols + ")" +
                         (HasIdentityAlways(s) ? " OVERRIDING SYSTEM VALUE" : "") + " SELECT " +
                         cols + " FROM ONLY " + s.names.table.Sql() + " WHERE ctid >= '(" +
                         kFromBlock + ",0)'::tid AND ctid < '(" + kToBlock + ",0)'::tid" +
                         FromFilter(s, "") + " ON CONFLICT DO NOTHING",
                     e));
  const std::string comment = "COMMENT ON TABLE " + s.names.fresh.Sql() + " IS ";
  out.push_back(Make(
      comment + QuoteLiteral(ConvertMarkerText(s.names.table, s.old_oid, kToBlock)), e));
  out.push_back(Make(
      comment + QuoteLiteral(ConvertMarkerText(s.names.table, s.old_oid, kToBlock) + " copied"),
      e));
  out.push_back(Make("ANALYZE " + s.names.fresh.Sql(), e));
  for (Statement& st : Replay(s, s.names.log, s.names.table, s.names.fresh, s.batch_rows)) {
    out.push_back(std::move(st));
  }
  return out;
}

std::vector<Statement> ConvertVerify(const ConvertShape& s) {
  std::string bounds;
  std::vector<Bound> edges;
  for (const auto& [from, to] : s.ranges) {
    if (edges.empty() || !(edges.back() == from)) edges.push_back(from);
    edges.push_back(to);
  }
  for (const Bound& b : edges) {
    bounds += (bounds.empty() ? "" : ", ") + BoundSqlLiteral(s.key_type, b);
  }
  const std::string type = KeyTypeName(s.key_type);
  const std::string array = "ARRAY[" + bounds + "]::" + type + "[]";
  std::string row;
  for (const std::string& c : AllColumns(s)) row += (row.empty() ? "" : ", ") + ("o." + QuoteIdent(c));
  const std::string key = "o." + QuoteIdent(s.key_column);
  auto query = [&](const std::string& from, const std::string& filter) {
    return "SELECT (" + array + ")[pgpart_period]::text, (" + array +
           ")[pgpart_period + 1]::text, count(*), "
           "coalesce(sum(hashtextextended(ROW(" + row + ")::text, 0)::numeric), 0) FROM (SELECT "
           "CASE WHEN " + key + " >= (" + array + ")[1] AND " + key + " < (" + array +
           ")[cardinality(" + array + ")] THEN width_bucket(" + key + ", " + array +
           ") END AS pgpart_period, o.* FROM " + from + " o WHERE NOT EXISTS (SELECT FROM " +
           s.names.log.Sql() + " l WHERE " + KeyMatch(s, "l", "o") + ")" + filter +
           ") o GROUP BY pgpart_period ORDER BY pgpart_period NULLS LAST";
  };
  return {Make(query("ONLY " + s.names.table.Sql(), FromFilter(s, "o.")), s.execution),
          Make(query(s.names.fresh.Sql(), ""), s.execution)};
}

std::vector<Statement> ConvertSwap(const ConvertShape& s) {
  const Execution& e = s.execution;
  const ConvertNames& n = s.names;
  std::vector<Statement> out;
  out.push_back(Make("LOCK TABLE " + n.table.Sql() + " IN ACCESS EXCLUSIVE MODE", e));
  for (Statement& st : Replay(s, n.log, n.table, n.fresh, 0)) out.push_back(std::move(st));
  for (Statement& st : DropCapture(n.table, n.log, n.capture, "pgpart_convert_", e)) {
    out.push_back(std::move(st));
  }
  ContinueIdentities(s, n.fresh, n.table, &out);
  out.push_back(
      Make("ALTER TABLE " + n.table.Sql() + " RENAME TO " + QuoteIdent(n.old.name), e));
  out.push_back(Make("ALTER TABLE " + n.fresh.Sql() + " RENAME TO " + QuoteIdent(n.table.name), e));
  // Keys and indexes take the old names (ON CONFLICT ON CONSTRAINT, hints and runbooks use them).
  size_t i = 0;
  auto rename_constraint = [&](const std::string& name) {
    out.push_back(Make("ALTER TABLE " + n.old.Sql() + " RENAME CONSTRAINT " + QuoteIdent(name) +
                           " TO " + QuoteIdent(OldName(s, i)),
                       e));
    out.push_back(Make("COMMENT ON INDEX " + QualifiedName{n.table.schema, OldName(s, i)}.Sql() +
                           " IS " + QuoteLiteral(kWasMarker + name),
                       e));
    out.push_back(Make("ALTER TABLE " + n.table.Sql() + " RENAME CONSTRAINT " +
                           QuoteIdent(NewName(s, i)) + " TO " + QuoteIdent(name),
                       e));
    ++i;
  };
  rename_constraint(s.primary_key_name);
  for (const SourceConstraint& c : s.constraints) {
    if (c.kind == 'u') rename_constraint(c.name);
  }
  for (const SourceIndex& index : s.indexes) {
    const QualifiedName old_index{n.table.schema, index.name};
    out.push_back(
        Make("ALTER INDEX " + old_index.Sql() + " RENAME TO " + QuoteIdent(OldName(s, i)), e));
    out.push_back(Make("COMMENT ON INDEX " + QualifiedName{n.table.schema, OldName(s, i)}.Sql() +
                           " IS " + QuoteLiteral(kWasMarker + index.name),
                       e));
    out.push_back(Make("ALTER INDEX " + QualifiedName{n.table.schema, NewName(s, i)}.Sql() +
                           " RENAME TO " + QuoteIdent(index.name),
                       e));
    ++i;
  }
  MoveSequences(s, n.table, &out);
  // Triggers and views name the table: their definitions, run now, bind to the new one.
  for (const SourceObject& t : s.triggers) out.push_back(Make(t.definition, e));
  for (const SourceObject& v : s.views) out.push_back(ReplaceView(v, e));
  out.push_back(Make("COMMENT ON TABLE " + n.table.Sql() + " IS " +
                         (s.comment.empty() ? "NULL" : QuoteLiteral(s.comment)),
                     e));
  for (Statement& st : Capture(s, n.table, n.back_log, n.back_capture, "pgpart_convert_back_")) {
    out.push_back(std::move(st));
  }
  // The marker carries the swap's instant: a backup gate before dropping the old table asks for
  // a backup taken after it (the old table has not changed since).
  out.push_back(Make("DO $pgpart$ BEGIN EXECUTE format('COMMENT ON TABLE %s IS %L', " +
                         QuoteLiteral(n.old.Sql()) + ", " +
                         QuoteLiteral(std::string(kConvertedMarker) + n.table.Sql() +
                                      kSwappedAt) +
                         " || (extract(epoch FROM now()) * 1000000)::bigint); END $pgpart$",
                     e));
  return out;
}

std::vector<Statement> ConvertDropOld(const ConvertNames& n, const Execution& e) {
  std::vector<Statement> out =
      DropCapture(n.table, n.back_log, n.back_capture, "pgpart_convert_back_", e);
  out.push_back(Make("DROP TABLE " + n.old.Sql(), e));
  return out;
}

std::vector<Statement> ConvertAbort(const ConvertNames& n, const Execution& e) {
  std::vector<Statement> out = DropCapture(n.table, n.log, n.capture, "pgpart_convert_", e);
  out.push_back(Make("DROP TABLE " + n.fresh.Sql(), e));
  return out;
}

std::vector<Statement> ConvertRollback(const RollbackShape& r) {
  const ConvertShape& s = r.shape;
  const Execution& e = s.execution;
  const ConvertNames& n = s.names;
  std::vector<Statement> out;
  out.push_back(Make("LOCK TABLE " + n.table.Sql() + ", " + n.old.Sql() +
                         " IN ACCESS EXCLUSIVE MODE",
                     e));
  // The old table's own triggers (a dual write) already ran when these rows were first written.
  for (const std::string& t : r.enabled_triggers) {
    out.push_back(Make("ALTER TABLE " + n.old.Sql() + " DISABLE TRIGGER " + QuoteIdent(t), e));
  }
  for (Statement& st : Replay(s, n.back_log, n.table, n.old, 0, /*source_partitioned=*/true)) {
    out.push_back(std::move(st));
  }
  for (const std::string& t : r.enabled_triggers) {
    out.push_back(Make("ALTER TABLE " + n.old.Sql() + " ENABLE TRIGGER " + QuoteIdent(t), e));
  }
  ContinueIdentities(s, n.old, n.table, &out);
  for (Statement& st : DropCapture(n.table, n.back_log, n.back_capture, "pgpart_convert_back_", e)) {
    out.push_back(std::move(st));
  }
  MoveSequences(s, n.old, &out);
  out.push_back(Make("ALTER TABLE " + n.table.Sql() + " RENAME TO " + QuoteIdent(n.fresh.name), e));
  out.push_back(Make("ALTER TABLE " + n.old.Sql() + " RENAME TO " + QuoteIdent(n.table.name), e));
  for (const SourceObject& v : s.views) out.push_back(ReplaceView(v, e));
  out.push_back(Make("DROP TABLE " + n.fresh.Sql(), e));
  for (const RollbackShape::Rename& rn : r.renames) {
    const QualifiedName index{n.table.schema, rn.current};
    out.push_back(Make("COMMENT ON INDEX " + index.Sql() + " IS NULL", e));
    out.push_back(Make(rn.constraint ? "ALTER TABLE " + n.table.Sql() + " RENAME CONSTRAINT " +
                                           QuoteIdent(rn.current) + " TO " +
                                           QuoteIdent(rn.original)
                                     : "ALTER INDEX " + index.Sql() + " RENAME TO " +
                                           QuoteIdent(rn.original),
                       e));
  }
  out.push_back(Make("COMMENT ON TABLE " + n.table.Sql() + " IS " +
                         (s.comment.empty() ? "NULL" : QuoteLiteral(s.comment)),
                     e));
  return out;
}

}  // namespace pgpart
