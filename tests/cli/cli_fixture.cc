#include "cli_fixture.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <pqxx/pqxx>
#include <regex>
#include <sstream>
#include <thread>

#include "../common/test_env.h"

namespace pgpart::e2e {

namespace fs = std::filesystem;

RunResult RunProgram(const std::vector<std::string>& argv, const EnvChanges& env,
                     std::chrono::milliseconds timeout) {
  RunResult result;
  const std::string dir = TestDir() + "/.run";
  fs::create_directories(dir);
  const std::string out_path = dir + "/stdout";
  const std::string err_path = dir + "/stderr";

  const pid_t pid = test_env::Spawn(argv, out_path, err_path, env);
  if (pid < 0) return result;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.exit_code = test_env::ExitCode(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

RunResult RunPgpart(const std::vector<std::string>& args, const EnvChanges& env,
                    std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{PGPART_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, env, timeout);
}

RunResult RunPsqlFile(const std::string& dsn, const std::string& file) {
  std::string psql = "psql";
  const char* bindir = std::getenv("PGPART_PG_BINDIR");
  for (const std::string& dir :
       {std::string(bindir ? bindir : ""), std::string("/usr/lib/postgresql/15/bin")}) {
    if (!dir.empty() && fs::exists(dir + "/psql")) {
      psql = dir + "/psql";
      break;
    }
  }
  return RunProgram({psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", file});
}

std::string ServerDsn() { return test_env::ServerDsn(); }

std::string SourcePath(const std::string& relative) { return test_env::SourcePath(relative); }

std::string TestDir() { return test_env::TestDir("pgpart-e2e"); }

std::string ReadFile(const std::string& path) { return test_env::ReadFile(path); }

void WriteFile(const std::string& path, const std::string& text) {
  test_env::WriteFile(path, text);
}

std::string WithoutGeneratedAt(const std::string& json_text) {
  static const std::regex kLine(R"(\n[ \t]*"generated_at": *"[^"]*",?)");
  return std::regex_replace(json_text, kLine, "");
}

ScratchDatabase::ScratchDatabase() : name_(test_env::ScratchDatabaseName("e2e")) {
  dsn_ = test_env::ServerDsn() + " dbname=" + name_;  // libpq: the last dbname wins
  test_env::CreateDatabase(name_);
}

ScratchDatabase::~ScratchDatabase() { test_env::DropDatabase(name_); }

void ScratchDatabase::Exec(const std::string& sql) const {
  try {
    pqxx::connection conn(dsn_);
    pqxx::nontransaction tx(conn);
    tx.exec("SET client_min_messages = warning");
    tx.exec(sql);
  } catch (const std::exception& e) {
    FAIL() << "SQL failed in " << name_ << ": " << e.what();
  }
}

std::string ScratchDatabase::Scalar(const std::string& sql) const {
  try {
    pqxx::connection conn(dsn_);
    pqxx::nontransaction tx(conn);
    pqxx::result r = tx.exec(sql);
    if (r.empty() || r[0][0].is_null()) return "";
    return r[0][0].c_str();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "SQL failed in " << name_ << ": " << e.what();
    return "";
  }
}

void ScratchDatabase::LoadDemo() const {
  const std::string text = ReadFile(SourcePath("sql/demo.sql"));
  ASSERT_FALSE(text.empty()) << "cannot read sql/demo.sql";
  try {
    pqxx::connection conn(dsn_ + " options='-c pgpart_demo.anchor=" + kAt + "'");
    pqxx::nontransaction tx(conn);
    tx.exec(text);
  } catch (const std::exception& e) {
    FAIL() << "sql/demo.sql failed in " << name_ << ": " << e.what();
  }
}

std::vector<std::string> StepLines(const nlohmann::json& plan) {
  std::vector<std::string> lines;
  for (const auto& step : plan.at("steps")) {
    lines.push_back(
        step.at("action").get<std::string>() + " " + step.at("table").get<std::string>() + " " +
        step.at("partition").get<std::string>() + " " + step.at("status").get<std::string>());
  }
  return lines;
}

}  // namespace pgpart::e2e
