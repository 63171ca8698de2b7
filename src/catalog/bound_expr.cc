#include "catalog/bound_expr.h"

#include <cctype>

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
    if (!ReadList(text, &pos, &e.from) || !Eat(text, &pos, "TO") ||
        !ReadList(text, &pos, &e.to) || !AtEnd(text, pos)) {
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

}  // namespace pgpart
