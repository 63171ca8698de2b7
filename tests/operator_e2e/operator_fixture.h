#pragma once
// Harness for `pgpart operator` end to end: the built binary as a child process, talking to
// FakeApiServer — a TEST DOUBLE of the Kubernetes API server (tests/k8s/api_server_double.h; no
// real API server can run here) — and reconciling tables in the sandbox PostgreSQL (ctest's `pg`
// fixture). Every wait polls with a deadline; operators are SIGKILLed in teardown, even after a
// failed assertion, and their stderr logs are printed when the test failed.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_env.h"
#include "api_server_double.h"
#include "k8s/client.h"

namespace pgpart::operator_e2e {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The namespace the tests' PartitionPolicies and Secrets live in.
inline constexpr char kNamespace[] = "apps";
// The bearer token the double demands (so a test fails if the operator does not send it).
inline constexpr char kToken[] = "e2e-token-7f3a";
// A password put into every DSN Secret; it must never show up in status, events or metrics.
inline constexpr char kPassword[] = "hunter2-never-log-me";

using test_env::FreePort;
// A free loopback port below the kernel's ephemeral range, for a port that will have no listener
// for a while (a TcpForwarder that is down): a client retrying connections to an ephemeral port
// can be handed that very port as its source and connect to itself, taking the port.
int FreePortOutsideEphemeralRange();

// stdout of `sh -c command`, plus "exit N" when it fails.
std::string RunShell(const std::string& command);

// Seconds since `start`, as a double (for printing and comparing latencies).
double SecondsSince(Clock::time_point start);
double Median(std::vector<double> values);

// Calls `done` every `step` until it returns true or `limit` passes; true if it did.
bool Eventually(const std::function<bool()>& done, milliseconds limit,
                milliseconds step = milliseconds(10));

struct HttpReply {
  int code = 0;  // 0: no connection or no parsable reply
  std::string body;
};
// GET http://127.0.0.1:<port><path> over a plain socket (3 s limit; handles Content-Length,
// chunked and close-delimited bodies).
HttpReply HttpGet(int port, const std::string& path);

// One sample of a Prometheus text exposition: the first series named `name` whose labels
// include all of `labels` (label order does not matter). Nullopt when absent.
std::optional<double> Sample(const std::string& exposition, const std::string& name,
                             const std::map<std::string, std::string>& labels = {});

// The condition of `type` in object.status.conditions, if any.
std::optional<json> Condition(const json& object, const std::string& type);
// The condition exists with this status ("True"/"False") and, when given, this reason.
bool HasCondition(const json& object, const std::string& type, const std::string& status,
                  const std::string& reason = "");
// status.observedGeneration == metadata.generation.
bool Observed(const json& object);
// Converged as the contract says: observed, Ready=True with reason Reconciled.
bool Converged(const json& object);

// `pgpart operator` as a child process. Its stdout and stderr go to `log_path`. It dies with the
// test process (PR_SET_PDEATHSIG) and is SIGKILLed by the destructor if still running.
class OperatorProcess {
 public:
  // `env`: variables to set (value) or unset (nullopt) in the child, after the defaults (the
  // child starts without PGPART_DSN, PG* and POD_NAMESPACE so the developer's shell cannot leak
  // in).
  OperatorProcess(const std::vector<std::string>& args, std::string log_path,
                  const std::vector<std::pair<std::string, std::optional<std::string>>>& env,
                  int health_port, int metrics_port, std::string name);
  ~OperatorProcess();
  OperatorProcess(const OperatorProcess&) = delete;
  OperatorProcess& operator=(const OperatorProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  int health_port() const { return health_port_; }
  int metrics_port() const { return metrics_port_; }
  std::string Log() const;
  void Signal(int signal);
  // Exit code once the child has exited within `limit` (128 + signal when killed), else nullopt.
  std::optional<int> WaitExit(milliseconds limit);
  bool Running();
  // SIGKILL and reap (idempotent).
  void Kill();
  // Resident set size and its peak, in kB, from /proc/PID/status (0 when unreadable).
  long VmRssKb() const;
  long VmHwmKb() const;
  std::string Metrics() const { return HttpGet(metrics_port_, "/metrics").body; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::optional<int> exit_code_;
  std::string log_path_;
  int health_port_ = 0;
  int metrics_port_ = 0;
  std::string name_;
};

// A TCP forwarder 127.0.0.1:listen_port → 127.0.0.1:target_port (one thread, poll): lets a test
// take "the database" down and up without touching the shared sandbox. Stop() closes the
// listener and every forwarded connection, as a crashed server would. Target port 0 makes a
// black hole: connections are accepted and never answered (a hung server or a dropped route).
class TcpForwarder {
 public:
  TcpForwarder(int listen_port, int target_port);
  ~TcpForwarder();  // Stop()
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;
  // False when the port cannot be bound.
  bool Start();
  void Stop();
  int connections() const { return accepted_.load(); }

 private:
  void Loop();
  int listen_port_;
  int target_port_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Base fixture: an API-server test double with the token required, a kubeconfig pointing at it,
// a k8s client for the test's own reads, and a scratch database in the sandbox.
class OperatorAgainstApiDouble : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // --- the operator ---
  // Starts PGPART_BINARY with exactly `args` (the first is the subcommand); no waiting. Its ports
  // are read from --health-bind/--metrics-bind in `args` (0 when absent).
  OperatorProcess& SpawnOperator(
      const std::vector<std::string>& args, const std::string& name,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& env = {});
  // Starts `pgpart operator --kubeconfig K --health-bind 127.0.0.1:P1 --metrics-bind
  // 127.0.0.1:P2 --namespace apps <extra>` (free ports and kubeconfig_, unless `extra` gives its
  // own) and waits (10 s) for /healthz 200. `name` names its log.
  OperatorProcess& StartOperator(
      const std::vector<std::string>& extra = {}, const std::string& name = "operator",
      const std::vector<std::pair<std::string, std::optional<std::string>>>& env = {},
      bool with_namespace = true);
  // Waits (limit) for /readyz 200.
  void WaitReadyz(OperatorProcess& op, milliseconds limit = milliseconds(10'000));

  // --- the database ---
  // libpq DSN of the scratch database (host/port/user of the sandbox), optionally with another
  // port (for the forwarder) and the test password.
  std::string DatabaseDsn(int port = 0) const;
  int SandboxPort() const;
  void Exec(const std::string& sql) const;
  std::string Scalar(const std::string& sql) const;
  // CREATE TABLE <name> (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at).
  void CreateTimeTable(const std::string& name) const;
  // Number of partitions attached to public.<table> (-1 when the table is missing).
  int PartitionCount(const std::string& table) const;
  // Names of the partitions attached to public.<table>, sorted.
  std::vector<std::string> Partitions(const std::string& table) const;
  // Default monthly names <table>_yYYYYmMM from the database's current UTC month through
  // `premake` months ahead: what a monthly policy with that premake (and no start or retention)
  // must create.
  std::vector<std::string> ExpectedMonthly(const std::string& table, int premake) const;
  // Rows of pgpart.history (the audit table) matching an SQL condition; 0 when it does not exist.
  int HistoryRows(const std::string& where) const;

  // --- the API server double ---
  // A kubeconfig in the test folder for `server` with the token user; returns its path.
  std::string WriteKubeconfig(const std::string& file, const std::string& server);
  // The double's port (to put a TcpForwarder in front of it).
  int ApiPort() const;
  // A core/v1 Secret `name` with data[key] = base64(dsn).
  void PutSecret(const std::string& name, const std::string& dsn, const std::string& key = "dsn",
                 const std::string& ns = kNamespace);
  // A monthly policy on public.<table>: premake as given, databaseRef {secretName: db, key: dsn}.
  static json MonthlySpec(const std::string& table, int premake = 3,
                          const std::string& secret = "db");
  // Creates (or replaces) a PartitionPolicy with `spec`; returns the stored object.
  json PutPolicy(const std::string& name, const json& spec, const std::string& ns = kNamespace);
  // Reads the stored policy, lets `edit` change its spec, puts it back (keeping metadata and
  // status as stored, as `kubectl edit` would); returns the stored object (new generation).
  json EditSpec(const std::string& name, const std::function<void(json& spec)>& edit,
                const std::string& ns = kNamespace);
  json Policy(const std::string& name, const std::string& ns = kNamespace);
  // Polls the stored policy until `done` (limit); returns the last object seen. On timeout
  // records a failure naming `what` with the last status.
  json WaitPolicy(const std::string& name, const std::function<bool(const json&)>& done,
                  milliseconds limit, const std::string& what, const std::string& ns = kNamespace);
  // Events (events.k8s.io/v1) in `ns` as listed from the double.
  std::vector<json> Events(const std::string& ns = kNamespace);
  // The events regarding `name` with this reason.
  std::vector<json> EventsFor(const std::string& name, const std::string& reason,
                              const std::string& ns = kNamespace);
  std::optional<k8s::Lease> GetLease(const std::string& ns, const std::string& name);

  k8s::testing::FakeApiServer api_;
  std::unique_ptr<k8s::Client> client_;
  std::string dir_;
  std::string kubeconfig_;
  std::string db_name_;
  std::vector<std::unique_ptr<OperatorProcess>> operators_;
};

}  // namespace pgpart::operator_e2e
