// `pgpart plan`: policies + catalog + clock -> the plan, rendered; changes nothing.

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <system_error>

#include "apply/process.h"
#include "catalog/catalog.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/gate_checks.h"
#include "core/calendar.h"
#include "plan/planner.h"
#include "plan/select.h"
#include "policy/loader.h"
#include "render/render.h"

namespace pgpart::cli {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kGitTimeoutMs = 60'000;

// Runs git; false (after printing why) unless it exits 0.
bool Git(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv = {"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = RunProcess(argv, {}, kGitTimeoutMs);
  std::string shown = "git";
  for (const std::string& a : args) shown += " " + a;
  if (!r.started || r.timed_out || r.signaled || r.exit_code != 0) {
    std::cerr << "error: " << shown << " failed: " << (r.timed_out ? "timed out" : r.error)
              << (r.error.ends_with("\n") ? "" : "\n");
    return false;
  }
  if (r.truncated) {
    std::cerr << "error: " << shown << ": output too large\n";
    return false;
  }
  *out = std::move(r.output);
  return true;
}

// A temporary folder removed (with its contents) when this goes out of scope.
class TempDir {
 public:
  bool Create() {
    std::error_code ec;
    std::string pattern = (fs::temp_directory_path(ec) / "pgpart-base-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "error: cannot create a temporary folder\n";
      return false;
    }
    path_ = pattern;
    return true;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Writes the policy paths given with -f as they are at git `ref` under `dir` (same layout,
// relative to the repository root) and returns the paths to load as the base policies. A path
// that does not exist at `ref` (new in the change) is left out. False (after printing why) when
// git fails (not a repository, unknown ref...).
bool MaterializeAtRef(const std::vector<std::string>& files, const std::string& ref,
                      const fs::path& dir, std::vector<std::string>* base_files) {
  std::string top;
  if (!Git({"rev-parse", "--show-toplevel"}, &top)) return false;
  while (!top.empty() && (top.back() == '\n' || top.back() == '\r')) top.pop_back();
  std::string ignored;
  if (!Git({"-C", top, "rev-parse", "--verify", "--quiet", ref + "^{commit}"}, &ignored)) {
    std::cerr << "error: --base '" << ref << "' is not a commit in " << top << "\n";
    return false;
  }
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(top, ec);
  for (const std::string& file : files) {
    const fs::path rel = fs::weakly_canonical(fs::absolute(file), ec).lexically_relative(root);
    if (rel.empty() || *rel.begin() == "..") {
      std::cerr << "error: --base: " << file << " is outside the git repository " << top << "\n";
      return false;
    }
    std::string listing;
    if (!Git({"-C", top, "ls-tree", "-r", "-z", "--name-only", "--full-tree", ref, "--",
              rel.generic_string()},
             &listing)) {
      return false;
    }
    bool any = false;
    size_t start = 0;
    while (start < listing.size()) {
      size_t end = listing.find('\0', start);
      if (end == std::string::npos) end = listing.size();
      const std::string name = listing.substr(start, end - start);
      start = end + 1;
      if (name.empty()) continue;
      std::string text;
      if (!Git({"-C", top, "show", ref + ":" + name}, &text)) return false;
      const fs::path target = dir / name;
      fs::create_directories(target.parent_path(), ec);
      std::ofstream out(target, std::ios::binary | std::ios::trunc);
      out << text;
      if (!out.flush()) {
        std::cerr << "error: cannot write " << target.string() << "\n";
        return false;
      }
      any = true;
    }
    if (any) base_files->push_back((dir / rel).string());
  }
  return true;
}

}  // namespace

CLI::App* AddPlanCommand(CLI::App& app, PlanArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "plan", "Show the steps that would bring the database to the policies (changes nothing)");
  AddSourceOptions(cmd, {&args.files, &args.dsn, &args.catalog, &args.at},
                   "Plan offline from a `pgpart snapshot` file instead of a database",
                   "Plan as if the clock were here (ISO 8601, e.g. 2026-11-21T12:00:00Z); default: "
                   "the database's now() (a snapshot's: when it was taken)");
  cmd->add_option("--format", args.format, "Output format")
      ->check(CLI::IsMember({"text", "json", "sql", "markdown"}));
  cmd->add_option("--comment-id", args.comment_id,
                  "With --format markdown: the id in the hidden marker line "
                  "(<!-- pgpart plan: ID -->) a CI job finds its earlier comment by")
      ->capture_default_str();
  auto* base_dir =
      cmd->add_option("--base-policies", args.base_policies,
                      "Show only what the policies change compared with these (file or folder): "
                      "steps they add and steps they remove, on the same catalog and clock")
          ->check(CLI::ExistingPath);
  cmd->add_option("--base", args.base_ref,
                  "Like --base-policies, with the -f paths as they are at this git ref (e.g. "
                  "origin/main)")
      ->excludes(base_dir);
  cmd->add_option("-o,--out", args.output,
                  "Write the plan to FILE (JSON when FILE ends in .json and no --format); the "
                  "whole plan is still printed as text on stdout");
  cmd->add_flag("--detailed-exitcode", args.detailed_exitcode,
                "Exit 0 when there are no changes, 2 when there are, 1 on error");
  cmd->add_option("--max-drops", args.max_drops,
                  "Drop at most N partitions per table in this run (overrides maxDropsPerRun)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--color,!--no-color", args.color, "Colour the text output");
  AddCheckGatesFlag(cmd, &args.check_gates);
  cmd->add_option("--only", args.only,
                  "Only steps of these kinds: premake, retention, drain (repeatable or "
                  "comma-separated); the others are listed as left out")
      ->excludes("--base-policies")
      ->excludes("--base");
  return cmd;
}

int RunPlan(const PlanArgs& args) {
  if (args.check_gates && !args.catalog.empty()) {
    std::cerr << "error: --check-gates runs the backup gates against the database; it cannot go "
                 "with --catalog\n";
    return kExitError;
  }
  PlanInputs inputs;
  inputs.files = args.files;
  inputs.dsn = ResolveDsn(args.dsn);
  inputs.catalog = args.catalog;
  inputs.at = args.at;
  if (args.max_drops >= 0) inputs.max_drops = args.max_drops;
  PolicySet set;
  Plan plan;
  if (!args.base_policies.empty()) {
    if (!MakeDiffPlan(inputs, {args.base_policies}, &set, &plan)) return kExitError;
  } else if (!args.base_ref.empty()) {
    TempDir dir;
    std::vector<std::string> base_files;
    if (!dir.Create() || !MaterializeAtRef(args.files, args.base_ref, dir.path(), &base_files)) {
      return kExitError;
    }
    if (!MakeDiffPlan(inputs, base_files, &set, &plan)) return kExitError;
  } else if (!MakePlan(inputs, &set, &plan)) {
    return kExitError;
  }
  std::set<StepKind> only;
  if (std::string error; !ParseStepKinds(args.only, &only, &error)) {
    std::cerr << "error: " << error << "\n";
    return kExitError;
  }
  SelectStepKinds(&plan, only);
  if (args.check_gates && !CheckPlanGates(inputs.dsn, set.policies, &plan)) return kExitError;

  std::string format = args.format;
  if (format.empty()) {
    format = args.output.size() > 5 && args.output.ends_with(".json") ? "json" : "text";
  }
  const bool color = args.color && args.output.empty() && isatty(STDOUT_FILENO);
  auto render = [&](const std::string& f) {
    if (f == "json") return RenderJson(plan);
    if (f == "sql") return RenderSql(plan);
    if (f == "markdown") return RenderMarkdown(plan, MarkdownOptions{args.comment_id});
    return RenderText(plan, TextOptions{color});
  };
  if (!args.output.empty()) {
    if (!WriteOutput(args.output, render(format))) return kExitError;
    if (plan.database.oid == 0) {
      std::cerr << "warning: the snapshot does not record which database it was taken of (an "
                   "older pgpart took it): `apply --plan` will refuse this plan\n";
    }
    std::cout << RenderText(plan, TextOptions{color});
    std::cout << "Saved the plan to " << args.output << ".\n";
  } else {
    if (!WriteOutput("-", render(format))) return kExitError;
  }
  if (HasErrors(plan.diagnostics)) {
    if (format != "text" || !args.output.empty()) ReportDiagnostics(plan.diagnostics);
    return kExitError;
  }
  // A diff is a change when it adds or removes any step (a hold added or lifted included).
  const bool changes =
      plan.is_diff ? !plan.steps.empty() || !plan.removed_steps.empty() : plan.HasChanges();
  if (args.detailed_exitcode && changes) return kExitChanges;
  return kExitOk;
}

}  // namespace pgpart::cli
