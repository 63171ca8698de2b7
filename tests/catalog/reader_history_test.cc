// The catalog reader's pgpart.history part against a real PostgreSQL 15: the rows apply writes
// (EnsureAuditTable, InsertAudit) read back as each step's latest unsettled outcome, and a role
// that may not read the table still gets its catalog.

#include <gtest/gtest.h>
#include <unistd.h>

#include "apply/audit.h"
#include "catalog/reader.h"
#include "pg_fixture.h"
#include "reader_test_util.h"

namespace pgpart::testing {
namespace {

class ReaderHistoryTest : public PgTest {
 protected:
  static void SetUpTestSuite() {
    PgTest::SetUpTestSuite();
    Exec(R"SQL(
      CREATE TABLE h (at timestamptz NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE h_2024 PARTITION OF h FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE h_2025 PARTITION OF h FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE SCHEMA "Odd S";
      CREATE TABLE "Odd S"."T x" (at timestamptz NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE "Odd S"."T x_2024" PARTITION OF "Odd S"."T x"
        FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    )SQL");
  }

  static void Record(const QualifiedName& table, const std::string& partition,
                     const std::string& action, const std::string& outcome,
                     const std::string& error) {
    AuditRecord r;
    r.actor = "test@host";
    r.policy = "p";
    r.table = table;
    r.partition = QualifiedName{table.schema, partition};
    r.action = action;
    r.outcome = outcome;
    r.error = error;
    pqxx::work tx(Conn());
    InsertAudit(tx, r);
    tx.commit();
  }

  static ReadResult Read(const std::string& dsn) {
    ReadOptions options;
    options.history = true;
    return ReadCatalog(dsn, {Request("public", "h"), Request("Odd S", "T x")}, options);
  }
};

const QualifiedName kH{"public", "h"};
const QualifiedName kOdd{"Odd S", "T x"};

TEST_F(ReaderHistoryTest, LatestUnsettledOutcomeOfEachStep) {
  // Before any apply recorded anything: no table, no history, no error.
  ReadResult none = Read(Dsn());
  ASSERT_FALSE(HasErrors(none.diagnostics)) << AllDiagnostics(none);
  EXPECT_EQ(none.catalog.history, HistoryState::kRead);
  EXPECT_TRUE(none.catalog.tables.at(0).history.empty());
  // Not asked for: not read, one round trip fewer.
  ReadResult plain = ReadCatalog(Dsn(), {Request("public", "h"), Request("Odd S", "T x")});
  EXPECT_EQ(plain.catalog.history, HistoryState::kNotRead);
  EXPECT_EQ(none.round_trips, plain.round_trips + 1);

  EnsureAuditTable(Conn());
  Record(kH, "h_2024", "drop", "blocked", "backup gate: first try");
  Record(kH, "h_2024", "drop", "blocked", "backup gate: second try");  // the latest counts
  Record(kH, "h_2025", "drop", "blocked", "backup gate: no backup");
  Record(kH, "h_2025", "drop", "applied", "");  // settled since
  Record(kH, "h_2025", "detach", "failed", "must be owner of table h_2025");
  Record(kOdd, "T x_2024", "drop", "blocked", "lock timeout");
  // A hold is no failure, and a started row is an apply under way: neither counts.
  Record(kOdd, "T x_2024", "detach", "held", "Legal hold LH-1");
  Record(kOdd, "T x_2024", "archive", "started", "under way: ALTER TABLE ...");
  Record({"public", "other"}, "other_1", "drop", "blocked", "not a table we read");

  ReadResult r = Read(Dsn());
  ASSERT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  EXPECT_EQ(r.catalog.history, HistoryState::kRead);
  EXPECT_EQ(r.round_trips, plain.round_trips + 2);
  const Table* h = r.catalog.Find(kH);
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->history.size(), 2u);
  EXPECT_EQ(h->history[0].partition, (QualifiedName{"public", "h_2024"}));
  EXPECT_EQ(h->history[0].action, "drop");
  EXPECT_EQ(h->history[0].outcome, "blocked");
  EXPECT_EQ(h->history[0].error, "backup gate: second try");
  EXPECT_GT(h->history[0].at_micros, *r.catalog.now_micros - 600'000'000LL);
  EXPECT_LE(h->history[0].at_micros, *r.catalog.now_micros);
  EXPECT_EQ(h->history[1].partition, (QualifiedName{"public", "h_2025"}));
  EXPECT_EQ(h->history[1].action, "detach");
  EXPECT_EQ(h->history[1].outcome, "failed");
  const Table* odd = r.catalog.Find(kOdd);
  ASSERT_NE(odd, nullptr);
  ASSERT_EQ(odd->history.size(), 1u);
  EXPECT_EQ(odd->history[0].partition, (QualifiedName{"Odd S", "T x_2024"}));  // quoted names
}

TEST_F(ReaderHistoryTest, ApplyIndexesItForTheReadWhenItOwnsIt) {
  EnsureAuditTable(Conn());
  auto index_exists = [](const std::string& name) {
    return Exec("SELECT to_regclass('pgpart." + name + "') IS NOT NULL")[0][0].as<bool>();
  };
  EXPECT_TRUE(index_exists("history_step_idx"));
  EXPECT_TRUE(index_exists("history_unsettled_idx"));
  // A table an older pgpart made, used by a role that may only write rows (INSERT, and UPDATE
  // to settle "started" rows): apply goes on without them (the owner's next apply adds them).
  Exec("DROP INDEX pgpart.history_step_idx, pgpart.history_unsettled_idx");
  const std::string role = "pgpart_inserter_" + std::to_string(getpid());
  // (CREATE on the database: CREATE SCHEMA IF NOT EXISTS asks for it even when pgpart exists.)
  Exec("DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role + " LOGIN;" +
       "GRANT CREATE ON DATABASE " + Database() + " TO " + role + ";" +
       "GRANT CREATE, USAGE ON SCHEMA pgpart TO " + role + "; GRANT INSERT, SELECT, UPDATE ON " +
       "pgpart.history TO " + role + "; GRANT USAGE ON SEQUENCE pgpart.history_id_seq TO " + role);
  {
    pqxx::connection as_role(Dsn() + " user=" + role);
    try {
      EnsureAuditTable(as_role);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  EXPECT_FALSE(index_exists("history_step_idx"));
  EnsureAuditTable(Conn());
  EXPECT_TRUE(index_exists("history_step_idx"));
  EXPECT_TRUE(index_exists("history_unsettled_idx"));
  Exec("REVOKE ALL ON pgpart.history FROM " + role + "; REVOKE ALL ON SEQUENCE " +
       "pgpart.history_id_seq FROM " + role + "; REVOKE ALL ON SCHEMA pgpart FROM " + role +
       "; REVOKE ALL ON DATABASE " + Database() + " FROM " + role + "; DROP ROLE " + role);
}

TEST_F(ReaderHistoryTest, ARoleThatMayNotReadItStillGetsItsCatalog) {
  EnsureAuditTable(Conn());
  const std::string role = "pgpart_nohist_" + std::to_string(getpid());
  Exec("DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role + " LOGIN");
  const std::string dsn = Dsn() + " user=" + role;
  // No USAGE on schema pgpart: even naming pgpart.history would be an error.
  ReadResult r = Read(dsn);
  EXPECT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  EXPECT_EQ(r.catalog.history, HistoryState::kUnreadable);
  ASSERT_NE(r.catalog.Find(kH), nullptr);
  EXPECT_EQ(r.catalog.Find(kH)->children.size(), 2u);
  // USAGE but no SELECT: the same.
  Exec("GRANT USAGE ON SCHEMA pgpart TO " + role);
  r = Read(dsn);
  EXPECT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  EXPECT_EQ(r.catalog.history, HistoryState::kUnreadable);
  // Granted: read.
  Exec("GRANT SELECT ON pgpart.history TO " + role);
  r = Read(dsn);
  EXPECT_FALSE(HasErrors(r.diagnostics)) << AllDiagnostics(r);
  EXPECT_EQ(r.catalog.history, HistoryState::kRead);
  Exec("REVOKE ALL ON pgpart.history FROM " + role + "; REVOKE ALL ON SCHEMA pgpart FROM " + role +
       "; DROP ROLE " + role);
}

}  // namespace
}  // namespace pgpart::testing
