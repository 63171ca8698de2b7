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
constexpr int kSvgHeight = 150;  // with one row of marker labels; each further row adds kLabelRow
// Marker labels (cutoff, horizon, now): 10px text whose width is estimated, not measured (the
// report has no scripts), so the estimate must be at least any common sans-serif's average
// advance for digits, dates and lower-case words.
constexpr double kLabelCharWidth = 6.5;
constexpr int kLabelRow = 12;       // baseline-to-baseline distance of label rows
constexpr int kLabelBaseline = 12;  // the first row's baseline
constexpr double kLabelGap = 6;     // horizontal space kept between labels on one row
constexpr double kLabelOffset = 3;  // between a marker's line and its label

// A held partition's name as status.h spells it: schema-qualified only outside the parent's.
std::string ChildLabel(const QualifiedName& parent, const QualifiedName& child) {
  return child.schema == parent.schema ? child.name : child.Text();
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

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

// The timeline's x axis: a linear map from key values to SVG x.
struct Axis {
  int64_t lo = 0, hi = 1;
  double X(int64_t v) const {
    v = std::clamp(v, lo, hi);
    return kPlotLeft + (static_cast<double>(v - lo) / static_cast<double>(hi - lo)) *
                           (kPlotRight - kPlotLeft);
  }
};

// A vertical marker (cutoff, horizon, now) and where its label goes.
struct Marker {
  std::string cls;   // line.<cls>, text.<cls>-label
  double x = 0;      // the line's x
  std::string text;  // the label, also the line's <title>
  int row = 0;       // label row, 0 at the top
  double left = 0;   // the label's estimated extent
  double right = 0;
  bool anchor_end = false;  // text-anchor="end" at `right` (else "start" at `left`)
};

double LabelWidth(const std::string& text) {
  // UTF-8 continuation bytes are not characters of their own.
  size_t chars = 0;
  for (unsigned char c : text) chars += (c & 0xC0) != 0x80;
  return static_cast<double>(chars) * kLabelCharWidth;
}

// Where a label may go: right of its line (text-anchor start) or left of it (end), whichever
// stays inside the SVG; clamped into [0, kSvgWidth] when neither does.
struct Slot {
  double left = 0, right = 0;
  bool anchor_end = false;
};

std::vector<Slot> Slots(const Marker& m) {
  const double width = LabelWidth(m.text);
  std::vector<Slot> slots;
  if (m.x + kLabelOffset + width <= kSvgWidth) {
    slots.push_back({m.x + kLabelOffset, m.x + kLabelOffset + width, false});
  }
  if (m.x - kLabelOffset - width >= 0) {
    slots.push_back({m.x - kLabelOffset - width, m.x - kLabelOffset, true});
  }
  if (slots.empty()) {
    const double left = std::clamp(m.x + kLabelOffset, 0.0, std::max(0.0, kSvgWidth - width));
    slots.push_back({left, left + width, false});
  }
  return slots;
}

// Whether two placed labels clash: they overlap on one row, or one's label is crossed by the
// other's line (a line runs from just below its own label's row down to the axis, so it crosses
// the labels on lower rows). With `lines` false only the overlap counts.
bool Clash(const Marker& a, const Marker& b, bool lines) {
  if (a.row == b.row) return a.left < b.right + kLabelGap && b.left < a.right + kLabelGap;
  if (!lines) return false;
  const Marker& upper = a.row < b.row ? a : b;
  const Marker& lower = a.row < b.row ? b : a;
  return upper.x > lower.left - 1 && upper.x < lower.right + 1;
}

// Lays the marker labels out (at most three, so by trying every row and side): inside the SVG, no
// two overlapping, no label crossed by another marker's line if that is possible at all; then with
// the fewest rows, then as many labels right of their line as possible, then earlier markers on
// higher rows. Returns the number of rows used.
int PlaceLabels(std::vector<Marker>& markers) {
  const size_t n = markers.size();
  if (n == 0) return 1;
  std::vector<std::vector<Slot>> slots;
  for (const Marker& m : markers) slots.push_back(Slots(m));
  for (bool lines : {true, false}) {
    std::vector<Marker> best;
    std::vector<int> best_score;
    // One counter per marker over (row, slot) pairs; rows 0..n-1 always suffice.
    std::vector<size_t> choice(n, 0);
    while (true) {
      std::vector<Marker> trial = markers;
      int rows = 0, ends = 0;
      for (size_t i = 0; i < n; ++i) {
        const Slot& slot = slots[i][choice[i] % slots[i].size()];
        trial[i].row = static_cast<int>(choice[i] / slots[i].size());
        trial[i].left = slot.left;
        trial[i].right = slot.right;
        trial[i].anchor_end = slot.anchor_end;
        rows = std::max(rows, trial[i].row + 1);
        ends += slot.anchor_end;
      }
      bool ok = true;
      for (size_t i = 0; i < n && ok; ++i) {
        for (size_t j = i + 1; j < n && ok; ++j) ok = !Clash(trial[i], trial[j], lines);
      }
      if (ok) {
        std::vector<int> score = {rows, ends};
        for (const Marker& m : trial) score.push_back(m.row);
        if (best.empty() || score < best_score) {
          best = std::move(trial);
          best_score = std::move(score);
        }
      }
      size_t i = 0;
      while (i < n && ++choice[i] == n * slots[i].size()) choice[i++] = 0;
      if (i == n) break;
    }
    if (!best.empty()) {
      markers = std::move(best);
      return best_score[0];
    }
  }
  // Not reached: one label per row, each in its first slot, never clashes when lines don't count.
  return static_cast<int>(n);
}

// The marker's line (from just below its label down past the axis at `bar_base`) and label.
std::string VLine(const Marker& m, int bar_base) {
  const int baseline = kLabelBaseline + m.row * kLabelRow;
  return "<line class=\"" + m.cls + "\" x1=\"" + Num(m.x) + "\" y1=\"" +
         std::to_string(baseline + 2) + "\" x2=\"" + Num(m.x) + "\" y2=\"" +
         std::to_string(bar_base + 4) + "\"><title>" + HtmlEscape(m.text) +
         "</title></line>\n<text class=\"mark-label " + m.cls + "-label\" x=\"" +
         Num(m.anchor_end ? m.right : m.left) + "\" y=\"" + std::to_string(baseline) + "\"" +
         (m.anchor_end ? " text-anchor=\"end\"" : "") + ">" + HtmlEscape(m.text) + "</text>\n";
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
  Axis axis;
  std::vector<Marker> markers;
  if (!points.empty()) {
    axis.lo = *std::min_element(points.begin(), points.end());
    axis.hi = *std::max_element(points.begin(), points.end());
    if (axis.hi <= axis.lo) axis.hi = axis.lo + 1;
    auto mark = [&](const char* cls, int64_t v, const std::string& what) {
      markers.push_back({cls, axis.X(v), what + BoundText(kt, Bound::Value(v))});
    };
    if (cutoff) mark("cutoff", *cutoff, "retention cutoff ");
    if (horizon) mark("horizon", *horizon, "covered until ");
    if (now_key) mark("now", *now_key, IsIntegerKey(kt) ? "max(key) " : "now ");
  }
  // Rows of labels beyond the first push the whole plot down.
  const int dy = (PlaceLabels(markers) - 1) * kLabelRow;
  const int bar_base = kBarBase + dy;
  const int height = kSvgHeight + dy;
  std::string out = "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(kSvgWidth) + "\" height=\"" + std::to_string(height) +
                    "\" viewBox=\"0 0 " + std::to_string(kSvgWidth) + " " +
                    std::to_string(height) + "\" role=\"img\" aria-label=\"partitions of " +
                    HtmlEscape(t.table.Text()) + "\">\n";
  out +=
      "<defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4c542\"/>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#8a5a00\" stroke-width=\"3\"/>"
      "</pattern></defs>\n";
  if (points.empty()) {
    out += "<text class=\"empty\" x=\"20\" y=\"60\">no range partitions</text>\n";
  } else {
    bool by_bytes = std::any_of(bars.begin(), bars.end(), [](const Child* c) { return c->bytes > 0; });
    int64_t max_size = 1;
    for (const Child* c : bars) max_size = std::max(max_size, by_bytes ? c->bytes : c->rows_estimate);
    out += "<line class=\"axis\" x1=\"" + std::to_string(kPlotLeft) + "\" y1=\"" +
           std::to_string(bar_base) + "\" x2=\"" + std::to_string(kPlotRight) + "\" y2=\"" +
           std::to_string(bar_base) + "\"/>\n";
    constexpr int kTicks = 5;
    for (int i = 0; i < kTicks; ++i) {
      int64_t v = axis.lo + static_cast<int64_t>(static_cast<double>(axis.hi - axis.lo) * i /
                                                 (kTicks - 1));
      std::string label = BoundText(kt, Bound::Value(v));
      if (IsTimeKey(kt)) label = label.substr(0, 10);
      const char* anchor = i == 0 ? "start" : i == kTicks - 1 ? "end" : "middle";
      out += "<text class=\"tick\" x=\"" + Num(axis.X(v)) + "\" y=\"" +
             std::to_string(bar_base + 18) + "\" text-anchor=\"" + anchor + "\">" +
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
        if (hp.partition == label || hp.partition == c->name.Text()) held = &hp;
      }
      std::string title = label + ": " + BoundText(kt, c->from) + " .. " + BoundText(kt, c->to) +
                          ", " + std::to_string(c->rows_estimate) + " rows, " + HumanBytes(c->bytes);
      if (held) title += "; held: " + held->held_by;
      const OverduePartition* overdue = nullptr;
      for (const OverduePartition& o : t.overdue) {
        if (o.partition == label || o.partition == c->name.Text()) overdue = &o;
      }
      if (overdue) title += "; retention overdue: " + overdue->action + " due since " +
                            overdue->due_since;
      out += "<rect class=\"partition" + std::string(held ? " held" : "") +
             std::string(overdue ? " overdue" : "") +
             "\" data-partition=\"" + HtmlEscape(label) + "\" x=\"" + Num(x1) + "\" y=\"" +
             Num(bar_base - h) + "\" width=\"" + Num(std::max(1.0, x2 - x1 - 1)) +
             "\" height=\"" + Num(h) + "\"" + (held ? " fill=\"url(#hatch)\"" : "") +
             "><title>" + HtmlEscape(title) + "</title></rect>\n";
    }
    for (const Marker& m : markers) out += VLine(m, bar_base);
  }
  if (t.partitions.has_default && t.partitions.default_rows > 0) {
    out += "<g class=\"default-rows\"><title>" +
           HtmlEscape(std::to_string(t.partitions.default_rows) +
                      " rows in the default partition") +
           "</title><rect x=\"" + std::to_string(kPlotRight - 200) + "\" y=\"" +
           std::to_string(height - 18) +
           "\" width=\"200\" height=\"16\" rx=\"8\"/><text x=\"" +
           std::to_string(kPlotRight - 100) + "\" y=\"" + std::to_string(height - 6) +
           "\" text-anchor=\"middle\">default: " + std::to_string(t.partitions.default_rows) +
           " rows</text></g>\n";
  }
  out += "</svg>\n";
  return out;
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
section.table{border:1px solid #d0d7de;border-radius:6px;padding:16px;margin:16px 0}
.health{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.health-ok{background:#1a7f37}.health-warning{background:#bf8700}.health-error{background:#cf222e}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:8px 0}
dt{color:#57606a}dd{margin:0}
svg.timeline{display:block;margin-top:12px;font-size:11px}
rect.partition{fill:#4a90d9;stroke:#1f4f82;stroke-width:.5}
rect.partition.held{stroke:#8a5a00;stroke-width:1}
rect.partition.overdue{fill:#cf222e;stroke:#82071e}
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
    out += "<section class=\"table\" data-table=\"" + HtmlEscape(t.table.Text()) + "\">\n<h2>" +
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
    HtmlList(out, "blocked", "Blocked", t.blocked);
    HtmlList(out, "overdue", "Retention overdue", OverdueLines(t));
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
    for (const std::string& s : t.blocked) out += "- Blocked: " + EscapeInline(s) + "\n";
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
