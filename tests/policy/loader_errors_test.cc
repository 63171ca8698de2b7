// Schema errors: each names file, line, column (1-based) and YAML path; all are collected.

#include <gtest/gtest.h>

#include "policy/loader.h"
#include "policy/yaml_fields.h"
#include "policy_test_util.h"

namespace pgpart {
namespace {

using testing::CountErrors;
using testing::Doc;
using testing::Dump;
using testing::Find;

// Parses `text` and expects an error at path/line/column whose message contains `fragment`.
void ExpectError(const std::string& text, const std::string& path, int line, int column,
                 const std::string& fragment) {
  PolicySet set = ParsePolicies(text, "p.yaml");
  const Diagnostic* d = Find(set.diagnostics, path, fragment);
  ASSERT_NE(d, nullptr) << "want " << path << ": ..." << fragment << "\n" << Dump(set.diagnostics);
  EXPECT_EQ(d->severity, Severity::kError);
  EXPECT_EQ(d->location, (SourceLocation{"p.yaml", line, column})) << d->Format();
  EXPECT_TRUE(set.policies.empty()) << "an invalid document must not become a policy";
}

constexpr char kBase[] = "  tables: [t]\n  interval: 1 month\n";  // lines 6-7

TEST(LoaderErrorsTest, UnknownKeySuggestsClosest) {
  PolicySet set = ParsePolicies(Doc(std::string(kBase) + "  premak: 3\n"), "p.yaml");
  const Diagnostic* d = Find(set.diagnostics, "spec.premak");
  ASSERT_NE(d, nullptr) << Dump(set.diagnostics);
  EXPECT_EQ(d->message, "unknown key 'premak' in spec; did you mean 'premake'?");
  EXPECT_EQ(d->location, (SourceLocation{"p.yaml", 8, 3}));
  EXPECT_EQ(d->Format(),
            "p.yaml:8:3: error: spec.premak: unknown key 'premak' in spec; did you "
            "mean 'premake'?");
}

TEST(LoaderErrorsTest, UnknownKeyElsewhere) {
  ExpectError(Doc(std::string(kBase) + "  retention:\n    keep: 2 years\n    acton: drop\n"),
              "spec.retention.acton", 10, 5, "did you mean 'action'?");
  ExpectError(Doc(std::string(kBase) + "  timezone: UTC\n"), "spec.timezone", 8, 3,
              "did you mean 'timeZone'?");
  ExpectError(Doc(std::string(kBase) + "  colour: red\n"), "spec.colour", 8, 3,
              "(allowed: tables, strategy,");
  ExpectError(
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: x, "
      "uid: 1}\nspec: {tables: [t], interval: 1 month}\n",
      "metadata.uid", 3, 21, "unknown key 'uid' in metadata");
  ExpectError(Doc(kBase) + "extra: 1\n", "extra", 8, 1, "unknown key 'extra' in the document");
}

TEST(LoaderErrorsTest, WrongTypes) {
  ExpectError(Doc(std::string(kBase) + "  premake: \"three\"\n"), "spec.premake", 8, 12,
              "expected an integer, got the string \"three\"");
  ExpectError(Doc(std::string(kBase) + "  premake: three\n"), "spec.premake", 8, 12,
              "expected an integer, got 'three'");
  ExpectError(Doc(std::string(kBase) + "  premake: \"3\"\n"), "spec.premake", 8, 12,
              "remove the quotes");
  ExpectError(Doc(std::string(kBase) + "  premake: [3]\n"), "spec.premake", 8, 12,
              "expected an integer, got a list");
  ExpectError(Doc(std::string(kBase) + "  premake: 0\n"), "spec.premake", 8, 12,
              "must be between 1 and 10000, got 0");
  ExpectError(Doc(std::string(kBase) + "  defaultPartition: yes\n"), "spec.defaultPartition", 8, 21,
              "expected true or false");
  ExpectError(Doc(std::string(kBase) + "  suspend: \"false\"\n"), "spec.suspend", 8, 12,
              "expected true or false");
  ExpectError(Doc(std::string(kBase) + "  retention: 24 months\n"), "spec.retention", 8, 14,
              "expected a mapping");
  ExpectError(Doc(std::string(kBase) + "  column: {name: x}\n"), "spec.column", 8, 11,
              "expected a string, got a mapping");
  ExpectError(Doc(std::string(kBase) + "  mode: apply\n"), "spec.mode", 8, 9,
              "expected one of Apply, DryRun (did you mean 'Apply'?)");
  ExpectError(Doc(std::string(kBase) + "  strategy: list\n"), "spec.strategy", 8, 13,
              "unknown value 'list'; expected one of range, hash");
}

TEST(LoaderErrorsTest, Tables) {
  ExpectError(Doc("  tables: public.x\n  interval: 1 month\n"), "spec.tables", 6, 11,
              "expected a list of tables");
  ExpectError(Doc("  tables: []\n  interval: 1 month\n"), "spec.tables", 6, 11,
              "at least one table");
  ExpectError(Doc("  tables:\n    - a\n    - '\"unterminated'\n  interval: 1 month\n"),
              "spec.tables[1]", 8, 7, "invalid table name");
  ExpectError(Doc("  tables: [a.b.c]\n  interval: 1 month\n"), "spec.tables[0]", 6, 12,
              "invalid table name 'a.b.c'");
  ExpectError(Doc("  interval: 1 month\n"), "spec.tables", 6, 3, "required key 'tables'");
}

TEST(LoaderErrorsTest, MissingAndNullRequiredKeys) {
  // A missing key points at the mapping that lacks it; a key with no value at the key.
  ExpectError(Doc("  tables: [t]\n"), "spec.interval", 6, 3, "required key 'interval' is missing");
  ExpectError(Doc("  tables: [t]\n  interval:\n"), "spec.interval", 7, 3,
              "required key 'interval' has no value");
  ExpectError(Doc(std::string(kBase) + "  retention:\n    action: drop\n"), "spec.retention.keep",
              9, 5, "required key 'keep' is missing");
  ExpectError("apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nspec: {tables: [t]}\n",
              "metadata", 1, 1, "required key 'metadata' is missing");
}

TEST(LoaderErrorsTest, HeaderAndName) {
  ExpectError("apiVersion: pgpart.io/v1\n" + Doc(kBase).substr(31), "apiVersion", 1, 13,
              "unsupported apiVersion 'pgpart.io/v1'; expected pgpart.io/v1alpha1");
  ExpectError("apiVersion: pgpart.io/v1alpha1\nkind: Partition\n" + Doc(kBase).substr(53), "kind",
              2, 7, "unsupported kind 'Partition'; expected PartitionPolicy");
  ExpectError(Doc(kBase, "Sensor_Readings"), "metadata.name", 4, 9, "DNS-1123");
  ExpectError(Doc(kBase, "ends-with-dash-"), "metadata.name", 4, 9, "invalid name");
  ExpectError(Doc(kBase, std::string(64, 'a')), "metadata.name", 4, 9, "at most 63");
  ExpectError("- a\n- b\n", "(document)", 1, 1, "expected a mapping");
}

TEST(LoaderErrorsTest, IntervalsAndValues) {
  ExpectError(Doc("  tables: [t]\n  interval: 0 days\n"), "spec.interval", 7, 13, "at least 1");
  ExpectError(Doc(std::string(kBase) + "  timeZone: Mars/Olympus\n"), "spec.timeZone", 8, 13,
              "unknown time zone 'Mars/Olympus'");
  ExpectError(Doc(std::string(kBase) + "  start: next tuesday\n"), "spec.start", 8, 10,
              "expected a date (2024-01-01) or a timestamp");
  ExpectError(Doc(std::string(kBase) + "  start: 20240101\n"), "spec.start", 8, 10,
              "expected a date");
  ExpectError(Doc("  tables: [t]\n  interval: 1000\n  start: 2024-01-01\n"), "spec.start", 8, 10,
              "expected an integer key value");
  ExpectError(Doc(std::string(kBase) + "  naming: \"{parent}_{YYY}\"\n"), "spec.naming", 8, 11,
              "unknown placeholder {YYY}");
  ExpectError(Doc(std::string(kBase) + "  execution: {lockTimeout: soon}\n"),
              "spec.execution.lockTimeout", 8, 28, "invalid duration 'soon'");
  ExpectError(Doc(std::string(kBase) + "  execution:\n    retries: -1\n"), "spec.execution.retries",
              9, 14, "must be between 0 and 100");
  ExpectError(Doc(std::string(kBase) + "  databaseRef: {key: dsn}\n"),
              "spec.databaseRef.secretName", 8, 16, "required key 'secretName'");
}

TEST(LoaderErrorsTest, Retention) {
  ExpectError(Doc(std::string(kBase) + "  retention:\n    keep: 24 mnths\n"), "spec.retention.keep",
              9, 11, "keep '24 mnths': unknown unit 'mnths'");
  ExpectError(Doc(std::string(kBase) + "  retention:\n    keep: 5000000\n"), "spec.retention.keep",
              9, 11, "keep needs a unit like the interval");
  ExpectError(Doc("  tables: [t]\n  interval: 1000\n  retention:\n    keep: 2 days\n"),
              "spec.retention.keep", 9, 11, "keep must be an integer distance");
  ExpectError(Doc(std::string(kBase) + "  retention:\n    keep: 2 years\n    action: archive\n"),
              "spec.retention.archiveSchema", 9, 5, "required key 'archiveSchema' is missing");
  ExpectError(Doc(std::string(kBase) + "  retention:\n    keep: 2 years\n    archiveSchema: old\n"),
              "spec.retention.archiveSchema", 10, 5, "only used with action: archive");
  ExpectError(Doc(std::string(kBase) +
                  "  retention:\n    keep: 2 years\n    action: archive\n    archiveSchema: a.b\n"),
              "spec.retention.archiveSchema", 11, 20, "invalid schema name 'a.b'");
  ExpectError(Doc(std::string(kBase) + "  retention:\n    keep: 2 years\n    maxDropsPerRun: 0\n"),
              "spec.retention.maxDropsPerRun", 10, 21, "must be at least 1");
  // dropDetachedAfter: a second retention for what detach/archive leave behind; nothing to do
  // after a drop, and the same grammar as keep.
  ExpectError(Doc(std::string(kBase) + "  retention:\n    keep: 2 years\n"
                                        "    dropDetachedAfter: 6 months\n"),
              "spec.retention.dropDetachedAfter", 10, 5, "only used with action: detach or archive");
  ExpectError(Doc(std::string(kBase) + "  retention:\n    keep: 2 years\n    action: detach\n"
                                        "    dropDetachedAfter: 6 moons\n"),
              "spec.retention.dropDetachedAfter", 11, 24, "dropDetachedAfter");
  ExpectError(Doc(std::string(kBase) + "  retention:\n    keep: 2 years\n    action: detach\n"
                                        "    dropDetachedAfter: 5000\n"),
              "spec.retention.dropDetachedAfter", 11, 24, "dropDetachedAfter needs a unit");
}

TEST(LoaderErrorsTest, DropDetachedAfterParses) {
  PolicySet set = ParsePolicies(
      Doc(std::string(kBase) + "  retention:\n    keep: 2 years\n    action: archive\n"
                               "    archiveSchema: old\n    dropDetachedAfter: 6 months\n"),
      "p.yaml");
  ASSERT_TRUE(set.diagnostics.empty()) << Dump(set.diagnostics);
  ASSERT_EQ(set.policies.size(), 1u);
  const Retention& r = *set.policies[0].retention;
  ASSERT_TRUE(r.drop_detached_after);
  EXPECT_EQ(r.drop_detached_after->count, 6);
  EXPECT_EQ(r.drop_detached_after->unit, Unit::kMonth);
  EXPECT_EQ(r.drop_detached_after_text, "6 months");
}

TEST(LoaderErrorsTest, Holds) {
  std::string base = std::string(kBase) + "  retention: {keep: 2 years}\n  holds:\n";  // to 9
  ExpectError(Doc(base + "    - partition: t_y2024m01\n"), "spec.holds[0].reason", 10, 7,
              "required key 'reason' is missing");
  ExpectError(Doc(base + "    - partition: t_y2024m01\n      reason: \"  \"\n"),
              "spec.holds[0].reason", 11, 15, "must not be empty");
  ExpectError(Doc(base + "    - {partition: t_y2024m01, reason: a}\n    - {reason: b}\n"),
              "spec.holds[1]", 11, 7, "either partition: NAME or from: and to:");
  ExpectError(Doc(base + "    - {partition: t_y2024m01, from: 2024-01-01, reason: a}\n"),
              "spec.holds[0].from", 10, 31, "cannot be combined with partition");
  ExpectError(Doc(base + "    - {from: 2024-01-01, reason: a}\n"), "spec.holds[0].to", 10, 7,
              "needs both from and to");
  ExpectError(Doc(base + "    - {from: 2024-03-01, to: 2024-01-01, reason: a}\n"),
              "spec.holds[0].to", 10, 30, "must be after from ('2024-03-01')");
  ExpectError(Doc(base + "    - {partition: t_y2024m01, reason: a, until: someday}\n"),
              "spec.holds[0].until", 10, 49, "expected a date (2027-01-01)");
  ExpectError(Doc(base + "    - {partition: t_y2024m01, reason: a, until: 20270101}\n"),
              "spec.holds[0].until", 10, 49, "expected a date (2027-01-01)");
  ExpectError(Doc(base + "    - {partition: t_y2024m01, raeson: a}\n"), "spec.holds[0].raeson", 10,
              31, "did you mean 'reason'?");
  ExpectError(Doc(std::string(kBase) + "  holds: {partition: x, reason: y}\n"), "spec.holds", 8, 10,
              "expected a list of holds");
}

TEST(LoaderErrorsTest, BackupGate) {
  std::string base = std::string(kBase) + "  retention: {keep: 2 years}\n  backupGate:\n";  // 9
  ExpectError(Doc(base + "    kind: archiver\n"), "spec.backupGate.maxLag", 10, 5,
              "required key 'maxLag' is missing");
  ExpectError(Doc(base + "    kind: pgbackrest\n    query: select 1\n"), "spec.backupGate.query",
              11, 5, "'query' is only used with kind: sql");
  ExpectError(Doc(base + "    kind: command\n    command: /bin/check\n"), "spec.backupGate.command",
              11, 14, "expected a non-empty list");
  ExpectError(Doc(base + "    kind: command\n    command: []\n"), "spec.backupGate.command", 11, 14,
              "expected a non-empty list");
  ExpectError(Doc(base + "    kind: command\n    command: [\"\"]\n"), "spec.backupGate.command[0]",
              11, 15, "must not be empty");
  ExpectError(Doc(base + "    kind: s3\n"), "spec.backupGate.kind", 10, 11,
              "expected one of sql, archiver, pgbackrest, command");
  ExpectError(Doc(base + "    kind: sql\n    query: select true\n    timeout: 0s\n"),
              "spec.backupGate.timeout", 12, 14, "longer than zero");
}

TEST(LoaderErrorsTest, HashRejectsRangeFields) {
  std::string hash = "  tables: [t]\n  strategy: hash\n";  // lines 6-7
  ExpectError(Doc(hash + "  modulus: 8\n  interval: 1 month\n"), "spec.interval", 9, 3,
              "does not apply to strategy: hash");
  ExpectError(Doc(hash + "  modulus: 8\n  retention: {keep: 1 year}\n"), "spec.retention", 9, 3,
              "does not apply to strategy: hash");
  ExpectError(Doc(hash + "  modulus: 8\n  holds: []\n"), "spec.holds", 9, 3, "does not apply");
  ExpectError(Doc(hash + "  modulus: 8\n  backupGate: {kind: sql}\n"), "spec.backupGate", 9, 3,
              "does not apply");
  ExpectError(Doc(hash + "  modulus: 8\n  column: c\n  convert: {}\n"), "spec.convert", 10, 3,
              "does not apply to strategy: hash");
  // adopt accepts partitions off a range grid; a hash policy has none (it was ignored silently).
  ExpectError(Doc(hash + "  modulus: 8\n  adopt: [{partition: t_p}]\n"), "spec.adopt", 9, 3,
              "does not apply to strategy: hash");
  ExpectError(Doc(hash + "  modulus: 8\n  defaultPartition: true\n"), "spec.defaultPartition", 9,
              21, "cannot have a default partition");
  ExpectError(Doc(hash), "spec.modulus", 6, 3, "required key 'modulus' is missing");
  ExpectError(Doc(hash + "  modulus: 1\n"), "spec.modulus", 8, 12, "between 2 and 1024");
  ExpectError(Doc(hash + "  modulus: 1025\n"), "spec.modulus", 8, 12, "between 2 and 1024");
  ExpectError(Doc(std::string(kBase) + "  modulus: 8\n"), "spec.modulus", 8, 3,
              "applies to strategy: hash only");
}

TEST(LoaderErrorsTest, Convert) {
  ExpectError(Doc(std::string(kBase) + "  convert: {batchRows: 1000}\n"), "spec.convert", 8, 12,
              "convert needs spec.column");
  const std::string base = std::string(kBase) + "  column: c\n";  // line 8
  ExpectError(Doc(base + "  convert: {primaryKey: [id]}\n"), "spec.convert.primaryKey", 9, 12,
              "must include the partition key c");
  ExpectError(Doc(base + "  convert: {primaryKey: []}\n"), "spec.convert.primaryKey", 9, 25,
              "expected a list of columns");
  ExpectError(Doc(base + "  convert: {batchRows: 99}\n"), "spec.convert.batchRows", 9, 24,
              "between 100 and 10000000");
  // No index, so no primary key, has more than 32 columns: refused here, not when converting.
  std::string columns = "c";
  for (int i = 1; i <= 32; ++i) columns += ", c" + std::to_string(i);
  ExpectError(Doc(base + "  convert: {primaryKey: [" + columns + "]}\n"),
              "spec.convert.primaryKey", 9, 25, "has 33 columns; PostgreSQL indexes at most 32");
}

// Integer key values beyond bigint are errors, not an uncaught std::out_of_range (which aborted
// lint, plan, apply and status).
TEST(LoaderErrorsTest, IntegerKeyValuesBeyondBigintAreErrors) {
  const std::string base = "  tables: [t]\n  interval: 1000\n  retention: {keep: 5000}\n";
  const std::string big = "99999999999999999999";
  ExpectError(Doc(base + "  holds:\n    - {from: 0, to: " + big + ", reason: a}\n"),
              "spec.holds[0].to", 10, 21, "'" + big + "' is out of range: integer key values");
  ExpectError(Doc(base + "  holds:\n    - {from: -" + big + ", to: 0, reason: a}\n"),
              "spec.holds[0].from", 10, 14, "is out of range: integer key values are bigint");
  ExpectError(Doc(base + "  start: " + big + "\n"), "spec.start", 9, 10,
              "is out of range: integer key values are bigint (-9223372036854775808 to "
              "9223372036854775807)");
  // The extremes themselves are fine.
  PolicySet set = ParsePolicies(
      Doc(base + "  holds:\n    - {from: -9223372036854775808, to: 9223372036854775807, "
                 "reason: a}\n"),
      "p.yaml");
  EXPECT_EQ(CountErrors(set.diagnostics), 0) << Dump(set.diagnostics);
  // Interval and retention counts: out of range too, not a crash.
  set = ParsePolicies(Doc("  tables: [t]\n  interval: " + big + "\n"), "p.yaml");
  EXPECT_GE(CountErrors(set.diagnostics), 1) << Dump(set.diagnostics);
  set = ParsePolicies(Doc("  tables: [t]\n  interval: 1000\n  retention: {keep: " + big + "}\n"),
                      "p.yaml");
  EXPECT_GE(CountErrors(set.diagnostics), 1) << Dump(set.diagnostics);
}

// "localtime" is a file in the tz folder: the zone of whatever machine plans. Refused.
TEST(LoaderErrorsTest, TimeZoneMustBeAnIanaName) {
  ExpectError(Doc(std::string(kBase) + "  timeZone: localtime\n"), "spec.timeZone", 8, 13,
              "unknown time zone 'localtime'; use an IANA name");
  ExpectError(Doc(std::string(kBase) + "  timeZone: ../zoneinfo/UTC\n"), "spec.timeZone", 8, 13,
              "unknown time zone");
  PolicySet set = ParsePolicies(Doc(std::string(kBase) + "  timeZone: Europe/Berlin\n"), "p.yaml");
  EXPECT_EQ(CountErrors(set.diagnostics), 0) << Dump(set.diagnostics);
}

TEST(LoaderErrorsTest, DuplicateKey) {
  ExpectError(Doc(std::string(kBase) + "  premake: 2\n  premake: 4\n"), "spec.premake", 9, 3,
              "duplicate key 'premake' (first given at line 8)");
}

TEST(LoaderErrorsTest, SyntaxErrorHasItsMark) {
  PolicySet set = ParsePolicies(Doc("  tables: [a,\n  interval: 1 month\n"), "p.yaml");
  ASSERT_EQ(set.diagnostics.size(), 1u) << Dump(set.diagnostics);
  const Diagnostic& d = set.diagnostics[0];
  EXPECT_EQ(d.severity, Severity::kError);
  EXPECT_NE(d.message.find("YAML syntax error"), std::string::npos) << d.message;
  EXPECT_EQ(d.location.file, "p.yaml");
  EXPECT_GE(d.location.line, 6);
  EXPECT_GE(d.location.column, 1);
  EXPECT_TRUE(set.policies.empty());

  set = ParsePolicies("a: 1\n  b: 2\n", "q.yaml");
  ASSERT_EQ(set.diagnostics.size(), 1u);
  EXPECT_EQ(set.diagnostics[0].location, (SourceLocation{"q.yaml", 2, 4}));
}

TEST(LoaderErrorsTest, AllProblemsAreCollectedInLineOrder) {
  std::string text =
      Doc("  tables: [t]\n"             // 6
          "  interval: 2 fortnights\n"  // 7
          "  premake: -1\n"             // 8
          "  timeZone: Nowhere/City\n"  // 9
          "  retention:\n"              // 10
          "    keep: 1 year\n"          // 11
          "    action: shred\n"         // 12
          "  suspend: maybe\n",         // 13
          "Bad Name");                  // 4
  PolicySet set = ParsePolicies(text, "p.yaml");
  ASSERT_EQ(CountErrors(set.diagnostics), 6) << Dump(set.diagnostics);
  std::vector<std::pair<std::string, int>> got;
  for (const Diagnostic& d : set.diagnostics) got.emplace_back(d.path, d.location.line);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, int>>{{"metadata.name", 4},
                                                           {"spec.interval", 7},
                                                           {"spec.premake", 8},
                                                           {"spec.timeZone", 9},
                                                           {"spec.retention.action", 12},
                                                           {"spec.suspend", 13}}));
}

TEST(LoaderErrorsTest, ErrorsInOneDocumentDoNotHideOthers) {
  std::string text = Doc("  tables: [a]\n  interval: 1 month\n  premake: x\n", "a") + "---\n" +
                     Doc("  tables: [b]\n  interval: 1 month\n", "b") + "---\n" +
                     Doc("  tables: [c]\n  interval: 1 month\n  naming: \"{x}\"\n", "c");
  PolicySet set = ParsePolicies(text, "p.yaml");
  EXPECT_EQ(CountErrors(set.diagnostics), 2) << Dump(set.diagnostics);
  ASSERT_EQ(set.policies.size(), 1u);
  EXPECT_EQ(set.policies[0].name, "b");
  const Diagnostic* d = Find(set.diagnostics, "spec.naming");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->location.line, 25);
}

TEST(LoaderErrorsTest, EditDistance) {
  using policy_internal::ClosestMatch;
  using policy_internal::EditDistance;
  EXPECT_EQ(EditDistance("premak", "premake"), 1u);
  EXPECT_EQ(EditDistance("tabels", "tables"), 1u);  // a swap counts once
  EXPECT_EQ(EditDistance("timezone", "timeZone"), 0u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(ClosestMatch("retension", {"retention", "holds"}), "retention");
  EXPECT_EQ(ClosestMatch("mod", {"mode", "modulus"}), "mode");
  EXPECT_EQ(ClosestMatch("colour", {"column", "naming"}), "");
}

}  // namespace
}  // namespace pgpart
