// `pgpart apply`: plan, show, confirm, execute; or execute a saved plan exactly.

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <date/date.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

#include "apply/audit.h"
#include "apply/executor.h"
#include "apply/runs.h"
#include "catalog/reader.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/gate_checks.h"
#include "core/calendar.h"
#include "core/duration.h"
#include "core/json_text.h"
#include "core/utf8.h"
#include "plan/planner.h"
#include "plan/select.h"
#include "render/render.h"

namespace pgpart::cli {
namespace {

// The current instant, UTC, to the millisecond: "2026-12-05T15:04:05.123Z".
std::string NowMillisText() {
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now()));
}

constexpr int kExitBlocked = 3;

std::string Symbol(StepOutcome o, Action a) {
  switch (o) {
    case StepOutcome::kApplied:
      return a == Action::kDrop                                      ? "-"
             : (a == Action::kCreate || a == Action::kCreateDefault) ? "+"
                                                                     : "~";
    case StepOutcome::kAlreadyDone:
      return "=";
    default:
      return "!";
  }
}

std::string PastTense(Action a) {
  switch (a) {
    case Action::kCreate:
      return "created";
    case Action::kCreateDefault:
      return "created default";
    case Action::kDrainDefault:
      return "drained default into";
    case Action::kDetach:
      return "detached";
    case Action::kFinalizeDetach:
      return "finalized detach of";
    case Action::kArchive:
      return "archived";
    case Action::kDrop:
      return "dropped";
    case Action::kInheritPrivileges:
      return "gave the parent's owner and grants to";
    case Action::kConvertPrepare:
      return "prepared the conversion into";
    case Action::kConvertCopy:
      return "copied the rows of";
    case Action::kConvertVerify:
      return "verified the copy into";
    case Action::kConvertSwap:
      return "swapped in the partitioned";
    case Action::kConvertDropOld:
      return "dropped the old table";
  }
  return "";
}

nlohmann::ordered_json StepJson(const StepReport& r) {
  nlohmann::ordered_json j;
  j["action"] = ActionName(r.step.action);
  j["table"] = r.step.table.Sql();
  j["policy"] = r.step.policy;
  j["partition"] = r.step.partition.Sql();
  j["outcome"] = OutcomeName(r.outcome);
  j["rows"] = r.rows ? nlohmann::ordered_json(*r.rows) : nlohmann::ordered_json();
  j["detail"] = r.detail;
  j["seconds"] = r.seconds;
  return j;
}

// A saved plan applies to the database it was made for only (same name, oid and cluster).
bool SameDatabase(const Plan& saved, const DatabaseIdentity& here) {
  if (saved.database.oid == 0) {
    std::cerr << "error: the saved plan does not record which database it was made for (made "
                 "from a snapshot taken by an older pgpart?); take a new snapshot or plan "
                 "against the database, and review again\n";
    return false;
  }
  if (saved.database == here) return true;
  std::cerr << "error: the saved plan was made for database "
            << EscapeControls(saved.database.Text()) << ", but the connection is to database "
            << EscapeControls(here.Text())
            << "; refusing to apply it here\n";
  return false;
}

// A saved plan is stale when the catalog's structure changed since it was made: say what.
bool CheckNotStale(const Plan& saved, const std::vector<Policy>& policies, const std::string& dsn) {
  ReadResult read = ReadCatalog(dsn, CatalogRequests(policies));
  if (ReportDiagnostics(read.diagnostics)) return false;
  if (!SameDatabase(saved, read.catalog.database)) return false;
  std::vector<QualifiedName> named;
  for (const Policy& p : policies) named.insert(named.end(), p.tables.begin(), p.tables.end());
  if (CatalogHash(read.catalog, &named) == saved.catalog_hash) return true;
  std::cerr << "error: the saved plan is stale: the partitions changed since it was made.\n";
  auto at = ParseInstant(saved.at, FindZone("UTC"));
  Plan fresh = ComputePlan(policies, read.catalog, at.value_or(0));
  auto has = [](const Plan& p, const Step& s) {
    for (const Step& o : p.steps) {
      if (o.action == s.action && o.partition == s.partition) return true;
    }
    return false;
  };
  for (const Step& s : saved.steps) {
    if (!has(fresh, s)) {
      std::cerr << "  no longer needed: " << ActionName(s.action) << " "
                << EscapeControls(s.partition.Sql()) << "\n";
    }
  }
  for (const Step& s : fresh.steps) {
    if (!has(saved, s)) {
      std::cerr << "  now needed: " << ActionName(s.action) << " "
                << EscapeControls(s.partition.Sql()) << "\n";
    }
  }
  std::cerr << "Run `pgpart plan` again, review, and apply the new plan.\n";
  return false;
}

// When there is nothing to change: records what an interrupted earlier apply left under way
// (rows "started": the server may have completed its detach on its own), the held steps (the
// history shows that each run honoured the hold) and the run itself ("maintenance not run"
// alerts go by it), in one transaction. A failure is a warning: the run is what it is.
void RecordWithoutChanges(const std::string& dsn, const QualifiedName& audit_table,
                          const Plan& plan, const ApplyReport& nothing,
                          const std::vector<Policy>& policies, std::ostream& human) {
  try {
    pqxx::connection conn(dsn);
    for (const std::string& line : SettleInterruptedSteps(conn, audit_table)) {
      human << "recorded an interrupted earlier run: " << line << "\n";
    }
    const std::string actor = DefaultActor();
    std::vector<AuditRecord> records;
    for (const Step& s : plan.steps) {
      if (s.status == StepStatus::kHeld) {
        records.push_back(StepAuditRecord(s, actor, "held", s.held_by));
      }
    }
    for (AuditRecord& r : ApplyRunRecords(plan, nothing, policies, actor)) {
      records.push_back(std::move(r));
    }
    InsertAuditRecords(conn, std::move(records), audit_table);
  } catch (const std::exception& e) {
    std::cerr << "warning: cannot record this run in the audit table " << audit_table.Sql()
              << ": " << ConnectErrorText(e.what(), dsn, false) << "\n";
  }
}

// One audit row per table for this run (apply/runs.h); a failure to write them is a warning:
// the run itself is what it is.
void RecordRuns(pqxx::connection_base& conn, const Plan& plan, const ApplyReport& report,
                const std::vector<Policy>& policies, const QualifiedName& audit_table) {
  try {
    InsertAuditRecords(conn, ApplyRunRecords(plan, report, policies, DefaultActor()), audit_table);
  } catch (const std::exception& e) {
    std::cerr << "warning: cannot record this run in " << audit_table.Sql() << ": "
              << OneLine(e.what()) << "\n";
  }
}


// Prints the outcome (JSON on stdout with --format json) and returns the exit code.
int Report(const Plan& plan, const ApplyReport& report, bool json, std::ostream& human) {
  OutcomeCounts n;
  for (const StepReport& r : report.steps) n.Add(r.outcome);
  const int code = report.ExitCode();
  if (json) {
    nlohmann::ordered_json j;
    j["at"] = plan.at;
    j["exit_code"] = code;
    j["summary"] = {{"applied", n.applied},
                    {"already_done", n.already_done},
                    {"held", n.held},
                    {"blocked", n.blocked},
                    {"failed", n.failed}};
    j["steps"] = nlohmann::ordered_json::array();
    for (const StepReport& r : report.steps) j["steps"].push_back(StepJson(r));
    std::cout << JsonText(j, 2) << "\n";
  }
  human << "\nApply "
        << (code == kExitOk        ? "complete"
            : code == kExitBlocked ? "finished"
                                   : "failed")
        << ": " << n.applied << " applied, " << n.already_done << " already done, " << n.held
        << " held, " << n.blocked << " blocked, " << n.failed << " failed.\n";
  return code;
}

}  // namespace

CLI::App* AddApplyCommand(CLI::App& app, ApplyArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "apply", "Plan, show the plan, ask for confirmation, and execute it (or a saved plan)");
  auto* files =
      cmd->add_option("-f,--file", args.files, "Policy file or folder (all *.yaml|*.yml inside)")
          ->check(CLI::ExistingPath);
  cmd->add_option("--dsn", args.dsn,
                  "libpq connection string (default: $PGPART_DSN, then PG* variables)");
  cmd->add_option("--at", args.at, "Plan as if the clock were here (ISO 8601)")->check(NotEmpty());
  cmd->add_option("--plan", args.plan_file,
                  "Apply this saved plan (`pgpart plan -o FILE.json`) exactly; refused as stale "
                  "when the partitions changed since")
      ->check(CLI::ExistingFile)
      ->excludes(files);
  cmd->add_flag("--auto-approve", args.auto_approve, "Do not ask for confirmation");
  auto* dry_run =
      cmd->add_flag("--dry-run", args.dry_run, "Show what would run and change nothing");
  AddCheckGatesFlag(cmd, &args.check_gates)->needs(dry_run);
  auto* no_audit =
      cmd->add_flag("--no-audit", args.no_audit, "Do not record steps in an audit table");
  AddAuditTableOption(cmd, &args.audit_table,
                      "Record every step in this table (created with its schema when missing, "
                      "if the role may)");
  no_audit->excludes("--audit-table");
  cmd->add_option("--lock-timeout", args.lock_timeout,
                  "lock_timeout for every statement (e.g. 3s), overriding the policies");
  cmd->add_option("--statement-timeout", args.statement_timeout,
                  "statement_timeout for every statement (e.g. 5m), overriding the policies");
  cmd->add_option("--retries", args.retries, "Retries on lock or statement timeout")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-drops", args.max_drops,
                  "Drop at most N partitions per table in this run (overrides maxDropsPerRun)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--format", args.format, "Report format")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--log-format", args.log_format, "Per-step log lines on stderr")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--only", args.only,
                  "Apply only steps of these kinds: premake (creates, default partition), "
                  "retention (detach, archive, drop), drain (rows out of the default); repeatable "
                  "or comma-separated. The others are not applied and do not affect the exit code")
      ->excludes("--plan");
  return cmd;
}

int RunApply(const ApplyArgs& args) {
  const std::string dsn = ResolveDsn(args.dsn);
  const bool json = args.format == "json";
  std::ostream& human = json ? std::cerr : std::cout;

  PolicySet set;
  Plan plan;
  if (!args.plan_file.empty()) {
    if (!args.lock_timeout.empty() || !args.statement_timeout.empty() || args.retries >= 0 ||
        args.max_drops >= 0 || !args.at.empty()) {
      std::cerr << "error: --plan applies the saved plan as reviewed; --at, --lock-timeout, "
                   "--statement-timeout, --retries and --max-drops cannot change it\n";
      return kExitError;
    }
    std::string text, error;
    if (!ReadFile(args.plan_file, &text)) return kExitError;
    if (!PlanFromJson(text, &plan, &error)) {
      std::cerr << "error: " << args.plan_file << ": " << error << "\n";
      return kExitError;
    }
    if (plan.is_diff) {
      std::cerr << "error: " << args.plan_file
                << " is a pull-request diff (plan --base/--base-policies), not a whole plan; save "
                   "the plan to apply without --base\n";
      return kExitError;
    }
    if (!PoliciesFromPlan(plan, &set)) return kExitError;
    if (!CheckNotStale(plan, set.policies, dsn)) return kExitError;
  } else {
    if (args.files.empty()) {
      std::cerr << "error: apply needs -f PATH (policies) or --plan FILE\n";
      return kExitError;
    }
    PlanInputs inputs;
    inputs.files = args.files;
    inputs.dsn = dsn;
    inputs.at = args.at;
    if (args.max_drops >= 0) inputs.max_drops = args.max_drops;
    if (args.retries >= 0) inputs.retries = args.retries;
    for (auto [flag, target] : {std::pair{&args.lock_timeout, &inputs.lock_timeout_ms},
                                std::pair{&args.statement_timeout, &inputs.statement_timeout_ms}}) {
      if (flag->empty()) continue;
      auto ms = ParseDurationMs(*flag);
      if (!ms || *ms <= 0) {
        std::cerr << "error: '" << *flag << "' is not a duration (e.g. 3s, 500ms, 5m)\n";
        return kExitError;
      }
      *target = *ms;
    }
    if (!MakePlan(inputs, &set, &plan)) return kExitError;
    std::set<StepKind> only;
    if (std::string error; !ParseStepKinds(args.only, &only, &error)) {
      std::cerr << "error: " << error << "\n";
      return kExitError;
    }
    SelectStepKinds(&plan, only);
  }

  if (args.check_gates && !CheckPlanGates(dsn, set.policies, &plan)) return kExitError;
  human << RenderText(plan);
  // A table that could not be planned has no steps; the other tables are applied, and the run
  // still exits 1 so that the error is not missed.
  const bool plan_errors = HasErrors(plan.diagnostics);
  if (plan_errors) {
    std::cerr << "error: the plan has errors (above); the tables they concern get no steps, the "
                 "others are " << (args.dry_run ? "shown" : "applied") << "\n";
  }
  if (args.dry_run) {
    human << "Dry run: nothing was changed.\n";
    return plan_errors ? kExitError : kExitOk;
  }
  if (!plan.HasChanges()) {  // nothing to run; JSON still gets its report (held steps as held)
    ApplyReport nothing;
    for (const Step& s : plan.steps) {
      nothing.steps.push_back(StepReport{s, StepOutcome::kHeld, {}, s.held_by, 0});
    }
    if (!args.no_audit) {
      RecordWithoutChanges(dsn, AuditTableOf(args.audit_table), plan, nothing, set.policies,
                           human);
    }
    if (!json) return plan_errors ? kExitError : kExitOk;
    const int code = Report(plan, nothing, json, human);
    return plan_errors ? kExitError : code;
  }
  if (!args.auto_approve && !Confirm("apply", "Apply these changes?", "Apply")) return kExitError;

  auto logger = spdlog::stderr_logger_st("pgpart");
  logger->set_pattern(args.log_format == "json" ? "%v" : "%Y-%m-%dT%H:%M:%S.%e %l %v");

  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(dsn);
  } catch (const std::exception& e) {
    std::cerr << "error: cannot connect to PostgreSQL " << RedactDsn(dsn) << "\n";
    return kExitError;
  }
  if (!args.plan_file.empty()) {  // the connection that executes is to the plan's database too
    std::string error;
    std::optional<DatabaseIdentity> here = ReadDatabaseIdentity(*conn, &error);
    if (!here) {
      std::cerr << "error: cannot read which database the connection is to: " << error << "\n";
      return kExitError;
    }
    if (!SameDatabase(plan, *here)) return kExitError;
  }
  ApplyOptions options;
  options.audit = !args.no_audit;
  options.audit_table = AuditTableOf(args.audit_table);
  options.actor = DefaultActor();
  options.now_micros = ParseInstant(plan.at, FindZone("UTC")).value_or(0);
  if (args.max_drops >= 0) options.max_drops = args.max_drops;
  if (const char* pause = std::getenv("PGPART_TEST_PAUSE_AT"); pause != nullptr) {
    options.pause_at_checkpoint = std::atoi(pause);
  }
  // Each line whole through EscapeControls: names and details can hold newlines and escapes.
  options.on_progress = [&](const std::string& line) {
    human << EscapeControls(line) << "\n" << std::flush;
  };
  options.on_step = [&](const StepReport& r) {
    std::string line = Symbol(r.outcome, r.step.action) + " ";
    if (r.outcome == StepOutcome::kApplied) {
      line += PastTense(r.step.action) + " " + r.step.partition.Sql();
      if (r.rows) line += " (" + std::to_string(*r.rows) + " rows)";
    } else {
      line += OutcomeName(r.outcome) + ": " + ActionName(r.step.action) + " " +
              r.step.partition.Sql() + (r.detail.empty() ? "" : ": " + r.detail);
    }
    human << EscapeControls(line) << "\n" << std::flush;
    if (args.log_format == "json") {
      nlohmann::ordered_json line_json;  // the time first, as log shippers expect it
      line_json["time"] = NowMillisText();
      line_json.update(StepJson(r));
      logger->info(JsonText(line_json));
    } else {
      logger->info("step action={} table={} partition={} outcome={} rows={} seconds={:.3f}{}",
                   ActionName(r.step.action), EscapeControls(r.step.table.Sql()),
                   EscapeControls(r.step.partition.Sql()), OutcomeName(r.outcome),
                   r.rows ? std::to_string(*r.rows) : "-", r.seconds,
                   r.detail.empty() ? "" : " detail=\"" + EscapeControls(r.detail) + "\"");
    }
  };
  human << "\n";
  ApplyReport report = ExecutePlan(*conn, plan, set.policies, options);
  ReportDiagnostics(report.diagnostics);
  if (options.audit) RecordRuns(*conn, plan, report, set.policies, options.audit_table);

  const int code = Report(plan, report, json, human);
  return plan_errors ? kExitError : code;
}

}  // namespace pgpart::cli
