// `pgpart plan`: policies + catalog + clock -> the plan, rendered; changes nothing.

#include <unistd.h>

#include <iostream>

#include "catalog/catalog.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/calendar.h"
#include "plan/planner.h"
#include "policy/loader.h"
#include "render/render.h"

namespace pgpart::cli {

CLI::App* AddPlanCommand(CLI::App& app, PlanArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "plan", "Show the steps that would bring the database to the policies (changes nothing)");
  cmd->add_option("-f,--file", args.files, "Policy file or folder (all *.yaml|*.yml inside)")
      ->required()
      ->check(CLI::ExistingPath);
  auto* dsn = cmd->add_option("--dsn", args.dsn,
                              "libpq connection string (default: $PGPART_DSN, then PG* variables)");
  cmd->add_option("--catalog", args.catalog,
                  "Plan offline from a `pgpart snapshot` file instead of a database")
      ->check(CLI::ExistingFile)
      ->excludes(dsn);
  cmd->add_option("--at", args.at,
                  "Plan as if the clock were here (ISO 8601, e.g. 2026-11-21T12:00:00Z); default: "
                  "the database's now() (a snapshot's: when it was taken)");
  cmd->add_option("--format", args.format, "Output format")
      ->check(CLI::IsMember({"text", "json", "sql"}));
  cmd->add_option("-o,--out", args.output,
                  "Write the plan to FILE (JSON when FILE ends in .json and no --format); the "
                  "text summary still goes to stdout");
  cmd->add_flag("--detailed-exitcode", args.detailed_exitcode,
                "Exit 0 when there are no changes, 2 when there are, 1 on error");
  cmd->add_option("--max-drops", args.max_drops,
                  "Drop at most N partitions per table in this run (overrides maxDropsPerRun)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--color,!--no-color", args.color, "Colour the text output");
  return cmd;
}

int RunPlan(const PlanArgs& args) {
  PlanInputs inputs;
  inputs.files = args.files;
  inputs.dsn = ResolveDsn(args.dsn);
  inputs.catalog = args.catalog;
  inputs.at = args.at;
  if (args.max_drops >= 0) inputs.max_drops = args.max_drops;
  PolicySet set;
  Plan plan;
  if (!MakePlan(inputs, &set, &plan)) return kExitError;

  std::string format = args.format;
  if (format.empty()) {
    format = args.output.size() > 5 && args.output.ends_with(".json") ? "json" : "text";
  }
  const bool color = args.color && args.output.empty() && isatty(STDOUT_FILENO);
  auto render = [&](const std::string& f) {
    if (f == "json") return RenderJson(plan);
    if (f == "sql") return RenderSql(plan);
    return RenderText(plan, TextOptions{color});
  };
  if (!args.output.empty()) {
    if (!WriteOutput(args.output, render(format))) return kExitError;
    std::cout << RenderText(plan, TextOptions{color});
    std::cout << "Saved the plan to " << args.output << ".\n";
  } else {
    if (!WriteOutput("-", render(format))) return kExitError;
  }
  if (HasErrors(plan.diagnostics)) {
    if (format != "text" || !args.output.empty()) ReportDiagnostics(plan.diagnostics);
    return kExitError;
  }
  if (args.detailed_exitcode && plan.HasChanges()) return kExitChanges;
  return kExitOk;
}

}  // namespace pgpart::cli
