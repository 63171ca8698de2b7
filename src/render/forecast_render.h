#pragma once
// Renderers over a Forecast (pgpart forecast): text, JSON and Markdown. Pure; each returns the
// whole document, newline-terminated.

#include <string>

#include "plan/forecast.h"

namespace pgpart {

// A calendar: one block per event, its local date (in the forecast's zone) then one line per step
// ("+ create", "~ detach", "- drop", "! held/blocked" with the reason) and its notes; the tables
// not forecast; diagnostics; a closing summary line.
std::string RenderForecastText(const Forecast& forecast);

// JSON with stable keys: format_version (1), at, until, time_zone, summary, events[{at, local,
// steps[{action, table, policy, partition, from, to, reason, status, held_by, blocked_by,
// hazards[], rows_estimate}], notes[]}], not_forecast[{table, policy, reason}], diagnostics[],
// error.
std::string RenderForecastJson(const Forecast& forecast);

// GitHub-flavoured Markdown: a heading, one table of events (when, step, partition, bounds,
// notes), the tables not forecast; every value from the catalog or policies is escaped.
std::string RenderForecastMarkdown(const Forecast& forecast);

}  // namespace pgpart
