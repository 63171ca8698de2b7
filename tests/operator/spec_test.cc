// A PartitionPolicy resource through the file loader (operator/spec.h), and the status document
// the operator writes (operator/status_patch.h).

#include "operator/spec.h"

#include <gtest/gtest.h>

#include "catalog/reader.h"
#include "operator/reconciler.h"
#include "operator/status_patch.h"
#include "plan_fixture.h"

namespace pgpart::op {
namespace {

using nlohmann::json;

json Resource(json spec) {
  return json{{"apiVersion", "pgpart.io/v1alpha1"},
              {"kind", "PartitionPolicy"},
              {"metadata",
               {{"name", "events"}, {"namespace", "shop"}, {"generation", 4}, {"uid", "u-1"}}},
              {"spec", spec}};
}

json GoodSpec() {
  return json{{"tables", {"public.events"}},
              {"interval", "1 month"},
              {"premake", 2},
              {"retention", {{"keep", "12 months"}, {"maxDropsPerRun", 2}}},
              {"databaseRef", {{"secretName", "shop-db"}, {"key", "dsn"}}},
              {"mode", "DryRun"}};
}

// The informer keeps every policy; what the API server and kubectl add to each object in bulk is
// not kept (bench/operator.sh --real-server: 33.9 -> 31.9 MiB at 1000 policies).
TEST(OperatorSpec, TheCacheViewDropsManagedFieldsAndTheLastAppliedCopyOnly) {
  json object = Resource(GoodSpec());
  object["metadata"]["resourceVersion"] = "42";
  object["metadata"]["creationTimestamp"] = "2026-12-01T00:00:00Z";
  object["metadata"]["managedFields"] = json::array({{{"manager", "kubectl"},
                                                      {"operation", "Apply"},
                                                      {"fieldsV1", {{"f:spec", json::object()}}}}});
  object["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/last-applied-configuration", object.dump()},
      {"team", "payments"}};
  object["status"] = {{"observedGeneration", 4}};
  json view = CacheView(object);
  EXPECT_FALSE(view["metadata"].contains("managedFields"));
  EXPECT_EQ(view["metadata"]["annotations"], json({{"team", "payments"}}));
  json expected = object;
  expected["metadata"].erase("managedFields");
  expected["metadata"]["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
  EXPECT_EQ(view, expected) << "everything else is kept";
  // The operator reconciles the same policy from the view.
  PolicySet from_view = ParseResource(view);
  EXPECT_FALSE(HasErrors(from_view.diagnostics)) << FirstError(from_view.diagnostics);
  ASSERT_EQ(from_view.policies.size(), 1u);
  EXPECT_EQ(from_view.policies[0].tables, ParseResource(object).policies.at(0).tables);

  // Only the last-applied annotation: the annotations go.
  object["metadata"]["annotations"].erase("team");
  EXPECT_FALSE(CacheView(object)["metadata"].contains("annotations"));
  EXPECT_EQ(CacheView(json::array({1})), json::array({1})) << "not an object: left as it is";
}

TEST(OperatorSpec, KeyAndGeneration) {
  EXPECT_EQ(ObjectKey(Resource(GoodSpec())), "shop/events");
  EXPECT_EQ(Generation(Resource(GoodSpec())), 4);
  EXPECT_EQ(Generation(json::object()), 0);
}

TEST(OperatorSpec, ParsesTheSameSpecAsAFile) {
  PolicySet set = ParseResource(Resource(GoodSpec()));
  ASSERT_FALSE(HasErrors(set.diagnostics)) << FirstError(set.diagnostics);
  ASSERT_EQ(set.policies.size(), 1u);
  const Policy& p = set.policies[0];
  EXPECT_EQ(p.name, "events");
  EXPECT_EQ(p.tables[0].name, "events");
  EXPECT_EQ(p.premake, 2);
  EXPECT_EQ(p.mode, Mode::kDryRun);
  ASSERT_TRUE(p.database_ref);
  EXPECT_EQ(p.database_ref->secret_name, "shop-db");
  ASSERT_TRUE(p.retention);
  EXPECT_EQ(p.retention->max_drops_per_run, 2);
}

TEST(OperatorSpec, WhatTheCrdCannotCheckIsAnErrorWithItsPath) {
  json spec = GoodSpec();
  spec["timeZone"] = "Mars/Olympus_Mons";
  PolicySet set = ParseResource(Resource(spec));
  ASSERT_TRUE(HasErrors(set.diagnostics));
  const std::string first = FirstError(set.diagnostics);
  EXPECT_NE(first.find("spec.timeZone"), std::string::npos) << first;
  EXPECT_NE(first.find("Mars/Olympus_Mons"), std::string::npos) << first;
  EXPECT_EQ(set.diagnostics[0].location.file, "shop/events");
}

TEST(OperatorSpec, UnknownKeysAndMissingDatabaseRefAreErrors) {
  json spec = GoodSpec();
  spec["premak"] = 3;
  EXPECT_NE(FirstError(ParseResource(Resource(spec)).diagnostics).find("premak"),
            std::string::npos);
  spec = GoodSpec();
  spec.erase("databaseRef");
  PolicySet set = ParseResource(Resource(spec));
  ASSERT_TRUE(HasErrors(set.diagnostics));
  EXPECT_NE(FirstError(set.diagnostics).find("spec.databaseRef"), std::string::npos);
}

// Whatever the API server stores goes through the same YAML guards as a file: a spec nested
// deeper than any policy (yaml-cpp recursion) is an InvalidSpec error, not a crash.
TEST(OperatorSpec, HostileSpecIsAnErrorNotACrash) {
  json deep = "x";
  for (int i = 0; i < 100; ++i) deep = json::array({deep});
  json spec = GoodSpec();
  spec["holds"] = deep;
  PolicySet set = ParseResource(Resource(spec));
  EXPECT_NE(FirstError(set.diagnostics).find("lists and mappings nested more than 32 deep"),
            std::string::npos)
      << FirstError(set.diagnostics);
  // Flow indicators inside strings are just text.
  spec = GoodSpec();
  spec["tables"] = json::array({",:"});
  set = ParseResource(Resource(spec));
  EXPECT_NE(FirstError(set.diagnostics).find("spec.tables[0]"), std::string::npos)
      << FirstError(set.diagnostics);
}

TEST(OperatorSpec, FirstErrorCountsTheRest) {
  Diagnostics d{{Severity::kWarning, {}, "spec.a", "just a warning"},
                {Severity::kError, {}, "spec.b", "bad b"},
                {Severity::kError, {}, "", "bad c"}};
  EXPECT_EQ(FirstError(d), "spec.b: bad b (and 1 more)");
}

TEST(OperatorScrub, HidesThePasswordOfKeyValueAndUriDsns) {
  EXPECT_EQ(RedactPassword("auth failed for hunter22 here", "host=db password=hunter22 user=app"),
            "auth failed for ******** here");
  EXPECT_EQ(RedactPassword("x 'it s' y", "password='it s' host=db"), "x '********' y");
  EXPECT_EQ(RedactPassword("p4ss! leaked", "postgresql://app:p4ss!@db:5432/shop"),
            "******** leaked");
  EXPECT_EQ(RedactPassword("nothing secret", "host=db user=app"), "nothing secret");
}

Plan TwoStepPlan() {
  Plan plan;
  plan.catalog_hash = "c";
  plan.policy_hash = "p";
  Step create;
  create.action = Action::kCreate;
  create.table = {"public", "events"};
  create.partition = {"public", "events_y2026m12"};
  Step drop = create;
  drop.action = Action::kDrop;
  drop.partition = {"public", "events_y2024m01"};
  drop.status = StepStatus::kBlocked;
  drop.blocked_by = "backup gate: no backup after 2024-02-01";
  plan.steps = {create, drop};
  plan.summary.create = 1;
  plan.summary.blocked = 1;
  return plan;
}

TEST(OperatorStatus, ConditionsPlanAndBlockedSteps) {
  Plan plan = TwoStepPlan();
  Status status;
  TableStatus t;
  t.table = {"public", "events"};
  t.exists = true;
  t.partitions.count = 5;
  t.partitions.covered_until = "2027-02-01T00:00:00Z";
  t.held.push_back({"events_y2024m02", "Legal hold LH-1"});
  status.tables.push_back(t);
  StatusInputs in;
  in.generation = 7;
  in.verdict = {false, false, false, "Blocked", "drop public.events_y2024m01: gate"};
  in.now = "2026-11-21T10:00:00Z";
  in.plan = &plan;
  in.status = &status;
  json s = BuildStatus(json(nullptr), in);
  EXPECT_EQ(s["observedGeneration"], 7);
  ASSERT_EQ(s["conditions"].size(), 3u);
  EXPECT_EQ(s["conditions"][0]["type"], "Ready");
  EXPECT_EQ(s["conditions"][0]["status"], "False");
  EXPECT_EQ(s["conditions"][0]["reason"], "Blocked");
  EXPECT_EQ(s["conditions"][0]["observedGeneration"], 7);
  EXPECT_EQ(s["conditions"][2]["type"], "Stalled");
  EXPECT_EQ(s["conditions"][2]["status"], "False");
  EXPECT_EQ(s["plan"]["pending"], 1);
  EXPECT_EQ(s["plan"]["summary"], "1 to create, 1 blocked");
  EXPECT_EQ(s["plan"]["hash"].get<std::string>().size(), 16u);
  EXPECT_EQ(s["blocked"][0]["partition"], "events_y2024m01");
  EXPECT_EQ(s["held"][0]["reason"], "Legal hold LH-1");
  EXPECT_EQ(s["partitions"][0]["count"], 5);
  EXPECT_EQ(s["coveredUntil"], "2027-02-01T00:00:00Z");
  EXPECT_FALSE(s.contains("lastApplied"));
}

TEST(OperatorStatus, TransitionTimeKeptWhileTheStatusHolds) {
  StatusInputs in;
  in.generation = 1;
  in.verdict = {true, false, false, "Reconciled", "ok"};
  in.now = "2026-11-21T10:00:00Z";
  json first = BuildStatus(json(nullptr), in);
  in.now = "2026-11-21T11:00:00Z";
  json second = BuildStatus(first, in);
  EXPECT_EQ(second["conditions"][0]["lastTransitionTime"], "2026-11-21T10:00:00Z");
  EXPECT_TRUE(SameStatus(second, first));
  in.verdict = {false, true, false, "DatabaseUnavailable", "connection refused"};
  json third = BuildStatus(second, in);
  EXPECT_EQ(third["conditions"][0]["lastTransitionTime"], "2026-11-21T11:00:00Z");
  EXPECT_EQ(third["conditions"][2]["status"], "True");
  EXPECT_EQ(third["conditions"][2]["message"], "connection refused");
  EXPECT_FALSE(SameStatus(third, second));
  // Without a plan, the status leaves plan/partitions alone (the merge patch keeps the last).
  EXPECT_FALSE(third.contains("plan"));
  EXPECT_FALSE(third.contains("partitions"));
}

TEST(OperatorStatus, DigestFollowsTheSteps) {
  Plan a = TwoStepPlan();
  Plan b = a;
  EXPECT_EQ(PlanDigest(a), PlanDigest(b));
  b.steps[0].partition.name = "events_y2027m01";
  EXPECT_NE(PlanDigest(a), PlanDigest(b));
  EXPECT_EQ(PlanSummaryText(PlanSummary{}), "nothing to do");
}

// The timer that makes time-driven work happen on time: the next period boundary, a partition
// ageing out, a hold expiring — never later than the resync.
TEST(OperatorNextWake, WakesForTheNextChangeWithinTheResync) {
  using ::pgpart::testing::AddMonths;
  using ::pgpart::testing::At;
  using ::pgpart::testing::CatalogOf;
  using ::pgpart::testing::Policies;
  using ::pgpart::testing::RangeTable;
  using std::chrono::milliseconds;
  Table t = RangeTable("public.events", "created_at", KeyType::kTimestampTz);
  AddMonths(t, "2026-11", 4);  // 2026-11 .. 2027-02: premake 3 is satisfied in November
  const std::string yaml =
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: events}\n"
      "spec: {tables: [public.events], interval: 1 month, premake: 3}\n";
  const auto policies = Policies(yaml);
  const milliseconds hour = std::chrono::hours(1);
  // Five minutes before December: the boundary (+1 s) comes before an hour's resync.
  EXPECT_EQ(NextWake(policies, CatalogOf({t}), At("2026-11-30T23:55:00Z"), hour),
            milliseconds(301'000));
  // Mid-month nothing changes within the hour: the resync decides.
  EXPECT_EQ(NextWake(policies, CatalogOf({t}), At("2026-11-15T12:00:00Z"), hour), hour);

  // A hold expiring in ten minutes releases an expired partition: wake then.
  Table old = RangeTable("public.events", "created_at", KeyType::kTimestampTz);
  AddMonths(old, "2025-01", 27);  // 2025-01 .. 2027-03
  const auto held = Policies(
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: events}\n"
      "spec:\n  tables: [public.events]\n  interval: 1 month\n  premake: 3\n"
      "  retention: {keep: 12 months}\n  holds:\n"
      "    - {partition: events_y2025m01, reason: audit, until: '2026-11-15T12:10:00Z'}\n"
      "    - {from: 2025-02-01, to: 2025-11-01, reason: audit}\n");
  EXPECT_EQ(NextWake(held, CatalogOf({old}), At("2026-11-15T12:00:00Z"), hour),
            milliseconds(601'000));
}

}  // namespace
}  // namespace pgpart::op
