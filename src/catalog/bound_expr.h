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

}  // namespace pgpart
