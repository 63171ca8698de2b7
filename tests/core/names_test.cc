// Naming templates, and grid edge cases around zones whose transitions happen at midnight.
#include <date/date.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "core/calendar.h"

namespace pgpart {
namespace {

constexpr int64_t kHour = 3600LL * kMicrosPerSecond;

int64_t Civil(int y, unsigned m, unsigned d, int h = 0) {
  auto tp = date::sys_days{date::year{y} / m / d} + std::chrono::hours{h};
  return std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count();
}

Grid MakeGrid(KeyType type, Interval interval, const char* zone = "UTC") {
  std::string error;
  auto grid = Grid::Make(type, interval, FindZone(zone), &error);
  EXPECT_TRUE(grid.has_value()) << error;
  return *grid;
}

std::string NameOf(const Grid& grid, int64_t value, std::string_view parent = "t") {
  return ExpandName(DefaultNameTemplate(grid.interval().unit, false), parent,
                    grid.Fields(grid.IndexOf(value)));
}

TEST(CalendarName, DefaultTemplatesPerUnit) {
  EXPECT_EQ(DefaultNameTemplate(Unit::kMonth, false), "{parent}_y{YYYY}m{MM}");
  EXPECT_EQ(DefaultNameTemplate(Unit::kMonth, true), "{parent}_h{remainder}");
  EXPECT_EQ(NameOf(MakeGrid(KeyType::kTimestampTz, {1, Unit::kHour}), Civil(2024, 3, 5, 7)),
            "t_y2024m03d05h07");
  EXPECT_EQ(NameOf(MakeGrid(KeyType::kDate, {1, Unit::kDay}), Civil(2024, 2, 29)), "t_y2024m02d29");
  EXPECT_EQ(NameOf(MakeGrid(KeyType::kDate, {1, Unit::kWeek}), Civil(2021, 1, 1)), "t_y2020w53");
  EXPECT_EQ(NameOf(MakeGrid(KeyType::kDate, {1, Unit::kWeek}), Civil(2026, 1, 1)), "t_y2026w01");
  EXPECT_EQ(NameOf(MakeGrid(KeyType::kTimestampTz, {1, Unit::kMonth}), Civil(2024, 11, 30)),
            "t_y2024m11");
  EXPECT_EQ(NameOf(MakeGrid(KeyType::kTimestampTz, {1, Unit::kQuarter}), Civil(2024, 11, 30)),
            "t_y2024q4");
  EXPECT_EQ(NameOf(MakeGrid(KeyType::kTimestampTz, {1, Unit::kYear}), Civil(987, 11, 30)),
            "t_y0987");
  EXPECT_EQ(NameOf(MakeGrid(KeyType::kBigInt, {1000, Unit::kInteger}), 123456), "t_p123000");
  EXPECT_EQ(NameOf(MakeGrid(KeyType::kBigInt, {1000, Unit::kInteger}), -1), "t_pm1000");
}

TEST(CalendarName, ZoneLocalFields) {
  // 2024-01-01 00:00 in Berlin is 2023-12-31T23:00Z; the name follows the local calendar.
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kMonth}, "Europe/Berlin");
  EXPECT_EQ(NameOf(g, Civil(2023, 12, 31, 23), "sensor_readings"), "sensor_readings_y2024m01");
  EXPECT_EQ(NameOf(g, Civil(2023, 12, 31, 23) - 1, "sensor_readings"), "sensor_readings_y2023m12");
}

TEST(CalendarName, ExpandsEveryPlaceholder) {
  NameFields f;
  f.year = 2024;
  f.month = 3;
  f.day = 9;
  f.hour = 5;
  f.iso_year = 2024;
  f.iso_week = 10;
  f.quarter = 1;
  f.lower = -5;
  EXPECT_EQ(
      ExpandName("{parent}|{YYYY}|{MM}|{DD}|{HH}|{IYYY}|{IW}|{Q}|{lower}|{remainder}", "p", f, 7),
      "p|2024|03|09|05|2024|10|1|m5|7");
  EXPECT_EQ(ExpandName("{parent}_h{remainder}", "orders", f, 15), "orders_h15");
  EXPECT_EQ(ExpandName("archive_{YYYY}_{MM}", "x", f), "archive_2024_03");
  // Unknown placeholders are left as written (ValidateNameTemplate rejects them first).
  EXPECT_EQ(ExpandName("{parent}_{nope}", "x", f), "x_{nope}");
}

TEST(CalendarName, ValidatesTemplates) {
  std::string error;
  EXPECT_TRUE(ValidateNameTemplate("{parent}_y{YYYY}m{MM}", &error));
  EXPECT_TRUE(ValidateNameTemplate("{parent}_p{lower}", &error));
  EXPECT_TRUE(ValidateNameTemplate("static_{IYYY}w{IW}", &error));
  EXPECT_FALSE(ValidateNameTemplate("{parent}_{YYY}", &error));
  EXPECT_NE(error.find("unknown placeholder {YYY}"), std::string::npos) << error;
  EXPECT_FALSE(ValidateNameTemplate("{parent}_{YYYY", &error));
  EXPECT_NE(error.find("not closed"), std::string::npos) << error;
  EXPECT_FALSE(ValidateNameTemplate("{parent}_YYYY}", &error));
  EXPECT_FALSE(ValidateNameTemplate("{parent{MM}}", &error));
  EXPECT_FALSE(ValidateNameTemplate("", &error));
}

TEST(CalendarName, DailyNamesAreUniqueAcrossDstYear) {
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kDay}, "America/New_York");
  std::set<std::string> names;
  int64_t first = g.IndexOf(Civil(2026, 1, 1, 12));
  for (int64_t i = first; i < first + 365; ++i) {
    names.insert(ExpandName(DefaultNameTemplate(Unit::kDay, false), "t", g.Fields(i)));
  }
  EXPECT_EQ(names.size(), 365u);
}

TEST(GridMidnightTransitions, HavanaGapAtMidnight) {
  // Cuba moved 00:00 -> 01:00 on 2026-03-08: the day starts at the transition (05:00Z).
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kDay}, "America/Havana");
  int64_t i = g.IndexOf(Civil(2026, 3, 8, 12));
  EXPECT_EQ(g.Lower(i), Civil(2026, 3, 8, 5));
  EXPECT_EQ(g.Upper(i), Civil(2026, 3, 9, 4));
  EXPECT_EQ(g.IndexOf(Civil(2026, 3, 8, 5) - 1), i - 1);
  EXPECT_EQ(g.Fields(i).day, 8);
  Grid m = MakeGrid(KeyType::kTimestampTz, {1, Unit::kMonth}, "America/Havana");
  EXPECT_EQ(m.Subtract(Civil(2026, 4, 8, 4), {1, Unit::kMonth}), Civil(2026, 3, 8, 5));
}

TEST(GridMidnightTransitions, SaoPauloFallBackFromMidnight) {
  // 2019-02-17 00:00 -02 turned into 2019-02-16 23:00 -03: the 16th lasts 25 hours.
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kDay}, "America/Sao_Paulo");
  int64_t i = g.IndexOf(Civil(2019, 2, 16, 12));
  EXPECT_EQ(g.Lower(i), Civil(2019, 2, 16, 2));
  EXPECT_EQ(g.Upper(i), Civil(2019, 2, 17, 3));
  // An instant in the repeated hour (local 23:30 on the 16th, second time) is still the 16th.
  EXPECT_EQ(g.IndexOf(Civil(2019, 2, 17, 2) + kHour / 2), i);
  EXPECT_EQ(g.IndexOf(Civil(2019, 2, 17, 3)), i + 1);
  EXPECT_EQ(g.Fields(i + 1).hour, 0);
}

TEST(GridMidnightTransitions, HourGridNamesInTheRepeatedHour) {
  // Hour periods are elapsed UTC hours; in a zone that falls back the local {HH} repeats.
  // Planner/loader must catch the resulting name collision (docs/policy.md) - this documents it.
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kHour}, "America/New_York");
  int64_t first_one = g.IndexOf(Civil(2026, 11, 1, 5));   // 01:00 EDT
  int64_t second_one = g.IndexOf(Civil(2026, 11, 1, 6));  // 01:00 EST
  EXPECT_EQ(second_one, first_one + 1);
  EXPECT_EQ(g.Fields(first_one).hour, 1);
  EXPECT_EQ(g.Fields(second_one).hour, 1);
  // A timestamp (wall clock) hour grid has no such repeat: 24 distinct hours every day.
  Grid wall = MakeGrid(KeyType::kTimestamp, {1, Unit::kHour}, "America/New_York");
  int64_t w = wall.IndexOf(Civil(2026, 11, 1));
  for (int k = 0; k < 24; ++k) EXPECT_EQ(wall.Fields(w + k).hour, k);
  EXPECT_EQ(wall.Upper(w) - wall.Lower(w), kHour);
}

TEST(GridMidnightTransitions, FarDatesStayInRange) {
  Grid g = MakeGrid(KeyType::kTimestampTz, {1, Unit::kMonth}, "Europe/Berlin");
  int64_t i = g.IndexOf(Civil(9999, 12, 15));
  EXPECT_EQ(g.Fields(i).year, 9999);
  EXPECT_EQ(g.Fields(i + 1).year, 10000);
  int64_t old = g.IndexOf(Civil(1, 1, 15));
  EXPECT_EQ(g.Fields(old).year, 1);
  EXPECT_EQ(g.Fields(old - 1).year, 0);  // 1 BC
  EXPECT_EQ(g.Subtract(Civil(2024, 1, 1), {1'000'000, Unit::kYear}),
            g.Subtract(Civil(2024, 1, 1), {900'000, Unit::kYear}));
}

}  // namespace
}  // namespace pgpart
