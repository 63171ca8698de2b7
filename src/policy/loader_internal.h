#pragma once
// Internal to policy/: the stages of loading shared by loader.cc and policy_parser.cc.

#include <string>
#include <vector>

#include "core/diagnostic.h"
#include "policy/loader.h"
#include "policy/policy.h"

namespace pgpart::policy_internal {

inline constexpr char kApiVersion[] = "pgpart.io/v1alpha1";
inline constexpr char kKind[] = "PartitionPolicy";

// One YAML document. `valid` is false when the document itself had errors; the policy may then
// be incomplete and is only used for set-level checks of the fields that did parse.
struct ParsedDocument {
  Policy policy;
  bool valid = true;
};

// Parses every document of one YAML text, appending diagnostics. Empty documents are skipped;
// a YAML syntax error yields one diagnostic and no documents from that text.
std::vector<ParsedDocument> ParseDocuments(const std::string& yaml_text, const std::string& file,
                                           Diagnostics* diagnostics);

// Set-level checks (duplicate names, tables claimed twice), LintPolicies on the valid policies,
// then sorts policies by name and diagnostics by file, line and column.
PolicySet FinishSet(std::vector<ParsedDocument> documents, Diagnostics diagnostics,
                    std::vector<std::string> files);

// Reads spec.convert into policy->convert, recording its keys' locations (convert_fields.cc).
struct Field;
class YamlContext;
void ParseConvertField(YamlContext& ctx, const Field& field, Policy* policy);

// Checks a DNS-1123 label: lowercase alphanumerics and '-', alphanumeric at both ends, <= 63.
bool IsDnsLabel(const std::string& name);

}  // namespace pgpart::policy_internal
