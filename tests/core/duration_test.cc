// Durations for execution settings, and diagnostics formatting.
#include "core/duration.h"

#include <gtest/gtest.h>

#include "core/diagnostic.h"

namespace pgpart {
namespace {

TEST(DurationParse, UnitsAndCompounds) {
  EXPECT_EQ(ParseDurationMs("250ms"), 250);
  EXPECT_EQ(ParseDurationMs("3s"), 3000);
  EXPECT_EQ(ParseDurationMs("5m"), 300000);
  EXPECT_EQ(ParseDurationMs("1h"), 3600000);
  EXPECT_EQ(ParseDurationMs("1h30m"), 5400000);
  EXPECT_EQ(ParseDurationMs("2d"), 172800000);
  EXPECT_EQ(ParseDurationMs("1m30s500ms"), 90500);
  EXPECT_EQ(ParseDurationMs("10"), 10000);  // bare number: seconds
  EXPECT_EQ(ParseDurationMs("0"), 0);
  EXPECT_EQ(ParseDurationMs(" 3s "), 3000);
}

TEST(DurationParse, RejectsMalformed) {
  for (const char* bad : {"", "s", "-3", "-3s", "3x", "1.5s", "3 s", "30m1h", "1h1h", "ms",
                          "99999999999999999999s", "9999999999999999d"}) {
    EXPECT_EQ(ParseDurationMs(bad), std::nullopt) << bad;
  }
}

TEST(DurationText, ShortestExact) {
  EXPECT_EQ(DurationText(3000), "3s");
  EXPECT_EQ(DurationText(300000), "5m");
  EXPECT_EQ(DurationText(250), "250ms");
  EXPECT_EQ(DurationText(3600000), "1h");
  EXPECT_EQ(DurationText(86400000), "1d");
  EXPECT_EQ(DurationText(5400000), "90m");
  EXPECT_EQ(DurationText(1500), "1500ms");
  EXPECT_EQ(DurationText(90000000), "25h");
  EXPECT_EQ(DurationText(86401000), "1d1s");        // shorter than "86401s"
  EXPECT_EQ(DurationText(90061001), "90061001ms");  // shorter than "1d1h1m1s1ms"
  EXPECT_EQ(DurationText(0), "0s");
  EXPECT_EQ(DurationText(-3000), "-3s");
  for (int64_t ms : {int64_t{1}, int64_t{999}, int64_t{61000}, int64_t{3723000}, int64_t{90061001},
                     int64_t{7} * 86400000}) {
    EXPECT_EQ(ParseDurationMs(DurationText(ms)), ms) << DurationText(ms);
  }
}

TEST(DiagnosticFormat, FileLineColumnPathMessage) {
  Diagnostic d{
      Severity::kError, {"policies/a.yaml", 12, 5}, "spec.interval", "unknown unit 'mnth'"};
  EXPECT_EQ(d.Format(), "policies/a.yaml:12:5: error: spec.interval: unknown unit 'mnth'");
  d.location.column = 0;
  EXPECT_EQ(d.Format(), "policies/a.yaml:12: error: spec.interval: unknown unit 'mnth'");
  d.location.line = 0;
  EXPECT_EQ(d.Format(), "policies/a.yaml: error: spec.interval: unknown unit 'mnth'");
  d.location.file.clear();
  EXPECT_EQ(d.Format(), "error: spec.interval: unknown unit 'mnth'");
  d.path.clear();
  EXPECT_EQ(d.Format(), "error: unknown unit 'mnth'");
  d.severity = Severity::kWarning;
  EXPECT_EQ(d.Format(), "warning: unknown unit 'mnth'");
  d.location = {"", 3, 7};
  EXPECT_EQ(d.Format(), "<input>:3:7: warning: unknown unit 'mnth'");
}

TEST(DiagnosticFormat, HasErrorsIgnoresWarnings) {
  Diagnostics ds;
  EXPECT_FALSE(HasErrors(ds));
  ds.push_back({Severity::kWarning, {}, "", "w"});
  EXPECT_FALSE(HasErrors(ds));
  ds.push_back({Severity::kError, {}, "", "e"});
  EXPECT_TRUE(HasErrors(ds));
}

}  // namespace
}  // namespace pgpart
