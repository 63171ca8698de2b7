#pragma once
// A fresh database per test suite on the sandbox server named by PGPART_TEST_DSN (set by ctest's
// `pg` fixture, which runs scripts/pg-sandbox start). A missing or unreachable server fails every
// test of the suite; it never skips.

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <memory>
#include <string>

namespace pgpart::testing {

class PgTest : public ::testing::Test {
 public:
  // Creates database pgpart_test_<pid>_<n> (dropped in TearDownTestSuite).
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  // DSN of the suite's database (PGPART_TEST_DSN with dbname replaced).
  static const std::string& Dsn();
  // A connection to the suite's database (autocommit statements through Exec).
  static pqxx::connection& Conn();
  // Runs SQL (several statements allowed) outside any explicit transaction.
  static pqxx::result Exec(const std::string& sql);
  // Name of the suite's database.
  static const std::string& Database();

 protected:
  // Fails the test when the suite has no database.
  void SetUp() override;
};

}  // namespace pgpart::testing
