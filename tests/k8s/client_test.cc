// The k8s client against FakeApiServer, the API-server test double (api_server_double.h).

#include "k8s/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <set>

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "api_server_double.h"

namespace pgpart::k8s {
namespace {

using nlohmann::json;
using testing::FakeApiServer;

json Policy(const std::string& name, int keep = 3) {
  return json{{"apiVersion", "pgpart.io/v1alpha1"},
              {"kind", "PartitionPolicy"},
              {"metadata", {{"name", name}, {"namespace", "db"}}},
              {"spec", {{"retention", {{"keep", keep}}}}}};
}

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() : client_(ClusterConfig{.server = server_.Url(), .token = "s3cret"}, 10) {
    server_.RequireToken("s3cret");
  }
  FakeApiServer server_;
  Client client_;
};

TEST_F(ClientTest, ListReturnsItemsAndResourceVersion) {
  server_.Put(kPartitionPolicies, Policy("a"));
  server_.Put(kPartitionPolicies, Policy("b"));
  auto other = Policy("c");
  other["metadata"]["namespace"] = "other";
  server_.Put(kPartitionPolicies, other);

  auto list = client_.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok()) << list.error.message;
  ASSERT_EQ(list.value->items.size(), 2u);
  EXPECT_EQ(list.value->items[0]["metadata"]["name"], "a");
  EXPECT_EQ(list.value->resource_version, std::to_string(server_.ResourceVersion()));

  auto all = client_.List(kPartitionPolicies, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value->items.size(), 3u);
}

TEST_F(ClientTest, ListAllFollowsContinueTokens) {
  for (int i = 0; i < 5; ++i) server_.Put(kPartitionPolicies, Policy("p" + std::to_string(i)));
  auto list = client_.ListAll(kPartitionPolicies, "db", 2);
  ASSERT_TRUE(list.ok()) << list.error.message;
  ASSERT_EQ(list.value->items.size(), 5u);
  EXPECT_EQ(list.value->items[4]["metadata"]["name"], "p4");
  EXPECT_EQ(server_.CountRequests("GET", "partitionpolicies"), 3);
}

TEST_F(ClientTest, WrongTokenIsUnauthorized) {
  Client anonymous(ClusterConfig{.server = server_.Url(), .token = "wrong"}, 5);
  auto list = anonymous.List(kPartitionPolicies, "db");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error.status, 401);
  EXPECT_EQ(list.error.message.find("wrong"), std::string::npos);  // never echo the token
}

TEST_F(ClientTest, TransportErrorIsAValue) {
  Client nowhere(ClusterConfig{.server = "http://127.0.0.1:1"}, 2);
  auto list = nowhere.List(kPartitionPolicies, "db");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error.status, 0);
  EXPECT_FALSE(list.error.message.empty());
}

TEST_F(ClientTest, WatchFromListVersionSeesLaterChangesOnly) {
  server_.Put(kPartitionPolicies, Policy("old"));
  auto list = client_.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok());
  server_.Put(kPartitionPolicies, Policy("new"));
  server_.Put(kPartitionPolicies, Policy("old", 7));
  server_.Remove(kPartitionPolicies, "db", "new");

  std::vector<std::pair<WatchEventType, std::string>> seen;
  WatchOptions options{.resource_version = list.value->resource_version, .timeout_seconds = 1};
  auto result = client_.Watch(kPartitionPolicies, "db", options, [&](const WatchEvent& e) {
    seen.emplace_back(e.type, e.object["metadata"]["name"].get<std::string>());
    return true;
  });
  EXPECT_EQ(result.end, WatchEnd::kEnded) << result.error.message;
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(WatchEventType::kAdded, std::string("new")));
  EXPECT_EQ(seen[1], std::make_pair(WatchEventType::kModified, std::string("old")));
  EXPECT_EQ(seen[2], std::make_pair(WatchEventType::kDeleted, std::string("new")));
  EXPECT_EQ(result.resource_version, std::to_string(server_.ResourceVersion()));
}

TEST_F(ClientTest, WatchDeliversChangesMadeWhileStreaming) {
  auto list = client_.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok());
  server_.Put(kPartitionPolicies, Policy("first"));
  std::vector<std::string> names;
  WatchOptions options{.resource_version = list.value->resource_version, .timeout_seconds = 10};
  auto result = client_.Watch(kPartitionPolicies, "db", options, [&](const WatchEvent& e) {
    names.push_back(e.object["metadata"]["name"]);
    if (names.size() == 1) server_.Put(kPartitionPolicies, Policy("second"));  // live change
    return names.size() < 2;
  });
  EXPECT_EQ(result.end, WatchEnd::kStopped);
  EXPECT_EQ(names, (std::vector<std::string>{"first", "second"}));
}

TEST_F(ClientTest, BookmarkAdvancesResourceVersion) {
  auto list = client_.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok());
  server_.Put(kPartitionPolicies, Policy("a"));
  const std::string after_policy = std::to_string(server_.ResourceVersion());
  server_.Put(kSecrets, json{{"metadata", {{"name", "s"}, {"namespace", "db"}}}});  // moves rv on
  server_.Bookmark(kPartitionPolicies);
  const std::string expected = std::to_string(server_.ResourceVersion());
  ASSERT_NE(after_policy, expected);

  std::vector<WatchEventType> types;
  WatchOptions options{.resource_version = list.value->resource_version, .timeout_seconds = 10};
  auto result = client_.Watch(kPartitionPolicies, "db", options, [&](const WatchEvent& e) {
    types.push_back(e.type);
    return e.type != WatchEventType::kBookmark;
  });
  EXPECT_EQ(result.end, WatchEnd::kStopped);
  EXPECT_EQ(types, (std::vector<WatchEventType>{WatchEventType::kAdded, WatchEventType::kBookmark}));
  EXPECT_EQ(result.resource_version, expected);
}

TEST_F(ClientTest, TooOldResourceVersionAsksForRelist) {
  auto list = client_.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok());
  server_.Put(kPartitionPolicies, Policy("a"));
  server_.Compact();
  bool saw_error = false;
  WatchOptions options{.resource_version = list.value->resource_version, .timeout_seconds = 5};
  auto result = client_.Watch(kPartitionPolicies, "db", options, [&](const WatchEvent& e) {
    saw_error = e.type == WatchEventType::kError;
    return true;
  });
  EXPECT_TRUE(saw_error);
  EXPECT_EQ(result.end, WatchEnd::kGone);
  EXPECT_EQ(result.error.status, 410);
  EXPECT_EQ(result.error.reason, "Expired");

  // A relist gives a version the server can watch from again.
  auto relist = client_.List(kPartitionPolicies, "db");
  ASSERT_TRUE(relist.ok());
  EXPECT_EQ(relist.value->items.size(), 1u);
  WatchOptions again{.resource_version = relist.value->resource_version, .timeout_seconds = 1};
  auto second = client_.Watch(kPartitionPolicies, "db", again, [](const WatchEvent&) {
    return true;
  });
  EXPECT_EQ(second.end, WatchEnd::kEnded) << second.error.message;
}

TEST_F(ClientTest, CompactionLeavesOpenWatchesStreaming) {
  auto list = client_.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok());
  server_.Put(kPartitionPolicies, Policy("before"));
  std::vector<std::string> names;
  WatchOptions options{.resource_version = list.value->resource_version, .timeout_seconds = 10};
  auto result = client_.Watch(kPartitionPolicies, "db", options, [&](const WatchEvent& e) {
    names.push_back(e.object["metadata"]["name"]);
    if (names.size() == 1) {  // compaction while this watch is open, then a change
      server_.Compact();
      server_.Put(kPartitionPolicies, Policy("after"));
    }
    return names.size() < 2;
  });
  EXPECT_EQ(result.end, WatchEnd::kStopped);
  EXPECT_EQ(names, (std::vector<std::string>{"before", "after"}));
}

TEST_F(ClientTest, OnlyTheStatusSubresourceWritesStatus) {
  // The CRD declares the status subresource: like a real API server, the double ignores `status`
  // in writes to the main resource, so a spec edit cannot undo an operator's status patch.
  json created = Policy("s");
  created["status"] = {{"observedGeneration", 42}};
  auto made = client_.Create(kPartitionPolicies, "db", created);
  ASSERT_TRUE(made.ok()) << made.error.message;
  EXPECT_FALSE(made.value->contains("status"));

  auto patched = client_.PatchStatus(kPartitionPolicies, "db", "s",
                                     json{{"status", {{"observedGeneration", 1}}}});
  ASSERT_TRUE(patched.ok()) << patched.error.message;
  json stale = *made.value;  // read before the status patch, edited, written back
  stale["spec"]["retention"]["keep"] = 9;
  stale["status"] = {{"observedGeneration", 0}};
  stale["metadata"]["resourceVersion"] = (*patched.value)["metadata"]["resourceVersion"];
  auto replaced = client_.Replace(kPartitionPolicies, "db", stale);
  ASSERT_TRUE(replaced.ok()) << replaced.error.message;
  EXPECT_EQ((*replaced.value)["status"]["observedGeneration"], 1);
  EXPECT_EQ((*replaced.value)["metadata"]["generation"], 2);

  json edited = Policy("s", 10);
  edited["status"] = json::object();
  server_.Put(kPartitionPolicies, edited);
  EXPECT_EQ(server_.Object(kPartitionPolicies, "db", "s").value()["status"]["observedGeneration"],
            1);
}

TEST_F(ClientTest, DroppedStreamIsReported) {
  auto list = client_.List(kPartitionPolicies, "db");
  ASSERT_TRUE(list.ok());
  server_.Put(kPartitionPolicies, Policy("a"));
  int events = 0;
  WatchOptions options{.resource_version = list.value->resource_version, .timeout_seconds = 20};
  const auto started = std::chrono::steady_clock::now();
  auto result = client_.Watch(kPartitionPolicies, "db", options, [&](const WatchEvent&) {
    ++events;
    server_.DropWatches();
    return true;
  });
  EXPECT_EQ(events, 1);
  EXPECT_EQ(result.end, WatchEnd::kDropped);
  EXPECT_EQ(result.resource_version, std::to_string(server_.ResourceVersion()));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(ClientTest, PatchStatusRetriesOnConflict) {
  const json stored = server_.Put(kPartitionPolicies, Policy("a"));
  const std::string stale = stored["metadata"]["resourceVersion"];
  server_.Put(kPartitionPolicies, Policy("a", 5));  // someone else wrote in between

  int rebuilt = 0;
  PatchStatusOptions options{.resource_version = stale};
  options.on_conflict = [&](const json& latest) -> std::optional<json> {
    ++rebuilt;
    return json{{"status", {{"observedGeneration", latest["metadata"]["generation"]}}}};
  };
  auto r = client_.PatchStatus(kPartitionPolicies, "db", "a",
                               json{{"status", {{"observedGeneration", 1}}}}, options);
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(rebuilt, 1);
  EXPECT_EQ(server_.CountRequests("PATCH", "/status"), 2);
  const auto object = server_.Object(kPartitionPolicies, "db", "a");
  EXPECT_EQ((*object)["status"]["observedGeneration"], 2);
  EXPECT_EQ((*object)["spec"]["retention"]["keep"], 5);  // status patch leaves spec alone
}

TEST_F(ClientTest, PatchStatusGivesUpAfterMaxAttempts) {
  server_.Put(kPartitionPolicies, Policy("a"));
  PatchStatusOptions options{.resource_version = "1", .max_attempts = 3};
  options.on_conflict = [&](const json&) -> std::optional<json> {
    server_.Put(kPartitionPolicies, Policy("a", rand() % 100 + 10));  // keeps losing the race
    return json{{"status", {{"x", 1}}}};
  };
  auto r = client_.PatchStatus(kPartitionPolicies, "db", "a", json{{"status", {{"x", 1}}}},
                               options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.status, 409);
  EXPECT_EQ(server_.CountRequests("PATCH", "/status"), 3);
}

TEST_F(ClientTest, PatchStatusOfMissingObjectIsNotFound) {
  auto r = client_.PatchStatus(kPartitionPolicies, "db", "nope", json{{"status", json::object()}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.status, 404);
}

TEST_F(ClientTest, SecretDataIsDecoded) {
  server_.Put(kSecrets, json{{"metadata", {{"name", "db"}, {"namespace", "db"}}},
                             {"data", {{"dsn", "aG9zdD1kYiB1c2VyPWFwcA=="}, {"empty", ""}}}});
  auto secret = client_.GetSecret("db", "db");
  ASSERT_TRUE(secret.ok()) << secret.error.message;
  EXPECT_EQ(secret.value->at("dsn"), "host=db user=app");
  EXPECT_EQ(secret.value->at("empty"), "");
  auto missing = client_.GetSecret("db", "other");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error.status, 404);

  server_.Put(kSecrets, json{{"metadata", {{"name", "bad"}, {"namespace", "db"}}},
                             {"data", {{"dsn", "not base64!"}}}});
  auto bad = client_.GetSecret("db", "bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error.reason, "BadSecret");
}

TEST_F(ClientTest, LeaseOptimisticConcurrency) {
  Lease lease{.name = "pgpart-leader", .holder_identity = "pod-a", .lease_duration_seconds = 15,
              .acquire_time = NowMicroTime(), .renew_time = NowMicroTime()};
  auto created = client_.CreateLease("db", lease);
  ASSERT_TRUE(created.ok()) << created.error.message;
  EXPECT_FALSE(created.value->resource_version.empty());
  auto again = client_.CreateLease("db", lease);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error.status, 409);

  // Two candidates read the same version; only the first update wins.
  auto a = client_.GetLease("db", "pgpart-leader");
  auto b = client_.GetLease("db", "pgpart-leader");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value->holder_identity, "pod-a");
  EXPECT_EQ(a.value->lease_duration_seconds, 15);
  a.value->renew_time = NowMicroTime();
  auto renewed = client_.UpdateLease("db", *a.value);
  ASSERT_TRUE(renewed.ok()) << renewed.error.message;
  EXPECT_NE(renewed.value->resource_version, a.value->resource_version);
  b.value->holder_identity = "pod-b";
  b.value->lease_transitions += 1;
  auto stolen = client_.UpdateLease("db", *b.value);
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.error.status, 409);
  EXPECT_EQ(client_.GetLease("db", "pgpart-leader").value->holder_identity, "pod-a");

  auto missing = client_.GetLease("db", "none");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error.status, 404);
}

TEST_F(ClientTest, CreateEventRecordsAnEventsV1Event) {
  EventSpec event{.regarding = {{"apiVersion", "pgpart.io/v1alpha1"},
                                {"kind", "PartitionPolicy"},
                                {"namespace", "db"},
                                {"name", "orders"}},
                  .type = "Normal",
                  .reason = "PartitionCreated",
                  .action = "Create",
                  .note = "created orders_p2024_03",
                  .reporting_instance = "pod-a"};
  auto r = client_.CreateEvent("db", event);
  ASSERT_TRUE(r.ok()) << r.error.message;
  const std::string name = (*r.value)["metadata"]["name"];
  EXPECT_EQ(name.rfind("orders.", 0), 0u);
  const auto stored = server_.Object(kEvents, "db", name);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ((*stored)["reason"], "PartitionCreated");
  EXPECT_EQ((*stored)["regarding"]["name"], "orders");
  EXPECT_EQ((*stored)["reportingController"], "pgpart.io/operator");
  EXPECT_EQ(server_.CountRequests("POST", "/apis/events.k8s.io/v1/namespaces/db/events"), 1);
}

// Found on the real API server (issue 14): every Event was refused with 422 because its
// generateName "orders." is not a DNS-1123 subdomain. Names are given now, as client-go gives
// them ("<object>.<hex time>"), distinct even within one nanosecond, and within 253 characters
// for the longest object name.
TEST_F(ClientTest, EventNamesAreValidDistinctAndShortEnough) {
  const std::string longest = std::string(120, 'a') + "." + std::string(132, 'b');  // 253
  std::set<std::string> names;
  for (const std::string& object : {std::string("orders"), longest, longest, longest}) {
    EventSpec event{.regarding = {{"apiVersion", "pgpart.io/v1alpha1"},
                                  {"kind", "PartitionPolicy"},
                                  {"namespace", "db"},
                                  {"name", object}},
                    .type = "Normal",
                    .reason = "PartitionCreated",
                    .note = "n"};
    auto r = client_.CreateEvent("db", event);
    ASSERT_TRUE(r.ok()) << r.error.message;
    const std::string name = (*r.value)["metadata"]["name"];
    EXPECT_LE(name.size(), 253u) << name;
    EXPECT_EQ(name.rfind(object.substr(0, 100) + "", 0), 0u) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 4u) << "two events got one name";
}

// Issue 14 (bench/operator.sh --real-server): every Event was refused by the real API server
// (422: the generateName "orders." is no DNS subdomain), so none was ever recorded; the double
// took it. Events are named "<object>.<nanoseconds in hex>" now, as client-go names them, and the
// double refuses what the server refuses.
TEST_F(ClientTest, EventsHaveNamesAndFieldsTheRealServerAccepts) {
  const std::string long_name = std::string(235, 'p') + "-" + std::string(17, 'q');  // 253
  for (const std::string& regarding : {std::string("orders"), long_name, std::string()}) {
    EventSpec event{.regarding = {{"apiVersion", "pgpart.io/v1alpha1"},
                                  {"kind", "PartitionPolicy"},
                                  {"namespace", "db"},
                                  {"name", regarding}},
                    .type = "Normal",
                    .reason = "PartitionCreated",
                    .action = std::string(200, 'a'),
                    .note = "created",
                    .reporting_instance = std::string(100, 'h') + "-" + std::string(100, 'i')};
    auto r = client_.CreateEvent("db", event);
    ASSERT_TRUE(r.ok()) << regarding.size() << " chars: " << r.error.message;
    const std::string name = (*r.value)["metadata"]["name"];
    EXPECT_LE(name.size(), 253u);
    const auto stored = server_.Object(kEvents, "db", name);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ((*stored)["reportingInstance"].get<std::string>().size(), 128u);
    EXPECT_EQ((*stored)["action"].get<std::string>().size(), 128u);
  }
  EXPECT_EQ(EventName("orders", 0x187e2b1c0a9f3e21), "orders.187e2b1c0a9f3e21");
  // Cut to 253 with the suffix; the '-' it would then end with goes too.
  EXPECT_EQ(EventName(long_name, 0x187e2b1c0a9f3e21),
            std::string(235, 'p') + ".187e2b1c0a9f3e21");
  EXPECT_EQ(EventName("", 0x10), "pgpart.10");

  // The double refuses like the server: a generateName ending in '.', a name over 253.
  json bad = {{"apiVersion", "events.k8s.io/v1"},
              {"kind", "Event"},
              {"metadata", {{"generateName", "orders."}, {"namespace", "db"}}}};
  auto refused = client_.Create(kEvents, "db", bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error.status, 422);
  bad["metadata"] = {{"name", std::string(254, 'x')}, {"namespace", "db"}};
  EXPECT_EQ(client_.Create(kEvents, "db", bad).error.status, 422);
  bad["metadata"] = {{"generateName", "orders-"}, {"namespace", "db"}};
  EXPECT_TRUE(client_.Create(kEvents, "db", bad).ok());
}

// Issue 14 item 4: the note was cut at 1,024 bytes inside a character; the JSON writer threw and
// the Event (a real Warning) was lost. It is cut before the character now.
TEST_F(ClientTest, ALongNoteIsCutOnACharacterBoundary) {
  EventSpec event{.regarding = {{"apiVersion", "pgpart.io/v1alpha1"},
                                {"kind", "PartitionPolicy"},
                                {"namespace", "db"},
                                {"name", "orders"}},
                  .type = "Warning",
                  .reason = "ApplyFailed",
                  .note = std::string(1023, 'a') + "\xC3\xA9 and more"};
  auto r = client_.CreateEvent("db", event);
  ASSERT_TRUE(r.ok()) << r.error.message;
  const auto stored = server_.Object(kEvents, "db", (*r.value)["metadata"]["name"]);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ((*stored)["note"], std::string(1023, 'a'));
}

// Issue 14 item 3: a throttled status write was not retried; the status stayed "Applying" until
// the next resync. 429 and 5xx are sent again, after the server's Retry-After.
TEST_F(ClientTest, ThrottledWritesAreSentAgainAfterRetryAfter) {
  server_.Put(kPartitionPolicies, Policy("a"));
  server_.Fail("PATCH", "/partitionpolicies/a/status", 1, 429, "1");
  const auto start = std::chrono::steady_clock::now();
  auto patched = client_.PatchStatus(kPartitionPolicies, "db", "a",
                                     json{{"status", {{"observedGeneration", 1}}}});
  ASSERT_TRUE(patched.ok()) << patched.error.message;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(950))
      << "Retry-After: 1 was not honoured";
  EXPECT_EQ(server_.CountRequests("PATCH", "/partitionpolicies/a/status"), 2);
  EXPECT_EQ((*server_.Object(kPartitionPolicies, "db", "a"))["status"]["observedGeneration"], 1);

  server_.Fail("POST", "/events", 2, 503);
  EventSpec event{.regarding = {{"kind", "PartitionPolicy"}, {"namespace", "db"}, {"name", "a"}},
                  .type = "Warning",
                  .reason = "ApplyFailed",
                  .note = "x"};
  auto created = client_.CreateEvent("db", event);
  ASSERT_TRUE(created.ok()) << created.error.message;
  EXPECT_EQ(server_.CountRequests("POST", "/events"), 3);
}

TEST_F(ClientTest, AServerThatKeepsThrottlingIsGivenUpOnWithItsError) {
  server_.Put(kPartitionPolicies, Policy("a"));
  server_.Fail("GET", "/partitionpolicies/a", 100, 429, "0");
  auto got = client_.Get(kPartitionPolicies, "db", "a");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error.status, 429);
  EXPECT_EQ(server_.CountRequests("GET", "/partitionpolicies/a"), kThrottleAttempts);
}

// Issue 14 item 8: a kubeconfig exec plugin's token authenticates the requests; it is run once
// while its token is valid, and again when the server refuses the token (401).
TEST_F(ClientTest, AnExecPluginsTokenIsUsedAndRenewedWhenRefused) {
  const std::string dir = ::testing::TempDir() + "pgpart-exec-" + std::to_string(::getpid());
  std::system(("mkdir -p " + dir).c_str());
  const std::string plugin = dir + "/plugin.sh";
  {
    std::ofstream out(plugin);
    out << "#!/bin/sh\necho run >> " << dir << "/runs\n"
        << "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
           "\"status\":{\"token\":\"'\"$(cat " << dir << "/token)\"'\"}}'\n";
  }
  std::system(("chmod +x " + plugin + "; echo s3cret > " + dir + "/token; rm -f " + dir +
               "/runs").c_str());
  server_.Put(kPartitionPolicies, Policy("a"));
  ClusterConfig config{.server = server_.Url()};
  config.exec = ExecPlugin{plugin, {}, {}, "client.authentication.k8s.io/v1"};
  Client client(config, 10);
  ASSERT_TRUE(client.Get(kPartitionPolicies, "db", "a").ok());
  ASSERT_TRUE(client.Get(kPartitionPolicies, "db", "a").ok());
  auto runs = [&] {
    std::ifstream in(dir + "/runs");
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  };
  EXPECT_EQ(runs(), 1);
  // The token is rotated: the server refuses the old one, the plugin is asked again.
  server_.RequireToken("rotated");
  std::system(("echo rotated > " + dir + "/token").c_str());
  auto after = client.Get(kPartitionPolicies, "db", "a");
  EXPECT_TRUE(after.ok()) << after.error.message;
  EXPECT_EQ(runs(), 2);
  std::system(("rm -rf " + dir).c_str());
}

TEST(ResourcePathTest, CoreAndGroupPaths) {
  EXPECT_EQ(ResourcePath(kSecrets, "db", "x"), "/api/v1/namespaces/db/secrets/x");
  EXPECT_EQ(ResourcePath(kPartitionPolicies, "", ""), "/apis/pgpart.io/v1alpha1/partitionpolicies");
  EXPECT_EQ(ResourcePath(kPartitionPolicies, "db", "p", "status"),
            "/apis/pgpart.io/v1alpha1/namespaces/db/partitionpolicies/p/status");
}

}  // namespace
}  // namespace pgpart::k8s
