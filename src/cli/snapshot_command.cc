// `pgpart snapshot`: the catalog as JSON, for offline plans (`plan --catalog`).

#include <iostream>

#include "catalog/snapshot.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "policy/loader.h"

namespace pgpart::cli {

CLI::App* AddSnapshotCommand(CLI::App& app, SnapshotArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "snapshot", "Write the catalog of partitioned tables as JSON (for `plan --catalog`)");
  cmd->add_option("--dsn", args.dsn,
                  "libpq connection string (default: $PGPART_DSN, then PG* variables)");
  cmd->add_option("-o,--out", args.output, "Write to FILE instead of stdout");
  cmd->add_option("-f,--file", args.files,
                  "Only the tables these policies name, with their default partitions' rows "
                  "counted by period (needed for drain steps; recommended)")
      ->check(CLI::ExistingPath);
  AddAuditTableOption(cmd, &args.audit_table,
                      "Read earlier applies' outcomes from this table into the snapshot");
  return cmd;
}

int RunSnapshot(const SnapshotArgs& args) {
  PolicySet set;
  if (!args.files.empty()) {
    set = LoadPolicies(args.files);
    if (ReportDiagnostics(set.diagnostics)) return kExitError;
  }
  Catalog catalog;
  const QualifiedName audit_table = AuditTableOf(args.audit_table);
  // With pgpart.history, so that `status --catalog` shows what `status` on the database would.
  if (!LoadCatalog("", ResolveDsn(args.dsn), args.files.empty() ? nullptr : &set.policies,
                   &catalog, &audit_table)) {
    return kExitError;
  }
  if (!WriteOutput(args.output, CatalogToJson(catalog))) return kExitError;
  if (!args.output.empty()) {
    std::cerr << "Wrote " << catalog.tables.size() << " tables to " << args.output << ".\n";
  }
  return kExitOk;
}

}  // namespace pgpart::cli
