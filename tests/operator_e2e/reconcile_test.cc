// `pgpart operator` reconciling PartitionPolicies served by FakeApiServer, the Kubernetes
// API-server TEST DOUBLE, into the sandbox PostgreSQL: several tables, invalid specs (which a
// real server's admission refuses before the operator sees them), plan errors, blocked and held
// steps, retention. The scenarios that also run on the real server are in
// scenario_reconcile_test.cc. Each test asserts on the real database and on the status/events
// the operator wrote back to the double.

#include <signal.h>

#include <cstdio>

#include "../common/test_env.h"
#include "operator_fixture.h"

namespace pgpart::operator_e2e {
namespace {

using std::chrono::seconds;

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
