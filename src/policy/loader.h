#pragma once
// Loading and validating PartitionPolicy YAML (yaml-cpp). Errors are diagnostics, never thrown.

#include <string>
#include <vector>

#include "core/diagnostic.h"
#include "policy/policy.h"

namespace pgpart {

struct PolicySet {
  std::vector<Policy> policies;  // in a stable order: by metadata.name
  Diagnostics diagnostics;       // errors and warnings from loading and validation
  std::vector<std::string> files;  // the files read, sorted
};

// Parses every document of one YAML text. `file` is used in diagnostics only.
PolicySet ParsePolicies(const std::string& yaml_text, const std::string& file);

// Loads files and folders (folders: every *.yaml / *.yml inside, recursively, sorted), parses
// them, and validates the whole set: schema (unknown keys are errors), units, time zones, naming
// templates, names over 63 bytes, duplicate policy names, two policies claiming one table, etc.
PolicySet LoadPolicies(const std::vector<std::string>& paths);

// Checks that need no database but more thought than the schema (used by `pgpart lint` and by
// plan): retention shorter than premake, holds naming nothing the template can produce, template
// collisions (two periods mapping to one name), generated names over 63 bytes.
Diagnostics LintPolicies(const std::vector<Policy>& policies);

}  // namespace pgpart
