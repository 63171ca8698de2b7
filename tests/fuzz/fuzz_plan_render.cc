// libFuzzer target: policy -> planner -> every renderer. The input is policy YAML, optionally
// followed by a line "%%" and a catalog snapshot (JSON); without it the catalog is empty. Like
// the CLI, policies with errors are not planned. The plan, status and a short forecast are
// computed and every renderer (text, JSON, SQL, Markdown, status, Prometheus, report HTML and
// Markdown, forecast) runs over them; the JSON plan must parse back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "catalog/snapshot.h"
#include "plan/forecast.h"
#include "plan/planner.h"
#include "plan/status.h"
#include "policy/loader.h"
#include "render/forecast_render.h"
#include "render/render.h"
#include "render/report_render.h"
#include "render/status_render.h"

namespace {
constexpr int64_t kNow = 1795262400LL * 1000000;  // 2026-11-21T12:00:00Z, the golden fixtures' now
constexpr int64_t kDay = 86400LL * 1000000;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string yaml = input;
  pgpart::Catalog catalog;
  if (size_t cut = input.find("\n%%\n"); cut != std::string::npos) {
    yaml = input.substr(0, cut + 1);
    std::string error;
    if (!pgpart::CatalogFromJson(input.substr(cut + 4), &catalog, &error)) return 0;
  }
  pgpart::PolicySet set = pgpart::ParsePolicies(yaml, "fuzz.yaml");
  if (pgpart::HasErrors(set.diagnostics)) return 0;
  const int64_t now = catalog.now_micros.value_or(kNow);

  pgpart::Plan plan = pgpart::ComputePlan(set.policies, catalog, now);
  (void)pgpart::RenderText(plan);
  (void)pgpart::RenderSql(plan);
  (void)pgpart::RenderMarkdown(plan);
  pgpart::Plan back;
  std::string error;
  if (!pgpart::PlanFromJson(pgpart::RenderJson(plan), &back, &error)) std::abort();

  pgpart::Status status = pgpart::ComputeStatus(set.policies, catalog, plan, now);
  (void)pgpart::RenderStatusText(status);
  (void)pgpart::RenderStatusJson(status);
  (void)pgpart::RenderStatusPrometheus(status);
  (void)pgpart::RenderReportMarkdown(status);
  (void)pgpart::RenderReportHtml(status, set.policies, catalog, now);

  pgpart::Forecast forecast = pgpart::ComputeForecast(set.policies, catalog, now, now + 3 * kDay);
  (void)pgpart::RenderForecastText(forecast);
  (void)pgpart::RenderForecastJson(forecast);
  (void)pgpart::RenderForecastMarkdown(forecast);
  return 0;
}
