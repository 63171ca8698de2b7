// `pgpart operator`: the Kubernetes operator (src/operator/controller.h) with its flags.

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/duration.h"
#include "k8s/config.h"
#include "operator/controller.h"
#include "operator/http_endpoints.h"

namespace pgpart::cli {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// In-cluster when --kubeconfig is not given and the pod's variables are set; else the kubeconfig
// kubectl would use.
k8s::ConfigResult LoadCluster(const OperatorArgs& args) {
  if (!args.kubeconfig.empty()) return k8s::LoadKubeconfig(args.kubeconfig, args.context);
  if (!Env("KUBERNETES_SERVICE_HOST").empty()) return k8s::LoadInCluster();
  // KUBECONFIG may list several files (a:b), read as one, as kubectl does.
  std::vector<std::string> paths;
  const std::string list = Env("KUBECONFIG");
  for (size_t start = 0; start <= list.size();) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) paths.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  if (paths.empty() && !Env("HOME").empty()) paths.push_back(Env("HOME") + "/.kube/config");
  if (std::any_of(paths.begin(), paths.end(),
                  [](const std::string& p) { return std::filesystem::exists(p); })) {
    return k8s::LoadKubeconfigs(paths, args.context);
  }
  return {std::nullopt,
          "no cluster to talk to: not running in a pod (KUBERNETES_SERVICE_HOST is unset) and no "
          "kubeconfig (pass --kubeconfig, or set KUBECONFIG)"};
}

std::string DefaultIdentity() {
  std::string base = Env("POD_NAME");
  if (base.empty()) {
    char host[256] = {};
    base = gethostname(host, sizeof host - 1) == 0 ? host : "pgpart";
  }
  std::random_device random;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", random() & 0xffffff);
  return base + "_" + suffix;
}

bool Duration(const std::string& flag, const std::string& text, std::chrono::milliseconds* out) {
  auto ms = ParseDurationMs(text);
  if (!ms || *ms <= 0) {
    std::cerr << "error: " << flag << " '" << text << "' is not a duration (e.g. 15s, 10m)\n";
    return false;
  }
  *out = std::chrono::milliseconds(*ms);
  return true;
}

}  // namespace

CLI::App* AddOperatorCommand(CLI::App& app, OperatorArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "operator",
      "Run as a Kubernetes operator: reconcile PartitionPolicy resources until SIGTERM");
  cmd->add_option("--kubeconfig", args.kubeconfig,
                  "kubeconfig file (default: in-cluster service account, else $KUBECONFIG, else "
                  "~/.kube/config)");
  cmd->add_option("--context", args.context, "kubeconfig context (default: current-context)");
  cmd->add_option("--namespace", args.watch_namespace,
                  "Watch PartitionPolicies in this namespace only (default: all namespaces)");
  cmd->add_option("--metrics-bind", args.metrics_bind,
                  "Serve /metrics here (HOST:PORT or :PORT = every interface; 0 = off)")
      ->capture_default_str();
  cmd->add_option("--health-bind", args.health_bind,
                  "Serve /healthz and /readyz here (0 = off)")
      ->capture_default_str();
  cmd->add_flag("--leader-elect", args.leader_elect,
                "Elect a leader through a coordination.k8s.io Lease; only the leader reconciles");
  cmd->add_option("--leader-election-namespace", args.lease_namespace,
                  "Namespace of the Lease (default: $POD_NAMESPACE, else --namespace, else the "
                  "kubeconfig's, else default)");
  cmd->add_option("--lease-name", args.lease_name, "Name of the Lease")->capture_default_str();
  cmd->add_option("--lease-duration", args.lease_duration,
                  "How long a leader's lease lasts without renewal")
      ->capture_default_str();
  cmd->add_option("--renew-deadline", args.renew_deadline,
                  "A leader that cannot renew for this long stops leading")
      ->capture_default_str();
  cmd->add_option("--retry-period", args.retry_period,
                  "How often leaders renew and candidates try")
      ->capture_default_str();
  cmd->add_option("--resync", args.resync,
                  "Reconcile every policy at least this often (besides edits, period boundaries "
                  "and hold expiries)")
      ->capture_default_str();
  cmd->add_option("--workers", args.workers,
                  "Policies reconciled at once (one policy is never reconciled twice at once)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--identity", args.identity,
                  "Leader-election identity (default: $POD_NAME or the host name, plus a random "
                  "suffix)");
  AddAuditTableOption(cmd, &args.audit_table, "Record every applied step in this table");
  return cmd;
}

int RunOperator(const OperatorArgs& args) {
  k8s::ConfigResult cluster = LoadCluster(args);
  if (!cluster.config) {
    std::cerr << "error: " << cluster.error << "\n";
    return kExitError;
  }
  op::ControllerOptions options;
  options.watch_namespace = args.watch_namespace;
  options.workers = args.workers;
  options.audit_table = AuditTableOf(args.audit_table);
  options.leader_elect = args.leader_elect;
  options.metrics_bind = args.metrics_bind == "0" ? "" : args.metrics_bind;
  options.health_bind = args.health_bind == "0" ? "" : args.health_bind;
  for (const auto& [bind, name] : {std::pair{&options.metrics_bind, "--metrics-bind"},
                                   std::pair{&options.health_bind, "--health-bind"}}) {
    std::string error;
    if (!bind->empty() && !op::ParseListenAddress(*bind, &error, "0.0.0.0")) {
      std::cerr << "error: " << name << " " << error << "\n";
      return kExitError;
    }
  }
  if (!Duration("--resync", args.resync, &options.resync) ||
      !Duration("--lease-duration", args.lease_duration, &options.leader.lease_duration) ||
      !Duration("--renew-deadline", args.renew_deadline, &options.leader.renew_deadline) ||
      !Duration("--retry-period", args.retry_period, &options.leader.retry_period)) {
    return kExitError;
  }
  if (!(options.leader.retry_period < options.leader.renew_deadline &&
        options.leader.renew_deadline < options.leader.lease_duration)) {
    std::cerr << "error: leader election needs --retry-period < --renew-deadline < "
                 "--lease-duration (defaults 2s < 10s < 15s)\n";
    return kExitError;
  }
  options.leader.lease_name = args.lease_name;
  options.leader.identity = args.identity.empty() ? DefaultIdentity() : args.identity;
  options.leader.lease_namespace = args.lease_namespace;
  for (const std::string& candidate : {Env("POD_NAMESPACE"), args.watch_namespace,
                                       cluster.config->default_namespace, std::string("default")}) {
    if (options.leader.lease_namespace.empty()) options.leader.lease_namespace = candidate;
  }
  // An unreachable database must not hold a reconcile for libpq's default (forever).
  setenv("PGCONNECT_TIMEOUT", "10", /*overwrite=*/0);
  // libpq's gssencmode=prefer probes Kerberos on every connection (loading and initializing
  // krb5: ~0.6 MB resident and a wasted attempt) though pods seldom hold a ticket cache. A DSN
  // that says gssencmode=..., or PGGSSENCMODE in the environment, still decides.
  setenv("PGGSSENCMODE", "disable", /*overwrite=*/0);
  return op::RunController(*cluster.config, options);
}

}  // namespace pgpart::cli
