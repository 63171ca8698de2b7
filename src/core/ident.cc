#include "core/ident.h"

#include <algorithm>
#include <iterator>
#include <vector>

namespace pgpart {

namespace {

// PostgreSQL 15's keywords that quote_ident quotes: every category except UNRESERVED_KEYWORD
// (reserved, type/function-name and column-name keywords), from pg_get_keywords(). Sorted.
// clang-format off
constexpr std::string_view kQuotedKeywords[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case", "cast",
    "char", "character", "check", "coalesce", "collate", "collation", "column", "concurrently",
    "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
    "current_schema", "current_time", "current_timestamp", "current_user", "dec", "decimal",
    "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists",
    "extract", "false", "fetch", "float", "for", "foreign", "freeze", "from", "full", "grant",
    "greatest", "group", "grouping", "having", "ilike", "in", "initially", "inner", "inout",
    "int", "integer", "intersect", "interval", "into", "is", "isnull", "join", "lateral",
    "leading", "least", "left", "like", "limit", "localtime", "localtimestamp", "national",
    "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif", "numeric",
    "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay", "placing",
    "position", "precision", "primary", "real", "references", "returning", "right", "row",
    "select", "session_user", "setof", "similar", "smallint", "some", "substring", "symmetric",
    "table", "tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim",
    "true", "union", "unique", "user", "using", "values", "varchar", "variadic", "verbose",
    "when", "where", "window", "with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists",
    "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
};
// clang-format on

bool IsQuotedKeyword(std::string_view word) {
  return std::binary_search(std::begin(kQuotedKeywords), std::end(kQuotedKeywords), word);
}

bool IsAsciiLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHighBit(char c) { return static_cast<unsigned char>(c) >= 0x80; }

// A part PostgreSQL's lexer reads without quotes: identifier start, then identifier chars.
bool IsUnquotedStart(char c) {
  return IsAsciiLower(c) || (c >= 'A' && c <= 'Z') || c == '_' || IsHighBit(c);
}
bool IsUnquotedChar(char c) { return IsUnquotedStart(c) || IsDigit(c) || c == '$'; }

}  // namespace

std::string QuoteIdent(std::string_view ident) {
  // Same rule as PostgreSQL's quote_identifier(): only [a-z_][a-z0-9_]* that is not a
  // non-unreserved keyword stays bare ('$' and upper case force quotes).
  bool safe = !ident.empty() && (IsAsciiLower(ident[0]) || ident[0] == '_');
  for (char c : ident) {
    if (!safe) break;
    safe = IsAsciiLower(c) || IsDigit(c) || c == '_';
  }
  if (safe && !IsQuotedKeyword(ident)) return std::string(ident);
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  out.push_back('\'');
  return out;
}

std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string QualifiedName::Sql() const { return QuoteIdent(schema) + "." + QuoteIdent(name); }

std::optional<QualifiedName> ParseQualifiedName(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<QualifiedName> {
    if (error) *error = "table name '" + std::string(text) + "': " + std::move(message);
    return std::nullopt;
  };
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::vector<std::string> parts;
  size_t pos = 0;
  const size_t n = text.size();
  while (true) {
    while (pos < n && is_space(text[pos])) ++pos;
    std::string part;
    if (pos < n && text[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < n) {
        if (text[pos] == '"') {
          if (pos + 1 < n && text[pos + 1] == '"') {
            part += '"';
            pos += 2;
            continue;
          }
          ++pos;
          closed = true;
          break;
        }
        part += text[pos++];
      }
      if (!closed) return fail("unterminated quoted identifier");
      if (part.empty()) return fail("zero-length quoted identifier \"\"");
    } else {
      if (pos >= n || text[pos] == '.') return fail("empty name part");
      if (!IsUnquotedStart(text[pos])) {
        return fail(std::string("unexpected character '") + text[pos] +
                    "'; double-quote names that are not plain identifiers");
      }
      while (pos < n && IsUnquotedChar(text[pos])) {
        char c = text[pos++];
        part += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      }
    }
    if (part.size() > kMaxIdentifierBytes) {
      return fail("name part '" + part + "' is " + std::to_string(part.size()) +
                  " bytes; PostgreSQL identifiers are at most " +
                  std::to_string(kMaxIdentifierBytes) + " bytes");
    }
    parts.push_back(std::move(part));
    while (pos < n && is_space(text[pos])) ++pos;
    if (pos == n) break;
    if (text[pos] != '.') {
      return fail(std::string("unexpected character '") + text[pos] +
                  "'; double-quote names that are not plain identifiers");
    }
    ++pos;
  }
  if (parts.size() > 2) return fail("too many dotted parts; expected schema.name or name");
  if (parts.size() == 1) return QualifiedName{"public", std::move(parts[0])};
  return QualifiedName{std::move(parts[0]), std::move(parts[1])};
}

}  // namespace pgpart
