// LintPolicies (also run by ParsePolicies / LoadPolicies): each check firing and not firing.

#include <gtest/gtest.h>

#include "core/calendar.h"
#include "policy/loader.h"
#include "policy_test_util.h"

namespace pgpart {
namespace {

using testing::CountErrors;
using testing::Doc;
using testing::Dump;
using testing::Find;

PolicySet Parse(const std::string& body, const std::string& name = "p") {
  return ParsePolicies(Doc(body, name), "p.yaml");
}

// No errors or warnings at all.
void ExpectClean(const std::string& body) {
  PolicySet set = Parse(body);
  EXPECT_TRUE(set.diagnostics.empty()) << body << Dump(set.diagnostics);
  EXPECT_EQ(set.policies.size(), 1u);
}

// An error at `path` (whose message contains `fragment`); returns it for further checks.
Diagnostic ExpectLintError(const std::string& body, const std::string& path,
                           const std::string& fragment) {
  PolicySet set = Parse(body);
  const Diagnostic* d = Find(set.diagnostics, path, fragment);
  EXPECT_NE(d, nullptr) << body << "want " << path << ": ..." << fragment << "\n"
                        << Dump(set.diagnostics);
  if (d == nullptr) return {};
  EXPECT_EQ(d->severity, Severity::kError);
  // Lint runs on schema-valid policies: the policy itself is in the set.
  EXPECT_EQ(set.policies.size(), 1u);
  return *d;
}

TEST(LintTest, RetentionShorterThanPremake) {
  Diagnostic d = ExpectLintError(
      "  tables: [t]\n  interval: 1 month\n  premake: 3\n"
      "  retention:\n    keep: 2 months\n",
      "spec.retention.keep", "shorter than what premake makes ahead");
  EXPECT_EQ(d.location, (SourceLocation{"p.yaml", 10, 11}));
  EXPECT_NE(d.message.find("keep '2 months'"), std::string::npos) << d.message;
  ExpectClean("  tables: [t]\n  interval: 1 month\n  premake: 3\n  retention: {keep: 3 months}\n");
  // Integer keys compare counts.
  ExpectLintError("  tables: [t]\n  interval: 1000\n  premake: 3\n  retention: {keep: 2999}\n",
                  "spec.retention.keep", "shorter than");
  ExpectClean("  tables: [t]\n  interval: 1000\n  premake: 3\n  retention: {keep: 3000}\n");
  // Different units compare by length (a month is 30.44 days).
  ExpectLintError(
      "  tables: [t]\n  interval: 1 month\n  premake: 3\n  retention: {keep: 90 days}\n",
      "spec.retention.keep", "shorter than");
  ExpectClean("  tables: [t]\n  interval: 1 month\n  premake: 3\n  retention: {keep: 92 days}\n");
  ExpectClean("  tables: [t]\n  interval: 1 week\n  premake: 4\n  retention: {keep: 1 month}\n");
  ExpectLintError("  tables: [t]\n  interval: 1 week\n  premake: 5\n  retention: {keep: 1 month}\n",
                  "spec.retention.keep", "shorter than");
}

TEST(LintTest, HoldMustNameAPartitionTheTemplateProduces) {
  std::string base =
      "  tables: [sensor_readings]\n  interval: 1 month\n"
      "  retention: {keep: 2 years}\n  holds:\n";  // holds[0] on line 10
  ExpectClean(base + "    - {partition: sensor_readings_y2024m03, reason: x}\n");
  Diagnostic d = ExpectLintError(base + "    - {partition: sensor_readings_2024_03, reason: x}\n",
                                 "spec.holds[0].partition", "never produces");
  EXPECT_EQ(d.location, (SourceLocation{"p.yaml", 10, 19}));
  EXPECT_NE(d.message.find("(e.g. 'sensor_readings_y2024m03')"), std::string::npos) << d.message;
  ExpectLintError(base + "    - {partition: sensor_readings_y2024m13, reason: x}\n",
                  "spec.holds[0].partition", "never produces");
  ExpectLintError(base + "    - {partition: other_y2024m03, reason: x}\n",
                  "spec.holds[0].partition", "for public.sensor_readings");
  // Range holds are not names; nothing to match.
  ExpectClean(base + "    - {from: 2024-01-01, to: 2024-02-01, reason: x}\n");
}

TEST(LintTest, HoldOnAPeriodOffTheGrid) {
  // Two-month periods start in odd months (counted from January of year 0).
  std::string base =
      "  tables: [t]\n  interval: 2 months\n  premake: 1\n"
      "  retention: {keep: 2 years}\n  holds:\n";
  ExpectClean(base + "    - {partition: t_y2024m03, reason: x}\n");
  ExpectLintError(base + "    - {partition: t_y2024m02, reason: x}\n", "spec.holds[0].partition",
                  "not a period of the 2 months grid");
  // ISO week 53 exists in 2020, not in 2021.
  std::string weekly =
      "  tables: [t]\n  interval: 1 week\n  retention: {keep: 1 year}\n"
      "  holds:\n";
  ExpectClean(weekly + "    - {partition: t_y2020w53, reason: x}\n");
  ExpectLintError(weekly + "    - {partition: t_y2021w53, reason: x}\n", "spec.holds[0].partition",
                  "not a period");
  // Integer grids are multiples of the interval.
  std::string integer = "  tables: [t]\n  interval: 1000\n  retention: {keep: 5000}\n  holds:\n";
  ExpectClean(integer + "    - {partition: t_p2000, reason: x}\n");
  ExpectLintError(integer + "    - {partition: t_p1500, reason: x}\n", "spec.holds[0].partition",
                  "1500 is not a lower bound");
}

TEST(LintTest, HoldMayNameAnyTableOfThePolicy) {
  std::string base =
      "  tables: [a, b]\n  interval: 1 day\n  retention: {keep: 30 days}\n"
      "  holds:\n";
  ExpectClean(base + "    - {partition: b_y2024m02d29, reason: x}\n");
  ExpectLintError(base + "    - {partition: b_y2023m02d29, reason: x}\n", "spec.holds[0].partition",
                  "not a period");
  ExpectLintError(base + "    - {partition: c_y2024m02d29, reason: x}\n", "spec.holds[0].partition",
                  "for public.a, public.b");
}

TEST(LintTest, TemplateCollisions) {
  Diagnostic d =
      ExpectLintError("  tables: [t]\n  interval: 1 month\n  naming: \"{parent}_{YYYY}\"\n",
                      "spec.naming", "maps two periods to one name");
  EXPECT_EQ(d.location, (SourceLocation{"p.yaml", 8, 11}));
  EXPECT_NE(d.message.find("2018-01-01 and 2018-02-01 both become 't_2018'"), std::string::npos)
      << d.message;
  // ISO weeks need the ISO year: 2018-01-01 and 2018-12-31 are both Mondays of a week 1.
  ExpectLintError("  tables: [t]\n  interval: 1 week\n  naming: \"{parent}_{YYYY}w{IW}\"\n",
                  "spec.naming", "2018-01-01 and 2018-12-31 both become 't_2018w01'");
  ExpectLintError("  tables: [t]\n  interval: 1 day\n  naming: \"{parent}_{YYYY}{MM}\"\n",
                  "spec.naming", "maps two periods");
  ExpectLintError("  tables: [t]\n  interval: 1 hour\n  naming: \"{parent}_{MM}{DD}{HH}\"\n",
                  "spec.naming", "maps two periods");
  ExpectClean("  tables: [t]\n  interval: 1 quarter\n  naming: \"{parent}_{YYYY}q{Q}\"\n");
  ExpectClean("  tables: [t]\n  interval: 2 months\n  naming: \"{parent}_{YYYY}_{MM}\"\n");
  ExpectClean("  tables: [t]\n  interval: 1 week\n  naming: \"{parent}_{IYYY}_{IW}\"\n");
  ExpectClean("  tables: [t]\n  interval: 1 day\n  naming: \"{parent}_{YYYY}{MM}{DD}\"\n");
}

TEST(LintTest, DefaultTemplatesNeverCollide) {
  for (const char* interval : {"1 hour", "6 hours", "1 day", "1 week", "2 weeks", "1 month",
                               "1 quarter", "1 year", "1000000"}) {
    ExpectClean(std::string("  tables: [t]\n  interval: ") + interval + "\n");
  }
  ExpectClean("  tables: [t]\n  strategy: hash\n  modulus: 1024\n");
}

TEST(LintTest, TemplateFieldsMustFitTheUnit) {
  ExpectLintError("  tables: [t]\n  strategy: hash\n  modulus: 4\n  naming: \"{parent}_h\"\n",
                  "spec.naming", "lacks {remainder}");
  ExpectLintError(
      "  tables: [t]\n  strategy: hash\n  modulus: 4\n"
      "  naming: \"{parent}_{YYYY}_{remainder}\"\n",
      "spec.naming", "uses {YYYY}, which has no meaning for hash partitions");
  ExpectClean(
      "  tables: [t]\n  strategy: hash\n  modulus: 4\n  naming: \"{parent}_{remainder}\"\n");
  ExpectLintError("  tables: [t]\n  interval: 1000\n  naming: \"{parent}_{YYYY}\"\n", "spec.naming",
                  "uses {YYYY}, which has no meaning for integer intervals");
  ExpectLintError("  tables: [t]\n  interval: 1000\n  naming: \"{parent}_x\"\n", "spec.naming",
                  "lacks {lower}");
  ExpectLintError("  tables: [t]\n  interval: 1 day\n  naming: \"{parent}_{lower}\"\n",
                  "spec.naming", "uses {lower}, which has no meaning for time intervals");
  ExpectLintError("  tables: [t]\n  interval: 1 day\n  naming: \"{parent}_{remainder}\"\n",
                  "spec.naming", "uses {remainder}");
}

TEST(LintTest, TemplateWithoutParentAndSeveralTablesInOneSchema) {
  Diagnostic d = ExpectLintError(
      "  tables: [a, b]\n  interval: 1 month\n  naming: \"p_{YYYY}_{MM}\"\n", "spec.tables[1]",
      "lacks {parent}, so public.a and public.b would create partitions with the same names");
  EXPECT_EQ(d.location, (SourceLocation{"p.yaml", 6, 15}));
  ExpectClean("  tables: [s1.a, s2.b]\n  interval: 1 month\n  naming: \"p_{YYYY}_{MM}\"\n");
  ExpectClean("  tables: [a]\n  interval: 1 month\n  naming: \"p_{YYYY}_{MM}\"\n");
}

TEST(LintTest, NamesOver63Bytes) {
  // "_y2024m03" adds 9 bytes to the parent.
  std::string fits(54, 'a'), too_long(55, 'a');
  ExpectClean("  tables: [" + fits + "]\n  interval: 1 month\n");
  Diagnostic d = ExpectLintError("  tables: [x, " + too_long + "]\n  interval: 1 month\n",
                                 "spec.tables[1]", "would be 64 bytes");
  EXPECT_EQ(d.location, (SourceLocation{"p.yaml", 6, 15}));
  // Bytes, not characters: 27 × 'ä' is 54 bytes.
  std::string umlauts;
  for (int i = 0; i < 27; ++i) umlauts += "ä";
  ExpectClean("  tables: ['\"" + umlauts + "\"']\n  interval: 1 month\n");
  ExpectLintError("  tables: ['\"" + umlauts + "ä\"']\n  interval: 1 month\n", "spec.tables[0]",
                  "would be 65 bytes");
  // Hash: the widest remainder counts ("_h1023" is 6 bytes).
  ExpectClean("  tables: [" + std::string(57, 'h') + "]\n  strategy: hash\n  modulus: 1024\n");
  ExpectLintError("  tables: [" + std::string(58, 'h') + "]\n  strategy: hash\n  modulus: 1024\n",
                  "spec.tables[0]", "would be 64 bytes");
}

TEST(LintTest, IntegerNamesWarnWhenLongBoundsWouldNotFit) {
  // 50 + "_p" leaves 11 digits; the second partition "_p1000" fits.
  PolicySet set = Parse("  tables: [" + std::string(50, 'e') + "]\n  interval: 1000\n");
  EXPECT_FALSE(HasErrors(set.diagnostics)) << Dump(set.diagnostics);
  const Diagnostic* d = Find(set.diagnostics, "spec.tables[0]", "at most 11 digits");
  ASSERT_NE(d, nullptr) << Dump(set.diagnostics);
  EXPECT_EQ(d->severity, Severity::kWarning);
  ExpectClean("  tables: [" + std::string(42, 'e') + "]\n  interval: 1000\n");
}

TEST(LintTest, DefaultPartitionName) {
  std::string body =
      "  tables: [" + std::string(56, 'd') + "]\n  interval: 1 month\n  naming: \"p{YYYY}{MM}\"\n";
  ExpectClean(body);
  ExpectLintError(body + "  defaultPartition: true\n", "spec.defaultPartition",
                  "_default' would be over 63 bytes");
  ExpectClean("  tables: [" + std::string(55, 'd') +
              "]\n  interval: 1 month\n  naming: \"p{YYYY}{MM}\"\n  defaultPartition: true\n");
}

// Issue 10.7: a warning let such a policy load; at the end of DST the repeated hour collided and
// the table's planning failed. Now an error, unless the template tells the two hours apart.
TEST(LintTest, HourlyPartitionsInADaylightSavingZoneAreAnError) {
  ExpectLintError("  tables: [t]\n  interval: 1 hour\n  timeZone: America/New_York\n",
                  "spec.interval", "daylight saving time ends in America/New_York");
  ExpectLintError("  tables: [t]\n  interval: 1 hour\n  timeZone: Europe/Berlin\n",
                  "spec.interval", "add {UTCHH} to the template");
  ExpectClean("  tables: [t]\n  interval: 1 hour\n  timeZone: UTC\n");
  ExpectClean("  tables: [t]\n  interval: 1 day\n  timeZone: Europe/Berlin\n");
  ExpectClean(
      "  tables: [t]\n  interval: 1 hour\n  timeZone: America/New_York\n"
      "  naming: \"{parent}_y{YYYY}m{MM}d{DD}h{HH}u{UTCHH}\"\n");
}

TEST(LintTest, GateWithoutRetentionWarns) {
  PolicySet set = Parse(
      "  tables: [t]\n  interval: 1 month\n  backupGate: {kind: pgbackrest, "
      "stanza: main}\n");
  const Diagnostic* d = Find(set.diagnostics, "spec.backupGate", "no effect without retention");
  ASSERT_NE(d, nullptr) << Dump(set.diagnostics);
  EXPECT_EQ(d->severity, Severity::kWarning);
}

TEST(LintTest, ArchiveIntoTheTablesOwnSchema) {
  ExpectLintError(
      "  tables: [app.t]\n  interval: 1 month\n"
      "  retention: {keep: 1 year, action: archive, archiveSchema: APP}\n",
      "spec.retention.archiveSchema", "is the schema of app.t itself");
  ExpectClean(
      "  tables: [app.t]\n  interval: 1 month\n"
      "  retention: {keep: 1 year, action: archive, archiveSchema: archive}\n");
}

// Issue 13: a bridge partition (the part of a period that partitions off the grid leave) is named
// by its period's name, "_from_" and its lower bound; a hold may name it.
TEST(LintTest, HoldMayNameABridgePartition) {
  std::string base =
      "  tables: [t]\n  interval: 1 week\n  retention: {keep: 1 year}\n"
      "  holds:\n";
  ExpectClean(base + "    - {partition: t_y2027w17_from_20270501, reason: x}\n");
  ExpectClean(base + "    - {partition: t_y2027w17_from_20270501t0930, reason: x}\n");
  ExpectLintError(base + "    - {partition: t_y2027w54_from_20270501, reason: x}\n",
                  "spec.holds[0].partition", "never produces");
  ExpectLintError(base + "    - {partition: t_y2027w17_from_may, reason: x}\n",
                  "spec.holds[0].partition", "never produces");
  ExpectClean(
      "  tables: [t]\n  interval: 3000\n  retention: {keep: 9000}\n  holds:\n"
      "    - {partition: t_p6000_from_7000, reason: x}\n");
}

// Issue 13: `start` older than retention.keep is not silently clamped: lint (with the clock) says
// which periods are not created and what happens to their rows.
TEST(LintTest, StartOlderThanKeepWarnsAtTheClock) {
  const std::string body =
      "  tables: [t]\n  interval: 1 month\n  start: 2024-01-01\n"
      "  retention: {keep: 24 months}\n";
  PolicySet set = Parse(body);
  ASSERT_TRUE(set.diagnostics.empty()) << Dump(set.diagnostics);  // no clock: nothing to say
  const int64_t at = *ParseInstant("2026-11-21T12:00:00Z", FindZone("UTC"));
  Diagnostics d = LintAtClock(set.policies, at);
  ASSERT_EQ(d.size(), 1u) << Dump(d);
  EXPECT_EQ(d[0].severity, Severity::kWarning);
  EXPECT_EQ(d[0].path, "spec.start");
  EXPECT_EQ(d[0].location, (SourceLocation{"p.yaml", 8, 10}));
  EXPECT_EQ(d[0].message,
            "start '2024-01-01' is older than retention.keep '24 months' (now - keep is "
            "2024-11-21T12:00:00Z): the periods from 2024-01-01 to 2024-11-01 are past retention "
            "and are not created (an empty expired period is not created only to be retired). "
            "Inserting rows of those periods fails (\"no partition of relation ... found for "
            "row\"): there is no default partition. Set start to 2024-11-01 or later, or raise "
            "keep to keep them");
  PolicySet with_default = Parse(body + "  defaultPartition: true\n");
  d = LintAtClock(with_default.policies, at);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].message.find("Rows of those periods go to the default partition, and each apply "
                              "moves them into a partition of their period and retires it (drop)"),
            std::string::npos)
      << d[0].message;
  // A year earlier the start was within retention; a start inside the first kept period is fine.
  EXPECT_TRUE(LintAtClock(set.policies, *ParseInstant("2025-11-21", FindZone("UTC"))).empty());
  EXPECT_TRUE(LintAtClock(Parse("  tables: [t]\n  interval: 1 month\n  start: 2024-11-05\n"
                                "  retention: {keep: 24 months}\n")
                              .policies,
                          at)
                  .empty());
  // Integer keys have no clock; no retention, nothing expires.
  EXPECT_TRUE(LintAtClock(Parse("  tables: [t]\n  interval: 1000\n  start: 0\n"
                                "  retention: {keep: 5000}\n")
                              .policies,
                          at)
                  .empty());
  EXPECT_TRUE(
      LintAtClock(Parse("  tables: [t]\n  interval: 1 month\n  start: 2020-01-01\n").policies, at)
          .empty());
}

TEST(LintTest, WorksOnPoliciesBuiltInCode) {
  Policy p;
  p.name = "code";
  p.tables = {QualifiedName{"public", "t"}};
  p.interval = Interval{1, Unit::kDay};
  p.premake = 10;
  p.retention.emplace();
  p.retention->keep_text = "1 week";
  p.retention->keep = Interval{1, Unit::kWeek};
  p.location = SourceLocation{"code", 1, 1};
  Diagnostics diagnostics = LintPolicies({p});
  ASSERT_EQ(CountErrors(diagnostics), 1) << Dump(diagnostics);
  EXPECT_EQ(diagnostics[0].path, "spec.retention.keep");
  EXPECT_EQ(diagnostics[0].location, p.location);  // nothing recorded: the document's location
  p.premake = 7;
  EXPECT_TRUE(LintPolicies({p}).empty());
}

}  // namespace
}  // namespace pgpart
