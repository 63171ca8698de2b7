// Parsing of pg_get_expr(relpartbound) output (no server needed).

#include "catalog/bound_expr.h"

#include <gtest/gtest.h>

namespace pgpart {
namespace {

using Items = std::vector<std::string>;

TEST(BoundExprTest, Range) {
  auto e =
      ParseBoundExpr("FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, BoundKind::kRange);
  EXPECT_EQ(e->from, Items{"'2024-01-01 00:00:00+00'"});
  EXPECT_EQ(e->to, Items{"'2024-02-01 00:00:00+00'"});

  e = ParseBoundExpr("FOR VALUES FROM (MINVALUE) TO ('-5')");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->from, Items{"MINVALUE"});
  EXPECT_EQ(e->to, Items{"'-5'"});

  e = ParseBoundExpr("FOR VALUES FROM (1, 'a') TO (2, MAXVALUE)");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->from, (Items{"1", "'a'"}));
  EXPECT_EQ(e->to, (Items{"2", "MAXVALUE"}));
}

TEST(BoundExprTest, QuotedItemsKeepCommasParenthesesAndQuotes) {
  auto e = ParseBoundExpr("FOR VALUES FROM ('a,(') TO ('m'')')");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->from, Items{"'a,('"});
  EXPECT_EQ(e->to, Items{"'m'')'"});

  e = ParseBoundExpr("FOR VALUES IN ('a,b', 'c''d)', NULL, E'x\\'y,z', (1, 2))");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, BoundKind::kList);
  EXPECT_EQ(e->values, (Items{"'a,b'", "'c''d)'", "NULL", "E'x\\'y,z'", "(1, 2)"}));
}

TEST(BoundExprTest, HashAndDefault) {
  auto e = ParseBoundExpr("FOR VALUES WITH (modulus 16, remainder 3)");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, BoundKind::kHash);
  EXPECT_EQ(e->modulus, 16);
  EXPECT_EQ(e->remainder, 3);

  e = ParseBoundExpr("DEFAULT");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, BoundKind::kDefault);
}

TEST(BoundExprTest, RejectsOtherShapes) {
  for (const char* text :
       {"", "DEFAULT x", "FOR VALUES", "FOR VALUES FROM (1)", "FOR VALUES FROM (1) TO (2) extra",
        "FOR VALUES FROM ('1) TO (2)", "FOR VALUES IN (1, )",
        "FOR VALUES WITH (modulus x, remainder 1)", "FOR VALUES WITH (remainder 1, modulus 2)",
        "FOR VALUES WITH (modulus 2)", "FOR VALUES FROM (1 TO (2)"}) {
    EXPECT_FALSE(ParseBoundExpr(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace pgpart

namespace pgpart {
namespace {

TEST(DecodeStoredBound, DatumBytesAsPostgreSQL15StoresThem) {
  // Read off pg_class.relpartbound of real partitions on this project's PostgreSQL 15.
  EXPECT_EQ(BoundText(KeyType::kTimestampTz,
                      *DecodeStoredBound(KeyType::kTimestampTz, "8 [ 0 96 -105 -72 10 -84 2 0 ")),
            "2023-11-01T00:00:00Z");
  EXPECT_EQ(BoundText(KeyType::kTimestampTz,
                      *DecodeStoredBound(KeyType::kTimestampTz, "8 [ 0 -96 -44 55 102 -82 2 0 ")),
            "2023-12-01T00:00:00Z");
  EXPECT_EQ(BoundText(KeyType::kDate, *DecodeStoredBound(KeyType::kDate, "4 [ 62 34 0 0 0 0 0 0 ")),
            "2024-01-01");
  EXPECT_EQ(DecodeStoredBound(KeyType::kBigInt, "8 [ -1 -1 -1 -1 -1 -1 -1 -1 "), Bound::Value(-1));
  EXPECT_EQ(DecodeStoredBound(KeyType::kInteger, "4 [ 64 66 15 0 0 0 0 0 "),
            Bound::Value(1000000));
}

TEST(DecodeStoredBound, AnythingElseIsNotDecoded) {
  EXPECT_FALSE(DecodeStoredBound(KeyType::kTimestampTz, ""));                 // MINVALUE etc.
  EXPECT_FALSE(DecodeStoredBound(KeyType::kTimestampTz, "8 [ 0 96 -105 "));   // too short
  EXPECT_FALSE(DecodeStoredBound(KeyType::kTimestampTz, "8 [ 0 0 0 0 0 0 0 0 0 "));  // too long
  EXPECT_FALSE(DecodeStoredBound(KeyType::kTimestampTz, "8 [ 0 999 0 0 0 0 0 0 "));
  EXPECT_FALSE(DecodeStoredBound(KeyType::kUnsupported, "8 [ 0 0 0 0 0 0 0 0 "));
  EXPECT_FALSE(DecodeStoredBound(KeyType::kTimestampTz, "<> :location 5"));
}

}  // namespace
}  // namespace pgpart
