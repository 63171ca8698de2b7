#pragma once
// Helpers for the end-to-end tests: run the built `pgpart` binary as a user would, and give each
// test its own scratch database in the sandbox PostgreSQL (PGPART_TEST_DSN).

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../common/test_env.h"

namespace pgpart::e2e {

// The clock every deterministic test plans at, and the anchor sql/demo.sql is laid out around.
inline constexpr const char* kAt = "2026-11-21T12:00:00Z";

struct RunResult {
  int exit_code = -1;  // the process's exit status; 128 + signal when killed by one
  std::string out;     // stdout
  std::string err;     // stderr
  bool timed_out = false;  // killed (SIGKILL) for outliving its timeout
};

// How long RunPgpart and RunProgram wait before killing the child (a hang fails the test rather
// than the whole ctest run).
inline constexpr std::chrono::milliseconds kRunTimeout = std::chrono::minutes(5);

// Environment changes for a child: value nullopt unsets the variable.
using test_env::EnvChanges;

// Runs PGPART_BINARY with `args` and waits at most `timeout`, started by test_env::Spawn (which clears PGPART_DSN, the PG*
// connection variables and SOURCE_DATE_EPOCH in the child, then applies `env`).
RunResult RunPgpart(const std::vector<std::string>& args, const EnvChanges& env = {},
                    std::chrono::milliseconds timeout = kRunTimeout);

// Runs any program (argv[0] is looked up in PATH) the same way.
RunResult RunProgram(const std::vector<std::string>& argv, const EnvChanges& env = {},
                     std::chrono::milliseconds timeout = kRunTimeout);

// Runs PostgreSQL 15's psql (PGPART_PG_BINDIR, else /usr/lib/postgresql/15/bin, else PATH) on
// `dsn` with ON_ERROR_STOP and the script `file`.
RunResult RunPsqlFile(const std::string& dsn, const std::string& file);

// PGPART_TEST_DSN (set by ctest's `pg` fixture). Fails the test (fatally) when missing: the
// end-to-end tests never skip silently.
std::string ServerDsn();

// Path of a file in the source tree (PGPART_SOURCE_DIR).
std::string SourcePath(const std::string& relative);

// A folder for this test's files, created empty.
std::string TestDir();

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

// Removes the line `"generated_at": "...",` (the only wall-clock field) from plan JSON text.
std::string WithoutGeneratedAt(const std::string& json_text);

// A database created for the current test (named after it) and dropped when done.
class ScratchDatabase {
 public:
  // Drops any leftover database of that name, then creates it.
  ScratchDatabase();
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  // libpq connection string of the database.
  const std::string& dsn() const { return dsn_; }
  // Runs SQL text (one or more statements, simple query protocol) in the database. Failures
  // are fatal to the test.
  void Exec(const std::string& sql) const;
  // A single value (first column of the first row) as text.
  std::string Scalar(const std::string& sql) const;
  // Loads sql/demo.sql laid out around kAt (session setting pgpart_demo.anchor).
  void LoadDemo() const;

 private:
  std::string name_;
  std::string dsn_;
};

// One step of a plan's JSON, reduced to what a reviewer reads: "action table partition status",
// e.g. "drop public.sensor_readings public.sensor_readings_y2024m09 planned".
std::vector<std::string> StepLines(const nlohmann::json& plan);

}  // namespace pgpart::e2e
