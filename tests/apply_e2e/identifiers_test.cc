// Hostile identifiers: schemas and tables with double quotes, spaces, upper case, multi-byte
// characters and names of exactly 63 bytes are planned, applied, recovered after a crash and
// converge; a name that would need 64 bytes is refused, never truncated.

#include <gtest/gtest.h>
#include <signal.h>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {
namespace {

using std::chrono::seconds;

const std::string kOddSchema = "My \"Odd\" Schema";
const std::string kEvents = "Odd \"Events\"";     // no default: concurrent, marked drops
const std::string kUpper = "UPPER Case Default";  // default partition with rows to drain
// `prefix` padded with 'x' to `bytes` bytes.
std::string Padded(std::string prefix, size_t bytes) {
  prefix.resize(bytes, 'x');
  return prefix;
}
// 63 bytes; 54 bytes + "_y2026m12" = 63 (é and É are two bytes each).
const std::string kLongSchema = Padded("Schéma Très \"Long\" ", 63);
const std::string kLongTable = Padded("Mesures \"Étranges\" ", 54);

std::string Q(const std::string& schema, const std::string& name) {
  return Ident(schema) + "." + Ident(name);
}

std::string Table(const std::string& schema, const std::string& name) {
  return "CREATE TABLE " + Q(schema, name) +
         " (\"Id\" bigint NOT NULL, \"Recorded At\" timestamptz NOT NULL, \"v\" int) PARTITION BY "
         "RANGE (\"Recorded At\");\n";
}

std::string InsertRows(const std::string& schema, const std::string& name, const std::string& from,
                       const std::string& to, int hours) {
  return "INSERT INTO " + Q(schema, name) +
         " SELECT g, t, g % 13 FROM generate_series(timestamptz '" + from + "', timestamptz '" +
         to + "' - interval '1 second', interval '" + std::to_string(hours) +
         " hours') WITH ORDINALITY x(t, g);\n";
}

// YAML single-quoted scalar of the qualified name as PostgreSQL reads it.
std::string YamlTable(const std::string& schema, const std::string& name) {
  std::string out = "'";
  for (char c : Q(schema, name)) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string HostileSql() {
  std::string sql =
      "CREATE SCHEMA " + Ident(kOddSchema) + ";\nCREATE SCHEMA " + Ident(kLongSchema) + ";\n";
  sql += Table(kOddSchema, kEvents) + MonthlyPartitions(kOddSchema, kEvents, 2026, 5, 7) +
         InsertRows(kOddSchema, kEvents, "2026-05-01Z", "2026-11-21Z", 7);
  sql += Table(kOddSchema, kUpper) + "CREATE TABLE " + Q(kOddSchema, kUpper + "_default") +
         " PARTITION OF " + Q(kOddSchema, kUpper) + " DEFAULT;\n" +
         MonthlyPartitions(kOddSchema, kUpper, 2026, 10, 3) +
         InsertRows(kOddSchema, kUpper, "2026-10-01Z", "2026-11-21Z", 5) +
         InsertRows(kOddSchema, kUpper, "2027-01-03Z", "2027-01-04Z", 3);  // 8 rows in the default
  sql += Table(kLongSchema, kLongTable) + MonthlyPartitions(kLongSchema, kLongTable, 2026, 7, 5) +
         InsertRows(kLongSchema, kLongTable, "2026-07-01Z", "2026-11-21Z", 11);
  return sql;
}

std::string HostilePolicies() {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: odd-events}\n"
         "spec:\n  tables: [" +
         YamlTable(kOddSchema, kEvents) +
         "]\n  column: Recorded At\n  interval: 1 month\n  premake: 2\n"
         "  retention: {keep: 3 months, action: drop}\n"
         "  holds:\n    - partition: '" +
         kEvents + "_y2026m06'\n      reason: kept on purpose\n---\n" +
         "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: upper}\n"
         "spec:\n  tables: [" +
         YamlTable(kOddSchema, kUpper) +
         "]\n  interval: 1 month\n  premake: 2\n  defaultPartition: true\n---\n" +
         "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: long}\n"
         "spec:\n  tables: [" +
         YamlTable(kLongSchema, kLongTable) +
         "]\n  interval: 1 month\n  premake: 1\n"
         "  retention: {keep: 3 months, action: drop}\n"
         "  backupGate: {kind: sql, query: \"select $1 like 'Mesures \\\"Étranges\\\"%'\"}\n";
}

bool Exists(const ScratchDatabase& db, const std::string& schema, const std::string& name) {
  return !db.Scalar("SELECT to_regclass(" + Literal(Q(schema, name)) + ")::text").empty();
}

TEST(HostileIdentifiers, PlanApplyRecoverAndConverge) {
  ASSERT_EQ(kLongSchema.size(), 63u);
  ASSERT_EQ(kLongTable.size() + std::string("_y2026m12").size(), 63u);
  const std::vector<std::string> schemas{kOddSchema, kLongSchema};
  ScratchDatabase templ("template");
  templ.Exec(HostileSql());
  const std::string policy = WriteTestFile("hostile.yaml", HostilePolicies());
  const int64_t in_default =
      templ.Count("SELECT count(*) FROM ONLY " + Q(kOddSchema, kUpper + "_default"));
  ASSERT_EQ(in_default, 8);

  std::vector<std::string> reference;
  {
    ScratchDatabase db("clean", templ.name());
    RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_FALSE(Exists(db, kOddSchema, kEvents + "_y2026m05"));
    EXPECT_TRUE(Exists(db, kOddSchema, kEvents + "_y2026m06")) << "held";
    EXPECT_FALSE(Exists(db, kOddSchema, kEvents + "_y2026m07"));
    EXPECT_TRUE(Exists(db, kOddSchema, kEvents + "_y2027m01"));
    EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY " + Q(kOddSchema, kUpper + "_y2027m01")),
              in_default);
    EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY " + Q(kOddSchema, kUpper + "_default")), 0);
    EXPECT_FALSE(Exists(db, kLongSchema, kLongTable + "_y2026m07"));
    EXPECT_TRUE(Exists(db, kLongSchema, kLongTable + "_y2026m12"));
    EXPECT_EQ(db.Count("SELECT octet_length(relname) FROM pg_class WHERE relname = " +
                       Literal(kLongTable + "_y2026m12")),
              63);
    EXPECT_EQ(db.Count("SELECT count(*) FROM pgpart.history WHERE outcome = 'applied' AND "
                       "partition = " +
                       Literal(Q(kLongSchema, kLongTable + "_y2026m07")) + " AND rows > 0"),
              1);
    EXPECT_EQ(db.Leftovers(), std::vector<std::string>{});
    RunResult plan = RunPgpart(PlanArgs(policy, db.dsn()));
    EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
    RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
    EXPECT_EQ(again.exit_code, 0) << Describe(again);
    EXPECT_NE(again.out.find("No changes."), std::string::npos) << again.out;
    reference = db.TableLines(schemas);
  }

  // Killed at every checkpoint, then converged: the marker comments and recovery drops work with
  // these names too.
  int killed_at = 0;
  for (int n = 1; n <= 100; ++n) {
    const std::string where = "killed at checkpoint " + std::to_string(n);
    ScratchDatabase db("cp" + std::to_string(n), templ.name());
    Background first(ApplyArgs(policy, db.dsn()), {{"PGPART_TEST_PAUSE_AT", std::to_string(n)}});
    if (!first.WaitForStderr("paused at checkpoint", seconds(20))) {
      ASSERT_EQ(first.Wait().exit_code, 0) << where;
      break;
    }
    first.Kill(SIGKILL);
    first.Wait();
    ++killed_at;
    db.WaitForOtherSessions();
    RunResult again = RunPgpart(ApplyArgs(policy, db.dsn()));
    EXPECT_EQ(again.exit_code, 0) << where << "\n" << Describe(again);
    EXPECT_EQ(db.TableLines(schemas), reference) << where;
    EXPECT_EQ(db.Leftovers(), std::vector<std::string>{}) << where;
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GE(killed_at, 10);
}

TEST(HostileIdentifiers, NameOverSixtyThreeBytesIsRefusedNotTruncated) {
  ScratchDatabase db;
  const std::string table = kLongTable + "y";  // 55 bytes: partitions would need 64
  db.Exec("CREATE SCHEMA " + Ident(kOddSchema) + ";\n" + Table(kOddSchema, table));
  const std::string policy =
      WriteTestFile("long.yaml",
                    "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: l}\n"
                    "spec:\n  tables: [" +
                        YamlTable(kOddSchema, table) + "]\n  interval: 1 month\n  premake: 1\n");
  const auto before = db.TableLines({kOddSchema});
  RunResult r = RunPgpart(ApplyArgs(policy, db.dsn()));
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE((r.out + r.err).find("64 bytes"), std::string::npos) << Describe(r);
  EXPECT_EQ(db.TableLines({kOddSchema}), before);
}

// Issue 11 item 9: a table whose name holds a newline, an ESC sequence and a C1 CSI, with a hold
// reason that does the same: plan and apply show them escaped (no line of output starts with the
// injected text, no ESC or CSI reaches the terminal), and apply still creates the partitions.
TEST(HostileIdentifiers, ControlCharactersInNamesAndReasonsAreEscapedInOutput) {
  const std::string name = "ctl\x1b[2J\nFAKE\xC2\x9B" "1m";
  ScratchDatabase db("ctl");
  db.Exec(Table("public", name) + MonthlyPartitions("public", name, 2026, 9, 3));
  // YAML double-quoted: \e, \n and \u009b are the control characters themselves.
  const std::string policy = WriteTestFile(
      "ctl.yaml",
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ctl}\n"
      "spec:\n  tables: [\"public.\\\"ctl\\e[2J\\nFAKE\\u009b1m\\\"\"]\n"
      "  column: Recorded At\n  interval: 1 month\n  premake: 1\n"
      "  retention: {keep: 2 months, action: drop}\n"
      "  holds:\n    - partition: \"ctl\\e[2J\\nFAKE\\u009b1m_y2026m09\"\n"
      "      reason: \"on purpose\\n\\e[31mFAKE reason\"\n");
  for (const std::vector<std::string>& args :
       {PlanArgs(policy, db.dsn()), ApplyArgs(policy, db.dsn())}) {
    RunResult r = RunPgpart(args);
    SCOPED_TRACE(args[0]);
    EXPECT_LE(r.exit_code, 2) << Describe(r);
    const std::string all = r.out + r.err;
    EXPECT_NE(all.find("FAKE"), std::string::npos) << Describe(r);
    EXPECT_EQ(all.find("\nFAKE"), std::string::npos) << Describe(r);
    EXPECT_EQ(all.find('\x1b'), std::string::npos) << Describe(r);
    EXPECT_EQ(all.find("\xC2\x9B"), std::string::npos) << Describe(r);
  }
  EXPECT_TRUE(Exists(db, "public", name + "_y2026m12"));
  EXPECT_TRUE(Exists(db, "public", name + "_y2026m09")) << "held";
}

}  // namespace
}  // namespace pgpart::apply_e2e
