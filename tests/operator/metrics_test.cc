// The operator's metrics registry: exact sample lines (status gauges merged across policies,
// counters, a cumulative histogram, label escaping, Forget) and the whole exposition checked by
// the real `promtool check metrics` (Debian's prometheus package; the test fails when missing).

#include "operator/metrics.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../plan/plan_fixture.h"
#include "plan/planner.h"
#include "render/status_render.h"

namespace pgpart::op {
namespace {

TableStatus Table(const std::string& schema, const std::string& name, int64_t partitions) {
  TableStatus t;
  t.table = {schema, name};
  t.policy = "overwritten";  // Metrics relabels with its own key
  t.exists = true;
  t.partitions.count = partitions;
  t.partitions.has_default = true;
  t.partitions.default_rows = 3;
  t.future_buffer_periods = 4;
  t.oldest_age_seconds = 86400;
  t.bytes = 8192;
  t.held = {{"p_old", "legal hold"}};
  t.blocked = {{"detach", "public.x", "held"}};
  return t;
}

Status StatusOf(std::vector<TableStatus> tables) {
  Status s;
  s.at = "2026-11-21T12:00:00Z";
  s.tables = std::move(tables);
  return s;
}

// The lines of `text` that start with `prefix`, in order.
std::vector<std::string> Lines(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// A registry with two policies (one with a hostile name), several statuses, counters and
// observations on both sides of bucket bounds.
void FillDemo(Metrics& m) {
  m.SetStatus("shop/orders", StatusOf({Table("public", "orders", 12), Table("archive", "x", 2)}));
  // A later status replaces the earlier one entirely.
  m.SetStatus("ops/we\"ird\\na\nme", StatusOf({Table("public", "stale", 1)}));
  m.SetStatus("ops/we\"ird\\na\nme", StatusOf({Table("public", "events", 5)}));
  TableStatus missing = Table("public", "gone", 0);
  missing.exists = false;  // no samples for tables that do not exist
  m.SetStatus("shop/missing", StatusOf({missing}));

  m.StepApplied("shop/orders", "create");
  m.StepApplied("shop/orders", "create");
  m.StepApplied("shop/orders", "drop");
  m.StepApplied("ops/we\"ird\\na\nme", "detach");
  m.Reconciled("shop/orders", "success", 0.05);  // exactly on a bound: le="0.05"
  m.Reconciled("shop/orders", "success", 0.3);
  m.Reconciled("shop/orders", "error", 2);
  m.Reconciled("shop/orders", "success", 400);  // above every bound: only +Inf
  m.Reconciled("ops/we\"ird\\na\nme", "blocked", 0.5);
  m.Succeeded("shop/orders", 1763726400.25);
  m.Succeeded("ops/we\"ird\\na\nme", 1763726000);
  m.SetLeader(true);
  m.SetPolicies(3);
}

// Metrics holds a mutex (neither copyable nor movable): render a filled one in place.
std::string DemoText() {
  Metrics m;
  FillDemo(m);
  return m.Render();
}

constexpr char kOdd[] = R"(policy="ops/we\"ird\\na\nme")";

TEST(Metrics, StatusGaugesAreMergedOncePerFamilyAndRelabelled) {
  const std::string text = DemoText();
  for (const char* family :
       {"pgpart_partitions", "pgpart_future_buffer_periods", "pgpart_default_partition_rows",
        "pgpart_oldest_partition_age_seconds", "pgpart_held_partitions", "pgpart_blocked_steps",
        "pgpart_retention_overdue_partitions", "pgpart_partition_bytes"}) {
    EXPECT_EQ(Count(text, std::string("# TYPE ") + family + " gauge\n"), 1) << family;
  }
  // Sorted by (policy, table); the replaced status and the missing table leave no series.
  EXPECT_EQ(Lines(text, "pgpart_partitions{"),
            (std::vector<std::string>{
                std::string("pgpart_partitions{") + kOdd + ",table=\"public.events\"} 5",
                R"(pgpart_partitions{policy="shop/orders",table="archive.x"} 2)",
                R"(pgpart_partitions{policy="shop/orders",table="public.orders"} 12)",
            }));
  EXPECT_EQ(Count(text, "overwritten"), 0);
  EXPECT_EQ(Count(text, "stale"), 0);
  EXPECT_EQ(Count(text, "gone"), 0);
  EXPECT_EQ(Lines(text, "pgpart_held_partitions{policy=\"shop/orders\",table=\"public.orders\"}"),
            (std::vector<std::string>{
                R"(pgpart_held_partitions{policy="shop/orders",table="public.orders"} 1)"}));
}

// The operator's status comes from ComputeStatus like the CLI's: a hash table (no time axis) has
// no pgpart_future_buffer_periods series, else the shipped PgpartFutureBufferLow alert would fire
// for it forever (issue 12 item 11). A range table next to it keeps its buffer.
TEST(Metrics, HashTablesHaveNoFutureBufferSeries) {
  const std::string yaml =
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: tenants}\n"
      "spec:\n  tables: [public.tenants]\n  strategy: hash\n  column: org_id\n  modulus: 4\n"
      "---\napiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: sensor}\n"
      "spec:\n  tables: [public.sensor]\n  interval: 1 month\n  premake: 3\n";
  ::pgpart::Table tenants = ::pgpart::testing::HashTable("public.tenants", "org_id");
  ::pgpart::testing::AddHashChildren(tenants, 4);
  ::pgpart::Table sensor =
      ::pgpart::testing::RangeTable("public.sensor", "at", KeyType::kTimestampTz);
  ::pgpart::testing::AddMonths(sensor, "2026-10", 6);
  const std::vector<Policy> policies = ::pgpart::testing::Policies(yaml);
  const Catalog catalog = ::pgpart::testing::CatalogOf({tenants, sensor});
  const int64_t now = ::pgpart::testing::At("2026-11-21T12:00:00Z");
  const Status status = ComputeStatus(policies, catalog, ComputePlan(policies, catalog, now), now);
  Metrics m;
  m.SetStatus("shop/tenants", status);
  const std::string text = m.Render();
  EXPECT_EQ(Lines(text, "pgpart_future_buffer_periods{"),
            (std::vector<std::string>{
                R"(pgpart_future_buffer_periods{policy="shop/tenants",table="public.sensor"} 4)"}))
      << text;
  EXPECT_EQ(Lines(text, "pgpart_partitions{policy=\"shop/tenants\",table=\"public.tenants\"}"),
            (std::vector<std::string>{
                R"(pgpart_partitions{policy="shop/tenants",table="public.tenants"} 4)"}));
}

TEST(Metrics, CountersAndGauges) {
  const std::string text = DemoText();
  EXPECT_EQ(Lines(text, "pgpart_steps_applied_total"),
            (std::vector<std::string>{
                std::string("pgpart_steps_applied_total{") + kOdd + ",action=\"detach\"} 1",
                R"(pgpart_steps_applied_total{policy="shop/orders",action="create"} 2)",
                R"(pgpart_steps_applied_total{policy="shop/orders",action="drop"} 1)",
            }));
  EXPECT_EQ(Lines(text, "pgpart_reconcile_total"),
            (std::vector<std::string>{
                std::string("pgpart_reconcile_total{") + kOdd + ",result=\"blocked\"} 1",
                R"(pgpart_reconcile_total{policy="shop/orders",result="error"} 1)",
                R"(pgpart_reconcile_total{policy="shop/orders",result="success"} 3)",
            }));
  EXPECT_EQ(Lines(text, "pgpart_last_success_timestamp_seconds"),
            (std::vector<std::string>{
                std::string("pgpart_last_success_timestamp_seconds{") + kOdd +
                    "} 1763726000.000",
                R"(pgpart_last_success_timestamp_seconds{policy="shop/orders"} 1763726400.250)",
            }));
  EXPECT_EQ(Lines(text, "pgpart_operator_"),
            (std::vector<std::string>{"pgpart_operator_leader 1", "pgpart_operator_policies 3"}));
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfEqualToCount) {
  const std::string text = DemoText();
  const std::string p = R"(policy="shop/orders")";
  EXPECT_EQ(Lines(text, "pgpart_reconcile_duration_seconds_bucket{" + p),
            (std::vector<std::string>{
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"0.05\"} 1",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"0.1\"} 1",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"0.25\"} 1",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"0.5\"} 2",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"1\"} 2",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"2.5\"} 3",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"5\"} 3",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"10\"} 3",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"30\"} 3",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"60\"} 3",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"120\"} 3",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"300\"} 3",
                "pgpart_reconcile_duration_seconds_bucket{" + p + ",le=\"+Inf\"} 4",
            }));
  EXPECT_EQ(Lines(text, "pgpart_reconcile_duration_seconds_sum{" + p),
            (std::vector<std::string>{"pgpart_reconcile_duration_seconds_sum{" + p + "} 402.35"}));
  EXPECT_EQ(Lines(text, "pgpart_reconcile_duration_seconds_count{" + p),
            (std::vector<std::string>{"pgpart_reconcile_duration_seconds_count{" + p + "} 4"}));
  EXPECT_EQ(Lines(text, std::string("pgpart_reconcile_duration_seconds_bucket{") + kOdd +
                            ",le=\"+Inf\"}"),
            (std::vector<std::string>{std::string("pgpart_reconcile_duration_seconds_bucket{") +
                                      kOdd + ",le=\"+Inf\"} 1"}));
  EXPECT_EQ(Count(text, "# TYPE pgpart_reconcile_duration_seconds histogram\n"), 1);
}

TEST(Metrics, ForgetDropsGaugesButKeepsCounters) {
  Metrics m;
  FillDemo(m);
  m.Forget("shop/orders");
  const std::string text = m.Render();
  EXPECT_EQ(Lines(text, "pgpart_partitions{policy=\"shop/orders\""), std::vector<std::string>{});
  EXPECT_EQ(Lines(text, "pgpart_last_success_timestamp_seconds{policy=\"shop/orders\""),
            std::vector<std::string>{});
  EXPECT_EQ(Lines(text, "pgpart_steps_applied_total{policy=\"shop/orders\"").size(), 2u);
  EXPECT_EQ(Lines(text, "pgpart_reconcile_total{policy=\"shop/orders\"").size(), 2u);
  EXPECT_EQ(Lines(text, "pgpart_reconcile_duration_seconds_count{policy=\"shop/orders\"}"),
            (std::vector<std::string>{
                R"(pgpart_reconcile_duration_seconds_count{policy="shop/orders"} 4)"}));
  // The other policy is untouched.
  EXPECT_EQ(Lines(text, std::string("pgpart_partitions{") + kOdd).size(), 1u);
}

TEST(Metrics, EmptyRegistryHasEveryFamilyAndTheOperatorGauges) {
  const std::string text = Metrics().Render();
  EXPECT_EQ(Count(text, "# TYPE "), 18) << text;  // 12 status gauges, 6 of its own
  EXPECT_EQ(Lines(text, "pgpart_"),
            (std::vector<std::string>{"pgpart_operator_leader 0", "pgpart_operator_policies 0"}));
}

// Runs `sh -c command` with `input` on its stdin; returns the exit status, output in `output`.
int RunWithInput(const std::string& command, const std::string& input, std::string* output) {
  const std::filesystem::path out_file =
      std::filesystem::temp_directory_path() /
      ("pgpart_metrics_promtool_" + std::to_string(::getpid()) + ".out");
  FILE* pipe = popen((command + " > '" + out_file.string() + "' 2>&1").c_str(), "w");
  if (pipe == nullptr) return -1;
  fwrite(input.data(), 1, input.size(), pipe);
  const int status = pclose(pipe);
  std::ifstream in(out_file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  *output = buffer.str();
  std::filesystem::remove(out_file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Metrics, PromtoolCheckMetricsAccepts) {
  std::string output;
  ASSERT_EQ(RunWithInput("command -v promtool", "", &output), 0)
      << "promtool is missing: install Debian's prometheus package (scripts/setup)";
  for (const std::string& text : {DemoText(), Metrics().Render()}) {
    output.clear();
    EXPECT_EQ(RunWithInput("promtool check metrics", text, &output), 0) << output << text;
    EXPECT_EQ(output, "") << "promtool lint complaints:\n" << text;
  }
}

TEST(Metrics, PromtoolRejectsAStatusFamilyRenderedTwice) {
  // Why Render merges the statuses: rendering each policy's status on its own and concatenating
  // repeats every family's HELP/TYPE, which promtool (and Prometheus) refuse. Also shows that the
  // check above can fail.
  const std::string twice = RenderStatusPrometheus(StatusOf({Table("public", "a", 1)})) +
                            RenderStatusPrometheus(StatusOf({Table("public", "b", 1)}));
  std::string output;
  EXPECT_NE(RunWithInput("promtool check metrics", twice, &output), 0) << output;
  EXPECT_NE(output.find("second HELP line"), std::string::npos) << output;
}

}  // namespace
}  // namespace pgpart::op
