#pragma once
// Partition bound expressions as pg_get_expr(relpartbound) prints them. Internal to catalog/.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"

namespace pgpart {

struct BoundExpr {
  BoundKind kind = BoundKind::kRange;
  std::vector<std::string> from, to, values;  // items as printed ('quoted' or bare), trimmed
  int modulus = 0, remainder = 0;
};

// Parses "DEFAULT", "FOR VALUES FROM (a, ...) TO (b, ...)", "FOR VALUES IN (a, ...)" and
// "FOR VALUES WITH (modulus m, remainder r)". Items are split at top-level commas only: quoted
// strings ('' escapes, E'' backslash escapes) and nested parentheses stay whole.
// nullopt for anything else.
std::optional<BoundExpr> ParseBoundExpr(std::string_view text);

// Decodes one range bound from the stored node tree (pg_class.relpartbound as text) without
// pg_get_expr: `piece` is what follows ":constvalue " up to the closing bracket, e.g.
// "8 [ 0 96 -105 -72 10 -84 2 0 " — the by-value Datum's 8 bytes as the server stores them, low
// byte first on little-endian servers. timestamptz, timestamp, date, smallint, integer and bigint
// decode; the reader checks a decoded bound against pg_get_expr before trusting the rest.
// nullopt when not decodable.
std::optional<Bound> DecodeStoredBound(KeyType type, std::string_view piece);

}  // namespace pgpart
