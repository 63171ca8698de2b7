// Policy text that is hostile to the YAML parser, end to end: every command that reads policies
// (from files or from a saved plan) refuses it quickly with a located error, and the bounded
// child parse (cli/yaml_sandbox.h) holds when the parser itself runs away.

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

using std::chrono::seconds;

constexpr char kPolicy[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: metrics}
spec:
  tables: [public.metrics]
  interval: 1 month
  premake: 3
)";

class E2eHostilePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDir();
    snapshot_ = SourcePath("tests/report/snapshot.json");
  }
  std::vector<std::vector<std::string>> Commands(const std::string& policy) const {
    return {
        {"lint", "-f", policy},
        {"plan", "-f", policy, "--catalog", snapshot_, "--at", kAt},
        {"status", "-f", policy, "--catalog", snapshot_, "--at", kAt},
        {"forecast", "-f", policy, "--catalog", snapshot_, "--at", kAt, "--until", "2027-01-01"},
        {"report", "-f", policy, "--catalog", snapshot_, "--at", kAt, "-o", dir_ + "/r.html"},
        {"snapshot", "-f", policy, "--dsn", ServerDsn()},
        {"apply", "-f", policy, "--dsn", ServerDsn()},
    };
  }
  std::string dir_, snapshot_;
};

// yaml-cpp 0.7's LoadAll never returns on ",:" and allocates ~95 MB/s.
TEST_F(E2eHostilePolicyTest, TextThatMakesYamlCppLoopIsRefusedByEveryCommand) {
  const std::string policy = dir_ + "/p.yaml";
  WriteFile(policy, ",:");
  for (const auto& command : Commands(policy)) {
    const auto start = std::chrono::steady_clock::now();
    RunResult r = RunPgpart(command, {}, seconds(30));
    EXPECT_FALSE(r.timed_out) << command[0] << " ran away";
    EXPECT_EQ(r.exit_code, 1) << command[0] << ": " << r.err;
    EXPECT_NE(r.err.find(policy + ":1:1: error: YAML syntax error: unexpected ','"),
              std::string::npos)
        << command[0] << ": " << r.err;
    EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10)) << command[0];
  }
}

// The content hash is no signature: whoever may write the file can recompute it (SHA-256 of the
// plan without generated_at and content_hash, compact, keys sorted). What apply then reads must
// still be guarded.
std::string ForgedContentHash(nlohmann::json plan, const std::string& dir) {
  plan.erase("generated_at");
  plan.erase("content_hash");
  const std::string path = dir + "/canonical.json";
  WriteFile(path, plan.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  RunResult r = RunProgram({"sha256sum", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, 64);
}

// A saved plan carries its policies' text: the same guard applies when apply re-reads it, even
// when a forger recomputed the content hash.
TEST_F(E2eHostilePolicyTest, SavedPlanCarryingSuchTextIsRefused) {
  const std::string policy = dir_ + "/p.yaml";
  const std::string saved = dir_ + "/plan.json";
  WriteFile(policy, kPolicy);
  RunResult r = RunPgpart({"plan", "-f", policy, "--catalog", snapshot_, "--at", kAt, "-o", saved});
  ASSERT_NE(r.exit_code, 1) << r.err;
  nlohmann::json plan = nlohmann::json::parse(ReadFile(saved));
  ASSERT_EQ(plan.at("policy_sources").size(), 1u);
  plan["policy_sources"][0]["text"] = ",:";
  plan["content_hash"] = ForgedContentHash(plan, dir_);
  WriteFile(saved, plan.dump(2));
  r = RunPgpart({"apply", "--plan", saved, "--dsn", ServerDsn()}, {}, seconds(30));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(":1:1: error: YAML syntax error: unexpected ','"), std::string::npos)
      << r.err;
}

// The backstop: whatever the parser does in the child (here, made to allocate without end), the
// command refuses the text within the child's bounds and stays well.
TEST_F(E2eHostilePolicyTest, RunawayParseInTheBoundedChildIsRefused) {
  const std::string policy = dir_ + "/p.yaml";
  WriteFile(policy, kPolicy);
  RunResult ok = RunPgpart({"lint", "-f", policy});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const auto start = std::chrono::steady_clock::now();
  RunResult r = RunPgpart({"lint", "-f", policy}, {{"PGPART_TEST_YAML_CHILD", "runaway"}},
                          seconds(60));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(policy + ": error: the YAML parser needed more than 512 MiB"),
            std::string::npos)
      << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(20));
}

TEST_F(E2eHostilePolicyTest, EndlessPolicyFileIsReadNoFurtherThanTheLimit) {
  RunResult r = RunPgpart({"lint", "-f", "/dev/zero"}, {}, seconds(30));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("/dev/zero: error: larger than 1 MiB"), std::string::npos) << r.err;
}

// Every file of a folder is held until the load ends, and each was read into a 1 MiB buffer (the
// size limit) whatever its size: `lint -f` of 300 small policy files peaked at ~320 MB. The peak of
// the child (the largest ru_maxrss of this test process's children: only this run) stays far
// below that now (~15 MB).
TEST_F(E2eHostilePolicyTest, AFolderOfManySmallPolicyFilesCostsTheirSizeNotTheLimitEach) {
  const std::string folder = dir_ + "/many";
  ASSERT_TRUE(std::filesystem::create_directories(folder));
  constexpr int kFiles = 300;
  for (int i = 0; i < kFiles; ++i) {
    std::string text = kPolicy;
    const std::string n = std::to_string(i);
    text.replace(text.find("name: metrics"), 13, "name: metrics-" + n);
    text.replace(text.find("public.metrics"), 14, "public.metrics_" + n);
    std::ofstream(folder + "/p" + n + ".yaml") << text;
  }
  RunResult r = RunPgpart({"lint", "-f", folder}, {}, seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct rusage usage {};
  ASSERT_EQ(getrusage(RUSAGE_CHILDREN, &usage), 0);
  std::printf("[ memory ] lint of %d policy files: peak %ld kB\n", kFiles, usage.ru_maxrss);
  EXPECT_LT(usage.ru_maxrss, 100 * 1024) << "kB at the peak of `pgpart lint` of " << kFiles
                                         << " policy files of ~150 bytes";
}

// An integer beyond int64 (an uncaught std::out_of_range aborted lint, plan, apply and status).
TEST_F(E2eHostilePolicyTest, IntegerBeyondInt64IsAnErrorInEveryCommand) {
  const std::string policy = dir_ + "/p.yaml";
  WriteFile(policy, R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: events}
spec:
  tables: [public.events]
  interval: 1000
  retention: {keep: 3000}
  holds:
    - {from: 0, to: 99999999999999999999, reason: audit}
)");
  for (const auto& command : Commands(policy)) {
    RunResult r = RunPgpart(command, {}, seconds(30));
    EXPECT_EQ(r.exit_code, 1) << command[0] << ": " << r.err;
    EXPECT_NE(r.err.find(policy + ":9:21: error: spec.holds[0].to: '99999999999999999999' is out "
                                  "of range"),
              std::string::npos)
        << command[0] << ": " << r.err;
  }
}

// SOURCE_DATE_EPOCH that is no usable number of seconds is ignored (the wall clock), not
// multiplied past int64.
TEST_F(E2eHostilePolicyTest, UnusableSourceDateEpochIsIgnored) {
  const std::string policy = dir_ + "/p.yaml";
  WriteFile(policy, kPolicy);
  for (const std::string epoch : {"99999999999999999999", "9223372036854775807", "-5", "soon"}) {
    RunResult r = RunPgpart(
        {"plan", "-f", policy, "--catalog", snapshot_, "--at", kAt, "--format", "json"},
        {{"SOURCE_DATE_EPOCH", epoch}});
    ASSERT_NE(r.exit_code, 1) << epoch << ": " << r.err;
    const std::string at = nlohmann::json::parse(r.out).at("generated_at").get<std::string>();
    EXPECT_EQ(at.rfind("20", 0), 0u) << epoch << ": " << at;
  }
}

// --at "" meant "not given" (the catalog's clock): an empty value is refused like any bad one.
TEST_F(E2eHostilePolicyTest, EmptyAtIsRefused) {
  const std::string policy = dir_ + "/p.yaml";
  WriteFile(policy, kPolicy);
  nlohmann::json snapshot = nlohmann::json::parse(ReadFile(snapshot_));
  snapshot["now_micros"] = 1'795'000'000'000'000;  // a clock to fall back on
  const std::string clocked = dir_ + "/snapshot.json";
  WriteFile(clocked, snapshot.dump());
  for (const auto& command : std::vector<std::vector<std::string>>{
           {"plan", "-f", policy, "--catalog", clocked, "--at", ""},
           {"status", "-f", policy, "--catalog", clocked, "--at", ""},
           {"forecast", "-f", policy, "--catalog", clocked, "--at", "", "--until", "2027-01-01"},
           {"apply", "-f", policy, "--dsn", ServerDsn(), "--at", ""}}) {
    RunResult r = RunPgpart(command);
    EXPECT_EQ(r.exit_code, 1) << command[0] << ": " << r.out;
    EXPECT_NE(r.err.find("--at: must not be empty"), std::string::npos) << command[0] << r.err;
  }
}

}  // namespace
}  // namespace pgpart::e2e
