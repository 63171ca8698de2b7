#include "test_env.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <pqxx/pqxx>
#include <sstream>

namespace pgpart::test_env {

namespace fs = std::filesystem;

std::string CurrentTestName() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "no_test";
  return std::string(info->test_suite_name()) + "_" + info->name();
}

std::string ServerDsn() {
  const char* dsn = std::getenv("PGPART_TEST_DSN");
  if (dsn == nullptr || *dsn == '\0') {
    ADD_FAILURE() << "PGPART_TEST_DSN is not set: run these tests through ctest, which starts the "
                     "sandbox PostgreSQL (scripts/pg-sandbox)";
    return "";
  }
  return dsn;
}

std::string SourcePath(const std::string& relative) {
  return std::string(PGPART_SOURCE_DIR) + "/" + relative;
}

std::string TestDir(const std::string& prefix) {
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
        (fs::temp_directory_path() / (prefix + "-" + std::to_string(getpid()) + "-" + name))
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

std::string ScratchDatabaseName(const std::string& prefix, const std::string& suffix) {
  std::string name = prefix + "_" + CurrentTestName() + (suffix.empty() ? "" : "_" + suffix);
  for (char& c : name) {
    c = std::isalnum(static_cast<unsigned char>(c))
            ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
            : '_';
  }
  if (name.size() > 63) {
    name = name.substr(0, 50) + "_" + std::to_string(std::hash<std::string>{}(name) % 1000000000);
  }
  return name;
}

void CreateDatabase(const std::string& name, const std::string& template_db) {
  const std::string server = ServerDsn();
  try {
    pqxx::connection conn(server);
    pqxx::nontransaction tx(conn);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
    tx.exec("CREATE DATABASE " + tx.quote_name(name) +
            (template_db.empty() ? "" : " TEMPLATE " + tx.quote_name(template_db)));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot create database " << name << " on the sandbox (" << server
                  << "): " << e.what();
  }
}

void DropDatabase(const std::string& name) {
  try {
    pqxx::connection conn(ServerDsn());
    pqxx::nontransaction tx(conn);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
  } catch (const std::exception&) {
    // Leftovers are dropped by the next run of the same test.
  }
}

int FreePort(bool any_interface) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(any_interface ? INADDR_ANY : INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::optional<std::string> NonLoopbackIpv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const in_addr a = reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr;
    if ((ntohl(a.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &a, text, sizeof text) != nullptr) found = text;
  }
  freeifaddrs(list);
  return found;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path,
            const std::string& err_path, const EnvChanges& env) {
  static const char* const kScrubbed[] = {
      "PGPART_DSN", "PGHOST",    "PGHOSTADDR", "PGPORT",           "PGDATABASE",
      "PGUSER",     "PGPASSWORD", "PGSERVICE", "PGOPTIONS",        "SOURCE_DATE_EPOCH",
      "PGPART_TEST_PAUSE_AT"};
  const pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return -1;
  }
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = open("/dev/null", O_RDONLY);
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
  return pid;
}

int ExitCode(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace pgpart::test_env
