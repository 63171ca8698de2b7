// The catalog reader's conversion part (policy spec.convert): what a plain table carries that a
// partitioned copy must carry too, and how far a conversion got. One JSON document per table.

#include <cstring>
#include <nlohmann/json.hpp>

#include "catalog/reader_internal.h"
#include "core/ident.h"

namespace pgpart::reader_internal {

namespace {

using nlohmann::json;

// Everything about one plain table (oid $1, the policy's column $2), as one JSON object. Runs
// with search_path = pg_catalog so that every definition names relations with their schema.
constexpr char kSourceSql[] = R"SQL(
SELECT json_build_object(
 'persistence', c.relpersistence::text,
 'inheritance', EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = c.oid OR inhparent = c.oid),
 'is_partition', c.relispartition,
 'owner', pg_get_userbyid(c.relowner)::text,
 'comment', coalesce(obj_description(c.oid, 'pg_class'), ''),
 'rows', greatest(c.reltuples, 0)::bigint,
 'pages', pg_relation_size(c.oid) / current_setting('block_size')::bigint,
 'bytes', pg_total_relation_size(c.oid),
 'rls', c.relrowsecurity, 'rls_forced', c.relforcerowsecurity,
 'key_type', (SELECT format_type(a.atttypid, NULL) FROM pg_attribute a
               WHERE a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped),
 'columns', (SELECT json_agg(json_build_object(
                 'name', a.attname::text, 'type', format_type(a.atttypid, a.atttypmod),
                 'not_null', a.attnotnull, 'generated', a.attgenerated <> '',
                 'identity', a.attidentity::text, 'acl', a.attacl IS NOT NULL) ORDER BY a.attnum)
               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
 'constraints', (SELECT json_agg(json_build_object(
                 'name', co.conname::text, 'kind', co.contype::text,
                 'def', pg_get_constraintdef(co.oid),
                 'self', co.confrelid = c.oid,
                 'columns', (SELECT json_agg(a.attname::text ORDER BY k.ord)
                               FROM unnest(co.conkey) WITH ORDINALITY AS k(n, ord)
                               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.n))
                 ORDER BY co.conname)
               FROM pg_constraint co WHERE co.conrelid = c.oid AND co.contype IN ('p', 'u', 'f', 'x')),
 'indexes', (SELECT json_agg(json_build_object(
                 'name', ic.relname::text, 'unique', i.indisunique,
                 'def', regexp_replace(pg_get_indexdef(i.indexrelid), '^.*? USING ', ''),
                 'columns', (SELECT json_agg(coalesce(a.attname::text, '') ORDER BY k.ord)
                               FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1])
                                    WITH ORDINALITY AS k(n, ord)
                               LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.n))
                 ORDER BY ic.relname)
               FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
              WHERE i.indrelid = c.oid
                AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid
                                   AND co.conrelid = c.oid)),
 'triggers', (SELECT json_agg(json_build_object('name', t.tgname::text,
                                                'def', pg_get_triggerdef(t.oid)) ORDER BY t.tgname)
                FROM pg_trigger t
               WHERE t.tgrelid = c.oid AND NOT t.tgisinternal AND t.tgname !~ '^pgpart_convert_'),
 'views', (SELECT json_agg(json_build_object(
               'schema', vn.nspname::text, 'name', v.relname::text, 'kind', v.relkind::text,
               'def', CASE WHEN v.relkind IN ('v', 'm') THEN pg_get_viewdef(v.oid) END,
               'options', coalesce(array_to_string(v.reloptions, ','), '')) ORDER BY vn.nspname, v.relname)
             FROM (SELECT DISTINCT r.ev_class FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
                    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
                      AND d.refobjid = c.oid) dv
             JOIN pg_class v ON v.oid = dv.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace),
 'functions', (SELECT json_agg(DISTINCT d.objid::regprocedure::text)
                 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid),
 'incoming', (SELECT json_agg(json_build_object('table', co.conrelid::regclass::text,
                                                'name', co.conname::text,
                                                'def', pg_get_constraintdef(co.oid)) ORDER BY co.conname)
                FROM pg_constraint co
               WHERE co.contype = 'f' AND co.confrelid = c.oid AND co.conrelid <> c.oid),
 'policies', (SELECT json_agg(p.polname::text ORDER BY p.polname) FROM pg_policy p
               WHERE p.polrelid = c.oid),
 'publications', (SELECT json_agg(pb.pubname::text ORDER BY pb.pubname)
                    FROM pg_publication_rel pr JOIN pg_publication pb ON pb.oid = pr.prpubid
                   WHERE pr.prrelid = c.oid),
 'sequences', (SELECT json_agg(json_build_object(
                  'schema', sn.nspname::text, 'name', s.relname::text, 'column', a.attname::text,
                  'identity', d.deptype = 'i') ORDER BY s.relname)
                 FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                 JOIN pg_namespace sn ON sn.oid = s.relnamespace
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
                WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                  AND d.refobjid = c.oid AND d.deptype IN ('a', 'i'))
)::text
  FROM pg_class c WHERE c.oid = $1::oid
)SQL";

// The conversion's own objects: the new parent (its oid and comment), the change log's rows,
// the old table once swapped (its oid, comment, size) and the rollback log's rows.
constexpr char kStateSql[] = R"SQL(
SELECT f.oid, coalesce(obj_description(f.oid, 'pg_class'), ''),
       o.oid, coalesce(obj_description(o.oid, 'pg_class'), ''),
       CASE WHEN o.oid IS NOT NULL THEN greatest(o.reltuples, 0)::bigint END,
       CASE WHEN o.oid IS NOT NULL THEN pg_total_relation_size(o.oid) END,
       f.relkind::text, to_regclass($3) IS NOT NULL, to_regclass($4) IS NOT NULL
  FROM (SELECT 1) one
  LEFT JOIN pg_class f ON f.oid = to_regclass($1)
  LEFT JOIN pg_class o ON o.oid = to_regclass($2)
)SQL";

std::vector<std::string> Strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const json& e : j) out.push_back(e.is_string() ? e.get<std::string>() : "");
  }
  return out;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

bool Flag(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

const json& List(const json& j, const char* key) {
  static const json kEmpty = json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

void FillSource(const json& j, ConvertSource* s) {
  const std::string persistence = Str(j, "persistence");
  s->persistence = persistence.empty() ? 'p' : persistence[0];
  s->has_inheritance = Flag(j, "inheritance");
  s->is_partition = Flag(j, "is_partition");
  s->owner = Str(j, "owner");
  s->comment = Str(j, "comment");
  s->rows_estimate = Int(j, "rows");
  s->pages = Int(j, "pages");
  s->bytes = Int(j, "bytes");
  s->rls_enabled = Flag(j, "rls");
  s->rls_forced = Flag(j, "rls_forced");
  s->key_type_name = Str(j, "key_type");
  s->key_type = s->key_type_name.empty() ? KeyType::kUnsupported
                                         : KeyTypeFromPgName(s->key_type_name);
  for (const json& c : List(j, "columns")) {
    SourceColumn col;
    col.name = Str(c, "name");
    col.type = Str(c, "type");
    col.not_null = Flag(c, "not_null");
    col.generated = Flag(c, "generated");
    const std::string identity = Str(c, "identity");
    col.identity = identity.empty() ? 0 : identity[0];
    col.has_acl = Flag(c, "acl");
    s->columns.push_back(std::move(col));
  }
  for (const json& c : List(j, "constraints")) {
    SourceConstraint con;
    con.name = Str(c, "name");
    con.kind = Str(c, "kind").empty() ? 0 : Str(c, "kind")[0];
    con.definition = Str(c, "def");
    con.columns = Strings(c.value("columns", json::array()));
    if (con.kind == 'f' && Flag(c, "self")) {
      s->dependents.push_back(SourceObject{{s->names.table.schema, con.name},
                                           "self-referencing foreign key", con.definition, ""});
    }
    s->constraints.push_back(std::move(con));
  }
  for (const json& c : List(j, "indexes")) {
    SourceIndex index;
    index.name = Str(c, "name");
    index.unique = Flag(c, "unique");
    index.definition = Str(c, "def");
    index.columns = Strings(c.value("columns", json::array()));
    s->indexes.push_back(std::move(index));
  }
  for (const json& t : List(j, "triggers")) {
    s->dependents.push_back(
        SourceObject{{s->names.table.schema, Str(t, "name")}, "trigger", Str(t, "def"), ""});
  }
  for (const json& v : List(j, "views")) {
    const std::string kind = Str(v, "kind");
    s->dependents.push_back(SourceObject{{Str(v, "schema"), Str(v, "name")},
                                         kind == "v"   ? "view"
                                         : kind == "m" ? "materialized view"
                                                       : "rule",
                                         Str(v, "def"), Str(v, "options")});
  }
  for (const std::string& f : Strings(List(j, "functions"))) {
    s->dependents.push_back(SourceObject{{"", f}, "function", "", ""});
  }
  for (const json& f : List(j, "incoming")) {
    s->dependents.push_back(SourceObject{{"", Str(f, "name")}, "foreign key",
                                         Str(f, "table") + " " + Str(f, "def"), ""});
  }
  for (const std::string& p : Strings(List(j, "policies"))) {
    s->dependents.push_back(SourceObject{{s->names.table.schema, p}, "policy", "", ""});
  }
  for (const std::string& p : Strings(List(j, "publications"))) {
    s->dependents.push_back(SourceObject{{"", p}, "publication", "", ""});
  }
  for (const json& q : List(j, "sequences")) {
    if (Flag(q, "identity")) continue;  // an identity column's own: LIKE makes the new table one
    s->sequences.push_back(
        OwnedSequence{{Str(q, "schema"), Str(q, "name")}, Str(q, "column")});
  }
}

// "pgpart:convert public.t oid 123 next_block 45[ copied]": phase, old oid and next block.
bool ParseConvertMarker(const std::string& comment, const QualifiedName& table, int64_t* oid,
                        int64_t* next_block, bool* copied) {
  const std::string head = std::string(kConvertMarker) + table.Sql() + " oid ";
  if (comment.rfind(head, 0) != 0) return false;
  const std::string rest = comment.substr(head.size());
  long long o = 0, b = 0;
  char tail[16] = {0};
  const int n = std::sscanf(rest.c_str(), "%lld next_block %lld %15s", &o, &b, tail);
  if (n < 2) return false;
  *oid = o;
  *next_block = b;
  *copied = n == 3 && std::string(tail) == "copied";
  return true;
}

}  // namespace

void CatalogReader::ReadConversions(Tx& tx) {
  for (Work& w : work_) {
    if (w.request == nullptr || w.request->convert_column.empty() || !w.table.exists) continue;
    ConvertSource s;
    s.names = NamesFor(w.table.name);
    if (s.names.too_long) {
      w.table.convert = s;
      continue;
    }
    pqxx::result st = ExecParams(tx, kStateSql, s.names.fresh.Sql(), s.names.old.Sql(),
                                    s.names.log.Sql(), s.names.back_log.Sql());
    // Rows waiting in a log (a log that is not there has none).
    auto count_rows = [&](bool exists, const QualifiedName& log) -> int64_t {
      if (!exists) return 0;
      return Exec(tx, "SELECT count(*) FROM " + QuoteTable(log))[0][0].as<int64_t>();
    };
    const pqxx::row state = st[0];
    if (w.relkind == 'p') {
      // Converted already when the old table carries our marker naming this table.
      if (state[2].is_null()) continue;
      const std::string comment = state[3].as<std::string>();
      const std::string head = std::string(kConvertedMarker) + w.table.name.Sql();
      if (comment != head && comment.rfind(head + kSwappedAt, 0) != 0) continue;
      if (comment != head) {
        s.swapped_at_micros = std::atoll(comment.c_str() + head.size() + strlen(kSwappedAt));
      }
      s.phase = ConvertPhase::kSwapped;
      s.oid = state[2].as<int64_t>();
      s.old_rows_estimate = state[4].as<int64_t>();
      s.old_bytes = state[5].as<int64_t>();
      s.log_rows = count_rows(state[8].as<bool>(), s.names.back_log);
      w.table.convert = s;
      continue;
    }
    if (w.relkind != 'r') continue;  // a view, a foreign table: the planner says what it is
    pqxx::result prev = Exec(tx, "SELECT current_setting('search_path')");
    Exec(tx, "SET LOCAL search_path = pg_catalog");
    pqxx::result r = ExecParams(tx, kSourceSql, std::to_string(w.oid), w.request->convert_column);
    ExecParams(tx, "SELECT set_config('search_path', $1, true)", prev[0][0].as<std::string>());
    s.oid = w.oid;
    FillSource(json::parse(r[0][0].as<std::string>()), &s);
    if (s.key_type != KeyType::kUnsupported) {
      const std::string key = Quote(w.request->convert_column);
      const std::string table = QuoteTable(w.table.name);
      pqxx::result k = Exec(tx, "SELECT (SELECT min(" + key + ")::text FROM " + table +
                                    "), (SELECT max(" + key + ")::text FROM " + table +
                                    "), EXISTS (SELECT 1 FROM " + table + " WHERE " + key +
                                    " IS NULL)");
      if (!k[0][0].is_null()) s.min_key = ParseBound(s.key_type, k[0][0].as<std::string>());
      if (!k[0][1].is_null()) s.max_key = ParseBound(s.key_type, k[0][1].as<std::string>());
      s.null_keys = k[0][2].as<bool>();
    }
    if (!state[0].is_null()) {
      int64_t oid = 0, next_block = 0;
      bool copied = false;
      if (state[6].as<std::string>() == "p" &&
          ParseConvertMarker(state[1].as<std::string>(), w.table.name, &oid, &next_block,
                             &copied) &&
          oid == s.oid) {
        s.phase = copied ? ConvertPhase::kCopied : ConvertPhase::kCopying;
        const int64_t fresh_oid = state[0].as<int64_t>();
        s.next_block = next_block;
        s.log_rows = count_rows(state[7].as<bool>(), s.names.log);
        pqxx::result parts = ExecParams(
            tx,
            "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::oid",
            std::to_string(fresh_oid));
        for (const pqxx::row& part : parts) {
          auto e = ParseBoundExpr(part[0].as<std::string>());
          if (!e) continue;
          if (e->kind == BoundKind::kDefault) {
            s.fresh_default = true;
          } else if (e->kind == BoundKind::kRange && e->from.size() == 1 && e->to.size() == 1) {
            auto from = ParseBound(s.key_type, e->from[0]);
            auto to = ParseBound(s.key_type, e->to[0]);
            if (from && to) s.fresh_ranges.emplace_back(*from, *to);
          }
        }
        std::sort(s.fresh_ranges.begin(), s.fresh_ranges.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
      } else {
        s.conflict = s.names.fresh.Sql() + " exists and is not this conversion's new table";
      }
    }
    w.table.convert = std::move(s);
  }
}

}  // namespace pgpart::reader_internal
