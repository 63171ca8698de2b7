// RedactDsn shows only the values of options that hold no secret; RedactPassword scrubs every
// masked value from a message, also when libpq could not parse the DSN.

#include <gtest/gtest.h>

#include <string>

#include "catalog/reader.h"

namespace pgpart {
namespace {

TEST(DsnRedactTest, OnlyKnownHarmlessValuesAreShown) {
  EXPECT_EQ(RedactDsn("host=db port=5432 dbname=shop user=app passwd=hunter22 sslmode=require"),
            "host=db port=5432 dbname=shop user=app passwd=******** sslmode=require");
  EXPECT_EQ(RedactDsn("host=db bogus='a b' password='unterminated"),
            "host=db bogus=******** password=********");
  EXPECT_EQ(RedactDsn("postgresql://app:pa/ss@word@db:5432/shop?sslmode=require&pwd=x"),
            "postgresql://app:********@db:5432/shop?sslmode=require&pwd=********");
  EXPECT_EQ(RedactDsn("postgresql://app:hunter22@[::1/shop"), "postgresql://app:********@[::1/shop");
}

TEST(DsnRedactTest, MessagesQuotingAMalformedDsnAreScrubbed) {
  const std::string uri = "postgresql://app:hunter22@[::1/shop";
  EXPECT_EQ(RedactPassword("bad URI: \"" + uri + "\"", uri),
            "bad URI: \"postgresql://app:********@[::1/shop\"");
  EXPECT_EQ(RedactPassword("saw hunter22", "host=db passwd=hunter22"), "saw ********");
  EXPECT_EQ(RedactPassword("x 'it s' y", "password='it s' host=db"), "x '********' y");
}

}  // namespace
}  // namespace pgpart
