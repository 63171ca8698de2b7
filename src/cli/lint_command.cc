// `pgpart lint`: validates policies without a database.

#include <chrono>
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "policy/loader.h"

namespace pgpart::cli {

CLI::App* AddLintCommand(CLI::App& app, LintArgs& args) {
  CLI::App* cmd = app.add_subcommand("lint", "Validate policy files (no database needed)");
  cmd->add_option("-f,--file", args.files, "Policy file or folder (all *.yaml|*.yml inside)")
      ->required();
  cmd->add_option("--at", args.at,
                  "Judge what depends on the clock (a start older than retention.keep) as if it "
                  "were here (ISO 8601; default: now)")
      ->check(NotEmpty());
  return cmd;
}

int RunLint(const LintArgs& args) {
  PolicySet set = LoadPolicies(args.files);
  int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  if (!args.at.empty()) {
    Catalog no_catalog;
    if (!ResolveNow(args.at, no_catalog, &now)) return kExitError;
  }
  for (Diagnostic& d : LintAtClock(set.policies, now)) set.diagnostics.push_back(std::move(d));
  const bool errors = ReportDiagnostics(set.diagnostics);
  size_t error_count = 0, warning_count = 0;
  for (const Diagnostic& d : set.diagnostics) {
    (d.severity == Severity::kError ? error_count : warning_count)++;
  }
  if (errors) {
    std::cerr << error_count << " error(s), " << warning_count << " warning(s) in "
              << set.files.size() << " file(s).\n";
    return kExitError;
  }
  std::cout << set.policies.size() << " policies in " << set.files.size() << " file(s) are valid";
  if (warning_count > 0) std::cout << " (" << warning_count << " warning(s))";
  std::cout << ".\n";
  return kExitOk;
}

}  // namespace pgpart::cli
