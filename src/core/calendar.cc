#include "core/calendar.h"

#include <date/date.h>
#include <date/iso_week.h>
#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>

#include "core/time_text.h"

namespace pgpart {

namespace {

using internal::FloorDiv;
using internal::kMicrosPerHour;
using internal::SatAdd;
using internal::SatMul;
using internal::SatSub;
using Micros = std::chrono::microseconds;

constexpr int64_t kEpochMondayDay = 4;  // 1970-01-05, the first Monday after the epoch

// UTC, the default zone, needs no time-zone database: FindZone("UTC") returns the address of this
// object, not the database's entry, and ToLocal and ToSys (the only code that looks into a zone)
// treat it as what it is: offset 0, no transitions. A process whose policies are all in UTC then
// never loads the database (the first lookup costs ~1 ms and ~150 KB of heap). The pointer is
// never dereferenced.
struct alignas(date::time_zone) UtcTag {};
constexpr UtcTag kUtcTag{};
const date::time_zone* UtcZone() { return reinterpret_cast<const date::time_zone*>(&kUtcTag); }

// Wall-clock micros of an instant in `zone`.
int64_t ToLocal(const date::time_zone* zone, int64_t utc_micros) {
  if (zone == UtcZone()) return utc_micros;
  auto local = zone->to_local(date::sys_time<Micros>{Micros{utc_micros}});
  return std::chrono::duration_cast<Micros>(local.time_since_epoch()).count();
}

// The instant of a wall-clock time in `zone`: the earliest one when ambiguous, the transition
// instant when the wall time falls in a gap.
int64_t ToSys(const date::time_zone* zone, int64_t local_micros) {
  if (zone == UtcZone()) return local_micros;
  date::local_time<Micros> local{Micros{local_micros}};
  date::local_info info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) {
    return std::chrono::duration_cast<Micros>(info.first.end.time_since_epoch()).count();
  }
  return local_micros - std::chrono::duration_cast<Micros>(info.first.offset).count();
}

int64_t MonthsPerUnit(Unit unit) {
  switch (unit) {
    case Unit::kQuarter:
      return 3;
    case Unit::kYear:
      return 12;
    default:
      return 1;
  }
}

// Day numbers and month indexes are kept inside the supported calendar (years 4713 BC..32767);
// grid indexes beyond it map to its ends instead of overflowing.
int64_t ClampDay(int64_t day) {
  static const int64_t kFirst = internal::DaysFromCivil(internal::kMinYear, 1, 1);
  static const int64_t kLast = internal::DaysFromCivil(internal::kMaxYear, 12, 31);
  return std::clamp(day, kFirst, kLast);
}

int64_t ClampMonth(int64_t month_index) {
  return std::clamp<int64_t>(month_index, internal::kMinYear * 12LL,
                             internal::kMaxYear * 12LL + 11);
}

// Months since 0000-01 of a day number.
int64_t MonthOfDay(int64_t day) {
  internal::Civil c = internal::CivilFromDays(ClampDay(day));
  return c.year * 12LL + (c.month - 1);
}

int64_t DayOfMonthIndex(int64_t month_index, int day_of_month) {
  month_index = ClampMonth(month_index);
  int year = static_cast<int>(FloorDiv(month_index, 12));
  int month = static_cast<int>(internal::FloorMod(month_index, 12)) + 1;
  return internal::DaysFromCivil(year, month,
                                 std::min(day_of_month, internal::DaysInMonth(year, month)));
}

std::string Pad(int64_t value, int width) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%0*lld", width, static_cast<long long>(value));
  return std::string(buf, static_cast<size_t>(n));
}

struct UnitWord {
  const char* singular;
  Unit unit;
};
constexpr UnitWord kUnitWords[] = {{"hour", Unit::kHour},       {"day", Unit::kDay},
                                   {"week", Unit::kWeek},       {"month", Unit::kMonth},
                                   {"quarter", Unit::kQuarter}, {"year", Unit::kYear}};

// Upper bound on N for time units, so that no grid arithmetic can overflow.
constexpr int64_t kMaxTimeCount = 100'000;

constexpr const char* kPlaceholders[] = {"parent", "YYYY", "MM",    "DD",       "HH", "UTCHH",
                                         "IYYY",   "IW",   "Q",     "lower", "remainder"};

}  // namespace

std::optional<Interval> ParseInterval(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<Interval> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  std::string_view trimmed = internal::Trim(text);
  std::string quoted = "'" + std::string(text) + "'";
  if (trimmed.empty()) return fail("empty interval; write e.g. '1 month' or an integer");
  size_t digits_end = 0;
  if (trimmed[0] == '-' || trimmed[0] == '+') digits_end = 1;
  while (digits_end < trimmed.size() && trimmed[digits_end] >= '0' && trimmed[digits_end] <= '9') {
    ++digits_end;
  }
  std::string_view number = trimmed.substr(0, digits_end);
  std::string_view unit_text = internal::Trim(trimmed.substr(digits_end));
  auto count = internal::ParseInt64(number);
  if (!count) {
    if (number.size() > 1 || (number.size() == 1 && number[0] >= '0' && number[0] <= '9')) {
      return fail("interval " + quoted + ": count is out of range");
    }
    return fail("interval " + quoted +
                ": expected 'N unit' (e.g. '1 month', '7 days') or an integer");
  }
  if (*count < 1) return fail("interval " + quoted + ": count must be at least 1");
  if (unit_text.empty()) return Interval{*count, Unit::kInteger};
  std::string unit = internal::ToLower(unit_text);
  for (const UnitWord& w : kUnitWords) {
    std::string singular = w.singular;
    if (unit == singular || unit == singular + "s") {
      if (*count > kMaxTimeCount) {
        return fail("interval " + quoted + ": count must be at most " +
                    std::to_string(kMaxTimeCount) + " for " + singular + "s");
      }
      return Interval{*count, w.unit};
    }
  }
  return fail("interval " + quoted + ": unknown unit '" + std::string(unit_text) +
              "'; use hour, day, week, month, quarter or year");
}

std::string UnitName(Unit unit) {
  switch (unit) {
    case Unit::kHour:
      return "hour";
    case Unit::kDay:
      return "day";
    case Unit::kWeek:
      return "week";
    case Unit::kMonth:
      return "month";
    case Unit::kQuarter:
      return "quarter";
    case Unit::kYear:
      return "year";
    case Unit::kInteger:
      break;
  }
  return "integer";
}

std::string IntervalText(const Interval& interval) {
  if (interval.unit == Unit::kInteger) return std::to_string(interval.count);
  return std::to_string(interval.count) + " " + UnitName(interval.unit) +
         (interval.count == 1 ? "" : "s");
}

const date::time_zone* FindZone(std::string_view name) {
  // IANA names start with an upper-case letter; the tz folder also holds "localtime" (this
  // machine's zone: a plan that depends on where it runs) and data files.
  if (name.empty() || name.front() < 'A' || name.front() > 'Z') return nullptr;
  if (name == "UTC") return UtcZone();
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::optional<Grid> Grid::Make(KeyType key_type, Interval interval, const date::time_zone* zone,
                               std::string* error) {
  auto fail = [&](std::string message) -> std::optional<Grid> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  if (interval.count < 1) return fail("interval count must be at least 1");
  if (IsIntegerKey(key_type)) {
    if (interval.unit != Unit::kInteger) {
      return fail("the partition key is " + KeyTypeName(key_type) + "; interval must be an " +
                  "integer width (e.g. 1000000), not '" + IntervalText(interval) + "'");
    }
    return Grid(key_type, interval, zone);
  }
  if (!IsTimeKey(key_type)) return fail("unsupported partition key type");
  if (interval.unit == Unit::kInteger) {
    return fail("the partition key is " + KeyTypeName(key_type) + "; interval needs a unit " +
                "(e.g. '" + std::to_string(interval.count) + " days'), not a bare integer");
  }
  if (interval.count > kMaxTimeCount) return fail("interval count is too large");
  if (key_type == KeyType::kDate && interval.unit == Unit::kHour) {
    return fail("the partition key is date; hourly partitions need a timestamp key");
  }
  if (zone == nullptr) return fail("a time zone is required for time partition keys");
  return Grid(key_type, interval, zone);
}

int64_t Grid::IndexOf(int64_t key_value) const {
  const Unit unit = interval_.unit;
  const int64_t n = interval_.count;
  if (unit == Unit::kInteger) return FloorDiv(key_value, n);
  if (unit == Unit::kHour) return FloorDiv(key_value, n * kMicrosPerHour);
  const bool zoned = key_type_ == KeyType::kTimestampTz;
  int64_t local = zoned ? ToLocal(zone_, key_value) : key_value;
  int64_t day = ClampDay(FloorDiv(local, kMicrosPerDay));
  int64_t index;
  if (unit == Unit::kDay) {
    index = FloorDiv(day, n);
  } else if (unit == Unit::kWeek) {
    index = FloorDiv(day - kEpochMondayDay, 7 * n);
  } else {
    index = FloorDiv(MonthOfDay(day), n * MonthsPerUnit(unit));
  }
  if (zoned) {
    // The grid is defined by Lower(); local wall time can step backwards across a period start
    // (a fall-back transition at midnight), so settle on the true floor.
    // Bounded: at the ends of the supported calendar Lower() saturates.
    for (int i = 0; i < 4 && Lower(index) > key_value; ++i) --index;
    for (int i = 0; i < 4 && Lower(index + 1) <= key_value; ++i) ++index;
  }
  return index;
}

int64_t Grid::Lower(int64_t index) const {
  const Unit unit = interval_.unit;
  const int64_t n = interval_.count;
  if (unit == Unit::kInteger) return SatMul(index, n);
  if (unit == Unit::kHour) return SatMul(SatMul(index, n), kMicrosPerHour);
  int64_t day;
  if (unit == Unit::kDay) {
    day = ClampDay(SatMul(index, n));
  } else if (unit == Unit::kWeek) {
    day = ClampDay(SatAdd(kEpochMondayDay, SatMul(SatMul(index, n), 7)));
  } else {
    day = DayOfMonthIndex(SatMul(SatMul(index, n), MonthsPerUnit(unit)), 1);
  }
  int64_t local = day * kMicrosPerDay;
  return key_type_ == KeyType::kTimestampTz ? ToSys(zone_, local) : local;
}

std::optional<int64_t> Grid::IndexOfPeriod(int64_t lower, int64_t upper) const {
  int64_t index = IndexOf(lower);
  if (Lower(index) != lower || Lower(index + 1) != upper) return std::nullopt;
  return index;
}

int64_t Grid::Now(int64_t now_utc_micros) const {
  switch (key_type_) {
    case KeyType::kTimestampTz:
      return now_utc_micros;
    case KeyType::kTimestamp:
      return ToLocal(zone_, now_utc_micros);
    case KeyType::kDate:
      return FloorDiv(ToLocal(zone_, now_utc_micros), kMicrosPerDay) * kMicrosPerDay;
    default:
      return now_utc_micros;
  }
}

int64_t Grid::Subtract(int64_t key_value, Interval distance) const {
  // Integer keys, and a unitless distance (which the policy loader rejects on time keys).
  if (IsIntegerKey(key_type_) || distance.unit == Unit::kInteger) {
    return SatSub(key_value, distance.count);
  }
  if (distance.unit == Unit::kHour) {
    return SatSub(key_value, SatMul(distance.count, kMicrosPerHour));
  }
  const bool zoned = key_type_ == KeyType::kTimestampTz;
  int64_t local = zoned ? ToLocal(zone_, key_value) : key_value;
  int64_t day = ClampDay(FloorDiv(local, kMicrosPerDay));
  int64_t time_of_day = internal::FloorMod(local, kMicrosPerDay);
  // Keep results inside the supported calendar (years 4713 BC .. 32767).
  const int64_t count = std::min<int64_t>(distance.count, 12'000'000);
  if (distance.unit == Unit::kDay) {
    day -= count;
  } else if (distance.unit == Unit::kWeek) {
    day -= 7 * count;
  } else {
    internal::Civil c = internal::CivilFromDays(day);
    int64_t month = c.year * 12LL + (c.month - 1) - count * MonthsPerUnit(distance.unit);
    day = DayOfMonthIndex(month, c.day);
  }
  day = ClampDay(day);
  int64_t result = day * kMicrosPerDay + time_of_day;
  return zoned ? ToSys(zone_, result) : result;
}

NameFields Grid::Fields(int64_t index) const {
  NameFields f;
  f.lower = Lower(index);
  if (!IsTimeKey(key_type_)) return f;
  int64_t local = key_type_ == KeyType::kTimestampTz ? ToLocal(zone_, f.lower) : f.lower;
  int64_t day = ClampDay(FloorDiv(local, kMicrosPerDay));
  internal::Civil c = internal::CivilFromDays(day);
  f.year = c.year;
  f.month = c.month;
  f.day = c.day;
  f.hour = static_cast<int>(internal::FloorMod(local, kMicrosPerDay) / kMicrosPerHour);
  f.utc_hour = static_cast<int>(internal::FloorMod(f.lower, kMicrosPerDay) / kMicrosPerHour);
  f.quarter = (c.month - 1) / 3 + 1;
  iso_week::year_weeknum_weekday iso{date::sys_days{date::days{day}}};
  f.iso_year = static_cast<int>(iso.year());
  f.iso_week = static_cast<int>(static_cast<unsigned>(iso.weeknum()));
  return f;
}

std::optional<int64_t> ParsePolicyValue(const Grid& grid, std::string_view text) {
  text = internal::Trim(text);
  if (IsIntegerKey(grid.key_type())) return internal::ParseInt64(text);
  auto parsed = internal::ParseDateTime(text);
  if (!parsed || grid.zone() == nullptr) return std::nullopt;
  switch (grid.key_type()) {
    case KeyType::kTimestampTz:
      return parsed->has_offset ? parsed->local_micros - parsed->offset_micros
                                : ToSys(grid.zone(), parsed->local_micros);
    case KeyType::kTimestamp:
      return parsed->has_offset ? ToLocal(grid.zone(), parsed->local_micros - parsed->offset_micros)
                                : parsed->local_micros;
    case KeyType::kDate: {
      int64_t local = parsed->has_offset
                          ? ToLocal(grid.zone(), parsed->local_micros - parsed->offset_micros)
                          : parsed->local_micros;
      return FloorDiv(local, kMicrosPerDay) * kMicrosPerDay;
    }
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> ParseInstant(std::string_view text, const date::time_zone* zone) {
  auto parsed = internal::ParseDateTime(internal::Trim(text));
  if (!parsed) return std::nullopt;
  if (parsed->has_offset) return parsed->local_micros - parsed->offset_micros;
  if (zone == nullptr) return parsed->local_micros;  // no zone: read as UTC
  return ToSys(zone, parsed->local_micros);
}

std::string InstantText(int64_t utc_micros) {
  return internal::FormatDateTime(utc_micros, true, 'T', "Z");
}

std::string ExpandName(std::string_view name_template, std::string_view parent,
                       const NameFields& fields, int remainder) {
  std::string out;
  size_t pos = 0;
  while (pos < name_template.size()) {
    char c = name_template[pos];
    size_t close = c == '{' ? name_template.find('}', pos) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out += c;
      ++pos;
      continue;
    }
    std::string_view key = name_template.substr(pos + 1, close - pos - 1);
    if (key == "parent") {
      out += parent;
    } else if (key == "YYYY") {
      out += Pad(fields.year, 4);
    } else if (key == "MM") {
      out += Pad(fields.month, 2);
    } else if (key == "DD") {
      out += Pad(fields.day, 2);
    } else if (key == "HH") {
      out += Pad(fields.hour, 2);
    } else if (key == "UTCHH") {
      out += Pad(fields.utc_hour, 2);
    } else if (key == "IYYY") {
      out += Pad(fields.iso_year, 4);
    } else if (key == "IW") {
      out += Pad(fields.iso_week, 2);
    } else if (key == "Q") {
      out += std::to_string(fields.quarter);
    } else if (key == "lower") {
      // A '-' would force quoting; negative lowers print as "m<digits>" (-1000 -> m1000).
      if (fields.lower < 0) {
        out += 'm';
        out += std::to_string(fields.lower).substr(1);
      } else {
        out += std::to_string(fields.lower);
      }
    } else if (key == "remainder") {
      out += std::to_string(remainder);
    } else {
      out.append(name_template.substr(pos, close - pos + 1));  // unknown: left as written
    }
    pos = close + 1;
  }
  return out;
}

bool ValidateNameTemplate(std::string_view name_template, std::string* error) {
  auto fail = [&](std::string message) {
    if (error) *error = std::move(message);
    return false;
  };
  if (name_template.empty()) return fail("naming template is empty");
  size_t pos = 0;
  while (pos < name_template.size()) {
    char c = name_template[pos];
    if (c == '}') return fail("'}' without '{' at offset " + std::to_string(pos));
    if (c != '{') {
      ++pos;
      continue;
    }
    size_t close = name_template.find_first_of("{}", pos + 1);
    if (close == std::string_view::npos || name_template[close] == '{') {
      return fail("'{' at offset " + std::to_string(pos) + " is not closed");
    }
    std::string_view key = name_template.substr(pos + 1, close - pos - 1);
    bool known = false;
    for (const char* p : kPlaceholders) known = known || key == p;
    if (!known) {
      return fail("unknown placeholder {" + std::string(key) +
                  "}; use {parent} {YYYY} {MM} {DD} {HH} {UTCHH} {IYYY} {IW} {Q} {lower} "
                  "{remainder}");
    }
    pos = close + 1;
  }
  return true;
}

std::string DefaultNameTemplate(Unit unit, bool hash) {
  if (hash) return "{parent}_h{remainder}";
  switch (unit) {
    case Unit::kHour:
      return "{parent}_y{YYYY}m{MM}d{DD}h{HH}";
    case Unit::kDay:
      return "{parent}_y{YYYY}m{MM}d{DD}";
    case Unit::kWeek:
      return "{parent}_y{IYYY}w{IW}";
    case Unit::kMonth:
      return "{parent}_y{YYYY}m{MM}";
    case Unit::kQuarter:
      return "{parent}_y{YYYY}q{Q}";
    case Unit::kYear:
      return "{parent}_y{YYYY}";
    case Unit::kInteger:
      break;
  }
  return "{parent}_p{lower}";
}

}  // namespace pgpart
