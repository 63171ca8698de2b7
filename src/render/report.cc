// The health report: HTML (with an SVG timeline per table) and Markdown over a Status.

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/key.h"
#include "core/size_text.h"
#include "render/markdown_text.h"
#include "render/report_render.h"
#include "render/report_timeline.h"

namespace pgpart {
namespace {

using render_internal::EscapeInline;
using render_internal::EscapeItem;
using render_internal::Timeline;

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

// "-" for hash tables, which have no time axis and so no buffer.
std::string BufferText(const TableStatus& t) {
  if (!t.future_buffer_periods) return "-";
  return std::to_string(*t.future_buffer_periods) + " period" +
         (*t.future_buffer_periods == 1 ? "" : "s");
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

// "drop metrics_y2024m01 (due since 2026-02-01T00:00:00Z)", one per overdue partition.
std::vector<std::string> OverdueLines(const TableStatus& t) {
  std::vector<std::string> out;
  for (const OverduePartition& o : t.overdue) {
    out.push_back(o.action + " " + o.partition + " (due since " + o.due_since + ")");
  }
  return out;
}

// The tables pgpart detached or archived from this one that still exist, one line each.
std::vector<std::string> DetachedLines(const TableStatus& t) {
  std::vector<std::string> out;
  for (const DetachedTable& d : t.detached) {
    std::string line = d.table + " (" + (d.action == "archive" ? "archived" : "detached") + ")";
    if (!d.from.empty()) line += " [" + d.from + ", " + d.to + ")";
    line += ", ~" + std::to_string(d.rows_estimate) + " rows, " + HumanBytes(d.bytes);
    line += d.since.empty() ? ", since unknown (no audit row)" : ", since " + d.since;
    if (!d.verified) line += "; its marker names another table's oid (a copy): never dropped";
    out.push_back(std::move(line));
  }
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
table.summary{border-collapse:collapse;margin:12px 0 20px;width:100%;font-size:14px}
table.summary th,table.summary td{border-bottom:1px solid #d0d7de;padding:6px 10px;text-align:left;vertical-align:top}
table.summary th{color:#57606a;font-weight:600}table.summary td.problems{color:#cf222e}
table.summary td:nth-child(2),table.summary td:nth-child(3){white-space:nowrap}
section.table{border:1px solid #d0d7de;border-radius:6px;padding:16px;margin:16px 0}
.health{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.health-ok{background:#1a7f37}.health-warning{background:#bf8700}.health-error{background:#cf222e}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:8px 0}
dt{color:#57606a}dd{margin:0}
svg.defs{position:absolute;width:0;height:0}
svg.timeline{display:block;width:100%;height:auto;margin-top:12px;font-size:11px}
rect.partition{fill:#4a90d9;stroke:#1f4f82;stroke-width:.5}
rect.partition.due{fill:#f0883e;stroke:#9a4a0a}
rect.partition.overdue{fill:#cf222e;stroke:#82071e}
rect.partition.blocked{stroke:#6f42c1;stroke-width:2.5;stroke-dasharray:4 2}
rect.partition.held{fill:url(#hatch);stroke:#8a5a00;stroke-width:1}
rect.gap{fill:#fff1f1;stroke:#cf222e;stroke-width:1;stroke-dasharray:3 2}
rect.default-bucket{fill:#cf222e}text.default-label{fill:#cf222e;font-size:10px;font-weight:600}
line.axis,line.tickmark{stroke:#57606a}text.tick{fill:#57606a}
line.cutoff{stroke:#cf222e;stroke-width:2;stroke-dasharray:4 3}
line.horizon{stroke:#1a7f37;stroke-width:2;stroke-dasharray:4 3}
line.now{stroke:#1d2430;stroke-width:1}
text.mark-label{font-size:10px}text.cutoff-label{fill:#cf222e}text.horizon-label{fill:#1a7f37}
div.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:#57606a;margin-top:6px}
span.legend-item svg{vertical-align:-2px;margin-right:4px}
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
  out += render_internal::TimelineDefs();
  // The overview first: one row per table, linking to its card.
  out += "<table class=\"summary\">\n<thead><tr><th>Table</th><th>State</th><th>Buffer</th>"
         "<th>Next event</th><th>Problems</th></tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < status.tables.size(); ++i) {
    const TableStatus& t = status.tables[i];
    std::string problems;
    for (const std::string& p : t.problems) problems += (problems.empty() ? "" : "; ") + p;
    out += "<tr data-table=\"" + HtmlEscape(t.table.Text()) + "\"><td><a href=\"#table-" +
           std::to_string(i + 1) + "\">" + HtmlEscape(t.table.Text()) +
           "</a></td><td><span class=\"health health-" + HealthName(t.health) + "\">" +
           HealthName(t.health) + "</span></td><td>" + HtmlEscape(BufferText(t)) + "</td><td>" +
           HtmlEscape(t.next_retention ? RetentionText(*t.next_retention) : "-") +
           "</td><td class=\"problems\">" + HtmlEscape(OrDash(problems)) + "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n";
  for (size_t i = 0; i < status.tables.size(); ++i) {
    const TableStatus& t = status.tables[i];
    out += "<section class=\"table\" id=\"table-" + std::to_string(i + 1) + "\" data-table=\"" +
           HtmlEscape(t.table.Text()) + "\">\n<h2>" +
           HtmlEscape(t.table.Text()) + " <span class=\"health health-" + HealthName(t.health) +
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
      Fact(out, "Size", HumanBytes(t.bytes));
      Fact(out, "Next retention event", t.next_retention ? RetentionText(*t.next_retention) : "-");
      out += "</dl>\n";
    }
    std::vector<std::string> held;
    for (const HeldPartition& h : t.held) held.push_back(h.partition + ": " + h.held_by);
    HtmlList(out, "held", "Held partitions", held);
    HtmlList(out, "detached", "Detached or archived, still there", DetachedLines(t));
    std::vector<std::string> blocked;
    for (const BlockedStep& b : t.blocked) blocked.push_back(b.Text());
    HtmlList(out, "blocked", "Blocked", blocked);
    HtmlList(out, "overdue", "Retention overdue", OverdueLines(t));
    HtmlList(out, "drift", "Drift", t.drift);
    HtmlList(out, "problems", "Problems", t.problems);
    const Table* table = catalog.Find(t.table);
    if (t.exists && table) {
      out += Timeline(t, *table, FindPolicy(policies, t.policy), now_utc_micros);
      out += render_internal::TimelineLegend();
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
    out += "| " + EscapeInline(t.table.Text()) + " | " + EscapeInline(t.policy) + " | " +
           HealthName(t.health) + " | " + std::to_string(t.partitions.count) + " | " +
           EscapeInline(OrDash(t.partitions.covered_until)) + " | " +
           (t.future_buffer_periods ? std::to_string(*t.future_buffer_periods) : "-") + " | " +
           std::to_string(t.partitions.default_rows) + " | " + HumanBytes(t.bytes) + " |\n";
  }
  for (const TableStatus& t : status.tables) {
    out += "\n## " + EscapeInline(t.table.Text()) + " (" + HealthName(t.health) + ")\n\n";
    if (!t.exists) {
      out += "- The table does not exist (or is not partitioned).\n";
    } else {
      const PartitionSummary& p = t.partitions;
      out += "- Partitions: " + std::to_string(p.count) + ", oldest " +
             EscapeInline(OrDash(p.oldest)) + ", newest " + EscapeInline(OrDash(p.newest)) + "\n";
      if (t.future_buffer_periods) {  // hash tables have no time axis
        out += "- Covered until " + EscapeInline(OrDash(p.covered_until)) + " (future buffer " +
               BufferText(t) + ")\n";
      }
      out += "- Default partition: " +
             (p.has_default ? std::to_string(p.default_rows) + " rows" : std::string("none")) +
             "\n";
      out += "- Size: " + HumanBytes(t.bytes) + "\n";
      if (t.next_retention) {
        out += "- Next retention event: " + EscapeInline(RetentionText(*t.next_retention)) + "\n";
      }
    }
    for (const HeldPartition& h : t.held) {
      out += "- Held: " + EscapeInline(h.partition) + ": " + EscapeInline(h.held_by) + "\n";
    }
    for (const std::string& s : DetachedLines(t)) {
      out += "- Detached or archived: " + EscapeInline(s) + "\n";
    }
    for (const BlockedStep& b : t.blocked) out += "- Blocked: " + EscapeInline(b.Text()) + "\n";
    for (const std::string& s : OverdueLines(t)) {
      out += "- Retention overdue: " + EscapeInline(s) + "\n";
    }
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
