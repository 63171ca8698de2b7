#include "pg_fixture.h"

#include <unistd.h>

#include <cstdlib>

namespace pgpart::testing {
namespace {

struct SuiteState {
  std::string admin_dsn;  // PGPART_TEST_DSN
  std::string database;   // fresh database of the running suite
  std::string dsn;        // admin_dsn pointed at `database`
  std::string error;      // why there is no database
  std::unique_ptr<pqxx::connection> conn;
};

SuiteState& State() {
  static SuiteState state;
  return state;
}

int suite_counter = 0;

}  // namespace

void PgTest::SetUpTestSuite() {
  SuiteState& s = State();
  s = SuiteState{};
  const char* dsn = std::getenv("PGPART_TEST_DSN");
  if (dsn == nullptr || *dsn == '\0') {
    s.error =
        "PGPART_TEST_DSN is not set: run the integration tests through ctest (its `pg` fixture "
        "starts scripts/pg-sandbox) or export PGPART_TEST_DSN=\"$(scripts/pg-sandbox start)\"";
    return;  // every test of the suite fails in SetUp (a failure here would only skip them)
  }
  s.admin_dsn = dsn;
  s.database = "pgpart_test_" + std::to_string(getpid()) + "_" + std::to_string(++suite_counter);
  try {
    pqxx::connection admin(s.admin_dsn);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(s.database) + " WITH (FORCE)");
    tx.exec("CREATE DATABASE " + tx.quote_name(s.database) + " TEMPLATE template0");
    // libpq: the last of repeated keywords wins.
    s.dsn = s.admin_dsn + " dbname=" + s.database;
    s.conn = std::make_unique<pqxx::connection>(s.dsn);
  } catch (const std::exception& e) {
    s.error = "cannot prepare a test database on " + s.admin_dsn + ": " + e.what();
    s.conn.reset();
  }
}

void PgTest::TearDownTestSuite() {
  SuiteState& s = State();
  s.conn.reset();
  if (s.dsn.empty()) return;  // never created
  try {
    pqxx::connection admin(s.admin_dsn);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(s.database) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot drop test database " << s.database << ": " << e.what();
  }
}

void PgTest::SetUp() {
  if (!State().conn) {
    GTEST_FAIL() << "no test database: " << State().error;
  }
}

const std::string& PgTest::Dsn() { return State().dsn; }
const std::string& PgTest::Database() { return State().database; }
pqxx::connection& PgTest::Conn() { return *State().conn; }

pqxx::result PgTest::Exec(const std::string& sql) {
  pqxx::nontransaction tx(Conn());
  return tx.exec(sql);
}

}  // namespace pgpart::testing
