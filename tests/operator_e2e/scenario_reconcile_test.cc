// The operator scenarios every API server must pass, run against both FakeApiServer (the TEST
// DOUBLE; operator_e2e_test) and the real kube-apiserver with the operator under its
// ServiceAccount and the shipped RBAC (operator_real_test): create with status, events and
// metrics; DryRun; suspend; delete never drops; the database down; Secrets changed or missing;
// two policies on one table; SIGTERM in the middle of an apply. Each asserts on the real database
// and on what the operator wrote back to the API server.

#include <signal.h>

#include <cstdio>
#include <thread>

#include "../common/test_env.h"
#include "operator_fixture.h"

namespace pgpart::operator_e2e {
namespace {

using std::chrono::seconds;

TEST_P(OperatorScenario, CreatesPartitionsAndReportsStatusEventsAndMetrics) {
  CreateTimeTable("readings");
  PutSecret("db", DatabaseDsn());
  // A policy in another namespace: `--namespace apps` must leave it alone.
  CreateTimeTable("intruder");
  PutSecret("db", DatabaseDsn(), "dsn", "other");
  PutPolicy("intruder", MonthlySpec("intruder"), "other");

  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);

  const json created = PutPolicy("readings", MonthlySpec("readings", 3));
  const json p =
      WaitPolicy("readings", Converged, seconds(15), "converged (Ready=True Reconciled)");
  ASSERT_TRUE(Converged(p));

  // The database: exactly the current month and the 3 after it.
  EXPECT_EQ(Partitions("readings"), ExpectedMonthly("readings", 3));

  // Status.
  const json& status = p["status"];
  EXPECT_EQ(status.value("observedGeneration", 0), 1) << Dump(status);
  const auto ready = Condition(p, "Ready");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->value("observedGeneration", 0), 1) << Dump(*ready);
  EXPECT_FALSE(ready->value("lastTransitionTime", "").empty()) << Dump(*ready);
  EXPECT_TRUE(HasCondition(p, "Stalled", "False")) << Dump(status);
  EXPECT_TRUE(HasCondition(p, "Reconciling", "False")) << Dump(status);
  ASSERT_TRUE(status.contains("partitions") && status["partitions"].is_array()) << Dump(status);
  ASSERT_EQ(status["partitions"].size(), 1u) << Dump(status);
  const json& part = status["partitions"][0];
  EXPECT_EQ(part.value("table", ""), "public.readings") << Dump(part);
  EXPECT_EQ(part.value("count", -1), 4) << Dump(part);
  EXPECT_FALSE(part.value("oldest", "").empty()) << Dump(part);
  EXPECT_FALSE(part.value("newest", "").empty()) << Dump(part);
  EXPECT_FALSE(part.value("coveredUntil", "").empty()) << Dump(part);
  EXPECT_EQ(part.value("defaultRows", 0), 0) << Dump(part);
  EXPECT_EQ(status.value("coveredUntil", ""), part.value("coveredUntil", "?")) << Dump(status);
  const json last_applied = status.value("lastApplied", json::object());
  EXPECT_EQ(last_applied.value("steps", -1), 4) << Dump(status);
  EXPECT_FALSE(last_applied.value("hash", "").empty()) << Dump(status);
  EXPECT_FALSE(last_applied.value("time", "").empty()) << Dump(status);
  // Its wording is free ("4 created", "4 to create, ..."); it must count the 4 creates.
  const std::string applied_summary = last_applied.value("summary", "");
  EXPECT_TRUE(applied_summary.find('4') != std::string::npos &&
              applied_summary.find("creat") != std::string::npos)
      << Dump(status);

  // Events: partitions created, about this object (uid), Normal.
  std::vector<json> events;
  EXPECT_TRUE(Eventually(
      [&] { return !(events = EventsFor("readings", "PartitionCreated")).empty(); }, seconds(5)))
      << "no PartitionCreated event; events in " << kNamespace << ":\n"
      << json(Events()).dump(2);
  std::string notes;
  for (const json& e : events) {
    EXPECT_EQ(e.value("type", ""), "Normal") << Dump(e);
    EXPECT_EQ(e["regarding"].value("uid", ""), created["metadata"].value("uid", "?")) << Dump(e);
    EXPECT_EQ(e["regarding"].value("kind", ""), "PartitionPolicy") << Dump(e);
    notes += e.value("note", "") + "\n";
  }
  EXPECT_NE(notes.find(ExpectedMonthly("readings", 0)[0]), std::string::npos)
      << "no PartitionCreated event names the current month's partition:\n"
      << notes;

  // Metrics.
  std::string metrics;
  const std::map<std::string, std::string> policy = {{"policy", "apps/readings"}};
  EXPECT_TRUE(Eventually(
      [&] {
        metrics = op.Metrics();
        return Sample(metrics, "pgpart_partitions", {{"policy", "apps/readings"}}).has_value();
      },
      seconds(5)))
      << metrics;
  EXPECT_GE(Sample(metrics, "pgpart_reconcile_total",
                   {{"policy", "apps/readings"}, {"result", "success"}})
                .value_or(0),
            1)
      << metrics;
  EXPECT_EQ(Sample(metrics, "pgpart_steps_applied_total",
                   {{"policy", "apps/readings"}, {"action", "create"}})
                .value_or(0),
            4)
      << metrics;
  EXPECT_EQ(Sample(metrics, "pgpart_partitions",
                   {{"policy", "apps/readings"}, {"table", "public.readings"}})
                .value_or(-1),
            4)
      << metrics;
  EXPECT_GE(Sample(metrics, "pgpart_reconcile_duration_seconds_count", policy).value_or(0), 1)
      << metrics;
  EXPECT_TRUE(Sample(metrics, "pgpart_reconcile_duration_seconds_bucket",
                     {{"policy", "apps/readings"}, {"le", "+Inf"}})
                  .has_value())
      << metrics;
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(Sample(metrics, "pgpart_last_success_timestamp_seconds", policy).value_or(0), now, 60)
      << metrics;
  // Without --leader-elect the single operator acts as the leader (the obvious reading).
  EXPECT_EQ(Sample(metrics, "pgpart_operator_leader").value_or(-1), 1) << metrics;
  // promtool accepts the exposition without a single lint remark.
  test_env::WriteFile(dir_ + "/metrics.prom", metrics);
  const std::string lint = RunShell("promtool check metrics < '" + dir_ + "/metrics.prom' 2>&1");
  EXPECT_EQ(lint, "") << metrics;

  // Request counts: only the double keeps them (the real server's are measured by
  // bench/operator.sh --real-server from its audit log).
  if (k8s::testing::FakeApiServer* api = api_double()) {
    // Issue 14 item 5: each status write goes with the resourceVersion the previous one returned,
    // so none is refused (409) and followed by a GET of the object to resend it.
    EXPECT_EQ(api->CountRequests("GET", "/namespaces/apps/partitionpolicies/readings"), 0)
        << "a status write was refused as stale and retried";

    // Idle and converged: no hot loop of status writes (its own status patches must not requeue).
    const auto all_requests = [&] {
      int n = 0;
      for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
        n += api->CountRequests(method, "/");
      }
      return n;
    };
    const int patches_before = api->CountRequests("PATCH", "/partitionpolicies/readings/status");
    const int requests_before = all_requests();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // an observation window
    const int patches_idle =
        api->CountRequests("PATCH", "/partitionpolicies/readings/status") - patches_before;
    const int requests_idle = all_requests() - requests_before;
    EXPECT_LE(patches_idle, 1) << "status patched " << patches_idle << " times in 1.5 s while idle";
    // Watches are long-lived; an idle operator (no leader election) has next to nothing to ask.
    EXPECT_LE(requests_idle, 4) << requests_idle << " API requests in 1.5 s while idle";
  }
  EXPECT_EQ(PartitionCount("readings"), 4);

  // The other namespace was never touched.
  EXPECT_EQ(PartitionCount("intruder"), 0);
  EXPECT_FALSE(Policy("intruder", "other").contains("status")) << Dump(Policy("intruder", "other"));

  ExpectNoPassword("status", Policy("readings").dump());
  ExpectNoPassword("events", json(Events()).dump());
  ExpectNoPassword("metrics", metrics);
  ExpectNoPassword("log", op.Log());
}

TEST_P(OperatorScenario, DryRunPlansWithoutChangingThenApplyCreates) {
  CreateTimeTable("orders");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);

  json spec = MonthlySpec("orders", 3);
  spec["mode"] = "DryRun";
  PutPolicy("orders", spec);
  json p = WaitPolicy(
      "orders",
      [](const json& o) { return Observed(o) && HasCondition(o, "Ready", "True", "DryRun"); },
      seconds(15), "Ready=True reason DryRun");
  const json plan = p.value("status", json::object()).value("plan", json::object());
  EXPECT_EQ(plan.value("pending", -1), 4) << Dump(p["status"]);
  EXPECT_NE(plan.value("summary", "").find("4 to create"), std::string::npos) << Dump(plan);
  EXPECT_FALSE(plan.value("hash", "").empty()) << Dump(plan);
  EXPECT_EQ(PartitionCount("orders"), 0) << "DryRun changed the database";
  EXPECT_TRUE(EventsFor("orders", "PartitionCreated").empty());

  EditSpec("orders", [](json& s) { s["mode"] = "Apply"; });
  p = WaitPolicy("orders", Converged, seconds(15), "converged after switching to Apply");
  EXPECT_EQ(Partitions("orders"), ExpectedMonthly("orders", 3));
  // The plan shown in status is the current one: nothing pending any more.
  const json after = p.value("status", json::object()).value("plan", json::object());
  EXPECT_EQ(after.value("pending", 0), 0) << Dump(p["status"]);
}

TEST_P(OperatorScenario, SuspendedPolicyLeavesTheDatabaseAlone) {
  CreateTimeTable("clicks");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  PutPolicy("clicks", MonthlySpec("clicks", 3));
  WaitPolicy("clicks", Converged, seconds(15), "converged");
  ASSERT_EQ(PartitionCount("clicks"), 4);

  const auto suspended = [](const json& o) {
    return Observed(o) && HasCondition(o, "Ready", "False", "Suspended");
  };
  EditSpec("clicks", [](json& s) { s["suspend"] = true; });
  WaitPolicy("clicks", suspended, seconds(10), "Ready=False reason Suspended");
  // An edit while suspended is observed but not applied.
  EditSpec("clicks", [](json& s) { s["premake"] = 6; });
  WaitPolicy("clicks", suspended, seconds(10), "suspended at the new generation");
  EXPECT_FALSE(Eventually([&] { return PartitionCount("clicks") != 4; }, seconds(2),
                          std::chrono::milliseconds(100)))
      << "a suspended policy changed the database: " << PartitionCount("clicks") << " partitions";

  EditSpec("clicks", [](json& s) { s["suspend"] = false; });
  WaitPolicy("clicks", Converged, seconds(10), "converged after resuming");
  EXPECT_EQ(Partitions("clicks"), ExpectedMonthly("clicks", 6));
}

TEST_P(OperatorScenario, DeletingThePolicyNeverDropsOrDetaches) {
  CreateTimeTable("payments");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  // With retention, so that the operator has drop powers it must not use on delete.
  json spec = MonthlySpec("payments", 3);
  spec["retention"] = {{"keep", "12 months"}, {"action", "drop"}};
  PutPolicy("payments", spec);
  WaitPolicy("payments", Converged, seconds(15), "converged");
  const std::vector<std::string> before = Partitions("payments");
  ASSERT_FALSE(before.empty());

  const std::map<std::string, std::string> series = {{"policy", "apps/payments"}};
  std::string metrics;
  ASSERT_TRUE(Eventually(
      [&] { return Sample(metrics = op.Metrics(), "pgpart_partitions", series).has_value(); },
      seconds(5)))
      << metrics;
  DeletePolicy("payments");
  // The operator has processed the delete when the policy's gauges disappear (stale per-policy
  // gauges for a deleted policy would be wrong in Prometheus anyway).
  EXPECT_TRUE(Eventually(
      [&] { return !Sample(metrics = op.Metrics(), "pgpart_partitions", series).has_value(); },
      seconds(5)))
      << "the deleted policy's pgpart_partitions gauge stays:\n"
      << metrics;
  // And a little longer, in case a delete-triggered reconcile is still queued.
  EXPECT_FALSE(Eventually([&] { return Partitions("payments") != before; }, seconds(1),
                          std::chrono::milliseconds(100)));
  EXPECT_EQ(Partitions("payments"), before);
  EXPECT_EQ(HistoryRows("action IN ('drop', 'detach', 'finalize_detach', 'archive')"), 0);
  EXPECT_TRUE(op.Running());
  EXPECT_TRUE(Policy("payments").is_null())
      << "the operator recreated the deleted policy";
}

TEST_P(OperatorScenario, DatabaseDownStallsThenRecoversWithinSeconds) {
  CreateTimeTable("sensor");
  // The Secret points at a forwarder port nobody listens on yet: the database is "down".
  const int port = FreePortOutsideEphemeralRange();
  ASSERT_NE(port, 0);
  PutSecret("db", DatabaseDsn(port));
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);

  PutPolicy("sensor", MonthlySpec("sensor", 3));
  const json down = WaitPolicy(
      "sensor", [](const json& o) { return StalledWith(o, "DatabaseUnavailable"); }, seconds(15),
      "Stalled=True reason DatabaseUnavailable");
  EXPECT_TRUE(HasCondition(down, "Ready", "False")) << Dump(down["status"]);
  EXPECT_EQ(down.dump().find(kPassword), std::string::npos) << "status leaks the password";
  std::vector<json> warnings;
  EXPECT_TRUE(Eventually(
      [&] {
        warnings.clear();
        for (const json& e : Events()) {
          if (e["regarding"].value("name", "") == "sensor" && e.value("type", "") == "Warning") {
            warnings.push_back(e);
          }
        }
        return !warnings.empty();
      },
      seconds(5)))
      << "no Warning event while the database is down";
  EXPECT_EQ(json(warnings).dump().find(kPassword), std::string::npos) << "events leak the password";

  // Up: the backoff (1 s doubling, capped) brings it back within seconds, no spec change needed.
  TcpForwarder forwarder(port, SandboxPort());
  ASSERT_TRUE(forwarder.Start());
  const auto up_at = Clock::now();
  const json up = WaitPolicy("sensor", Converged, seconds(15), "converged once the database is up");
  std::printf("[ db down ] recovered %.2f s after the database came up\n", SecondsSince(up_at));
  EXPECT_TRUE(HasCondition(up, "Stalled", "False")) << Dump(up["status"]);
  EXPECT_EQ(Partitions("sensor"), ExpectedMonthly("sensor", 3));
  EXPECT_GT(forwarder.connections(), 0);

  // Down again while running (open connections cut), and an edit arrives.
  forwarder.Stop();
  EditSpec("sensor", [](json& s) { s["premake"] = 5; });
  WaitPolicy(
      "sensor", [](const json& o) { return StalledWith(o, "DatabaseUnavailable"); }, seconds(15),
      "Stalled again at the new generation");
  EXPECT_EQ(PartitionCount("sensor"), 4);
  ASSERT_TRUE(forwarder.Start());
  const auto again_at = Clock::now();
  WaitPolicy("sensor", Converged, seconds(15), "converged after the second outage");
  std::printf("[ db down ] recovered %.2f s after the second outage ended\n",
              SecondsSince(again_at));
  EXPECT_EQ(Partitions("sensor"), ExpectedMonthly("sensor", 5));
  EXPECT_EQ(op.Log().find(kPassword), std::string::npos) << "the log leaks the password";
}

TEST_P(OperatorScenario, SecretChangesTakeEffectOnTheNextReconcile) {
  CreateTimeTable("moved");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  PutPolicy("moved", MonthlySpec("moved", 3));
  WaitPolicy("moved", Converged, seconds(15), "converged");

  // The Secret now names a port nobody listens on: the next reconcile must use it (no cached
  // DSN or connection from the old Secret).
  const int nowhere = FreePortOutsideEphemeralRange();
  PutSecret("db", DatabaseDsn(nowhere));
  EditSpec("moved", [](json& s) { s["premake"] = 4; });
  WaitPolicy(
      "moved", [](const json& o) { return StalledWith(o, "DatabaseUnavailable"); }, seconds(10),
      "Stalled on the new, unreachable DSN");
  EXPECT_EQ(PartitionCount("moved"), 4);

  // And back: recovers without another spec change.
  PutSecret("db", DatabaseDsn());
  WaitPolicy("moved", Converged, seconds(10), "converged on the restored DSN");
  EXPECT_EQ(Partitions("moved"), ExpectedMonthly("moved", 4));
}

TEST_P(OperatorScenario, MissingSecretStallsThenRecoversWhenCreated) {
  CreateTimeTable("audit");
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);

  PutPolicy("audit", MonthlySpec("audit", 3, "late-secret"));
  const json p = WaitPolicy(
      "audit", [](const json& o) { return StalledWith(o, "SecretNotFound"); }, seconds(10),
      "Stalled=True reason SecretNotFound");
  EXPECT_TRUE(HasCondition(p, "Ready", "False")) << Dump(p["status"]);
  const auto stalled = Condition(p, "Stalled");
  EXPECT_NE(stalled.value_or(json::object()).value("message", "").find("late-secret"),
            std::string::npos)
      << "the message should name the Secret: " << Dump(p["status"]);

  const auto created_at = Clock::now();
  PutSecret("late-secret", DatabaseDsn());
  WaitPolicy("audit", Converged, seconds(10), "converged once the Secret exists");
  std::printf("[ secret ] recovered %.2f s after the Secret was created\n",
              SecondsSince(created_at));
  EXPECT_EQ(Partitions("audit"), ExpectedMonthly("audit", 3));
}

// Two PartitionPolicies naming one table in one database would each plan alone and undo each
// other's work (one premakes what the other's retention drops). `pgpart plan` refuses such a set of
// files; the operator keeps the table with the policy that came first and refuses the later one
// whole (Stalled, TableClaimed) until the conflict is gone, then applies it without an edit.
TEST_P(OperatorScenario, TwoPoliciesOnOneTableTheLaterIsRefusedUntilTheFirstGoes) {
  CreateTimeTable("visits");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  PutPolicy("visits-first", MonthlySpec("visits", 2));
  WaitPolicy("visits-first", Converged, seconds(15), "converged");
  ASSERT_EQ(Partitions("visits"), ExpectedMonthly("visits", 2));

  // The API server stamps creation in whole seconds (the double stamps one instant for all, and
  // the key decides: "visits-first" < "visits-second").
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  json second = MonthlySpec("visits", 5);
  second["retention"] = {{"keep", "12 months"}, {"action", "drop"}};
  PutPolicy("visits-second", second);
  const json p = WaitPolicy(
      "visits-second", [](const json& o) { return StalledWith(o, "TableClaimed"); }, seconds(10),
      "Stalled=True reason TableClaimed");
  EXPECT_TRUE(HasCondition(p, "Ready", "False")) << Dump(p["status"]);
  const std::string message =
      Condition(p, "Stalled").value_or(json::object()).value("message", "");
  EXPECT_NE(message.find("public.visits"), std::string::npos) << message;
  EXPECT_NE(message.find(std::string(kNamespace) + "/visits-first"), std::string::npos)
      << message;
  EXPECT_FALSE(Eventually([&] { return Partitions("visits") != ExpectedMonthly("visits", 2); },
                          seconds(2), std::chrono::milliseconds(100)))
      << "the later policy changed the table: " << Partitions("visits").size() << " partitions";
  EXPECT_EQ(HistoryRows("action IN ('drop', 'detach', 'archive')"), 0);
  EXPECT_TRUE(Converged(Policy("visits-first"))) << Dump(Policy("visits-first")["status"]);

  // The first one goes: the later one is looked at again at once, not at the next resync.
  DeletePolicy("visits-first");
  WaitPolicy("visits-second", Converged, seconds(10), "converged once the first is gone");
  EXPECT_EQ(Partitions("visits"), ExpectedMonthly("visits", 5));
}

TEST_P(OperatorScenario, SigtermMidApplyFinishesTheStepExitsZeroAndTheNextRunContinues) {
  CreateTimeTable("bulk");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& first = StartOperator({}, "first");
  ASSERT_FALSE(HasFailure());
  WaitReadyz(first);
  // 601 daily partitions: seconds of work, so the SIGTERM lands mid-plan.
  constexpr int kTotal = 601;
  json spec = MonthlySpec("bulk", kTotal - 1);
  spec["interval"] = "1 day";
  PutPolicy("bulk", spec);
  ASSERT_TRUE(Eventually([&] { return PartitionCount("bulk") > 0; }, seconds(10),
                         std::chrono::milliseconds(5)));
  // Work in progress shows as Reconciling=True (kstatus), at the generation being worked on.
  const json busy = Policy("bulk");
  EXPECT_TRUE(Observed(busy) && HasCondition(busy, "Reconciling", "True"))
      << "mid-apply status:\n"
      << busy.value("status", json()).dump(2);
  first.Signal(SIGTERM);
  const auto term_at = Clock::now();
  const std::optional<int> code = first.WaitExit(std::chrono::milliseconds(5'000));
  ASSERT_TRUE(code.has_value()) << "still running 5 s after SIGTERM (it should stop after the "
                                   "step in progress, not finish the plan)";
  EXPECT_EQ(*code, 0);
  const int at_exit = PartitionCount("bulk");
  std::printf("[ sigterm ] exited %.2f s after SIGTERM with %d of %d partitions made\n",
              SecondsSince(term_at), at_exit, kTotal);
  EXPECT_LT(at_exit, kTotal) << "the whole plan ran after SIGTERM";
  // No half-done step: every bulk_* table the operator made is attached.
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                   "c.relnamespace WHERE n.nspname = 'public' AND c.relname LIKE 'bulk\\_%' "
                   "AND c.relkind IN ('r', 'p') AND NOT c.relispartition"),
            "0");

  OperatorProcess& second = StartOperator({}, "second");
  ASSERT_FALSE(HasFailure());
  WaitPolicy("bulk", Converged, seconds(30), "converged by the next operator");
  EXPECT_EQ(PartitionCount("bulk"), kTotal);
  EXPECT_TRUE(second.Running());
}

}  // namespace
}  // namespace pgpart::operator_e2e
