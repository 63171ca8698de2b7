// The HTML report's pictures (report_timeline.h). No scripts: every position is computed here,
// label widths estimated (tests/report/label_check.js measures them in Chromium).

#include "render/report_timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/key.h"
#include "core/size_text.h"
#include "render/report_render.h"

namespace pgpart::render_internal {
namespace {

constexpr int kSvgWidth = 960;
constexpr int kPlotLeft = 20;
constexpr int kPlotRight = 940;
constexpr int kBarBase = 110;     // y of the bars' bottom edge
constexpr int kBarMaxHeight = 80;
constexpr int kBarMinHeight = 8;
constexpr int kSvgHeight = 140;  // with one row of marker labels; each further row adds kLabelRow
constexpr int kDefaultStrip = 16;  // below the tick labels: where the default partition's rows are
constexpr int kMaxTicks = 8;
// Marker labels (cutoff, horizon, now): 10px text whose width is estimated, not measured (the
// report has no scripts), so the estimate must be at least any common sans-serif's average
// advance for digits, dates and lower-case words.
constexpr double kLabelCharWidth = 6.5;
constexpr int kLabelRow = 13;       // baseline-to-baseline distance of label rows
constexpr int kLabelBaseline = 12;  // the first row's baseline
constexpr double kLabelGap = 6;     // horizontal space kept between labels on one row
constexpr double kLabelOffset = 3;  // between a marker's line and its label


std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
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


struct Tick {
  int64_t value;
  std::string label;
};

// Axis ticks on calendar boundaries (time keys: whole hours, days, months or years in the
// policy's zone, at most kMaxTicks, labelled "2025", "2025-04", "2025-04-07" or "04-07 06:00"),
// or on round numbers (integer keys).
std::vector<Tick> Ticks(KeyType kt, int64_t lo, int64_t hi, const date::time_zone* zone) {
  std::vector<Tick> out;
  if (IsIntegerKey(kt)) {
    const double raw = std::max(1.0, static_cast<double>(hi - lo) / (kMaxTicks - 2));
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    int64_t step = 1;
    for (double f : {1.0, 2.0, 5.0, 10.0}) {
      if (f * mag >= raw) {
        step = std::max<int64_t>(1, static_cast<int64_t>(f * mag));
        break;
      }
    }
    int64_t first = lo / step * step;
    if (first < lo) first += step;
    for (int64_t v = first; v <= hi; v += step) out.push_back({v, std::to_string(v)});
    return out;
  }
  struct Choice {
    Unit unit;
    int64_t count;
  };
  static constexpr Choice kChoices[] = {
      {Unit::kHour, 1},  {Unit::kHour, 3},  {Unit::kHour, 6},  {Unit::kHour, 12},
      {Unit::kDay, 1},   {Unit::kDay, 2},   {Unit::kDay, 7},   {Unit::kDay, 14},
      {Unit::kMonth, 1}, {Unit::kMonth, 2}, {Unit::kMonth, 3}, {Unit::kMonth, 6},
      {Unit::kYear, 1},  {Unit::kYear, 2},  {Unit::kYear, 5},  {Unit::kYear, 10},
      {Unit::kYear, 25}, {Unit::kYear, 100}};
  for (const Choice& c : kChoices) {
    std::string error;
    auto grid = Grid::Make(kt, Interval{c.count, c.unit}, zone, &error);
    if (!grid) continue;  // hours on a date key
    int64_t first = grid->IndexOf(lo);
    if (grid->Lower(first) < lo) ++first;
    const int64_t last = grid->IndexOf(hi);
    if (last - first + 1 > kMaxTicks) continue;
    for (int64_t i = first; i <= last; ++i) {
      const NameFields f = grid->Fields(i);
      char buf[32];
      if (c.unit == Unit::kYear) {
        std::snprintf(buf, sizeof buf, "%04d", f.year);
      } else if (c.unit == Unit::kMonth) {
        std::snprintf(buf, sizeof buf, "%04d-%02d", f.year, f.month);
      } else if (c.unit == Unit::kDay) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", f.year, f.month, f.day);
      } else {
        std::snprintf(buf, sizeof buf, "%02d-%02d %02d:00", f.month, f.day, f.hour);
      }
      out.push_back({grid->Lower(i), buf});
    }
    return out;
  }
  return out;
}

// What the status says about one partition, for its classes and its <title>.
struct Marks {
  const HeldPartition* held = nullptr;
  const OverduePartition* overdue = nullptr;
  bool blocked = false;
};

Marks MarksOf(const TableStatus& t, const Child& c) {
  Marks m;
  const std::string label = ChildLabel(t.table, c.name);
  for (const HeldPartition& h : t.held) {
    if (h.partition == label || h.partition == c.name.Text()) m.held = &h;
  }
  for (const OverduePartition& o : t.overdue) {
    if (o.partition == label || o.partition == c.name.Text()) m.overdue = &o;
  }
  for (const BlockedStep& b : t.blocked) {
    if (b.partition == label || b.partition == c.name.Text()) m.blocked = true;
  }
  return m;
}

// A bar (or hash cell) with its classes and tooltip.
std::string PartitionRect(const std::string& classes, const std::string& label, double x,
                          double y, double w, double h, const std::string& title) {
  return "<rect class=\"" + classes + "\" data-partition=\"" + HtmlEscape(label) + "\" x=\"" +
         Num(x) + "\" y=\"" + Num(y) + "\" width=\"" + Num(std::max(1.0, w)) + "\" height=\"" +
         Num(h) + "\"><title>" + HtmlEscape(title) + "</title></rect>\n";
}

std::string SvgOpen(const TableStatus& t, int height) {
  // No width/height attributes: the stylesheet stretches it over the card, the viewBox keeps
  // the proportions.
  return "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
         std::to_string(kSvgWidth) + " " + std::to_string(height) +
         "\" role=\"img\" aria-label=\"partitions of " + HtmlEscape(t.table.Text()) + "\">\n";
}

// Hash tables have no axis: one cell per remainder, as tall as its size.
std::string HashStrip(const TableStatus& t, const Table& table) {
  std::vector<const Child*> cells;
  for (const Child& c : table.children) {
    if (c.bound_kind == BoundKind::kHash) cells.push_back(&c);
  }
  std::sort(cells.begin(), cells.end(), [](const Child* a, const Child* b) {
    return std::pair(a->modulus, a->remainder) < std::pair(b->modulus, b->remainder);
  });
  constexpr int kTop = 8, kCellMax = 40, kHeight = 72;
  const bool by_bytes =
      std::any_of(cells.begin(), cells.end(), [](const Child* c) { return c->bytes > 0; });
  int64_t max_size = 1;
  for (const Child* c : cells) max_size = std::max(max_size, by_bytes ? c->bytes : c->rows_estimate);
  std::string out = SvgOpen(t, kHeight);
  const double width = static_cast<double>(kPlotRight - kPlotLeft) / std::max<size_t>(1, cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    const Child& c = *cells[i];
    const Marks m = MarksOf(t, c);
    const double h = 6 + static_cast<double>(kCellMax - 6) *
                             static_cast<double>(by_bytes ? c.bytes : c.rows_estimate) /
                             static_cast<double>(max_size);
    const double x = kPlotLeft + width * static_cast<double>(i);
    std::string classes = "partition hash";
    if (m.held) classes += " held";
    if (m.blocked) classes += " blocked";
    std::string title = ChildLabel(t.table, c.name) + ": remainder " + std::to_string(c.remainder) +
                        " of " + std::to_string(c.modulus) + ", " +
                        std::to_string(c.rows_estimate) + " rows, " + HumanBytes(c.bytes);
    if (m.held) title += "; held: " + m.held->held_by;
    out += PartitionRect(classes, ChildLabel(t.table, c.name), x + 1, kTop + kCellMax - h,
                         width - 2, h, title);
    if (width >= 36) {
      out += "<text class=\"tick\" x=\"" + Num(x + width / 2) + "\" y=\"" +
             std::to_string(kTop + kCellMax + 14) + "\" text-anchor=\"middle\">" +
             std::to_string(c.remainder) + "/" + std::to_string(c.modulus) + "</text>\n";
    }
  }
  if (cells.empty()) {
    out += "<text class=\"empty\" x=\"20\" y=\"30\">no partitions</text>\n";
  }
  return out + "</svg>\n";
}

}  // namespace

std::string ChildLabel(const QualifiedName& parent, const QualifiedName& child) {
  return child.schema == parent.schema ? child.name : child.Text();
}

std::string TimelineDefs() {
  return "<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\"><defs>"
         "<pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" "
         "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4c542\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#8a5a00\" stroke-width=\"3\"/>"
         "</pattern></defs></svg>\n";
}

std::string TimelineLegend() {
  auto swatch = [](const std::string& cls, const std::string& text) {
    return "<span class=\"legend-item\"><svg width=\"18\" height=\"12\" viewBox=\"0 0 18 12\">"
           "<rect class=\"swatch " + cls + "\" x=\"1\" y=\"1\" width=\"16\" height=\"10\"/></svg>" +
           text + "</span>";
  };
  auto line = [](const std::string& cls, const std::string& text) {
    return "<span class=\"legend-item\"><svg width=\"18\" height=\"12\" viewBox=\"0 0 18 12\">"
           "<line class=\"swatch " + cls + "\" x1=\"9\" y1=\"0\" x2=\"9\" y2=\"12\"/></svg>" +
           text + "</span>";
  };
  return "<div class=\"legend\">" + swatch("partition", "partition (height: size on disk)") +
         swatch("partition held", "held") + swatch("partition due", "due for retention") +
         swatch("partition overdue", "retention overdue") +
         swatch("partition blocked", "step blocked") + swatch("gap", "gap (no partition)") +
         swatch("default-bucket", "rows in the default partition") +
         line("cutoff", "retention cutoff") + line("horizon", "covered until") +
         line("now", "now") + "</div>\n";
}

std::string Timeline(const TableStatus& t, const Table& table, const Policy* policy,
                     int64_t now_utc_micros) {
  const KeyType kt = table.key_type;
  const bool hash = (policy && policy->strategy == Strategy::kHash) ||
                    std::any_of(table.children.begin(), table.children.end(),
                                [](const Child& c) { return c.bound_kind == BoundKind::kHash; });
  if (hash) return HashStrip(t, table);
  std::vector<const Child*> bars;
  std::vector<int64_t> points;
  for (const Child& c : table.children) {
    if (c.bound_kind != BoundKind::kRange) continue;
    bars.push_back(&c);
    if (c.from.is_value()) points.push_back(c.from.value);
    if (c.to.is_value()) points.push_back(c.to.value);
  }
  const date::time_zone* zone = FindZone(policy ? policy->time_zone : "UTC");
  if (!zone) zone = FindZone("UTC");
  std::optional<int64_t> now_key, cutoff, horizon;
  if (IsTimeKey(kt) && policy && policy->interval) {
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
  // The default partition's rows, by period when they were counted: the axis reaches them.
  std::vector<const DefaultBucket*> buckets;
  for (const DefaultBucket& b : table.default_buckets) {
    if (b.rows <= 0 || !b.from.is_value() || !b.to.is_value()) continue;
    buckets.push_back(&b);
    points.push_back(b.from.value);
    points.push_back(b.to.value);
  }
  const bool default_rows = t.partitions.has_default && t.partitions.default_rows > 0;
  Axis axis;
  std::vector<Marker> markers;
  if (!points.empty()) {
    axis.lo = *std::min_element(points.begin(), points.end());
    axis.hi = *std::max_element(points.begin(), points.end());
    if (axis.hi <= axis.lo) axis.hi = axis.lo + 1;
    auto mark = [&](const char* cls, int64_t v, const std::string& what) {
      std::string text = BoundText(kt, Bound::Value(v));
      if (IsTimeKey(kt)) text = text.substr(0, 10);  // a date says enough on a picture
      markers.push_back({cls, axis.X(v), what + text});
    };
    if (cutoff) mark("cutoff", *cutoff, "retention cutoff ");
    if (horizon) mark("horizon", *horizon, "covered until ");
    if (now_key) mark("now", *now_key, IsIntegerKey(kt) ? "max(key) " : "now ");
  }
  // Rows of labels beyond the first push the whole plot down.
  const int dy = (PlaceLabels(markers) - 1) * kLabelRow;
  const int bar_base = kBarBase + dy;
  const int height = kSvgHeight + dy + (default_rows ? kDefaultStrip : 0);
  std::string out = SvgOpen(t, height);
  if (points.empty()) {
    out += "<text class=\"empty\" x=\"20\" y=\"40\">no range partitions</text>\n";
    return out + "</svg>\n";
  }
  const bool by_bytes =
      std::any_of(bars.begin(), bars.end(), [](const Child* c) { return c->bytes > 0; });
  int64_t max_size = 1;
  for (const Child* c : bars) max_size = std::max(max_size, by_bytes ? c->bytes : c->rows_estimate);
  // Gaps first, so that bars and lines are drawn over their edges.
  int64_t covered = 0;
  bool any = false;
  for (const Child* c : bars) {
    if (!c->from.is_value() || !c->to.is_value()) continue;
    if (any && c->from.value > covered) {
      out += "<rect class=\"gap\" x=\"" + Num(axis.X(covered)) + "\" y=\"" +
             std::to_string(bar_base - kBarMaxHeight) + "\" width=\"" +
             Num(std::max(2.0, axis.X(c->from.value) - axis.X(covered))) + "\" height=\"" +
             std::to_string(kBarMaxHeight) + "\"><title>" +
             HtmlEscape("gap: no partition for [" + BoundText(kt, Bound::Value(covered)) + ", " +
                        BoundText(kt, c->from) + ")") +
             "</title></rect>\n";
    }
    covered = any ? std::max(covered, c->to.value) : c->to.value;
    any = true;
  }
  out += "<line class=\"axis\" x1=\"" + std::to_string(kPlotLeft) + "\" y1=\"" +
         std::to_string(bar_base) + "\" x2=\"" + std::to_string(kPlotRight) + "\" y2=\"" +
         std::to_string(bar_base) + "\"/>\n";
  for (const Tick& tick : Ticks(kt, axis.lo, axis.hi, zone)) {
    const double x = axis.X(tick.value);
    const double half = LabelWidth(tick.label) / 2;
    const char* anchor = x - half < 0 ? "start" : x + half > kSvgWidth ? "end" : "middle";
    out += "<line class=\"tickmark\" x1=\"" + Num(x) + "\" y1=\"" + std::to_string(bar_base) +
           "\" x2=\"" + Num(x) + "\" y2=\"" + std::to_string(bar_base + 5) + "\"/>\n";
    out += "<text class=\"tick\" x=\"" + Num(x) + "\" y=\"" + std::to_string(bar_base + 18) +
           "\" text-anchor=\"" + anchor + "\">" + HtmlEscape(tick.label) + "</text>\n";
  }
  for (const Child* c : bars) {
    const double x1 = c->from.is_value() ? axis.X(c->from.value) : kPlotLeft;
    const double x2 = c->to.is_value() ? axis.X(c->to.value) : kPlotRight;
    const int64_t size = by_bytes ? c->bytes : c->rows_estimate;
    const double h = kBarMinHeight + static_cast<double>(kBarMaxHeight - kBarMinHeight) *
                                         static_cast<double>(size) /
                                         static_cast<double>(max_size);
    const std::string label = ChildLabel(t.table, c->name);
    const Marks m = MarksOf(t, *c);
    // Due: its upper bound is at or before the retention cutoff (retention takes it now).
    const bool due = cutoff && c->to.is_value() && c->to.value <= *cutoff;
    std::string title = label + ": " + BoundText(kt, c->from) + " .. " + BoundText(kt, c->to) +
                        ", " + std::to_string(c->rows_estimate) + " rows, " + HumanBytes(c->bytes);
    std::string classes = "partition";
    if (due) {
      classes += " due";
      title += "; due for retention";
    }
    if (m.overdue) {
      classes += " overdue";
      title += "; retention overdue: " + m.overdue->action + " due since " + m.overdue->due_since;
    }
    if (m.blocked) {
      classes += " blocked";
      title += "; its step is blocked";
    }
    if (m.held) {
      classes += " held";
      title += "; held: " + m.held->held_by;
    }
    out += PartitionRect(classes, label, x1, bar_base - h, x2 - x1 - 1, h, title);
  }
  for (const Marker& mk : markers) out += VLine(mk, bar_base);
  if (default_rows) {
    const int y = bar_base + 24;
    if (!buckets.empty()) {
      for (const DefaultBucket* b : buckets) {
        const double x1 = axis.X(b->from.value), x2 = axis.X(b->to.value);
        out += "<rect class=\"default-bucket\" x=\"" + Num(x1) + "\" y=\"" + std::to_string(y) +
               "\" width=\"" + Num(std::max(3.0, x2 - x1 - 1)) + "\" height=\"8\"><title>" +
               HtmlEscape(std::to_string(b->rows) + " rows in the default partition in [" +
                          BoundText(kt, b->from) + ", " + BoundText(kt, b->to) + ")") +
               "</title></rect>\n";
      }
    }
    // The count: after the last counted period if it fits, else before the first; at the left
    // when the periods were not counted.
    const std::string text = "default partition: " + std::to_string(t.partitions.default_rows) +
                             " rows" + (buckets.empty() ? " (periods not counted)" : "");
    const double width = LabelWidth(text);
    double x = kPlotLeft;
    bool end = false;
    if (!buckets.empty()) {
      const double after = axis.X(buckets.back()->to.value) + 4;
      const double before = axis.X(buckets.front()->from.value) - 4;
      if (after + width <= kSvgWidth) {
        x = after;
      } else if (before - width >= 0) {
        x = before;
        end = true;
      }
    }
    out += "<text class=\"default-label\" x=\"" + Num(x) + "\" y=\"" + std::to_string(y + 8) +
           "\"" + (end ? " text-anchor=\"end\"" : "") + ">" + HtmlEscape(text) + "</text>\n";
  }
  return out + "</svg>\n";
}

}  // namespace pgpart::render_internal
