// Grid math: alignment, floors, DST in named zones, ISO weeks, subtraction with month clamps.
#include "core/calendar.h"

#include <date/date.h>
#include <date/tz.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <tuple>

namespace pgpart {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;

constexpr int64_t kHour = 3600LL * kMicrosPerSecond;

// Micros of a civil date/time, built with date.h independently of the code under test: a UTC
// instant for timestamptz expectations, a wall-clock value for timestamp/date ones.
int64_t Civil(int y, unsigned m, unsigned d, int h = 0, int mi = 0) {
  auto tp = date::sys_days{date::year{y} / m / d} + hours{h} + minutes{mi};
  return std::chrono::duration_cast<microseconds>(tp.time_since_epoch()).count();
}

Grid MakeGrid(KeyType type, Interval interval, const char* zone = "UTC") {
  std::string error;
  auto grid = Grid::Make(type, interval, FindZone(zone), &error);
  EXPECT_TRUE(grid.has_value()) << error;
  return *grid;
}

// Period containing `value` must start at `lower` and end at `upper`, and the values right at
// the edges must fall into the neighbours (a true floor).
void ExpectPeriod(const Grid& grid, int64_t value, int64_t lower, int64_t upper) {
  int64_t i = grid.IndexOf(value);
  EXPECT_EQ(grid.Lower(i), lower) << "value " << value;
  EXPECT_EQ(grid.Upper(i), upper) << "value " << value;
  EXPECT_EQ(grid.IndexOf(lower), i);
  EXPECT_EQ(grid.IndexOf(lower - 1), i - 1);
  EXPECT_EQ(grid.IndexOf(upper - 1), i);
  EXPECT_EQ(grid.IndexOf(upper), i + 1);
  EXPECT_EQ(grid.IndexOfPeriod(lower, upper), i);
}

TEST(CalendarInterval, ParsesUnitsAndPlurals) {
  std::string error;
  EXPECT_EQ(ParseInterval("1 month", &error), (Interval{1, Unit::kMonth}));
  EXPECT_EQ(ParseInterval("3 months", &error), (Interval{3, Unit::kMonth}));
  EXPECT_EQ(ParseInterval("2 weeks", &error), (Interval{2, Unit::kWeek}));
  EXPECT_EQ(ParseInterval("1 hour", &error), (Interval{1, Unit::kHour}));
  EXPECT_EQ(ParseInterval("1 quarter", &error), (Interval{1, Unit::kQuarter}));
  EXPECT_EQ(ParseInterval("1 year", &error), (Interval{1, Unit::kYear}));
  EXPECT_EQ(ParseInterval("24 months", &error), (Interval{24, Unit::kMonth}));
  EXPECT_EQ(ParseInterval("7 days", &error), (Interval{7, Unit::kDay}));
  EXPECT_EQ(ParseInterval(" 1  Day ", &error), (Interval{1, Unit::kDay}));
  EXPECT_EQ(ParseInterval("1000000", &error), (Interval{1000000, Unit::kInteger}));
}

TEST(CalendarInterval, RejectsWithHelpfulMessages) {
  std::string error;
  EXPECT_FALSE(ParseInterval("1 mnth", &error));
  EXPECT_NE(error.find("unknown unit 'mnth'"), std::string::npos) << error;
  EXPECT_NE(error.find("hour, day, week, month, quarter or year"), std::string::npos);
  EXPECT_FALSE(ParseInterval("0 months", &error));
  EXPECT_NE(error.find("at least 1"), std::string::npos) << error;
  EXPECT_FALSE(ParseInterval("-1 day", &error));
  EXPECT_NE(error.find("at least 1"), std::string::npos) << error;
  EXPECT_FALSE(ParseInterval("0", &error));
  EXPECT_FALSE(ParseInterval("month", &error));
  EXPECT_NE(error.find("expected 'N unit'"), std::string::npos) << error;
  EXPECT_FALSE(ParseInterval("", &error));
  EXPECT_FALSE(ParseInterval("1.5 days", &error));
  EXPECT_FALSE(ParseInterval("1 mon", &error));
  EXPECT_FALSE(ParseInterval("99999999999999999999", &error));
  EXPECT_FALSE(ParseInterval("1 month ago", &error));
}

TEST(CalendarInterval, TextRoundTrips) {
  for (const char* text :
       {"1 month", "3 months", "1 hour", "2 weeks", "1 quarter", "5 years", "7 days", "1000000"}) {
    std::string error;
    auto interval = ParseInterval(text, &error);
    ASSERT_TRUE(interval) << text << ": " << error;
    EXPECT_EQ(IntervalText(*interval), text);
  }
  EXPECT_EQ(UnitName(Unit::kQuarter), "quarter");
  EXPECT_EQ(UnitName(Unit::kInteger), "integer");
}

TEST(CalendarZone, FindsKnownZonesOnly) {
  EXPECT_NE(FindZone("UTC"), nullptr);
  EXPECT_NE(FindZone("Europe/Berlin"), nullptr);
  EXPECT_EQ(FindZone("Mars/Olympus_Mons"), nullptr);
  EXPECT_EQ(FindZone(""), nullptr);
}

// FindZone("UTC") answers without the time-zone database (calendar.cc): every grid, instant and
// name built on it must be exactly what the database's own UTC gives.
TEST(CalendarZone, UtcWithoutTheDatabaseIsTheDatabasesUtc) {
  const date::time_zone* fast = FindZone("UTC");
  const date::time_zone* database = date::locate_zone("UTC");
  ASSERT_NE(fast, nullptr);
  ASSERT_NE(database, nullptr);
  const int64_t start = Civil(2023, 12, 30, 22, 17);
  for (KeyType key : {KeyType::kTimestampTz, KeyType::kTimestamp, KeyType::kDate}) {
    for (Interval interval : {Interval{1, Unit::kHour}, Interval{6, Unit::kHour},
                              Interval{1, Unit::kDay}, Interval{1, Unit::kWeek},
                              Interval{1, Unit::kMonth}, Interval{1, Unit::kQuarter},
                              Interval{1, Unit::kYear}}) {
      std::string error;
      auto a = Grid::Make(key, interval, fast, &error);
      auto b = Grid::Make(key, interval, database, &error);
      ASSERT_EQ(a.has_value(), b.has_value()) << KeyTypeName(key) << " " << IntervalText(interval);
      if (!a) continue;
      const std::string what = KeyTypeName(key) + " " + IntervalText(interval);
      for (int64_t t = start; t < start + 400 * kMicrosPerDay; t += 7 * 3'600'000'000LL + 13) {
        ASSERT_EQ(a->IndexOf(t), b->IndexOf(t)) << what << " at " << t;
        const int64_t i = a->IndexOf(t);
        ASSERT_EQ(a->Lower(i), b->Lower(i)) << what << " at " << t;
        ASSERT_EQ(a->Now(t), b->Now(t)) << what << " at " << t;
        ASSERT_EQ(a->Subtract(t, {2, Unit::kMonth}), b->Subtract(t, {2, Unit::kMonth})) << what;
        const NameFields fa = a->Fields(i), fb = b->Fields(i);
        ASSERT_EQ(std::tie(fa.year, fa.month, fa.day, fa.hour, fa.utc_hour, fa.iso_year,
                           fa.iso_week, fa.quarter),
                  std::tie(fb.year, fb.month, fb.day, fb.hour, fb.utc_hour, fb.iso_year,
                           fb.iso_week, fb.quarter))
            << what;
      }
      for (const char* text : {"2024-03-31", "2024-03-31T02:30:00", "2024-10-27T01:30:00+02:00",
                               "2024-02-29T23:59:59.999999Z"}) {
        EXPECT_EQ(ParsePolicyValue(*a, text), ParsePolicyValue(*b, text)) << what << " " << text;
      }
    }
  }
  for (const char* text : {"2024-03-31", "2024-03-31T02:30:00", "2024-10-27T01:30:00+02:00"}) {
    EXPECT_EQ(ParseInstant(text, fast), ParseInstant(text, database)) << text;
  }
}

TEST(GridMake, RejectsUnitsThatDoNotFitTheKey) {
  std::string error;
  const auto* utc = FindZone("UTC");
  EXPECT_FALSE(Grid::Make(KeyType::kDate, {1, Unit::kHour}, utc, &error));
  EXPECT_NE(error.find("hourly"), std::string::npos) << error;
  EXPECT_FALSE(Grid::Make(KeyType::kBigInt, {1, Unit::kMonth}, utc, &error));
  EXPECT_FALSE(Grid::Make(KeyType::kTimestampTz, {1000, Unit::kInteger}, utc, &error));
  EXPECT_FALSE(Grid::Make(KeyType::kTimestampTz, {1, Unit::kDay}, nullptr, &error));
  EXPECT_FALSE(Grid::Make(KeyType::kUnsupported, {1, Unit::kDay}, utc, &error));
  EXPECT_FALSE(Grid::Make(KeyType::kTimestamp, {0, Unit::kDay}, utc, &error));
  EXPECT_TRUE(Grid::Make(KeyType::kBigInt, {10, Unit::kInteger}, nullptr, &error));
  EXPECT_TRUE(Grid::Make(KeyType::kTimestamp, {1, Unit::kHour}, utc, &error));
}

TEST(GridMonth, MonthEndsAndLeapFebruary) {
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kMonth});
  ExpectPeriod(g, Civil(2024, 1, 31, 23, 59), Civil(2024, 1, 1), Civil(2024, 2, 1));
  ExpectPeriod(g, Civil(2024, 2, 29, 12), Civil(2024, 2, 1), Civil(2024, 3, 1));
  ExpectPeriod(g, Civil(2023, 2, 28, 12), Civil(2023, 2, 1), Civil(2023, 3, 1));
  ExpectPeriod(g, Civil(2024, 12, 31, 23, 59), Civil(2024, 12, 1), Civil(2025, 1, 1));
  EXPECT_EQ(g.Upper(g.IndexOf(Civil(2024, 2, 10))) - g.Lower(g.IndexOf(Civil(2024, 2, 10))),
            29 * kMicrosPerDay);
  EXPECT_EQ(g.Upper(g.IndexOf(Civil(2023, 2, 10))) - g.Lower(g.IndexOf(Civil(2023, 2, 10))),
            28 * kMicrosPerDay);
  // Months count from 0000-01: consecutive indexes, and 2024-01 is index 2024 * 12.
  EXPECT_EQ(g.IndexOf(Civil(2024, 1, 15)), 2024 * 12);
}

TEST(GridMonth, NegativeAndPre1970Floors) {
  Grid g = MakeGrid(KeyType::kTimestamp, {1, Unit::kMonth});
  ExpectPeriod(g, Civil(1969, 12, 31, 23, 59), Civil(1969, 12, 1), Civil(1970, 1, 1));
  ExpectPeriod(g, Civil(1900, 2, 15), Civil(1900, 2, 1), Civil(1900, 3, 1));  // 1900: no leap
  EXPECT_EQ(g.Upper(g.IndexOf(Civil(1900, 2, 15))) - g.Lower(g.IndexOf(Civil(1900, 2, 15))),
            28 * kMicrosPerDay);
  Grid days = MakeGrid(KeyType::kTimestamp, {1, Unit::kDay});
  EXPECT_EQ(days.IndexOf(-1), -1);
  EXPECT_EQ(days.Lower(-1), -kMicrosPerDay);
  Grid hours = MakeGrid(KeyType::kTimestampTz, {1, Unit::kHour});
  EXPECT_EQ(hours.IndexOf(-1), -1);
  EXPECT_EQ(hours.IndexOf(-kHour), -1);
  EXPECT_EQ(hours.IndexOf(-kHour - 1), -2);
}

TEST(GridMonth, QuartersAlignToJanAprJulOct) {
  Grid q = MakeGrid(KeyType::kTimestampTz, {1, Unit::kQuarter});
  ExpectPeriod(q, Civil(2024, 5, 20), Civil(2024, 4, 1), Civil(2024, 7, 1));
  ExpectPeriod(q, Civil(2024, 12, 31), Civil(2024, 10, 1), Civil(2025, 1, 1));
  Grid three = MakeGrid(KeyType::kTimestampTz, {3, Unit::kMonth});
  for (int64_t v : {Civil(2024, 2, 3), Civil(2024, 8, 31), Civil(1969, 11, 5)}) {
    EXPECT_EQ(three.Lower(three.IndexOf(v)), q.Lower(q.IndexOf(v)));
  }
  EXPECT_EQ(q.Fields(q.IndexOf(Civil(2024, 8, 1))).quarter, 3);
  Grid y = MakeGrid(KeyType::kDate, {1, Unit::kYear});
  ExpectPeriod(y, Civil(2024, 6, 1), Civil(2024, 1, 1), Civil(2025, 1, 1));
  Grid y2 = MakeGrid(KeyType::kDate, {2, Unit::kYear});
  // Two-year periods count from year 0: even years start them.
  EXPECT_EQ(y2.Lower(y2.IndexOf(Civil(2025, 6, 1))), Civil(2024, 1, 1));
  Grid m24 = MakeGrid(KeyType::kDate, {24, Unit::kMonth});
  EXPECT_EQ(m24.Lower(m24.IndexOf(Civil(2025, 6, 1))), Civil(2024, 1, 1));
}

TEST(GridWeek, IsoWeeksStartMondayIncludingWeek53) {
  Grid w = MakeGrid(KeyType::kDate, {1, Unit::kWeek});
  EXPECT_EQ(w.Lower(0), Civil(1970, 1, 5));  // first Monday after the epoch
  ExpectPeriod(w, Civil(1970, 1, 1), Civil(1969, 12, 29), Civil(1970, 1, 5));
  // 2020 and 2026 have 53 ISO weeks (they start on a Thursday, or a Wednesday in a leap year).
  int64_t w53 = w.IndexOf(Civil(2020, 12, 31));
  EXPECT_EQ(w.Lower(w53), Civil(2020, 12, 28));
  NameFields f = w.Fields(w53);
  EXPECT_EQ(f.iso_year, 2020);
  EXPECT_EQ(f.iso_week, 53);
  EXPECT_EQ(w.Fields(w53 + 1).iso_year, 2021);
  EXPECT_EQ(w.Fields(w53 + 1).iso_week, 1);
  EXPECT_EQ(w.Lower(w53 + 1), Civil(2021, 1, 4));
  f = w.Fields(w.IndexOf(Civil(2027, 1, 3)));  // a Sunday, still 2026-W53
  EXPECT_EQ(f.iso_year, 2026);
  EXPECT_EQ(f.iso_week, 53);
  EXPECT_EQ(f.year, 2026);  // calendar fields are those of the Monday
  EXPECT_EQ(f.month, 12);
  EXPECT_EQ(f.day, 28);
  // 2021 has no week 53: the week of 2021-12-31 is 2021-W52.
  f = w.Fields(w.IndexOf(Civil(2021, 12, 31)));
  EXPECT_EQ(f.iso_week, 52);
  // Week 1 can begin in December: 2024-12-30 is 2025-W01.
  f = w.Fields(w.IndexOf(Civil(2024, 12, 31)));
  EXPECT_EQ(f.iso_year, 2025);
  EXPECT_EQ(f.iso_week, 1);
  EXPECT_EQ(f.year, 2024);
}

TEST(GridWeek, TwoWeekPeriodsAlignToEpochMonday) {
  Grid w2 = MakeGrid(KeyType::kTimestampTz, {2, Unit::kWeek});
  int64_t i = w2.IndexOf(Civil(2024, 1, 10));
  EXPECT_EQ(w2.Upper(i) - w2.Lower(i), 14 * kMicrosPerDay);
  EXPECT_EQ((w2.Lower(i) - Civil(1970, 1, 5)) % (14 * kMicrosPerDay), 0);
  EXPECT_LE(w2.Lower(i), Civil(2024, 1, 10));
  EXPECT_GT(w2.Upper(i), Civil(2024, 1, 10));
  EXPECT_EQ(w2.Lower(-1), Civil(1969, 12, 22));
}

struct DstCase {
  const char* zone;
  int y;
  unsigned m, d;
  int64_t day_start_utc;  // local midnight of the switch day, as a UTC instant
  int64_t next_start_utc;
  int64_t day_hours;
};

class GridDstSwitch : public ::testing::TestWithParam<DstCase> {};

TEST_P(GridDstSwitch, LocalMidnightsAndDayLengths) {
  const DstCase& c = GetParam();
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kDay}, c.zone);
  ExpectPeriod(g, c.day_start_utc + 12 * kHour, c.day_start_utc, c.next_start_utc);
  EXPECT_EQ(c.next_start_utc - c.day_start_utc, c.day_hours * kHour);
  NameFields f = g.Fields(g.IndexOf(c.day_start_utc));
  EXPECT_EQ(f.year, c.y);
  EXPECT_EQ(f.month, static_cast<int>(c.m));
  EXPECT_EQ(f.day, static_cast<int>(c.d));
  EXPECT_EQ(f.hour, 0);
  // The day before and after are 24h long.
  int64_t i = g.IndexOf(c.day_start_utc);
  EXPECT_EQ(g.Upper(i - 1) - g.Lower(i - 1), 24 * kHour);
  EXPECT_EQ(g.Upper(i + 1) - g.Lower(i + 1), 24 * kHour);
  // Month grid in the same zone: the month containing the switch starts at local midnight of
  // the 1st, and its length is off by the switch.
  Grid months = MakeGrid(KeyType::kTimestampTz, {1, Unit::kMonth}, c.zone);
  int64_t mi = months.IndexOf(c.day_start_utc);
  NameFields mf = months.Fields(mi);
  EXPECT_EQ(mf.month, static_cast<int>(c.m));
  EXPECT_EQ(mf.day, 1);
  EXPECT_EQ(mf.hour, 0);
  int64_t days_in_month =
      static_cast<unsigned>((date::year{c.y} / date::month{c.m} / date::last).day());
  EXPECT_EQ(months.Upper(mi) - months.Lower(mi), (days_in_month * 24 + c.day_hours - 24) * kHour);
  EXPECT_EQ(months.IndexOf(months.Lower(mi) - 1), mi - 1);
  // Hour grid: elapsed UTC hours, one every 3600 s straight through the switch.
  Grid hours = MakeGrid(KeyType::kTimestampTz, {1, Unit::kHour}, c.zone);
  int64_t hi = hours.IndexOf(c.day_start_utc);
  for (int k = 0; k < 30; ++k) EXPECT_EQ(hours.Upper(hi + k) - hours.Lower(hi + k), kHour);
  EXPECT_EQ(hours.IndexOf(c.next_start_utc) - hi, c.day_hours);
}

INSTANTIATE_TEST_SUITE_P(
    GridZones, GridDstSwitch,
    ::testing::Values(
        // Europe/Berlin: CET (+01) -> CEST (+02) on 2026-03-29, back on 2026-10-25.
        DstCase{"Europe/Berlin", 2026, 3, 29, Civil(2026, 3, 28, 23), Civil(2026, 3, 29, 22), 23},
        DstCase{"Europe/Berlin", 2026, 10, 25, Civil(2026, 10, 24, 22), Civil(2026, 10, 25, 23),
                25},
        // America/New_York: EST (-05) -> EDT (-04) on 2026-03-08, back on 2026-11-01.
        DstCase{"America/New_York", 2026, 3, 8, Civil(2026, 3, 8, 5), Civil(2026, 3, 9, 4), 23},
        DstCase{"America/New_York", 2026, 11, 1, Civil(2026, 11, 1, 4), Civil(2026, 11, 2, 5),
                25}));

TEST(GridDstGap, NonexistentMidnightStartsAtTheTransition) {
  // Sao Paulo moved clocks from 00:00 to 01:00 on 2018-11-04: that day starts at 03:00Z (which
  // is 01:00 -02) and lasts 23 hours.
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kDay}, "America/Sao_Paulo");
  ExpectPeriod(g, Civil(2018, 11, 4, 12), Civil(2018, 11, 4, 3), Civil(2018, 11, 5, 2));
  NameFields f = g.Fields(g.IndexOf(Civil(2018, 11, 4, 12)));
  EXPECT_EQ(f.day, 4);
  EXPECT_EQ(f.hour, 1);
  EXPECT_EQ(g.Upper(g.IndexOf(Civil(2018, 11, 3, 12))) - g.Lower(g.IndexOf(Civil(2018, 11, 3, 12))),
            24 * kHour);
  // A local-midnight policy value in the gap resolves to the transition too.
  EXPECT_EQ(ParsePolicyValue(g, "2018-11-04"), Civil(2018, 11, 4, 3));
}

TEST(GridTimestamp, IgnoresDst) {
  // timestamp (no zone) periods are wall-clock days: always 24 h.
  Grid g = MakeGrid(KeyType::kTimestamp, {1, Unit::kDay}, "Europe/Berlin");
  int64_t i = g.IndexOf(Civil(2026, 3, 29, 12));
  EXPECT_EQ(g.Lower(i), Civil(2026, 3, 29));
  EXPECT_EQ(g.Upper(i) - g.Lower(i), 24 * kHour);
}

TEST(GridInteger, FloorsNegativesAndMatchesPeriods) {
  Grid g = MakeGrid(KeyType::kBigInt, {1000, Unit::kInteger});
  EXPECT_EQ(g.IndexOf(0), 0);
  EXPECT_EQ(g.IndexOf(999), 0);
  EXPECT_EQ(g.IndexOf(1000), 1);
  EXPECT_EQ(g.IndexOf(-1), -1);
  EXPECT_EQ(g.IndexOf(-1000), -1);
  EXPECT_EQ(g.IndexOf(-1001), -2);
  EXPECT_EQ(g.Lower(-2), -2000);
  EXPECT_EQ(g.IndexOfPeriod(-2000, -1000), -2);
  EXPECT_EQ(g.IndexOfPeriod(-2000, -999), std::nullopt);
  EXPECT_EQ(g.IndexOfPeriod(-1500, -500), std::nullopt);
  EXPECT_EQ(g.Subtract(5000, {1500, Unit::kInteger}), 3500);
  EXPECT_EQ(g.Fields(-3).lower, -3000);
  // Extreme indexes saturate instead of overflowing.
  EXPECT_EQ(g.Lower(INT64_MAX), INT64_MAX);
  EXPECT_EQ(g.IndexOf(INT64_MIN), INT64_MIN / 1000 - 1);
}

TEST(GridPeriod, OffGridRangesAreNotPeriods) {
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kMonth}, "Europe/Berlin");
  // Berlin months start at local midnight, not at UTC midnight.
  EXPECT_EQ(g.IndexOfPeriod(Civil(2024, 1, 1), Civil(2024, 2, 1)), std::nullopt);
  auto i = g.IndexOfPeriod(Civil(2023, 12, 31, 23), Civil(2024, 1, 31, 23));
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(g.Fields(*i).month, 1);
  EXPECT_EQ(g.IndexOfPeriod(Civil(2023, 12, 31, 23), Civil(2024, 2, 29, 23)), std::nullopt);
}

TEST(GridNow, KeyDomainOfTheInstant) {
  int64_t now = Civil(2026, 7, 1, 22, 30);  // 00:30 on July 2nd in Berlin (CEST)
  EXPECT_EQ(MakeGrid(KeyType::kTimestampTz, {1, Unit::kDay}, "Europe/Berlin").Now(now), now);
  EXPECT_EQ(MakeGrid(KeyType::kTimestamp, {1, Unit::kDay}, "Europe/Berlin").Now(now),
            Civil(2026, 7, 2, 0, 30));
  EXPECT_EQ(MakeGrid(KeyType::kDate, {1, Unit::kDay}, "Europe/Berlin").Now(now), Civil(2026, 7, 2));
  EXPECT_EQ(MakeGrid(KeyType::kDate, {1, Unit::kDay}, "UTC").Now(now), Civil(2026, 7, 1));
}

TEST(GridSubtract, MonthsClampTheDay) {
  Grid g = MakeGrid(KeyType::kTimestamp, {1, Unit::kMonth});
  EXPECT_EQ(g.Subtract(Civil(2024, 3, 31, 10), {1, Unit::kMonth}), Civil(2024, 2, 29, 10));
  EXPECT_EQ(g.Subtract(Civil(2025, 3, 31), {1, Unit::kMonth}), Civil(2025, 2, 28));
  EXPECT_EQ(g.Subtract(Civil(2025, 2, 28), {12, Unit::kMonth}), Civil(2024, 2, 28));
  EXPECT_EQ(g.Subtract(Civil(2024, 2, 29), {1, Unit::kYear}), Civil(2023, 2, 28));
  EXPECT_EQ(g.Subtract(Civil(2024, 5, 31), {1, Unit::kQuarter}), Civil(2024, 2, 29));
  EXPECT_EQ(g.Subtract(Civil(2024, 1, 15), {24, Unit::kMonth}), Civil(2022, 1, 15));
  EXPECT_EQ(g.Subtract(Civil(1970, 1, 1), {1, Unit::kMonth}), Civil(1969, 12, 1));
  EXPECT_EQ(g.Subtract(Civil(2024, 3, 1), {1, Unit::kDay}), Civil(2024, 2, 29));
  EXPECT_EQ(g.Subtract(Civil(2024, 3, 1), {2, Unit::kWeek}), Civil(2024, 2, 16));
  EXPECT_EQ(g.Subtract(Civil(2024, 3, 1), {90, Unit::kDay}), Civil(2023, 12, 2));
  EXPECT_EQ(g.Subtract(Civil(2024, 3, 1), {36, Unit::kHour}), Civil(2024, 2, 28, 12));
}

TEST(GridSubtract, TimestampTzUsesLocalCalendarDays) {
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kDay}, "Europe/Berlin");
  // 2026-03-30 00:00 CEST minus 1 day is 2026-03-29 00:00 CET: 23 elapsed hours.
  EXPECT_EQ(g.Subtract(Civil(2026, 3, 29, 22), {1, Unit::kDay}), Civil(2026, 3, 28, 23));
  // Minus 24 hours is elapsed time.
  EXPECT_EQ(g.Subtract(Civil(2026, 3, 29, 22), {24, Unit::kHour}), Civil(2026, 3, 28, 22));
  // Local month arithmetic across the switch: May 1 00:00 CEST - 3 months = Feb 1 00:00 CET.
  EXPECT_EQ(g.Subtract(Civil(2026, 4, 30, 22), {3, Unit::kMonth}), Civil(2026, 1, 31, 23));
  Grid ny = MakeGrid(KeyType::kTimestampTz, {1, Unit::kMonth}, "America/New_York");
  EXPECT_EQ(ny.Subtract(Civil(2026, 11, 8, 5), {1, Unit::kWeek}), Civil(2026, 11, 1, 4));
}

TEST(CalendarPolicyValue, FormsPerKeyType) {
  Grid tz = MakeGrid(KeyType::kTimestampTz, {1, Unit::kDay}, "Europe/Berlin");
  EXPECT_EQ(ParsePolicyValue(tz, "2024-01-01"), Civil(2023, 12, 31, 23));
  EXPECT_EQ(ParsePolicyValue(tz, "2024-07-01T10:00:00"), Civil(2024, 7, 1, 8));
  EXPECT_EQ(ParsePolicyValue(tz, "2024-07-01T10:00:00Z"), Civil(2024, 7, 1, 10));
  EXPECT_EQ(ParsePolicyValue(tz, "2024-07-01T10:00:00+05:30"), Civil(2024, 7, 1, 4, 30));
  EXPECT_EQ(ParsePolicyValue(tz, "2024-02-30"), std::nullopt);
  EXPECT_EQ(ParsePolicyValue(tz, "1000"), std::nullopt);
  EXPECT_EQ(ParsePolicyValue(tz, "yesterday"), std::nullopt);
  Grid ts = MakeGrid(KeyType::kTimestamp, {1, Unit::kDay}, "Europe/Berlin");
  EXPECT_EQ(ParsePolicyValue(ts, "2024-07-01T10:00:00"), Civil(2024, 7, 1, 10));
  EXPECT_EQ(ParsePolicyValue(ts, "2024-07-01T10:00:00Z"), Civil(2024, 7, 1, 12));
  Grid d = MakeGrid(KeyType::kDate, {1, Unit::kMonth}, "Europe/Berlin");
  EXPECT_EQ(ParsePolicyValue(d, "2024-07-01"), Civil(2024, 7, 1));
  EXPECT_EQ(ParsePolicyValue(d, "2024-06-30T23:30:00Z"), Civil(2024, 7, 1));
  Grid i = MakeGrid(KeyType::kInteger, {100, Unit::kInteger});
  EXPECT_EQ(ParsePolicyValue(i, "-250"), -250);
  EXPECT_EQ(ParsePolicyValue(i, "2024-01-01"), std::nullopt);
}

TEST(CalendarInstant, ParseAndText) {
  const auto* ny = FindZone("America/New_York");
  EXPECT_EQ(ParseInstant("2026-11-21T12:00:00Z", ny), Civil(2026, 11, 21, 12));
  EXPECT_EQ(ParseInstant("2026-11-21", ny), Civil(2026, 11, 21, 5));
  EXPECT_EQ(ParseInstant("2026-07-21 12:00", ny), Civil(2026, 7, 21, 16));
  EXPECT_EQ(ParseInstant("2026-07-21T12:00:00-02:00", ny), Civil(2026, 7, 21, 14));
  EXPECT_EQ(ParseInstant("2026-11-01", nullptr), Civil(2026, 11, 1));
  EXPECT_EQ(ParseInstant("2026-13-01", ny), std::nullopt);
  EXPECT_EQ(ParseInstant("2026-11-21T25:00:00Z", ny), std::nullopt);
  EXPECT_EQ(ParseInstant("now", ny), std::nullopt);
  EXPECT_EQ(InstantText(Civil(2026, 11, 21, 12)), "2026-11-21T12:00:00Z");
  EXPECT_EQ(InstantText(Civil(2026, 11, 21, 12) + 500'000), "2026-11-21T12:00:00.5Z");
  EXPECT_EQ(InstantText(Civil(1969, 12, 31, 23, 59) + 59'999'999), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(ParseInstant(InstantText(-1), nullptr), -1);
}

}  // namespace
}  // namespace pgpart
