#pragma once
// Loading and validating PartitionPolicy YAML (yaml-cpp). Errors are diagnostics, never thrown.

#include <string>
#include <vector>

#include "core/diagnostic.h"
#include "policy/policy.h"

namespace pgpart {

struct PolicySet {
  // In a stable order: by metadata.name. Only documents without schema errors are here (a
  // document with errors is left out rather than half-loaded); lint errors do not remove a
  // policy. Callers must check HasErrors(diagnostics) before using the set.
  std::vector<Policy> policies;
  Diagnostics diagnostics;         // errors and warnings from loading and validation
  std::vector<std::string> files;  // the files read, sorted
};

// Parses every document of one YAML text. `file` is used in diagnostics only. Runs the same
// checks as LoadPolicies (set-level checks over this text's documents, LintPolicies).
PolicySet ParsePolicies(const std::string& yaml_text, const std::string& file);

// Loads files and folders (folders: every *.yaml / *.yml inside, recursively, sorted), parses
// them, and validates the whole set: schema (unknown keys are errors), units, time zones, naming
// templates, duplicate policy names, two policies claiming one table (reported at the second
// claim, in sorted file order), then LintPolicies. Every problem is collected; diagnostics are
// sorted by file, line, column. A missing path or a folder without YAML is an error.
PolicySet LoadPolicies(const std::vector<std::string>& paths);

// Checks that need no database but more thought than the schema (used by `pgpart lint` and by
// plan): retention shorter than premake, holds naming nothing the template can produce, template
// collisions (two periods mapping to one name), generated names over 63 bytes, template fields
// that do not fit the unit, {parent} missing with several tables in one schema. Warnings: hourly
// names repeating when DST ends (timestamptz keys), integer names that outgrow 63 bytes for long
// bounds, a backup gate without retention.
Diagnostics LintPolicies(const std::vector<Policy>& policies);

// Checks that depend on the clock (`pgpart lint`; plan and apply say the same in the plan's notes,
// at their own clock): a `start` older than retention.keep (time intervals; integer keys have no
// clock), whose periods are past retention and not created.
Diagnostics LintAtClock(const std::vector<Policy>& policies, int64_t now_utc_micros);

}  // namespace pgpart
