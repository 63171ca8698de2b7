#pragma once
// Harness for `pgpart operator` end to end: the built binary as a child process, talking to
// either FakeApiServer — a TEST DOUBLE of the Kubernetes API server (tests/k8s/api_server_double.h),
// kept for the faults a real server cannot produce on demand — or the real kube-apiserver + etcd
// of the ctest fixture `kube` (scripts/envtest), and reconciling tables in the sandbox PostgreSQL
// (ctest's `pg` fixture). Every wait polls with a deadline; operators are SIGKILLed in teardown, even after a
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
// Observed, with Stalled=True for this reason.
bool StalledWith(const json& object, const std::string& reason);
// A JSON value for a failure message ("null" for null).
std::string Dump(const json& j);
// Nothing the operator writes may carry the DSN's password (kPassword).
void ExpectNoPassword(const std::string& where, const std::string& text);

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

using OperatorEnv = std::vector<std::pair<std::string, std::optional<std::string>>>;

// "The API server" as the tests drive it: the TEST DOUBLE (FakeApiServer, in this process) or the
// real kube-apiserver of the ctest fixture `kube` (scripts/envtest), written to with its admin
// token while the operator runs under its ServiceAccount's token and the shipped RBAC.
class ApiBackend {
 public:
  virtual ~ApiBackend() = default;
  virtual bool real() const = 0;
  // The kubeconfig the operator is started with.
  virtual std::string OperatorKubeconfig() const = 0;
  // A kubeconfig (written to `path`) for the operator's user that reaches the server through
  // 127.0.0.1:port (a TcpForwarder in front of ApiPort()).
  virtual std::string KubeconfigVia(const std::string& path, int port) const = 0;
  virtual int ApiPort() const = 0;
  // Where --leader-elect tests keep their Lease: the shipped Role allows exactly one Lease,
  // pgpart-system/pgpart-operator, so the real server dictates it.
  virtual std::string LeaseNamespace() const = 0;
  virtual std::string LeaseName() const = 0;
  virtual void PutSecret(const json& secret) = 0;
  virtual json PutPolicy(const json& policy) = 0;
  // Reads, edits and writes back the spec (retrying on 409); the stored object, null if absent.
  virtual json EditSpec(const std::string& ns, const std::string& name,
                        const std::function<void(json& spec)>& edit) = 0;
  virtual json Policy(const std::string& ns, const std::string& name) = 0;  // null if absent
  virtual void DeletePolicy(const std::string& ns, const std::string& name) = 0;
  // Read through client_, the test's own client of either server.
  std::vector<json> Events(const std::string& ns);
  std::optional<k8s::Lease> GetLease(const std::string& ns, const std::string& name);

 protected:
  std::unique_ptr<k8s::Client> client_;
};

// `'text'` for sh (the paths and names quoted here hold no single quote).
std::string ShellQuote(const std::string& text);
// `PGPART_ENVTEST_BIN/kubectl --kubeconfig <the fixture kube's admin.kubeconfig>`; "" when the
// fixture's variables are unset.
std::string AdminKubectl();
// manifests/rbac.yaml as shipped, applied server-side with --force-conflicts (which also undoes
// a test's edit of the ClusterRole); "" when it worked, else kubectl's errors.
std::string ApplyShippedRbac();

// The double with the token required; kubeconfigs are written into `dir`.
std::unique_ptr<ApiBackend> DoubleBackend(k8s::testing::FakeApiServer& api,
                                          const std::string& dir);
// The fixture `kube`'s server (PGPART_ENVTEST_DIR, PGPART_ENVTEST_BIN): installs the CRD and
// manifests/ (namespace, ServiceAccount, RBAC) as shipped, and empties the test namespaces of
// policies, Secrets, Events and the operator's Leases. Records a failure (never skips) and
// returns null when there is no server.
std::unique_ptr<ApiBackend> RealServerBackend(const std::string& dir);

// Base fixture: an API server (see ApiBackend), a kubeconfig for the operator, and a scratch
// database in the sandbox.
class OperatorE2e : public ::testing::Test {
 protected:
  // Subclasses' SetUp: the backend, then the database.
  void SetUpWith(std::unique_ptr<ApiBackend> backend);
  void TearDown() override;
  bool real_server() const { return backend_ && backend_->real(); }

  // --- the operator ---
  // Starts PGPART_BINARY with exactly `args` (the first is the subcommand); no waiting. Its ports
  // are read from --health-bind/--metrics-bind in `args` (0 when absent).
  OperatorProcess& SpawnOperator(const std::vector<std::string>& args, const std::string& name,
                                 const OperatorEnv& env = {});
  // Starts `pgpart operator --kubeconfig K --health-bind 127.0.0.1:P1 --metrics-bind
  // 127.0.0.1:P2 --namespace apps <extra>` (free ports and kubeconfig_, unless `extra` gives its
  // own) and waits (10 s) for /healthz 200. `name` names its log.
  OperatorProcess& StartOperator(const std::vector<std::string>& extra = {},
                                 const std::string& name = "operator", const OperatorEnv& env = {},
                                 bool with_namespace = true);
  // Waits (limit) for /readyz 200.
  void WaitReadyz(OperatorProcess& op, milliseconds limit = milliseconds(10'000));
  // --leader-elect with short durations (so kill -9 failover fits in a few seconds) on the
  // backend's Lease, as `identity`.
  std::vector<std::string> Elect(const std::string& identity) const;

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

  // --- the API server ---
  // The API server's port (to put a TcpForwarder in front of it).
  int ApiPort() const { return backend_->ApiPort(); }
  // A kubeconfig in the test folder for the operator's user through 127.0.0.1:port.
  std::string KubeconfigVia(const std::string& file, int port) const {
    return backend_->KubeconfigVia(dir_ + "/" + file, port);
  }
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
  void DeletePolicy(const std::string& name, const std::string& ns = kNamespace);
  // Polls the stored policy until `done` (limit); returns the last object seen. On timeout
  // records a failure naming `what` with the last status.
  json WaitPolicy(const std::string& name, const std::function<bool(const json&)>& done,
                  milliseconds limit, const std::string& what, const std::string& ns = kNamespace);
  // Events (events.k8s.io/v1) in `ns`.
  std::vector<json> Events(const std::string& ns = kNamespace);
  // The events regarding `name` with this reason.
  std::vector<json> EventsFor(const std::string& name, const std::string& reason,
                              const std::string& ns = kNamespace);
  std::optional<k8s::Lease> GetLease(const std::string& ns, const std::string& name);

  std::unique_ptr<ApiBackend> backend_;
  std::string dir_;
  std::string kubeconfig_;
  std::string db_name_;
  std::vector<std::unique_ptr<OperatorProcess>> operators_;
};

// The tests that need the double's fault injection and request counts (TEST_F).
class OperatorAgainstApiDouble : public OperatorE2e {
 protected:
  void SetUp() override;
  k8s::testing::FakeApiServer api_;
  std::unique_ptr<k8s::Client> client_;  // the test's own client of the double
};

// The scenarios that run against both (TEST_P): operator_e2e_test instantiates them on the
// double (tests/operator_e2e/on_double_fixture.cc), operator_real_test on the real server
// (tests/operator_real/). The parameter is "double" or "real".
class OperatorScenario : public OperatorE2e, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override;
  // The double, when the scenario runs against it: for the checks only a double can make
  // (request counts); null on the real server.
  k8s::testing::FakeApiServer* api_double() { return double_.get(); }
  std::unique_ptr<k8s::testing::FakeApiServer> double_;
};

}  // namespace pgpart::operator_e2e
