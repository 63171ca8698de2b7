// pgpart: keeps PostgreSQL partitioned tables in the shape declarative policies describe.

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "catalog/reader.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/yaml_sandbox.h"
#include "version.h"

namespace {

// ps and /proc/PID/cmdline show the arguments for the process's whole life (the exporter runs
// for months): once parsed, each --dsn value is overwritten in place with its redacted form.
void HideDsnArguments(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* value = nullptr;
    if (std::strcmp(argv[i], "--dsn") == 0 && i + 1 < argc) {
      value = argv[++i];
    } else if (std::strncmp(argv[i], "--dsn=", 6) == 0) {
      value = argv[i] + 6;
    }
    if (value == nullptr) continue;
    const std::string redacted = pgpart::RedactDsn(value);
    if (redacted == value) continue;
    // The same length (the memory is the kernel's argument area): cut, or padded with '*'.
    const size_t length = std::strlen(value);
    for (size_t k = 0; k < length; ++k) value[k] = k < redacted.size() ? redacted[k] : '*';
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pgpart::cli;
  // The bounded YAML parser child (cli/yaml_sandbox.h), before anything else.
  if (argc >= 2 && std::string(argv[1]) == kYamlCheckCommand) {
    return RunYamlCheckChild(argc - 2, argv + 2);
  }
  // The operator, a long-running process with a memory budget, re-executes itself once with
  // GNUTLS_NO_IMPLICIT_INIT=1: GnuTLS comes in through libpq -> libldap and initialises itself in
  // a library constructor (~1 MB resident: its tables and p11-kit's modules) though pgpart never
  // uses it (OpenSSL does its TLS); OpenLDAP initialises GnuTLS itself on the rare path that needs
  // it. If the exec fails, the operator goes on as it is.
  if (argc >= 2 && std::string(argv[1]) == "operator" &&
      std::getenv("GNUTLS_NO_IMPLICIT_INIT") == nullptr) {
    setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1);
    execv("/proc/self/exe", argv);
  }
  InstallYamlSandbox();
  CLI::App app{"pgpart: declarative partition management for PostgreSQL"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("pgpart ") + PGPART_VERSION);

  PlanArgs plan_args;
  SnapshotArgs snapshot_args;
  LintArgs lint_args;
  GrantsArgs grants_args;
  ApplyArgs apply_args;
  ForecastArgs forecast_args;
  StatusArgs status_args;
  ReportArgs report_args;
  OperatorArgs operator_args;
  ConvertArgs convert_args;
  CLI::App* plan = AddPlanCommand(app, plan_args);
  CLI::App* snapshot = AddSnapshotCommand(app, snapshot_args);
  CLI::App* apply = AddApplyCommand(app, apply_args);
  CLI::App* lint = AddLintCommand(app, lint_args);
  CLI::App* grants = AddGrantsCommand(app, grants_args);
  CLI::App* forecast = AddForecastCommand(app, forecast_args);
  CLI::App* status = AddStatusCommand(app, status_args);
  CLI::App* report = AddReportCommand(app, report_args);
  CLI::App* op = AddOperatorCommand(app, operator_args);
  CLI::App* convert = AddConvertCommand(app, convert_args);
  CLI::App* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitError;
  }
  HideDsnArguments(argc, argv);
  if (plan->parsed()) return RunPlan(plan_args);
  if (apply->parsed()) return RunApply(apply_args);
  if (snapshot->parsed()) return RunSnapshot(snapshot_args);
  if (lint->parsed()) return RunLint(lint_args);
  if (grants->parsed()) return RunGrants(grants_args);
  if (forecast->parsed()) return RunForecast(forecast_args);
  if (status->parsed()) return RunStatus(status_args);
  if (report->parsed()) return RunReport(report_args);
  if (op->parsed()) return RunOperator(operator_args);
  if (convert->parsed()) return RunConvert(convert_args);
  if (version->parsed()) {
    std::cout << "pgpart " << PGPART_VERSION << "\n";
    return kExitOk;
  }
  return kExitError;
}
