#pragma once
// The keys a PartitionPolicy document may hold, mapping by mapping: the lists the loader checks
// every key against (any other key is an error), and the one place they are written down.
// docs/policy.md documents exactly these keys; tests/policy/policy_keys_test.cc compares the two
// both ways, and the CRD's spec schema with them.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgpart {

// A mapping of the document and the keys allowed in it.
struct PolicyMapping {
  // YAML path of the mapping: "" is the document itself; a list's elements are written "[]"
  // ("spec.holds[]"), as docs/policy.md writes them.
  std::string_view path;
  std::span<const std::string_view> keys;
};

namespace policy_keys {

inline constexpr std::string_view kDocument[] = {"apiVersion", "kind", "metadata", "spec",
                                                 "status"};
inline constexpr std::string_view kMetadata[] = {"name", "namespace", "labels", "annotations"};
inline constexpr std::string_view kSpec[] = {
    "tables",    "strategy", "column",  "interval",  "timeZone", "premake",    "start",
    "naming",    "defaultPartition",    "retention", "holds",    "backupGate", "modulus",
    "execution", "databaseRef",         "mode",      "suspend",  "privileges", "adopt",
    "convert"};
inline constexpr std::string_view kRetention[] = {"keep", "action", "archiveSchema",
                                                  "maxDropsPerRun", "dropDetachedAfter"};
inline constexpr std::string_view kHold[] = {"partition", "from", "to", "reason", "until"};
inline constexpr std::string_view kAdopt[] = {"partition", "from", "to"};
inline constexpr std::string_view kBackupGate[] = {"kind",    "query",   "maxLag",
                                                   "stanza",  "command", "timeout"};
inline constexpr std::string_view kExecution[] = {"lockTimeout", "statementTimeout", "retries"};
inline constexpr std::string_view kDatabaseRef[] = {"secretName", "key"};
inline constexpr std::string_view kConvert[] = {"mode", "batchRows", "primaryKey", "oldTable",
                                                "expiredRows"};

}  // namespace policy_keys

// Every mapping the loader checks keys in, in document order. The mappings whose keys are free
// (metadata.labels, metadata.annotations) and `status` (written by the operator, not read) are
// not among them.
inline constexpr PolicyMapping kPolicyMappings[] = {
    {"", policy_keys::kDocument},
    {"metadata", policy_keys::kMetadata},
    {"spec", policy_keys::kSpec},
    {"spec.retention", policy_keys::kRetention},
    {"spec.holds[]", policy_keys::kHold},
    {"spec.adopt[]", policy_keys::kAdopt},
    {"spec.backupGate", policy_keys::kBackupGate},
    {"spec.execution", policy_keys::kExecution},
    {"spec.databaseRef", policy_keys::kDatabaseRef},
    {"spec.convert", policy_keys::kConvert},
};

// Every accepted key as its full path, in kPolicyMappings order: "apiVersion", "metadata.name",
// "spec.retention.keep", "spec.holds[].from", ...
std::vector<std::string> AcceptedPolicyKeyPaths();

}  // namespace pgpart
