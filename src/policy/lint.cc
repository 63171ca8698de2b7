// Checks on parsed policies that need no database (docs/policy.md, `pgpart lint`): naming templates
// (fields the unit needs, collisions, 63-byte names), retention versus premake, holds that name
// nothing the template can produce.

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>
#include <map>
#include <regex>

#include "core/calendar.h"
#include "core/ident.h"
#include "core/key.h"
#include "policy/loader.h"

namespace pgpart {

namespace {

// Approximate lengths for comparing distances of different units (a month is 1/12 of the mean
// Gregorian year); integer intervals are their count.
double ApproxLength(const Interval& interval) {
  double seconds = 0;
  switch (interval.unit) {
    case Unit::kHour:
      seconds = 3600;
      break;
    case Unit::kDay:
      seconds = 86400;
      break;
    case Unit::kWeek:
      seconds = 7 * 86400;
      break;
    case Unit::kMonth:
      seconds = 2629746;
      break;
    case Unit::kQuarter:
      seconds = 3 * 2629746.0;
      break;
    case Unit::kYear:
      seconds = 12 * 2629746.0;
      break;
    case Unit::kInteger:
      seconds = 1;
      break;
  }
  return seconds * static_cast<double>(interval.count);
}

// The placeholders of a template, in order: "{parent}_y{YYYY}" -> {"parent", "YYYY"}.
std::vector<std::string> Placeholders(const std::string& name_template) {
  std::vector<std::string> out;
  for (size_t open = name_template.find('{'); open != std::string::npos;
       open = name_template.find('{', open + 1)) {
    size_t close = name_template.find('}', open);
    if (close == std::string::npos) break;
    out.push_back(name_template.substr(open + 1, close - open - 1));
  }
  return out;
}

bool Has(const std::vector<std::string>& placeholders, const std::string& name) {
  return std::find(placeholders.begin(), placeholders.end(), name) != placeholders.end();
}

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

// Collision results by template, grid and zone: sets of many tables usually share a handful of
// templates, and the check does not depend on the parent's name.
using Collision = std::optional<std::pair<int64_t, int64_t>>;
using CollisionCache = std::map<std::string, Collision>;

class PolicyLinter {
 public:
  PolicyLinter(const Policy& policy, CollisionCache* cache, Diagnostics* out)
      : policy_(policy), cache_(*cache), out_(*out), template_(policy.NameTemplate()) {
    template_path_ = policy.naming                        ? "spec.naming"
                     : policy.strategy == Strategy::kHash ? "spec.strategy"
                                                          : "spec.interval";
  }

  void Run() {
    bool template_ok = CheckTemplateFields();
    CheckParentPlaceholder();
    if (policy_.strategy == Strategy::kHash) {
      if (template_ok) CheckHashCollisions();
    } else if (policy_.interval) {
      grid_ = MakeGrid(policy_.interval->unit == Unit::kInteger ? KeyType::kBigInt
                                                                : KeyType::kTimestamp);
      if (template_ok && grid_) CheckRangeCollisions();
      CheckRetention();
      CheckHolds();
    }
    CheckNameLengths();
    CheckGate();
  }

 private:
  void Error(const std::string& path, const std::string& message) {
    out_.push_back(Diagnostic{Severity::kError, policy_.LocationOf(path), path, message});
  }
  void Warning(const std::string& path, const std::string& message) {
    out_.push_back(Diagnostic{Severity::kWarning, policy_.LocationOf(path), path, message});
  }

  std::optional<Grid> MakeGrid(KeyType key_type) const {
    const date::time_zone* zone = FindZone(policy_.time_zone);
    if (!policy_.interval || zone == nullptr) return std::nullopt;
    std::string error;
    return Grid::Make(key_type, *policy_.interval, zone, &error);
  }

  std::string NameOf(const std::string& parent, int64_t index) const {
    return ExpandName(template_, parent, grid_->Fields(index));
  }

  std::string Parent() const { return policy_.tables.empty() ? "t" : policy_.tables[0].name; }

  // The template uses the placeholders its unit needs and no others.
  bool CheckTemplateFields() {
    std::vector<std::string> fields = Placeholders(template_);
    std::string kind;
    std::string bad;
    if (policy_.strategy == Strategy::kHash) {
      kind = "hash partitions";
      for (const std::string& f : fields) {
        if (f != "parent" && f != "remainder") bad = f;
      }
      if (bad.empty() && !Has(fields, "remainder")) {
        Error(template_path_, "naming template " + Quoted(template_) +
                                  " lacks {remainder}: every hash partition would get one name");
        return false;
      }
    } else if (policy_.interval && policy_.interval->unit == Unit::kInteger) {
      kind = "integer intervals";
      for (const std::string& f : fields) {
        if (f != "parent" && f != "lower") bad = f;
      }
      if (bad.empty() && !Has(fields, "lower")) {
        Error(template_path_, "naming template " + Quoted(template_) +
                                  " lacks {lower}: every partition would get one name");
        return false;
      }
    } else {
      kind = "time intervals";
      for (const std::string& f : fields) {
        if (f == "lower" || f == "remainder") bad = f;
      }
    }
    if (!bad.empty()) {
      Error(template_path_, "naming template " + Quoted(template_) + " uses {" + bad +
                                "}, which has no meaning for " + kind);
      return false;
    }
    return true;
  }

  // Without {parent}, two tables of one schema would get the same partition names.
  void CheckParentPlaceholder() {
    if (Has(Placeholders(template_), "parent")) return;
    std::map<std::string, size_t> first_in_schema;
    for (size_t i = 0; i < policy_.tables.size(); ++i) {
      auto [it, inserted] = first_in_schema.emplace(policy_.tables[i].schema, i);
      if (!inserted) {
        Error("spec.tables[" + std::to_string(i) + "]",
              "naming template " + Quoted(template_) + " lacks {parent}, so " +
                  policy_.tables[it->second].Sql() + " and " + policy_.tables[i].Sql() +
                  " would create partitions with the same names in schema " +
                  QuoteIdent(policy_.tables[i].schema));
        return;
      }
    }
  }

  void CheckHashCollisions() {
    std::map<std::string, int> seen;
    for (int r = 0; r < policy_.modulus; ++r) {
      std::string name = ExpandName(template_, Parent(), NameFields{}, r);
      auto [it, inserted] = seen.emplace(name, r);
      if (!inserted) {
        Error(template_path_, "naming template " + Quoted(template_) + " gives remainders " +
                                  std::to_string(it->second) + " and " + std::to_string(r) +
                                  " the same name " + Quoted(name));
        return;
      }
    }
  }

  // Expands consecutive periods and reports the first two that map to one name. Time grids span
  // 2018-2024: year ends, leap days (2020, 2024), ISO week 53 (2020), Januaries that start on a
  // Monday (2018, 2024: two weeks numbered 1 in one calendar year), DST ends; hours and days
  // only 2018-2020 (enough for every field of theirs, and 26k periods at most).
  Collision FindCollision(const Grid& grid) const {
    std::string key = template_ + "\n" + IntervalText(grid.interval()) + "\n" +
                      KeyTypeName(grid.key_type()) + "\n" + policy_.time_zone;
    auto cached = cache_.find(key);
    if (cached != cache_.end()) return cached->second;
    Collision found = ScanForCollision(grid);
    cache_.emplace(key, found);
    return found;
  }

  Collision ScanForCollision(const Grid& grid) const {
    int64_t first = 0, last = 200;
    Unit unit = grid.interval().unit;
    if (unit != Unit::kInteger) {
      bool short_unit = unit == Unit::kHour || unit == Unit::kDay;
      std::optional<int64_t> from = ParsePolicyValue(grid, "2018-01-01");
      std::optional<int64_t> to = ParsePolicyValue(grid, short_unit ? "2021-01-01" : "2025-01-01");
      if (!from || !to) return std::nullopt;
      first = grid.IndexOf(*from);
      last = std::min(grid.IndexOf(*to), first + 30'000);
    }
    std::map<std::string, int64_t> seen;
    for (int64_t i = first; i <= last; ++i) {
      auto [it, inserted] = seen.emplace(ExpandName(template_, "t", grid.Fields(i)), i);
      if (!inserted) return std::make_pair(it->second, i);
    }
    return std::nullopt;
  }

  void CheckRangeCollisions() {
    if (auto collision = FindCollision(*grid_)) {
      auto [a, b] = *collision;
      Error(template_path_, "naming template " + Quoted(template_) + " maps two periods to one " +
                                "name: " + PeriodText(*grid_, a) + " and " + PeriodText(*grid_, b) +
                                " both become " + Quoted(NameOf(Parent(), a)) +
                                "; add the fields the interval needs (default: " +
                                DefaultNameTemplate(policy_.interval->unit, false) + ")");
      return;
    }
    // Hours are elapsed hours for timestamptz: when DST ends, one local hour occurs twice.
    if (policy_.interval->unit != Unit::kHour || policy_.time_zone == "UTC") return;
    std::optional<Grid> instant_grid = MakeGrid(KeyType::kTimestampTz);
    if (!instant_grid) return;
    if (auto collision = FindCollision(*instant_grid)) {
      auto [a, b] = *collision;
      // An error, not a warning: the planner cannot create the repeated hour under one name, so
      // its rows would have nowhere to go (or the whole table would stop being planned).
      Error(template_path_,
            "naming template " + Quoted(template_) + " gives " + PeriodText(*instant_grid, a) +
                " and " + PeriodText(*instant_grid, b) +
                " one name (a local hour repeats when daylight saving time ends in " +
                policy_.time_zone +
                "); use timeZone: UTC for hourly partitions, or add {UTCHH} to the template");
    }
  }

  // "2019-01-01" for day and longer periods on a wall-clock grid, else the full bound text.
  static std::string PeriodText(const Grid& grid, int64_t index) {
    std::string text = BoundText(grid.key_type(), Bound::Value(grid.Lower(index)));
    const std::string midnight = "T00:00:00";
    if (grid.key_type() == KeyType::kTimestamp && text.size() > midnight.size() &&
        text.compare(text.size() - midnight.size(), midnight.size(), midnight) == 0) {
      text.resize(text.size() - midnight.size());
    }
    return text;
  }

  void CheckNameLengths() {
    for (size_t i = 0; i < policy_.tables.size(); ++i) {
      const QualifiedName& table = policy_.tables[i];
      std::string path = "spec.tables[" + std::to_string(i) + "]";
      std::string sample = SampleName(table.name, /*widest=*/false);
      if (sample.size() > kMaxIdentifierBytes) {
        Error(path, "partition names of " + table.Sql() + " would be " +
                        std::to_string(sample.size()) + " bytes (e.g. " + Quoted(sample) +
                        "), over PostgreSQL's 63; set a shorter naming template");
        continue;
      }
      if (policy_.interval && policy_.interval->unit == Unit::kInteger) {
        std::string widest = SampleName(table.name, /*widest=*/true);
        if (widest.size() > kMaxIdentifierBytes) {
          // The most digits a bound may have while the name still fits.
          int digits = 0;
          NameFields fields;
          for (int64_t nines = 9; digits < 18; ++digits) {
            fields.lower = nines;
            if (ExpandName(template_, table.name, fields).size() > kMaxIdentifierBytes) break;
            // 19 nines is past int64: stop growing (the loop ends at 18 digits anyway).
            if (nines <= (std::numeric_limits<int64_t>::max() - 9) / 10) nines = nines * 10 + 9;
          }
          Warning(path, "partition names of " + table.Sql() + " stay within 63 bytes only while " +
                            "lower bounds have at most " + std::to_string(digits) +
                            " digits; a longer name is refused by the planner");
        }
      }
      if (policy_.default_partition && table.name.size() + 8 > kMaxIdentifierBytes) {
        Error("spec.defaultPartition", "the default partition name " +
                                           Quoted(table.name + "_default") + " would be over " +
                                           "63 bytes");
      }
    }
  }

  // A name of `parent` as the planner would make it; integers use the interval itself (the
  // second partition) or, when widest, a 19-digit bound.
  std::string SampleName(const std::string& parent, bool widest) const {
    if (policy_.strategy == Strategy::kHash) {
      return ExpandName(template_, parent, NameFields{}, std::max(policy_.modulus - 1, 0));
    }
    NameFields fields;
    if (policy_.interval && policy_.interval->unit == Unit::kInteger) {
      fields.lower = widest ? INT64_MAX : policy_.interval->count;
    } else if (grid_) {
      // Every time field is zero-padded to a fixed width; any period gives the length.
      if (auto value = ParsePolicyValue(*grid_, "2024-12-30"))
        fields = grid_->Fields(grid_->IndexOf(*value));
    }
    return ExpandName(template_, parent, fields);
  }

  void CheckRetention() {
    if (!policy_.retention) return;
    const Retention& retention = *policy_.retention;
    const Interval& interval = *policy_.interval;
    double keep = ApproxLength(retention.keep);
    double ahead = ApproxLength(interval) * policy_.premake;
    if (keep < ahead) {
      Error(
          "spec.retention.keep",
          "keep " + Quoted(retention.keep_text) + " is shorter than what premake makes ahead (" +
              std::to_string(policy_.premake) + " × " + IntervalText(interval) +
              "); partitions would expire sooner than they are made; raise keep or lower premake");
    }
    if (retention.action == RetentionAction::kArchive) {
      for (const QualifiedName& table : policy_.tables) {
        if (table.schema == retention.archive_schema) {
          Error("spec.retention.archiveSchema",
                "archiveSchema is the schema of " + table.Sql() +
                    " itself; archive moves expired partitions to another schema");
          return;
        }
      }
    }
  }

  void CheckGate() {
    if (policy_.backup_gate && !policy_.retention) {
      Warning("spec.backupGate", "backupGate has no effect without retention (nothing is dropped)");
    }
  }

  // Holds by name: the name must be one the template produces for some table of the policy.
  void CheckHolds() {
    for (size_t i = 0; i < policy_.holds.size(); ++i) {
      const Hold& hold = policy_.holds[i];
      if (!hold.partition) continue;
      std::string path = "spec.holds[" + std::to_string(i) + "].partition";
      std::string problem = HoldProblem(*hold.partition);
      // A bridge partition (the part of a period partitions off the grid leave uncovered) is
      // named by its period's name, "_from_" and its lower bound.
      const size_t bridge = hold.partition->rfind("_from_");
      if (!problem.empty() && bridge != std::string::npos &&
          std::regex_match(hold.partition->substr(bridge + 6), std::regex("m?[0-9]+(t[0-9_]+)?")) &&
          HoldProblem(hold.partition->substr(0, bridge)).empty()) {
        problem.clear();
      }
      if (!problem.empty()) Error(path, problem);
    }
  }

  // "" when `name` is a partition name the policy produces; otherwise why not.
  std::string HoldProblem(const std::string& name) const {
    std::string tables;
    for (const QualifiedName& table : policy_.tables) {
      std::smatch match;
      int capture = 0;
      std::regex pattern = TemplateRegex(table.name, &capture);
      if (!std::regex_match(name, match, pattern)) {
        tables += (tables.empty() ? "" : ", ") + table.Sql();
        continue;
      }
      if (capture == 0 || !grid_) return "";
      std::string captured = match[capture].str();
      if (policy_.interval->unit == Unit::kInteger) {
        int64_t lower = 0;
        auto [ptr, ec] = std::from_chars(captured.data(), captured.data() + captured.size(), lower);
        if (ec != std::errc()) return "hold names " + Quoted(name) + ": bound out of range";
        if (grid_->IndexOfPeriod(lower, lower + policy_.interval->count)) return "";
        return "hold names " + Quoted(name) + ", but " + captured + " is not a lower bound of " +
               "the " + IntervalText(*policy_.interval) + " grid (multiples of " +
               std::to_string(policy_.interval->count) + "); no partition has that name";
      }
      if (YearHasName(table.name, std::stoi(captured), name)) return "";
      return "hold names " + Quoted(name) + ", which matches the naming template but is not a " +
             "period of the " + IntervalText(*policy_.interval) + " grid in " + policy_.time_zone +
             "; no partition has that name";
    }
    std::string example = policy_.tables.empty() || !grid_ ? "" : ExampleName();
    return "hold names " + Quoted(name) + ", which the naming template " + Quoted(template_) +
           " never produces for " + tables + (example.empty() ? "" : " (e.g. " + example + ")") +
           "; the hold would protect nothing";
  }

  std::string ExampleName() const {
    if (policy_.interval->unit == Unit::kInteger) return Quoted(NameOf(Parent(), 1));
    std::optional<int64_t> value = ParsePolicyValue(*grid_, "2024-03-01");
    return value ? Quoted(NameOf(Parent(), grid_->IndexOf(*value))) : "";
  }

  // Whether some period starting around `year` is named `name` (time intervals).
  bool YearHasName(const std::string& parent, int year, const std::string& name) const {
    char from_text[32], to_text[32];
    std::snprintf(from_text, sizeof from_text, "%04d-01-01", year);
    std::snprintf(to_text, sizeof to_text, "%04d-01-01", year + 1);
    std::optional<int64_t> from = ParsePolicyValue(*grid_, from_text);
    std::optional<int64_t> to = ParsePolicyValue(*grid_, to_text);
    if (!from || !to) return true;  // cannot tell; do not accuse
    for (int64_t i = grid_->IndexOf(*from) - 1; i <= grid_->IndexOf(*to) + 1; ++i) {
      if (NameOf(parent, i) == name) return true;
    }
    return false;
  }

  // The template as an anchored regex for one parent. *capture is the group of the first year
  // ({YYYY} / {IYYY}) for time intervals or {lower} for integers; 0 when there is none.
  std::regex TemplateRegex(const std::string& parent, int* capture) const {
    static const std::string kSpecial = R"(\^$.|?*+()[]{}/)";
    auto escape = [](const std::string& text) {
      std::string out;
      for (char c : text) {
        if (kSpecial.find(c) != std::string::npos) out += '\\';
        out += c;
      }
      return out;
    };
    static const std::map<std::string, std::string> kPatterns = {{"YYYY", R"(\d{4})"},
                                                                 {"IYYY", R"(\d{4})"},
                                                                 {"MM", "0[1-9]|1[0-2]"},
                                                                 {"DD", R"(0[1-9]|[12]\d|3[01])"},
                                                                 {"HH", R"([01]\d|2[0-3])"},
                                                                 {"UTCHH", R"([01]\d|2[0-3])"},
                                                                 {"IW", R"(0[1-9]|[1-4]\d|5[0-3])"},
                                                                 {"Q", "[1-4]"},
                                                                 {"lower", R"(-?\d+)"},
                                                                 {"remainder", R"(\d+)"}};
    bool integer = policy_.interval && policy_.interval->unit == Unit::kInteger;
    std::string regex;
    int groups = 0;
    *capture = 0;
    size_t pos = 0;
    while (pos < template_.size()) {
      size_t open = template_.find('{', pos);
      size_t close = open == std::string::npos ? open : template_.find('}', open);
      if (close == std::string::npos) {
        regex += escape(template_.substr(pos));
        break;
      }
      regex += escape(template_.substr(pos, open - pos));
      std::string field = template_.substr(open + 1, close - open - 1);
      if (field == "parent") {
        regex += escape(parent);
      } else if (auto it = kPatterns.find(field); it != kPatterns.end()) {
        bool wanted = integer ? field == "lower" : (field == "YYYY" || field == "IYYY");
        if (wanted && *capture == 0) {
          *capture = ++groups;
          regex += "(" + it->second + ")";
        } else {
          regex += "(?:" + it->second + ")";
        }
      } else {
        regex += escape(template_.substr(open, close - open + 1));
      }
      pos = close + 1;
    }
    return std::regex(regex);
  }

  const Policy& policy_;
  CollisionCache& cache_;
  Diagnostics& out_;
  std::string template_;
  std::string template_path_;
  std::optional<Grid> grid_;
};

}  // namespace

Diagnostics LintAtClock(const std::vector<Policy>& policies, int64_t now_utc_micros) {
  Diagnostics out;
  for (const Policy& p : policies) {
    if (!p.start || !p.retention || !p.interval || p.interval->unit == Unit::kInteger) continue;
    const date::time_zone* zone = FindZone(p.time_zone);
    std::string error;
    std::optional<Grid> grid;
    if (zone != nullptr) grid = Grid::Make(KeyType::kTimestampTz, *p.interval, zone, &error);
    if (!grid) continue;
    std::optional<int64_t> start = ParsePolicyValue(*grid, *p.start);
    if (!start) continue;
    const int64_t cutoff = grid->Subtract(grid->Now(now_utc_micros), p.retention->keep);
    const int64_t first_kept = grid->Lower(grid->IndexOf(cutoff));  // its upper bound > cutoff
    if (grid->Lower(grid->IndexOf(*start)) >= first_kept) continue;
    auto day = [&](int64_t value) {  // the local date (periods of a day or longer start there)
      std::string text = InstantText(value);
      std::optional<Grid> days = Grid::Make(KeyType::kTimestampTz, Interval{1, Unit::kDay}, zone,
                                            &error);
      if (days && days->Lower(days->IndexOf(value)) == value) {
        const NameFields f = days->Fields(days->IndexOf(value));
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", f.year, f.month, f.day);
        text = buf;
      }
      return text;
    };
    const std::string path = "spec.start";
    out.push_back(Diagnostic{
        Severity::kWarning, p.LocationOf(path), path,
        "start " + Quoted(*p.start) + " is older than retention.keep " +
            Quoted(p.retention->keep_text) + " (now - keep is " + day(cutoff) + "): the periods " +
            "from " + day(grid->Lower(grid->IndexOf(*start))) + " to " + day(first_kept) +
            " are past retention and are not created (an empty expired period is not created "
            "only to be retired). " +
            (p.default_partition
                 ? "Rows of those periods go to the default partition, and each apply moves them "
                   "into a partition of their period and retires it (" +
                       RetentionActionName(p.retention->action) + ")"
                 : "Inserting rows of those periods fails (\"no partition of relation ... found "
                   "for row\"): there is no default partition") +
            ". Set start to " + day(first_kept) + " or later, or raise keep to keep them"});
  }
  return out;
}

Diagnostics LintPolicies(const std::vector<Policy>& policies) {
  Diagnostics out;
  CollisionCache cache;
  for (const Policy& policy : policies) PolicyLinter(policy, &cache, &out).Run();
  return out;
}

}  // namespace pgpart
