// Policy text that makes yaml-cpp 0.7 loop, allocate without end, or go too deep is refused with
// a located error, quickly. Each case runs in a forked child under a memory limit and an alarm,
// so that a regression fails the test instead of hanging it or exhausting the machine.

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "policy/loader.h"
#include "policy/yaml_guard.h"
#include "policy_test_util.h"

namespace pgpart {
namespace {

using testing::Doc;
using testing::Dump;

// Runs `load` in a child (512 MiB address space beyond what the test already maps, 10 s) and
// returns its diagnostics as Dump() text; nullopt when the child did not finish in bounds.
std::optional<std::string> DiagnosticsWithin(const std::function<PolicySet()>& load) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return std::nullopt;
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    const rlimit memory{rlim_t{512} << 20, rlim_t{512} << 20};
    setrlimit(RLIMIT_DATA, &memory);
    alarm(10);
    const std::string text = Dump(load().diagnostics);
    const ssize_t ignored = write(pipe_fds[1], text.data(), text.size());
    (void)ignored;
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

std::optional<std::string> ParseWithin(const std::string& text) {
  return DiagnosticsWithin([&] { return ParsePolicies(text, "p.yaml"); });
}

TEST(HostileYamlTest, TokensYamlCppWouldLoopOnAreRefusedWhereTheyStand) {
  // yaml-cpp 0.7: a token no rule consumes starts an empty document again and again
  // (LoadAll never returns and allocates a null node per turn).
  const std::string policy = Doc("  tables: [t]\n  interval: 1 month\n");
  const struct {
    std::string text;
    std::string want;
  } cases[] = {
      {",:", "p.yaml:1:1: error: YAML syntax error: unexpected ','"},
      {",", "p.yaml:1:1: error: YAML syntax error: unexpected ','"},
      {"  ,", "p.yaml:1:3: error: YAML syntax error: unexpected ','"},
      {policy + "---\n,\n", "p.yaml:9:1: error: YAML syntax error: unexpected ','"},
      {policy + "...\n,\n", "p.yaml:9:1: error: YAML syntax error: unexpected ','"},
  };
  for (const auto& c : cases) {
    std::optional<std::string> got = ParseWithin(c.text);
    ASSERT_TRUE(got.has_value()) << "ran away on: " << c.text;
    EXPECT_NE(got->find(c.want), std::string::npos) << c.text << "\n" << *got;
  }
}

TEST(HostileYamlTest, NestingBeyondTheDepthLimitIsRefused) {
  const std::string deep = std::string(kMaxYamlDepth, '[') + std::string(kMaxYamlDepth, ']');
  std::optional<std::string> got = ParseWithin(Doc("  tables: " + deep + "\n"));
  ASSERT_TRUE(got.has_value());
  EXPECT_NE(got->find("nested more than 32 deep"), std::string::npos) << *got;
  // yaml-cpp's own guard (500 levels) and its recursion are never reached.
  got = ParseWithin(std::string(100'000, '['));
  ASSERT_TRUE(got.has_value());
  EXPECT_NE(got->find("p.yaml:1:17: error: lists and mappings nested more than 32 deep"),
            std::string::npos)
      << *got;
}

TEST(HostileYamlTest, TooManyValuesAreRefused) {
  std::string list = "[";
  for (size_t i = 0; i <= kMaxYamlNodes; ++i) list += "1,";
  list += "1]";
  std::optional<std::string> got = ParseWithin(Doc("  tables: " + list + "\n"));
  ASSERT_TRUE(got.has_value());
  EXPECT_NE(got->find("more than 100000 YAML values"), std::string::npos) << *got;
}

TEST(HostileYamlTest, AliasInsideItsOwnAnchorIsRefused) {
  std::optional<std::string> got =
      ParseWithin(Doc("  tables: &t [a, *t]\n  interval: 1 month\n"));
  ASSERT_TRUE(got.has_value());
  EXPECT_NE(got->find("p.yaml:6:18: error: YAML alias inside the collection it refers to"),
            std::string::npos)
      << *got;
  // An alias to a finished collection is ordinary YAML.
  got = ParseWithin(
      Doc("  tables: [t]\n  interval: &i 1 month\n  premake: 1\n  retention: {keep: *i}\n"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "(no diagnostics)\n");
}

TEST(HostileYamlTest, TextsOverTheSizeLimitAreRefused) {
  const std::string policy = Doc("  tables: [t]\n  interval: 1 month\n");
  std::optional<std::string> got =
      ParseWithin(policy + "#" + std::string(kMaxPolicyBytes - policy.size(), 'x'));
  ASSERT_TRUE(got.has_value());
  EXPECT_NE(got->find("p.yaml: error: larger than 1 MiB"), std::string::npos) << *got;
  // A file that never ends is read no further than the limit.
  got = DiagnosticsWithin([] { return LoadPolicies({"/dev/zero"}); });
  ASSERT_TRUE(got.has_value()) << "read /dev/zero without end";
  EXPECT_NE(got->find("/dev/zero: error: larger than 1 MiB"), std::string::npos) << *got;
}

// Bytes that are not UTF-8 passed lint and then made every JSON writer throw.
TEST(HostileYamlTest, InvalidUtf8IsRefusedWhereItStands) {
  const std::string base = "  tables: [t]\n  interval: 1 month\n  retention: {keep: 2 years}\n";
  PolicySet set = ParsePolicies(
      Doc(base + "  holds:\n    - {partition: t_y2024m01, reason: \"caf\xE9\"}\n"), "p.yaml");
  EXPECT_EQ(Dump(set.diagnostics),
            "p.yaml:10:43: error: invalid UTF-8 (byte 0xE9); policy files are UTF-8\n");
  EXPECT_TRUE(set.policies.empty());
  set = ParsePolicies("\xFF", "p.yaml");
  EXPECT_EQ(Dump(set.diagnostics),
            "p.yaml:1:1: error: invalid UTF-8 (byte 0xFF); policy files are UTF-8\n");
  // Escapes decode to what the bytes of the file cannot hold.
  set = ParsePolicies(Doc(base + "  naming: \"{parent}_p\\0{YYYY}\"\n"), "p.yaml");
  EXPECT_NE(Dump(set.diagnostics).find("p.yaml:9:11: error: spec.naming: must not contain a NUL"),
            std::string::npos)
      << Dump(set.diagnostics);
  set = ParsePolicies(
      Doc(base + "  holds:\n    - {partition: t_y2024m01, reason: \"\\ud800\"}\n"), "p.yaml");
  EXPECT_NE(Dump(set.diagnostics).find("p.yaml:10:46: error: YAML syntax error: invalid unicode"),
            std::string::npos)
      << Dump(set.diagnostics);
  set = ParsePolicies(Doc("  tables: [\"t\\0x\"]\n  interval: 1 month\n"), "p.yaml");
  EXPECT_NE(Dump(set.diagnostics).find("spec.tables[0]: must not contain a NUL"),
            std::string::npos)
      << Dump(set.diagnostics);
}

TEST(HostileYamlTest, TheIsolatedCheckRunsFirstAndItsVerdictStands) {
  std::vector<size_t> calls;  // texts per call
  SetYamlIsolation([&](const std::vector<std::string>& texts) {
    calls.push_back(texts.size());
    std::vector<std::optional<YamlProblem>> verdicts;
    for (const std::string& text : texts) {
      if (text.find("refuse") != std::string::npos) {
        verdicts.push_back(YamlProblem{2, 3, "refused here"});
      } else {
        verdicts.push_back(std::nullopt);
      }
    }
    return verdicts;
  });
  PolicySet set = ParsePolicies("# refuse\n", "p.yaml");
  EXPECT_EQ(Dump(set.diagnostics), "p.yaml:2:3: error: refused here\n");
  set = ParsePolicies(Doc("  tables: [t]\n  interval: 1 month\n"), "p.yaml");
  EXPECT_EQ(Dump(set.diagnostics), "(no diagnostics)\n");
  EXPECT_EQ(calls, (std::vector<size_t>{1, 1}));
  // Files: all texts in one call first, then one per file as it is parsed.
  calls.clear();
  set = LoadPolicies({testing::TestData("set")});
  EXPECT_FALSE(calls.empty());
  EXPECT_EQ(calls.front(), set.files.size());
  SetYamlIsolation(nullptr);
}

}  // namespace
}  // namespace pgpart
