// `pgpart convert rollback TABLE`: undoes a conversion (docs/convert.md).

#include <iostream>
#include <pqxx/pqxx>

#include "apply/convert_rollback.h"
#include "catalog/reader.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/diagnostic.h"
#include "core/duration.h"
#include "core/ident.h"

namespace pgpart::cli {

CLI::App* AddConvertCommand(CLI::App& app, ConvertArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "convert", "Conversions of plain tables into partitioned ones (policy spec.convert)");
  cmd->require_subcommand(1);
  CLI::App* rollback = cmd->add_subcommand(
      "rollback",
      "Undo the conversion of TABLE: before the swap, drop the partitioned copy, its change log "
      "and triggers; after it, swap the old table back in with every row written since, and "
      "drop the partitioned table. One transaction under lock_timeout. Remove spec.convert from "
      "the policy first, or the next apply converts the table again");
  rollback->add_option("table", args.table, "SCHEMA.TABLE")->required()->check(NotEmpty());
  rollback->add_option("--dsn", args.dsn,
                       "libpq connection string (default: $PGPART_DSN, then PG* variables)");
  rollback->add_flag("--auto-approve", args.auto_approve, "Do not ask for confirmation");
  rollback->add_flag("--dry-run", args.dry_run, "Show the statements and change nothing");
  rollback->add_option("--lock-timeout", args.lock_timeout,
                       "lock_timeout of the transaction (default 300ms)");
  rollback->add_option("--retries", args.retries, "Retries on lock timeout (default 8)")
      ->check(CLI::NonNegativeNumber);
  return cmd;
}

int RunConvert(const ConvertArgs& args) {
  std::string error;
  std::optional<QualifiedName> table = ParseQualifiedName(args.table, &error);
  if (!table) {
    std::cerr << "error: invalid table name " << args.table << ": " << error << "\n";
    return kExitError;
  }
  Execution e;
  if (!args.lock_timeout.empty()) {
    auto ms = ParseDurationMs(args.lock_timeout);
    if (!ms || *ms <= 0) {
      std::cerr << "error: --lock-timeout: not a duration: " << args.lock_timeout << "\n";
      return kExitError;
    }
    e.lock_timeout_ms = *ms;
  }
  const std::string dsn = ResolveDsn(args.dsn);
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(dsn);
  } catch (const std::exception& ex) {
    std::cerr << "error: cannot connect to PostgreSQL: " << ConnectErrorText(ex.what(), dsn, false)
              << "\n";
    return kExitError;
  }
  std::optional<RollbackPlan> plan = PlanRollback(*conn, *table, e, &error);
  if (!plan) {
    std::cerr << "error: " << OneLine(error) << "\n";
    return kExitError;
  }
  std::cout << "Rollback of the conversion of " << table->Sql() << " ("
            << (plan->phase == "swapped" ? "swapped in already" : "not swapped yet") << "):\n";
  for (const std::string& line : plan->summary) std::cout << "  - " << line << "\n";
  std::cout << "\n-- one transaction, lock_timeout " << e.lock_timeout_ms << " ms\n";
  for (const Statement& st : plan->statements) std::cout << st.sql << ";\n";
  if (args.dry_run) return kExitOk;
  if (!args.auto_approve && !Confirm("roll back", "Roll back?", "Rollback")) return kExitError;
  const std::string failed = RunRollback(*conn, *plan, args.retries < 0 ? e.retries : args.retries,
                                         [](const std::string& line) { std::cout << line << "\n"; });
  if (!failed.empty()) {
    std::cerr << "error: the rollback did not run (nothing changed): " << OneLine(failed) << "\n";
    return kExitError;
  }
  std::cout << "\nRolled back: " << table->Sql() << " is the plain table again.\n";
  return kExitOk;
}

}  // namespace pgpart::cli
