#pragma once
// Partition key types and typed bound values.
//
// Every range bound pgpart handles is an int64 in a key-type-specific domain:
//   timestamptz : microseconds since 1970-01-01 00:00:00 UTC (an instant)
//   timestamp   : microseconds since 1970-01-01 00:00:00 of the wall clock (no zone)
//   date        : microseconds of midnight of that day since 1970-01-01 (always whole days)
//   smallint/integer/bigint : the integer itself
// MINVALUE / MAXVALUE (and PostgreSQL's -infinity / infinity) are kinds, not values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgpart {

enum class KeyType { kTimestampTz, kTimestamp, kDate, kSmallInt, kInteger, kBigInt, kUnsupported };

// True for timestamptz, timestamp and date.
bool IsTimeKey(KeyType type);
// True for smallint, integer and bigint.
bool IsIntegerKey(KeyType type);
// PostgreSQL's name of the type ("timestamp with time zone", "bigint", ...) -> KeyType.
KeyType KeyTypeFromPgName(std::string_view pg_type_name);
// Short stable name used in JSON ("timestamptz", "timestamp", "date", "integer", ...).
std::string KeyTypeName(KeyType type);
// Inverse of KeyTypeName; kUnsupported for anything else.
KeyType KeyTypeFromName(std::string_view name);

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400LL * kMicrosPerSecond;

struct Bound {
  enum class Kind { kValue, kMinValue, kMaxValue };
  Kind kind = Kind::kValue;
  int64_t value = 0;  // meaningful only for kValue

  static Bound Value(int64_t v) { return Bound{Kind::kValue, v}; }
  static Bound Min() { return Bound{Kind::kMinValue, 0}; }
  static Bound Max() { return Bound{Kind::kMaxValue, 0}; }
  bool is_value() const { return kind == Kind::kValue; }
  friend bool operator==(const Bound&, const Bound&) = default;
};

// Total order: MINVALUE < every value < MAXVALUE.
bool operator<(const Bound& a, const Bound& b);

// Parses one value as PostgreSQL prints it in a partition bound expression with the session
// settings TimeZone=UTC and DateStyle=ISO, e.g. "'2024-01-01 00:00:00+00'", "'2024-01-01'",
// "1000000", "MINVALUE", "MAXVALUE", "'infinity'". Surrounding quotes are optional.
// Returns nullopt when the text is not a value of that type.
std::optional<Bound> ParseBound(KeyType type, std::string_view text);

// The SQL literal for a bound, ready to splice into FOR VALUES FROM (...) TO (...):
// "'2024-01-01 00:00:00+00'" (timestamptz, always UTC), "'2024-01-01 00:00:00'", "'2024-01-01'",
// "1000000", "MINVALUE", "MAXVALUE". Only ever contains digits, '-', ':', '.', '+', ' ' and quotes.
std::string BoundSqlLiteral(KeyType type, const Bound& bound);

// Human / JSON text for a bound: "2024-01-01T00:00:00Z" (timestamptz, UTC, ISO 8601),
// "2024-01-01T00:00:00" (timestamp), "2024-01-01" (date), "1000000", "MINVALUE", "MAXVALUE".
std::string BoundText(KeyType type, const Bound& bound);

// Parses BoundText's output back (also accepts the SQL literal forms). nullopt when invalid.
std::optional<Bound> ParseBoundText(KeyType type, std::string_view text);

}  // namespace pgpart
