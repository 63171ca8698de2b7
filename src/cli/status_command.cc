// `pgpart status`: each managed table's health, usable as a monitoring check (exit 0/2/1).

#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/exporter.h"
#include "core/calendar.h"
#include "core/duration.h"
#include "core/utf8.h"
#include "plan/planner.h"
#include "plan/status.h"
#include "policy/loader.h"
#include "render/status_render.h"

namespace pgpart::cli {
namespace {

// --serve and --interval live here rather than in StatusArgs (commands.h): only this file uses
// them. One `status` subcommand per process, so one instance suffices.
struct ServeArgs {
  std::string address;  // empty: print once and exit
  std::string interval = "60s";
};
ServeArgs serve_args;

// Reads the catalog and computes the status at `at` (empty: the database's or snapshot's clock).
// Nullopt (after printing why) when the catalog cannot be read or the clock is unknown.
// pgpart.history is read along (what earlier applies could not do); no backup gate is ever run.
std::optional<Status> ComputeStatusOnce(const StatusArgs& args, const PolicySet& set,
                                        const StatusOptions& options) {
  std::vector<Policy> policies = set.policies;
  Catalog catalog;
  const QualifiedName audit_table = AuditTableOf(args.audit_table);
  if (!LoadCatalog(args.catalog, ResolveDsn(args.dsn), &policies, &catalog, &audit_table)) {
    return std::nullopt;
  }
  int64_t now = 0;
  if (!ResolveNow(args.at, catalog, &now)) return std::nullopt;
  Plan plan = ComputePlan(policies, catalog, now);
  return ComputeStatus(policies, catalog, plan, now, options);
}

// The policy files as of one refresh. Nullopt (after printing the errors) when they no longer
// load; warnings are printed only when they differ from the last ones printed, so an unchanged
// file does not repeat them every interval.
std::optional<PolicySet> ReloadPolicies(const std::vector<std::string>& files,
                                        std::string& shown_warnings) {
  PolicySet set = LoadPolicies(files);
  if (HasErrors(set.diagnostics)) {
    for (const Diagnostic& d : set.diagnostics) {
      if (d.severity == Severity::kError) std::cerr << EscapeControls(d.Format()) << "\n";
    }
    std::cerr << "error: the policy files no longer load; serving the last good metrics\n";
    return std::nullopt;
  }
  std::string warnings;
  for (const Diagnostic& d : set.diagnostics) warnings += EscapeControls(d.Format()) + "\n";
  if (warnings != shown_warnings) std::cerr << warnings;
  shown_warnings = std::move(warnings);
  return set;
}

// `--serve`: the exporter, re-reading the policy files and the catalog every --interval, so an
// edited policy takes effect without a restart. `set` is the start-up load (already checked and
// its diagnostics printed).
int RunStatusServer(const StatusArgs& args, const PolicySet& set, const StatusOptions& options) {
  std::string error;
  std::optional<op::ListenAddress> address =
      op::ParseListenAddress(serve_args.address, &error, kExporterDefaultHost);
  if (!address) {
    std::cerr << "error: --serve " << error << "\n";
    return kExitError;
  }
  std::optional<int64_t> interval_ms = ParseDurationMs(serve_args.interval);
  if (!interval_ms || *interval_ms < 1000) {
    std::cerr << "error: --interval '" << serve_args.interval
              << "' is not a duration of at least 1s (e.g. 30s, 5m)\n";
    return kExitError;
  }
  std::string shown_warnings, shown_status_warnings;
  for (const Diagnostic& d : set.diagnostics) shown_warnings += EscapeControls(d.Format()) + "\n";
  // The first refresh runs right away: it uses the start-up load rather than reading it twice.
  bool first = true;
  return ServeMetrics(*address, *interval_ms, [&]() -> std::optional<std::string> {
    std::optional<PolicySet> policies;
    if (first) {
      policies = set;
      first = false;
    } else {
      policies = ReloadPolicies(args.files, shown_warnings);
    }
    if (!policies) return std::nullopt;
    std::optional<Status> status = ComputeStatusOnce(args, *policies, options);
    if (!status) return std::nullopt;
    // Warnings (an unreadable pgpart.history) go to stderr like the policies' ones: only when
    // they change, not every interval.
    std::string warnings;
    for (const Diagnostic& d : status->diagnostics) {
      if (d.severity == Severity::kWarning) warnings += EscapeControls(d.Format()) + "\n";
    }
    if (warnings != shown_status_warnings) std::cerr << warnings;
    shown_status_warnings = std::move(warnings);
    return RenderStatusPrometheus(*status);
  });
}

}  // namespace

CLI::App* AddStatusCommand(CLI::App& app, StatusArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "status",
      "Show each table's partition health; exit 0 healthy, 2 warnings, 1 errors (changes nothing)");
  AddSourceOptions(
      cmd, {&args.files, &args.dsn, &args.catalog, &args.at},
      "Read a `pgpart snapshot` file instead of a database",
      "Evaluate at this instant (ISO 8601, UTC unless an offset is given); default: the "
      "database's now() (a snapshot's: when it was taken)");
  cmd->add_option("--format", args.format, "Output format (default text)")
      ->check(CLI::IsMember({"text", "json", "prometheus"}));
  AddStatusOptions(cmd, &args.retention_grace);
  AddAuditTableOption(cmd, &args.audit_table, "Read earlier applies' outcomes from this table");
  auto* out =
      cmd->add_option("-o,--out", args.output, "Write the status to FILE instead of stdout");
  auto* serve = cmd->add_option("--serve", serve_args.address,
                                "Run as a Prometheus exporter on HOST:PORT (e.g. 127.0.0.1:9187): "
                                "GET /metrics, GET /healthz; stops on SIGTERM/SIGINT")
                    ->excludes(out);
  cmd->add_option("--interval", serve_args.interval,
                  "With --serve: how often to re-read the policy files and the catalog and "
                  "re-plan (default 60s; scrapes serve the last good result)")
      ->needs(serve);
  return cmd;
}

int RunStatus(const StatusArgs& args) {
  PolicySet set = LoadPolicies(args.files);
  if (ReportDiagnostics(set.diagnostics)) return kExitError;
  StatusOptions options;
  if (!ResolveStatusOptions(args.retention_grace, &options)) return kExitError;
  if (!serve_args.address.empty()) return RunStatusServer(args, set, options);
  std::optional<Status> status = ComputeStatusOnce(args, set, options);
  if (!status) return kExitError;
  const std::string& format = args.format;
  std::string text = format == "json"         ? RenderStatusJson(*status)
                     : format == "prometheus" ? RenderStatusPrometheus(*status)
                                              : RenderStatusText(*status);
  if (!WriteOutput(args.output.empty() ? "-" : args.output, text)) return kExitError;
  if (format != "text" || !args.output.empty()) ReportDiagnostics(status->diagnostics);
  return StatusExitCode(*status);
}

}  // namespace pgpart::cli
