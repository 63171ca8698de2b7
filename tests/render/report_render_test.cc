// Report renderers: golden HTML/Markdown, the SVG timeline's elements (bars, held marks, cutoff,
// horizon, default-rows badge), HTML escaping of hostile names, integer-keyed axes.

#include <gtest/gtest.h>

#include <string>

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
  size_t start = html.find("<section class=\"table\" data-table=\"" + data_table + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

TEST(ReportRender, HtmlGolden) { ExpectGolden("report.html", Html(MakeDemo())); }

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
  EXPECT_EQ(Count(sensor, "<rect class=\"partition held\""), ts->held.size());
  EXPECT_NE(sensor.find("class=\"partition held\" data-partition=\"sensor_readings_y2024m03\""),
            std::string::npos);
  EXPECT_NE(sensor.find("Legal &lt;hold&gt; &amp; &#39;LH&#39;"), std::string::npos);
  EXPECT_EQ(Count(sensor, "<line class=\"cutoff\""), 1u);
  EXPECT_EQ(Count(sensor, "<line class=\"horizon\""), 1u);
  EXPECT_NE(sensor.find("retention cutoff 2024-05-15T06:00:00Z"), std::string::npos);
  EXPECT_EQ(sensor.find("default-rows"), std::string::npos);
}

TEST(ReportRender, HostileNamesEscapedAndDefaultRowsFlagged) {
  std::string html = Html(MakeDemo());
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("ird&\""), std::string::npos);
  std::string odd = Section(html, "app.&lt;b&gt;we&quot;ird&amp;");
  ASSERT_FALSE(odd.empty());
  EXPECT_NE(odd.find("<g class=\"default-rows\">"), std::string::npos);
  EXPECT_NE(odd.find("default: 7 rows"), std::string::npos);
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
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(ReportRender, HtmlEscape) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace pgpart
