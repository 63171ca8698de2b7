// Key types and bound values: PostgreSQL's printed forms, our text forms, round trips.
#include "core/key.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

namespace pgpart {
namespace {

int64_t Civil(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0) {
  auto tp = date::sys_days{date::year{y} / m / d} + std::chrono::hours{h} +
            std::chrono::minutes{mi} + std::chrono::seconds{s};
  return std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count();
}

TEST(KeyType, NamesAndPredicates) {
  EXPECT_EQ(KeyTypeFromPgName("timestamp with time zone"), KeyType::kTimestampTz);
  EXPECT_EQ(KeyTypeFromPgName("timestamp(3) with time zone"), KeyType::kTimestampTz);
  EXPECT_EQ(KeyTypeFromPgName("timestamp without time zone"), KeyType::kTimestamp);
  EXPECT_EQ(KeyTypeFromPgName("date"), KeyType::kDate);
  EXPECT_EQ(KeyTypeFromPgName("smallint"), KeyType::kSmallInt);
  EXPECT_EQ(KeyTypeFromPgName("integer"), KeyType::kInteger);
  EXPECT_EQ(KeyTypeFromPgName("bigint"), KeyType::kBigInt);
  EXPECT_EQ(KeyTypeFromPgName("text"), KeyType::kUnsupported);
  EXPECT_EQ(KeyTypeFromPgName("numeric(10,2)"), KeyType::kUnsupported);
  for (KeyType t : {KeyType::kTimestampTz, KeyType::kTimestamp, KeyType::kDate, KeyType::kSmallInt,
                    KeyType::kInteger, KeyType::kBigInt}) {
    EXPECT_EQ(KeyTypeFromName(KeyTypeName(t)), t);
    EXPECT_NE(IsTimeKey(t), IsIntegerKey(t));
  }
  EXPECT_EQ(KeyTypeName(KeyType::kTimestampTz), "timestamptz");
  EXPECT_EQ(KeyTypeFromName("uuid"), KeyType::kUnsupported);
  EXPECT_FALSE(IsTimeKey(KeyType::kUnsupported));
  EXPECT_FALSE(IsIntegerKey(KeyType::kUnsupported));
}

TEST(KeyBound, TotalOrder) {
  EXPECT_LT(Bound::Min(), Bound::Value(std::numeric_limits<int64_t>::min()));
  EXPECT_LT(Bound::Value(std::numeric_limits<int64_t>::max()), Bound::Max());
  EXPECT_LT(Bound::Value(-1), Bound::Value(0));
  EXPECT_FALSE(Bound::Value(3) < Bound::Value(3));
  EXPECT_FALSE(Bound::Min() < Bound::Min());
  EXPECT_FALSE(Bound::Max() < Bound::Max());
  EXPECT_FALSE(Bound::Max() < Bound::Min());
}

// Forms exactly as pg_get_expr(relpartbound) prints them with TimeZone=UTC, DateStyle=ISO.
TEST(KeyBound, ParsesPostgresOutput) {
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'2024-01-01 00:00:00+00'"),
            Bound::Value(Civil(2024, 1, 1)));
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'2023-12-31 18:30:00.5+00'"),
            Bound::Value(Civil(2023, 12, 31, 18, 30) + 500'000));
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'2024-01-01 00:00:00.123456+00'"),
            Bound::Value(Civil(2024, 1, 1) + 123'456));
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'2024-01-01 05:30:00+05:30'"),
            Bound::Value(Civil(2024, 1, 1)));
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'2024-01-01 00:00:00-08'"),
            Bound::Value(Civil(2024, 1, 1, 8)));
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'1900-01-01 00:00:00+00:53:28'"),
            Bound::Value(Civil(1899, 12, 31, 23, 6, 32)));
  EXPECT_EQ(ParseBound(KeyType::kTimestamp, "'1969-12-31 23:59:59.999999'"), Bound::Value(-1));
  EXPECT_EQ(ParseBound(KeyType::kDate, "'2024-02-29'"), Bound::Value(Civil(2024, 2, 29)));
  EXPECT_EQ(ParseBound(KeyType::kDate, "'10000-01-01'"), Bound::Value(Civil(10000, 1, 1)));
  EXPECT_EQ(ParseBound(KeyType::kBigInt, "1000000"), Bound::Value(1000000));
  EXPECT_EQ(ParseBound(KeyType::kBigInt, "'-5000'"), Bound::Value(-5000));  // PG quotes negatives
  EXPECT_EQ(ParseBound(KeyType::kInteger, "-5000"), Bound::Value(-5000));
  EXPECT_EQ(ParseBound(KeyType::kBigInt, "MINVALUE"), Bound::Min());
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "MAXVALUE"), Bound::Max());
  EXPECT_EQ(ParseBound(KeyType::kTimestamp, "'infinity'"), Bound::Max());
  EXPECT_EQ(ParseBound(KeyType::kDate, "'-infinity'"), Bound::Min());
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, " '2024-01-01 00:00:00+00' "),
            Bound::Value(Civil(2024, 1, 1)));
}

TEST(KeyBound, YearsBeforeChrist) {
  // PostgreSQL prints 44 BC (astronomical year -43) as "0044-... BC".
  auto b = ParseBound(KeyType::kTimestampTz, "'0044-03-15 00:00:00+00 BC'");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->value, Civil(-43, 3, 15));
  EXPECT_EQ(BoundSqlLiteral(KeyType::kTimestampTz, *b), "'0044-03-15 00:00:00+00 BC'");
  EXPECT_EQ(ParseBoundText(KeyType::kTimestampTz, BoundText(KeyType::kTimestampTz, *b)), b);
  EXPECT_EQ(ParseBound(KeyType::kDate, "'0001-12-31 BC'"), Bound::Value(Civil(0, 12, 31)));
  EXPECT_EQ(ParseBound(KeyType::kDate, "'0000-01-01'"), std::nullopt);     // no year zero
  EXPECT_EQ(ParseBound(KeyType::kDate, "'5000-01-01 BC'"), std::nullopt);  // before 4713 BC
}

TEST(KeyBound, RejectsWhatIsNotAValueOfTheType) {
  EXPECT_EQ(ParseBound(KeyType::kSmallInt, "40000"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kInteger, "3000000000"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kBigInt, "99999999999999999999"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kBigInt, "12abc"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kBigInt, "1.5"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kBigInt, ""), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kBigInt, "'12"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kBigInt, "'infinity'"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kTimestamp, "'2024-01-01 00:00:00+00'"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kDate, "'2024-01-01 00:00:00'"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kDate, "'2023-02-29'"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'2024-01-01 24:00:00+00'"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'2024-01-01 00:00:00.1234567+00'"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'24-01-01'"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'2024-01-01 00:00:00+00' junk"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kTimestampTz, "'MINVALUE'"), std::nullopt);
  EXPECT_EQ(ParseBound(KeyType::kUnsupported, "1"), std::nullopt);
}

TEST(KeyBound, TextAndSqlForms) {
  Bound b = Bound::Value(Civil(2024, 1, 1));
  EXPECT_EQ(BoundText(KeyType::kTimestampTz, b), "2024-01-01T00:00:00Z");
  EXPECT_EQ(BoundText(KeyType::kTimestamp, b), "2024-01-01T00:00:00");
  EXPECT_EQ(BoundText(KeyType::kDate, b), "2024-01-01");
  EXPECT_EQ(BoundSqlLiteral(KeyType::kTimestampTz, b), "'2024-01-01 00:00:00+00'");
  EXPECT_EQ(BoundSqlLiteral(KeyType::kTimestamp, b), "'2024-01-01 00:00:00'");
  EXPECT_EQ(BoundSqlLiteral(KeyType::kDate, b), "'2024-01-01'");
  Bound half = Bound::Value(Civil(2024, 1, 1) + 500'000);
  EXPECT_EQ(BoundText(KeyType::kTimestampTz, half), "2024-01-01T00:00:00.5Z");
  EXPECT_EQ(BoundSqlLiteral(KeyType::kTimestampTz, half), "'2024-01-01 00:00:00.5+00'");
  EXPECT_EQ(BoundText(KeyType::kTimestamp, Bound::Value(-1)), "1969-12-31T23:59:59.999999");
  EXPECT_EQ(BoundText(KeyType::kBigInt, Bound::Value(-1000)), "-1000");
  EXPECT_EQ(BoundSqlLiteral(KeyType::kBigInt, Bound::Value(1000000)), "1000000");
  for (KeyType t : {KeyType::kTimestampTz, KeyType::kDate, KeyType::kInteger}) {
    EXPECT_EQ(BoundText(t, Bound::Min()), "MINVALUE");
    EXPECT_EQ(BoundText(t, Bound::Max()), "MAXVALUE");
    EXPECT_EQ(BoundSqlLiteral(t, Bound::Min()), "MINVALUE");
    EXPECT_EQ(BoundSqlLiteral(t, Bound::Max()), "MAXVALUE");
  }
}

TEST(KeyBound, SqlLiteralUsesOnlySafeCharacters) {
  for (int64_t v : {Civil(2024, 1, 1), Civil(-43, 3, 15) + 1, int64_t{-1}}) {
    std::string sql = BoundSqlLiteral(KeyType::kTimestampTz, Bound::Value(v));
    for (char c : sql) {
      EXPECT_NE(std::string_view("0123456789-:.+ 'BC").find(c), std::string_view::npos) << sql;
    }
  }
}

struct RoundTrip {
  KeyType type;
  int64_t value;
};

class KeyRoundTrip : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(KeyRoundTrip, TextAndSqlParseBack) {
  const RoundTrip& p = GetParam();
  for (Bound b : {Bound::Value(p.value), Bound::Min(), Bound::Max()}) {
    EXPECT_EQ(ParseBoundText(p.type, BoundText(p.type, b)), b) << BoundText(p.type, b);
    EXPECT_EQ(ParseBound(p.type, BoundSqlLiteral(p.type, b)), b) << BoundSqlLiteral(p.type, b);
  }
}

INSTANTIATE_TEST_SUITE_P(
    KeyTypes, KeyRoundTrip,
    ::testing::Values(RoundTrip{KeyType::kTimestampTz, Civil(2024, 2, 29, 13, 14, 15) + 1},
                      RoundTrip{KeyType::kTimestampTz, -1},
                      RoundTrip{KeyType::kTimestampTz, Civil(1, 1, 1)},
                      RoundTrip{KeyType::kTimestampTz, Civil(-43, 3, 15, 12)},
                      RoundTrip{KeyType::kTimestamp, Civil(2026, 10, 25, 2, 30)},
                      RoundTrip{KeyType::kTimestamp, Civil(12345, 6, 7) + 120'000},
                      RoundTrip{KeyType::kDate, Civil(2024, 12, 31)},
                      RoundTrip{KeyType::kDate, Civil(1969, 1, 1)},
                      RoundTrip{KeyType::kSmallInt, -32768}, RoundTrip{KeyType::kInteger, 7},
                      RoundTrip{KeyType::kBigInt, std::numeric_limits<int64_t>::min()},
                      RoundTrip{KeyType::kBigInt, std::numeric_limits<int64_t>::max()}));

}  // namespace
}  // namespace pgpart
