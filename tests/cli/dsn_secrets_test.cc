// A password in a DSN never reaches an output channel: stdout, stderr, an -o file, the process's
// command line (/proc/PID/cmdline) of a long-running exporter. The DSNs are malformed or
// mistyped on purpose: the errors that describe them must not quote them.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_env.h"
#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

constexpr char kSecret[] = "Sw0rdf1sh-XYZZY";

constexpr char kPolicy[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: metrics}
spec:
  tables: [public.metrics]
  interval: 1 month
)";

TEST(E2eDsnSecretsTest, MalformedAndMistypedDsnsNeverEchoThePassword) {
  const std::string dir = TestDir();
  const std::string policy = dir + "/p.yaml";
  WriteFile(policy, kPolicy);
  const std::string s = kSecret;
  const std::vector<std::string> dsns = {
      "postgresql://app:" + s + "@[::1/db",                 // unterminated IPv6 host
      "postgresql://app:" + s + "@127.0.0.1:99999/db",      // bad port
      "postgresql://app:" + s + "@127.0.0.1:1/db?sslmode=nonsense",
      "postgresql://app:pa/" + s + "@127.0.0.1:1/db",       // unescaped '/' in the password
      "postgresql://app@127.0.0.1:1/db?password=" + s + "&bogus=1",
      "host=127.0.0.1 port=1 passwd=" + s,                  // mistyped key
      "host=127.0.0.1 port=1 password='" + s + "' bogus=1",
      "host=127.0.0.1 port=1 password=" + s + " sslmode=nonsense",
      "host=127.0.0.1 port=1 password='" + s,               // unterminated quote
      // libpq quotes what it cannot parse ('missing "=" after "..."'): issue 11 item 7.
      "host=127.0.0.1 port=1 password=pa " + s,             // a space in the password
      s,                                                    // no connection string at all
  };
  for (const std::string& dsn : dsns) {
    for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
             {"plan", "-f", policy, "--dsn", dsn, "-o", dir + "/plan.json"},
             {"status", "-f", policy, "--dsn", dsn},
             {"snapshot", "--dsn", dsn},
             {"apply", "-f", policy, "--dsn", dsn, "--auto-approve"}}) {
      RunResult r = RunPgpart(command);
      EXPECT_EQ(r.exit_code, 1) << command[0] << " " << dsn << "\n" << r.err;
      EXPECT_EQ(r.out.find(kSecret), std::string::npos) << command[0] << " " << dsn << r.out;
      EXPECT_EQ(r.err.find(kSecret), std::string::npos) << command[0] << " " << dsn << r.err;
      EXPECT_FALSE(r.err.empty());
    }
  }
}

// The exporter runs for months: its --dsn must not stay readable in ps / /proc/PID/cmdline.
TEST(E2eDsnSecretsTest, ExporterHidesThePasswordFromItsCommandLine) {
  const std::string dir = TestDir();
  const std::string policy = dir + "/p.yaml";
  WriteFile(policy, kPolicy);
  const int port = test_env::FreePort();
  const std::string dsn = ServerDsn() + " password=" + kSecret;
  const pid_t pid = test_env::Spawn({PGPART_BINARY, "status", "-f", policy, "--dsn", dsn, "--serve",
                                     "127.0.0.1:" + std::to_string(port)},
                                    dir + "/out", dir + "/err");
  ASSERT_GT(pid, 0);
  std::string cmdline;
  for (int i = 0; i < 100; ++i) {  // until it has parsed its arguments and is serving
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
    if (ReadFile(dir + "/err").find("serving") != std::string::npos) break;
    if (cmdline.find(kSecret) == std::string::npos && i > 10) break;
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_FALSE(cmdline.empty());
  EXPECT_EQ(cmdline.find(kSecret), std::string::npos) << cmdline;
  EXPECT_NE(cmdline.find("--dsn"), std::string::npos) << cmdline;
  EXPECT_EQ(ReadFile(dir + "/err").find(kSecret), std::string::npos);
  EXPECT_EQ(ReadFile(dir + "/out").find(kSecret), std::string::npos);
}

}  // namespace
}  // namespace pgpart::e2e
