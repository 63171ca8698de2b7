#pragma once
// PostgreSQL identifiers: quoting, qualified names, the 63-byte rule.

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgpart {

constexpr size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1

// Quotes an identifier exactly when PostgreSQL's quote_ident would: anything that is not
// [a-z_][a-z0-9_]* or is a reserved keyword gets double quotes, with inner quotes doubled.
std::string QuoteIdent(std::string_view ident);

// A SQL string literal ('it''s'), for the few places PostgreSQL takes no parameters (COMMENT ON).
// Assumes standard_conforming_strings = on (the default since PostgreSQL 9.1); refuses nothing:
// backslashes are ordinary characters there.
std::string QuoteLiteral(std::string_view text);

// A PostgreSQL array literal of text elements ({"a","b \"c\""}), passed as one parameter.
std::string ArrayLiteral(const std::vector<std::string>& items);

struct QualifiedName {
  std::string schema;
  std::string name;
  // schema.name, each part through QuoteIdent: safe to splice into SQL.
  std::string Sql() const;
  // schema.name as stored, unquoted: for metric labels, status fields and human text (never SQL).
  std::string Text() const { return schema + "." + name; }
  auto operator<=>(const QualifiedName&) const = default;
  bool operator==(const QualifiedName&) const = default;
};

// Parses a name as PostgreSQL reads a (possibly qualified) name: unquoted parts folded to lower
// case, "double quoted" parts kept verbatim with "" meaning one quote, no schema means `public`.
// Fails on empty parts, more than two parts, unterminated quotes, or a part over 63 bytes.
std::optional<QualifiedName> ParseQualifiedName(std::string_view text, std::string* error);

}  // namespace pgpart
