// The k8s client over HTTPS: FakeApiServer (the API-server TEST DOUBLE) behind TlsProxy, with a
// PKI made per test (tls_proxy_fixture.h). In a cluster the operator only ever speaks HTTPS,
// trusting the service-account CA, and kubeconfigs often authenticate with client certificates.
// Also Client::Cancel(), which shutdown relies on to end a watch blocked on a quiet stream.

#include <gtest/gtest.h>

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "api_server_double.h"
#include "k8s/client.h"
#include "k8s/config.h"
#include "tls_proxy_fixture.h"

namespace pgpart::k8s {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::FakeApiServer;
using testing::MakeTestPki;
using testing::PortOf;
using testing::TestPki;
using testing::TlsProxy;

constexpr const char* kToken = "tls-s3cret-token";

json Policy(const std::string& name) {
  return json{{"apiVersion", "pgpart.io/v1alpha1"},
              {"kind", "PartitionPolicy"},
              {"metadata", {{"name", name}, {"namespace", "db"}}},
              {"spec", {{"retention", {{"keep", 3}}}}}};
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) out.push_back(kAlphabet[(buffer >> (bits -= 6)) & 0x3f]);
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3f]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() : pki_(MakeTestPki("pgpart test CA")), proxy_(pki_.server, PortOf(server_.Url())) {
    server_.RequireToken(kToken);
    server_.Put(kPartitionPolicies, Policy("a"));
  }
  // A client of the proxy trusting `ca_pem`, with the bearer token.
  ClusterConfig Config(const std::string& ca_pem) {
    return ClusterConfig{.server = proxy_.Url(), .ca_pem = ca_pem, .token = kToken};
  }
  // The error of a List that must fail; checks that it leaks no token.
  ApiError ListFails(const ClusterConfig& config) {
    Client client(config, 5);
    auto list = client.List(kPartitionPolicies, "db");
    EXPECT_FALSE(list.ok());
    EXPECT_EQ(list.error.message.find(kToken), std::string::npos) << list.error.message;
    return list.error;
  }

  // Watches from `list`'s version while another thread Puts `name` once the watch is under way
  // (the stream is quiet until then). Returns the names seen; the callback stops at the first.
  std::vector<std::string> WatchWhilePutting(Client& client, const ObjectList& list,
                                             const std::string& name) {
    auto writer = std::async(std::launch::async, [this, name] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      server_.Put(kPartitionPolicies, Policy(name));
    });
    std::vector<std::string> names;
    WatchOptions options{.resource_version = list.resource_version, .timeout_seconds = 10};
    auto result = client.Watch(kPartitionPolicies, "db", options, [&](const WatchEvent& e) {
      names.push_back(e.object["metadata"]["name"]);
      return false;
    });
    writer.get();
    EXPECT_EQ(result.end, WatchEnd::kStopped) << result.error.message;
    return names;
  }

  // LoadInCluster with KUBERNETES_SERVICE_HOST/PORT = host/port and service-account files
  // holding the test CA, the token and namespace "db": the operator's real configuration.
  ConfigResult InCluster(const std::string& host, int port) {
    const fs::path dir =
        fs::temp_directory_path() / ("pgpart-tls-incluster-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "token") << kToken << "\n";
    std::ofstream(dir / "ca.crt") << pki_.ca.cert;
    std::ofstream(dir / "namespace") << "db";
    ::setenv("KUBERNETES_SERVICE_HOST", host.c_str(), 1);
    ::setenv("KUBERNETES_SERVICE_PORT", std::to_string(port).c_str(), 1);
    const InClusterPaths paths{.token_file = (dir / "token").string(),
                               .ca_file = (dir / "ca.crt").string(),
                               .namespace_file = (dir / "namespace").string()};
    ConfigResult loaded = LoadInCluster(paths);
    ::unsetenv("KUBERNETES_SERVICE_HOST");
    ::unsetenv("KUBERNETES_SERVICE_PORT");
    fs::remove_all(dir);
    return loaded;
  }

  FakeApiServer server_;
  TestPki pki_;
  TlsProxy proxy_;
};

TEST_F(TlsTest, ListWorksWithTheClusterCa) {
  Client client(Config(pki_.ca.cert), 10);
  auto list = client.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok()) << list.error.message;
  ASSERT_EQ(list.value->items.size(), 1u);
  EXPECT_EQ(list.value->items[0]["metadata"]["name"], "a");
  EXPECT_GE(proxy_.Handshakes(), 1);
  // Writes too: a POST body and its response cross the TLS stream intact.
  auto created = client.Create(kPartitionPolicies, "db", Policy("b"));
  ASSERT_TRUE(created.ok()) << created.error.message;
  EXPECT_TRUE(server_.Object(kPartitionPolicies, "db", "b").has_value());
}

TEST_F(TlsTest, WrongCaIsACertificateErrorWithoutTheToken) {
  const TestPki other = MakeTestPki("some other CA");
  const ApiError error = ListFails(Config(other.ca.cert));
  EXPECT_EQ(error.status, 0);
  const std::string message = Lower(error.message);
  EXPECT_NE(message.find("tls"), std::string::npos) << error.message;
  EXPECT_NE(message.find("certificate"), std::string::npos) << error.message;
  // The request, and so the token, never reached the server behind the untrusted certificate.
  EXPECT_EQ(server_.CountRequests("GET", "partitionpolicies"), 0);
}

TEST_F(TlsTest, NoCaAndNoSkipFailsAsTheSystemStoreDoesNotKnowTheTestCa) {
  const ApiError error = ListFails(Config(""));
  EXPECT_NE(Lower(error.message).find("certificate"), std::string::npos) << error.message;
}

TEST_F(TlsTest, InsecureSkipTlsVerifyWorksWithoutCa) {
  ClusterConfig config = Config("");
  config.insecure_skip_tls_verify = true;
  Client client(config, 10);
  auto list = client.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok()) << list.error.message;
  EXPECT_EQ(list.value->items.size(), 1u);
}

TEST_F(TlsTest, CertificateForAnotherHostIsRejected) {
  // The server certificate names IP 127.0.0.1 only; "localhost" is the same socket by another
  // name, which must not pass host-name verification.
  ClusterConfig config = Config(pki_.ca.cert);
  config.server = "https://localhost:" + std::to_string(proxy_.Port());
  const ApiError error = ListFails(config);
  EXPECT_NE(Lower(error.message).find("certificate"), std::string::npos) << error.message;
  EXPECT_EQ(server_.CountRequests("GET", "partitionpolicies"), 0) << error.message;
}

TEST_F(TlsTest, InClusterOnIPv6) {
  // On an IPv6 cluster KUBERNETES_SERVICE_HOST is an address like fd00::1 and the server URL
  // "https://[fd00::1]:443": the client must reach it, and match the certificate's IP entry
  // against the address without its URL brackets.
  TlsProxy v6(pki_.server, PortOf(server_.Url()), "", "::1");
  ConfigResult loaded = InCluster("::1", v6.Port());
  ASSERT_TRUE(loaded.config) << loaded.error;
  EXPECT_EQ(loaded.config->server, v6.Url());
  Client client(*loaded.config, 10);
  auto list = client.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok()) << list.error.message;
  EXPECT_EQ(list.value->items.size(), 1u);
}

TEST_F(TlsTest, CaBundleWithSeveralCertificatesTrustsEach) {
  // ca.crt during a CA rotation holds the old and the new CA; the server's may be the second.
  const TestPki other = MakeTestPki("old CA");
  Client client(Config(other.ca.cert + pki_.ca.cert), 10);
  auto list = client.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok()) << list.error.message;
}

TEST_F(TlsTest, GivenCaReplacesTheSystemStore) {
  // Like client-go: a configured CA is the only trust anchor. A certificate that a system CA
  // signed (here the test CA, made a system CA through SSL_CERT_FILE) must not be accepted
  // for a cluster whose CA is another one.
  const fs::path file =
      fs::temp_directory_path() / ("pgpart-tls-system-ca-" + std::to_string(::getpid()) + ".pem");
  std::ofstream(file) << pki_.ca.cert;
  ::setenv("SSL_CERT_FILE", file.c_str(), 1);
  {
    // The variable does reach OpenSSL: without a configured CA the "system" CA is trusted.
    Client system_store(Config(""), 5);
    auto list = system_store.List(kPartitionPolicies, "db");
    EXPECT_TRUE(list.ok()) << list.error.message;
  }
  const TestPki other = MakeTestPki("the cluster's own CA");
  Client client(Config(other.ca.cert), 5);
  auto list = client.List(kPartitionPolicies, "db");
  // Nor may a CA that does not parse fall back to the system store.
  Client garbled(Config("-----BEGIN CERTIFICATE-----\nnot base64\n"), 5);
  auto garbled_list = garbled.List(kPartitionPolicies, "db");
  ::unsetenv("SSL_CERT_FILE");
  fs::remove(file);
  EXPECT_FALSE(list.ok()) << "a system CA was trusted although the config names its own CA";
  EXPECT_FALSE(garbled_list.ok()) << "an unreadable CA let the system store decide";
}

TEST_F(TlsTest, ClientCertificateRequiredByTheServer) {
  TlsProxy mtls(pki_.server, PortOf(server_.Url()), pki_.ca.cert);
  ClusterConfig config = Config(pki_.ca.cert);
  config.server = mtls.Url();
  config.token.clear();  // the certificate alone authenticates

  server_.RequireToken("");
  ClusterConfig with_cert = config;
  with_cert.client_cert_pem = pki_.client.cert;
  with_cert.client_key_pem = pki_.client.key;
  Client client(with_cert, 10);
  auto list = client.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok()) << list.error.message;
  EXPECT_EQ(list.value->items.size(), 1u);
  EXPECT_EQ(mtls.FailedHandshakes(), 0);

  // Refused without a certificate, or with one from a CA the server does not trust. No check of
  // the message: with TLS 1.3 the server's alert comes after the client's side of the
  // handshake, and whether the client reads it or first fails writing to the closed socket is
  // a race (so with a real API server too).
  const int requests = server_.CountRequests("GET", "partitionpolicies");
  ListFails(config);
  const TestPki other = MakeTestPki("untrusted client CA");
  ClusterConfig foreign = config;
  foreign.client_cert_pem = other.client.cert;
  foreign.client_key_pem = other.client.key;
  ListFails(foreign);
  EXPECT_EQ(server_.CountRequests("GET", "partitionpolicies"), requests);
  // The proxy counts a refusal after sending its alert, which the client may see first.
  const auto start = std::chrono::steady_clock::now();
  while (mtls.FailedHandshakes() < 2 && SecondsSince(start) < 2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(mtls.FailedHandshakes(), 2);
}

TEST_F(TlsTest, KubeconfigWithInlineCertificatesWorksEndToEnd) {
  TlsProxy mtls(pki_.server, PortOf(server_.Url()), pki_.ca.cert);
  server_.RequireToken("");
  const fs::path dir =
      fs::temp_directory_path() / ("pgpart-tls-kubeconfig-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path path = dir / "config";
  std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
                      << "clusters:\n- name: c\n  cluster:\n    server: " << mtls.Url() << "\n"
                      << "    certificate-authority-data: " << Base64(pki_.ca.cert) << "\n"
                      << "contexts:\n- name: test\n"
                      << "  context: {cluster: c, user: u, namespace: db}\n"
                      << "users:\n- name: u\n  user:\n"
                      << "    client-certificate-data: " << Base64(pki_.client.cert) << "\n"
                      << "    client-key-data: " << Base64(pki_.client.key) << "\n";
  ConfigResult loaded = LoadKubeconfig(path.string());
  fs::remove_all(dir);
  ASSERT_TRUE(loaded.config) << loaded.error;
  Client client(*loaded.config, 10);

  auto list = client.List(kPartitionPolicies, loaded.config->default_namespace);
  ASSERT_TRUE(list.ok()) << list.error.message;
  ASSERT_EQ(list.value->items.size(), 1u);
  const std::vector<std::string> names = WatchWhilePutting(client, *list.value, "from-kubeconfig");
  EXPECT_EQ(names, std::vector<std::string>{"from-kubeconfig"});
  EXPECT_EQ(mtls.FailedHandshakes(), 0);
}

TEST_F(TlsTest, InClusterConfigWorksEndToEnd) {
  ConfigResult loaded = InCluster("127.0.0.1", proxy_.Port());
  ASSERT_TRUE(loaded.config) << loaded.error;
  Client client(*loaded.config, 10);
  auto list = client.List(kPartitionPolicies, loaded.config->default_namespace);
  ASSERT_TRUE(list.ok()) << list.error.message;
  EXPECT_EQ(list.value->items.size(), 1u);
}

TEST_F(TlsTest, WatchOverTlsDeliversEventsThenEndsOrDrops) {
  Client client(Config(pki_.ca.cert), 10);
  auto list = client.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok()) << list.error.message;
  EXPECT_EQ(WatchWhilePutting(client, *list.value, "live"), std::vector<std::string>{"live"});

  // The server's timeout ends the stream with its last chunk: a clean end, not a drop.
  WatchOptions options{.resource_version = std::to_string(server_.ResourceVersion()),
                       .timeout_seconds = 1};
  auto ended =
      client.Watch(kPartitionPolicies, "db", options, [](const WatchEvent&) { return true; });
  EXPECT_EQ(ended.end, WatchEnd::kEnded) << ended.error.message;

  // A stream cut mid-body (the TLS session itself closes cleanly) is a drop, not an end.
  options.timeout_seconds = 30;
  auto cutter = std::async(std::launch::async, [this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server_.DropWatches();
  });
  auto dropped =
      client.Watch(kPartitionPolicies, "db", options, [](const WatchEvent&) { return true; });
  cutter.get();
  EXPECT_EQ(dropped.end, WatchEnd::kDropped) << dropped.error.message;
}

// Client::Cancel() from another thread while Watch() waits on a stream where nothing happens:
// shutdown must not hang until the server's watch timeout.
void ExpectCancelStopsWatch(const ClusterConfig& config) {
  Client client(config, 10);
  auto list = client.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok()) << list.error.message;
  int events = 0;
  auto watch = std::async(std::launch::async, [&] {
    WatchOptions options{.resource_version = list.value->resource_version, .timeout_seconds = 60};
    return client.Watch(kPartitionPolicies, "db", options, [&](const WatchEvent&) {
      ++events;
      return true;
    });
  });
  // The stream is open and quiet: the watch is still blocked well after it started.
  ASSERT_EQ(watch.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout);
  const auto cancelled_at = std::chrono::steady_clock::now();
  client.Cancel();
  ASSERT_EQ(watch.wait_for(std::chrono::seconds(2)), std::future_status::ready)
      << "Watch still blocked 2 s after Cancel()";
  const WatchResult result = watch.get();
  EXPECT_LT(SecondsSince(cancelled_at), 2.0);
  EXPECT_EQ(result.end, WatchEnd::kStopped) << result.error.message;
  EXPECT_EQ(events, 0);

  // Later calls fail at once, without a request.
  const auto later = std::chrono::steady_clock::now();
  auto after = client.List(kPartitionPolicies, "db");
  EXPECT_FALSE(after.ok());
  EXPECT_EQ(after.error.reason, "Cancelled");
  WatchOptions options{.resource_version = list.value->resource_version, .timeout_seconds = 60};
  EXPECT_EQ(
      client.Watch(kPartitionPolicies, "db", options, [](const WatchEvent&) { return true; }).end,
      WatchEnd::kStopped);
  EXPECT_LT(SecondsSince(later), 0.5);
}

TEST_F(TlsTest, CancelStopsAQuietWatchOverTls) { ExpectCancelStopsWatch(Config(pki_.ca.cert)); }

TEST_F(TlsTest, CancelStopsAQuietWatchOverPlainHttp) {
  ExpectCancelStopsWatch(ClusterConfig{.server = server_.Url(), .token = kToken});
}

}  // namespace
}  // namespace pgpart::k8s
