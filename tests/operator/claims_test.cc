// Which PartitionPolicy keeps a table two of them name (operator/claims.h). The operator's
// behaviour with such policies, against the API double and the real API server, is in
// tests/operator_e2e/scenario_reconcile_test.cc (TwoPoliciesOnOneTable...).

#include "operator/claims.h"

#include <gtest/gtest.h>

namespace pgpart::op {
namespace {

using nlohmann::json;

json Resource(const std::string& ns, const std::string& name, const std::string& created,
              json tables, const std::string& secret = "db", const std::string& key = "dsn") {
  json meta = {{"name", name}, {"namespace", ns}, {"uid", ns + "-" + name}};
  if (!created.empty()) meta["creationTimestamp"] = created;
  return json{{"apiVersion", "pgpart.io/v1alpha1"},
              {"kind", "PartitionPolicy"},
              {"metadata", meta},
              {"spec",
               {{"tables", tables},
                {"interval", "1 month"},
                {"premake", 2},
                {"databaseRef", {{"secretName", secret}, {"key", key}}}}}};
}

TableClaim Claim(const json& object) {
  std::optional<TableClaim> claim = ClaimOf(object);
  EXPECT_TRUE(claim.has_value()) << object.dump();
  return claim.value_or(TableClaim{});
}

std::optional<ClaimConflict> Check(const TableClaim& mine, const std::vector<TableClaim>& all) {
  std::vector<const TableClaim*> others;
  for (const TableClaim& c : all) others.push_back(&c);
  return EarlierClaim(mine, others);
}

TEST(OperatorClaims, TheOlderPolicyKeepsATableBothNameInOneDatabase) {
  const TableClaim old_one = Claim(Resource("apps", "zeta", "2026-01-01T00:00:00Z",
                                            {"public.orders", "public.events"}));
  // Unqualified names are read as the loader reads them (public), so the spellings meet.
  const TableClaim new_one = Claim(Resource("apps", "alpha", "2026-01-02T00:00:00Z", {"events"}));
  const std::vector<TableClaim> all = {old_one, new_one};

  auto conflict = Check(new_one, all);
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->other, "apps/zeta");
  EXPECT_EQ(conflict->table.Text(), "public.events");
  EXPECT_FALSE(Check(old_one, all).has_value()) << "the older one keeps its tables";
}

TEST(OperatorClaims, SameSecondFallsBackToTheKeyAndNoStampSortsLast) {
  const TableClaim a = Claim(Resource("apps", "a", "2026-01-01T00:00:00Z", {"t"}));
  const TableClaim b = Claim(Resource("apps", "b", "2026-01-01T00:00:00Z", {"t"}));
  const TableClaim unstamped = Claim(Resource("apps", "0", "", {"t"}));
  EXPECT_TRUE(Earlier(a, b));
  EXPECT_FALSE(Earlier(b, a));
  EXPECT_FALSE(Earlier(a, a));
  EXPECT_TRUE(Earlier(b, unstamped));
  EXPECT_FALSE(Earlier(unstamped, a));
  auto conflict = Check(unstamped, {unstamped, b, a});
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->other, "apps/a") << "the earliest of several is named";
}

TEST(OperatorClaims, OtherDatabasesAndOtherTablesDoNotConflict) {
  const TableClaim mine = Claim(Resource("apps", "late", "2026-02-01T00:00:00Z", {"t", "u"}));
  const std::vector<TableClaim> others = {
      Claim(Resource("apps", "other-secret", "2026-01-01T00:00:00Z", {"t"}, "db2")),
      Claim(Resource("apps", "other-key", "2026-01-01T00:00:00Z", {"t"}, "db", "dsn2")),
      Claim(Resource("billing", "other-namespace", "2026-01-01T00:00:00Z", {"t"})),
      Claim(Resource("apps", "other-table", "2026-01-01T00:00:00Z", {"v", "public.w"})),
      Claim(Resource("apps", "other-schema", "2026-01-01T00:00:00Z", {"audit.t"})),
      mine};
  EXPECT_FALSE(Check(mine, others).has_value());
  // The same policy listed under its own key (the cache holds it too) is no conflict either.
  EXPECT_FALSE(Check(mine, {mine, mine}).has_value());
}

TEST(OperatorClaims, AnInvalidSpecClaimsNothing) {
  json broken = Resource("apps", "broken", "2026-01-01T00:00:00Z", {"t"});
  broken["spec"]["interval"] = "fortnightly";
  EXPECT_FALSE(ClaimOf(broken).has_value());
}

}  // namespace
}  // namespace pgpart::op
