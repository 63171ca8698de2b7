#pragma once
// The forecast: what pgpart will do on its own as time passes, found by planning at each instant
// the plan can change and applying the plan to a model of the catalog (simulate.h). Pure.

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/diagnostic.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pgpart {

// At most this many instants are planned; past it the forecast stops with an error.
constexpr int kMaxForecastInstants = 10'000;

// One instant at which the plan has something to say.
struct ForecastEvent {
  int64_t at_micros = 0;  // UTC
  std::string at;         // InstantText(at_micros)
  std::string local;      // in the forecast's time_zone: "2026-04-01" at midnight, else
                          // "2026-04-01 10:00:00"
  // Planned steps (in the order the runs would apply them), then steps newly held or blocked at
  // this instant (each held/blocked step is listed once, the first time it appears).
  std::vector<Step> steps;
  // Human sentences: holds that expire at this instant, backup gates checked before the drops.
  std::vector<std::string> notes;
  friend bool operator==(const ForecastEvent&, const ForecastEvent&) = default;
};

// A table whose future cannot be told from the clock.
struct NotForecast {
  QualifiedName table;
  std::string policy;
  std::string reason;  // "integer key: advances with max(key)"
  friend bool operator==(const NotForecast&, const NotForecast&) = default;
};

struct Forecast {
  std::string at;         // InstantText(from)
  std::string until;      // InstantText(until)
  std::string time_zone;  // zone of the local texts: the policies' zone when they share one,
                          // else "UTC"
  std::vector<ForecastEvent> events;  // by instant; the first may be `at` itself (due now)
  std::vector<NotForecast> not_forecast;
  Diagnostics diagnostics;  // the plan's diagnostics at `at` (table missing, ...)
  std::string error;        // non-empty when the forecast stopped early (too many instants)
  friend bool operator==(const Forecast&, const Forecast&) = default;
};

// Plans at `from_micros` (what is due now) and then at every later instant up to and including
// `until_micros` at which the plan can change: the boundaries of each time-key policy's grid (and
// of its retention's unit, so `keep: 90 days` on a monthly grid is seen on the right day) in the
// policy's zone, and each hold's expiry. Planned steps are applied to a copy of `catalog` before
// moving on; a run that leaves more to do (maxDropsPerRun) is repeated at the same instant.
// Integer-key tables are listed in not_forecast (their steps due now still appear at `from`).
Forecast ComputeForecast(const std::vector<Policy>& policies, const Catalog& catalog,
                         int64_t from_micros, int64_t until_micros);

}  // namespace pgpart
