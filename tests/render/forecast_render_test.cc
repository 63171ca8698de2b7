// Golden files for the forecast renderers over demo-like scenarios and a hostile one, and the
// Markdown through a real GFM renderer (cmark-gfm).
// Regenerate with: PGPART_UPDATE_GOLDEN=1 ./tests/render_test (then review the diff).

#include "render/forecast_render.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../plan/plan_fixture.h"
#include "golden_fixture.h"
#include "plan/forecast.h"

namespace pgpart {
namespace {

using namespace ::pgpart::testing;

constexpr char kDemo[] = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: sensor-readings}
spec:
  tables: [public.sensor_readings]
  interval: 1 month
  premake: 3
  retention: {keep: 24 months}
  backupGate: {kind: pgbackrest, stanza: main}
  holds:
    - partition: sensor_readings_y2025m01
      reason: "Legal hold LH-1142"
      until: 2027-04-15
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: payments}
spec:
  tables: [transactions]
  interval: 1 month
  premake: 2
  retention: {keep: 12 months, action: detach}
---
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: events}
spec:
  tables: [events]
  interval: 1000000
  premake: 1
)";

Forecast DemoForecast() {
  Table sensor = RangeTable("sensor_readings", "recorded_at", KeyType::kTimestampTz);
  AddMonths(sensor, "2024-11", 27);  // .. 2027-01
  Table tx = RangeTable("transactions", "created_at", KeyType::kTimestampTz);
  AddMonths(tx, "2025-10", 14);  // .. 2026-11
  Table events = RangeTable("events", "id", KeyType::kBigInt);
  AddChild(events, "events_p0", "0", "1000000");
  AddChild(events, "events_p1000000", "1000000", "2000000");
  events.max_key = 1'500'000;
  return ComputeForecast(Policies(kDemo), CatalogOf({sensor, tx, events}),
                         At("2026-11-21T12:00:00Z"), At("2027-05-01T00:00:00Z"));
}

constexpr char kHostile[] = R"(
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: hostile}
spec:
  tables: ["\"Odd | <b>Schema</b>\e[2J\nFAKE\u009b\".\"a_very_long_table_name_with_*stars*_and_|pipes|_x\""]
  interval: 1 week
  timeZone: Europe/Berlin
  premake: 4
  retention: {keep: 6 weeks}
)";

Forecast HostileForecast() {
  // The schema holds an ESC sequence, a newline and a C1 CSI (U+009B), as in kHostile.
  Table t = RangeTable(
      "\"Odd | <b>Schema</b>\x1b[2J\nFAKE\xC2\x9B\"."
      "\"a_very_long_table_name_with_*stars*_and_|pipes|_x\"",
      "ts", KeyType::kTimestampTz);
  return ComputeForecast(Policies(kHostile), CatalogOf({t}), At("2026-03-20T12:00:00Z"),
                         At("2026-05-01T00:00:00Z"));
}

TEST(ForecastRender, TextGolden) {
  ExpectGolden("forecast.txt", RenderForecastText(DemoForecast()));
}
TEST(ForecastRender, JsonGolden) {
  ExpectGolden("forecast.json", RenderForecastJson(DemoForecast()));
}
TEST(ForecastRender, MarkdownGolden) {
  ExpectGolden("forecast.md", RenderForecastMarkdown(DemoForecast()));
}
TEST(ForecastRender, HostileGolden) {
  ExpectGolden("forecast_hostile.txt", RenderForecastText(HostileForecast()));
  ExpectGolden("forecast_hostile.md", RenderForecastMarkdown(HostileForecast()));
}

// Issue 11 item 9: the name's newline, ESC and C1 CSI come out escaped: no line starts with the
// injected "FAKE", and the only control character is the renderer's own line end.
TEST(ForecastRender, ControlCharactersInNamesAreEscaped) {
  const Forecast f = HostileForecast();
  ASSERT_FALSE(f.events.empty());
  for (const std::string& out : {RenderForecastText(f), RenderForecastMarkdown(f)}) {
    EXPECT_EQ(out.find("\nFAKE"), std::string::npos) << out;
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
    EXPECT_EQ(out.find("\xC2\x9B"), std::string::npos) << out;
    EXPECT_NE(out.find("FAKE"), std::string::npos) << out;
  }
}

TEST(ForecastRender, TextShowsTheCalendar) {
  std::string text = RenderForecastText(DemoForecast());
  // The date starts the line of the first step due that day.
  size_t day = text.find("\n2027-04-01 ");
  ASSERT_NE(day, std::string::npos) << text;
  std::string line = text.substr(day + 1, text.find('\n', day + 1) - day - 1);
  EXPECT_NE(line.find(" - drop public.sensor_readings_y2025m03"), std::string::npos) << line;
  EXPECT_NE(text.find("! held drop public.sensor_readings_y2025m01"), std::string::npos) << text;
  EXPECT_NE(text.find("Not forecast: public.events (policy events): integer key"),
            std::string::npos);
  EXPECT_NE(text.find("backup gate pgbackrest checked before each drop"), std::string::npos);
}

TEST(ForecastRender, JsonHasStableKeysAndCounts) {
  Forecast f = DemoForecast();
  auto j = nlohmann::json::parse(RenderForecastJson(f));
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["at"], "2026-11-21T12:00:00Z");
  EXPECT_EQ(j["until"], "2027-05-01T00:00:00Z");
  ASSERT_EQ(j["events"].size(), f.events.size());
  size_t steps = 0;
  for (const auto& e : j["events"]) steps += e["steps"].size();
  const auto& s = j["summary"];
  EXPECT_EQ(steps, s["create"].get<size_t>() + s["detach"].get<size_t>() + s["drop"].get<size_t>() +
                       s["held"].get<size_t>() + s["archive"].get<size_t>() +
                       s["drain"].get<size_t>() + s["blocked"].get<size_t>());
  ASSERT_EQ(j["not_forecast"].size(), 1u);
  EXPECT_EQ(j["not_forecast"][0]["table"], "public.events");
}

// Markdown -> HTML with cmark-gfm; fails the test when cmark-gfm is missing.
std::string ToHtml(const std::string& markdown) {
  char path[] = "/tmp/pgpart_fc_md_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  if (fd < 0) return "";
  close(fd);
  std::ofstream(path, std::ios::binary) << markdown;
  std::string cmd = std::string("cmark-gfm --unsafe -e table ") + path + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string html;
  if (pipe != nullptr) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) html.append(buf, n);
    int status = pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << html;
  }
  unlink(path);
  return html;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(ForecastRender, MarkdownTableSurvivesARealRenderer) {
  for (const Forecast& f : {DemoForecast(), HostileForecast()}) {
    size_t rows = 0;
    for (const ForecastEvent& e : f.events) rows += e.steps.size() + e.notes.size();
    ASSERT_GT(rows, 5u);
    std::string html = ToHtml(RenderForecastMarkdown(f));
    EXPECT_EQ(Count(html, "<table>"), 1u) << html;
    EXPECT_EQ(Count(html, "<tr>"), rows + 1) << html;  // + the header row
    EXPECT_EQ(Count(html, "<td>"), rows * 5) << html;  // no cell split by a '|'
    EXPECT_EQ(Count(html, "<b>"), 0u) << html;         // no markup injected by names
    EXPECT_EQ(Count(html, "<em>"), 0u) << html;
  }
}

}  // namespace
}  // namespace pgpart
