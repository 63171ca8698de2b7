// The CI examples (docs/ci/*.yml) cannot rot: both files must parse, and every `pgpart ...` line
// of their `run:` / `script:` blocks is run, in document order, through sh (so `$VARS` expand as
// on a runner) against a fresh scratch database in the sandbox PostgreSQL, in a git repository
// whose pull-request branch shortens a retention.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "../cli/cli_fixture.h"

namespace pgpart::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// Shell lines that run pgpart, from every `run` / `script` / `before_script` value (a string or
// a list of strings), in document order. A trailing backslash continues a line.
void CollectCommands(const YAML::Node& node, const std::string& key, std::vector<std::string>* out) {
  const bool is_script = key == "run" || key == "script" || key == "before_script";
  if (node.IsScalar() && is_script) {
    std::istringstream lines(node.as<std::string>());
    std::string line, pending;
    while (std::getline(lines, line)) {
      line.erase(0, line.find_first_not_of(" \t"));
      if (!pending.empty()) {
        line = pending + " " + line;
        pending.clear();
      }
      if (!line.empty() && line.back() == '\\') {
        pending = line.substr(0, line.size() - 1);
        continue;
      }
      if (line.rfind("pgpart ", 0) == 0) out->push_back(line);
    }
  } else if (node.IsSequence()) {
    for (const YAML::Node& item : node) CollectCommands(item, key, out);
  } else if (node.IsMap()) {
    for (const auto& kv : node) CollectCommands(kv.second, kv.first.as<std::string>(), out);
  }
}

std::vector<std::string> CommandsOf(const std::string& relative) {
  std::vector<std::string> commands;
  try {
    YAML::Node doc = YAML::LoadFile(SourcePath(relative));
    EXPECT_TRUE(doc.IsMap()) << relative;
    CollectCommands(doc, "", &commands);
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << relative << " is not valid YAML: " << e.what();
  }
  return commands;
}

std::string Policy(const std::string& keep) {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: metrics}\n"
         "spec:\n  tables: [public.metrics]\n  column: at\n  interval: 1 month\n  premake: 3\n"
         "  retention: {keep: " + keep + "}\n";
}

// public.metrics: monthly partitions from 30 months ago to 3 months ahead of the server's clock.
constexpr const char* kMetricsSql = R"sql(
CREATE TABLE public.metrics (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
DO $$
DECLARE m timestamptz;
BEGIN
  SET LOCAL TIME ZONE 'UTC';
  FOR i IN -30..3 LOOP
    m := date_trunc('month', now()) + make_interval(months => i);
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.metrics FOR VALUES FROM (%L) TO (%L)',
                   to_char(m, '"metrics_y"YYYY"m"MM'), m, m + interval '1 month');
  END LOOP;
END $$;
)sql";

class CiExamplesTest : public ::testing::TestWithParam<const char*> {
 protected:
  // A git repository: policies/ committed as origin/main (keep 24 months), then the pull-request
  // branch `change` checked out with keep 12 months.
  void MakeRepository() {
    repo_ = TestDir() + "/repo";
    fs::create_directories(repo_ + "/policies");
    WriteFile(repo_ + "/policies/metrics.yaml", Policy("24 months"));
    Git({"init", "-q"});
    Git({"add", "policies"});
    Git({"commit", "-q", "-m", "base"});
    Git({"update-ref", "refs/remotes/origin/main", "HEAD"});
    Git({"checkout", "-q", "-b", "change"});
    WriteFile(repo_ + "/policies/metrics.yaml", Policy("12 months"));
    Git({"commit", "-q", "-am", "keep a year"});
  }
  void Git(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"git", "-C", repo_, "-c", "user.name=ci", "-c",
                                     "user.email=ci@example.com", "-c", "commit.gpgsign=false"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = RunProgram(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string repo_;
};

TEST_P(CiExamplesTest, ExampleCommandsRunAgainstTheSandbox) {
  const std::vector<std::string> commands = CommandsOf(GetParam());
  ASSERT_FALSE(commands.empty());
  // The example covers the whole workflow.
  auto has = [&](const std::string& needle) {
    for (const std::string& c : commands) {
      if (c.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("pgpart lint "));
  EXPECT_TRUE(has("--format markdown --comment-id"));
  EXPECT_TRUE(has("--base "));
  EXPECT_TRUE(has("-o plan.json"));
  EXPECT_TRUE(has("pgpart apply --plan plan.json --auto-approve"));

  ScratchDatabase db;
  ASSERT_NO_FATAL_FAILURE(db.Exec(kMetricsSql));
  auto name_at = [&](int months) {
    return db.Scalar("SELECT to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + "
                     "make_interval(months => " + std::to_string(months) +
                     "), '\"metrics_y\"YYYY\"m\"MM')");
  };
  const std::string old_drop = name_at(-30);  // dropped by the base policy too: not new
  const std::string new_drop = name_at(-18);  // dropped only since the change
  const std::string kept = name_at(-6);
  ASSERT_NO_FATAL_FAILURE(MakeRepository());

  // `pgpart` on PATH, as on a runner.
  const std::string bin = TestDir() + "/bin";
  fs::create_directories(bin);
  fs::create_symlink(PGPART_BINARY, bin + "/pgpart");
  const char* path = std::getenv("PATH");
  const EnvChanges env = {{"PATH", bin + ":" + (path ? path : "/usr/bin:/bin")},
                          {"PGPART_DSN", db.dsn()},
                          {"PGPART_READONLY_DSN", db.dsn()},
                          {"DB", "orders-prod"},
                          {"BASE_REF", "main"},
                          {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"}};
  bool saw_review = false;
  for (const std::string& command : commands) {
    SCOPED_TRACE(command);
    RunResult r = RunProgram({"sh", "-c", "cd '" + repo_ + "' && " + command}, env);
    ASSERT_EQ(r.exit_code, 0) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;
    if (command.find("--base ") != std::string::npos) {
      saw_review = true;
      // The review shows what the change does: the new drops, not the drop both sides share.
      EXPECT_THAT(r.out, HasSubstr(new_drop));
      EXPECT_THAT(r.out, Not(HasSubstr(old_drop)));
      EXPECT_THAT(r.out, Not(HasSubstr(kept)));
      EXPECT_THAT(ReadFile(repo_ + "/plan.md"), HasSubstr("<!-- pgpart plan: orders-prod -->"));
    }
  }
  EXPECT_TRUE(saw_review);
  // The merge job applied the saved plan: the head policy's retention is in force.
  const std::string exists = "SELECT count(*) FROM pg_class WHERE relname = ";
  EXPECT_EQ(db.Scalar(exists + "'" + old_drop + "'"), "0");
  EXPECT_EQ(db.Scalar(exists + "'" + new_drop + "'"), "0");
  EXPECT_EQ(db.Scalar(exists + "'" + kept + "'"), "1");
}

// Issue 11 item 9: the snippet that finds the earlier plan comment must not take a look-alike
// that a pull-request author posted (the marker line is no secret). Both snippets run for real:
// the GitHub one in node with the Octokit calls stubbed, the GitLab one in sh with curl stubbed.
constexpr char kForgedBody[] = "<!-- pgpart plan: orders-prod -->\n### pgpart plan: no changes";
constexpr char kOwnBody[] = "<!-- pgpart plan: orders-prod -->\n### pgpart plan: 1 to drop";

// The comments of the pull request: the forged one first (when `with_own`, the CI's own second).
std::string GithubComments(bool with_own) {
  nlohmann::json comments = nlohmann::json::array();
  comments.push_back({{"id", 101},
                      {"user", {{"login", "mallory"}, {"type", "User"}}},
                      {"body", kForgedBody}});
  comments.push_back({{"id", 102},  // a bot, but not this workflow's
                      {"user", {{"login", "other-app[bot]"}, {"type", "Bot"}}},
                      {"body", kForgedBody}});
  if (with_own) {
    comments.push_back({{"id", 202},
                        {"user", {{"login", "github-actions[bot]"}, {"type", "Bot"}}},
                        {"body", kOwnBody}});
  }
  return comments.dump();
}

std::string GithubScript() {
  YAML::Node doc = YAML::LoadFile(SourcePath("docs/ci/github-actions.yml"));
  for (const auto& job : doc["jobs"]) {
    for (const YAML::Node& step : job.second["steps"]) {
      if (step["uses"] && step["uses"].as<std::string>().rfind("actions/github-script", 0) == 0) {
        return step["with"]["script"].as<std::string>();
      }
    }
  }
  return "";
}

// What the GitHub snippet does: "update <id>" or "create".
std::string RunGithubUpsert(const std::string& dir, bool with_own) {
  const std::string harness = R"js(
const calls = [];
const context = { repo: { owner: 'o', repo: 'r' }, issue: { number: 7 } };
const comments = JSON.parse(process.env.COMMENTS);
const github = {
  paginate: async (method, args) => comments,
  rest: { issues: {
    listComments: () => {},
    updateComment: async (a) => { calls.push('update ' + a.comment_id); },
    createComment: async (a) => { calls.push('create'); },
  } },
};
(async () => {
)js" + GithubScript() + R"js(
})().then(() => console.log(calls.join(',')), (e) => { console.error(e); process.exit(1); });
)js";
  WriteFile(dir + "/upsert.js", harness);
  WriteFile(dir + "/plan.md", kOwnBody);
  RunResult r = RunProgram({"sh", "-c", "cd '" + dir + "' && node upsert.js"},
                           {{"COMMENTS", GithubComments(with_own)}, {"DB", "orders-prod"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, r.out.find('\n'));
}

TEST(CiCommentMarker, GithubUpdatesOnlyItsOwnComment) {
  const std::string dir = TestDir();
  ASSERT_FALSE(GithubScript().empty());
  EXPECT_EQ(RunGithubUpsert(dir, true), "update 202");
  EXPECT_EQ(RunGithubUpsert(dir, false), "create");
}

std::string GitlabScript() {
  YAML::Node doc = YAML::LoadFile(SourcePath("docs/ci/gitlab-ci.yml"));
  for (const YAML::Node& item : doc["plan-note"]["script"]) {
    const std::string text = item.as<std::string>();
    if (text.find("marker=") != std::string::npos) return text;
  }
  return "";
}

// What the GitLab snippet does, curl replaced by a stub: "PUT <url>" or "POST <url>".
std::string RunGitlabUpsert(const std::string& dir, bool with_own) {
  nlohmann::json notes = nlohmann::json::array();
  notes.push_back({{"id", 101}, {"author", {{"id", 66}, {"username", "mallory"}}},
                   {"body", kForgedBody}});
  if (with_own) {
    notes.push_back({{"id", 202}, {"author", {{"id", 42}, {"username", "project_1_bot"}}},
                     {"body", kOwnBody}});
  }
  WriteFile(dir + "/notes.json", notes.dump());
  WriteFile(dir + "/user.json", R"({"id": 42, "username": "project_1_bot", "bot": true})");
  fs::create_directories(dir + "/stub");
  // curl: GET .../user and GET .../notes?... answer from the files; PUT/POST are recorded.
  WriteFile(dir + "/stub/curl", R"sh(#!/bin/sh
method=GET
for a in "$@"; do
  case "$prev" in -X) method=$a ;; esac
  prev=$a
  url=$a
done
case "$method $url" in
  "GET "*/user) cat "$STUB_DIR/user.json" ;;
  "GET "*/notes\?*) cat "$STUB_DIR/notes.json" ;;
  *) echo "$method $url" >> "$STUB_DIR/calls" ;;
esac
)sh");
  fs::permissions(dir + "/stub/curl", fs::perms::owner_all);
  fs::remove(dir + "/calls");
  WriteFile(dir + "/plan.md", kOwnBody);
  WriteFile(dir + "/note.sh", GitlabScript());
  const char* path = std::getenv("PATH");
  RunResult r = RunProgram({"sh", "-e", "-c", "cd '" + dir + "' && . ./note.sh"},
                           {{"PATH", dir + "/stub:" + (path ? path : "/usr/bin:/bin")},
                            {"STUB_DIR", dir},
                            {"DB", "orders-prod"},
                            {"CI_API_V4_URL", "https://gitlab.example/api/v4"},
                            {"CI_PROJECT_ID", "1"},
                            {"CI_MERGE_REQUEST_IID", "7"},
                            {"PGPART_NOTES_TOKEN", "t"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string calls = fs::exists(dir + "/calls") ? ReadFile(dir + "/calls") : "";
  return calls.substr(0, calls.find('\n'));
}

TEST(CiCommentMarker, GitlabUpdatesOnlyItsOwnNote) {
  const std::string dir = TestDir();
  ASSERT_FALSE(GitlabScript().empty());
  const std::string notes = "https://gitlab.example/api/v4/projects/1/merge_requests/7/notes";
  EXPECT_EQ(RunGitlabUpsert(dir, true), "PUT " + notes + "/202");
  EXPECT_EQ(RunGitlabUpsert(dir, false), "POST " + notes);
}

INSTANTIATE_TEST_SUITE_P(Examples, CiExamplesTest,
                         ::testing::Values("docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml"),
                         [](const auto& info) {
                           return std::string(info.index == 0 ? "GitHub" : "GitLab");
                         });

}  // namespace
}  // namespace pgpart::e2e
