// Text that is not UTF-8 never stops a JSON writer: a SQL_ASCII database may name a partition
// with any bytes, and plan, status, snapshot and apply --log-format json still write their JSON
// (U+FFFD for those bytes) instead of aborting on nlohmann's type_error 316.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>

#include "../common/test_env.h"
#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

constexpr char kPolicy[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: events}
spec:
  tables: [public.events]
  interval: 1 month
  premake: 1
  retention: {keep: 12 months}
)";

class E2eInvalidUtf8Test : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = test_env::ScratchDatabaseName("e2e", "ascii");
    try {
      pqxx::connection admin(ServerDsn());
      pqxx::nontransaction tx(admin);
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
      tx.exec("CREATE DATABASE " + tx.quote_name(name_) +
              " ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
      dsn_ = ServerDsn() + " dbname=" + name_;
      pqxx::connection conn(dsn_);
      pqxx::nontransaction db(conn);
      db.exec(
          "CREATE TABLE events (at timestamptz NOT NULL) PARTITION BY RANGE (at);"
          "CREATE TABLE events_y2026m11 PARTITION OF events "
          "  FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');"
          "CREATE TABLE \"old\xFF\xFE\" PARTITION OF events "
          "  FOR VALUES FROM ('2020-01-01') TO ('2020-02-01');");
    } catch (const std::exception& e) {
      FAIL() << "cannot set up the SQL_ASCII database: " << e.what();
    }
    policy_ = TestDir() + "/events.yaml";
    WriteFile(policy_, kPolicy);
  }
  void TearDown() override { test_env::DropDatabase(name_); }

  std::string name_, dsn_, policy_;
};

TEST_F(E2eInvalidUtf8Test, NamesThatAreNotUtf8NeverStopAJsonWriter) {
  const std::string replaced = "old\xEF\xBF\xBD\xEF\xBF\xBD";  // two U+FFFD
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"plan", "-f", policy_, "--dsn", dsn_, "--at", kAt, "--format", "json"},
           {"status", "-f", policy_, "--dsn", dsn_, "--at", kAt, "--format", "json"},
           {"snapshot", "-f", policy_, "--dsn", dsn_}}) {
    RunResult r = RunPgpart(command);
    EXPECT_NE(r.exit_code, 1) << command[0] << ": " << r.err;
    EXPECT_TRUE(nlohmann::json::accept(r.out)) << command[0] << ": " << r.out;
    EXPECT_NE(r.out.find(replaced), std::string::npos) << command[0] << ": " << r.out;
  }
  // apply logs every step as a JSON line: the drop of "old\xFF\xFE" among them.
  RunResult r = RunPgpart({"apply", "-f", policy_, "--dsn", dsn_, "--at", kAt, "--auto-approve",
                           "--log-format", "json", "--no-audit"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE((r.out + r.err).find(replaced), std::string::npos) << r.err << r.out;
}

}  // namespace
}  // namespace pgpart::e2e
