#pragma once
// Shared plumbing of the subcommands: DSN resolution, loading policies and catalogs, output.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/diagnostic.h"
#include "plan/plan.h"
#include "plan/status.h"
#include "policy/loader.h"
#include "policy/policy.h"

namespace pgpart::cli {

// The flags every command that reads policies and a catalog shares: -f (required), --dsn,
// --catalog (a snapshot; excludes --dsn) and --at, with each command's own help for the last two.
struct SourceFlags {
  std::vector<std::string>* files;
  std::string* dsn;
  std::string* catalog;
  std::string* at;
};
void AddSourceOptions(CLI::App* cmd, SourceFlags flags, const std::string& catalog_help,
                      const std::string& at_help);

// For options whose empty value would silently mean "not given" (--at ""): refused instead.
const CLI::Validator& NotEmpty();

// The instant to plan for: --at (ISO 8601, UTC unless an offset is given), else the catalog's
// clock in whole seconds. False (after printing why) when --at is malformed or there is no clock.
bool ResolveNow(const std::string& at_flag, const Catalog& catalog, int64_t* now);

// Exit codes (README: Exit codes).
constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitChanges = 2;

// --dsn, else $PGPART_DSN, else "" (libpq then uses the PG* environment variables).
std::string ResolveDsn(const std::string& flag);

// Asks `question` on the terminal; true only for "yes". Without a terminal on stdin: false,
// saying that --auto-approve is needed to `verb` ("apply"); `what` names what was cancelled.
bool Confirm(const std::string& verb, const std::string& question, const std::string& what);

// Prints diagnostics to stderr, one per line; returns true if any is an error.
bool ReportDiagnostics(const Diagnostics& diagnostics);

// Reads a catalog: from a snapshot file when `snapshot_path` is set, else from the database. When
// policies are given, only their tables are read, with their grids (default-partition counts by
// period). `history`: also read that audit table (ReadOptions::history; a snapshot carries what
// it was taken with). False (after printing why) on failure.
bool LoadCatalog(const std::string& snapshot_path, const std::string& dsn,
                 const std::vector<Policy>* policies, Catalog* catalog,
                 const QualifiedName* history = nullptr);

// --audit-table SCHEMA.TABLE (default pgpart.history) on `cmd`, checked to be a valid name.
void AddAuditTableOption(CLI::App* cmd, std::string* audit_table, const std::string& help);
// The parsed --audit-table value (already validated by the option).
QualifiedName AuditTableOf(const std::string& audit_table);

// `status` and `report`: the --retention-grace flag, and the other flags those two share.
void AddStatusOptions(CLI::App* cmd, std::string* retention_grace);
// The StatusOptions of --retention-grace (a duration, e.g. 1d, 12h, 0). False (after printing
// why) when malformed.
bool ResolveStatusOptions(const std::string& retention_grace, StatusOptions* options);

// Writes text to `path` ("-" or empty: stdout) with WriteOutputFile (cli/output_file.h): a
// regular file is replaced whole, a device, FIFO or symlink is written through, never replaced.
// False (after printing why) on failure.
bool WriteOutput(const std::string& path, const std::string& text);

// The most ReadFile reads: a snapshot of 1,000 tables x 42 partitions is ~24 MB.
inline constexpr size_t kMaxInputFileBytes = size_t{512} << 20;

// Reads a whole file (a regular file, a pipe, /dev/stdin). False (after printing why) on failure,
// and for a file or stream longer than kMaxInputFileBytes.
bool ReadFile(const std::string& path, std::string* text);

// What `plan` and `apply` plan from.
struct PlanInputs {
  std::vector<std::string> files;
  std::string dsn;      // resolved (ResolveDsn)
  std::string catalog;  // snapshot file instead of the database
  std::string at;       // ISO 8601; empty = the database's (or snapshot's) clock
  std::optional<int> max_drops;
  // Execution overrides applied to every policy before planning (apply's flags).
  std::optional<int64_t> lock_timeout_ms, statement_timeout_ms;
  std::optional<int> retries;
};

// Loads the policies, reads the catalog and computes the plan (with generated_at and the policy
// sources filled in). Planning diagnostics stay on the plan. False (after printing why) when the
// policies or the catalog cannot be read.
bool MakePlan(const PlanInputs& inputs, PolicySet* policies, Plan* plan);

// The pull-request view: plans `in.files` (head) and `base_files` (base; empty = no policies)
// against ONE catalog read (the tables of both) at ONE clock, and returns DiffPlans(base, head)
// with the head's policy sources. Base planning diagnostics are printed as warnings. False (after
// printing why) when either policy set or the catalog cannot be read.
bool MakeDiffPlan(const PlanInputs& in, const std::vector<std::string>& base_files,
                  PolicySet* policies, Plan* plan);

// The policies a saved plan carries (its policy_sources), checked against its policy_hash.
bool PoliciesFromPlan(const Plan& plan, PolicySet* policies);

// The wall clock for `generated_at`, or $SOURCE_DATE_EPOCH when set (reproducible output).
int64_t GeneratedAtMicros();

}  // namespace pgpart::cli
