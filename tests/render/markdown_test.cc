// The Markdown (pull-request comment) renderer: golden files for a rich, an empty, a diff and a
// hostile plan, and a check through a real GFM renderer (cmark-gfm) that the tables come out with
// the rows and columns they should, the marker survives and no raw HTML gets in.
// Regenerate goldens with: PGPART_UPDATE_GOLDEN=1 ./tests/render_test (then review the diff).

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../plan/plan_fixture.h"
#include "golden_fixture.h"
#include "plan/planner.h"
#include "render/render.h"

namespace pgpart {
namespace {

using namespace std::string_literals;

using namespace ::pgpart::testing;

Plan EmptyPlan() {
  Plan plan;
  plan.at = "2026-11-21T12:00:00Z";
  return plan;
}

Plan DiffPlan() {
  Plan plan = RichPlan();
  plan.is_diff = true;
  plan.removed_steps.push_back(plan.steps.back());
  plan.steps.pop_back();
  return plan;
}

Step MakeStep(const QualifiedName& table, const std::string& partition, Action action,
              StepStatus status, int i) {
  Step s;
  s.action = action;
  s.table = table;
  s.policy = "p|o`l<i>cy";
  s.partition = QualifiedName{table.schema, partition};
  s.from = std::to_string(i * 100);
  s.to = std::to_string((i + 1) * 100);
  s.reason = action == Action::kCreate ? Reason::kPremake : Reason::kRetention;
  s.status = status;
  if (status == StepStatus::kHeld) {
    // A newline that fakes a plan line, an ESC sequence (clear screen), a C1 CSI (U+009B).
    s.held_by = "Legal | hold <script>alert(2)</script>\nline 2\n  - drop public.fake\x1b[2J"
                "\xC2\x9B" "31m\r";
  }
  if (status == StepStatus::kBlocked) s.blocked_by = "1. looks like a `list` | <b>bold</b>";
  if (action == Action::kDrop) s.hazards = {Hazard::kDeletesData, Hazard::kBackupUnverified};
  if (action == Action::kDetach) s.hazards = {Hazard::kDetachesData};
  s.rows_estimate = action == Action::kCreate ? 0 : 1000 + i;
  std::string verb = action == Action::kCreate ? "CREATE TABLE " : "DROP TABLE ";
  s.statements.push_back(Statement{verb + s.partition.Sql(), true, 5000, 60000});
  return s;
}

// Long names full of Markdown and HTML specials, a table of 120 steps (grouped), a newline in a
// name, a hold reason and drift that try to start blocks or inject HTML.
Plan HostilePlan() {
  Plan plan;
  plan.at = "2026-11-21T12:00:00Z";
  QualifiedName evil{"sch|ema `x`", "evil ```` <script>alert(1)</script> | name"};
  TableReport report;
  report.table = evil;
  report.policy = "p|o`l<i>cy";
  report.key = "id bigint";
  report.partitions.count = 20;
  report.partitions.oldest = "0";
  report.partitions.newest = "1900";
  report.drift = {"1. looks like a list | with <b>html</b>", "- or a bullet ``` fence",
                  "title \x1b]0;pwned\x07 nul \x00 del \x7f"s};
  plan.tables.push_back(report);
  for (int i = 0; i < 100; ++i) {
    plan.steps.push_back(MakeStep(evil, "evil|part_" + std::to_string(i) + "`*_[x]",
                                  Action::kCreate, StepStatus::kPlanned, i + 20));
  }
  for (int i = 0; i < 15; ++i) {
    plan.steps.push_back(
        MakeStep(evil, "old<p" + std::to_string(i) + ">", Action::kDrop, StepStatus::kPlanned, i));
  }
  for (int i = 15; i < 18; ++i) {
    plan.steps.push_back(
        MakeStep(evil, "held&p" + std::to_string(i), Action::kDrop, StepStatus::kHeld, i));
  }
  for (int i = 18; i < 20; ++i) {
    plan.steps.push_back(MakeStep(evil, "blocked~p" + std::to_string(i) + "~", Action::kDetach,
                                  StepStatus::kBlocked, i));
  }
  QualifiedName other{"public", "two\nlines | ~~strike~~ \x1b[1A\x1b[2K"};
  TableReport small;
  small.table = other;
  small.policy = "small";
  small.key = "id bigint";
  plan.tables.push_back(small);
  plan.steps.push_back(MakeStep(other, "two\nlines_p0", Action::kCreate, StepStatus::kPlanned, 0));
  // Held: its statement is shown commented out, and the line after the newline must be too.
  plan.steps.push_back(
      MakeStep(other, "held\nDROP TABLE victim; --", Action::kDrop, StepStatus::kHeld, 1));
  plan.summary.create = 101;
  plan.summary.drop = 15;
  plan.summary.held = 4;
  plan.summary.blocked = 2;
  plan.diagnostics.push_back(
      Diagnostic{Severity::kWarning, {"pol|icy.yaml", 3, 1}, "spec", "<script>x</script> | `y`"});
  return plan;
}

MarkdownOptions Options(const std::string& id) {
  MarkdownOptions o;
  o.id = id;
  return o;
}

TEST(Markdown, RichGolden) { ExpectGolden("plan.md", RenderMarkdown(RichPlan(), Options("prod"))); }
TEST(Markdown, EmptyGolden) { ExpectGolden("plan_empty.md", RenderMarkdown(EmptyPlan())); }
TEST(Markdown, DiffGolden) {
  ExpectGolden("plan_diff.md", RenderMarkdown(DiffPlan(), Options("pr-42")));
}
TEST(Markdown, HostileGolden) {
  ExpectGolden("plan_hostile.md", RenderMarkdown(HostilePlan(), Options("pr-42 --> <script>")));
  ExpectGolden("plan_hostile.txt", RenderText(HostilePlan()));
}

// Issue 11 item 9: no name, reason or message can break a line or drive the terminal: the only
// control character in text or Markdown output is the renderer's own line end.
void ExpectNoControls(const std::string& what, const std::string& out) {
  for (size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    const bool c1 = c == 0xC2 && i + 1 < out.size() &&
                    static_cast<unsigned char>(out[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(out[i + 1]) <= 0x9F;
    ASSERT_FALSE((c < 0x20 && c != '\n') || c == 0x7F || c1)
        << what << ": control byte " << static_cast<int>(c) << " at " << i << " in:\n"
        << out.substr(i > 80 ? i - 80 : 0, 160);
  }
  // The fake plan line in the hold reason stays inside its own line.
  EXPECT_EQ(out.find("\n  - drop public.fake"), std::string::npos) << what;
}

// A held step's statement is commented out on every line, also after a newline in a name.
TEST(Markdown, HeldStatementsStayCommentedAcrossNewlinesInNames) {
  const std::string sql = RenderSql(HostilePlan());
  EXPECT_EQ(sql.find("\nDROP TABLE victim"), std::string::npos) << sql;
  EXPECT_NE(sql.find("\n-- DROP TABLE victim; --\";"), std::string::npos) << sql;
}

TEST(Markdown, ControlCharactersInNamesAndReasonsAreEscaped) {
  ExpectNoControls("text", RenderText(HostilePlan()));
  ExpectNoControls("markdown", RenderMarkdown(HostilePlan(), Options("pr-42")));
  const std::string text = RenderText(HostilePlan());
  EXPECT_NE(text.find("line 2\\n  - drop public.fake\\x1b[2J\\u009b31m\\r"), std::string::npos)
      << text;
}

// ---- through a real GFM renderer ----

// Markdown to HTML with cmark-gfm (tables on; raw HTML let through so that the marker and
// <details> are visible and any injected tag would show). Fails the test if cmark-gfm is missing.
std::string ToHtml(const std::string& markdown) {
  char path[] = "/tmp/pgpart_md_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  if (fd < 0) return "";
  close(fd);
  std::ofstream(path, std::ios::binary) << markdown;
  std::string cmd =
      std::string("cmark-gfm --unsafe -e table -e strikethrough -e autolink ") + path + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string html;
  if (pipe != nullptr) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) html.append(buf, n);
    int status = pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "cmark-gfm failed (is it installed? scripts/setup installs it): " << html;
  }
  unlink(path);
  return html;
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Each <table> as rows of cell contents (header row first).
using HtmlTable = std::vector<std::vector<std::string>>;
std::vector<HtmlTable> Tables(const std::string& html) {
  std::vector<HtmlTable> tables;
  size_t pos = 0;
  while ((pos = html.find("<table>", pos)) != std::string::npos) {
    size_t end = html.find("</table>", pos);
    std::string body = html.substr(pos, end - pos);
    HtmlTable table;
    size_t r = 0;
    while ((r = body.find("<tr>", r)) != std::string::npos) {
      size_t r_end = body.find("</tr>", r);
      std::string row = body.substr(r, r_end - r);
      std::vector<std::string> cells;
      size_t c = 0;
      while ((c = row.find("<t", c + 1)) != std::string::npos) {
        if (row.compare(c, 3, "<td") != 0 && row.compare(c, 3, "<th") != 0) continue;
        size_t open_end = row.find('>', c) + 1;
        size_t close = row.find("</t", open_end);
        cells.push_back(row.substr(open_end, close - open_end));
        c = close;
      }
      table.push_back(cells);
      r = r_end;
    }
    tables.push_back(table);
    pos = end;
  }
  return tables;
}

std::vector<const Step*> StepsOn(const Plan& plan, const QualifiedName& table) {
  std::vector<const Step*> out;
  for (const Step& s : plan.steps) {
    if (s.table == table) out.push_back(&s);
  }
  for (const Step& s : plan.removed_steps) {
    if (s.table == table) out.push_back(&s);
  }
  return out;
}

void ExpectWellFormedTable(const HtmlTable& table, size_t body_rows) {
  ASSERT_EQ(table.size(), body_rows + 1);
  for (const auto& row : table) EXPECT_EQ(row.size(), 6u);
  EXPECT_EQ(table[0][0], "Step");
  EXPECT_EQ(table[0][5], "Status");
}

void ExpectNoRawScript(const std::string& html) {
  std::string lower = html;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(lower.find("<script"), std::string::npos) << html;
  EXPECT_EQ(lower.find("<b>"), std::string::npos) << html;
  EXPECT_EQ(lower.find("<i>"), std::string::npos) << html;
}

TEST(MarkdownHtml, RichPlanTablesHaveOneRowPerStep) {
  Plan plan = RichPlan();
  std::string html = ToHtml(RenderMarkdown(plan, Options("prod")));
  EXPECT_EQ(html.rfind("<!-- pgpart plan: prod -->\n", 0), 0u) << html;
  std::vector<HtmlTable> tables = Tables(html);
  size_t k = 0;
  for (const TableReport& t : plan.tables) {
    std::vector<const Step*> steps = StepsOn(plan, t.table);
    if (steps.empty()) continue;
    ASSERT_LT(k, tables.size());
    ExpectWellFormedTable(tables[k], steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      EXPECT_EQ(tables[k][i + 1][1], HtmlEscape(steps[i]->partition.Sql()));
      EXPECT_EQ(tables[k][i + 1][5], StatusName(steps[i]->status));
    }
    ++k;
  }
  EXPECT_EQ(k, tables.size());
  EXPECT_NE(html.find("<summary>SQL</summary>"), std::string::npos);
  EXPECT_NE(html.find(HtmlEscape(RenderSql(plan))), std::string::npos) << "SQL block altered";
  ExpectNoRawScript(html);
}

TEST(MarkdownHtml, DiffPlanShowsRemovedStepsAndNoDrift) {
  Plan plan = DiffPlan();
  std::string md = RenderMarkdown(plan, Options("pr-42"));
  std::string html = ToHtml(md);
  EXPECT_NE(html.find("This change adds"), std::string::npos);
  EXPECT_NE(html.find("no longer: <code>"), std::string::npos) << html;
  for (const TableReport& t : plan.tables) {
    for (const std::string& d : t.drift) EXPECT_EQ(md.find(d), std::string::npos) << d;
  }
  size_t body_rows = 0;
  for (const HtmlTable& t : Tables(html)) body_rows += t.size() - 1;
  EXPECT_EQ(body_rows, plan.steps.size() + plan.removed_steps.size());
}

TEST(MarkdownHtml, EmptyPlanHasNoTable) {
  std::string html = ToHtml(RenderMarkdown(EmptyPlan()));
  EXPECT_TRUE(Tables(html).empty());
  EXPECT_NE(html.find("No changes. Partitions match the policies."), std::string::npos);
  EXPECT_EQ(html.rfind("<!-- pgpart plan: default -->\n", 0), 0u) << html;
}

// Runs of consecutive steps with the same action and status (the grouping rule, restated).
size_t Runs(const std::vector<const Step*>& steps) {
  size_t runs = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i == 0 || steps[i]->action != steps[i - 1]->action ||
        steps[i]->status != steps[i - 1]->status) {
      ++runs;
    }
  }
  return runs;
}

TEST(MarkdownHtml, HostilePlanStaysInItsCellsAndLongTablesAreGrouped) {
  Plan plan = HostilePlan();
  std::string html = ToHtml(RenderMarkdown(plan, Options("pr-42 --> <script>")));
  EXPECT_EQ(html.rfind("<!-- pgpart plan: pr-42-script -->\n", 0), 0u) << html;
  ExpectNoRawScript(html);
  std::vector<HtmlTable> tables = Tables(html);
  // The big table: a grouped summary, then every step in <details>; the small one as is.
  ASSERT_EQ(tables.size(), 3u) << html;
  std::vector<const Step*> big = StepsOn(plan, plan.tables[0].table);
  ASSERT_GT(big.size(), MarkdownOptions{}.group_after);
  ExpectWellFormedTable(tables[0], Runs(big));
  EXPECT_LT(tables[0].size(), big.size());
  ExpectWellFormedTable(tables[1], big.size());
  for (size_t i = 0; i < big.size(); ++i) {
    EXPECT_EQ(tables[1][i + 1][1], HtmlEscape(big[i]->partition.Sql())) << i;
  }
  // A grouped row names its count and spans from the first bounds to the last.
  EXPECT_NE(tables[0][1][0].find("100 \xC3\x97 create"), std::string::npos) << tables[0][1][0];
  EXPECT_EQ(tables[0][1][2], "[" + big[0]->from + ", " + big[99]->to + ")");
  ExpectWellFormedTable(tables[2], 2);
  EXPECT_EQ(tables[2][1][1], "public.&quot;two<br>lines_p0&quot;");
  // Nothing of the SQL escapes its fence (the names hold a run of four backticks).
  EXPECT_NE(html.find(HtmlEscape(RenderSql(plan))), std::string::npos) << html;
  // Every held/blocked reason is listed, as text.
  EXPECT_NE(html.find("Legal | hold &lt;script&gt;alert(2)&lt;/script&gt;<br>line 2"),
            std::string::npos);
  EXPECT_NE(html.find("1. looks like a list | with &lt;b&gt;html&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<ol>"), std::string::npos) << "drift text started a list";
}

TEST(Markdown, MarkerIdCannotCloseTheComment) {
  std::string md = RenderMarkdown(EmptyPlan(), Options("a--->b\n<!-- c -- >"));
  std::string first_line = md.substr(0, md.find('\n'));
  EXPECT_EQ(first_line.rfind("<!-- pgpart plan: ", 0), 0u);
  std::string inner = first_line.substr(4, first_line.size() - 8);
  EXPECT_EQ(inner.find("--"), std::string::npos) << first_line;
  EXPECT_EQ(inner.find('>'), std::string::npos) << first_line;
  EXPECT_EQ(first_line.substr(first_line.size() - 4), " -->");
}

}  // namespace
}  // namespace pgpart
