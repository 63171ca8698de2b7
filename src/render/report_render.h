#pragma once
// The health report (pgpart report): the status of every managed table plus, in HTML, a
// self-contained page (inline CSS, no scripts, no external assets) with an SVG timeline per table.
// Pure; each returns the whole document, newline-terminated.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "plan/status.h"
#include "policy/policy.h"

namespace pgpart {

// A self-contained HTML page: the overall health, one section per table with its facts
// (partitions, oldest/newest, covered until, future buffer, default rows, size, held partitions
// with reasons, next retention event, blocked steps, overdue retention, drift, problems) and an
// inline SVG timeline:
//   rect.partition[data-partition]   one bar per range partition (x = bounds, height ~ bytes, or
//                                    rows when no bytes are known); .held added for held ones,
//                                    with a <title> giving the hold's reason; .overdue added for
//                                    those whose retention is overdue (TableStatus::overdue)
//   line.cutoff                      the retention cutoff (now - keep), when the policy has one
//   line.horizon                     covered-until (the premake horizon)
//   line.now                         now (time keys) or max(key) (integer keys)
//   g.default-rows                   a badge when the default partition holds rows
// Each marker line has a text.mark-label: right of the line, or left of it where it would run
// past the right edge, always inside the SVG (widths estimated at 6.5 px a character, at least
// the 10px font's average). Labels that would overlap go on further rows (12 px each; the SVG
// grows by as much), ordered so no marker line crosses another marker's label.
// Every name and text is HTML-escaped. `now_utc_micros` must be the instant `status` was computed
// at; `policies` and `catalog` the ones it was computed from.
std::string RenderReportHtml(const Status& status, const std::vector<Policy>& policies,
                             const Catalog& catalog, int64_t now_utc_micros);

// GitHub-flavoured Markdown with the same facts (no picture): a summary table, then one section
// per table.
std::string RenderReportMarkdown(const Status& status);

// &, <, >, " and ' as HTML entities.
std::string HtmlEscape(std::string_view text);

}  // namespace pgpart
