// Shared by the render tests: the rich scenario plan (four demo-like policies on a fake catalog
// at a fixed clock) and golden-file comparison.
// Regenerate goldens with: PGPART_UPDATE_GOLDEN=1 ./tests/render_test (then review the diff).

#include "golden_fixture.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../plan/plan_fixture.h"
#include "plan/planner.h"

namespace pgpart::testing {
namespace {

constexpr char kPolicies[] = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor-readings}
spec:
  tables: [public.sensor_readings]
  column: recorded_at
  interval: 1 month
  premake: 3
  defaultPartition: true
  retention: {keep: 24 months}
  holds:
    - partition: sensor_readings_y2024m10
      reason: "Legal hold LH-1142"
      until: 2027-06-01
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: payments}
spec:
  tables: [transactions]
  interval: 1 month
  premake: 2
  retention: {keep: 12 months, action: detach}
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: finance-balances}
spec:
  tables: [daily_cash_balances]
  strategy: hash
  modulus: 4
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: events}
spec:
  tables: ['"Odd Schema"."Events ""X"""']
  interval: 1000000
  premake: 1
  retention: {keep: 3000000, maxDropsPerRun: 1}
)";

}  // namespace

Plan RichPlan() {
  Table sensor = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(sensor, "2024-09", 28);
  AddDefault(sensor, 12);
  sensor.default_buckets.push_back(
      DefaultBucket{*ParseBoundText(KeyType::kTimestampTz, "2027-01-01T00:00:00Z"),
                    *ParseBoundText(KeyType::kTimestampTz, "2027-02-01T00:00:00Z"), 7});
  // Rows of 2024-03, past retention: created, drained and dropped as one unit (issue 13).
  sensor.default_buckets.push_back(
      DefaultBucket{*ParseBoundText(KeyType::kTimestampTz, "2024-03-01T00:00:00Z"),
                    *ParseBoundText(KeyType::kTimestampTz, "2024-04-01T00:00:00Z"), 5});
  sensor.default_buckets_known = true;
  Table tx = RangeTable("transactions", "created_at", KeyType::kTimestampTz);
  AddMonths(tx, "2025-10", 14);
  AddChild(tx, "transactions_old", "2025-09-15T00:00:00Z", "2025-10-01T00:00:00Z", 10);
  Table balances = HashTable("daily_cash_balances", "org_id");
  AddHashChildren(balances, 4);
  balances.children.pop_back();
  Table events = RangeTable("\"Odd Schema\".\"Events \"\"X\"\"\"", "id", KeyType::kBigInt);
  for (int i = 0; i < 6; ++i) {
    AddChild(events, "Events \"X\"_p" + std::to_string(i * 1000000), std::to_string(i * 1000000),
             std::to_string((i + 1) * 1000000), 1000000);
  }
  int64_t oid = 16400;  // what the reader fills in; a drop marker records it
  for (Table* t : {&sensor, &tx, &balances, &events}) {
    for (Child& c : t->children) c.oid = ++oid;
  }
  // A hand-made partition across part of February 2027: bridges around it (issue 13).
  AddChild(sensor, "sensor_readings_legacy", "2027-02-10T00:00:00Z", "2027-02-20T00:00:00Z");
  events.max_key = 5'400'000;
  Catalog catalog = CatalogOf({sensor, tx, balances, events});
  catalog.database = {"app", 16384, "7300000000000000001"};
  Plan plan = ComputePlan(Policies(kPolicies), catalog, At("2026-11-21T12:00:00Z"));
  plan.generated_at = "2026-11-21T12:00:05Z";
  return plan;
}

std::string Golden(const std::string& name) {
  return std::string(PGPART_SOURCE_DIR) + "/tests/golden/" + name;
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = Golden(name);
  if (std::getenv("PGPART_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with PGPART_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(expected.str(), actual) << "golden file " << path << " differs";
}

}  // namespace pgpart::testing
