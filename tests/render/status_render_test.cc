// Status renderers: golden files for text/JSON/Prometheus, label escaping, and the Prometheus
// output checked by `promtool check metrics` (Debian's prometheus package; the test fails when it
// is missing).

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "../plan/plan_fixture.h"
#include "golden_fixture.h"
#include "plan/planner.h"
#include "render/status_render.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddDefault;
using ::pgpart::testing::AddMonths;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::ExpectGolden;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;

// Three policies: a gated table with a hold whose next drop the last apply's backup gate blocked
// (recorded in pgpart.history, with that run's row) and is overdue since, a table with a hostile
// name, a short buffer and rows in its default, a missing table, and a complete hash table (no
// time axis: no buffer).
Status DemoStatus() {
  std::string yaml =
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: sensor}\n"
      "spec:\n  tables: [public.sensor_readings]\n  interval: 1 month\n  premake: 3\n"
      "  retention: {keep: 24 months}\n  backupGate: {kind: pgbackrest, stanza: main}\n"
      "  holds:\n    - {partition: sensor_readings_y2024m03, reason: \"Legal hold LH-1142\", "
      "until: 2027-01-01}\n"
      "---\napiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: odd}\n"
      "spec:\n  tables: ['app.\"we\"\"ird\\na\"\"me\"', app.gone]\n  interval: 1 month\n"
      "  defaultPartition: true\n"
      "---\napiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: tenants}\n"
      "spec:\n  tables: [public.tenants]\n  strategy: hash\n  column: org_id\n  modulus: 4\n";
  Table sensor = RangeTable("public.sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(sensor, "2024-03", 34);
  for (size_t i = 0; i < sensor.children.size(); ++i) sensor.children[i].bytes = 8192 * (i + 1);
  sensor.history = {RecordedOutcome{QualifiedName{"public", "sensor_readings_y2024m04"}, "drop",
                                    "blocked",
                                    "backup gate: no backup of stanza main ended at or after "
                                    "upper bound 2024-05-01T00:00:00Z",
                                    At("2026-05-15T02:00:00Z")}};
  // The run that recorded the blocked drop (apply/runs.h): pgpart_last_apply_*.
  sensor.last_apply = LastApply{At("2026-05-15T02:00:07Z"), "blocked",
                                "1 applied, 0 already done, 0 held, 1 blocked, 0 failed; drop "
                                "public.sensor_readings_y2024m04: backup gate: no backup"};
  // What retention action detach/archive left behind (Table::detached): one archived with its
  // audit row, one whose marker was copied onto a table with another oid.
  {
    Child archived;
    archived.name = {"archive", "sensor_readings_y2023m01"};
    archived.from = *ParseBoundText(KeyType::kTimestampTz, "2023-01-01T00:00:00Z");
    archived.to = *ParseBoundText(KeyType::kTimestampTz, "2023-02-01T00:00:00Z");
    archived.oid = archived.marker_oid = 16000;
    archived.rows_estimate = 1200;
    archived.bytes = 3 * 8192;
    archived.detached_at_micros = At("2025-02-03T02:00:00Z");
    Child copy = archived;
    copy.name = {"public", "sensor_readings_y2023m02"};
    copy.from = archived.to;
    copy.to = *ParseBoundText(KeyType::kTimestampTz, "2023-03-01T00:00:00Z");
    copy.oid = 17000;
    copy.detached_at_micros = 0;
    sensor.detached = {archived, copy};
  }
  Table odd = RangeTable("app.\"we\"\"ird\\na\"\"me\"", "at", KeyType::kTimestampTz);
  AddMonths(odd, "2026-04", 2);
  AddDefault(odd, 7);
  Table tenants = ::pgpart::testing::HashTable("public.tenants", "org_id");
  ::pgpart::testing::AddHashChildren(tenants, 4);
  std::vector<Policy> policies = Policies(yaml);
  Catalog catalog = CatalogOf({sensor, odd, tenants});
  catalog.history = HistoryState::kRead;
  int64_t now = At("2026-05-15T06:00:00Z");
  return ComputeStatus(policies, catalog, ComputePlan(policies, catalog, now), now);
}

TEST(StatusRender, DemoShape) {
  Status s = DemoStatus();
  ASSERT_EQ(s.tables.size(), 4u);
  EXPECT_EQ(s.health, Health::kError);
  EXPECT_EQ(s.tables[3].health, Health::kOk) << s.tables[3].problems.size();
}

TEST(StatusRender, TextGolden) { ExpectGolden("status.txt", RenderStatusText(DemoStatus())); }

TEST(StatusRender, JsonGolden) {
  std::string text = RenderStatusJson(DemoStatus());
  ExpectGolden("status.json", text);
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["tables"].size(), 4u);
  EXPECT_TRUE(j["tables"][3]["future_buffer_periods"].is_null());
}

TEST(StatusRender, PrometheusGolden) {
  ExpectGolden("status.prom", RenderStatusPrometheus(DemoStatus()));
}

TEST(StatusRender, EscapesLabelValues) {
  EXPECT_EQ(EscapePrometheusLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapePrometheusLabel("plain"), "plain");
}

TEST(StatusRender, PrometheusHasEveryFamilyAsGauges) {
  std::string text = RenderStatusPrometheus(DemoStatus());
  for (const char* name :
       {"pgpart_partitions", "pgpart_future_buffer_periods", "pgpart_default_partition_rows",
        "pgpart_oldest_partition_age_seconds", "pgpart_held_partitions", "pgpart_blocked_steps",
        "pgpart_retention_overdue_partitions", "pgpart_partition_bytes",
        "pgpart_detached_tables", "pgpart_detached_bytes",
        "pgpart_last_apply_timestamp_seconds", "pgpart_last_apply_success"}) {
    EXPECT_NE(text.find(std::string("# HELP ") + name + " "), std::string::npos) << name;
    EXPECT_NE(text.find(std::string("# TYPE ") + name + " gauge\n"), std::string::npos) << name;
    EXPECT_NE(text.find(std::string(name) + "{policy=\"sensor\",table=\"public.sensor_readings\"}"),
              std::string::npos)
        << name;
  }
  EXPECT_EQ(text.find("app.gone"), std::string::npos);  // a missing table has no samples
}

// A hash table has no time axis: a buffer of 0 would fire PgpartFutureBufferLow for it forever
// (issue 12 item 11). Its other gauges are there; pgpart_oldest_partition_age_seconds is not
// (no lower bound to age from).
TEST(StatusRender, HashTablesExportNoFutureBuffer) {
  std::string text = RenderStatusPrometheus(DemoStatus());
  const std::string series = "{policy=\"tenants\",table=\"public.tenants\"}";
  EXPECT_EQ(text.find("pgpart_future_buffer_periods" + series), std::string::npos) << text;
  EXPECT_EQ(text.find("pgpart_oldest_partition_age_seconds" + series), std::string::npos);
  EXPECT_NE(text.find("pgpart_partitions" + series + " 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pgpart_blocked_steps" + series + " 0\n"), std::string::npos) << text;
  const std::string txt = RenderStatusText(DemoStatus());
  EXPECT_EQ(txt.find("covered until", txt.find("public.tenants")), std::string::npos) << txt;
}

// Runs `sh -c command`, returning its exit status and output (stdout and stderr).
int RunShell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output->append(buffer.data(), n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(StatusRender, PromtoolCheckMetricsPasses) {
  std::string found;
  ASSERT_EQ(RunShell("command -v promtool", &found), 0)
      << "promtool is missing: install Debian's prometheus package (scripts/setup)";
  std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("pgpart_status_" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream out(file);
    out << RenderStatusPrometheus(DemoStatus());
  }
  std::string output;
  int rc = RunShell("promtool check metrics < '" + file.string() + "'", &output);
  std::filesystem::remove(file);
  EXPECT_EQ(rc, 0) << output;
  EXPECT_EQ(output, "") << "promtool reported problems";
}

TEST(StatusRender, PromtoolRejectsBrokenMetrics) {
  // The check itself can fail: an unescaped quote in a label value is refused.
  std::string output;
  int rc = RunShell("printf '# HELP x y\\n# TYPE x gauge\\nx{a=\"b\"c\"} 1\\n' | promtool check metrics",
               &output);
  EXPECT_NE(rc, 0) << output;
}

}  // namespace
}  // namespace pgpart
