// The catalog reader's pg_partman part: whether pg_partman's part_config lists a read table, so
// that the planner can refuse to maintain partitions another maintainer maintains too.

#include "catalog/reader_internal.h"
#include "core/ident.h"

namespace pgpart::reader_internal {

void CatalogReader::ReadPartman(Tx& tx) {
  // ReadSession found where the extension lives and whether this role may read part_config.
  if (partman_schema_.empty()) return;
  if (!partman_readable_) {
    Diagnostic d;
    d.severity = Severity::kWarning;
    const std::string schema = QuoteIdent(partman_schema_);
    d.message = "pg_partman is installed (schema " + schema + ") but this role may not read " +
                schema +
                ".part_config, so pgpart cannot tell whether pg_partman maintains the same tables "
                "(two maintainers would fight over their partitions); grant it USAGE ON SCHEMA " +
                schema + " and SELECT ON " + schema + ".part_config";
    diagnostics_.push_back(std::move(d));
    return;
  }
  std::map<std::string, Table*> by_text;  // 'schema.table', as pg_partman stores parent_table
  std::vector<std::string> names;
  for (Work& w : work_) {
    if (!w.table.exists) continue;
    const std::string text = w.table.name.schema + "." + w.table.name.name;
    if (by_text.emplace(text, &w.table).second) names.push_back(text);
  }
  if (names.empty()) return;
  // to_jsonb(row): automatic_maintenance is read when the installed version has it, without
  // naming a column another version may lack (an error would end the read-only transaction).
  pqxx::result r = ExecPrepared(tx,
                                "SELECT pc.parent_table, "
                                "coalesce(to_jsonb(pc) ->> 'automatic_maintenance', '') FROM " +
                                    Quote(partman_schema_) +
                                    ".part_config pc WHERE pc.parent_table = ANY($1::text[])",
                                ArrayLiteral(names));
  for (const pqxx::row& row : r) {
    auto table = by_text.find(row[0].as<std::string>());
    if (table == by_text.end()) continue;
    table->second->pg_partman =
        PartmanConfig{partman_schema_, partman_version_, row[0].as<std::string>(),
                      row[1].as<std::string>()};
  }
}

}  // namespace pgpart::reader_internal
