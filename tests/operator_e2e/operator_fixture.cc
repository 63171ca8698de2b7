// The `pgpart operator` end-to-end fixture: FakeApiServer (the Kubernetes API-server TEST
// DOUBLE), a kubeconfig for it, scratch databases in the sandbox (see operator_fixture.h).

#include "operator_fixture.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <pqxx/pqxx>
#include <sstream>

#include "../common/test_env.h"

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace pgpart::operator_e2e {
namespace {

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned n =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// "key=value key=value" of a simple libpq DSN (no quoting: the sandbox DSN has none).
std::map<std::string, std::string> ParseDsn(const std::string& dsn) {
  std::map<std::string, std::string> out;
  std::istringstream words(dsn);
  for (std::string word; words >> word;) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

// The last `max_lines` lines of `text`, at most `max_chars` characters.
std::string Tail(const std::string& text, size_t max_lines, size_t max_chars = 12000) {
  size_t pos = text.size();
  for (size_t n = 0; n <= max_lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) break;
  }
  size_t from = pos == std::string::npos ? 0 : pos + 1;
  if (text.size() - from > max_chars) from = text.find('\n', text.size() - max_chars) + 1;
  return (from == 0 ? "" : "[...]\n") + text.substr(from);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// OperatorE2e and its two fixtures

void OperatorAgainstApiDouble::SetUp() {
  api_.RequireToken(kToken);
  client_ =
      std::make_unique<k8s::Client>(k8s::ClusterConfig{.server = api_.Url(), .token = kToken}, 10);
  dir_ = test_env::TestDir("pgpart-operator-e2e");
  SetUpWith(DoubleBackend(api_, dir_));
}

void OperatorScenario::SetUp() {
  dir_ = test_env::TestDir("pgpart-operator-e2e");
  if (GetParam() == "real") {
    SetUpWith(RealServerBackend(dir_));
  } else {
    double_ = std::make_unique<k8s::testing::FakeApiServer>();
    double_->RequireToken(kToken);
    SetUpWith(DoubleBackend(*double_, dir_));
  }
}

void OperatorE2e::SetUpWith(std::unique_ptr<ApiBackend> backend) {
  backend_ = std::move(backend);
  ASSERT_TRUE(backend_) << "no API server";
  kubeconfig_ = backend_->OperatorKubeconfig();
  ASSERT_FALSE(test_env::ServerDsn().empty());
  db_name_ = test_env::ScratchDatabaseName("opk8s");
  test_env::CreateDatabase(db_name_);
  ASSERT_FALSE(HasFailure());
}

void OperatorE2e::TearDown() {
  for (auto& op : operators_) op->Kill();
  if (HasFailure()) {
    for (auto& op : operators_) {
      std::cerr << "----- log of " << op->name() << " (pid " << op->pid() << ") -----\n"
                << Tail(op->Log(), 150) << "\n----- end of " << op->name() << " -----\n";
    }
  }
  operators_.clear();
  test_env::DropDatabase(db_name_);
}

namespace {

// The port of a bind address given in `args` as `flag` ("HOST:PORT" or ":PORT"); 0 for "0".
int BoundPort(const std::vector<std::string>& args, const std::string& flag) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != flag) continue;
    const std::string& value = args[i + 1];
    const auto colon = value.rfind(':');
    return std::atoi(value.c_str() + (colon == std::string::npos ? 0 : colon + 1));
  }
  return -1;
}

}  // namespace

OperatorProcess& OperatorE2e::SpawnOperator(
    const std::vector<std::string>& args, const std::string& name,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& env) {
  operators_.push_back(std::make_unique<OperatorProcess>(
      args, dir_ + "/" + name + ".log", env, std::max(0, BoundPort(args, "--health-bind")),
      std::max(0, BoundPort(args, "--metrics-bind")), name));
  return *operators_.back();
}

OperatorProcess& OperatorE2e::StartOperator(
    const std::vector<std::string>& extra, const std::string& name,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& env,
    bool with_namespace) {
  std::vector<std::string> args = {"operator"};
  if (std::find(extra.begin(), extra.end(), "--kubeconfig") == extra.end()) {
    args.push_back("--kubeconfig");
    args.push_back(kubeconfig_);
  }
  // Loopback binds on free ports unless the test chose its own.
  if (BoundPort(extra, "--health-bind") < 0) {
    args.push_back("--health-bind");
    args.push_back("127.0.0.1:" + std::to_string(FreePort()));
  }
  if (BoundPort(extra, "--metrics-bind") < 0) {
    args.push_back("--metrics-bind");
    args.push_back("127.0.0.1:" + std::to_string(FreePort()));
  }
  if (with_namespace) {
    args.push_back("--namespace");
    args.push_back(kNamespace);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  OperatorProcess& op = SpawnOperator(args, name, env);
  const int health = op.health_port();
  const bool healthy =
      Eventually([&] { return !op.Running() || HttpGet(health, "/healthz").code == 200; },
                 milliseconds(10'000), milliseconds(20));
  if (!op.Running()) {
    ADD_FAILURE() << name << " exited early with code " << op.WaitExit(milliseconds(0)).value_or(-1)
                  << "; args:" << [&] {
                       std::string s;
                       for (const auto& a : args) s += " " + a;
                       return s;
                     }();
  } else if (!healthy) {
    ADD_FAILURE() << name << ": /healthz on 127.0.0.1:" << health << " never answered 200";
  }
  return op;
}

void OperatorE2e::WaitReadyz(OperatorProcess& op, milliseconds limit) {
  int last = 0;
  const bool ready = Eventually(
      [&] {
        last = HttpGet(op.health_port(), "/readyz").code;
        return last == 200 || !op.Running();
      },
      limit, milliseconds(20));
  EXPECT_TRUE(ready && last == 200)
      << op.name() << ": /readyz answered " << last << (op.Running() ? "" : " (process exited)");
}

std::string OperatorE2e::DatabaseDsn(int port) const {
  auto parts = ParseDsn(test_env::ServerDsn());
  return "host=" + parts["host"] + " port=" + (port ? std::to_string(port) : parts["port"]) +
         " user=" + parts["user"] + " password=" + kPassword + " dbname=" + db_name_ +
         " connect_timeout=3";
}

int OperatorE2e::SandboxPort() const {
  return std::atoi(ParseDsn(test_env::ServerDsn())["port"].c_str());
}

void OperatorE2e::Exec(const std::string& sql) const {
  pqxx::connection conn(DatabaseDsn());
  pqxx::nontransaction tx(conn);
  tx.exec(sql);
}

std::string OperatorE2e::Scalar(const std::string& sql) const {
  pqxx::connection conn(DatabaseDsn());
  pqxx::nontransaction tx(conn);
  const pqxx::result r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

void OperatorE2e::CreateTimeTable(const std::string& name) const {
  Exec("CREATE TABLE public." + name + " (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at)");
}

int OperatorE2e::PartitionCount(const std::string& table) const {
  const std::string n = Scalar("SELECT CASE WHEN to_regclass('public." + table +
                               "') IS NULL THEN -1 ELSE "
                               "(SELECT count(*) FROM pg_inherits WHERE inhparent = 'public." +
                               table + "'::regclass) END");
  return std::atoi(n.c_str());
}

std::vector<std::string> OperatorE2e::Partitions(const std::string& table) const {
  pqxx::connection conn(DatabaseDsn());
  pqxx::nontransaction tx(conn);
  std::vector<std::string> names;
  for (const auto& row : tx.exec("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = "
                                 "i.inhrelid WHERE i.inhparent = to_regclass('public." +
                                 table + "') ORDER BY 1")) {
    names.push_back(row[0].c_str());
  }
  return names;
}

std::vector<std::string> OperatorE2e::ExpectedMonthly(const std::string& table,
                                                                   int premake) const {
  pqxx::connection conn(DatabaseDsn());
  pqxx::nontransaction tx(conn);
  std::vector<std::string> names;
  for (const auto& row : tx.exec(
           "SELECT format('%s_y%sm%s', " + tx.quote(table) +
           ", to_char(m, 'YYYY'), to_char(m, 'MM')) FROM generate_series(date_trunc('month', "
           "now() AT TIME ZONE 'UTC'), date_trunc('month', now() AT TIME ZONE 'UTC') + " +
           std::to_string(premake) + " * interval '1 month', interval '1 month') m ORDER BY 1")) {
    names.push_back(row[0].c_str());
  }
  return names;
}

int OperatorE2e::HistoryRows(const std::string& where) const {
  if (Scalar("SELECT to_regclass('pgpart.history') IS NOT NULL") != "t") return 0;
  return std::atoi(Scalar("SELECT count(*) FROM pgpart.history WHERE " + where).c_str());
}

void OperatorE2e::PutSecret(const std::string& name, const std::string& dsn,
                            const std::string& key, const std::string& ns) {
  backend_->PutSecret(json{{"apiVersion", "v1"},
                           {"kind", "Secret"},
                           {"metadata", {{"name", name}, {"namespace", ns}}},
                           {"type", "Opaque"},
                           {"data", {{key, Base64(dsn)}}}});
}

json OperatorE2e::MonthlySpec(const std::string& table, int premake, const std::string& secret) {
  return json{{"tables", {"public." + table}},
              {"interval", "1 month"},
              {"premake", premake},
              {"databaseRef", {{"secretName", secret}, {"key", "dsn"}}}};
}

json OperatorE2e::PutPolicy(const std::string& name, const json& spec, const std::string& ns) {
  return backend_->PutPolicy(json{{"apiVersion", "pgpart.io/v1alpha1"},
                                  {"kind", "PartitionPolicy"},
                                  {"metadata", {{"name", name}, {"namespace", ns}}},
                                  {"spec", spec}});
}

json OperatorE2e::EditSpec(const std::string& name, const std::function<void(json& spec)>& edit,
                           const std::string& ns) {
  json stored = backend_->EditSpec(ns, name, edit);
  if (stored.is_null()) ADD_FAILURE() << "no PartitionPolicy " << ns << "/" << name << " to edit";
  return stored;
}

json OperatorE2e::Policy(const std::string& name, const std::string& ns) {
  return backend_->Policy(ns, name);
}

void OperatorE2e::DeletePolicy(const std::string& name, const std::string& ns) {
  backend_->DeletePolicy(ns, name);
}

json OperatorE2e::WaitPolicy(const std::string& name, const std::function<bool(const json&)>& done,
                             milliseconds limit, const std::string& what, const std::string& ns) {
  json last;
  const bool ok = Eventually(
      [&] {
        last = Policy(name, ns);
        return !last.is_null() && done(last);
      },
      // The double is read in memory; the real server over HTTPS, not 200 times a second.
      limit, milliseconds(real_server() ? 25 : 5));
  if (!ok) {
    ADD_FAILURE() << "PartitionPolicy " << ns << "/" << name << " not " << what << " within "
                  << limit.count() << " ms; generation "
                  << (last.is_null() ? json() : last["metadata"].value("generation", json()))
                  << ", status:\n"
                  << (last.is_null() ? "(object gone)" : last.value("status", json()).dump(2));
  }
  return last;
}

std::vector<json> OperatorE2e::Events(const std::string& ns) { return backend_->Events(ns); }

std::vector<json> OperatorE2e::EventsFor(const std::string& name, const std::string& reason,
                                         const std::string& ns) {
  std::vector<json> out;
  for (const json& e : Events(ns)) {
    const json regarding = e.value("regarding", json::object());
    if (regarding.value("name", "") == name && e.value("reason", "") == reason) out.push_back(e);
  }
  return out;
}

std::optional<k8s::Lease> OperatorE2e::GetLease(const std::string& ns, const std::string& name) {
  return backend_->GetLease(ns, name);
}

std::vector<std::string> OperatorE2e::Elect(const std::string& identity) const {
  return {"--leader-elect",   "--leader-election-namespace",
          backend_->LeaseNamespace(),
          "--lease-name",     backend_->LeaseName(),
          "--lease-duration", "4s",
          "--renew-deadline", "3s",
          "--retry-period",   "500ms",
          "--identity",       identity};
}

}  // namespace pgpart::operator_e2e
