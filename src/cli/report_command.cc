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
  AddSourceOptions(
      cmd, {&args.files, &args.dsn, &args.catalog, &args.at},
      "Read a `pgpart snapshot` file instead of a database",
      "Evaluate at this instant (ISO 8601, UTC unless an offset is given); default: the "
      "database's now() (a snapshot's: when it was taken)");
  cmd->add_option("--format", args.format, "Output format (default html)")
      ->check(CLI::IsMember({"html", "markdown"}));
  AddStatusOptions(cmd, &args.retention_grace);
  AddAuditTableOption(cmd, &args.audit_table, "Read earlier applies' outcomes from this table");
  cmd->add_option("-o,--out", args.output, "Write the report to FILE ('-' for stdout)")->required();
  return cmd;
}

int RunReport(const ReportArgs& args) {
  PolicySet set = LoadPolicies(args.files);
  if (ReportDiagnostics(set.diagnostics)) return kExitError;
  StatusOptions options;
  if (!ResolveStatusOptions(args.retention_grace, &options)) return kExitError;
  Catalog catalog;
  const QualifiedName audit_table = AuditTableOf(args.audit_table);
  if (!LoadCatalog(args.catalog, ResolveDsn(args.dsn), &set.policies, &catalog, &audit_table)) {
    return kExitError;
  }
  int64_t now = 0;
  if (!ResolveNow(args.at, catalog, &now)) return kExitError;
  Plan plan = ComputePlan(set.policies, catalog, now);
  Status status = ComputeStatus(set.policies, catalog, plan, now, options);
  std::string text = args.format == "markdown"
                         ? RenderReportMarkdown(status)
                         : RenderReportHtml(status, set.policies, catalog, now);
  if (!WriteOutput(args.output, text)) return kExitError;
  if (args.output != "-") ReportDiagnostics(status.diagnostics);
  return kExitOk;
}

}  // namespace pgpart::cli
