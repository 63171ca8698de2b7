#pragma once
// Calendar and interval math: the grid of periods a policy defines, in its time zone.
// Pure functions of their arguments; time is always passed in, never read.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/key.h"

namespace date {
class time_zone;
}

namespace pgpart {

enum class Unit { kHour, kDay, kWeek, kMonth, kQuarter, kYear, kInteger };

// "N unit" for time keys, a bare integer for integer keys.
struct Interval {
  int64_t count = 1;
  Unit unit = Unit::kMonth;
  friend bool operator==(const Interval&, const Interval&) = default;
};

// Parses "1 month", "3 months", "2 weeks", "1 hour", "1 quarter", "1 year", "1000000".
// Singular and plural unit names are both accepted; count must be >= 1.
// On failure returns nullopt and sets *error to a message for the user.
std::optional<Interval> ParseInterval(std::string_view text, std::string* error);
// "1 month", "3 months", "1000000".
std::string IntervalText(const Interval& interval);
// "hour", "day", ..., "integer".
std::string UnitName(Unit unit);

// Looks up an IANA zone ("UTC", "Europe/Berlin"); nullptr when unknown. For the functions here
// (Grid, ParseInstant) only: "UTC" is answered without loading the time-zone database, by a
// pointer that must not be dereferenced.
const date::time_zone* FindZone(std::string_view name);

// Fields of a period's lower bound (in the policy's zone) used by naming templates.
struct NameFields {
  int year = 0, month = 0, day = 0, hour = 0;
  int utc_hour = 0;  // hour of the lower bound in UTC (timestamptz; the wall-clock hour otherwise)
  int iso_year = 0, iso_week = 0, quarter = 0;
  int64_t lower = 0;  // integer keys: the lower bound itself
};

// The grid of periods for one key type, interval and zone.
// Periods are indexed by int64; period i is [Lower(i), Lower(i+1)) in the key domain (key.h).
// Alignment: hour = N elapsed hours from the Unix epoch (UTC for timestamptz, wall clock for
// timestamp); day = N days from 1970-01-01; week = N ISO weeks from Monday 1970-01-05 (weeks start
// Monday); month/quarter/year = N months/quarters/years from 0000-01-01; integer = multiples of N.
// For timestamptz, day and longer periods start at local midnight in the zone (DST-correct; a
// midnight that does not exist starts at the transition instant).
class Grid {
 public:
  // Fails when the unit does not fit the key type (hour on date, calendar units on integers,
  // integers on time keys) or zone is null for a time key.
  static std::optional<Grid> Make(KeyType key_type, Interval interval, const date::time_zone* zone,
                                  std::string* error);

  KeyType key_type() const { return key_type_; }
  const Interval& interval() const { return interval_; }
  const date::time_zone* zone() const { return zone_; }

  // Index of the period that contains key_value (floor for values before the epoch too).
  int64_t IndexOf(int64_t key_value) const;
  // First key value of period `index`.
  int64_t Lower(int64_t index) const;
  int64_t Upper(int64_t index) const { return Lower(index + 1); }
  // The index when [lower, upper) is exactly one grid period; nullopt otherwise.
  std::optional<int64_t> IndexOfPeriod(int64_t lower, int64_t upper) const;

  // The instant now (UTC microseconds) expressed in the key domain: itself for timestamptz, the
  // zone's wall clock for timestamp, the zone's local midnight of today for date.
  // Not meaningful for integer keys.
  int64_t Now(int64_t now_utc_micros) const;

  // key_value minus a distance in the zone's local calendar (months clamp the day of month:
  // Mar 31 - 1 month = Feb 28/29). Integer keys: key_value - distance.count.
  // distance.unit may differ from the grid's unit (keep: 90 days on a monthly grid).
  int64_t Subtract(int64_t key_value, Interval distance) const;

  // Calendar fields of Lower(index) in the zone (integers: lower only).
  NameFields Fields(int64_t index) const;

 private:
  Grid(KeyType key_type, Interval interval, const date::time_zone* zone)
      : key_type_(key_type), interval_(interval), zone_(zone) {}
  KeyType key_type_;
  Interval interval_;
  const date::time_zone* zone_;
};

// Parses a policy time value in the key domain of `grid`'s key type:
// "2024-01-01" (local midnight in the zone), "2024-01-01T10:00:00" (local wall time),
// "2024-01-01T10:00:00Z" / "+02:00" (an instant), or an integer for integer keys.
std::optional<int64_t> ParsePolicyValue(const Grid& grid, std::string_view text);

// Parses a date or timestamp as an instant (UTC micros): dates and times without offset are
// local in `zone`. Used for hold expiry (`until`) and `--at`.
std::optional<int64_t> ParseInstant(std::string_view text, const date::time_zone* zone);
// "2026-11-21T12:00:00Z" (UTC, seconds precision; fractions only when non-zero).
std::string InstantText(int64_t utc_micros);

// Naming templates. Placeholders: {parent} {YYYY} {MM} {DD} {HH} {UTCHH} {IYYY} {IW} {Q} {lower}
// {remainder}. {UTCHH} tells apart the two local hours that share {HH} when DST ends. ExpandName replaces each; digits are zero-padded (MM, DD, HH, IW: 2; YYYY: 4).
std::string ExpandName(std::string_view name_template, std::string_view parent,
                       const NameFields& fields, int remainder = 0);
// Checks that the template only uses known placeholders and well-formed braces.
bool ValidateNameTemplate(std::string_view name_template, std::string* error);
// The default template for a unit (docs/policy.md); hash: "{parent}_h{remainder}".
std::string DefaultNameTemplate(Unit unit, bool hash);

}  // namespace pgpart
