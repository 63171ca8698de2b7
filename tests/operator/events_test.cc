// EventRecorder against FakeApiServer, the API-server test double (tests/k8s).

#include "operator/events.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "api_server_double.h"

namespace pgpart::op {
namespace {

using namespace std::chrono_literals;
using k8s::testing::FakeApiServer;
using nlohmann::json;

class EventsTest : public ::testing::Test {
 protected:
  EventsTest() : client_(k8s::ClusterConfig{.server = server_.Url(), .token = "s3cret"}, 5) {
    server_.RequireToken("s3cret");
  }

  // A stored PartitionPolicy, so it has the uid the server gave it.
  json Policy(const std::string& name) {
    return server_.Put(k8s::kPartitionPolicies,
                       json{{"apiVersion", "pgpart.io/v1alpha1"},
                            {"kind", "PartitionPolicy"},
                            {"metadata", {{"name", name}, {"namespace", "db"}}},
                            {"spec", {{"retention", {{"keep", 3}}}}}});
  }

  int Posted() { return server_.CountRequests("POST", "/events"); }

  FakeApiServer server_;
  k8s::Client client_;
  std::vector<std::string> logs_;
};

TEST_F(EventsTest, SentEventAppearsInTheServerRegardingThePolicy) {
  const json policy = Policy("orders");
  EventRecorder recorder(client_, "pod-a");
  EXPECT_TRUE(recorder.Record(policy, "Normal", "PartitionCreated", "Create", "created p1"));
  EXPECT_EQ(Posted(), 1);

  auto events = client_.List(k8s::kEvents, "db");
  ASSERT_TRUE(events.ok()) << events.error.message;
  ASSERT_EQ(events.value->items.size(), 1u);
  const json& event = events.value->items[0];
  EXPECT_EQ(event["type"], "Normal");
  EXPECT_EQ(event["reason"], "PartitionCreated");
  EXPECT_EQ(event["action"], "Create");
  EXPECT_EQ(event["note"], "created p1");
  EXPECT_EQ(event["reportingInstance"], "pod-a");
  EXPECT_EQ(event["regarding"]["apiVersion"], "pgpart.io/v1alpha1");
  EXPECT_EQ(event["regarding"]["kind"], "PartitionPolicy");
  EXPECT_EQ(event["regarding"]["namespace"], "db");
  EXPECT_EQ(event["regarding"]["name"], "orders");
  EXPECT_EQ(event["regarding"]["uid"], policy["metadata"]["uid"]);
  const std::string name = event["metadata"]["name"];
  EXPECT_TRUE(server_.Object(k8s::kEvents, "db", name).has_value());
}

TEST_F(EventsTest, DuplicateWithinTheWindowIsSuppressed) {
  const json policy = Policy("orders");
  EventRecorder recorder(client_, "pod-a");
  EXPECT_TRUE(recorder.Record(policy, "Warning", "ApplyFailed", "Apply", "lock timeout"));
  EXPECT_FALSE(recorder.Record(policy, "Warning", "ApplyFailed", "Apply", "lock timeout"));
  EXPECT_FALSE(recorder.Record(policy, "Warning", "ApplyFailed", "Apply", "lock timeout"));
  EXPECT_EQ(recorder.Suppressed(), 2);
  EXPECT_EQ(Posted(), 1);
}

TEST_F(EventsTest, DifferentNoteReasonTypeOrObjectIsSent) {
  const json orders = Policy("orders");
  const json events = Policy("events");
  EventRecorder recorder(client_, "pod-a");
  EXPECT_TRUE(recorder.Record(orders, "Warning", "ApplyFailed", "Apply", "lock timeout"));
  EXPECT_TRUE(recorder.Record(orders, "Warning", "ApplyFailed", "Apply", "disk full"));
  EXPECT_TRUE(recorder.Record(orders, "Warning", "PlanFailed", "Apply", "disk full"));
  EXPECT_TRUE(recorder.Record(orders, "Normal", "PlanFailed", "Apply", "disk full"));
  EXPECT_TRUE(recorder.Record(events, "Normal", "PlanFailed", "Apply", "disk full"));
  EXPECT_EQ(recorder.Suppressed(), 0);
  EXPECT_EQ(Posted(), 5);
}

TEST_F(EventsTest, RecreatedPolicyWithANewUidIsNotADuplicate) {
  const json first = Policy("orders");
  server_.Remove(k8s::kPartitionPolicies, "db", "orders");
  const json second = Policy("orders");
  ASSERT_NE(first["metadata"]["uid"], second["metadata"]["uid"]);
  EventRecorder recorder(client_, "pod-a");
  EXPECT_TRUE(recorder.Record(first, "Normal", "Ready", "Reconcile", "ok"));
  EXPECT_TRUE(recorder.Record(second, "Normal", "Ready", "Reconcile", "ok"));
  EXPECT_EQ(Posted(), 2);
}

TEST_F(EventsTest, DuplicateAfterTheWindowIsSentAgain) {
  const json policy = Policy("orders");
  EventRecorder recorder(client_, "pod-a", 1s);
  EXPECT_TRUE(recorder.Record(policy, "Warning", "ApplyFailed", "Apply", "lock timeout"));
  EXPECT_FALSE(recorder.Record(policy, "Warning", "ApplyFailed", "Apply", "lock timeout"));
  std::this_thread::sleep_for(1100ms);
  EXPECT_TRUE(recorder.Record(policy, "Warning", "ApplyFailed", "Apply", "lock timeout"));
  EXPECT_EQ(Posted(), 2);
}

TEST_F(EventsTest, FailedSendIsLoggedNotThrownAndNotRemembered) {
  const json policy = Policy("orders");
  EventRecorder recorder(client_, "pod-a", 1h, [this](const std::string& m) {
    logs_.push_back(m);
  });
  server_.RequireToken("rotated");  // our token is refused: 401
  EXPECT_FALSE(recorder.Record(policy, "Warning", "ApplyFailed", "Apply", "lock timeout"));
  ASSERT_EQ(logs_.size(), 1u);
  EXPECT_NE(logs_[0].find("401"), std::string::npos) << logs_[0];
  EXPECT_EQ(logs_[0].find("s3cret"), std::string::npos);
  EXPECT_EQ(recorder.Suppressed(), 0);

  server_.RequireToken("s3cret");
  // The failed event was not remembered as sent, so the retry goes out.
  EXPECT_TRUE(recorder.Record(policy, "Warning", "ApplyFailed", "Apply", "lock timeout"));
  auto events = client_.List(k8s::kEvents, "db");
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events.value->items.size(), 1u);
}

TEST_F(EventsTest, ObjectWithoutNameIsRefusedWithoutThrowing) {
  EventRecorder recorder(client_, "pod-a", 1h, [this](const std::string& m) {
    logs_.push_back(m);
  });
  EXPECT_FALSE(recorder.Record(json("not an object"), "Normal", "Ready", "Reconcile", "ok"));
  EXPECT_FALSE(recorder.Record(json{{"metadata", {{"name", 42}}}}, "Normal", "Ready", "R", "ok"));
  EXPECT_EQ(logs_.size(), 2u);
  EXPECT_EQ(Posted(), 0);
}

TEST_F(EventsTest, ConcurrentIdenticalRecordsSendOnce) {
  const json policy = Policy("orders");
  EventRecorder recorder(client_, "pod-a");
  std::atomic<int> sent{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (recorder.Record(policy, "Warning", "ApplyFailed", "Apply", "lock timeout")) ++sent;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(sent, 1);
  EXPECT_EQ(recorder.Suppressed(), 7);
  EXPECT_EQ(Posted(), 1);
}

}  // namespace
}  // namespace pgpart::op
