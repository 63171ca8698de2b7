#include "core/key.h"

#include <limits>

#include "core/time_text.h"

namespace pgpart {

namespace {

using internal::ToLower;
using internal::Trim;

// Strips one pair of surrounding single quotes; nullopt when quotes are unbalanced or inner.
std::optional<std::string_view> Unquote(std::string_view text, bool* was_quoted) {
  *was_quoted = false;
  if (!text.empty() && text.front() == '\'') {
    if (text.size() < 2 || text.back() != '\'') return std::nullopt;
    text = text.substr(1, text.size() - 2);
    *was_quoted = true;
  }
  if (text.find('\'') != std::string_view::npos) return std::nullopt;
  return text;
}

std::optional<Bound> ParseIntegerBound(KeyType type, std::string_view text) {
  auto v = internal::ParseInt64(text);
  if (!v) return std::nullopt;
  int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  if (type == KeyType::kSmallInt) {
    lo = std::numeric_limits<int16_t>::min();
    hi = std::numeric_limits<int16_t>::max();
  } else if (type == KeyType::kInteger) {
    lo = std::numeric_limits<int32_t>::min();
    hi = std::numeric_limits<int32_t>::max();
  }
  if (*v < lo || *v > hi) return std::nullopt;
  return Bound::Value(*v);
}

std::optional<Bound> ParseTimeBound(KeyType type, std::string_view text) {
  std::string lower = ToLower(text);
  if (lower == "infinity" || lower == "+infinity") return Bound::Max();
  if (lower == "-infinity") return Bound::Min();
  auto parsed = internal::ParseDateTime(text);
  if (!parsed) return std::nullopt;
  switch (type) {
    case KeyType::kTimestampTz:
      // Without an offset the value is read as UTC (the reader's session TimeZone).
      return Bound::Value(parsed->local_micros - parsed->offset_micros);
    case KeyType::kTimestamp:
      if (parsed->has_offset) return std::nullopt;
      return Bound::Value(parsed->local_micros);
    case KeyType::kDate:
      if (parsed->has_time) return std::nullopt;
      return Bound::Value(parsed->local_micros);
    default:
      return std::nullopt;
  }
}

}  // namespace

bool IsTimeKey(KeyType type) {
  return type == KeyType::kTimestampTz || type == KeyType::kTimestamp || type == KeyType::kDate;
}

bool IsIntegerKey(KeyType type) {
  return type == KeyType::kSmallInt || type == KeyType::kInteger || type == KeyType::kBigInt;
}

KeyType KeyTypeFromPgName(std::string_view pg_type_name) {
  // format_type() may carry a precision: "timestamp(3) with time zone".
  std::string name = ToLower(Trim(pg_type_name));
  if (auto open = name.find('('); open != std::string::npos) {
    auto close = name.find(')', open);
    if (close == std::string::npos) return KeyType::kUnsupported;
    name.erase(open, close - open + 1);
  }
  if (name == "timestamp with time zone" || name == "timestamptz") return KeyType::kTimestampTz;
  if (name == "timestamp without time zone" || name == "timestamp") return KeyType::kTimestamp;
  if (name == "date") return KeyType::kDate;
  if (name == "smallint" || name == "int2") return KeyType::kSmallInt;
  if (name == "integer" || name == "int" || name == "int4") return KeyType::kInteger;
  if (name == "bigint" || name == "int8") return KeyType::kBigInt;
  return KeyType::kUnsupported;
}

std::string KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kTimestampTz:
      return "timestamptz";
    case KeyType::kTimestamp:
      return "timestamp";
    case KeyType::kDate:
      return "date";
    case KeyType::kSmallInt:
      return "smallint";
    case KeyType::kInteger:
      return "integer";
    case KeyType::kBigInt:
      return "bigint";
    case KeyType::kUnsupported:
      break;
  }
  return "unsupported";
}

KeyType KeyTypeFromName(std::string_view name) {
  for (KeyType t : {KeyType::kTimestampTz, KeyType::kTimestamp, KeyType::kDate, KeyType::kSmallInt,
                    KeyType::kInteger, KeyType::kBigInt}) {
    if (KeyTypeName(t) == name) return t;
  }
  return KeyType::kUnsupported;
}

bool operator<(const Bound& a, const Bound& b) {
  auto rank = [](const Bound& x) {
    return x.kind == Bound::Kind::kMinValue ? 0 : x.kind == Bound::Kind::kValue ? 1 : 2;
  };
  if (rank(a) != rank(b)) return rank(a) < rank(b);
  return a.is_value() && a.value < b.value;
}

std::optional<Bound> ParseBound(KeyType type, std::string_view text) {
  text = Trim(text);
  bool quoted = false;
  auto inner = Unquote(text, &quoted);
  if (!inner) return std::nullopt;
  std::string_view body = Trim(*inner);
  if (!quoted) {
    std::string upper = ToLower(body);
    if (upper == "minvalue") return Bound::Min();
    if (upper == "maxvalue") return Bound::Max();
  }
  if (IsIntegerKey(type)) return ParseIntegerBound(type, body);
  if (IsTimeKey(type)) return ParseTimeBound(type, body);
  return std::nullopt;
}

std::string BoundSqlLiteral(KeyType type, const Bound& bound) {
  if (bound.kind == Bound::Kind::kMinValue) return "MINVALUE";
  if (bound.kind == Bound::Kind::kMaxValue) return "MAXVALUE";
  switch (type) {
    case KeyType::kTimestampTz:
      return "'" + internal::FormatDateTime(bound.value, true, ' ', "+00") + "'";
    case KeyType::kTimestamp:
      return "'" + internal::FormatDateTime(bound.value, true, ' ', "") + "'";
    case KeyType::kDate:
      return "'" + internal::FormatDateTime(bound.value, false, ' ', "") + "'";
    default:
      return std::to_string(bound.value);
  }
}

std::string BoundText(KeyType type, const Bound& bound) {
  if (bound.kind == Bound::Kind::kMinValue) return "MINVALUE";
  if (bound.kind == Bound::Kind::kMaxValue) return "MAXVALUE";
  switch (type) {
    case KeyType::kTimestampTz:
      return internal::FormatDateTime(bound.value, true, 'T', "Z");
    case KeyType::kTimestamp:
      return internal::FormatDateTime(bound.value, true, 'T', "");
    case KeyType::kDate:
      return internal::FormatDateTime(bound.value, false, 'T', "");
    default:
      return std::to_string(bound.value);
  }
}

std::optional<Bound> ParseBoundText(KeyType type, std::string_view text) {
  return ParseBound(type, text);
}

}  // namespace pgpart
