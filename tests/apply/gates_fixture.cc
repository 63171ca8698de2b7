#include "gates_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

namespace pgpart::gates_testing {
namespace {

void GiveToPostgres(const std::string& path) {
  if (!RunningAsRoot()) return;
  if (const passwd* pw = ::getpwnam("postgres")) {
    if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      // Left to the caller's assertions: the tool that needs the folder will fail loudly.
    }
  }
}

}  // namespace

bool RunningAsRoot() { return ::geteuid() == 0; }

ScratchDir::ScratchDir(const std::string& parent, bool for_postgres) : for_postgres_(for_postgres) {
  std::string pattern = parent + "/pgpart-gates-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return;
  path_ = pattern;
  ::chmod(path_.c_str(), 0755);
  if (for_postgres_) GiveToPostgres(path_);
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ScratchDir::Sub(const std::string& name) const {
  std::string path = path_ + "/" + name;
  std::filesystem::create_directories(path);
  ::chmod(path.c_str(), 0755);
  if (for_postgres_) GiveToPostgres(path);
  return path;
}

std::string ScratchDir::Write(const std::string& name, const std::string& content) const {
  std::string path = path_ + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  ::chmod(path.c_str(), 0644);
  return path;
}

ScopedEnv::ScopedEnv(std::string name, const std::optional<std::string>& value)
    : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str())) old_ = old;
  if (value) {
    ::setenv(name_.c_str(), value->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

ScopedEnv::~ScopedEnv() {
  if (old_) {
    ::setenv(name_.c_str(), old_->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

ProcessResult RunAsPostgres(std::vector<std::string> argv,
                            const std::vector<std::pair<std::string, std::string>>& env,
                            int64_t timeout_ms) {
  if (RunningAsRoot()) {
    argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  }
  return RunProcess(argv, env, timeout_ms);
}

std::string Describe(const ProcessResult& p) {
  if (!p.started) return "not started: " + p.error;
  if (p.timed_out) return "timed out; stderr: " + p.error;
  if (p.signaled) return "signal " + std::to_string(p.term_signal) + "; stderr: " + p.error;
  return "exit " + std::to_string(p.exit_code) + "; stdout: " + p.output + "; stderr: " + p.error;
}

bool WaitFor(const std::function<bool()>& done, int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

ExtraSandbox::~ExtraSandbox() {
  if (dir_.empty()) return;
  if (started_) Script("stop");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string ExtraSandbox::Script(const std::string& command) const {
  ProcessResult p = RunProcess(
      {std::string(PGPART_SOURCE_DIR) + "/scripts/pg-sandbox", command},
      {{"PGPART_SANDBOX_DIR", dir_}, {"PGPART_SANDBOX_PORT", std::to_string(port_)}}, 120'000);
  if (p.started && !p.timed_out && !p.signaled && p.exit_code == 0) return "";
  return "scripts/pg-sandbox " + command + " failed: " + Describe(p);
}

std::string ExtraSandbox::Start() {
  std::string pattern = "/tmp/pgpart-gates-pg-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return "mkdtemp failed";
  dir_ = pattern;
  ::chmod(dir_.c_str(), 0755);
  port_ = FreePort();
  if (port_ == 0) return "no free port";
  std::string error = Script("start");
  started_ = true;  // stop on destruction even after a partial start
  return error;
}

std::string ExtraSandbox::Restart() {
  std::string error = Script("stop");
  if (!error.empty()) return error;
  return Script("start");
}

std::string ExtraSandbox::Dsn() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
}

std::unique_ptr<pqxx::connection> ExtraSandbox::Connect() const {
  return std::make_unique<pqxx::connection>(Dsn());
}

pqxx::result ExtraSandbox::Exec(const std::string& sql) const {
  pqxx::connection conn(Dsn());
  pqxx::nontransaction tx(conn);
  return tx.exec(sql);
}

}  // namespace pgpart::gates_testing
