// GitHub-flavoured Markdown rendering of a plan: a pull-request comment body.
//
// Every piece of text that comes from the catalog or the policies (identifiers, reasons, drift
// sentences) goes through Escape* below: identifiers can contain anything, and one stray `|`,
// backtick or `<` would break a table, open a code span or inject HTML into the comment.

#include <algorithm>
#include <sstream>

#include "render/markdown_text.h"
#include "render/headline.h"
#include "render/render.h"

namespace pgpart {
namespace {

using render_internal::EscapeHtml;
using render_internal::EscapeInline;
using render_internal::EscapeItem;
using render_internal::Fence;
using render_internal::Plural;
using render_internal::StepSymbol;

constexpr char kNoBounds[] = "\xE2\x80\x94";  // em dash
constexpr char kTimes[] = "\xC3\x97";         // multiplication sign
constexpr char kEllipsis[] = "\xE2\x80\xA6";

// The marker id cannot end the HTML comment early or spill onto another line: only a safe
// character set is kept, "--" collapses to "-", no trailing "-".
std::string SanitizeId(const std::string& id) {
  std::string out;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("._/:@+=#-").find(c) != std::string_view::npos;
    if (!ok) continue;
    if (c == '-' && !out.empty() && out.back() == '-') continue;
    out += c;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "default" : out;
}

std::string Bounds(const std::string& from, const std::string& to) {
  if (from.empty() && to.empty()) return kNoBounds;
  return EscapeInline("[" + from + ", " + to + ")");
}

std::string Rows(int64_t rows, bool estimated) {
  if (rows <= 0) return "";
  return (estimated ? "\\~" : "") + std::to_string(rows);
}

std::string HazardCell(const std::vector<Hazard>& hazards) {
  std::string out;
  for (Hazard h : hazards) out += (out.empty() ? "`" : ", `") + HazardName(h) + "`";
  return out;
}

std::string Row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const std::string& c : cells) out += " " + c + " |";
  return out + "\n";
}

constexpr char kHeader[] =
    "| Step | Partition | Bounds | Rows | Hazards | Status |\n"
    "| --- | --- | --- | ---: | --- | --- |\n";

std::string StepRow(const Step& s, bool removed) {
  std::string step = (removed ? "no longer: `" : "`") + StepSymbol(s) + "` " + ActionName(s.action);
  return Row({step, EscapeInline(s.partition.Sql()), Bounds(s.from, s.to),
              Rows(s.rows_estimate, s.action != Action::kDrainDefault), HazardCell(s.hazards),
              StatusName(s.status)});
}

// A table's steps in plan order, each marked whether it is a removed (diff) step.
struct Item {
  const Step* step;
  bool removed;
};

// Consecutive items with the same action, status and side collapse into one row.
std::string GroupedRows(const std::vector<Item>& items) {
  std::string out;
  for (size_t i = 0; i < items.size();) {
    size_t j = i + 1;
    while (j < items.size() && items[j].removed == items[i].removed &&
           items[j].step->action == items[i].step->action &&
           items[j].step->status == items[i].step->status) {
      ++j;
    }
    if (j - i == 1) {
      out += StepRow(*items[i].step, items[i].removed);
    } else {
      const Step& first = *items[i].step;
      const Step& last = *items[j - 1].step;
      int64_t rows = 0;
      std::vector<Hazard> hazards;
      for (size_t k = i; k < j; ++k) {
        rows += items[k].step->rows_estimate;
        for (Hazard h : items[k].step->hazards) {
          if (std::find(hazards.begin(), hazards.end(), h) == hazards.end()) hazards.push_back(h);
        }
      }
      std::sort(hazards.begin(), hazards.end());
      std::string step = (items[i].removed ? "no longer: `" : "`") + StepSymbol(first) + "` " +
                         std::to_string(j - i) + " " + kTimes + " " + ActionName(first.action);
      out += Row({step,
                  EscapeInline(first.partition.Sql()) + " " + kEllipsis + " " +
                      EscapeInline(last.partition.Sql()),
                  Bounds(first.from, last.to), Rows(rows, first.action != Action::kDrainDefault),
                  HazardCell(hazards), StatusName(first.status)});
    }
    i = j;
  }
  return out;
}

void TableSection(std::ostringstream& out, const Plan& plan, const TableReport& t,
                  const MarkdownOptions& options) {
  const PartitionSummary& p = t.partitions;
  out << "\n#### " << EscapeInline(t.table.Sql()) << "\n\n";
  if (!t.policy.empty()) {
    out << "Policy " << EscapeInline(t.policy) << ", key " << EscapeInline(t.key) << ". "
        << Plural(p.count, "partition");
    if (!p.oldest.empty())
      out << " from " << EscapeInline(p.oldest) << " to " << EscapeInline(p.newest);
    if (!p.covered_until.empty()) out << ", covered until " << EscapeInline(p.covered_until);
    if (p.has_default) out << ", default partition: " << Plural(p.default_rows, "row");
    out << ".\n";
  }
  std::vector<Item> items;
  for (const Step& s : plan.steps) {
    if (s.table == t.table) items.push_back({&s, false});
  }
  for (const Step& s : plan.removed_steps) {
    if (s.table == t.table) items.push_back({&s, true});
  }
  if (items.empty()) {
    out << "\n" << (plan.is_diff ? "No change from the base policies." : "No changes.") << "\n";
  } else if (items.size() <= options.group_after) {
    out << "\n" << kHeader;
    for (const Item& i : items) out << StepRow(*i.step, i.removed);
  } else {
    out << "\n" << kHeader << GroupedRows(items);
    out << "\n<details><summary>All " << items.size() << " steps on " << EscapeHtml(t.table.Sql())
        << "</summary>\n\n"
        << kHeader;
    for (const Item& i : items) out << StepRow(*i.step, i.removed);
    out << "\n</details>\n";
  }
  bool first = true;
  for (const Item& i : items) {
    const Step& s = *i.step;
    if (i.removed || s.status == StepStatus::kPlanned) continue;
    if (first) out << "\nNot run:\n\n";
    first = false;
    bool held = s.status == StepStatus::kHeld;
    out << "- **" << (held ? "held" : "blocked") << "** " << ActionName(s.action) << " "
        << EscapeInline(s.partition.Sql()) << ": " << EscapeItem(held ? s.held_by : s.blocked_by)
        << "\n";
  }
  for (const Item& i : items) {  // what a conversion's steps do beyond their SQL
    const Step& s = *i.step;
    if (i.removed || s.details.empty()) continue;
    out << "\n" << ActionName(s.action) << " " << EscapeInline(s.partition.Sql()) << ":\n\n";
    for (const std::string& d : s.details) out << "- " << EscapeItem(d) << "\n";
  }
  first = true;
  for (const Item& i : items) {
    const Step& s = *i.step;
    if (i.removed || !s.gate_check) continue;
    if (first) out << "\nBackup gates, checked now:\n\n";
    first = false;
    out << "- **gate currently " << (s.gate_check->passed ? "passes" : "fails") << "** "
        << ActionName(s.action) << " " << EscapeInline(s.partition.Sql()) << ": "
        << EscapeItem(s.gate_check->detail) << "\n";
  }
  if (!plan.is_diff && !t.drift.empty()) {  // a diff shows the change, not drift both sides share
    out << "\nDrift:\n\n";
    for (const std::string& d : t.drift) out << "- " << EscapeItem(d) << "\n";
  }
  if (!plan.is_diff && !t.notes.empty()) {
    out << "\nNotes (accepted):\n\n";
    for (const std::string& n : t.notes) out << "- " << EscapeItem(n) << "\n";
  }
}

}  // namespace

std::string RenderMarkdown(const Plan& plan, const MarkdownOptions& options) {
  std::ostringstream out;
  out << "<!-- pgpart plan: " << SanitizeId(options.id) << " -->\n";
  std::string headline = render_internal::Headline(plan);
  if (headline.starts_with("Plan: ")) headline = headline.substr(6);
  out << "### pgpart plan: " << EscapeInline(headline) << "\n\n";
  out << "Computed for " << EscapeInline(plan.at);
  if (const std::string db = render_internal::DatabaseText(plan); !db.empty()) {
    out << " " << EscapeInline(db);
  }
  out
      << (plan.is_diff ? "; steps the head policies add or no longer produce compared with the "
                         "base policies.\n"
                       : ".\n");
  if (!plan.diagnostics.empty()) {
    out << "\n";
    for (const Diagnostic& d : plan.diagnostics) {
      out << "- **" << (d.severity == Severity::kError ? "Error" : "Warning") << ":** "
          << EscapeInline(d.Format()) << "\n";
    }
  }
  // Every table with a report, then any step whose table has none, so no step goes unshown.
  std::vector<TableReport> tables = plan.tables;
  auto known = [&](const QualifiedName& name) {
    return std::any_of(tables.begin(), tables.end(),
                       [&](const TableReport& t) { return t.table == name; });
  };
  for (const std::vector<Step>* list : {&plan.steps, &plan.removed_steps}) {
    for (const Step& s : *list) {
      if (!known(s.table)) tables.push_back(TableReport{s.table, "", "", {}, {}, {}});
    }
  }
  for (const TableReport& t : tables) TableSection(out, plan, t, options);
  const std::string sql = RenderSql(plan);
  const std::string fence = Fence(sql);
  out << "\n<details><summary>SQL</summary>\n\n"
      << fence << "sql\n"
      << sql << (sql.empty() || sql.back() == '\n' ? "" : "\n") << fence << "\n\n</details>\n";
  return out.str();
}

}  // namespace pgpart
