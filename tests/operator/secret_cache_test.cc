// SecretCache against FakeApiServer, the API-server test double (tests/k8s): what is served from
// memory and what is read again.

#include "operator/secret_cache.h"

#include <gtest/gtest.h>

#include <thread>

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "api_server_double.h"

namespace pgpart::op {
namespace {

using namespace std::chrono_literals;
using k8s::testing::FakeApiServer;
using nlohmann::json;

class SecretCacheTest : public ::testing::Test {
 protected:
  SecretCacheTest() : client_(k8s::ClusterConfig{.server = server_.Url()}, 5) {}

  void PutSecret(const std::string& name, const std::string& dsn) {
    server_.Put(k8s::kSecrets, json{{"apiVersion", "v1"},
                                    {"kind", "Secret"},
                                    {"metadata", {{"name", name}, {"namespace", "apps"}}},
                                    {"stringData", {{"dsn", dsn}}}});
  }
  int Reads(const std::string& name) { return server_.CountRequests("GET", "/secrets/" + name); }

  FakeApiServer server_;
  k8s::Client client_;
};

TEST_F(SecretCacheTest, ReadsWithinTheTtlShareOneRequest) {
  PutSecret("db", "dbname=one");
  SecretCache cache(client_, 10s);
  for (int i = 0; i < 5; ++i) {
    auto got = cache.Get("apps", "db");
    ASSERT_TRUE(got.ok()) << got.error.message;
    EXPECT_EQ(got.value->at("dsn"), "dbname=one");
  }
  EXPECT_EQ(Reads("db"), 1);
}

TEST_F(SecretCacheTest, FreshForgetAndExpiryReadAgain) {
  PutSecret("db", "dbname=one");
  SecretCache cache(client_, 300ms);
  ASSERT_TRUE(cache.Get("apps", "db").ok());
  PutSecret("db", "dbname=two");
  EXPECT_EQ(cache.Get("apps", "db").value->at("dsn"), "dbname=one");  // within the ttl
  EXPECT_EQ(cache.Get("apps", "db", /*fresh=*/true).value->at("dsn"), "dbname=two");
  EXPECT_EQ(Reads("db"), 2);

  PutSecret("db", "dbname=three");
  cache.Forget("apps", "db");
  EXPECT_EQ(cache.Get("apps", "db").value->at("dsn"), "dbname=three");
  EXPECT_EQ(Reads("db"), 3);

  PutSecret("db", "dbname=four");
  std::this_thread::sleep_for(350ms);
  EXPECT_EQ(cache.Get("apps", "db").value->at("dsn"), "dbname=four");
  EXPECT_EQ(Reads("db"), 4);
}

TEST_F(SecretCacheTest, FailedReadsAreNotKeptAndSecretsAreKeptApart) {
  SecretCache cache(client_, 10s);
  auto missing = cache.Get("apps", "late");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error.status, 404);
  PutSecret("late", "dbname=late");
  auto found = cache.Get("apps", "late");
  ASSERT_TRUE(found.ok()) << found.error.message;
  EXPECT_EQ(found.value->at("dsn"), "dbname=late");

  PutSecret("other", "dbname=other");
  EXPECT_EQ(cache.Get("apps", "other").value->at("dsn"), "dbname=other");
  EXPECT_FALSE(cache.Get("elsewhere", "other").ok());  // another namespace, another Secret
  EXPECT_EQ(cache.Get("apps", "late").value->at("dsn"), "dbname=late");
  EXPECT_EQ(Reads("late"), 2);
}

}  // namespace
}  // namespace pgpart::op
