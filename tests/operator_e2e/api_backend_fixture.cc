// The two API servers of the operator end-to-end tests (see ApiBackend in operator_fixture.h):
// FakeApiServer, the TEST DOUBLE, and the real kube-apiserver of the ctest fixture `kube`.

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../common/test_env.h"
#include "k8s/config.h"
#include "operator_fixture.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace pgpart::operator_e2e {
namespace {

// --------------------------------------------------------------------------------------------
// The double: objects are put into and read out of its store directly.

class Double : public ApiBackend {
 public:
  Double(k8s::testing::FakeApiServer& api, std::string dir) : api_(api), dir_(std::move(dir)) {
    client_ = std::make_unique<k8s::Client>(
        k8s::ClusterConfig{.server = api_.Url(), .token = kToken}, 10);
    kubeconfig_ = Write(dir_ + "/kubeconfig", api_.Url());
  }

  bool real() const override { return false; }
  std::string OperatorKubeconfig() const override { return kubeconfig_; }
  std::string KubeconfigVia(const std::string& path, int port) const override {
    return Write(path, "http://127.0.0.1:" + std::to_string(port));
  }
  int ApiPort() const override {
    const std::string url = api_.Url();
    return std::atoi(url.c_str() + url.rfind(':') + 1);
  }
  std::string LeaseNamespace() const override { return "coord"; }
  std::string LeaseName() const override { return "pgpart-e2e"; }
  void PutSecret(const json& secret) override { api_.Put(k8s::kSecrets, secret); }
  json PutPolicy(const json& policy) override { return api_.Put(k8s::kPartitionPolicies, policy); }
  json EditSpec(const std::string& ns, const std::string& name,
                const std::function<void(json& spec)>& edit) override {
    auto object = api_.Object(k8s::kPartitionPolicies, ns, name);
    if (!object) return json();
    edit((*object)["spec"]);
    return api_.Put(k8s::kPartitionPolicies, *object);
  }
  json Policy(const std::string& ns, const std::string& name) override {
    return api_.Object(k8s::kPartitionPolicies, ns, name).value_or(json());
  }
  void DeletePolicy(const std::string& ns, const std::string& name) override {
    api_.Remove(k8s::kPartitionPolicies, ns, name);
  }

 private:
  // The double speaks plain HTTP; the token user is what the operator must present.
  static std::string Write(const std::string& path, const std::string& server) {
    test_env::WriteFile(path,
                        "apiVersion: v1\nkind: Config\ncurrent-context: e2e\n"
                        "contexts:\n- name: e2e\n  context: {cluster: double, user: e2e}\n"
                        "clusters:\n- name: double\n  cluster: {server: '" +
                            server + "'}\nusers:\n- name: e2e\n  user: {token: " + kToken +
                            "}\n");
    return path;
  }

  k8s::testing::FakeApiServer& api_;
  std::string dir_;
  std::string kubeconfig_;
};

// --------------------------------------------------------------------------------------------
// The real server: the test writes with the admin token (our k8s client for objects, kubectl
// for installing manifests and deleting); the operator gets operator.kubeconfig, whose token
// authenticates as system:serviceaccount:pgpart-system:pgpart-operator, so the shipped RBAC
// (manifests/rbac.yaml) is exactly what it may do.

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class Real : public ApiBackend {
 public:
  // Empty `error()` when the server answered.
  explicit Real(std::string dir) : dir_(std::move(dir)) {
    const char* run = std::getenv("PGPART_ENVTEST_DIR");
    const char* bin = std::getenv("PGPART_ENVTEST_BIN");
    if (!run || !*run || !bin || !*bin) {
      error_ = "PGPART_ENVTEST_DIR/PGPART_ENVTEST_BIN unset: run under ctest (fixture kube)";
      return;
    }
    run_ = run;
    kubectl_ = AdminKubectl();
    auto admin = k8s::LoadKubeconfig(run_ + "/admin.kubeconfig");
    if (!admin.config) {
      error_ = "no API server (fixture kube): " + admin.error;
      return;
    }
    client_ = std::make_unique<k8s::Client>(*admin.config, 10);
    const std::string server = admin.config->server;
    port_ = std::atoi(server.c_str() + server.rfind(':') + 1);
    const std::string src = PGPART_SOURCE_DIR;
    // As docs/operator.md installs it; server-side apply with --force-conflicts restores what a
    // test changed (the RBAC minimality test edits the ClusterRole). The operator deletes no
    // partitions when a policy goes, and the CRD has no finalizers, so deletes are immediate.
    const std::string script =
        "set -e; k() { " + kubectl_ +
        " \"$@\"; }; "
        "k apply --server-side --force-conflicts --field-manager pgpart-e2e -f " +
        ShellQuote(src + "/crds/partitionpolicies.pgpart.io.yaml") +
        " >/dev/null; "
        "k wait --for condition=established --timeout 30s "
        "crd/partitionpolicies.pgpart.io >/dev/null; "
        "k apply --server-side --force-conflicts --field-manager pgpart-e2e -f " +
        ShellQuote(src + "/manifests/namespace.yaml") + " -f " +
        ShellQuote(src + "/manifests/serviceaccount.yaml") + " >/dev/null; "
        "for ns in apps other team-a team-b team-c; do "
        "  k get namespace $ns >/dev/null 2>&1 || k create namespace $ns >/dev/null; "
        "  k -n $ns delete partitionpolicies,secrets,events.events.k8s.io --all --wait=false "
        "    2>&1 | grep -v -e '^No resources found' -e ' deleted' || true; "
        "done; "
        "k -n pgpart-system delete leases --all 2>&1 "
        "  | grep -v -e '^No resources found' -e ' deleted' || true";
    // In this order (the Role and RoleBinding live in the namespace the script makes): the
    // operands of one `+` may run in either order, and the RBAC went first on a fresh server.
    std::string out = RunShell(script + " 2>&1");
    out += ApplyShippedRbac();
    if (!out.empty()) error_ = "preparing the real API server: " + out;
    operator_kubeconfig_ = run_ + "/operator.kubeconfig";
  }
  const std::string& error() const { return error_; }

  bool real() const override { return true; }
  std::string OperatorKubeconfig() const override { return operator_kubeconfig_; }
  std::string KubeconfigVia(const std::string& path, int port) const override {
    std::string text = ReadFile(operator_kubeconfig_);
    const std::string from = "https://127.0.0.1:" + std::to_string(port_);
    const auto at = text.find(from);
    if (at == std::string::npos) {
      ADD_FAILURE() << operator_kubeconfig_ << " does not name " << from;
      return operator_kubeconfig_;
    }
    text.replace(at, from.size(), "https://127.0.0.1:" + std::to_string(port));
    test_env::WriteFile(path, text);
    return path;
  }
  int ApiPort() const override { return port_; }
  std::string LeaseNamespace() const override { return "pgpart-system"; }
  std::string LeaseName() const override { return "pgpart-operator"; }

  void PutSecret(const json& secret) override {
    const std::string ns = secret["metadata"]["namespace"];
    auto created = client_->Create(k8s::kSecrets, ns, secret);
    if (created.ok()) return;
    if (created.error.status != 409) {
      ADD_FAILURE() << "creating Secret: " << created.error.message;
      return;
    }
    auto stored = client_->Get(k8s::kSecrets, ns, secret["metadata"]["name"]);
    if (!stored.ok()) {
      ADD_FAILURE() << "reading Secret: " << stored.error.message;
      return;
    }
    json replacement = secret;
    replacement["metadata"]["resourceVersion"] = (*stored.value)["metadata"]["resourceVersion"];
    auto replaced = client_->Replace(k8s::kSecrets, ns, replacement);
    if (!replaced.ok()) ADD_FAILURE() << "replacing Secret: " << replaced.error.message;
  }

  json PutPolicy(const json& policy) override {
    const std::string ns = policy["metadata"]["namespace"];
    const std::string name = policy["metadata"]["name"];
    auto created = client_->Create(k8s::kPartitionPolicies, ns, policy);
    if (created.ok()) return *created.value;
    if (created.error.status != 409) {
      ADD_FAILURE() << "creating PartitionPolicy " << ns << "/" << name << ": "
                    << created.error.message;
      return json();
    }
    return EditSpec(ns, name, [&](json& spec) { spec = policy["spec"]; });
  }

  json EditSpec(const std::string& ns, const std::string& name,
                const std::function<void(json& spec)>& edit) override {
    // The operator writes status meanwhile (a new resourceVersion): retry a stale write.
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto stored = client_->Get(k8s::kPartitionPolicies, ns, name);
      if (!stored.ok()) return json();
      json object = *stored.value;
      edit(object["spec"]);
      auto replaced = client_->Replace(k8s::kPartitionPolicies, ns, object);
      if (replaced.ok()) return *replaced.value;
      if (replaced.error.status != 409) {
        ADD_FAILURE() << "replacing PartitionPolicy " << ns << "/" << name << ": "
                      << replaced.error.message;
        return json();
      }
    }
    ADD_FAILURE() << "PartitionPolicy " << ns << "/" << name << ": 20 conflicts in a row";
    return json();
  }

  json Policy(const std::string& ns, const std::string& name) override {
    auto stored = client_->Get(k8s::kPartitionPolicies, ns, name);
    if (stored.ok()) return *stored.value;
    if (stored.error.status != 404) {
      ADD_FAILURE() << "reading PartitionPolicy " << ns << "/" << name << ": "
                    << stored.error.message;
    }
    return json();
  }

  void DeletePolicy(const std::string& ns, const std::string& name) override {
    const std::string out =
        RunShell(kubectl_ + " -n " + ShellQuote(ns) + " delete partitionpolicy " +
                 ShellQuote(name) + " 2>&1");
    if (out.find("deleted") == std::string::npos) ADD_FAILURE() << "kubectl delete: " << out;
  }

 private:
  std::string dir_;
  std::string run_;
  std::string kubectl_;
  std::string error_;
  std::string operator_kubeconfig_;
  int port_ = 0;
};

}  // namespace

std::string ShellQuote(const std::string& text) { return "'" + text + "'"; }

std::string AdminKubectl() {
  const char* run = std::getenv("PGPART_ENVTEST_DIR");
  const char* bin = std::getenv("PGPART_ENVTEST_BIN");
  if (!run || !*run || !bin || !*bin) return "";
  return std::string(bin) + "/kubectl --kubeconfig " +
         ShellQuote(std::string(run) + "/admin.kubeconfig");
}

std::string ApplyShippedRbac() {
  return RunShell(AdminKubectl() +
                  " apply --server-side --force-conflicts --field-manager pgpart-e2e -f " +
                  ShellQuote(std::string(PGPART_SOURCE_DIR) + "/manifests/rbac.yaml") +
                  " 2>&1 >/dev/null");
}

std::vector<json> ApiBackend::Events(const std::string& ns) {
  auto list = client_->ListAll(k8s::kEvents, ns);
  if (!list.ok()) {
    ADD_FAILURE() << "listing events: " << list.error.message;
    return {};
  }
  return list.value->items;
}

std::optional<k8s::Lease> ApiBackend::GetLease(const std::string& ns, const std::string& name) {
  auto lease = client_->GetLease(ns, name);
  if (!lease.ok()) return std::nullopt;
  return *lease.value;
}

std::unique_ptr<ApiBackend> DoubleBackend(k8s::testing::FakeApiServer& api,
                                          const std::string& dir) {
  return std::make_unique<Double>(api, dir);
}

std::unique_ptr<ApiBackend> RealServerBackend(const std::string& dir) {
  auto real = std::make_unique<Real>(dir);
  if (!real->error().empty()) {
    ADD_FAILURE() << real->error();
    return nullptr;
  }
  return real;
}

}  // namespace pgpart::operator_e2e
