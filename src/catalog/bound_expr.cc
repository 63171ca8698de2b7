#include "catalog/bound_expr.h"

#include <cctype>
#include <cstdint>

namespace pgpart {
namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Consumes `word` (case-insensitive) after optional spaces.
bool Eat(std::string_view s, size_t* pos, std::string_view word) {
  size_t p = *pos;
  while (p < s.size() && IsSpace(s[p])) ++p;
  if (s.size() - p < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[p + i])) !=
        std::tolower(static_cast<unsigned char>(word[i]))) {
      return false;
    }
  }
  *pos = p + word.size();
  return true;
}

// Reads "(item, item, ...)" starting at *pos (after optional spaces). Items are split at
// top-level commas; single-quoted strings ('' = one quote, E'..\'..' escapes) and nested
// parentheses are kept whole. Items are trimmed and kept as printed.
bool ReadList(std::string_view s, size_t* pos, std::vector<std::string>* items) {
  size_t p = *pos;
  while (p < s.size() && IsSpace(s[p])) ++p;
  if (p >= s.size() || s[p] != '(') return false;
  ++p;
  int depth = 0;
  std::string current;
  while (p < s.size()) {
    char c = s[p];
    if (c == '\'') {
      bool escapes = !current.empty() && (current.back() == 'E' || current.back() == 'e');
      current += c;
      ++p;
      bool closed = false;
      while (p < s.size()) {
        char q = s[p];
        if (escapes && q == '\\' && p + 1 < s.size()) {
          current += q;
          current += s[p + 1];
          p += 2;
          continue;
        }
        current += q;
        ++p;
        if (q == '\'') {
          if (p < s.size() && s[p] == '\'') {
            current += '\'';
            ++p;
            continue;
          }
          closed = true;
          break;
        }
      }
      if (!closed) return false;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')') {
      if (depth == 0) {
        items->emplace_back(TrimView(current));
        *pos = p + 1;
        return !items->back().empty() || items->size() == 1;
      }
      --depth;
    }
    if (c == ',' && depth == 0) {
      items->emplace_back(TrimView(current));
      current.clear();
      ++p;
      continue;
    }
    current += c;
    ++p;
  }
  return false;
}

bool AtEnd(std::string_view s, size_t pos) { return TrimView(s.substr(pos)).empty(); }

std::optional<int> ParseSmallInt(std::string_view text) {
  text = TrimView(text);
  if (text.empty() || text.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// "DEFAULT", "FOR VALUES FROM (a) TO (b)", "FOR VALUES IN (a, b)",
// "FOR VALUES WITH (modulus m, remainder r)".
}  // namespace

std::optional<BoundExpr> ParseBoundExpr(std::string_view text) {
  BoundExpr e;
  size_t pos = 0;
  if (Eat(text, &pos, "DEFAULT")) {
    if (!AtEnd(text, pos)) return std::nullopt;
    e.kind = BoundKind::kDefault;
    return e;
  }
  if (!Eat(text, &pos, "FOR") || !Eat(text, &pos, "VALUES")) return std::nullopt;
  if (Eat(text, &pos, "FROM")) {
    e.kind = BoundKind::kRange;
    if (!ReadList(text, &pos, &e.from) || !Eat(text, &pos, "TO") || !ReadList(text, &pos, &e.to) ||
        !AtEnd(text, pos)) {
      return std::nullopt;
    }
    return e;
  }
  if (Eat(text, &pos, "IN")) {
    e.kind = BoundKind::kList;
    if (!ReadList(text, &pos, &e.values) || !AtEnd(text, pos)) return std::nullopt;
    return e;
  }
  if (Eat(text, &pos, "WITH")) {
    e.kind = BoundKind::kHash;
    std::vector<std::string> items;
    if (!ReadList(text, &pos, &items) || !AtEnd(text, pos) || items.size() != 2) {
      return std::nullopt;
    }
    size_t p0 = 0, p1 = 0;
    if (!Eat(items[0], &p0, "modulus") || !Eat(items[1], &p1, "remainder")) return std::nullopt;
    auto m = ParseSmallInt(std::string_view(items[0]).substr(p0));
    auto r = ParseSmallInt(std::string_view(items[1]).substr(p1));
    if (!m || !r) return std::nullopt;
    e.modulus = *m;
    e.remainder = *r;
    return e;
  }
  return std::nullopt;
}

std::optional<Bound> DecodeStoredBound(KeyType type, std::string_view piece) {
  size_t open = piece.find('[');
  if (open == std::string_view::npos ||
      piece.substr(0, open).find_first_not_of(" 0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  uint64_t raw = 0;
  int count = 0;
  size_t i = open + 1;
  while (i < piece.size()) {
    while (i < piece.size() && piece[i] == ' ') ++i;
    if (i >= piece.size()) break;
    const bool negative = piece[i] == '-';
    size_t end = negative ? i + 1 : i;
    int byte = 0;
    while (end < piece.size() && piece[end] >= '0' && piece[end] <= '9' && byte <= 255) {
      byte = byte * 10 + (piece[end] - '0');
      ++end;
    }
    if (end == (negative ? i + 1 : i) || count >= 8) return std::nullopt;
    if (negative) byte = -byte;
    if (byte < -128 || byte > 255) return std::nullopt;
    raw |= static_cast<uint64_t>(static_cast<uint8_t>(byte)) << (8 * count);
    ++count;
    i = end;
  }
  if (count != 8) return std::nullopt;
  const int64_t v = static_cast<int64_t>(raw);
  // PostgreSQL counts from 2000-01-01, 10957 days after the Unix epoch.
  constexpr int64_t kPgEpochDays = 10'957;
  switch (type) {
    case KeyType::kTimestampTz:
    case KeyType::kTimestamp:
      if (v == INT64_MAX) return Bound::Max();  // 'infinity'
      if (v == INT64_MIN) return Bound::Min();
      if (v > INT64_MAX - kPgEpochDays * kMicrosPerDay) return std::nullopt;
      return Bound::Value(v + kPgEpochDays * kMicrosPerDay);
    case KeyType::kDate:
      if (v == INT32_MAX) return Bound::Max();
      if (v == INT32_MIN) return Bound::Min();
      if (v < INT32_MIN || v > INT32_MAX) return std::nullopt;
      return Bound::Value((v + kPgEpochDays) * kMicrosPerDay);
    case KeyType::kSmallInt:
    case KeyType::kInteger:
    case KeyType::kBigInt:
      return Bound::Value(v);
    default:
      return std::nullopt;
  }
}

}  // namespace pgpart
