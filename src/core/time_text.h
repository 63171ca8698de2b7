#pragma once
// Internal helpers shared by key.cc and calendar.cc: integer floor arithmetic, civil-date
// conversion (via date/date.h) and the one date/time text grammar pgpart reads and writes.
// Not part of the public core API; other stages use key.h / calendar.h.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgpart::internal {

constexpr int64_t kMicrosPerHour = 3600LL * 1'000'000;

// Floor division / modulo (b > 0): FloorDiv(-1, 10) == -1, FloorMod(-1, 10) == 9.
int64_t FloorDiv(int64_t a, int64_t b);
int64_t FloorMod(int64_t a, int64_t b);

// a*b, a+b and a-b saturated at the int64 limits (grid indexes far outside any real table).
int64_t SatMul(int64_t a, int64_t b);
int64_t SatAdd(int64_t a, int64_t b);
int64_t SatSub(int64_t a, int64_t b);

// Supported civil years (proleptic Gregorian, astronomical numbering: 1 BC = year 0):
// PostgreSQL's lower limit 4713 BC up to date::year's upper limit.
constexpr int kMinYear = -4712;
constexpr int kMaxYear = 32767;

struct Civil {
  int year = 1970;  // astronomical: 0 = 1 BC
  int month = 1;
  int day = 1;
};
// Days since 1970-01-01 <-> civil date.
int64_t DaysFromCivil(int year, int month, int day);
Civil CivilFromDays(int64_t days);
int DaysInMonth(int year, int month);

// A parsed "YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][Z|+HH[:MM[:SS]]][ BC]".
struct ParsedDateTime {
  int64_t local_micros = 0;  // the written civil date + time, as micros since 1970-01-01 00:00
  bool has_time = false;
  bool has_offset = false;
  int64_t offset_micros = 0;  // east of UTC; meaningful when has_offset
};
// nullopt when the text is not exactly that grammar or names an invalid date/time.
std::optional<ParsedDateTime> ParseDateTime(std::string_view text);

// Formats civil micros as "YYYY-MM-DD" + (with_time ? sep + "HH:MM:SS[.f]" : "") + suffix, and
// " BC" for years <= 0 (PostgreSQL's style). Fractions only when non-zero, trailing zeros cut.
std::string FormatDateTime(int64_t micros, bool with_time, char sep, std::string_view suffix);

// Optional sign and decimal digits only, no overflow.
std::optional<int64_t> ParseInt64(std::string_view text);

std::string_view Trim(std::string_view text);
std::string ToLower(std::string_view text);

}  // namespace pgpart::internal
