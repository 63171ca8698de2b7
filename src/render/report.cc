// The health report: HTML (with an SVG timeline per table) and Markdown over a Status.

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/key.h"
#include "render/markdown_text.h"
#include "render/report_render.h"

namespace pgpart {
namespace {

using render_internal::EscapeInline;
using render_internal::EscapeItem;

constexpr int kSvgWidth = 960;
constexpr int kPlotLeft = 20;
constexpr int kPlotRight = 940;
constexpr int kBarBase = 110;     // y of the bars' bottom edge
constexpr int kBarMaxHeight = 80;
constexpr int kBarMinHeight = 8;
constexpr int kSvgHeight = 150;

std::string Name(const QualifiedName& q) { return q.schema + "." + q.name; }

// A held partition's name as status.h spells it: schema-qualified only outside the parent's.
std::string ChildLabel(const QualifiedName& parent, const QualifiedName& child) {
  return child.schema == parent.schema ? child.name : Name(child);
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Bytes(int64_t b) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return std::to_string(b) + " B";
  return Num(v) + " " + kUnits[u];
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

std::string BufferText(const TableStatus& t) {
  return std::to_string(t.future_buffer_periods) + " period" +
         (t.future_buffer_periods == 1 ? "" : "s");
}

std::string RetentionText(const RetentionEvent& r) {
  std::string s = r.action + " " + r.partition + (r.due ? " (due)" : "") + " at " + r.when;
  if (r.gate_checked) s += " (behind backup gate " + r.gate + ")";
  return s;
}

const Policy* FindPolicy(const std::vector<Policy>& policies, const std::string& name) {
  for (const Policy& p : policies) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// The timeline's x axis: a linear map from key values to SVG x.
struct Axis {
  int64_t lo = 0, hi = 1;
  double X(int64_t v) const {
    v = std::clamp(v, lo, hi);
    return kPlotLeft + (static_cast<double>(v - lo) / static_cast<double>(hi - lo)) *
                           (kPlotRight - kPlotLeft);
  }
};

std::string VLine(const std::string& cls, double x, const std::string& title) {
  return "<line class=\"" + cls + "\" x1=\"" + Num(x) + "\" y1=\"14\" x2=\"" + Num(x) +
         "\" y2=\"" + std::to_string(kBarBase + 4) + "\"><title>" + HtmlEscape(title) +
         "</title></line>\n<text class=\"mark-label " + cls + "-label\" x=\"" + Num(x + 3) +
         "\" y=\"12\">" + HtmlEscape(title) + "</text>\n";
}

std::string Timeline(const TableStatus& t, const Table& table, const Policy* policy,
                     int64_t now_utc_micros) {
  KeyType kt = table.key_type;
  std::vector<const Child*> bars;
  std::vector<int64_t> points;
  for (const Child& c : table.children) {
    if (c.bound_kind != BoundKind::kRange) continue;
    bars.push_back(&c);
    if (c.from.is_value()) points.push_back(c.from.value);
    if (c.to.is_value()) points.push_back(c.to.value);
  }
  std::optional<int64_t> now_key, cutoff, horizon;
  if (IsTimeKey(kt) && policy && policy->interval) {
    const date::time_zone* zone = FindZone(policy->time_zone);
    std::string error;
    if (auto grid = Grid::Make(kt, *policy->interval, zone, &error)) {
      now_key = grid->Now(now_utc_micros);
      if (policy->retention) cutoff = grid->Subtract(*now_key, policy->retention->keep);
    }
  } else if (IsIntegerKey(kt) && table.max_key) {
    now_key = *table.max_key;
    if (policy && policy->retention) cutoff = *table.max_key - policy->retention->keep.count;
  }
  if (auto b = ParseBoundText(kt, t.partitions.covered_until); b && b->is_value()) {
    horizon = b->value;
  }
  for (const auto& v : {now_key, cutoff, horizon}) {
    if (v) points.push_back(*v);
  }
  std::string out = "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(kSvgWidth) + "\" height=\"" + std::to_string(kSvgHeight) +
                    "\" viewBox=\"0 0 " + std::to_string(kSvgWidth) + " " +
                    std::to_string(kSvgHeight) + "\" role=\"img\" aria-label=\"partitions of " +
                    HtmlEscape(Name(t.table)) + "\">\n";
  out +=
      "<defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4c542\"/>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#8a5a00\" stroke-width=\"3\"/>"
      "</pattern></defs>\n";
  if (points.empty()) {
    out += "<text class=\"empty\" x=\"20\" y=\"60\">no range partitions</text>\n";
  } else {
    Axis axis;
    axis.lo = *std::min_element(points.begin(), points.end());
    axis.hi = *std::max_element(points.begin(), points.end());
    if (axis.hi <= axis.lo) axis.hi = axis.lo + 1;
    bool by_bytes = std::any_of(bars.begin(), bars.end(), [](const Child* c) { return c->bytes > 0; });
    int64_t max_size = 1;
    for (const Child* c : bars) max_size = std::max(max_size, by_bytes ? c->bytes : c->rows_estimate);
    out += "<line class=\"axis\" x1=\"" + std::to_string(kPlotLeft) + "\" y1=\"" +
           std::to_string(kBarBase) + "\" x2=\"" + std::to_string(kPlotRight) + "\" y2=\"" +
           std::to_string(kBarBase) + "\"/>\n";
    constexpr int kTicks = 5;
    for (int i = 0; i < kTicks; ++i) {
      int64_t v = axis.lo + static_cast<int64_t>(static_cast<double>(axis.hi - axis.lo) * i /
                                                 (kTicks - 1));
      std::string label = BoundText(kt, Bound::Value(v));
      if (IsTimeKey(kt)) label = label.substr(0, 10);
      const char* anchor = i == 0 ? "start" : i == kTicks - 1 ? "end" : "middle";
      out += "<text class=\"tick\" x=\"" + Num(axis.X(v)) + "\" y=\"" +
             std::to_string(kBarBase + 18) + "\" text-anchor=\"" + anchor + "\">" +
             HtmlEscape(label) + "</text>\n";
    }
    for (const Child* c : bars) {
      double x1 = c->from.is_value() ? axis.X(c->from.value) : kPlotLeft;
      double x2 = c->to.is_value() ? axis.X(c->to.value) : kPlotRight;
      int64_t size = by_bytes ? c->bytes : c->rows_estimate;
      double h = kBarMinHeight + static_cast<double>(kBarMaxHeight - kBarMinHeight) *
                                     static_cast<double>(size) / static_cast<double>(max_size);
      std::string label = ChildLabel(t.table, c->name);
      const HeldPartition* held = nullptr;
      for (const HeldPartition& hp : t.held) {
        if (hp.partition == label || hp.partition == Name(c->name)) held = &hp;
      }
      std::string title = label + ": " + BoundText(kt, c->from) + " .. " + BoundText(kt, c->to) +
                          ", " + std::to_string(c->rows_estimate) + " rows, " + Bytes(c->bytes);
      if (held) title += "; held: " + held->held_by;
      out += "<rect class=\"partition" + std::string(held ? " held" : "") +
             "\" data-partition=\"" + HtmlEscape(label) + "\" x=\"" + Num(x1) + "\" y=\"" +
             Num(kBarBase - h) + "\" width=\"" + Num(std::max(1.0, x2 - x1 - 1)) +
             "\" height=\"" + Num(h) + "\"" + (held ? " fill=\"url(#hatch)\"" : "") +
             "><title>" + HtmlEscape(title) + "</title></rect>\n";
    }
    if (cutoff) {
      out += VLine("cutoff", axis.X(*cutoff),
                   "retention cutoff " + BoundText(kt, Bound::Value(*cutoff)));
    }
    if (horizon) {
      out += VLine("horizon", axis.X(*horizon),
                   "covered until " + BoundText(kt, Bound::Value(*horizon)));
    }
    if (now_key) {
      out += VLine("now", axis.X(*now_key),
                   (IsIntegerKey(kt) ? "max(key) " : "now ") + BoundText(kt, Bound::Value(*now_key)));
    }
  }
  if (t.partitions.has_default && t.partitions.default_rows > 0) {
    out += "<g class=\"default-rows\"><title>" +
           HtmlEscape(std::to_string(t.partitions.default_rows) +
                      " rows in the default partition") +
           "</title><rect x=\"" + std::to_string(kPlotRight - 200) + "\" y=\"" +
           std::to_string(kSvgHeight - 18) +
           "\" width=\"200\" height=\"16\" rx=\"8\"/><text x=\"" +
           std::to_string(kPlotRight - 100) + "\" y=\"" + std::to_string(kSvgHeight - 6) +
           "\" text-anchor=\"middle\">default: " + std::to_string(t.partitions.default_rows) +
           " rows</text></g>\n";
  }
  out += "</svg>\n";
  return out;
}

void Fact(std::string& out, const std::string& term, const std::string& value) {
  out += "<dt>" + HtmlEscape(term) + "</dt><dd>" + HtmlEscape(value) + "</dd>\n";
}

void HtmlList(std::string& out, const std::string& cls, const std::string& heading,
              const std::vector<std::string>& items) {
  if (items.empty()) return;
  out += "<h3>" + HtmlEscape(heading) + "</h3>\n<ul class=\"" + cls + "\">\n";
  for (const std::string& s : items) out += "<li>" + HtmlEscape(s) + "</li>\n";
  out += "</ul>\n";
}

constexpr char kCss[] = R"(body{font-family:system-ui,sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:24px}h2{font-size:18px;margin:0 0 8px}h3{font-size:14px;margin:12px 0 4px}
section.table{border:1px solid #d0d7de;border-radius:6px;padding:16px;margin:16px 0}
.health{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.health-ok{background:#1a7f37}.health-warning{background:#bf8700}.health-error{background:#cf222e}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:8px 0}
dt{color:#57606a}dd{margin:0}
svg.timeline{display:block;margin-top:12px;font-size:11px}
rect.partition{fill:#4a90d9;stroke:#1f4f82;stroke-width:.5}
rect.partition.held{stroke:#8a5a00;stroke-width:1}
line.axis{stroke:#57606a}text.tick{fill:#57606a}
line.cutoff{stroke:#cf222e;stroke-width:2;stroke-dasharray:4 3}
line.horizon{stroke:#1a7f37;stroke-width:2;stroke-dasharray:4 3}
line.now{stroke:#1d2430;stroke-width:1}
text.mark-label{font-size:10px}text.cutoff-label{fill:#cf222e}text.horizon-label{fill:#1a7f37}
g.default-rows rect{fill:#cf222e}g.default-rows text{fill:#fff;font-weight:600}
ul.problems li{color:#cf222e}
)";

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderReportHtml(const Status& status, const std::vector<Policy>& policies,
                             const Catalog& catalog, int64_t now_utc_micros) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>pgpart health report</title>\n<style>\n";
  out += kCss;
  out += "</style>\n</head>\n<body>\n<h1>pgpart health report</h1>\n<p>As of " +
         HtmlEscape(status.at) + ": <span class=\"health health-" + HealthName(status.health) +
         "\" id=\"overall-health\">" + HealthName(status.health) + "</span> (" +
         std::to_string(status.tables.size()) + " table" + (status.tables.size() == 1 ? "" : "s") +
         ")</p>\n";
  for (const TableStatus& t : status.tables) {
    out += "<section class=\"table\" data-table=\"" + HtmlEscape(Name(t.table)) + "\">\n<h2>" +
           HtmlEscape(Name(t.table)) + " <span class=\"health health-" + HealthName(t.health) +
           "\">" + HealthName(t.health) + "</span></h2>\n<dl>\n";
    Fact(out, "Policy", t.policy);
    if (!t.exists) {
      out += "</dl>\n<p class=\"missing\">The table does not exist (or is not partitioned).</p>\n";
    } else {
      const PartitionSummary& p = t.partitions;
      Fact(out, "Partitions", std::to_string(p.count));
      Fact(out, "Oldest", OrDash(p.oldest));
      Fact(out, "Newest", OrDash(p.newest));
      Fact(out, "Covered until", OrDash(p.covered_until));
      Fact(out, "Future buffer", BufferText(t));
      Fact(out, "Default partition",
           p.has_default ? std::to_string(p.default_rows) + " rows" : "none");
      Fact(out, "Size", Bytes(t.bytes));
      Fact(out, "Next retention event", t.next_retention ? RetentionText(*t.next_retention) : "-");
      out += "</dl>\n";
    }
    std::vector<std::string> held;
    for (const HeldPartition& h : t.held) held.push_back(h.partition + ": " + h.held_by);
    HtmlList(out, "held", "Held partitions", held);
    HtmlList(out, "blocked", "Blocked", t.blocked);
    HtmlList(out, "drift", "Drift", t.drift);
    HtmlList(out, "problems", "Problems", t.problems);
    const Table* table = catalog.Find(t.table);
    if (t.exists && table) {
      out += Timeline(t, *table, FindPolicy(policies, t.policy), now_utc_micros);
    }
    out += "</section>\n";
  }
  std::vector<std::string> diags;
  for (const Diagnostic& d : status.diagnostics) diags.push_back(d.Format());
  HtmlList(out, "diagnostics", "Diagnostics", diags);
  out += "</body>\n</html>\n";
  return out;
}

std::string RenderReportMarkdown(const Status& status) {
  std::string out = "# pgpart health report\n\nAs of " + EscapeInline(status.at) + ": **" +
                    HealthName(status.health) + "**\n\n";
  out += "| Table | Policy | Health | Partitions | Covered until | Buffer | Default rows | Size |\n"
         "|---|---|---|---:|---|---:|---:|---:|\n";
  for (const TableStatus& t : status.tables) {
    out += "| " + EscapeInline(Name(t.table)) + " | " + EscapeInline(t.policy) + " | " +
           HealthName(t.health) + " | " + std::to_string(t.partitions.count) + " | " +
           EscapeInline(OrDash(t.partitions.covered_until)) + " | " +
           std::to_string(t.future_buffer_periods) + " | " +
           std::to_string(t.partitions.default_rows) + " | " + Bytes(t.bytes) + " |\n";
  }
  for (const TableStatus& t : status.tables) {
    out += "\n## " + EscapeInline(Name(t.table)) + " (" + HealthName(t.health) + ")\n\n";
    if (!t.exists) {
      out += "- The table does not exist (or is not partitioned).\n";
    } else {
      const PartitionSummary& p = t.partitions;
      out += "- Partitions: " + std::to_string(p.count) + ", oldest " +
             EscapeInline(OrDash(p.oldest)) + ", newest " + EscapeInline(OrDash(p.newest)) + "\n";
      out += "- Covered until " + EscapeInline(OrDash(p.covered_until)) + " (future buffer " +
             BufferText(t) + ")\n";
      out += "- Default partition: " +
             (p.has_default ? std::to_string(p.default_rows) + " rows" : std::string("none")) +
             "\n";
      out += "- Size: " + Bytes(t.bytes) + "\n";
      if (t.next_retention) {
        out += "- Next retention event: " + EscapeInline(RetentionText(*t.next_retention)) + "\n";
      }
    }
    for (const HeldPartition& h : t.held) {
      out += "- Held: " + EscapeInline(h.partition) + ": " + EscapeInline(h.held_by) + "\n";
    }
    for (const std::string& s : t.blocked) out += "- Blocked: " + EscapeInline(s) + "\n";
    for (const std::string& s : t.drift) out += "- Drift: " + EscapeInline(s) + "\n";
    for (const std::string& s : t.problems) out += "- Problem: " + EscapeInline(s) + "\n";
  }
  if (!status.diagnostics.empty()) {
    out += "\n## Diagnostics\n\n";
    for (const Diagnostic& d : status.diagnostics) out += "- " + EscapeItem(d.Format()) + "\n";
  }
  return out;
}

}  // namespace pgpart
