// `pgpart report`: the weekly health report (HTML with an SVG timeline per table, or Markdown).

#include <iostream>

#include "catalog/catalog.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/calendar.h"
#include "plan/planner.h"
#include "plan/status.h"
#include "policy/loader.h"
#include "render/report_render.h"

namespace pgpart::cli {

CLI::App* AddReportCommand(CLI::App& app, ReportArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "report", "Write a health report: each table's status and, in HTML, a partition timeline");
  cmd->add_option("-f,--file", args.files, "Policy file or folder (all *.yaml|*.yml inside)")
      ->required()
      ->check(CLI::ExistingPath);
  auto* dsn = cmd->add_option("--dsn", args.dsn,
                              "libpq connection string (default: $PGPART_DSN, then PG* variables)");
  cmd->add_option("--catalog", args.catalog, "Read a `pgpart snapshot` file instead of a database")
      ->check(CLI::ExistingFile)
      ->excludes(dsn);
  cmd->add_option("--at", args.at,
                  "Evaluate at this instant (ISO 8601, UTC unless an offset is given); default: the "
                  "database's now() (a snapshot's: when it was taken)");
  cmd->add_option("--format", args.format, "Output format (default html)")
      ->check(CLI::IsMember({"html", "markdown"}));
  cmd->add_option("-o,--out", args.output, "Write the report to FILE ('-' for stdout)")
      ->required();
  return cmd;
}

int RunReport(const ReportArgs& args) {
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
  std::string text = args.format == "markdown"
                         ? RenderReportMarkdown(status)
                         : RenderReportHtml(status, set.policies, catalog, now);
  if (!WriteOutput(args.output, text)) return kExitError;
  if (args.output != "-") ReportDiagnostics(status.diagnostics);
  return kExitOk;
}

}  // namespace pgpart::cli
