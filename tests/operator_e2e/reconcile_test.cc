// `pgpart operator` reconciling PartitionPolicies served by FakeApiServer, the Kubernetes
// API-server TEST DOUBLE, into the sandbox PostgreSQL: create, DryRun, suspend, delete, invalid
// specs, plan errors, blocked and held steps. Each test asserts on the real database and on the
// status/events the operator wrote back to the double.

#include <signal.h>

#include <cstdio>

#include "../common/test_env.h"
#include "operator_fixture.h"

namespace pgpart::operator_e2e {
namespace {

using std::chrono::seconds;

std::string Dump(const json& j) { return j.is_null() ? "null" : j.dump(2); }

// Nothing the operator writes may carry the DSN's password.
void ExpectNoPassword(const std::string& where, const std::string& text) {
  EXPECT_EQ(text.find(kPassword), std::string::npos) << where << " leaks the password:\n" << text;
}

TEST_F(OperatorAgainstApiDouble, CreatesPartitionsAndReportsStatusEventsAndMetrics) {
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

  // Issue 14 item 5: each status write goes with the resourceVersion the previous one returned,
  // so none is refused (409) and followed by a GET of the object to resend it.
  EXPECT_EQ(api_.CountRequests("GET", "/namespaces/apps/partitionpolicies/readings"), 0)
      << "a status write was refused as stale and retried";

  // Idle and converged: no hot loop of status writes (its own status patches must not requeue).
  const auto all_requests = [&] {
    int n = 0;
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      n += api_.CountRequests(method, "/");
    }
    return n;
  };
  const int patches_before = api_.CountRequests("PATCH", "/partitionpolicies/readings/status");
  const int requests_before = all_requests();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // an observation window
  const int patches_idle =
      api_.CountRequests("PATCH", "/partitionpolicies/readings/status") - patches_before;
  const int requests_idle = all_requests() - requests_before;
  EXPECT_LE(patches_idle, 1) << "status patched " << patches_idle << " times in 1.5 s while idle";
  // Watches are long-lived; an idle operator (no leader election) has next to nothing to ask.
  EXPECT_LE(requests_idle, 4) << requests_idle << " API requests in 1.5 s while idle";
  EXPECT_EQ(PartitionCount("readings"), 4);

  // The other namespace was never touched.
  EXPECT_EQ(PartitionCount("intruder"), 0);
  EXPECT_FALSE(Policy("intruder", "other").contains("status")) << Dump(Policy("intruder", "other"));

  ExpectNoPassword("status", Policy("readings").dump());
  ExpectNoPassword("events", json(Events()).dump());
  ExpectNoPassword("metrics", metrics);
  ExpectNoPassword("log", op.Log());
}

TEST_F(OperatorAgainstApiDouble, SeveralTablesReportEachAndTheEarliestCoverage) {
  CreateTimeTable("eu_orders");
  CreateTimeTable("us_orders");
  // us_orders already reaches 7 months ahead, without gaps; eu_orders gets what premake makes.
  for (const std::string& name : ExpectedMonthly("us_orders", 6)) {
    const std::string month = name.substr(name.size() - 8);  // yYYYYmMM
    const std::string from = month.substr(1, 4) + "-" + month.substr(6, 2) + "-01 00:00Z";
    Exec("CREATE TABLE public." + name + " PARTITION OF public.us_orders FOR VALUES FROM ('" +
         from + "') TO (timestamptz '" + from + "' + interval '1 month')");
  }
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  json spec = MonthlySpec("eu_orders", 3);
  spec["tables"] = {"public.eu_orders", "public.us_orders"};
  PutPolicy("orders", spec);
  const json p = WaitPolicy("orders", Converged, seconds(15), "converged");
  EXPECT_EQ(Partitions("eu_orders"), ExpectedMonthly("eu_orders", 3));
  const json parts = p["status"].value("partitions", json::array());
  ASSERT_EQ(parts.size(), 2u) << Dump(p["status"]);
  std::map<std::string, json> by_table;
  for (const json& t : parts) by_table[t.value("table", "")] = t;
  ASSERT_EQ(by_table.count("public.eu_orders") + by_table.count("public.us_orders"), 2u)
      << Dump(parts);
  EXPECT_EQ(by_table["public.eu_orders"].value("count", -1), 4);
  EXPECT_EQ(by_table["public.us_orders"].value("count", -1), 7);
  const std::string eu = by_table["public.eu_orders"].value("coveredUntil", "");
  EXPECT_LT(eu, by_table["public.us_orders"].value("coveredUntil", "")) << Dump(parts);
  EXPECT_EQ(p["status"].value("coveredUntil", ""), eu) << "the earliest of the tables";
}

TEST_F(OperatorAgainstApiDouble, DryRunPlansWithoutChangingThenApplyCreates) {
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

TEST_F(OperatorAgainstApiDouble, SuspendedPolicyLeavesTheDatabaseAlone) {
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

TEST_F(OperatorAgainstApiDouble, DeletingThePolicyNeverDropsOrDetaches) {
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
  api_.Remove(k8s::kPartitionPolicies, kNamespace, "payments");
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
  EXPECT_FALSE(api_.Object(k8s::kPartitionPolicies, kNamespace, "payments").has_value())
      << "the operator recreated the deleted policy";
}

TEST_F(OperatorAgainstApiDouble, InvalidSpecStallsWithTheLoadersMessageThenRecovers) {
  CreateTimeTable("metrics_raw");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);

  json spec = MonthlySpec("metrics_raw", 3);
  spec["timeZone"] = "Mars/Base";
  PutPolicy("bad-zone", spec);
  const json p = WaitPolicy(
      "bad-zone", [](const json& o) { return Observed(o) && HasCondition(o, "Stalled", "True"); },
      seconds(10), "Stalled=True");
  const auto stalled = Condition(p, "Stalled");
  ASSERT_TRUE(stalled.has_value());
  EXPECT_EQ(stalled->value("reason", ""), "InvalidSpec") << Dump(*stalled);
  EXPECT_NE(stalled->value("message", "").find("spec.timeZone"), std::string::npos)
      << "the message should name the YAML path: " << Dump(*stalled);
  EXPECT_NE(stalled->value("message", "").find("Mars/Base"), std::string::npos) << Dump(*stalled);
  EXPECT_TRUE(HasCondition(p, "Ready", "False")) << Dump(p["status"]);
  EXPECT_EQ(PartitionCount("metrics_raw"), 0);
  bool warned = false;
  EXPECT_TRUE(Eventually(
      [&] {
        for (const json& e : Events()) {
          if (e["regarding"].value("name", "") == "bad-zone" && e.value("type", "") == "Warning") {
            warned = true;
          }
        }
        return warned;
      },
      seconds(5)))
      << "no Warning event for the invalid spec:\n"
      << json(Events()).dump(2);

  // Fixing the spec recovers.
  EditSpec("bad-zone", [](json& s) { s["timeZone"] = "UTC"; });
  const json fixed = WaitPolicy("bad-zone", Converged, seconds(10), "converged after the fix");
  EXPECT_TRUE(HasCondition(fixed, "Stalled", "False")) << Dump(fixed["status"]);
  EXPECT_EQ(PartitionCount("metrics_raw"), 4);
  ExpectNoPassword("status", fixed.dump());
}

TEST_F(OperatorAgainstApiDouble, MissingTableIsAPlanErrorRetriedWithBackoffAndDeduplicatedEvents) {
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);

  PutPolicy("later", MonthlySpec("later_table", 3));
  const auto put_at = Clock::now();
  const json p = WaitPolicy(
      "later",
      [](const json& o) { return Observed(o) && HasCondition(o, "Stalled", "True", "PlanError"); },
      seconds(10), "Stalled=True reason PlanError");
  EXPECT_TRUE(HasCondition(p, "Ready", "False")) << Dump(p["status"]);
  ExpectNoPassword("status", p.dump());

  // Retried with exponential backoff (1 s, 2 s, ...): three failed rounds take seconds, not
  // milliseconds (no hot loop), and the identical Warning is sent once (de-duplicated).
  const std::map<std::string, std::string> errors = {{"policy", "apps/later"}, {"result", "error"}};
  std::string metrics;
  const bool retried = Eventually(
      [&] {
        return Sample(metrics = op.Metrics(), "pgpart_reconcile_total", errors).value_or(0) >= 3;
      },
      seconds(10), std::chrono::milliseconds(50));
  const double three_rounds = SecondsSince(put_at);
  std::printf("[ plan error ] 3 failed reconciles after %.2f s\n", three_rounds);
  EXPECT_TRUE(retried) << "fewer than 3 error reconciles in 10 s:\n" << metrics;
  if (retried) {
    EXPECT_GE(three_rounds, 1.5) << "retries too fast for a 1 s doubling backoff";
  }
  int warnings = 0;
  for (const json& e : Events()) {
    if (e["regarding"].value("name", "") == "later" && e.value("type", "") == "Warning") ++warnings;
  }
  EXPECT_EQ(warnings, 1) << "the same failure should produce one Warning:\n"
                         << json(Events()).dump(2);

  // The table appears: the next backoff round converges without any spec change.
  const auto created_at = Clock::now();
  CreateTimeTable("later_table");
  WaitPolicy("later", Converged, seconds(10), "converged once the table exists");
  std::printf("[ plan error ] recovered %.2f s after the table was created\n",
              SecondsSince(created_at));
  EXPECT_EQ(PartitionCount("later_table"), 4);
}

TEST_F(OperatorAgainstApiDouble, BlockedAndHeldStepsAreReported) {
  CreateTimeTable("ledger");
  Exec(
      "CREATE TABLE public.ledger_y2024m01 PARTITION OF public.ledger "
      "FOR VALUES FROM ('2024-01-01 00:00Z') TO ('2024-02-01 00:00Z');"
      "CREATE TABLE public.ledger_y2024m02 PARTITION OF public.ledger "
      "FOR VALUES FROM ('2024-02-01 00:00Z') TO ('2024-03-01 00:00Z')");
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);

  json spec = MonthlySpec("ledger", 1);
  spec["retention"] = {{"keep", "12 months"}, {"action", "drop"}};
  spec["holds"] = json::array({{{"partition", "ledger_y2024m01"}, {"reason", "legal hold LH-7"}}});
  spec["backupGate"] = {{"kind", "sql"}, {"query", "select false"}};
  PutPolicy("ledger", spec);
  const json p = WaitPolicy(
      "ledger",
      [](const json& o) { return Observed(o) && HasCondition(o, "Ready", "False", "Blocked"); },
      seconds(15), "Ready=False reason Blocked");
  const json status = p.value("status", json::object());
  const json blocked = status.value("blocked", json::array());
  ASSERT_EQ(blocked.size(), 1u) << Dump(status);
  EXPECT_NE(blocked[0].value("partition", "").find("ledger_y2024m02"), std::string::npos)
      << Dump(blocked);
  EXPECT_EQ(blocked[0].value("action", ""), "drop") << Dump(blocked);
  EXPECT_FALSE(blocked[0].value("reason", "").empty()) << Dump(blocked);
  const json held = status.value("held", json::array());
  ASSERT_EQ(held.size(), 1u) << Dump(status);
  EXPECT_NE(held[0].value("partition", "").find("ledger_y2024m01"), std::string::npos)
      << Dump(held);
  EXPECT_EQ(held[0].value("reason", ""), "legal hold LH-7") << Dump(held);

  // Nothing gated or held was dropped; the creates did happen.
  const std::vector<std::string> parts = Partitions("ledger");
  EXPECT_NE(std::find(parts.begin(), parts.end(), "ledger_y2024m01"), parts.end());
  EXPECT_NE(std::find(parts.begin(), parts.end(), "ledger_y2024m02"), parts.end());
  const std::string current = ExpectedMonthly("ledger", 0)[0];
  EXPECT_NE(std::find(parts.begin(), parts.end(), current), parts.end()) << current;
  EXPECT_EQ(HistoryRows("action = 'drop' AND outcome = 'applied'"), 0);

  // The gate opens: the drop runs and the status forgets it was blocked (merge patch must
  // replace the list, not keep the stale entry).
  EditSpec("ledger", [](json& s) { s["backupGate"]["query"] = "select true"; });
  const json open = WaitPolicy("ledger", Converged, seconds(15), "converged once the gate passes");
  EXPECT_EQ(open["status"].value("blocked", json::array()).size(), 0u) << Dump(open["status"]);
  EXPECT_EQ(open["status"].value("held", json::array()).size(), 1u) << Dump(open["status"]);
  EXPECT_EQ(Scalar("SELECT to_regclass('public.ledger_y2024m02') IS NULL"), "t");
  EXPECT_EQ(Scalar("SELECT to_regclass('public.ledger_y2024m01') IS NULL"), "f") << "held";
}

TEST_F(OperatorAgainstApiDouble, RetentionDropsAndDetachesAreAppliedAndReported) {
  for (const std::string table : {"old_drop", "old_detach"}) {
    CreateTimeTable(table);
    Exec("CREATE TABLE public." + table + "_y2024m01 PARTITION OF public." + table +
         " FOR VALUES FROM ('2024-01-01 00:00Z') TO ('2024-02-01 00:00Z');"
         "CREATE TABLE public." +
         table + "_y2024m02 PARTITION OF public." + table +
         " FOR VALUES FROM ('2024-02-01 00:00Z') TO ('2024-03-01 00:00Z')");
  }
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);

  json drop = MonthlySpec("old_drop", 1);
  drop["retention"] = {{"keep", "12 months"}, {"action", "drop"}};
  json detach = MonthlySpec("old_detach", 1);
  detach["retention"] = {{"keep", "12 months"}, {"action", "detach"}};
  PutPolicy("old-drop", drop);
  PutPolicy("old-detach", detach);
  WaitPolicy("old-drop", Converged, seconds(15), "converged");
  WaitPolicy("old-detach", Converged, seconds(15), "converged");

  // Dropped: gone. Detached: no longer a partition, still a table (data kept).
  for (const std::string month : {"y2024m01", "y2024m02"}) {
    EXPECT_EQ(Scalar("SELECT to_regclass('public.old_drop_" + month + "') IS NULL"), "t") << month;
    EXPECT_EQ(Scalar("SELECT relispartition FROM pg_class WHERE oid = "
                     "to_regclass('public.old_detach_" +
                     month + "')"),
              "f")
        << month << " should exist, detached";
  }
  const auto parts = Partitions("old_drop");
  EXPECT_EQ(
      std::count_if(parts.begin(), parts.end(),
                    [](const std::string& p) { return p.find("y2024") != std::string::npos; }),
      0);

  std::vector<json> dropped, detached;
  EXPECT_TRUE(Eventually(
      [&] {
        dropped = EventsFor("old-drop", "PartitionDropped");
        detached = EventsFor("old-detach", "PartitionDetached");
        return !dropped.empty() && !detached.empty();
      },
      seconds(5)))
      << "expected PartitionDropped and PartitionDetached events:\n"
      << json(Events()).dump(2);

  std::string metrics;
  EXPECT_TRUE(Eventually(
      [&] {
        metrics = op.Metrics();
        return Sample(metrics, "pgpart_steps_applied_total",
                      {{"policy", "apps/old-drop"}, {"action", "drop"}})
                       .value_or(0) == 2 &&
               Sample(metrics, "pgpart_steps_applied_total",
                      {{"policy", "apps/old-detach"}, {"action", "detach"}})
                       .value_or(0) == 2;
      },
      seconds(5)))
      << metrics;
  EXPECT_EQ(HistoryRows("action = 'drop' AND outcome = 'applied'"), 2);
}

}  // namespace
}  // namespace pgpart::operator_e2e
