// Catalog::Find: a binary search over the tables (sorted by name, as the reader leaves them), and
// still right for a catalog in another order (a hand-made snapshot, a test's fake).

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "catalog/catalog.h"

namespace pgpart {
namespace {

Catalog Tables(int n) {
  Catalog c;
  for (int i = 0; i < n; ++i) {
    Table t;
    t.name = {i % 2 == 0 ? "a" : "B", "t" + std::to_string(1000 + i)};
    c.tables.push_back(t);
  }
  std::sort(c.tables.begin(), c.tables.end(),
            [](const Table& a, const Table& b) { return a.name < b.name; });
  return c;
}

TEST(CatalogFind, FindsEveryTableSortedOrNotAndNothingElse) {
  Catalog sorted = Tables(101);
  Catalog reversed = sorted;
  std::reverse(reversed.tables.begin(), reversed.tables.end());
  Catalog shuffled = sorted;
  std::rotate(shuffled.tables.begin(), shuffled.tables.begin() + 37, shuffled.tables.end());
  for (const Catalog* c : {&sorted, &reversed, &shuffled}) {
    for (const Table& t : sorted.tables) {
      const Table* found = c->Find(t.name);
      ASSERT_NE(found, nullptr) << t.name.Text();
      EXPECT_EQ(found->name, t.name);
      EXPECT_GE(found, c->tables.data());
      EXPECT_LT(found, c->tables.data() + c->tables.size());
    }
    EXPECT_EQ(c->Find({"a", "t0999"}), nullptr);
    EXPECT_EQ(c->Find({"b", "t1001"}), nullptr);  // names are case-sensitive: "B" was read
    EXPECT_EQ(c->Find({"zz", "t1000"}), nullptr);
  }
  EXPECT_EQ(Catalog{}.Find({"a", "t1000"}), nullptr);
}

}  // namespace
}  // namespace pgpart
