#include "scenario_fixture.h"

#include "apply_fixture.h"

namespace pgpart::apply_e2e {

namespace {

std::string Parent(const std::string& name) {
  return "CREATE TABLE public." + name +
         " (id bigint NOT NULL, ts timestamptz NOT NULL, v int, PRIMARY KEY (id, ts)) "
         "PARTITION BY RANGE (ts);\n";
}

// Rows every `hours` hours in [from, to), ids numbered from 1.
std::string InsertRows(const std::string& table, const std::string& from, const std::string& to,
                       int hours) {
  return "INSERT INTO public." + table +
         " SELECT g, t, (g * 7919) % 1000 FROM generate_series(timestamptz '" + from +
         "', timestamptz '" + to + "' - interval '1 second', interval '" + std::to_string(hours) +
         " hours') WITH ORDINALITY AS x(t, g);\n";
}

}  // namespace

std::string MixedSql() {
  std::string sql = "SET client_min_messages = warning;\n";
  sql += Parent("readings");
  sql += "CREATE TABLE public.readings_default PARTITION OF public.readings DEFAULT;\n";
  sql += MonthlyPartitions("public", "readings", 2026, 6, 7);  // 2026-06 .. 2026-12
  sql += InsertRows("readings", "2026-06-01 00:00Z", "2026-11-21 11:00Z", 5);
  // Devices with a bad clock: 7 rows in 2027-01 (drained when it is created), 3 in 2027-03.
  sql +=
      "INSERT INTO public.readings SELECT 100000 + s, timestamptz '2027-01-02 00:00Z' + "
      "make_interval(hours => 13 * s), s FROM generate_series(1, 7) s;\n"
      "INSERT INTO public.readings SELECT 200000 + s, timestamptz '2027-03-05 00:00Z' + "
      "make_interval(hours => 5 * s), s FROM generate_series(1, 3) s;\n";

  sql += Parent("metrics");
  sql += MonthlyPartitions("public", "metrics", 2026, 5, 7);  // 2026-05 .. 2026-11
  sql += InsertRows("metrics", "2026-05-01 00:00Z", "2026-11-21 11:00Z", 7);

  sql += Parent("payments");
  sql += MonthlyPartitions("public", "payments", 2026, 7, 6);  // 2026-07 .. 2026-12
  sql += InsertRows("payments", "2026-07-01 00:00Z", "2026-11-21 11:00Z", 11);
  sql += "ANALYZE public.readings, public.metrics, public.payments;\n";
  return sql;
}

std::string MixedPolicies() {
  return R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: readings}
spec:
  tables: [public.readings]
  column: ts
  interval: 1 month
  premake: 2
  defaultPartition: true
  retention: {keep: 3 months, action: drop}
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: metrics}
spec:
  tables: [public.metrics]
  column: ts
  interval: 1 month
  premake: 2
  retention: {keep: 3 months, action: drop}
  backupGate: {kind: command, command: [/bin/true]}
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: payments}
spec:
  tables: [public.payments]
  column: ts
  interval: 1 month
  premake: 2
  retention: {keep: 3 months, action: detach}
)";
}

}  // namespace pgpart::apply_e2e
