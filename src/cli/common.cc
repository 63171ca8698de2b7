#include "cli/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

#include "apply/executor.h"
#include "catalog/reader.h"
#include "catalog/snapshot.h"
#include "cli/output_file.h"
#include "core/calendar.h"
#include "core/duration.h"
#include "core/file_read.h"
#include "core/time_text.h"
#include "core/utf8.h"
#include "plan/diff.h"
#include "plan/planner.h"

namespace pgpart::cli {

std::string ResolveDsn(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("PGPART_DSN"); env != nullptr) return env;
  return "";
}

bool ReportDiagnostics(const Diagnostics& diagnostics) {
  for (const Diagnostic& d : diagnostics) std::cerr << EscapeControls(d.Format()) << "\n";
  return HasErrors(diagnostics);
}

// One read(2) into a string of the file's size (issue 16: a stream copy in 8 KiB pieces took twice
// as long for a 2 MB snapshot); a pipe or /dev/stdin has no size and is read until EOF. A snapshot
// or a saved plan is input: one that never ends (--catalog /dev/zero, a pipe that keeps writing)
// must not take all memory. A snapshot of 1,000 tables x 42 is ~24 MB.
bool ReadFile(const std::string& path, std::string* text) {
  auto too_large = [&] {
    std::cerr << "error: " << path << " is larger than " << (kMaxInputFileBytes >> 20)
              << " MiB; a catalog snapshot or a saved plan is far smaller\n";
    return false;
  };
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) > kMaxInputFileBytes) {
    return too_large();  // without reading it first
  }
  std::string out;
  if (const int error = ReadFileUpTo(path, kMaxInputFileBytes + 1, &out)) {
    std::cerr << "error: cannot read " << path << ": " << std::strerror(error) << "\n";
    return false;
  }
  if (out.size() > kMaxInputFileBytes) return too_large();
  *text = std::move(out);
  return true;
}

bool WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return true;
  }
  std::string error;
  if (!WriteOutputFile(path, text, &error)) {
    std::cerr << "error: " << error << "\n";
    return false;
  }
  return true;
}

bool LoadCatalog(const std::string& snapshot_path, const std::string& dsn,
                 const std::vector<Policy>* policies, Catalog* catalog,
                 const QualifiedName* history) {
  if (!snapshot_path.empty()) {
    std::string text, error;
    if (!ReadFile(snapshot_path, &text)) return false;
    if (!CatalogFromJson(text, catalog, &error)) {
      std::cerr << "error: " << snapshot_path << ": " << error << "\n";
      return false;
    }
    return true;
  }
  const std::vector<TableRequest> requests =
      policies != nullptr ? CatalogRequests(*policies) : std::vector<TableRequest>{};
  ReadOptions options;
  options.history = history != nullptr;
  if (history != nullptr) options.history_table = *history;
  ReadResult result = ReadCatalog(dsn, requests, options);
  if (ReportDiagnostics(result.diagnostics)) return false;
  *catalog = std::move(result.catalog);
  return true;
}

void AddSourceOptions(CLI::App* cmd, SourceFlags flags, const std::string& catalog_help,
                      const std::string& at_help) {
  cmd->add_option("-f,--file", *flags.files, "Policy file or folder (all *.yaml|*.yml inside)")
      ->required()
      ->check(CLI::ExistingPath);
  auto* dsn = cmd->add_option("--dsn", *flags.dsn,
                              "libpq connection string (default: $PGPART_DSN, then PG* variables)");
  cmd->add_option("--catalog", *flags.catalog, catalog_help)
      ->check(CLI::ExistingFile)
      ->excludes(dsn);
  cmd->add_option("--at", *flags.at, at_help)->check(NotEmpty());
}

void AddAuditTableOption(CLI::App* cmd, std::string* audit_table, const std::string& help) {
  cmd->add_option("--audit-table", *audit_table, help + " (default pgpart.history)")
      ->check(CLI::Validator(
          [](std::string& value) {
            std::string error;
            return ParseQualifiedName(value, &error) ? std::string() : error;
          },
          "SCHEMA.TABLE"));
}

QualifiedName AuditTableOf(const std::string& audit_table) {
  std::string error;
  std::optional<QualifiedName> name = ParseQualifiedName(audit_table, &error);
  return name ? *name : QualifiedName{"pgpart", "history"};
}

const CLI::Validator& NotEmpty() {
  static const CLI::Validator validator(
      [](std::string& value) {
        return value.empty() ? std::string("must not be empty (leave the option out instead)")
                             : std::string();
      },
      "NOT EMPTY");
  return validator;
}

void AddStatusOptions(CLI::App* cmd, std::string* retention_grace) {
  cmd->add_option("--retention-grace", *retention_grace,
                  "A partition whose retention has been due for longer than this (and that no "
                  "hold keeps) is a warning: maintenance is not keeping up (default 1d; e.g. "
                  "12h, 3d, 0)");
}

bool ResolveStatusOptions(const std::string& retention_grace, StatusOptions* options) {
  std::optional<int64_t> ms = ParseDurationMs(retention_grace);
  if (!ms || *ms < 0) {
    std::cerr << "error: --retention-grace '" << retention_grace
              << "' is not a duration (e.g. 1d, 12h, 30m, 0)\n";
    return false;
  }
  options->retention_grace_micros = *ms * 1000;
  return true;
}

bool ResolveNow(const std::string& at_flag, const Catalog& catalog, int64_t* now) {
  if (!at_flag.empty()) {
    auto at = ParseInstant(at_flag, FindZone("UTC"));
    if (!at) {
      std::cerr << "error: --at '" << at_flag
                << "' is not an ISO 8601 date or timestamp (e.g. 2026-11-21T12:00:00Z)\n";
      return false;
    }
    *now = *at;
  } else if (catalog.now_micros) {
    // Whole seconds: the plan's `at` stays readable and a re-plan in the same second matches.
    *now = *catalog.now_micros / 1'000'000 * 1'000'000;
  } else {
    std::cerr << "error: the snapshot records no clock; pass --at\n";
    return false;
  }
  return true;
}

namespace {

// Loads policies and applies the execution overrides. False (after printing why) on errors.
bool LoadWithOverrides(const std::vector<std::string>& files, const PlanInputs& in,
                       PolicySet* set) {
  *set = LoadPolicies(files);
  if (ReportDiagnostics(set->diagnostics)) return false;
  for (Policy& p : set->policies) {
    if (in.lock_timeout_ms) p.execution.lock_timeout_ms = *in.lock_timeout_ms;
    if (in.statement_timeout_ms) p.execution.statement_timeout_ms = *in.statement_timeout_ms;
    if (in.retries) p.execution.retries = *in.retries;
  }
  return true;
}

// Plans one policy set and fills generated_at and the policy sources.
bool PlanWith(const PolicySet& set, const Catalog& catalog, int64_t now, const PlanInputs& in,
              Plan* plan) {
  PlanOptions options;
  options.max_drops = in.max_drops;
  *plan = ComputePlan(set.policies, catalog, now, options);
  plan->generated_at = InstantText(GeneratedAtMicros());
  for (const std::string& file : set.files) {
    std::string text;
    if (!ReadFile(file, &text)) return false;
    plan->policy_sources.push_back(PolicySource{file, std::move(text)});
  }
  return true;
}

}  // namespace

bool MakePlan(const PlanInputs& in, PolicySet* set, Plan* plan) {
  if (!LoadWithOverrides(in.files, in, set)) return false;
  Catalog catalog;
  if (!LoadCatalog(in.catalog, in.dsn, &set->policies, &catalog)) return false;
  int64_t now = 0;
  if (!ResolveNow(in.at, catalog, &now)) return false;
  return PlanWith(*set, catalog, now, in, plan);
}

bool MakeDiffPlan(const PlanInputs& in, const std::vector<std::string>& base_files, PolicySet* set,
                  Plan* plan) {
  if (!LoadWithOverrides(in.files, in, set)) return false;
  PolicySet base_set;
  if (!base_files.empty() && !LoadWithOverrides(base_files, in, &base_set)) {
    std::cerr << "error: the base policies cannot be read\n";
    return false;
  }
  std::vector<Policy> all = set->policies;
  all.insert(all.end(), base_set.policies.begin(), base_set.policies.end());
  Catalog catalog;
  if (!LoadCatalog(in.catalog, in.dsn, &all, &catalog)) return false;
  int64_t now = 0;
  if (!ResolveNow(in.at, catalog, &now)) return false;
  Plan head, base;
  if (!PlanWith(*set, catalog, now, in, &head)) return false;
  if (!PlanWith(base_set, catalog, now, in, &base)) return false;
  for (const Diagnostic& d : base.diagnostics) {
    std::cerr << "base policies: " << EscapeControls(d.Format()) << "\n";
  }
  *plan = DiffPlans(base, head);
  return true;
}

bool PoliciesFromPlan(const Plan& plan, PolicySet* set) {
  *set = PolicySet{};
  for (const PolicySource& src : plan.policy_sources) {
    PolicySet one = ParsePolicies(src.text, src.file);
    set->policies.insert(set->policies.end(), one.policies.begin(), one.policies.end());
    set->diagnostics.insert(set->diagnostics.end(), one.diagnostics.begin(), one.diagnostics.end());
    set->files.push_back(src.file);
  }
  if (ReportDiagnostics(set->diagnostics)) return false;
  std::sort(set->policies.begin(), set->policies.end(),
            [](const Policy& a, const Policy& b) { return a.name < b.name; });
  if (PolicyHash(set->policies) != plan.policy_hash) {
    std::cerr << "error: the policies stored in the plan do not match its policy_hash (was the "
                 "plan edited?)\n";
    return false;
  }
  return true;
}

int64_t GeneratedAtMicros() {
  // Seconds since 1970 (reproducible-builds.org); anything else (not a number, negative, beyond
  // what microseconds hold) is ignored rather than overflowed.
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch) {
    std::optional<int64_t> seconds = internal::ParseInt64(epoch);
    if (seconds && *seconds >= 0 && *seconds <= INT64_MAX / 1'000'000) {
      return *seconds * 1'000'000;
    }
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Confirm(const std::string& verb, const std::string& question, const std::string& what) {
  if (!isatty(STDIN_FILENO)) {
    std::cerr << "error: refusing to " << verb
              << " without confirmation: standard input is not a terminal (pass "
                 "--auto-approve)\n";
    return false;
  }
  std::cout << "\n" << question << " Only 'yes' will be accepted: " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "yes") {
    std::cout << what << " cancelled.\n";
    return false;
  }
  return true;
}

}  // namespace pgpart::cli
