// Forecast renderers: text calendar, JSON, Markdown.

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "core/json_text.h"
#include "core/utf8.h"
#include "render/forecast_render.h"
#include "render/headline.h"
#include "render/markdown_text.h"

namespace pgpart {
namespace {

using render_internal::EscapeInline;
using render_internal::SummaryCounts;
using render_internal::StepSymbol;

using Json = nlohmann::ordered_json;

std::string Bounds(const Step& s) {
  if (s.from.empty() && s.to.empty()) return "";
  return "[" + s.from + ", " + s.to + ")";
}

// "held: <reason>" / "blocked: <reason>" for steps that will not run; "" otherwise.
std::string Why(const Step& s) {
  if (s.status == StepStatus::kHeld) return "held: " + s.held_by;
  if (s.status == StepStatus::kBlocked) return "blocked: " + s.blocked_by;
  return "";
}

// Every step of every date, counted as a plan counts its steps.
PlanSummary Count(const Forecast& f) {
  std::vector<Step> steps;
  for (const ForecastEvent& e : f.events) steps.insert(steps.end(), e.steps.begin(), e.steps.end());
  return Summarize(steps);
}

std::string SummaryLine(const Forecast& f) {
  if (f.events.empty()) return "Nothing to do until " + f.until + ".";
  const std::string counts = SummaryCounts(Count(f));
  return std::to_string(f.events.size()) + (f.events.size() == 1 ? " date: " : " dates: ") +
         (counts.empty() ? std::string("no steps") : counts) + ".";
}

// A text line: every identifier, bound and reason through EscapeControls.
std::string StepLine(const Step& s) {
  std::string line = StepSymbol(s) + " ";
  if (s.status != StepStatus::kPlanned) line += StatusName(s.status) + " ";
  line += ActionName(s.action) + " " + EscapeControls(s.partition.Text());
  if (std::string b = Bounds(s); !b.empty()) line += "  " + EscapeControls(b);
  if (std::string why = Why(s); !why.empty()) line += "  (" + EscapeControls(why) + ")";
  return line;
}

}  // namespace

std::string RenderForecastText(const Forecast& f) {
  const auto E = [](const std::string& s) { return EscapeControls(s); };
  std::string out = "Forecast from " + E(f.at) + " to " + E(f.until) + " (dates in " +
                    E(f.time_zone) + ")\n\n";
  size_t width = 10;
  for (const ForecastEvent& e : f.events) width = std::max(width, e.local.size());
  const std::string indent(width + 2, ' ');
  for (const ForecastEvent& e : f.events) {
    std::string head = e.local + std::string(width + 2 - e.local.size(), ' ');
    bool first = true;
    for (const Step& s : e.steps) {
      out += (first ? head : indent) + StepLine(s) + "\n";
      first = false;
    }
    for (const std::string& note : e.notes) {
      out += (first ? head : indent) + "note: " + E(note) + "\n";
      first = false;
    }
  }
  if (!f.events.empty()) out += "\n";
  for (const NotForecast& n : f.not_forecast) {
    out += "Not forecast: " + E(n.table.Text()) + " (policy " + E(n.policy) + "): " +
           E(n.reason) + "\n";
  }
  for (const Diagnostic& d : f.diagnostics) out += E(d.Format()) + "\n";
  if (!f.error.empty()) out += "error: " + E(f.error) + "\n";
  out += E(SummaryLine(f)) + "\n";
  return out;
}

std::string RenderForecastJson(const Forecast& f) {
  Json j;
  j["format_version"] = 1;
  j["at"] = f.at;
  j["until"] = f.until;
  j["time_zone"] = f.time_zone;
  const PlanSummary c = Count(f);
  j["summary"] = Json{{"events", f.events.size()},
                      {"create", c.create},
                      {"drain", c.drain},
                      {"detach", c.detach},
                      {"archive", c.archive},
                      {"drop", c.drop},
                      {"held", c.held},
                      {"blocked", c.blocked}};
  j["events"] = Json::array();
  for (const ForecastEvent& e : f.events) {
    Json ej;
    ej["at"] = e.at;
    ej["local"] = e.local;
    ej["steps"] = Json::array();
    for (const Step& s : e.steps) {
      Json sj;
      sj["action"] = ActionName(s.action);
      sj["table"] = s.table.Text();
      sj["policy"] = s.policy;
      sj["partition"] = s.partition.Text();
      sj["from"] = s.from.empty() ? Json(nullptr) : Json(s.from);
      sj["to"] = s.to.empty() ? Json(nullptr) : Json(s.to);
      sj["reason"] = ReasonName(s.reason);
      sj["status"] = StatusName(s.status);
      sj["held_by"] = s.held_by.empty() ? Json(nullptr) : Json(s.held_by);
      sj["blocked_by"] = s.blocked_by.empty() ? Json(nullptr) : Json(s.blocked_by);
      sj["hazards"] = Json::array();
      for (Hazard h : s.hazards) sj["hazards"].push_back(HazardName(h));
      sj["rows_estimate"] = s.rows_estimate;
      ej["steps"].push_back(std::move(sj));
    }
    ej["notes"] = e.notes;
    j["events"].push_back(std::move(ej));
  }
  j["not_forecast"] = Json::array();
  for (const NotForecast& n : f.not_forecast) {
    j["not_forecast"].push_back(
        Json{{"table", n.table.Text()}, {"policy", n.policy}, {"reason", n.reason}});
  }
  j["diagnostics"] = Json::array();
  for (const Diagnostic& d : f.diagnostics) j["diagnostics"].push_back(d.Format());
  j["error"] = f.error.empty() ? Json(nullptr) : Json(f.error);
  return JsonText(j, 2) + "\n";
}

std::string RenderForecastMarkdown(const Forecast& f) {
  std::string out = "### pgpart forecast\n\n";
  out += "From " + EscapeInline(f.at) + " to " + EscapeInline(f.until) + " (dates in " +
         EscapeInline(f.time_zone) + "). " + EscapeInline(SummaryLine(f)) + "\n\n";
  if (!f.events.empty()) {
    out += "| When | Step | Partition | Bounds | Notes |\n";
    out += "|---|---|---|---|---|\n";
    for (const ForecastEvent& e : f.events) {
      bool first = true;
      for (const Step& s : e.steps) {
        std::string step = StepSymbol(s) + " " + ActionName(s.action);
        out += "| " + (first ? EscapeInline(e.local) : std::string()) + " | " + EscapeInline(step) +
               " | " + EscapeInline(s.partition.Text()) + " | " + EscapeInline(Bounds(s)) + " | " +
               EscapeInline(Why(s)) + " |\n";
        first = false;
      }
      for (const std::string& note : e.notes) {
        out += "| " + (first ? EscapeInline(e.local) : std::string()) + " | note | | | " +
               EscapeInline(note) + " |\n";
        first = false;
      }
    }
    out += "\n";
  }
  for (const NotForecast& n : f.not_forecast) {
    out += "- Not forecast: " + EscapeInline(n.table.Text()) + " (policy " + EscapeInline(n.policy) +
           "): " + EscapeInline(n.reason) + "\n";
  }
  for (const Diagnostic& d : f.diagnostics) out += "- " + EscapeInline(d.Format()) + "\n";
  if (!f.error.empty()) out += "- error: " + EscapeInline(f.error) + "\n";
  return out;
}

}  // namespace pgpart
