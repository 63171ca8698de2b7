#include "core/time_text.h"

#include <date/date.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>

namespace pgpart::internal {

namespace {
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400LL * kMicrosPerSecond;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// Reads exactly `width` digits at text[*pos]; advances *pos.
bool Digits(std::string_view text, size_t* pos, size_t width, int* out) {
  if (*pos + width > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *pos += width;
  *out = value;
  return true;
}

bool Consume(std::string_view text, size_t* pos, char c) {
  if (*pos < text.size() && text[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}
}  // namespace

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

int64_t SatMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return ((a < 0) != (b < 0)) ? kMin : kMax;
  return r;
}

int64_t SatAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b < 0 ? kMin : kMax;
  return r;
}

int64_t SatSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? kMin : kMax;
  return r;
}

int64_t DaysFromCivil(int year, int month, int day) {
  auto ymd = date::year{year} / date::month{static_cast<unsigned>(month)} /
             date::day{static_cast<unsigned>(day)};
  return date::sys_days{ymd}.time_since_epoch().count();
}

Civil CivilFromDays(int64_t days) {
  date::year_month_day ymd{date::sys_days{date::days{days}}};
  return Civil{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
               static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

int DaysInMonth(int year, int month) {
  auto last = date::year{year} / date::month{static_cast<unsigned>(month)} / date::last;
  return static_cast<int>(static_cast<unsigned>(last.day()));
}

std::optional<ParsedDateTime> ParseDateTime(std::string_view text) {
  size_t pos = 0;
  // Year: 4 or 5 digits (PostgreSQL prints at least 4).
  size_t year_digits = 0;
  while (pos + year_digits < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[pos + year_digits]))) {
    ++year_digits;
  }
  if (year_digits < 4 || year_digits > 5) return std::nullopt;
  int year = 0, month = 0, day = 0;
  if (!Digits(text, &pos, year_digits, &year)) return std::nullopt;
  if (!Consume(text, &pos, '-') || !Digits(text, &pos, 2, &month) || !Consume(text, &pos, '-') ||
      !Digits(text, &pos, 2, &day)) {
    return std::nullopt;
  }
  ParsedDateTime out;
  int64_t tod = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ') &&
      pos + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[pos + 1]))) {
    ++pos;
    int hh = 0, mi = 0, ss = 0;
    if (!Digits(text, &pos, 2, &hh) || !Consume(text, &pos, ':') || !Digits(text, &pos, 2, &mi)) {
      return std::nullopt;
    }
    int64_t frac = 0;
    if (Consume(text, &pos, ':')) {
      if (!Digits(text, &pos, 2, &ss)) return std::nullopt;
      if (Consume(text, &pos, '.')) {
        int n = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
          if (++n > 6) return std::nullopt;  // finer than PostgreSQL's microseconds
          frac = frac * 10 + (text[pos] - '0');
          ++pos;
        }
        if (n == 0) return std::nullopt;
        for (; n < 6; ++n) frac *= 10;
      }
    }
    if (hh > 23 || mi > 59 || ss > 59) return std::nullopt;
    tod = (hh * 3600LL + mi * 60LL + ss) * kMicrosPerSecond + frac;
    out.has_time = true;
    // Zone: Z, or +HH, +HH:MM, +HH:MM:SS, +HHMM.
    if (Consume(text, &pos, 'Z') || Consume(text, &pos, 'z')) {
      out.has_offset = true;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int oh = 0, om = 0, os = 0;
      if (!Digits(text, &pos, 2, &oh)) return std::nullopt;
      if (Consume(text, &pos, ':')) {
        if (!Digits(text, &pos, 2, &om)) return std::nullopt;
        if (Consume(text, &pos, ':') && !Digits(text, &pos, 2, &os)) return std::nullopt;
      } else if (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        if (!Digits(text, &pos, 2, &om)) return std::nullopt;
      }
      if (oh > 15 || om > 59 || os > 59) return std::nullopt;
      out.has_offset = true;
      out.offset_micros = sign * (oh * 3600LL + om * 60LL + os) * kMicrosPerSecond;
    }
  }
  // Era: " BC" (PostgreSQL prints year 1 BC as "0001-... BC").
  bool bc = false;
  if (pos < text.size()) {
    std::string rest = ToLower(text.substr(pos));
    if (rest == " bc") {
      bc = true;
    } else if (rest != " ad") {
      return std::nullopt;
    }
  }
  if (bc) {
    if (year == 0) return std::nullopt;
    year = 1 - year;
  } else if (year == 0) {
    return std::nullopt;  // there is no year 0 AD
  }
  if (year < kMinYear || year > kMaxYear) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  out.local_micros = DaysFromCivil(year, month, day) * kMicrosPerDay + tod;
  return out;
}

std::string FormatDateTime(int64_t micros, bool with_time, char sep, std::string_view suffix) {
  int64_t days = FloorDiv(micros, kMicrosPerDay);
  int64_t tod = micros - days * kMicrosPerDay;
  Civil c = CivilFromDays(days);
  bool bc = c.year <= 0;
  int64_t shown_year = bc ? 1 - static_cast<int64_t>(c.year) : c.year;
  // Digits by hand: two snprintf calls per value were ~14 % of reading 42,000 partitions
  // (each bound is formatted for its bound_text; issue 16).
  std::string out;
  out.reserve(32 + suffix.size());
  const auto put2 = [&out](int64_t v) {
    out += static_cast<char>('0' + v / 10 % 10);
    out += static_cast<char>('0' + v % 10);
  };
  if (shown_year < 10000) {
    put2(shown_year / 100);
    put2(shown_year % 100);
  } else {
    out += std::to_string(shown_year);
  }
  out += '-';
  put2(c.month);
  out += '-';
  put2(c.day);
  if (with_time) {
    const int64_t secs = tod / kMicrosPerSecond;
    int64_t frac = tod % kMicrosPerSecond;
    out += sep;
    put2(secs / 3600);
    out += ':';
    put2(secs / 60 % 60);
    out += ':';
    put2(secs % 60);
    if (frac != 0) {
      char digits[6];
      for (int i = 5; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
      int len = 6;
      while (digits[len - 1] == '0') --len;
      out += '.';
      out.append(digits, static_cast<size_t>(len));
    }
  }
  out += suffix;
  if (bc) out += " BC";
  return out;
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  size_t start = text[0] == '+' ? 1 : 0;
  if (start == text.size()) return std::nullopt;
  if (text[start] == '-' && start == 1) return std::nullopt;
  int64_t value = 0;
  const char* first = text.data() + start;
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  // from_chars accepts a leading '-' only; reject "-" alone and whitespace (already by ptr check).
  return value;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace pgpart::internal
