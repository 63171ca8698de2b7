// `pgpart operator` when things break or change behind its back, against FakeApiServer (the
// Kubernetes API-server TEST DOUBLE) and the sandbox PostgreSQL: watch streams cut or expired
// (410), drift and time-driven work (resync, an expiring hold), a hanging database, an API server
// that rejects it at first, an edit in the middle of an apply, bad flags. The database down, the
// Secrets and SIGTERM run on the real server too (scenario_reconcile_test.cc).

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "operator_fixture.h"

namespace pgpart::operator_e2e {
namespace {

using std::chrono::seconds;

TEST_F(OperatorAgainstApiDouble, EditsAfterACutWatchAndAfter410AreStillApplied) {
  CreateTimeTable("stream");
  CreateTimeTable("stream_late");
  PutSecret("db", DatabaseDsn());
  // A long resync so that only list+watch (not a periodic resync) can explain a pickup.
  OperatorProcess& op = StartOperator({"--resync", "10m"});
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  PutPolicy("stream", MonthlySpec("stream", 3));
  WaitPolicy("stream", Converged, seconds(15), "converged");

  // The watch connection breaks; the edit lands before the operator can watch again.
  api_.DropWatches();
  EditSpec("stream", [](json& s) { s["premake"] = 5; });
  WaitPolicy("stream", Converged, seconds(10), "converged after a dropped watch");
  EXPECT_EQ(Partitions("stream"), ExpectedMonthly("stream", 5));

  // The history is compacted and the stream cut: re-watching from the old resourceVersion gets
  // 410 Expired, so the operator must list again — and see this edit.
  api_.Compact();
  api_.DropWatches();
  EditSpec("stream", [](json& s) { s["premake"] = 7; });
  WaitPolicy("stream", Converged, seconds(10), "converged after 410 Expired");
  EXPECT_EQ(Partitions("stream"), ExpectedMonthly("stream", 7));

  // Again, with a new object instead of an edit.
  api_.Compact();
  api_.DropWatches();
  PutPolicy("stream-late", MonthlySpec("stream_late", 2));
  WaitPolicy("stream-late", Converged, seconds(10), "created after 410 Expired");
  EXPECT_EQ(Partitions("stream_late"), ExpectedMonthly("stream_late", 2));

  // A delete missed while the stream is down (the DELETED event is compacted away): the relist
  // must notice the object is gone, which shows as its gauges disappearing.
  const std::map<std::string, std::string> late = {{"policy", "apps/stream-late"}};
  std::string metrics;
  ASSERT_TRUE(Eventually(
      [&] { return Sample(metrics = op.Metrics(), "pgpart_partitions", late).has_value(); },
      seconds(5)))
      << metrics;
  api_.Remove(k8s::kPartitionPolicies, kNamespace, "stream-late");
  api_.Compact();
  api_.DropWatches();
  EXPECT_TRUE(Eventually(
      [&] { return !Sample(metrics = op.Metrics(), "pgpart_partitions", late).has_value(); },
      seconds(10)))
      << "the policy deleted during the outage is still known:\n"
      << metrics;
  EXPECT_EQ(Partitions("stream_late"), ExpectedMonthly("stream_late", 2));

  EXPECT_TRUE(op.Running());
  EXPECT_EQ(HttpGet(op.health_port(), "/readyz").code, 200);
}

// Issue 14 item 2: a watch that ends at once (a proxy cutting long requests) was resumed at once:
// 1,500-1,850 watch requests in 5 s. The operator backs off like client-go instead (0.8 s doubling
// to 30 s), and still picks up the edit made meanwhile.
TEST_F(OperatorAgainstApiDouble, AWatchThatEndsAtOnceIsRetriedWithBackoffNotInALoop) {
  CreateTimeTable("spin");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator({"--resync", "10m"});
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  PutPolicy("spin", MonthlySpec("spin", 2));
  WaitPolicy("spin", Converged, seconds(15), "converged");

  api_.EndWatchesAtOnce(true);
  api_.DropWatches();
  const int watches_before = api_.CountRequests("GET", "/partitionpolicies");
  std::this_thread::sleep_for(seconds(5));
  const int requests = api_.CountRequests("GET", "/partitionpolicies") - watches_before;
  // 0.8 + 1.6 + 3.2 s of backoff: a handful of watches and lists, not hundreds.
  EXPECT_LE(requests, 12) << requests << " list/watch requests in 5 s";
  EXPECT_GE(requests, 1);
  api_.EndWatchesAtOnce(false);
  EditSpec("spin", [](json& s) { s["premake"] = 4; });
  WaitPolicy("spin", Converged, seconds(40), "converged after the watches came back");
  EXPECT_EQ(Partitions("spin"), ExpectedMonthly("spin", 4));
  EXPECT_TRUE(op.Running());
}

// Issue 14 item 1: a policy deleted and created again under the same name while the watch was
// down (generation 1 both times) was never picked up: the relist compared generations only.
TEST_F(OperatorAgainstApiDouble, APolicyRecreatedUnderItsNameWhileTheWatchWasDownIsApplied) {
  CreateTimeTable("again");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator({"--resync", "10m"});
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  PutPolicy("again", MonthlySpec("again", 2));
  WaitPolicy("again", Converged, seconds(15), "converged");
  const std::string first_uid = Policy("again")["metadata"].value("uid", "");

  api_.EndWatchesAtOnce(true);
  api_.DropWatches();
  api_.Remove(k8s::kPartitionPolicies, kNamespace, "again");
  PutPolicy("again", MonthlySpec("again", 5));
  ASSERT_NE(Policy("again")["metadata"].value("uid", ""), first_uid);
  ASSERT_EQ(Policy("again")["metadata"].value("generation", 0), 1);
  api_.Compact();  // the DELETED/ADDED events are gone: only a relist can tell
  api_.EndWatchesAtOnce(false);
  WaitPolicy("again", Converged, seconds(40), "the re-created policy converged");
  EXPECT_EQ(Partitions("again"), ExpectedMonthly("again", 5));
  EXPECT_TRUE(op.Running());
}

TEST_F(OperatorAgainstApiDouble, ResyncRepairsDriftMadeBehindItsBack) {
  CreateTimeTable("drift");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator({"--resync", "2s"});
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  PutPolicy("drift", MonthlySpec("drift", 3));
  WaitPolicy("drift", Converged, seconds(15), "converged");
  const std::vector<std::string> expected = ExpectedMonthly("drift", 3);
  ASSERT_EQ(Partitions("drift"), expected);

  // Someone drops a future partition by hand; no Kubernetes object changes. The periodic
  // resync (2 s here) must notice and recreate it.
  Exec("DROP TABLE public." + expected.back());
  const auto dropped_at = Clock::now();
  EXPECT_TRUE(Eventually([&] { return Partitions("drift") == expected; }, seconds(10),
                         std::chrono::milliseconds(50)))
      << "the dropped partition was not recreated within 10 s";
  const double repaired = SecondsSince(dropped_at);
  std::printf("[ resync ] drift repaired %.2f s after the out-of-band DROP (resync 2 s)\n",
              repaired);
  EXPECT_LE(repaired, 2.0 + 2.0) << "resync 2 s plus a margin";
}

TEST_F(OperatorAgainstApiDouble, AnExpiringHoldIsActedOnWithoutAnEditOrResync) {
  CreateTimeTable("kept");
  Exec(
      "CREATE TABLE public.kept_y2024m01 PARTITION OF public.kept "
      "FOR VALUES FROM ('2024-01-01 00:00Z') TO ('2024-02-01 00:00Z')");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator({"--resync", "10m"});
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  // Held for 3 more seconds by the database's clock (the operator plans at the database's now).
  const std::string until = Scalar(
      "SELECT to_char((now() + interval '3 seconds') AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
  json spec = MonthlySpec("kept", 1);
  spec["retention"] = {{"keep", "12 months"}, {"action", "drop"}};
  spec["holds"] = json::array(
      {{{"partition", "kept_y2024m01"}, {"reason", "audit until " + until}, {"until", until}}});
  PutPolicy("kept", spec);
  const json held = WaitPolicy("kept", Converged, seconds(15), "converged with the hold");
  ASSERT_EQ(held["status"].value("held", json::array()).size(), 1u) << Dump(held["status"]);
  ASSERT_EQ(Scalar("SELECT to_regclass('public.kept_y2024m01') IS NULL"), "f");

  // The hold expires: the timer for time-driven work (not a 10 min resync) drops it.
  const auto start = Clock::now();
  EXPECT_TRUE(Eventually(
      [&] { return Scalar("SELECT to_regclass('public.kept_y2024m01') IS NULL") == "t"; },
      seconds(10), std::chrono::milliseconds(50)))
      << "the partition whose hold expired at " << until << " is still there";
  std::printf("[ hold ] dropped %.2f s after the policy converged (hold expired ~3 s after)\n",
              SecondsSince(start));
  WaitPolicy(
      "kept",
      [](const json& o) {
        return Converged(o) && o["status"].value("held", json::array()).empty();
      },
      seconds(5), "converged without the hold");
}

TEST_F(OperatorAgainstApiDouble, AHangingDatabaseDoesNotHoldUpOtherPolicies) {
  CreateTimeTable("fast");
  // "hole" accepts connections and never answers: each attempt costs the DSN's connect_timeout
  // (3 s). Other policies must still be applied within the 1 s goal meanwhile.
  const int port = FreePortOutsideEphemeralRange();
  TcpForwarder hole(port, 0);
  ASSERT_TRUE(hole.Start());
  PutSecret("db", DatabaseDsn());
  PutSecret("hole", DatabaseDsn(port));
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  PutPolicy("slow", MonthlySpec("slow", 3, "hole"));
  PutPolicy("fast", MonthlySpec("fast", 3));
  WaitPolicy("fast", Converged, seconds(10), "converged beside a hanging database");

  std::vector<double> latencies;
  for (int premake = 4; premake <= 6; ++premake) {
    const auto put_at = Clock::now();
    EditSpec("fast", [&](json& s) { s["premake"] = premake; });
    WaitPolicy("fast", Converged, seconds(10), "converged at premake " + std::to_string(premake));
    latencies.push_back(SecondsSince(put_at));
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // spread over retry rounds
  }
  std::printf("[ hung db ] edits of another policy applied in");
  for (double s : latencies) std::printf(" %.3f s", s);
  std::printf("\n");
  EXPECT_LE(*std::max_element(latencies.begin(), latencies.end()), 1.0);
  EXPECT_EQ(Partitions("fast"), ExpectedMonthly("fast", 6));
  WaitPolicy(
      "slow", [](const json& o) { return StalledWith(o, "DatabaseUnavailable"); }, seconds(10),
      "Stalled on the hanging database");
  EXPECT_GT(hole.connections(), 0);
}

TEST_F(OperatorAgainstApiDouble, HealthyAtOnceButReadyOnlyAfterTheFirstList) {
  // The API server rejects the operator's token at first: it runs (healthz) but has not synced.
  api_.RequireToken("not-the-operators-token");
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  EXPECT_FALSE(Eventually([&] { return HttpGet(op.health_port(), "/readyz").code == 200; },
                          seconds(1), std::chrono::milliseconds(50)))
      << "/readyz is 200 before any list of PartitionPolicies succeeded";
  EXPECT_TRUE(op.Running()) << "the operator gave up on a 401";
  EXPECT_GT(api_.CountRequests("GET", "partitionpolicies"), 0);

  api_.RequireToken(kToken);
  const auto fixed_at = Clock::now();
  WaitReadyz(op, std::chrono::milliseconds(15'000));
  std::printf("[ readyz ] ready %.2f s after the API server accepted the token\n",
              SecondsSince(fixed_at));
  EXPECT_EQ(HttpGet(op.health_port(), "/healthz").code, 200);
  EXPECT_EQ(HttpGet(op.health_port(), "/nope").code, 404);
}

TEST_F(OperatorAgainstApiDouble, AnEditDuringALongApplyIsAppliedAfterIt) {
  CreateTimeTable("busy");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  json spec = MonthlySpec("busy", 400);
  spec["interval"] = "1 day";
  PutPolicy("busy", spec);
  // The edit lands while generation 1 is being applied.
  ASSERT_TRUE(Eventually([&] { return PartitionCount("busy") > 0; }, seconds(10),
                         std::chrono::milliseconds(5)));
  const json edited = EditSpec("busy", [](json& s) { s["premake"] = 420; });
  EXPECT_LT(PartitionCount("busy"), 401) << "the first apply finished before the edit";
  ASSERT_EQ(edited["metadata"].value("generation", 0), 2);
  const json p = WaitPolicy("busy", Converged, seconds(30), "converged at generation 2");
  EXPECT_EQ(p["status"].value("observedGeneration", 0), 2);
  EXPECT_EQ(PartitionCount("busy"), 421);
}

TEST_F(OperatorAgainstApiDouble, BindAddressesAndBadFlags) {
  // ":PORT" listens on every interface, so loopback reaches it; "0" turns /metrics off.
  const int port = FreePortOutsideEphemeralRange();
  OperatorProcess& all = StartOperator({"--metrics-bind", ":" + std::to_string(port)}, "all");
  ASSERT_FALSE(HasFailure());
  EXPECT_TRUE(Eventually([&] { return HttpGet(port, "/metrics").code == 200; }, seconds(5)));
  EXPECT_NE(Sample(all.Metrics(), "pgpart_operator_leader"), std::nullopt) << all.Metrics();
  OperatorProcess& off = StartOperator({"--metrics-bind", "0"}, "off");
  ASSERT_FALSE(HasFailure());
  WaitReadyz(off);
  EXPECT_EQ(off.Log().find("/metrics"), std::string::npos)
      << "--metrics-bind 0 should serve no /metrics:\n"
      << off.Log();

  // Bad input: a clear message and a non-zero exit, never a running operator.
  const auto rejects = [&](const std::vector<std::string>& args, const std::string& name,
                           const std::string& mention) {
    OperatorProcess& op = SpawnOperator(args, name);
    const std::optional<int> code = op.WaitExit(std::chrono::milliseconds(5'000));
    ASSERT_TRUE(code.has_value()) << name << " still running";
    EXPECT_NE(*code, 0) << name;
    EXPECT_NE(op.Log().find(mention), std::string::npos) << name << ":\n" << op.Log();
  };
  const std::string missing = dir_ + "/no-such-kubeconfig";
  rejects({"operator", "--kubeconfig", missing, "--health-bind", "0", "--metrics-bind", "0"},
          "missing-kubeconfig", "no-such-kubeconfig");
  rejects({"operator", "--kubeconfig", kubeconfig_, "--lease-duration", "4parsecs", "--health-bind",
           "0", "--metrics-bind", "0"},
          "bad-duration", "--lease-duration");
  rejects({"operator", "--kubeconfig", kubeconfig_, "--health-bind", "127.0.0.1:99999",
           "--metrics-bind", "0"},
          "bad-port", "--health-bind");
}

}  // namespace
}  // namespace pgpart::operator_e2e
