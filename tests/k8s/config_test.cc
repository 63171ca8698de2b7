// Kubeconfig and in-cluster config loading from temporary files.

#include "k8s/config.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace pgpart::k8s {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() {
    dir_ = fs::temp_directory_path() /
           ("pgpart-k8s-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  ~ConfigTest() override {
    fs::remove_all(dir_);
    ::unsetenv("KUBERNETES_SERVICE_HOST");
    ::unsetenv("KUBERNETES_SERVICE_PORT");
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

constexpr const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team}
- name: cert
  context: {cluster: other, user: cert-user}
clusters:
- name: dev-cluster
  cluster:
    server: https://10.1.2.3:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNB
- name: other
  cluster:
    server: https://k8s.example:443
    certificate-authority: ca.pem
    insecure-skip-tls-verify: true
users:
- name: dev-user
  user: {token: abc.def}
- name: cert-user
  user:
    client-certificate: client.crt
    client-key-data: S0VZ
)";

TEST_F(ConfigTest, KubeconfigCurrentContextWithToken) {
  const auto path = Write("config", kKubeconfig);
  const ConfigResult r = LoadKubeconfig(path);
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->server, "https://10.1.2.3:6443");
  EXPECT_EQ(r.config->ca_pem, "-----BEGIN CERTIFICATE-----\nCA");
  EXPECT_EQ(r.config->token, "abc.def");
  EXPECT_EQ(r.config->default_namespace, "team");
  EXPECT_FALSE(r.config->insecure_skip_tls_verify);
  EXPECT_TRUE(r.config->client_cert_pem.empty());
}

TEST_F(ConfigTest, KubeconfigClientCertificateFromFilesAndData) {
  Write("ca.pem", "CA FILE");
  Write("client.crt", "CERT FILE");
  const auto path = Write("config", kKubeconfig);
  const ConfigResult r = LoadKubeconfig(path, "cert");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->server, "https://k8s.example:443");
  EXPECT_EQ(r.config->ca_pem, "CA FILE");  // relative to the kubeconfig's directory
  EXPECT_TRUE(r.config->insecure_skip_tls_verify);
  EXPECT_EQ(r.config->client_cert_pem, "CERT FILE");
  EXPECT_EQ(r.config->client_key_pem, "KEY");
  EXPECT_TRUE(r.config->token.empty());
}

TEST_F(ConfigTest, KubeconfigErrorsNameTheProblem) {
  const auto path = Write("config", kKubeconfig);
  const ConfigResult missing_context = LoadKubeconfig(path, "prod");
  EXPECT_FALSE(missing_context.config);
  EXPECT_NE(missing_context.error.find("context 'prod' not found"), std::string::npos);

  const ConfigResult missing_file = LoadKubeconfig(path, "cert");  // ca.pem not written
  EXPECT_FALSE(missing_file.config);
  EXPECT_NE(missing_file.error.find("ca.pem"), std::string::npos);

  const ConfigResult not_yaml = LoadKubeconfig(Write("bad", "a: [b"));
  EXPECT_FALSE(not_yaml.config);
  EXPECT_FALSE(not_yaml.error.empty());
  EXPECT_FALSE(LoadKubeconfig((dir_ / "absent").string()).config);
}

TEST_F(ConfigTest, InClusterFromServiceAccountFiles) {
  InClusterPaths paths{.token_file = Write("token", "sa-token\n"),
                       .ca_file = Write("ca.crt", "SA CA"),
                       .namespace_file = Write("namespace", "pgpart-system\n")};
  EXPECT_FALSE(LoadInCluster(paths).config);  // no KUBERNETES_SERVICE_HOST yet

  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  const ConfigResult r = LoadInCluster(paths);
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->server, "https://10.96.0.1:443");
  EXPECT_EQ(r.config->token, "sa-token");
  EXPECT_EQ(r.config->token_file, paths.token_file);
  EXPECT_EQ(r.config->ca_pem, "SA CA");
  EXPECT_EQ(r.config->default_namespace, "pgpart-system");

  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  EXPECT_EQ(LoadInCluster(paths).config->server, "https://[fd00::1]:443");

  paths.token_file = (dir_ / "absent").string();
  const ConfigResult no_token = LoadInCluster(paths);
  EXPECT_FALSE(no_token.config);
  EXPECT_NE(no_token.error.find("token"), std::string::npos);

  // A token file that never ends is refused, not read until memory runs out.
  paths.token_file = "/dev/zero";
  const ConfigResult endless = LoadInCluster(paths);
  EXPECT_FALSE(endless.config);
  EXPECT_NE(endless.error.find("token"), std::string::npos);
}

// Credential files are read up to a 16 MiB limit; each read zero-filled a 16 MiB buffer first, so
// loading the in-cluster config raised the operator's peak memory by 16 MB for three small files.
TEST_F(ConfigTest, SmallCredentialFilesCostTheirSizeNotTheLimit) {
  InClusterPaths paths{.token_file = Write("token", "sa-token\n"),
                       .ca_file = Write("ca.crt", "SA CA"),
                       .namespace_file = Write("namespace", "pgpart-system\n")};
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  struct rusage before {}, after {};
  ASSERT_EQ(getrusage(RUSAGE_SELF, &before), 0);
  const ConfigResult r = LoadInCluster(paths);
  ASSERT_EQ(getrusage(RUSAGE_SELF, &after), 0);
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 4 * 1024)
      << "kB more at the peak for a token, a CA and a namespace file of a few bytes";
}

TEST(Base64Test, DecodesAndRejects) {
  EXPECT_EQ(DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(DecodeBase64("aGVs\nbG8h"), "hello!");
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_FALSE(DecodeBase64("a$bc"));
  EXPECT_FALSE(DecodeBase64("a"));
}

// Issue 14 item 8: KUBECONFIG may list several files (kubectl merges them); only the first was
// read, so a context in one file and its cluster in another was "not found".
TEST_F(ConfigTest, SeveralKubeconfigFilesAreReadAsOneFirstNameWins) {
  fs::create_directories(dir_ / "a");
  fs::create_directories(dir_ / "b");
  std::ofstream(dir_ / "b" / "token") << "from-b-file\n";
  const std::string a = Write("a/config", R"(apiVersion: v1
kind: Config
current-context: work
contexts:
- name: work
  context: {cluster: shared, user: me}
users:
- name: me
  user: {tokenFile: ../b/token}
)");
  const std::string b = Write("b/config", R"(apiVersion: v1
kind: Config
current-context: other
contexts:
- name: work
  context: {cluster: ignored, user: ignored}
clusters:
- name: shared
  cluster: {server: https://shared.example:6443, insecure-skip-tls-verify: true}
users:
- name: me
  user: {token: from-b}
)");
  const ConfigResult r = LoadKubeconfigs({a, (dir_ / "missing").string(), b});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->server, "https://shared.example:6443");
  EXPECT_EQ(r.config->token, "from-b-file");  // a's user wins; its tokenFile is relative to a/
  EXPECT_TRUE(r.config->insecure_skip_tls_verify);
  const ConfigResult none = LoadKubeconfigs({(dir_ / "missing").string()});
  EXPECT_FALSE(none.config);
}

// Issue 14 item 8: exec credential plugins (EKS, GKE, AKS from outside the cluster).
TEST_F(ConfigTest, AnExecPluginsTokenIsUsedAndItsEnvironmentAndArgumentsPassed) {
  const std::string plugin = Write("plugin.sh", R"(#!/bin/sh
echo "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/exec-info"
echo "$1 $REGION" > "$(dirname "$0")/seen"
cat <<JSON
{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
 "status": {"token": "tok-$REGION", "expirationTimestamp": "2099-01-01T00:00:00Z"}}
JSON
)");
  fs::permissions(plugin, fs::perms::owner_all);
  const std::string path = Write("config", R"(apiVersion: v1
kind: Config
current-context: eks
contexts:
- name: eks
  context: {cluster: eks, user: eks}
clusters:
- name: eks
  cluster: {server: https://eks.example:443}
users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      args: [get-token]
      env: [{name: REGION, value: eu-west-1}]
)");
  const ConfigResult r = LoadKubeconfig(path);
  ASSERT_TRUE(r.config) << r.error;
  ASSERT_TRUE(r.config->exec.has_value());
  EXPECT_EQ(r.config->exec->command, (dir_ / "plugin.sh").string());
  const ExecCredential c = RunExecPlugin(*r.config->exec);
  ASSERT_EQ(c.error, "");
  EXPECT_EQ(c.token, "tok-eu-west-1");
  ASSERT_TRUE(c.expires_micros.has_value());
  std::ifstream seen(dir_ / "seen");
  std::string line;
  std::getline(seen, line);
  EXPECT_EQ(line, "get-token eu-west-1");
  std::ifstream info(dir_ / "exec-info");
  std::getline(info, line);
  EXPECT_NE(line.find("\"interactive\":false"), std::string::npos) << line;

  const std::string broken = Write("broken.sh", "#!/bin/sh\necho nope\nexit 3\n");
  fs::permissions(broken, fs::perms::owner_all);
  ExecPlugin bad{broken, {}, {}, ""};
  const ExecCredential failed = RunExecPlugin(bad);
  EXPECT_EQ(failed.token, "");
  EXPECT_NE(failed.error.find("exit 3"), std::string::npos) << failed.error;
}

}  // namespace
}  // namespace pgpart::k8s
