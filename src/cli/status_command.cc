// `pgpart status`: each managed table's health, usable as a monitoring check (exit 0/2/1).

#include <iostream>

#include "catalog/catalog.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/calendar.h"
#include "plan/planner.h"
#include "plan/status.h"
#include "policy/loader.h"
#include "render/status_render.h"

namespace pgpart::cli {

CLI::App* AddStatusCommand(CLI::App& app, StatusArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "status",
      "Show each table's partition health; exit 0 healthy, 2 warnings, 1 errors (changes nothing)");
  cmd->add_option("-f,--file", args.files, "Policy file or folder (all *.yaml|*.yml inside)")
      ->required()
      ->check(CLI::ExistingPath);
  auto* dsn = cmd->add_option("--dsn", args.dsn,
                              "libpq connection string (default: $PGPART_DSN, then PG* variables)");
  cmd->add_option("--catalog", args.catalog,
                  "Read a `pgpart snapshot` file instead of a database")
      ->check(CLI::ExistingFile)
      ->excludes(dsn);
  cmd->add_option("--at", args.at,
                  "Evaluate at this instant (ISO 8601, UTC unless an offset is given); default: the "
                  "database's now() (a snapshot's: when it was taken)");
  cmd->add_option("--format", args.format, "Output format (default text)")
      ->check(CLI::IsMember({"text", "json", "prometheus"}));
  cmd->add_option("-o,--out", args.output, "Write the status to FILE instead of stdout");
  return cmd;
}

int RunStatus(const StatusArgs& args) {
  PolicySet set = LoadPolicies(args.files);
  if (ReportDiagnostics(set.diagnostics)) return kExitError;
  Catalog catalog;
  if (!LoadCatalog(args.catalog, ResolveDsn(args.dsn), &set.policies, &catalog)) {
    return kExitError;
  }
  int64_t now = 0;
  if (!args.at.empty()) {
    auto at = ParseInstant(args.at, FindZone("UTC"));
    if (!at) {
      std::cerr << "error: --at '" << args.at
                << "' is not an ISO 8601 date or timestamp (e.g. 2026-11-21T12:00:00Z)\n";
      return kExitError;
    }
    now = *at;
  } else if (catalog.now_micros) {
    now = *catalog.now_micros / 1'000'000 * 1'000'000;
  } else {
    std::cerr << "error: the snapshot records no clock; pass --at\n";
    return kExitError;
  }
  Plan plan = ComputePlan(set.policies, catalog, now);
  Status status = ComputeStatus(set.policies, catalog, plan, now);
  const std::string& format = args.format;
  std::string text = format == "json"         ? RenderStatusJson(status)
                     : format == "prometheus" ? RenderStatusPrometheus(status)
                                              : RenderStatusText(status);
  if (!WriteOutput(args.output.empty() ? "-" : args.output, text)) return kExitError;
  if (format != "text" || !args.output.empty()) ReportDiagnostics(status.diagnostics);
  return StatusExitCode(status);
}

}  // namespace pgpart::cli
