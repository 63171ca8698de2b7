#include "cli_fixture.h"

#include <fcntl.h>
#include <gtest/gtest.h>
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

namespace pgpart::e2e {

namespace fs = std::filesystem;

namespace {

const char* const kScrubbed[] = {"PGPART_DSN", "PGHOST",           "PGHOSTADDR", "PGPORT",
                                 "PGDATABASE", "PGUSER",           "PGPASSWORD", "PGSERVICE",
                                 "PGOPTIONS",  "SOURCE_DATE_EPOCH"};

std::string CurrentTestName() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "no_test";
  return std::string(info->test_suite_name()) + "_" + info->name();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

RunResult RunProgram(const std::vector<std::string>& argv, const EnvChanges& env) {
  RunResult result;
  const std::string dir = TestDir() + "/.run";
  fs::create_directories(dir);
  const std::string out_path = dir + "/stdout";
  const std::string err_path = dir + "/stderr";

  const pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return result;
  }
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (const char* name : kScrubbed) unsetenv(name);
    for (const auto& [name, value] : env) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

RunResult RunPgpart(const std::vector<std::string>& args, const EnvChanges& env) {
  std::vector<std::string> argv{PGPART_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, env);
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

std::string ServerDsn() {
  const char* dsn = std::getenv("PGPART_TEST_DSN");
  if (dsn == nullptr || *dsn == '\0') {
    ADD_FAILURE() << "PGPART_TEST_DSN is not set: run the end-to-end tests through ctest, which "
                     "starts the sandbox PostgreSQL (scripts/pg-sandbox)";
    return "";
  }
  return dsn;
}

std::string SourcePath(const std::string& relative) {
  return std::string(PGPART_SOURCE_DIR) + "/" + relative;
}

std::string TestDir() {
  // One folder per test, removed when the next test asks for its own and at exit.
  struct Current {
    std::string test;
    std::string dir;
    ~Current() {
      std::error_code ignored;
      if (!dir.empty()) fs::remove_all(dir, ignored);
    }
  };
  static Current current;
  const std::string name = CurrentTestName();
  if (name != current.test) {
    std::error_code ignored;
    if (!current.dir.empty()) fs::remove_all(current.dir, ignored);
    current.test = name;
    current.dir =
        (fs::temp_directory_path() / ("pgpart-e2e-" + std::to_string(getpid()) + "-" + name))
            .string();
    fs::remove_all(current.dir, ignored);
    fs::create_directories(current.dir);
  }
  return current.dir;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string WithoutGeneratedAt(const std::string& json_text) {
  static const std::regex kLine(R"(\n[ \t]*"generated_at": *"[^"]*",?)");
  return std::regex_replace(json_text, kLine, "");
}

ScratchDatabase::ScratchDatabase() {
  std::string name = Lower(CurrentTestName());
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  name = "e2e_" + name;
  if (name.size() > 63) {
    name = name.substr(0, 50) + "_" + std::to_string(std::hash<std::string>{}(name) % 1000000000);
  }
  name_ = name;
  const std::string server = ServerDsn();
  dsn_ = server + " dbname=" + name_;  // libpq: the last dbname wins
  try {
    pqxx::connection conn(server);
    pqxx::nontransaction tx(conn);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot create database " << name_ << " on the sandbox (" << server
                  << "): " << e.what();
  }
}

ScratchDatabase::~ScratchDatabase() {
  try {
    pqxx::connection conn(ServerDsn());
    pqxx::nontransaction tx(conn);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception&) {
    // Leftovers are dropped by the next run of the same test.
  }
}

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
