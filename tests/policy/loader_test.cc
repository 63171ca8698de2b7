// ParsePolicies / LoadPolicies: the model a valid policy loads into, defaults, multi-document
// files, and where each field is recorded.

#include "policy/loader.h"

#include <gtest/gtest.h>

#include "policy_test_util.h"

namespace pgpart {
namespace {

using testing::CountErrors;
using testing::Doc;
using testing::Dump;
using testing::Find;
using testing::TestData;

SourceLocation At(const std::string& file, int line, int column) {
  return SourceLocation{file, line, column};
}

TEST(LoaderTest, FullExampleLoadsEveryField) {
  std::string file = TestData("full.yaml");
  PolicySet set = LoadPolicies({file});
  ASSERT_TRUE(set.diagnostics.empty()) << Dump(set.diagnostics);
  ASSERT_EQ(set.policies.size(), 2u);
  EXPECT_EQ(set.files, std::vector<std::string>{file});
  // Sorted by name: cash-balances before sensor-readings.
  const Policy& hash = set.policies[0];
  const Policy& p = set.policies[1];

  EXPECT_EQ(p.name, "sensor-readings");
  ASSERT_EQ(p.tables.size(), 2u);
  EXPECT_EQ(p.tables[0], (QualifiedName{"public", "sensor_readings"}));
  EXPECT_EQ(p.tables[1], (QualifiedName{"Telemetry", "Odd \"Name\""}));
  EXPECT_EQ(p.strategy, Strategy::kRange);
  EXPECT_EQ(p.column, "recorded_at");
  EXPECT_EQ(p.interval, (Interval{1, Unit::kMonth}));
  EXPECT_EQ(p.interval_text, "1 month");
  EXPECT_EQ(p.time_zone, "Europe/Berlin");
  EXPECT_EQ(p.premake, 4);
  EXPECT_EQ(p.start, "2024-01-01");
  EXPECT_EQ(p.naming, "{parent}_y{YYYY}m{MM}");
  EXPECT_EQ(p.NameTemplate(), "{parent}_y{YYYY}m{MM}");
  EXPECT_TRUE(p.default_partition);

  ASSERT_TRUE(p.retention);
  EXPECT_EQ(p.retention->keep, (Interval{24, Unit::kMonth}));
  EXPECT_EQ(p.retention->keep_text, "24 months");
  EXPECT_EQ(p.retention->action, RetentionAction::kArchive);
  EXPECT_EQ(p.retention->archive_schema, "Cold Storage");
  EXPECT_EQ(p.retention->max_drops_per_run, 2);
  EXPECT_EQ(p.retention->location, At(file, 24, 5));

  ASSERT_EQ(p.holds.size(), 2u);
  EXPECT_EQ(p.holds[0].partition, "sensor_readings_y2024m03");
  EXPECT_EQ(p.holds[0].reason, "Legal hold LH-1142");
  EXPECT_EQ(p.holds[0].until, "2027-01-01");
  EXPECT_FALSE(p.holds[0].from);
  EXPECT_EQ(p.holds[0].location, At(file, 29, 7));
  EXPECT_FALSE(p.holds[1].partition);
  EXPECT_EQ(p.holds[1].from, "2024-06-01");
  EXPECT_EQ(p.holds[1].to, "2024-09-01T00:00:00Z");
  EXPECT_EQ(p.holds[1].reason, "Audit 2024-Q3");
  EXPECT_FALSE(p.holds[1].until);

  ASSERT_TRUE(p.backup_gate);
  EXPECT_EQ(p.backup_gate->kind, GateKind::kSql);
  EXPECT_EQ(p.backup_gate->query, "select true");
  EXPECT_EQ(p.backup_gate->timeout_ms, 30'000);
  EXPECT_EQ(p.backup_gate->location, At(file, 36, 5));

  EXPECT_EQ(p.execution.lock_timeout_ms, 2'000);
  EXPECT_EQ(p.execution.statement_timeout_ms, 600'000);
  EXPECT_EQ(p.execution.retries, 7);
  ASSERT_TRUE(p.database_ref);
  EXPECT_EQ(p.database_ref->secret_name, "app-db");
  EXPECT_EQ(p.database_ref->key, "url");
  EXPECT_EQ(p.mode, Mode::kDryRun);
  EXPECT_TRUE(p.suspend);
  EXPECT_EQ(p.location, At(file, 3, 1));

  EXPECT_EQ(hash.name, "cash-balances");
  EXPECT_EQ(hash.tables,
            std::vector<QualifiedName>{(QualifiedName{"finance", "daily_cash_balances"})});
  EXPECT_EQ(hash.strategy, Strategy::kHash);
  EXPECT_EQ(hash.column, "org_id");
  EXPECT_EQ(hash.modulus, 16);
  EXPECT_FALSE(hash.interval);
  EXPECT_EQ(hash.NameTemplate(), "{parent}_part{remainder}");
  EXPECT_FALSE(hash.default_partition);
  EXPECT_EQ(hash.mode, Mode::kApply);
  EXPECT_EQ(hash.location, At(file, 44, 1));
  EXPECT_EQ(hash.LocationOf("spec.modulus"), At(file, 52, 12));
}

TEST(LoaderTest, FieldLocationsPointAtValues) {
  std::string file = TestData("full.yaml");
  PolicySet set = LoadPolicies({file});
  ASSERT_EQ(set.policies.size(), 2u);
  const Policy& p = set.policies[1];
  EXPECT_EQ(p.LocationOf("metadata.name"), At(file, 6, 9));
  EXPECT_EQ(p.LocationOf("spec.tables[0]"), At(file, 13, 7));
  EXPECT_EQ(p.LocationOf("spec.tables[1]"), At(file, 14, 7));
  EXPECT_EQ(p.LocationOf("spec.column"), At(file, 16, 11));
  EXPECT_EQ(p.LocationOf("spec.interval"), At(file, 17, 13));
  EXPECT_EQ(p.LocationOf("spec.timeZone"), At(file, 18, 13));
  EXPECT_EQ(p.LocationOf("spec.start"), At(file, 20, 10));
  EXPECT_EQ(p.LocationOf("spec.naming"), At(file, 21, 11));
  EXPECT_EQ(p.LocationOf("spec.retention"), At(file, 24, 5));
  EXPECT_EQ(p.LocationOf("spec.retention.keep"), At(file, 24, 11));
  EXPECT_EQ(p.LocationOf("spec.holds[0]"), At(file, 29, 7));
  EXPECT_EQ(p.LocationOf("spec.holds[0].partition"), At(file, 29, 18));
  EXPECT_EQ(p.LocationOf("spec.holds[1].reason"), At(file, 34, 15));
  EXPECT_EQ(p.LocationOf("spec.backupGate"), At(file, 36, 5));
  // Unrecorded paths fall back to the nearest recorded ancestor, then the document.
  EXPECT_EQ(p.LocationOf("spec.holds[1].nothing.here"), At(file, 32, 7));
  EXPECT_EQ(p.LocationOf("status.phase"), p.location);
}

TEST(LoaderTest, MinimalPolicyGetsDefaults) {
  PolicySet set = ParsePolicies(Doc("  tables: [Sensor_Readings]\n  interval: 1 day\n"), "m.yaml");
  ASSERT_TRUE(set.diagnostics.empty()) << Dump(set.diagnostics);
  ASSERT_EQ(set.policies.size(), 1u);
  const Policy& p = set.policies[0];
  EXPECT_EQ(p.tables[0], (QualifiedName{"public", "sensor_readings"}));  // folded, default schema
  EXPECT_EQ(p.strategy, Strategy::kRange);
  EXPECT_FALSE(p.column);
  EXPECT_EQ(p.time_zone, "UTC");
  EXPECT_EQ(p.premake, kDefaultPremake);
  EXPECT_EQ(p.premake, 3);
  EXPECT_FALSE(p.start);
  EXPECT_FALSE(p.naming);
  EXPECT_EQ(p.NameTemplate(), "{parent}_y{YYYY}m{MM}d{DD}");
  EXPECT_FALSE(p.default_partition);
  EXPECT_FALSE(p.retention);
  EXPECT_TRUE(p.holds.empty());
  EXPECT_FALSE(p.backup_gate);
  EXPECT_EQ(p.execution.lock_timeout_ms, 300);
  EXPECT_EQ(p.execution.statement_timeout_ms, 300'000);
  EXPECT_EQ(p.execution.retries, 8);
  EXPECT_FALSE(p.database_ref);
  EXPECT_EQ(p.mode, Mode::kApply);
  EXPECT_FALSE(p.suspend);
  EXPECT_EQ(p.location, (SourceLocation{"m.yaml", 1, 1}));
}

TEST(LoaderTest, NestedDefaults) {
  PolicySet set = ParsePolicies(Doc("  tables: [t]\n"
                                    "  interval: 1 month\n"
                                    "  retention: {keep: 12 months}\n"
                                    "  backupGate: {kind: pgbackrest, stanza: main}\n"
                                    "  databaseRef: {secretName: db}\n"),
                                "n.yaml");
  ASSERT_TRUE(set.diagnostics.empty()) << Dump(set.diagnostics);
  const Policy& p = set.policies.at(0);
  ASSERT_TRUE(p.retention);
  EXPECT_EQ(p.retention->action, RetentionAction::kDrop);
  EXPECT_FALSE(p.retention->max_drops_per_run);
  EXPECT_TRUE(p.retention->archive_schema.empty());
  ASSERT_TRUE(p.backup_gate);
  EXPECT_EQ(p.backup_gate->kind, GateKind::kPgBackRest);
  EXPECT_EQ(p.backup_gate->stanza, "main");
  EXPECT_EQ(p.backup_gate->timeout_ms, 60'000);
  EXPECT_EQ(p.database_ref->secret_name, "db");
  EXPECT_EQ(p.database_ref->key, "dsn");
}

TEST(LoaderTest, IntegerIntervalAndKeepAcceptIntsAndStrings) {
  for (const char* body : {"  tables: [events]\n  interval: 1000000\n  start: 0\n"
                           "  retention: {keep: 5000000}\n",
                           "  tables: [events]\n  interval: \"1000000\"\n  start: \"-2000000\"\n"
                           "  retention: {keep: \"5000000\"}\n"}) {
    PolicySet set = ParsePolicies(Doc(body), "i.yaml");
    ASSERT_TRUE(set.diagnostics.empty()) << body << Dump(set.diagnostics);
    const Policy& p = set.policies.at(0);
    EXPECT_EQ(p.interval, (Interval{1'000'000, Unit::kInteger}));
    EXPECT_EQ(p.retention->keep, (Interval{5'000'000, Unit::kInteger}));
    EXPECT_EQ(p.NameTemplate(), "{parent}_p{lower}");
  }
}

TEST(LoaderTest, GateKinds) {
  PolicySet set = ParsePolicies(
      Doc("  tables: [a]\n  interval: 1 month\n  retention: {keep: 12 months}\n"
          "  backupGate: {kind: archiver, maxLag: 1h}\n",
          "a") +
          "\n---\n" +
          Doc("  tables: [b]\n  interval: 1 month\n  retention: {keep: 12 months}\n"
              "  backupGate:\n    kind: command\n    command: [/usr/bin/check, --table, \"\"]\n"
              "    timeout: 2m\n",
              "b"),
      "g.yaml");
  ASSERT_TRUE(set.diagnostics.empty()) << Dump(set.diagnostics);
  ASSERT_EQ(set.policies.size(), 2u);
  EXPECT_EQ(set.policies[0].backup_gate->kind, GateKind::kArchiver);
  EXPECT_EQ(set.policies[0].backup_gate->max_lag_ms, 3'600'000);
  EXPECT_EQ(set.policies[1].backup_gate->kind, GateKind::kCommand);
  EXPECT_EQ(set.policies[1].backup_gate->command,
            (std::vector<std::string>{"/usr/bin/check", "--table", ""}));
  EXPECT_EQ(set.policies[1].backup_gate->timeout_ms, 120'000);
}

TEST(LoaderTest, MultiDocumentFileKeepsFileLines) {
  std::string text = "# leading comment\n---\n" + Doc("  tables: [b]\n  interval: 1 month\n", "b") +
                     "---\n" + Doc("  tables: [a]\n  interval: 1 mnth\n", "a") + "---\n";
  PolicySet set = ParsePolicies(text, "multi.yaml");
  // The second document (valid) is kept; the third has an error and is left out.
  ASSERT_EQ(set.policies.size(), 1u);
  EXPECT_EQ(set.policies[0].name, "b");
  EXPECT_EQ(set.policies[0].location.line, 3);
  ASSERT_EQ(CountErrors(set.diagnostics), 1) << Dump(set.diagnostics);
  const Diagnostic* d = Find(set.diagnostics, "spec.interval", "unknown unit 'mnth'");
  ASSERT_NE(d, nullptr) << Dump(set.diagnostics);
  // 2 lines before doc b, 7 lines of doc b, one `---`, then doc a's interval on its line 7.
  EXPECT_EQ(d->location, (SourceLocation{"multi.yaml", 17, 13}));
}

TEST(LoaderTest, PoliciesSortedByName) {
  std::string text = Doc("  tables: [z]\n  interval: 1 month\n", "zulu") + "---\n" +
                     Doc("  tables: [a]\n  interval: 1 month\n", "alpha") + "---\n" +
                     Doc("  tables: [m]\n  interval: 1 month\n", "mike");
  PolicySet set = ParsePolicies(text, "s.yaml");
  ASSERT_EQ(set.policies.size(), 3u) << Dump(set.diagnostics);
  EXPECT_EQ(set.policies[0].name, "alpha");
  EXPECT_EQ(set.policies[1].name, "mike");
  EXPECT_EQ(set.policies[2].name, "zulu");
}

TEST(LoaderTest, KubernetesMetadataAccepted) {
  std::string text =
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata:\n  name: k\n"
      "  namespace: prod\n  labels:\n    app: billing\n  annotations: {note: x}\n"
      "spec:\n  tables: [t]\n  interval: 1 month\n  mode: Apply\n  suspend: false\n";
  PolicySet set = ParsePolicies(text, "k.yaml");
  EXPECT_TRUE(set.diagnostics.empty()) << Dump(set.diagnostics);
  EXPECT_EQ(set.policies.size(), 1u);
}

TEST(LoaderTest, EmptyTextHasNoPolicies) {
  PolicySet set = ParsePolicies("# nothing here\n", "e.yaml");
  EXPECT_TRUE(set.policies.empty());
  EXPECT_FALSE(HasErrors(set.diagnostics));
}

TEST(LoaderTest, PolicyNamesAndEnumSpellings) {
  EXPECT_EQ(StrategyName(Strategy::kHash), "hash");
  EXPECT_EQ(RetentionActionName(RetentionAction::kArchive), "archive");
  EXPECT_EQ(GateKindName(GateKind::kPgBackRest), "pgbackrest");
  EXPECT_EQ(ModeName(Mode::kDryRun), "DryRun");
}

}  // namespace
}  // namespace pgpart
