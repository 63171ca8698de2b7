// `pgpart forecast`: the calendar of what pgpart will do on its own as time passes.

#include <iostream>

#include "catalog/catalog.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/calendar.h"
#include "plan/forecast.h"
#include "policy/loader.h"
#include "render/forecast_render.h"

namespace pgpart::cli {

CLI::App* AddForecastCommand(CLI::App& app, ForecastArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "forecast",
      "Show when pgpart will create, detach and drop partitions as time passes (changes nothing)");
  AddSourceOptions(
      cmd, {&args.files, &args.dsn, &args.catalog, &args.at},
      "Forecast offline from a `pgpart snapshot` file instead of a database",
      "Start the forecast here (ISO 8601, UTC unless an offset is given); default: the "
      "database's now() (a snapshot's: when it was taken)");
  cmd->add_option("--until", args.until,
                  "End of the forecast, included (a date like 2027-12-31 or a timestamp; UTC)")
      ->required();
  cmd->add_option("--format", args.format, "Output format (default text)")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  cmd->add_option("-o,--out", args.output, "Write the forecast to FILE instead of stdout");
  return cmd;
}

int RunForecast(const ForecastArgs& args) {
  PolicySet set = LoadPolicies(args.files);
  if (ReportDiagnostics(set.diagnostics)) return kExitError;
  Catalog catalog;
  if (!LoadCatalog(args.catalog, ResolveDsn(args.dsn), &set.policies, &catalog)) {
    return kExitError;
  }
  const date::time_zone* utc = FindZone("UTC");
  int64_t from = 0;
  if (!ResolveNow(args.at, catalog, &from)) return kExitError;
  auto until = ParseInstant(args.until, utc);
  if (!until) {
    std::cerr << "error: --until '" << args.until
              << "' is not an ISO 8601 date or timestamp (e.g. 2027-12-31)\n";
    return kExitError;
  }
  Forecast forecast = ComputeForecast(set.policies, catalog, from, *until);
  if (!forecast.error.empty()) {
    std::cerr << "error: " << forecast.error << "\n";
    return kExitError;
  }
  const std::string& format = args.format;
  std::string text = format == "json"       ? RenderForecastJson(forecast)
                     : format == "markdown" ? RenderForecastMarkdown(forecast)
                                            : RenderForecastText(forecast);
  if (!WriteOutput(args.output.empty() ? "-" : args.output, text)) return kExitError;
  if (HasErrors(forecast.diagnostics)) {
    if (format != "text" || !args.output.empty()) ReportDiagnostics(forecast.diagnostics);
    return kExitError;
  }
  return kExitOk;
}

}  // namespace pgpart::cli
