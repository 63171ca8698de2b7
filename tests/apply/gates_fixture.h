#pragma once
// Helpers for the backup gate tests: scratch folders, scoped environment variables, and extra
// PostgreSQL sandboxes (scripts/pg-sandbox on a free port in a temporary folder) for the
// archiver and pgbackrest gates, which need server settings the shared test server lacks.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "apply/process.h"
#include "../common/test_env.h"

namespace pgpart::gates_testing {

// True when running as root: server-side tools then run as `postgres` (runuser).
bool RunningAsRoot();

// A temporary folder, removed with everything in it on destruction. `for_postgres`: owned by the
// postgres user when running as root (so the server and pgbackrest can write there).
class ScratchDir {
 public:
  // Under `parent` ("/tmp", "/dev/shm"); path() is empty when it could not be created.
  explicit ScratchDir(const std::string& parent = "/tmp", bool for_postgres = false);
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();
  const std::string& path() const { return path_; }
  // Creates a sub-folder (same ownership rule) and returns its path.
  std::string Sub(const std::string& name) const;
  // Writes a file (mode 0644) and returns its path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
  bool for_postgres_ = false;
};

// Sets (or unsets, nullopt) an environment variable for the scope; restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value);
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv();

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Runs argv as the postgres user when root (runuser -u postgres --), else as is.
ProcessResult RunAsPostgres(std::vector<std::string> argv,
                            const std::vector<std::pair<std::string, std::string>>& env = {},
                            int64_t timeout_ms = 120'000);

// "exit 1: <stderr>" style summary of a process result, for assertion messages.
std::string Describe(const ProcessResult& p);

// Polls `done` every 50 ms until it returns true or `timeout_ms` passes; returns its last value.
bool WaitFor(const std::function<bool()>& done, int64_t timeout_ms);

using test_env::FreePort;

// A throw-away PostgreSQL 15 (scripts/pg-sandbox) in its own temporary folder on a free port.
// Stopped and removed on destruction.
class ExtraSandbox {
 public:
  ExtraSandbox() = default;
  ExtraSandbox(const ExtraSandbox&) = delete;
  ExtraSandbox& operator=(const ExtraSandbox&) = delete;
  ~ExtraSandbox();

  // Initialises and starts it. Returns an error text, empty on success.
  std::string Start();
  // Stops and starts it again (for settings that need a restart, e.g. archive_mode).
  std::string Restart();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string DataDir() const { return dir_ + "/data"; }
  std::string SocketDir() const { return dir_ + "/run"; }  // short path: see scripts/pg-sandbox
  std::string Dsn() const;
  // A new connection to its postgres database.
  std::unique_ptr<pqxx::connection> Connect() const;
  // Runs SQL outside a transaction (ALTER SYSTEM, pg_switch_wal, ...) on a new connection.
  pqxx::result Exec(const std::string& sql) const;

 private:
  std::string Script(const std::string& command) const;

  std::string dir_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace pgpart::gates_testing
