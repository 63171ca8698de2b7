// Report renderers: golden HTML/Markdown, the SVG timeline's elements (bars, held marks, cutoff,
// horizon, default-rows badge), the marker labels' layout (inside the SVG, not overlapping), HTML
// escaping of hostile names, integer-keyed axes.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "../plan/plan_fixture.h"
#include "golden_fixture.h"
#include "plan/planner.h"
#include "render/report_render.h"

namespace pgpart {
namespace {

using ::pgpart::testing::AddChild;
using ::pgpart::testing::AddDefault;
using ::pgpart::testing::AddMonths;
using ::pgpart::testing::At;
using ::pgpart::testing::CatalogOf;
using ::pgpart::testing::ExpectGolden;
using ::pgpart::testing::Policies;
using ::pgpart::testing::RangeTable;

struct Demo {
  std::vector<Policy> policies;
  Catalog catalog;
  int64_t now = 0;
  Status status;
};

// A gated monthly table with a hold and 24 months retention, a hostile-named table with rows in
// its default, an integer-keyed table, and a missing table.
Demo MakeDemo() {
  std::string yaml =
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: sensor}\n"
      "spec:\n  tables: [public.sensor_readings]\n  interval: 1 month\n  premake: 3\n"
      "  retention: {keep: 24 months}\n  backupGate: {kind: pgbackrest, stanza: main}\n"
      "  holds:\n    - {partition: sensor_readings_y2024m03, reason: \"Legal <hold> & 'LH'\", "
      "until: 2027-01-01}\n"
      "---\napiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: odd}\n"
      "spec:\n  tables: ['app.\"<b>we\"\"ird&\"', app.gone]\n  interval: 1 month\n"
      "  defaultPartition: true\n"
      "---\napiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ids}\n"
      "spec:\n  tables: [public.events]\n  interval: 1000\n  premake: 2\n"
      "  retention: {keep: 2000}\n";
  Demo d;
  Table sensor = RangeTable("public.sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(sensor, "2024-03", 34);
  for (size_t i = 0; i < sensor.children.size(); ++i) {
    sensor.children[i].bytes = 8192 * static_cast<int64_t>(i + 1);
  }
  // What retention action detach/archive left behind (Table::detached): one archived with its
  // audit row, one whose marker was copied onto a table with another oid.
  {
    Child archived;
    archived.name = {"archive", "sensor_readings_y2023m01"};
    archived.from = *ParseBoundText(KeyType::kTimestampTz, "2023-01-01T00:00:00Z");
    archived.to = *ParseBoundText(KeyType::kTimestampTz, "2023-02-01T00:00:00Z");
    archived.oid = archived.marker_oid = 16000;
    archived.rows_estimate = 1200;
    archived.bytes = 3 * 8192;
    archived.detached_at_micros = At("2025-02-03T02:00:00Z");
    Child copy = archived;
    copy.name = {"public", "sensor_readings_y2023m02"};
    copy.from = archived.to;
    copy.to = *ParseBoundText(KeyType::kTimestampTz, "2023-03-01T00:00:00Z");
    copy.oid = 17000;
    copy.detached_at_micros = 0;
    sensor.detached = {archived, copy};
  }
  Table odd = RangeTable("app.\"<b>we\"\"ird&\"", "at", KeyType::kTimestampTz);
  AddMonths(odd, "2026-04", 2);
  AddDefault(odd, 7);
  Table events = RangeTable("public.events", "id", KeyType::kBigInt);
  for (int i = 0; i < 5; ++i) {
    AddChild(events, "events_p" + std::to_string(i * 1000), std::to_string(i * 1000),
             std::to_string((i + 1) * 1000), 100 * (i + 1));
  }
  events.max_key = 3500;
  d.policies = Policies(yaml);
  d.catalog = CatalogOf({sensor, odd, events});
  d.now = At("2026-05-15T06:00:00Z");
  d.status = ComputeStatus(d.policies, d.catalog, ComputePlan(d.policies, d.catalog, d.now), d.now);
  return d;
}

std::string Html(const Demo& d) {
  return RenderReportHtml(d.status, d.policies, d.catalog, d.now);
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The <section> of one table (by its escaped data-table attribute).
std::string Section(const std::string& html, const std::string& data_table) {
  const size_t at = html.find("\" data-table=\"" + data_table + "\">\n<h2>");
  if (at == std::string::npos) return "";
  const size_t start = html.rfind("<section", at);
  return html.substr(start, html.find("</section>", start) - start);
}

// One <text> of a timeline, parsed back from the HTML, with its estimated horizontal extent.
struct SvgText {
  std::string cls, text;
  double x = 0, y = 0, left = 0, right = 0;
};

// One <svg class="timeline">: its size, texts and marker lines (x, y1).
struct Svg {
  double width = 0, height = 0;
  std::vector<SvgText> texts;
  std::vector<std::pair<double, double>> marker_lines;
  double bars_top = 1e9;  // the smallest y of any rect.partition
};

std::string Attr(const std::string& tag, const std::string& name) {
  size_t at = tag.find(" " + name + "=\"");
  if (at == std::string::npos) return "";
  at += name.size() + 3;
  return tag.substr(at, tag.find('"', at) - at);
}

// Characters of escaped HTML text: an entity counts as one.
size_t TextChars(const std::string& escaped) {
  size_t n = 0;
  for (size_t i = 0; i < escaped.size(); ++i, ++n) {
    if (escaped[i] == '&') i = escaped.find(';', i);
  }
  return n;
}

// Widths are estimated conservatively (wider than DejaVu Sans or Liberation Sans on average):
// 6.5 px a character for the 10px marker labels, 7.2 for the 11px rest.
std::vector<Svg> Timelines(const std::string& html) {
  std::vector<Svg> out;
  for (size_t pos = html.find("<svg class=\"timeline\""); pos != std::string::npos;
       pos = html.find("<svg class=\"timeline\"", pos + 1)) {
    const std::string svg = html.substr(pos, html.find("</svg>", pos) - pos);
    Svg s;
    const std::string head = svg.substr(0, svg.find('>'));
    // The viewBox is the drawing's extent (the stylesheet scales it to the card's width).
    std::istringstream box(Attr(head, "viewBox"));
    double x0 = -1, y0 = -1;
    box >> x0 >> y0 >> s.width >> s.height;
    EXPECT_EQ(x0, 0);
    EXPECT_EQ(y0, 0);
    EXPECT_GT(s.width, 0);
    EXPECT_GT(s.height, 0);
    for (size_t t = svg.find("<text"); t != std::string::npos; t = svg.find("<text", t + 1)) {
      const size_t close = svg.find('>', t);
      const std::string tag = svg.substr(t, close - t);
      SvgText text;
      text.cls = Attr(tag, "class");
      text.text = svg.substr(close + 1, svg.find("</text>", close) - close - 1);
      text.x = std::atof(Attr(tag, "x").c_str());
      text.y = std::atof(Attr(tag, "y").c_str());
      const bool mark = text.cls.rfind("mark-label", 0) == 0;
      const double width = static_cast<double>(TextChars(text.text)) * (mark ? 6.5 : 7.2);
      const std::string anchor = Attr(tag, "text-anchor");
      text.left = anchor == "end"      ? text.x - width
                  : anchor == "middle" ? text.x - width / 2
                                       : text.x;
      text.right = text.left + width;
      s.texts.push_back(text);
    }
    for (size_t l = svg.find("<line class=\""); l != std::string::npos;
         l = svg.find("<line class=\"", l + 1)) {
      const std::string tag = svg.substr(l, svg.find('>', l) - l);
      const std::string cls = Attr(tag, "class");
      if (cls == "cutoff" || cls == "horizon" || cls == "now") {
        s.marker_lines.push_back(
            {std::atof(Attr(tag, "x1").c_str()), std::atof(Attr(tag, "y1").c_str())});
      }
    }
    for (size_t r = svg.find("<rect class=\"partition"); r != std::string::npos;
         r = svg.find("<rect class=\"partition", r + 1)) {
      const std::string tag = svg.substr(r, svg.find('>', r) - r);
      s.bars_top = std::min(s.bars_top, std::atof(Attr(tag, "y").c_str()));
    }
    out.push_back(s);
  }
  return out;
}

// Every text inside the SVG; marker labels on one row (one y) apart, not crossed by another
// marker's line, and above the bars. Returns the number of label rows of the busiest timeline.
size_t ExpectLabelsLaidOut(const std::string& html) {
  size_t rows = 0;
  std::vector<Svg> svgs = Timelines(html);
  EXPECT_FALSE(svgs.empty());
  for (const Svg& s : svgs) {
    std::vector<const SvgText*> labels;
    for (const SvgText& t : s.texts) {
      EXPECT_GE(t.left, 0) << t.text;
      EXPECT_LE(t.right, s.width) << t.text;
      EXPECT_GT(t.y, 10) << t.text;  // room for the glyphs above the baseline
      EXPECT_LE(t.y + 3, s.height) << t.text;
      if (t.cls.rfind("mark-label", 0) == 0) labels.push_back(&t);
    }
    std::vector<double> ys;
    for (const SvgText* a : labels) {
      EXPECT_LT(a->y + 4, s.bars_top) << a->text;
      if (std::find(ys.begin(), ys.end(), a->y) == ys.end()) ys.push_back(a->y);
      for (const SvgText* b : labels) {
        if (a == b || a->y != b->y) continue;
        EXPECT_TRUE(a->right <= b->left || b->right <= a->left)
            << "'" << a->text << "' [" << a->left << ", " << a->right << "] overlaps '" << b->text
            << "' [" << b->left << ", " << b->right << "] at y=" << a->y;
      }
      for (const auto& [x, y1] : s.marker_lines) {
        EXPECT_FALSE(y1 < a->y && x > a->left && x < a->right)
            << "the line at x=" << x << " from y=" << y1 << " crosses '" << a->text << "'";
      }
    }
    rows = std::max(rows, ys.size());
  }
  return rows;
}

// One monthly table from `first` for `months`, with `keep` retention, at 2026-05-15.
std::string CrowdedHtml(const std::string& first, int months, const std::string& keep) {
  const std::string yaml =
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: m}\n"
      "spec:\n  tables: [public.m]\n  interval: 1 month\n  premake: 1\n"
      "  retention: {keep: " + keep + "}\n";
  std::vector<Policy> policies = Policies(yaml);
  Table m = RangeTable("public.m", "at", KeyType::kTimestampTz);
  AddMonths(m, first, months);
  Catalog catalog = CatalogOf({m});
  int64_t now = At("2026-05-15T06:00:00Z");
  Status status = ComputeStatus(policies, catalog, ComputePlan(policies, catalog, now), now);
  return RenderReportHtml(status, policies, catalog, now);
}

TEST(ReportRender, HtmlGolden) { ExpectGolden("report.html", Html(MakeDemo())); }

TEST(ReportRender, MarkerLabelsStayInsideTheSvg) {
  // The horizon sits on the right edge of every demo timeline: its label must turn left.
  std::string html = Html(MakeDemo());
  ExpectLabelsLaidOut(html);
  EXPECT_NE(html.find("text-anchor=\"end\">covered until 2027-01-01</text>"),
            std::string::npos);
}

TEST(ReportRender, CrowdedMarkerLabelsGoOnSeparateRows) {
  // Cutoff, now and horizon within the last 100 px: every label turns left and each needs a row
  // of its own (the horizon's label spans the others' lines, so it goes on top).
  std::string html = CrowdedHtml("2024-06", 24, "2 months");
  EXPECT_EQ(ExpectLabelsLaidOut(html), 3u);
  EXPECT_NE(html.find("viewBox=\"0 0 960 166\""), std::string::npos);
  // The old layout put them all on y=12; the plot moves down by the two extra rows (13 px each).
  EXPECT_NE(html.find("<line class=\"axis\" x1=\"20\" y1=\"136\""), std::string::npos);
}

TEST(ReportRender, NearbyMarkerLabelsMidAxisDoNotOverlap) {
  // Partitions a year ahead: the cutoff and now are a month apart in the middle of the axis.
  // (Dates without the time of day: short enough to share the top row without overlapping.)
  std::string html = CrowdedHtml("2024-06", 36, "1 month");
  EXPECT_EQ(ExpectLabelsLaidOut(html), 1u);
}

TEST(ReportRender, FarApartMarkerLabelsShareTheTopRow) {
  std::string html = CrowdedHtml("2024-06", 36, "18 months");
  EXPECT_EQ(ExpectLabelsLaidOut(html), 1u);
  EXPECT_NE(html.find("viewBox=\"0 0 960 140\""), std::string::npos);
}

TEST(ReportRender, MarkdownGolden) {
  ExpectGolden("report.md", RenderReportMarkdown(MakeDemo().status));
}

TEST(ReportRender, OneBarPerPartitionAndHeldMarked) {
  Demo d = MakeDemo();
  std::string sensor = Section(Html(d), "public.sensor_readings");
  ASSERT_FALSE(sensor.empty());
  const Table* t = d.catalog.Find({"public", "sensor_readings"});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(Count(sensor, "<rect class=\"partition"), t->children.size());
  const TableStatus* ts = nullptr;
  for (const TableStatus& x : d.status.tables) {
    if (x.table == t->name) ts = &x;
  }
  ASSERT_NE(ts, nullptr);
  ASSERT_EQ(ts->held.size(), 1u);
  EXPECT_EQ(Count(sensor, " held\" data-partition="), ts->held.size());
  EXPECT_NE(sensor.find(" held\" data-partition=\"sensor_readings_y2024m03\""), std::string::npos);
  EXPECT_NE(sensor.find("Legal &lt;hold&gt; &amp; &#39;LH&#39;"), std::string::npos);
  EXPECT_EQ(Count(sensor, "<line class=\"cutoff\""), 1u);
  EXPECT_EQ(Count(sensor, "<line class=\"horizon\""), 1u);
  EXPECT_NE(sensor.find("retention cutoff 2024-05-15"), std::string::npos);
  EXPECT_EQ(sensor.find("default-label"), std::string::npos);
}

TEST(ReportRender, HostileNamesEscapedAndDefaultRowsFlagged) {
  std::string html = Html(MakeDemo());
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("ird&\""), std::string::npos);
  std::string odd = Section(html, "app.&lt;b&gt;we&quot;ird&amp;");
  ASSERT_FALSE(odd.empty());
  EXPECT_NE(odd.find("<text class=\"default-label\""), std::string::npos);
  EXPECT_NE(odd.find("default partition: 7 rows"), std::string::npos);
  EXPECT_EQ(odd.find("class=\"cutoff\""), std::string::npos);  // no retention
  EXPECT_EQ(Count(odd, "<rect class=\"partition"), 2u);
}

TEST(ReportRender, IntegerKeysUseAKeyAxis) {
  std::string ev = Section(Html(MakeDemo()), "public.events");
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(Count(ev, "<rect class=\"partition"), 5u);
  EXPECT_NE(ev.find("retention cutoff 1500"), std::string::npos);  // max(key) 3500 - 2000
  EXPECT_NE(ev.find("max(key) 3500"), std::string::npos);
  EXPECT_NE(ev.find(">0</text>"), std::string::npos);
  EXPECT_NE(ev.find(">5000</text>"), std::string::npos);
}

TEST(ReportRender, MissingTableHasNoTimeline) {
  std::string gone = Section(Html(MakeDemo()), "app.gone");
  ASSERT_FALSE(gone.empty());
  EXPECT_EQ(gone.find("<svg"), std::string::npos);
  EXPECT_NE(gone.find("does not exist"), std::string::npos);
}

TEST(ReportRender, SelfContained) {
  std::string html = Html(MakeDemo());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // Links only within the page (the summary table to the cards).
  for (size_t at = html.find("href=\""); at != std::string::npos; at = html.find("href=\"", at + 1)) {
    EXPECT_EQ(html.compare(at, 13, "href=\"#table-"), 0) << html.substr(at, 40);
  }
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

// One healthy monthly table at 2026-05-15 (March 2024 .. January 2027, keep 24 months, the drop
// of March 2024 due since 2026-04-01), read from the database with its history.
Demo Visible(std::vector<RecordedOutcome> history, const std::string& holds) {
  Demo d;
  d.policies = Policies(
      "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: m}\n"
      "spec:\n  tables: [public.m]\n  interval: 1 month\n  premake: 3\n"
      "  retention: {keep: 24 months}\n  backupGate: {kind: sql, query: \"select false\"}\n" +
      holds);
  Table m = RangeTable("public.m", "at", KeyType::kTimestampTz);
  AddMonths(m, "2024-04", 34);
  m.history = std::move(history);
  d.catalog = CatalogOf({m});
  d.catalog.history = HistoryState::kRead;
  d.now = At("2026-05-15T06:00:00Z");
  // A grace longer than April 2024's 14 days due: only what the history says can make it amber.
  d.status = ComputeStatus(d.policies, d.catalog, ComputePlan(d.policies, d.catalog, d.now),
                           d.now, StatusOptions{30LL * 24 * 3600 * 1'000'000});
  return d;
}

TEST(ReportRender, DropBlockedByTheLastApplyIsNotGreen) {
  std::string ok = Html(Visible({}, ""));
  EXPECT_NE(ok.find("class=\"health health-ok\" id=\"overall-health\""), std::string::npos);

  std::string html = Html(Visible({RecordedOutcome{{"public", "m_y2024m04"}, "drop", "blocked",
                                                   "backup gate: the query returned false",
                                                   At("2026-05-15T03:00:00Z")}},
                                  ""));
  EXPECT_NE(html.find("class=\"health health-warning\" id=\"overall-health\""),
            std::string::npos);
  EXPECT_EQ(html.find("class=\"health health-ok\""), std::string::npos);
  EXPECT_NE(html.find("<ul class=\"blocked\">\n<li>drop m_y2024m04: backup gate: the query "
                      "returned false (apply at 2026-05-15T03:00:00Z: blocked)</li>"),
            std::string::npos)
      << html;
}

TEST(ReportRender, OverdueRetentionIsMarkedAndNotGreen) {
  Demo d = Visible({}, "");
  d.status = ComputeStatus(d.policies, d.catalog, ComputePlan(d.policies, d.catalog, d.now),
                           d.now);  // the default grace, 1 day: April 2024 is 14 days overdue
  std::string html = Html(d);
  EXPECT_NE(html.find("class=\"health health-warning\" id=\"overall-health\""),
            std::string::npos);
  // Past the cutoff (due) and past it by more than the grace (overdue).
  EXPECT_NE(html.find("<rect class=\"partition due overdue\" data-partition=\"m_y2024m04\""),
            std::string::npos);
  EXPECT_EQ(Count(html, " overdue\" data-partition"), 1u);
  EXPECT_NE(html.find("<ul class=\"overdue\">\n<li>drop m_y2024m04 (due since "
                      "2026-05-01T00:00:00Z)</li>"),
            std::string::npos);
  const std::string md = RenderReportMarkdown(d.status);
  EXPECT_NE(md.find("- Retention overdue: drop m\\_y2024m04 (due since 2026-05-01T00:00:00Z)"),
            std::string::npos)
      << md;
}

TEST(ReportRender, HtmlEscape) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

// Issue 15: the report's pictures, as the reader needs them.
Table* Mutable(Demo& d, const std::string& schema, const std::string& name) {
  for (Table& t : d.catalog.tables) {
    if (t.name.schema == schema && t.name.name == name) return &t;
  }
  return nullptr;
}

TEST(ReportRender, SummaryTableFirstWithARowPerTableLinkingToItsCard) {
  Demo d = MakeDemo();
  const std::string html = Html(d);
  const size_t summary = html.find("<table class=\"summary\">");
  ASSERT_NE(summary, std::string::npos);
  EXPECT_LT(summary, html.find("<section"));
  EXPECT_EQ(Count(html, "<tr data-table="), d.status.tables.size());
  for (size_t i = 1; i <= d.status.tables.size(); ++i) {
    const std::string id = "table-" + std::to_string(i);
    EXPECT_NE(html.find("href=\"#" + id + "\""), std::string::npos) << id;
    EXPECT_NE(html.find("<section class=\"table\" id=\"" + id + "\""), std::string::npos) << id;
  }
  // The missing table's problem is in its row.
  const size_t gone = html.find("<tr data-table=\"app.gone\">");
  ASSERT_NE(gone, std::string::npos);
  EXPECT_NE(html.substr(gone, html.find("</tr>", gone) - gone).find("table does not exist"),
            std::string::npos);
}

TEST(ReportRender, TimeTicksFallOnCalendarBoundariesWithoutTimesOfDay) {
  const std::string sensor = Section(Html(MakeDemo()), "public.sensor_readings");
  ASSERT_FALSE(sensor.empty());
  const std::regex month("\\d{4}(-\\d{2})?");
  int ticks = 0;
  for (size_t at = sensor.find("<text class=\"tick\""); at != std::string::npos;
       at = sensor.find("<text class=\"tick\"", at + 1)) {
    const size_t open = sensor.find('>', at) + 1;
    const std::string label = sensor.substr(open, sensor.find("</text>", open) - open);
    EXPECT_TRUE(std::regex_match(label, month)) << label;  // was 2024-11-15, 2026-04-17
    ++ticks;
  }
  EXPECT_GE(ticks, 3);
  EXPECT_LE(ticks, 8);
  EXPECT_EQ(sensor.find("T06:00:00Z</text>"), std::string::npos) << "a label to the second";
}

TEST(ReportRender, AGapBetweenPartitionsIsMarked) {
  Demo d = MakeDemo();
  Table* t = Mutable(d, "public", "sensor_readings");
  ASSERT_NE(t, nullptr);
  ASSERT_GT(t->children.size(), 12u);
  const std::string missing = t->children[10].name.name;
  t->children.erase(t->children.begin() + 10);
  const std::string sensor = Section(Html(d), "public.sensor_readings");
  EXPECT_EQ(Count(sensor, "<rect class=\"gap\""), 1u) << missing;
  EXPECT_NE(sensor.find("gap: no partition for [2025-01-01T00:00:00Z, 2025-02-01T00:00:00Z)"),
            std::string::npos)
      << missing;
  EXPECT_EQ(Count(Section(Html(MakeDemo()), "public.sensor_readings"), "<rect class=\"gap\""), 0u);
}

TEST(ReportRender, DefaultRowsAreDrawnWhereTheirPeriodsAre) {
  Demo d = MakeDemo();
  Table* t = Mutable(d, "app", "<b>we\"ird&");
  ASSERT_NE(t, nullptr);
  DefaultBucket old;
  old.from = *ParseBound(KeyType::kTimestampTz, "2024-02-01 00:00:00+00");
  old.to = *ParseBound(KeyType::kTimestampTz, "2024-03-01 00:00:00+00");
  old.rows = 7;
  t->default_buckets = {old};
  t->default_buckets_known = true;
  const std::string odd = Section(Html(d), "app.&lt;b&gt;we&quot;ird&amp;");
  const size_t bucket = odd.find("<rect class=\"default-bucket\" x=\"");
  ASSERT_NE(bucket, std::string::npos) << odd;
  const double x = std::atof(odd.c_str() + bucket + 33);
  const size_t bar = odd.find("<rect class=\"partition");
  ASSERT_NE(bar, std::string::npos);
  const double bar_x = std::atof(odd.c_str() + odd.find("x=\"", bar) + 3);
  // February 2024 is on the left, two years before the table's partitions (April 2026).
  EXPECT_LT(x + 50, bar_x) << odd;
  EXPECT_NE(odd.find("7 rows in the default partition in [2024-02-01"), std::string::npos);
}

TEST(ReportRender, HashTablesAreDrawnAsTheirRemainders) {
  Demo d = MakeDemo();
  Table* t = Mutable(d, "app", "<b>we\"ird&");
  ASSERT_NE(t, nullptr);
  Child cell = t->children.front();
  t->children.clear();
  for (int r = 0; r < 4; ++r) {
    cell.bound_kind = BoundKind::kHash;
    cell.modulus = 4;
    cell.remainder = r;
    cell.name.name = "h_p" + std::to_string(r);
    cell.bytes = 8192 * (r + 1);
    t->children.push_back(cell);
  }
  const std::string odd = Section(Html(d), "app.&lt;b&gt;we&quot;ird&amp;");
  EXPECT_EQ(Count(odd, "<rect class=\"partition hash"), 4u) << odd;
  EXPECT_NE(odd.find(">3/4</text>"), std::string::npos);
  EXPECT_EQ(odd.find("no range partitions"), std::string::npos);
  EXPECT_NE(odd.find("viewBox=\"0 0 960 72\""), std::string::npos) << "not a large empty box";
}

}  // namespace
}  // namespace pgpart
