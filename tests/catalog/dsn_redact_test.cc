// RedactDsn shows only the values of options that hold no secret; RedactPassword scrubs every
// masked value from a message, also when libpq could not parse the DSN.

#include <gtest/gtest.h>

#include <string>

#include "catalog/reader.h"

namespace pgpart {
namespace {

TEST(DsnRedactTest, OnlyKnownHarmlessValuesAreShown) {
  EXPECT_EQ(RedactDsn("host=db port=5432 dbname=shop user=app passwd=hunter22 sslmode=require"),
            "host=db port=5432 dbname=shop user=app ********=******** sslmode=require");
  EXPECT_EQ(RedactDsn("host=db bogus='a b' password='unterminated"),
            "host=db ********=******** password=********");
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


// Issue 11 item 7: libpq quotes what it cannot parse; a value that is no connection string (a
// Secret key holding an access key) or a password with a space in it must not be shown.
TEST(DsnRedactTest, UnparsableConnectionStringsAreNeverQuoted) {
  const std::string not_a_dsn = "AKIA-SECRET-VALUE-1234";
  EXPECT_FALSE(IsValidConnectionString(not_a_dsn));
  EXPECT_TRUE(IsValidConnectionString(""));
  EXPECT_TRUE(IsValidConnectionString("host=db password=x"));
  const std::string libpq = "missing \"=\" after \"AKIA-SECRET-VALUE-1234\" in connection info "
                            "string\n";
  for (bool hide_all : {false, true}) {
    const std::string text = ConnectErrorText(libpq, not_a_dsn, hide_all);
    EXPECT_EQ(text.find("AKIA"), std::string::npos) << text;
    EXPECT_NE(text.find("not a valid libpq connection string"), std::string::npos) << text;
  }
  EXPECT_EQ(RedactDsn(not_a_dsn).find("AKIA"), std::string::npos) << RedactDsn(not_a_dsn);
  // A password with a space: libpq says 'missing "=" after "two"'.
  const std::string spaced = "host=db password=one two";
  EXPECT_EQ(RedactDsn(spaced), "host=db password=******** ********");
  EXPECT_EQ(ConnectErrorText("missing \"=\" after \"two\"", spaced, false).find("two"),
            std::string::npos);
  // Base64 ends in '=': an unknown option, quoted by libpq.
  EXPECT_EQ(RedactDsn("wJalrXUtnFEMIK7MDENG="), "********=");
}

TEST(DsnRedactTest, ConnectErrorsHideEveryValueWhenAsked) {
  const std::string dsn = "host=db-secret-host port=5999 user=app password=pw-xyz dbname=shop";
  const std::string libpq =
      "could not translate host name \"db-secret-host\" to address: Name or service not "
      "known\npassword pw-xyz\n";
  const std::string shown = ConnectErrorText(libpq, dsn, false);
  EXPECT_NE(shown.find("db-secret-host"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("pw-xyz"), std::string::npos) << shown;
  EXPECT_EQ(shown.find('\n'), std::string::npos) << shown;
  const std::string hidden = ConnectErrorText(libpq, dsn, true);
  EXPECT_EQ(hidden.find("db-secret-host"), std::string::npos) << hidden;
  EXPECT_EQ(hidden.find("pw-xyz"), std::string::npos) << hidden;
  EXPECT_NE(hidden.find("could not translate host name"), std::string::npos) << hidden;
}

}  // namespace
}  // namespace pgpart
