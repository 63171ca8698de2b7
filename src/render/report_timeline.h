#pragma once
// The HTML report's pictures: one SVG per table (range tables: partitions on a time or key axis
// with their markers; hash tables: one cell per remainder), the legend, and the shared defs.

#include <cstdint>
#include <string>

#include "plan/status.h"
#include "policy/policy.h"

namespace pgpart::render_internal {

// The hatch pattern held partitions are filled with: once per page, before the first timeline.
std::string TimelineDefs();
// What the colours, hatching and lines mean (HTML, with SVG swatches).
std::string TimelineLegend();
// The table's picture; `policy` may be null (then no retention cutoff or now line).
std::string Timeline(const TableStatus& t, const Table& table, const Policy* policy,
                     int64_t now_utc_micros);
// A partition's name as status.h spells it: schema-qualified only outside the parent's schema.
std::string ChildLabel(const QualifiedName& parent, const QualifiedName& child);

}  // namespace pgpart::render_internal
