// Issue 11 items 7 and 9: whoever may create a PartitionPolicy must not read any Secret key of the
// namespace through the operator. A databaseRef naming a key that holds no connection string, or a
// connection string that fails to connect, must leave nothing of the Secret's value in the status,
// the Events, /metrics or the operator's log. And (item 9) no name can forge a line of its log.

#include <string>
#include <vector>

#include "operator_fixture.h"

namespace pgpart::operator_e2e {
namespace {

using std::chrono::seconds;

constexpr char kNotADsn[] = "AKIA-SECRET-VALUE-1234";
// Base64 ends in '=': libpq reads it as an unknown option and quotes it.
constexpr char kBase64Key[] = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRETKEY=";
constexpr char kBadHost[] = "db-HOSTSECRET-9876.invalid";

bool Stalled(const json& p) { return HasCondition(p, "Stalled", "True"); }

TEST_F(OperatorAgainstApiDouble, NoSecretValueReachesStatusEventsMetricsOrLog) {
  CreateTimeTable("leak_a");
  CreateTimeTable("leak_b");
  CreateTimeTable("leak_c");
  CreateTimeTable("leak_d");
  PutSecret("aws", kNotADsn, "access");
  PutSecret("b64", kBase64Key, "key");
  // Connection refused on a port nobody listens on; the password must not show.
  PutSecret("refused", DatabaseDsn(FreePortOutsideEphemeralRange()));
  // A host that does not resolve: libpq quotes the host name.
  PutSecret("badhost", "host=" + std::string(kBadHost) + " password=" + kPassword +
                           " dbname=x connect_timeout=2");

  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);

  json spec = MonthlySpec("leak_a");
  spec["databaseRef"] = {{"secretName", "aws"}, {"key", "access"}};
  PutPolicy("leak-a", spec);
  spec = MonthlySpec("leak_b");
  spec["databaseRef"] = {{"secretName", "b64"}, {"key", "key"}};
  PutPolicy("leak-b", spec);
  spec = MonthlySpec("leak_c");
  spec["databaseRef"] = {{"secretName", "refused"}, {"key", "dsn"}};
  PutPolicy("leak-c", spec);
  spec = MonthlySpec("leak_d");
  spec["databaseRef"] = {{"secretName", "badhost"}, {"key", "dsn"}};
  PutPolicy("leak-d", spec);

  std::vector<json> stalled;
  for (const char* name : {"leak-a", "leak-b", "leak-c", "leak-d"}) {
    stalled.push_back(WaitPolicy(name, Stalled, seconds(20), "Stalled=True"));
    ASSERT_TRUE(Stalled(stalled.back())) << name;
  }
  // The failures are still told apart, by reason.
  EXPECT_EQ(Condition(stalled[0], "Ready")->value("reason", ""), "InvalidSecret")
      << stalled[0].dump(2);
  EXPECT_EQ(Condition(stalled[1], "Ready")->value("reason", ""), "InvalidSecret")
      << stalled[1].dump(2);
  EXPECT_EQ(Condition(stalled[2], "Ready")->value("reason", ""), "DatabaseUnavailable")
      << stalled[2].dump(2);
  EXPECT_EQ(Condition(stalled[3], "Ready")->value("reason", ""), "DatabaseUnavailable")
      << stalled[3].dump(2);
  // ... and the message names the Secret and key, so the owner knows where to look.
  EXPECT_NE(Condition(stalled[0], "Ready")->value("message", "").find("aws key access"),
            std::string::npos)
      << stalled[0].dump(2);

  std::vector<json> events;
  EXPECT_TRUE(Eventually(
      [&] {
        events = Events();
        int warnings = 0;
        for (const json& e : events) warnings += e.value("type", "") == "Warning" ? 1 : 0;
        return warnings >= 4;
      },
      seconds(5)))
      << json(events).dump(2);
  const std::string metrics = op.Metrics();
  std::string statuses;
  for (const char* name : {"leak-a", "leak-b", "leak-c", "leak-d"}) {
    statuses += Policy(name).dump() + "\n";
  }
  const std::string log = op.Log();
  const std::vector<std::pair<std::string, std::string>> outputs = {
      {"status", statuses}, {"events", json(events).dump()}, {"metrics", metrics}, {"log", log}};
  for (const auto& [where, text] : outputs) {
    for (const std::string& secret :
         {std::string("AKIA-SECRET"), std::string("SECRETKEY"), std::string(kPassword),
          std::string("HOSTSECRET")}) {
      EXPECT_EQ(text.find(secret), std::string::npos)
          << where << " leaks " << secret << ":\n"
          << text;
    }
  }
}

// Issue 11 item 9: the operator's log is text, one line per message; a table name with a newline
// and an ESC sequence (the PlanError message names the missing table) must not forge a line.
TEST_F(OperatorAgainstApiDouble, ControlCharactersInNamesDoNotForgeLogLines) {
  PutSecret("db", DatabaseDsn());
  OperatorProcess& op = StartOperator();
  ASSERT_FALSE(HasFailure());
  WaitReadyz(op);
  PutPolicy("ctl", MonthlySpec("\"ctl\nFAKE level=error\x1b[2J\"", 3));
  WaitPolicy("ctl", Stalled, seconds(10), "Stalled=True");
  std::string log;
  EXPECT_TRUE(Eventually([&] { return (log = op.Log()).find("FAKE") != std::string::npos; },
                         seconds(5)))
      << log;
  EXPECT_EQ(log.find("\nFAKE"), std::string::npos) << log;
  EXPECT_EQ(log.find('\x1b'), std::string::npos) << log;
}

}  // namespace
}  // namespace pgpart::operator_e2e
