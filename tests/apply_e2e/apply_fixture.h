#pragma once
// Helpers for the `pgpart apply` end-to-end tests: run the built binary (in the foreground, or in
// the background to pause and kill it), give each test its own scratch database in the sandbox
// PostgreSQL (PGPART_TEST_DSN), and describe a database's tables so that two states can be
// compared (tables, parents, bounds, row counts and a digest of the rows).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "../common/test_env.h"

namespace pgpart::apply_e2e {

// The clock every test plans at (`--at`); the fixtures' partitions are fixed around it.
inline constexpr const char* kAt = "2026-11-21T12:00:00Z";

struct RunResult {
  int exit_code = -1;  // the process's exit status; 128 + signal when killed by one
  std::string out;     // stdout
  std::string err;     // stderr
  bool timed_out = false;
};

// Environment changes for a child: value nullopt unsets the variable.
using test_env::EnvChanges;

// "exit N\n--- stdout\n...\n--- stderr\n..." for failure messages.
std::string Describe(const RunResult& r);

// A pgpart process started in the background (stdin /dev/null, stdout/stderr to files). The
// child starts without PGPART_DSN, PG* connection variables and PGPART_TEST_PAUSE_AT; `env` is
// applied after. The destructor kills (SIGKILL) and reaps it if it still runs.
class Background {
 public:
  explicit Background(const std::vector<std::string>& args, const EnvChanges& env = {});
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  // Waits until stderr contains `needle`. False when the process exited first or on timeout.
  bool WaitForStderr(const std::string& needle, std::chrono::milliseconds timeout);
  // Sends `signal` (only while the process has not been reaped).
  void Kill(int signal);
  // Waits up to `timeout` for the process to exit (without killing it).
  bool Exited(std::chrono::milliseconds timeout);
  // Waits for the exit; after `timeout` kills it with SIGKILL and sets timed_out.
  RunResult Wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::string Stderr() const;

 private:
  bool Reap(bool block);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_path_;
  std::string err_path_;
};

// Runs pgpart with `args` and waits (at most `timeout`, then SIGKILL).
RunResult RunPgpart(const std::vector<std::string>& args, const EnvChanges& env = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// PGPART_TEST_DSN (set by ctest's `pg` fixture). Adds a test failure when missing: these tests
// never skip silently.
std::string ServerDsn();

// A folder for this test's files, created empty on first use in the test.
std::string TestDir();
// Writes `text` to TestDir()/`name` and returns the path.
std::string WriteTestFile(const std::string& name, const std::string& text);
std::string ReadFile(const std::string& path);
std::string SourcePath(const std::string& relative);

// Double-quotes an identifier (always, doubling inner quotes) / a string literal.
std::string Ident(const std::string& name);
std::string Literal(const std::string& text);

// Rows of a query result as text; SQL NULL becomes "NULL".
using Rows = std::vector<std::vector<std::string>>;

// One table's observable state.
struct TableState {
  std::string kind;    // "r" table, "p" partitioned
  std::string parent;  // qualified parent (quote_ident), "" when standalone
  std::string bound;   // pg_get_expr(relpartbound), "" when standalone
  bool detach_pending = false;
  std::string comment;  // obj_description
  int64_t rows = 0;     // count(*) FROM ONLY (0 for partitioned parents)
  std::string digest;   // md5 of the rows (ordered by their text)
};

// A database made for the current test (named after it plus `suffix`), dropped when done.
class ScratchDatabase {
 public:
  // Drops a leftover database of that name, then creates it (as a copy of `template_db` when
  // not empty).
  explicit ScratchDatabase(const std::string& suffix = "", const std::string& template_db = "");
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& dsn() const { return dsn_; }
  // Runs SQL text (statements separated by ';', simple query protocol). Failures fail the test.
  void Exec(const std::string& sql) const;
  // The first column of the first row, as text ("" when no row or NULL).
  std::string Scalar(const std::string& sql) const;
  int64_t Count(const std::string& sql) const;
  Rows Query(const std::string& sql) const;
  // Loads sql/demo.sql laid out around kAt.
  void LoadDemo() const;
  // Waits (up to 10 s) until no other session is connected to this database, e.g. the backend
  // of a killed pgpart (it holds session advisory locks until it notices).
  void WaitForOtherSessions() const;

  // Every ordinary/partitioned table in `schemas`, by qualified name.
  std::map<std::string, TableState> Tables(const std::vector<std::string>& schemas) const;
  // One line per table: "name parent=... bound=... rows=N md5=... comment=..." (sorted).
  std::vector<std::string> TableLines(const std::vector<std::string>& schemas) const;
  // pgpart.history step rows with that outcome: "action partition rows=N" (sorted); empty when
  // the table does not exist. The per-run rows (action 'apply', apply/runs.h) are left out.
  std::vector<std::string> History(const std::string& outcome = "applied") const;
  // Anything left half-done: partitions with a pending detach, standalone tables carrying the
  // 'pgpart:drop' marker. One line each.
  std::vector<std::string> Leftovers() const;

 private:
  std::string name_;
  std::string dsn_;
};

// Another session with a transaction left open after running `sql` (a long reader, a lock
// holder) until Close() (or destruction): it rolls back and disconnects.
class OpenTransaction {
 public:
  OpenTransaction(const std::string& dsn, const std::string& sql);
  ~OpenTransaction();
  OpenTransaction(const OpenTransaction&) = delete;
  OpenTransaction& operator=(const OpenTransaction&) = delete;
  void Close();

 private:
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::work> tx_;
};

// The common arguments: "apply -f POLICY --dsn DSN --at kAt --auto-approve".
std::vector<std::string> ApplyArgs(const std::string& policy, const std::string& dsn);
// "plan -f POLICY --dsn DSN --at kAt --detailed-exitcode".
std::vector<std::string> PlanArgs(const std::string& policy, const std::string& dsn);

// SQL creating monthly range partitions of `schema`.`parent` named `parent`_yYYYYmMM for `count`
// months from year-month (UTC midnight bounds, for timestamptz keys).
std::string MonthlyPartitions(const std::string& schema, const std::string& parent, int year,
                              int month, int count);
// "YYYY-MM-01" of year-month shifted by `months`.
std::string MonthStart(int year, int month, int months = 0);

}  // namespace pgpart::apply_e2e
