#pragma once
// The subcommands. Each Add*Command registers its flags on `app` and returns the subcommand;
// Run* executes it and returns the process exit code.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace pgpart::cli {

struct PlanArgs {
  std::vector<std::string> files;
  std::string dsn;
  std::string catalog;
  std::string at;
  std::string format;  // text | json | sql; empty = text, or json when -o ends in .json
  std::string output;
  bool detailed_exitcode = false;
  int max_drops = -1;
  bool color = false;
  bool check_gates = false;  // --check-gates: run the drops' backup gates now (read-only)
  // Pull-request review.
  std::string comment_id = "default";  // --comment-id: the Markdown comment's marker id
  std::string base_policies;           // --base-policies DIR
  std::string base_ref;                // --base REF
  std::vector<std::string> only;       // --only KIND[,KIND] (plan/select.h)
};
CLI::App* AddPlanCommand(CLI::App& app, PlanArgs& args);
int RunPlan(const PlanArgs& args);

struct SnapshotArgs {
  std::string dsn;
  std::string output;
  std::vector<std::string> files;
  std::string audit_table = "pgpart.history";
};
CLI::App* AddSnapshotCommand(CLI::App& app, SnapshotArgs& args);
int RunSnapshot(const SnapshotArgs& args);

struct GrantsArgs {
  std::vector<std::string> files;
  std::string role, kind, owner;
  std::string audit_table = "pgpart.history";
  std::string output;
};
CLI::App* AddGrantsCommand(CLI::App& app, GrantsArgs& args);
int RunGrants(const GrantsArgs& args);

struct ConvertArgs {  // `convert rollback`
  std::string table;
  std::string dsn;
  bool auto_approve = false;
  bool dry_run = false;
  std::string lock_timeout;
  int retries = -1;
};
CLI::App* AddConvertCommand(CLI::App& app, ConvertArgs& args);
int RunConvert(const ConvertArgs& args);

struct LintArgs {
  std::vector<std::string> files;
  std::string at;  // ISO 8601; empty = the wall clock (for the checks that depend on it)
};
CLI::App* AddLintCommand(CLI::App& app, LintArgs& args);
int RunLint(const LintArgs& args);

struct ApplyArgs {
  std::vector<std::string> files;
  std::string dsn;
  std::string at;
  std::string plan_file;  // --plan: apply a saved plan exactly
  bool auto_approve = false;
  bool dry_run = false;
  bool check_gates = false;  // with --dry-run: run the drops' backup gates now (read-only)
  bool no_audit = false;
  std::string audit_table = "pgpart.history";
  std::string lock_timeout, statement_timeout;
  int retries = -1;
  int max_drops = -1;
  std::string format = "text";      // text | json (the final report)
  std::string log_format = "text";  // text | json (one log line per step, on stderr)
  std::vector<std::string> only;     // --only KIND[,KIND] (plan/select.h)
};
CLI::App* AddApplyCommand(CLI::App& app, ApplyArgs& args);
int RunApply(const ApplyArgs& args);

struct ForecastArgs {
  std::vector<std::string> files;
  std::string dsn;
  std::string catalog;
  std::string at;               // ISO 8601; empty = the database's (or snapshot's) clock
  std::string until;            // required: date or timestamp (UTC unless an offset is given)
  std::string format = "text";  // text | json | markdown
  std::string output;
};
CLI::App* AddForecastCommand(CLI::App& app, ForecastArgs& args);
int RunForecast(const ForecastArgs& args);

struct StatusArgs {
  std::vector<std::string> files;
  std::string dsn;
  std::string catalog;
  std::string at;               // ISO 8601; empty = the database's (or snapshot's) clock
  std::string format = "text";  // text | json | prometheus
  std::string output;
  std::string retention_grace = "1d";  // retention due for longer than this is a warning
  std::string audit_table = "pgpart.history";
};
CLI::App* AddStatusCommand(CLI::App& app, StatusArgs& args);
// Exit 0 healthy, 2 warnings, 1 errors (a monitoring check).
int RunStatus(const StatusArgs& args);

struct ReportArgs {
  std::vector<std::string> files;
  std::string dsn;
  std::string catalog;
  std::string at;               // ISO 8601; empty = the database's (or snapshot's) clock
  std::string format = "html";  // html | markdown
  std::string output;           // required
  std::string retention_grace = "1d";
  std::string audit_table = "pgpart.history";
};
CLI::App* AddReportCommand(CLI::App& app, ReportArgs& args);
// Writes the health report; 0 when written, 1 on errors (the tables' health is in the report).
int RunReport(const ReportArgs& args);

struct OperatorArgs {
  std::string kubeconfig;  // empty: in-cluster, else $KUBECONFIG, else ~/.kube/config
  std::string context;
  std::string watch_namespace;  // --namespace; empty = all namespaces
  std::string metrics_bind = ":9090";
  std::string health_bind = ":8081";
  bool leader_elect = false;
  std::string lease_namespace;  // empty: $POD_NAMESPACE, --namespace, the config's, "default"
  std::string lease_name = "pgpart-operator";
  std::string lease_duration = "15s", renew_deadline = "10s", retry_period = "2s";
  std::string resync = "10m";
  int workers = 2;
  std::string identity;  // empty: $POD_NAME (or the host name) plus a random suffix
  std::string audit_table = "pgpart.history";
};
CLI::App* AddOperatorCommand(CLI::App& app, OperatorArgs& args);
// Runs until SIGTERM/SIGINT: 0 after a clean stop, 1 when it cannot start.
int RunOperator(const OperatorArgs& args);

}  // namespace pgpart::cli
