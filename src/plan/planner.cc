// The planner (docs/policy.md): desired grid vs observed children -> ordered steps.

#include "plan/planner.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/calendar.h"
#include "plan/planner_internal.h"
#include "plan/statements.h"

namespace pgpart {
namespace {

using namespace ::pgpart::planner;  // NOLINT(build/namespaces): this component's internals

// Refuse to plan more creates than this for one table: a `start:` typo on an hourly grid would
// otherwise ask for hundreds of thousands of tables.
constexpr int64_t kMaxCreatesPerTable = 10'000;

void PlanDefault(Context& c) {
  if (!c.policy.default_partition) {
    if (c.table.default_partition) {
      c.report.drift.push_back("default partition " + c.table.default_partition->name.name +
                               " exists but the policy does not ask for one");
    }
    return;
  }
  if (c.table.default_partition) return;
  QualifiedName name{c.table.name.schema, c.table.name.name + "_default"};
  if (name.name.size() > kMaxIdentifierBytes) {
    AddDiagnostic(c.plan, Severity::kError, c.policy, "spec.defaultPartition",
                  "default partition name " + name.name + " would exceed 63 bytes");
    return;
  }
  Step s = NewStep(c, Action::kCreateDefault, name, Reason::kDefault);
  // PARTITION OF takes ACCESS EXCLUSIVE on the parent; a default cannot be attached cheaper
  // (attaching one scans nothing, but the lock is the same).
  s.statements.push_back(CreateDefault(c.shape, name, c.policy.execution));
  for (Statement& st : InheritPrivileges(c.shape, name, "", {}, c.policy.execution)) {
    s.statements.push_back(std::move(st));
  }
  AddHazard(s, Hazard::kAcquiresAccessExclusiveLock);
  Push(c, std::move(s));
}

void PlanRange(Context& c) {
  const Policy& p = c.policy;
  const Table& t = c.table;
  std::string error;
  const date::time_zone* zone = FindZone(p.time_zone);
  std::optional<Grid> grid = Grid::Make(t.key_type, *p.interval, zone, &error);
  if (!grid) {
    AddDiagnostic(
        c.plan, Severity::kError, p, "spec.interval",
        TableText(t.name) + " (key " + t.key_columns[0] + " " + t.key_type_name + "): " + error);
    return;
  }
  const KeyType kt = t.key_type;
  const bool integer_key = IsIntegerKey(kt);

  // "now" in the key domain: the clock for time keys, max(key) for integer keys.
  std::optional<int64_t> now_key;
  if (integer_key) {
    now_key = t.max_key;
  } else {
    now_key = grid->Now(c.now);
  }
  std::optional<int64_t> start_index;
  if (p.start) {
    auto v = ParsePolicyValue(*grid, *p.start);
    if (!v) {
      AddDiagnostic(c.plan, Severity::kError, p, "spec.start",
                    "start '" + *p.start + "' is not a " + KeyTypeName(kt) + " value");
      return;
    }
    start_index = grid->IndexOf(*v);
  }
  const int64_t current =
      now_key ? grid->IndexOf(*now_key) : start_index.value_or(grid->IndexOf(0));
  if (integer_key && !now_key) {
    c.report.drift.push_back("table is empty: max(" + t.key_columns[0] +
                             ") unknown, premake counted from " +
                             BoundText(kt, Bound::Value(grid->Lower(current))));
  }

  if (p.retention && (p.retention->keep.unit == Unit::kInteger) != integer_key) {
    AddDiagnostic(c.plan, Severity::kError, p, "spec.retention.keep",
                  TableText(t.name) + " has a " + KeyTypeName(kt) + " key: keep must be " +
                      (integer_key ? "an integer distance" : "a time span like '24 months'"));
    return;
  }
  // Retention cutoff: expired when upper <= now - keep (needs a "now").
  std::optional<int64_t> cutoff;
  if (p.retention && now_key) cutoff = grid->Subtract(*now_key, p.retention->keep);

  // Classify children.
  const std::string name_template = p.NameTemplate();
  std::map<int64_t, const Child*> managed;
  std::vector<const Child*> unmanaged;
  std::set<std::string> bridges;  // partitions pgpart made for part of a period (BridgePeriod)
  const std::set<std::string> adopted = AdoptedPartitions(p, *grid, t);
  for (const Child& child : t.children) {
    std::optional<int64_t> index;
    if (child.bound_kind == BoundKind::kRange && child.from.is_value() && child.to.is_value() &&
        !child.sub_partitioned && !child.foreign) {
      index = grid->IndexOfPeriod(child.from.value, child.to.value);
    }
    if (index && !managed.count(*index)) {
      managed[*index] = &child;
      std::string expected = ExpandName(name_template, t.name.name, grid->Fields(*index));
      if (expected != child.name.name) {  // managed all the same: a note, not drift
        c.report.notes.push_back("partition " + child.name.name + " holds period " +
                                 PeriodText(kt, child.from, child.to) +
                                 " but the naming template gives " + expected + " (not renamed)");
      }
    } else if (std::optional<int64_t> period = BridgePeriod(p, t, *grid, child)) {
      bridges.insert(child.name.name);
      c.report.notes.push_back(
          "partition " + child.name.name + " " + PeriodText(kt, child.from, child.to) +
          " is a bridge: the part of period " +
          PeriodText(kt, Bound::Value(grid->Lower(*period)), Bound::Value(grid->Upper(*period))) +
          " that other partitions leave uncovered");
    } else {
      unmanaged.push_back(&child);
      std::string why = child.sub_partitioned ? "sub-partitioned"
                        : child.foreign       ? "a foreign table"
                        : child.bound_kind != BoundKind::kRange
                            ? "not a range partition"
                            : "not on the " + IntervalText(*p.interval) + " grid";
      std::string bounds = child.bound_kind == BoundKind::kRange
                               ? PeriodText(kt, child.from, child.to)
                               : child.bound_text;
      if (adopted.count(child.name.name)) {
        c.report.notes.push_back("partition " + child.name.name + " " + bounds + " is " + why +
                                 " (adopted: left as it is)");
      } else {
        c.report.drift.push_back("partition " + child.name.name + " " + bounds + " is " + why +
                                 " (unmanaged)");
      }
    }
  }

  // Recovery first: interrupted concurrent detaches, and tables detached but not yet dropped.
  for (const Child& child : t.children) {
    if (child.detach_pending) PlanFinalize(c, child);
  }
  PlanDetachedForDrop(c, &*grid, cutoff);

  PlanDefault(c);

  // Desired periods: from max(start or oldest managed/current, first unexpired) to current+premake.
  int64_t low = current;
  if (start_index) {
    low = *start_index;
  } else if (!managed.empty()) {
    low = std::min(low, managed.begin()->first);
  }
  if (cutoff) low = std::max(low, grid->IndexOf(*cutoff));
  if (start_index && cutoff && *start_index < low) {
    // start reaches past retention: those periods would be expired as soon as they were made.
    const Bound kept = Bound::Value(grid->Lower(low));
    c.report.notes.push_back(
        "start " + *p.start + " is older than retention (keep " + p.retention->keep_text +
        ": data before " + BoundText(kt, Bound::Value(*cutoff)) + " has expired): the periods " +
        PeriodText(kt, Bound::Value(grid->Lower(*start_index)), kept) +
        " are not created (an empty expired period is not created only to be retired); rows "
        "of those periods " +
        (c.shape.has_default
             ? "land in the default partition, and apply moves each period's rows into a "
               "partition of their own and retires it (" +
                   RetentionActionName(p.retention->action) + ")"
             : "are refused by PostgreSQL (no partition of " + t.name.Sql() +
                   " is found for them; there is no default partition)"));
  }
  const int64_t high = current + p.premake;
  if (high - low + 1 > kMaxCreatesPerTable) {
    AddDiagnostic(c.plan, Severity::kError, p, p.start ? "spec.start" : "spec.interval",
                  TableText(t.name) + ": the policy asks for " + std::to_string(high - low + 1) +
                      " periods (more than " + std::to_string(kMaxCreatesPerTable) +
                      "); check start and interval");
    return;
  }
  Creates cr = CreatesOf(c);
  auto period_name = [&](int64_t i) {
    return ExpandName(name_template, t.name.name, grid->Fields(i));
  };
  auto whole = [](const Span& part, const Span& period) {
    return part.from == period.from && part.to == period.to;
  };
  for (int64_t i = low; i <= high; ++i) {
    if (managed.count(i)) continue;
    const Span period{Bound::Value(grid->Lower(i)), Bound::Value(grid->Upper(i))};
    const Reason reason = i < current ? Reason::kBackfill : Reason::kPremake;
    const std::vector<Span> parts = Uncovered(t, period.from, period.to);
    if (parts.size() == 1 && whole(parts[0], period)) {
      PlanCreate(c, cr, {t.name.schema, period_name(i)}, period, period, true, reason);
      continue;
    }
    // Partitions off the grid (another interval's, adopted, hand-made, bridges) cover the period
    // wholly or in part: never created over; the parts they leave get bridge partitions.
    std::string covering;
    bool accepted = true;  // only adopted partitions and bridges: a note, not drift
    for (const Child& u : t.children) {
      if (u.bound_kind != BoundKind::kRange || !Overlaps(u.from, u.to, period.from, period.to)) {
        continue;
      }
      const bool adopted = Adopted(p, *grid, u), bridge = bridges.count(u.name.name) > 0;
      accepted = accepted && (adopted || bridge);
      covering += std::string(covering.empty() ? "" : ", ") +
                  (adopted ? "adopted " : bridge ? "bridge " : "unmanaged ") + "partition " +
                  u.name.name;
    }
    const std::string text = PeriodText(kt, period.from, period.to);
    if (parts.empty()) {
      (accepted ? c.report.notes : c.report.drift)
          .push_back("period " + text + " is covered by " + covering + "; not created");
      continue;
    }
    for (const Span& part : parts) {
      // A part past retention is not created (an empty one only to be retired): rows of the
      // default partition there are retired below.
      if (cutoff && part.to.is_value() && part.to.value <= *cutoff) continue;
      const QualifiedName name{t.name.schema,
                               BridgeName(period_name(i), *grid, part.from.value)};
      c.report.notes.push_back("period " + text + " is partly covered by " + covering +
                               "; bridge partition " + name.name + " " +
                               PeriodText(kt, part.from, part.to) + " covers the rest");
      PlanCreate(c, cr, name, part, period, parts.size() == 1, reason);
    }
  }
  if (cr.partial_buckets) {
    AddDiagnostic(c.plan, Severity::kWarning, p, "spec.interval",
                  TableText(t.name) +
                      ": default partition row counts were taken on another "
                      "grid; drain estimates are approximate");
  }
  if (t.default_partition && t.default_rows > 0) {
    c.report.drift.push_back("default partition " + t.default_partition->name.name + " holds " +
                             std::to_string(t.default_rows) + " rows");
  }

  // Retention on real bounds, and the default partition's rows of expired periods.
  int drops_planned = 0;
  PlanDetachedLeftovers(c, &*grid, cutoff, &drops_planned);  // the oldest data first
  if (cutoff) {
    struct Expired {
      Span part;
      const Child* child = nullptr;  // an expired partition; else rows of the default
      Span period;
      bool sole = true;
      QualifiedName name;
    };
    std::vector<Expired> expired;
    for (const Child& child : t.children) {
      if (child.bound_kind != BoundKind::kRange || !child.to.is_value()) continue;
      if (adopted.count(child.name.name)) continue;  // left as it is: drop it by hand when due
      if (child.to.value <= *cutoff) {
        expired.push_back({{child.from, child.to}, &child, {}, true, child.name});
      }
    }
    for (const int64_t i : ExpiredRowPeriods(t, *grid, *cutoff, cr)) {
      if (managed.count(i)) continue;
      const Span period{Bound::Value(grid->Lower(i)), Bound::Value(grid->Upper(i))};
      const std::vector<Span> parts = Uncovered(t, period.from, period.to);
      for (const Span& part : parts) {
        if (!part.to.is_value() || part.to.value > *cutoff) continue;
        const std::string name = whole(part, period)
                                     ? period_name(i)
                                     : BridgeName(period_name(i), *grid, part.from.value);
        expired.push_back({part, nullptr, period, parts.size() == 1, {t.name.schema, name}});
      }
    }
    // Oldest first, whatever order the catalog listed them in: maxDropsPerRun keeps the newest.
    std::sort(expired.begin(), expired.end(), [](const Expired& a, const Expired& b) {
      return a.part.from == b.part.from ? a.name < b.name : a.part.from < b.part.from;
    });
    int64_t moved_periods = 0, moved_rows = 0, held_rows = 0;
    for (const Expired& e : expired) {
      if (e.child != nullptr) {
        PlanRetention(c, &*grid, *e.child, &drops_planned);
        continue;
      }
      std::optional<Step> retire = PlanExpiredDefaultRows(c, cr, *grid, e.name, e.part, e.period,
                                                          e.sole, &drops_planned);
      if (!retire) continue;
      if (retire->status == StepStatus::kHeld) {
        held_rows += retire->rows_estimate;
      } else {
        ++moved_periods;
        moved_rows += retire->rows_estimate;
      }
    }
    const std::string keep = "retention (keep " + p.retention->keep_text + ")";
    if (moved_periods > 0) {
      c.report.drift.push_back(
          "the default partition holds ~" + std::to_string(moved_rows) + " rows of " +
          std::to_string(moved_periods) + " period" + (moved_periods == 1 ? "" : "s") +
          " past " + keep + ": each period's rows are moved into a partition of their own, " +
          "which is then retired (" + RetentionActionName(p.retention->action) +
          "): create, drain and " + RetentionActionName(p.retention->action) +
          " in one transaction, behind the same holds" + (p.backup_gate ? ", backup gate" : "") +
          (p.retention->action == RetentionAction::kDrop ? ", maxDropsPerRun" : "") +
          " and clock rule as any retention");
    }
    if (held_rows > 0) {
      c.report.drift.push_back("~" + std::to_string(held_rows) +
                               " rows of the default partition past " + keep +
                               " stay there while a hold covers their period");
    }
  } else if (p.retention && integer_key) {
    c.report.drift.push_back("retention not evaluated: the table is empty");
  }
  if (cr.shared_estimates) {
    AddDiagnostic(c.plan, Severity::kWarning, p, "spec.interval",
                  TableText(t.name) +
                      ": the default partition's rows were counted by period; where partitions "
                      "off the grid split a period into several parts, each part's drain "
                      "estimate is the whole period's count");
  }

  // Summary: covered_until = upper end of the contiguous run of children from the current period.
  Bound cursor = Bound::Value(grid->Lower(current));
  bool moved = true;
  bool covered = false;
  while (moved) {
    moved = false;
    for (const Child& child : t.children) {
      if (child.bound_kind != BoundKind::kRange) continue;
      if (!(cursor < child.from) && cursor < child.to) {
        cursor = child.to;
        moved = covered = true;
      }
    }
  }
  if (covered) c.report.partitions.covered_until = BoundText(kt, cursor);
}

// Validates the observed table against the policy; false (with a diagnostic) when unplannable.
bool CheckTable(const Policy& p, size_t table_index, const Table* t, Plan* plan) {
  const std::string path = "spec.tables[" + std::to_string(table_index) + "]";
  const std::string name = TableText(p.tables[table_index]);
  if (t == nullptr || !t->exists) {
    AddDiagnostic(plan, Severity::kError, p, path, "table " + name + " does not exist");
    return false;
  }
  if (!t->partitioned) {
    AddDiagnostic(plan, Severity::kError, p, path,
                  "table " + name +
                      " is not partitioned (PARTITION BY is needed); to convert it online, "
                      "add spec.convert to the policy (docs/convert.md)");
    return false;
  }
  if (t->key_columns.size() != 1) {
    AddDiagnostic(
        plan, Severity::kError, p, path,
        "table " + name + " is partitioned on " +
            (t->key_columns.empty() ? std::string("an expression")
                                    : std::to_string(t->key_columns.size()) + " columns") +
            "; pgpart supports a single key column");
    return false;
  }
  const std::string want = p.strategy == Strategy::kHash ? "hash" : "range";
  if (t->strategy != want) {
    AddDiagnostic(
        plan, Severity::kError, p, "spec.strategy",
        "table " + name + " is partitioned by " + t->strategy + ", the policy says " + want);
    return false;
  }
  if (p.column && *p.column != t->key_columns[0]) {
    AddDiagnostic(
        plan, Severity::kError, p, "spec.column",
        "table " + name + " is partitioned on " + t->key_columns[0] + ", not on " + *p.column);
    return false;
  }
  if (p.strategy == Strategy::kRange && t->key_type == KeyType::kUnsupported) {
    AddDiagnostic(plan, Severity::kError, p, path,
                  "table " + name + " has key type " + t->key_type_name +
                      "; range policies support timestamptz, timestamp, date, smallint, integer "
                      "and bigint keys");
    return false;
  }
  return true;
}

size_t ErrorCount(const Diagnostics& diagnostics) {
  return static_cast<size_t>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const auto& d) {
    return d.severity == Severity::kError;
  }));
}

PartitionSummary Summarize(const Table& t) {
  PartitionSummary s;
  s.count = static_cast<int64_t>(t.children.size());
  s.has_default = t.default_partition.has_value();
  s.default_rows = t.default_rows;
  const Child* oldest = nullptr;
  const Child* newest = nullptr;
  for (const Child& c : t.children) {
    if (c.bound_kind != BoundKind::kRange) continue;
    if (oldest == nullptr || c.from < oldest->from) oldest = &c;
    if (newest == nullptr || newest->from < c.from) newest = &c;
  }
  if (oldest) s.oldest = BoundText(t.key_type, oldest->from);
  if (newest) s.newest = BoundText(t.key_type, newest->from);
  return s;
}

}  // namespace

Plan ComputePlan(const std::vector<Policy>& policies, const Catalog& catalog,
                 int64_t now_utc_micros, const PlanOptions& options) {
  Plan plan;
  plan.at = InstantText(now_utc_micros);
  std::vector<QualifiedName> named;
  for (const Policy& p : policies) named.insert(named.end(), p.tables.begin(), p.tables.end());
  plan.catalog_hash = CatalogHash(catalog, &named);
  plan.policy_hash = PolicyHash(policies);
  plan.database = catalog.database;

  struct TableResult {
    TableReport report;
    std::vector<Step> steps;
  };
  std::map<QualifiedName, TableResult> results;
  for (const Policy& p : policies) {
    for (size_t i = 0; i < p.tables.size(); ++i) {
      const Table* t = catalog.Find(p.tables[i]);
      if (t != nullptr && t->exists && !t->partitioned && p.convert) {
        TableResult& r = results[t->name];
        PlanConversion(p, i, *t, now_utc_micros, &plan, &r.report, &r.steps);
        continue;
      }
      if (!CheckTable(p, i, t, &plan)) continue;
      const size_t errors_before = ErrorCount(plan.diagnostics);
      Context c{p, *t, now_utc_micros, options, {}, &plan, {}, {}};
      c.shape.parent = t->name;
      c.shape.key_column = t->key_columns[0];
      c.shape.key_type = t->key_type;
      c.shape.has_default = t->default_partition.has_value() || p.default_partition;
      c.shape.columns = t->columns;
      c.shape.inherit_privileges = p.inherit_privileges && t->privileges_known;
      c.shape.owner = t->owner;
      c.shape.grants = t->grants;
      if (p.strategy == Strategy::kRange) c.shape.storage_template = StorageTemplate(*t);
      c.shape.default_name = t->default_partition
                                 ? t->default_partition->name
                                 : QualifiedName{t->name.schema, t->name.name + "_default"};
      c.report.table = t->name;
      c.report.policy = p.name;
      c.report.key = t->key_columns[0] + " " + KeyTypeName(t->key_type);
      if (p.strategy == Strategy::kHash) {
        c.report.key = t->key_columns[0] + " " + t->key_type_name;
        PlanHash(c);
      } else {
        PlanRange(c);
      }
      PlanPrivileges(c);
      PlanIndexDrift(c);
      if (t->convert && t->convert->phase == ConvertPhase::kSwapped) PlanConvertedLeftover(c);
      if (!t->locked_by.empty()) {
        // Read structurally only (rows not counted): nothing on this table runs this time.
        for (auto& keyed : c.steps) {
          Step& s = keyed.second;
          if (s.status == StepStatus::kHeld) continue;
          s.status = StepStatus::kBlocked;
          s.blocked_by = "another session holds a lock: " + t->locked_by;
        }
        c.report.drift.push_back("not read completely: " + t->locked_by);
      } else if (!t->unreadable.empty()) {
        for (auto& keyed : c.steps) {
          Step& s = keyed.second;
          if (s.status == StepStatus::kHeld) continue;
          s.status = StepStatus::kBlocked;
          s.blocked_by = t->unreadable;
        }
        c.report.drift.push_back("not read completely: " + t->unreadable);
      }
      if (t->pg_partman) {
        // Another maintainer: nothing runs on the table while pg_partman is configured for it,
        // and the report says so even when pgpart has nothing to do.
        const std::string why = PartmanConflict(*t->pg_partman);
        for (auto& keyed : c.steps) {
          Step& s = keyed.second;
          if (s.status == StepStatus::kHeld) continue;
          s.status = StepStatus::kBlocked;
          s.blocked_by = why;
        }
        c.report.drift.push_back(why);
      }
      PartitionSummary summary = Summarize(*t);
      summary.covered_until = c.report.partitions.covered_until;
      c.report.partitions = summary;
      if (ErrorCount(plan.diagnostics) > errors_before) {
        // A table that cannot be planned gets no steps at all (nothing half-done on it); the
        // other tables are planned and applied as usual, and the run reports the error.
        c.steps.clear();
        c.report.drift.push_back("not planned: the policy has an error for this table");
      }
      std::stable_sort(c.steps.begin(), c.steps.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      TableResult& result = results[t->name];
      result.report = std::move(c.report);
      for (auto& keyed : c.steps) result.steps.push_back(std::move(keyed.second));
    }
  }
  for (auto& [name, r] : results) {
    plan.tables.push_back(std::move(r.report));
    for (Step& s : r.steps) plan.steps.push_back(std::move(s));
  }
  plan.summary = Summarize(plan.steps);
  return plan;
}

}  // namespace pgpart
