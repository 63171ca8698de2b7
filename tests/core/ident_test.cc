// Identifier quoting (PostgreSQL 15's quote_ident) and qualified-name parsing.
#include "core/ident.h"

#include <gtest/gtest.h>

#include <string>

namespace pgpart {
namespace {

TEST(IdentQuote, PlainLowercaseStaysBare) {
  EXPECT_EQ(QuoteIdent("sensor_readings"), "sensor_readings");
  EXPECT_EQ(QuoteIdent("_x1"), "_x1");
  EXPECT_EQ(QuoteIdent("t2024m01"), "t2024m01");
  // Unreserved keywords are not quoted by quote_ident.
  EXPECT_EQ(QuoteIdent("name"), "name");
  EXPECT_EQ(QuoteIdent("partition"), "partition");
  EXPECT_EQ(QuoteIdent("public"), "public");
  EXPECT_EQ(QuoteIdent("data"), "data");
}

TEST(IdentQuote, KeywordsThatAreNotUnreservedAreQuoted) {
  EXPECT_EQ(QuoteIdent("user"), "\"user\"");    // reserved
  EXPECT_EQ(QuoteIdent("order"), "\"order\"");  // reserved
  EXPECT_EQ(QuoteIdent("table"), "\"table\"");  // reserved
  EXPECT_EQ(QuoteIdent("int"), "\"int\"");      // column-name keyword
  EXPECT_EQ(QuoteIdent("timestamp"), "\"timestamp\"");
  EXPECT_EQ(QuoteIdent("left"), "\"left\"");  // type/function-name keyword
  EXPECT_EQ(QuoteIdent("concurrently"), "\"concurrently\"");
  EXPECT_EQ(QuoteIdent("xmltable"), "\"xmltable\"");
  EXPECT_EQ(QuoteIdent("all"), "\"all\"");
}

TEST(IdentQuote, AnythingElseIsQuotedWithQuotesDoubled) {
  EXPECT_EQ(QuoteIdent("Sensor"), "\"Sensor\"");
  EXPECT_EQ(QuoteIdent("my table"), "\"my table\"");
  EXPECT_EQ(QuoteIdent("Odd \"Name\""), "\"Odd \"\"Name\"\"\"");
  EXPECT_EQ(QuoteIdent("1abc"), "\"1abc\"");
  EXPECT_EQ(QuoteIdent("a-b"), "\"a-b\"");
  EXPECT_EQ(QuoteIdent("a$b"), "\"a$b\"");  // quote_ident quotes '$' too
  EXPECT_EQ(QuoteIdent("größe"), "\"größe\"");
  EXPECT_EQ(QuoteIdent(""), "\"\"");
  EXPECT_EQ(QuoteIdent("User"), "\"User\"");
}

TEST(IdentQualified, SqlQuotesEachPart) {
  EXPECT_EQ((QualifiedName{"public", "sensor_readings"}).Sql(), "public.sensor_readings");
  EXPECT_EQ((QualifiedName{"My Schema", "order"}).Sql(), "\"My Schema\".\"order\"");
  EXPECT_LT((QualifiedName{"a", "z"}), (QualifiedName{"b", "a"}));
}

TEST(IdentQualified, ParsesAsPostgresReadsNames) {
  std::string error;
  EXPECT_EQ(ParseQualifiedName("public.sensor_readings", &error),
            (QualifiedName{"public", "sensor_readings"}));
  EXPECT_EQ(ParseQualifiedName("Sensor_Readings", &error),
            (QualifiedName{"public", "sensor_readings"}));
  EXPECT_EQ(ParseQualifiedName("\"My Schema\".\"Odd \"\"Name\"\"\"", &error),
            (QualifiedName{"My Schema", "Odd \"Name\""}));
  EXPECT_EQ(ParseQualifiedName("Sales.\"Orders\"", &error), (QualifiedName{"sales", "Orders"}));
  EXPECT_EQ(ParseQualifiedName("\"a.b\"", &error), (QualifiedName{"public", "a.b"}));
  EXPECT_EQ(ParseQualifiedName("  app . events$2 ", &error), (QualifiedName{"app", "events$2"}));
  EXPECT_EQ(ParseQualifiedName("größe", &error), (QualifiedName{"public", "größe"}));
  // A round trip through Sql() reads back the same name.
  QualifiedName odd{"My Schema", "Odd \"Name\""};
  EXPECT_EQ(ParseQualifiedName(odd.Sql(), &error), odd);
}

TEST(IdentQualified, RejectsMalformedNames) {
  std::string error;
  EXPECT_FALSE(ParseQualifiedName("a.b.c", &error));
  EXPECT_NE(error.find("too many"), std::string::npos) << error;
  EXPECT_FALSE(ParseQualifiedName(".x", &error));
  EXPECT_NE(error.find("empty"), std::string::npos) << error;
  EXPECT_FALSE(ParseQualifiedName("x.", &error));
  EXPECT_FALSE(ParseQualifiedName("", &error));
  EXPECT_FALSE(ParseQualifiedName("\"unterminated", &error));
  EXPECT_NE(error.find("unterminated"), std::string::npos) << error;
  EXPECT_FALSE(ParseQualifiedName("\"\"", &error));
  EXPECT_FALSE(ParseQualifiedName("my-table", &error));
  EXPECT_NE(error.find("double-quote"), std::string::npos) << error;
  EXPECT_FALSE(ParseQualifiedName("1abc", &error));
  EXPECT_FALSE(ParseQualifiedName("a b", &error));
}

TEST(IdentQualified, SixtyThreeBytesNotCharacters) {
  std::string error;
  std::string ok(63, 'a');
  EXPECT_TRUE(ParseQualifiedName(ok, &error));
  EXPECT_FALSE(ParseQualifiedName(std::string(64, 'a'), &error));
  EXPECT_NE(error.find("64 bytes"), std::string::npos) << error;
  EXPECT_NE(error.find("63"), std::string::npos) << error;
  // 32 two-byte characters: 32 characters but 64 bytes.
  std::string umlauts;
  for (int i = 0; i < 32; ++i) umlauts += "ü";
  EXPECT_FALSE(ParseQualifiedName("\"" + umlauts + "\"", &error));
  EXPECT_NE(error.find("64 bytes"), std::string::npos) << error;
  EXPECT_FALSE(ParseQualifiedName("s." + std::string(70, 'b'), &error));
  EXPECT_NE(error.find("70 bytes"), std::string::npos) << error;
}

}  // namespace
}  // namespace pgpart

namespace pgpart {
namespace {

TEST(QuoteLiteral, DoublesSingleQuotesOnly) {
  EXPECT_EQ(QuoteLiteral("plain"), "'plain'");
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuoteLiteral("a\\b"), "'a\\b'");  // standard_conforming_strings: backslash is literal
  EXPECT_EQ(QuoteLiteral("\"Odd \"\"S\"\"\".m"), "'\"Odd \"\"S\"\"\".m'");
}

}  // namespace
}  // namespace pgpart
