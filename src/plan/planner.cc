// The planner (DESIGN §4): desired grid vs observed children -> ordered steps.

#include "plan/planner.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/calendar.h"
#include "plan/statements.h"

namespace pgpart {
namespace {

// Refuse to plan more creates than this for one table: a `start:` typo on an hourly grid would
// otherwise ask for hundreds of thousands of tables.
constexpr int64_t kMaxCreatesPerTable = 10'000;

struct Context {
  const Policy& policy;
  const Table& table;
  int64_t now;  // UTC micros
  const PlanOptions& options;
  TableShape shape;
  Plan* plan;
  TableReport report;
  // Steps with their sort key: group (recovery, default, periods), lower bound, action.
  std::vector<std::pair<std::tuple<int, Bound, int>, Step>> steps;
};

void Push(Context& c, Step step, Bound from = Bound::Min()) {
  int group = step.action == Action::kFinalizeDetach  ? 0
              : step.action == Action::kCreateDefault ? 1
                                                      : 2;
  c.steps.emplace_back(std::make_tuple(group, from, static_cast<int>(step.action)),
                       std::move(step));
}

void AddDiagnostic(Plan* plan, Severity severity, const Policy& policy, const std::string& path,
                   std::string message) {
  plan->diagnostics.push_back(
      Diagnostic{severity, policy.LocationOf(path), path, std::move(message)});
}

std::string TableText(const QualifiedName& n) { return n.Sql(); }

std::string PeriodText(KeyType type, const Bound& from, const Bound& to) {
  return "[" + BoundText(type, from) + ", " + BoundText(type, to) + ")";
}

bool Overlaps(const Bound& a_from, const Bound& a_to, const Bound& b_from, const Bound& b_to) {
  return a_from < b_to && b_from < a_to;
}

Step NewStep(const Context& c, Action action, const QualifiedName& partition, Reason reason) {
  Step s;
  s.action = action;
  s.table = c.table.name;
  s.policy = c.policy.name;
  s.partition = partition;
  s.reason = reason;
  return s;
}

void AddHazard(Step& s, Hazard h) {
  if (std::find(s.hazards.begin(), s.hazards.end(), h) == s.hazards.end()) s.hazards.push_back(h);
}

// Hazards that follow from the statements themselves.
void AddStatementHazards(Step& s) {
  for (const Statement& st : s.statements) {
    if (!st.transactional) AddHazard(s, Hazard::kNonTransactional);
  }
}

// Does an active hold cover this child? Returns the hold's description ("" when not held).
std::string ActiveHold(const Context& c, const Grid* grid, const Child& child,
                       std::vector<std::string>* expired_notes) {
  for (size_t i = 0; i < c.policy.holds.size(); ++i) {
    const Hold& h = c.policy.holds[i];
    bool matches = false;
    if (h.partition) {
      matches = *h.partition == child.name.name;
    } else if (grid != nullptr && child.bound_kind == BoundKind::kRange) {
      Bound from = Bound::Min(), to = Bound::Max();
      if (h.from) {
        auto v = ParsePolicyValue(*grid, *h.from);
        if (v) from = Bound::Value(*v);
      }
      if (h.to) {
        auto v = ParsePolicyValue(*grid, *h.to);
        if (v) to = Bound::Value(*v);
      }
      matches = Overlaps(child.from, child.to, from, to);
    }
    if (!matches) continue;
    if (h.until) {
      auto until = ParseInstant(*h.until, FindZone(c.policy.time_zone));
      if (until && *until <= c.now) {
        expired_notes->push_back("hold on " + child.name.name + " (" + h.reason + ") expired " +
                                 *h.until);
        continue;
      }
      return h.reason + " (until " + *h.until + ")";
    }
    return h.reason;
  }
  return "";
}

// Retention steps for one expired child (drop, detach or archive), with holds and limits applied.
void PlanRetention(Context& c, const Grid* grid, const Child& child, int* drops_planned) {
  const Retention& r = *c.policy.retention;
  const Execution& e = c.policy.execution;
  Action action = r.action == RetentionAction::kDrop     ? Action::kDrop
                  : r.action == RetentionAction::kDetach ? Action::kDetach
                                                         : Action::kArchive;
  Step s = NewStep(c, action, child.name, Reason::kRetention);
  s.from = BoundText(c.table.key_type, child.from);
  s.to = BoundText(c.table.key_type, child.to);
  s.rows_estimate = child.rows_estimate;

  std::vector<std::string> expired_notes;
  std::string hold = ActiveHold(c, grid, child, &expired_notes);
  for (auto& note : expired_notes) c.report.drift.push_back(note);
  if (!hold.empty()) {
    s.status = StepStatus::kHeld;
    s.held_by = hold;
  }

  if (child.detach_pending) {
    // The interrupted detach is finalized by its own recovery step; what remains is a plain table.
    if (action == Action::kDetach) return;
  } else {
    s.statements.push_back(Detach(c.shape, child.name, e));
  }
  if (action == Action::kDrop) {
    s.statements.push_back(DropTable(child.name, e));
    AddHazard(s, Hazard::kDeletesData);
    if (!c.policy.backup_gate) AddHazard(s, Hazard::kBackupUnverified);
  } else {
    AddHazard(s, Hazard::kDetachesData);
  }
  if (action == Action::kArchive) {
    s.statements.push_back(CreateSchema(r.archive_schema, e));
    s.statements.push_back(SetSchema(child.name, r.archive_schema, e));
  }
  if (!child.detach_pending && c.shape.has_default) {
    AddHazard(s, Hazard::kAcquiresAccessExclusiveLock);
  }
  AddStatementHazards(s);

  if (action == Action::kDrop && s.status == StepStatus::kPlanned) {
    std::optional<int> limit = c.options.max_drops ? c.options.max_drops : r.max_drops_per_run;
    if (limit && *drops_planned >= *limit) {
      s.status = StepStatus::kBlocked;
      s.blocked_by = "maxDropsPerRun (" + std::to_string(*limit) +
                     ") reached for this table in this run; raise spec.retention.maxDropsPerRun "
                     "or pass --max-drops N to drop more";
    } else {
      ++*drops_planned;
    }
  }
  Push(c, std::move(s), child.from);
}

void PlanFinalize(Context& c, const Child& child) {
  Step s = NewStep(c, Action::kFinalizeDetach, child.name, Reason::kRecovery);
  if (child.bound_kind == BoundKind::kRange) {
    s.from = BoundText(c.table.key_type, child.from);
    s.to = BoundText(c.table.key_type, child.to);
  }
  s.statements.push_back(FinalizeDetach(c.shape, child.name, c.policy.execution));
  AddHazard(s, Hazard::kDetachesData);
  AddStatementHazards(s);
  Push(c, std::move(s), child.from);
  c.report.drift.push_back("partition " + child.name.name +
                           " has an interrupted DETACH CONCURRENTLY; it will be finalized");
}

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
  AddHazard(s, Hazard::kAcquiresAccessExclusiveLock);
  Push(c, std::move(s));
}

int64_t DefaultRowsIn(const Table& t, const Bound& from, const Bound& to, bool* partial) {
  int64_t rows = 0;
  for (const DefaultBucket& b : t.default_buckets) {
    if (!Overlaps(b.from, b.to, from, to)) continue;
    if (b.from < from || to < b.to) *partial = true;  // bucket straddles the period
    rows += b.rows;
  }
  return rows;
}

void PlanRange(Context& c) {
  const Policy& p = c.policy;
  const Table& t = c.table;
  std::string error;
  const date::time_zone* zone = FindZone(p.time_zone);
  std::optional<Grid> grid = Grid::Make(t.key_type, *p.interval, zone, &error);
  if (!grid) {
    AddDiagnostic(c.plan, Severity::kError, p, "spec.interval",
                  TableText(t.name) + " (key " + t.key_columns[0] + " " + t.key_type_name +
                      "): " + error);
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
  for (const Child& child : t.children) {
    std::optional<int64_t> index;
    if (child.bound_kind == BoundKind::kRange && child.from.is_value() && child.to.is_value() &&
        !child.sub_partitioned && !child.foreign) {
      index = grid->IndexOfPeriod(child.from.value, child.to.value);
    }
    if (index && !managed.count(*index)) {
      managed[*index] = &child;
      std::string expected = ExpandName(name_template, t.name.name, grid->Fields(*index));
      if (expected != child.name.name) {
        c.report.drift.push_back("partition " + child.name.name + " holds period " +
                                 PeriodText(kt, child.from, child.to) +
                                 " but the naming template gives " + expected +
                                 " (not renamed)");
      }
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
      c.report.drift.push_back("partition " + child.name.name + " " + bounds + " is " + why +
                               " (unmanaged)");
    }
  }

  // Recovery first: interrupted concurrent detaches.
  for (const Child& child : t.children) {
    if (child.detach_pending) PlanFinalize(c, child);
  }

  PlanDefault(c);
  const bool has_default_after = c.shape.has_default;

  // Desired periods: from max(start or oldest managed/current, first unexpired) to current+premake.
  int64_t low = current;
  if (start_index) {
    low = *start_index;
  } else if (!managed.empty()) {
    low = std::min(low, managed.begin()->first);
  }
  if (cutoff) low = std::max(low, grid->IndexOf(*cutoff));
  const int64_t high = current + p.premake;
  if (high - low + 1 > kMaxCreatesPerTable) {
    AddDiagnostic(c.plan, Severity::kError, p, p.start ? "spec.start" : "spec.interval",
                  TableText(t.name) + ": the policy asks for " + std::to_string(high - low + 1) +
                      " periods (more than " + std::to_string(kMaxCreatesPerTable) +
                      "); check start and interval");
    return;
  }
  std::set<std::string> taken_names;
  for (const Child& child : t.children) taken_names.insert(child.name.name);
  if (t.default_partition) taken_names.insert(t.default_partition->name.name);

  std::set<std::string> planned_names;
  bool partial_buckets = false;
  for (int64_t i = low; i <= high; ++i) {
    if (managed.count(i)) continue;
    Bound from = Bound::Value(grid->Lower(i)), to = Bound::Value(grid->Upper(i));
    const Child* blocker = nullptr;
    for (const Child* u : unmanaged) {
      if (u->bound_kind == BoundKind::kRange && Overlaps(u->from, u->to, from, to)) blocker = u;
    }
    if (blocker != nullptr) {
      c.report.drift.push_back("period " + PeriodText(kt, from, to) + " is covered by unmanaged " +
                               "partition " + blocker->name.name + "; not created");
      continue;
    }
    QualifiedName name{t.name.schema, ExpandName(name_template, t.name.name, grid->Fields(i))};
    Step s = NewStep(c, Action::kCreate, name, i < current ? Reason::kBackfill : Reason::kPremake);
    s.from = BoundText(kt, from);
    s.to = BoundText(kt, to);
    if (name.name.size() > kMaxIdentifierBytes) {
      AddDiagnostic(c.plan, Severity::kError, p, "spec.naming",
                    "partition name " + name.name + " exceeds 63 bytes");
      continue;
    }
    if (planned_names.count(name.name)) {
      // e.g. an hourly template in a zone whose clocks go back: the repeated hour has one name.
      AddDiagnostic(c.plan, Severity::kError, p, "spec.naming",
                    TableText(t.name) + ": two periods map to the name " + name.name +
                        "; make the template unique (or use timeZone: UTC for hourly grids)");
      continue;
    }
    if (taken_names.count(name.name)) {
      s.status = StepStatus::kBlocked;
      s.blocked_by = "a partition named " + name.name + " already exists with other bounds";
    }
    planned_names.insert(name.name);
    s.statements.push_back(CreateStandalone(c.shape, name, p.execution));

    int64_t default_rows = 0;
    if (t.default_partition && t.default_rows > 0) {
      if (t.default_buckets_known) {
        default_rows = DefaultRowsIn(t, from, to, &partial_buckets);
      } else {
        AddDiagnostic(c.plan, Severity::kWarning, p, "spec.defaultPartition",
                      TableText(t.name) + ": the default partition has " +
                          std::to_string(t.default_rows) +
                          " rows but their periods were not counted (snapshot taken without "
                          "policies: use `pgpart snapshot -f`); drains cannot be planned");
      }
    }
    if (default_rows > 0) {
      // Create, drain, attach: one transaction, executed as the create + drain_default pair.
      Push(c, s, from);
      Step d = NewStep(c, Action::kDrainDefault, name, s.reason);
      d.status = s.status;
      d.blocked_by = s.blocked_by;
      d.from = s.from;
      d.to = s.to;
      d.rows_estimate = default_rows;
      d.statements.push_back(DrainDefault(c.shape, name, from, to, p.execution));
      d.statements.push_back(AttachRange(c.shape, name, from, to, p.execution));
      AddHazard(d, Hazard::kRewritesRows);
      AddHazard(d, Hazard::kAcquiresAccessExclusiveLock);  // on the default partition
      Push(c, std::move(d), from);
      continue;
    }
    s.statements.push_back(AttachRange(c.shape, name, from, to, p.execution));
    if (has_default_after) AddHazard(s, Hazard::kAcquiresAccessExclusiveLock);
    Push(c, std::move(s), from);
  }
  if (partial_buckets) {
    AddDiagnostic(c.plan, Severity::kWarning, p, "spec.interval",
                  TableText(t.name) + ": default partition row counts were taken on another "
                                      "grid; drain estimates are approximate");
  }
  if (t.default_partition && t.default_rows > 0) {
    c.report.drift.push_back("default partition " + t.default_partition->name.name + " holds " +
                             std::to_string(t.default_rows) + " rows");
  }

  // Retention on real bounds.
  int drops_planned = 0;
  if (cutoff) {
    std::vector<const Child*> expired;
    for (const Child& child : t.children) {
      if (child.bound_kind != BoundKind::kRange || !child.to.is_value()) continue;
      if (child.to.value <= *cutoff) expired.push_back(&child);
    }
    // Oldest first, whatever order the catalog listed them in: maxDropsPerRun keeps the newest.
    std::sort(expired.begin(), expired.end(), [](const Child* a, const Child* b) {
      return a->from == b->from ? a->name < b->name : a->from < b->from;
    });
    for (const Child* child : expired) PlanRetention(c, &*grid, *child, &drops_planned);
  } else if (p.retention && integer_key) {
    c.report.drift.push_back("retention not evaluated: the table is empty");
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

void PlanHash(Context& c) {
  const Policy& p = c.policy;
  const Table& t = c.table;
  std::set<int> moduli;
  std::set<int> remainders;
  for (const Child& child : t.children) {
    if (child.bound_kind != BoundKind::kHash) continue;
    moduli.insert(child.modulus);
    if (child.modulus == p.modulus) remainders.insert(child.remainder);
  }
  std::string mismatch;
  for (int m : moduli) {
    if (m != p.modulus) {
      mismatch = "existing children use modulus " + std::to_string(m) + " but the policy asks for " +
                 std::to_string(p.modulus) + "; re-hashing is never automatic";
    }
  }
  if (!mismatch.empty()) c.report.drift.push_back(mismatch);
  std::set<std::string> taken_names;
  for (const Child& child : t.children) taken_names.insert(child.name.name);
  NameFields no_fields;
  for (int r = 0; r < p.modulus; ++r) {
    if (mismatch.empty() && remainders.count(r)) continue;
    QualifiedName name{t.name.schema, ExpandName(p.NameTemplate(), t.name.name, no_fields, r)};
    if (!mismatch.empty() && taken_names.count(name.name)) continue;
    Step s = NewStep(c, Action::kCreate, name, Reason::kPremake);
    if (!mismatch.empty()) {
      s.status = StepStatus::kBlocked;
      s.blocked_by = mismatch;
    } else if (taken_names.count(name.name)) {
      s.status = StepStatus::kBlocked;
      s.blocked_by = "a partition named " + name.name + " already exists with other bounds";
    }
    s.statements.push_back(CreateStandalone(c.shape, name, p.execution));
    s.statements.push_back(AttachHash(c.shape, name, p.modulus, r, p.execution));
    Push(c, std::move(s), Bound::Value(r));
  }
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
                  "table " + name + " is not partitioned (PARTITION BY is needed)");
    return false;
  }
  if (t->key_columns.size() != 1) {
    AddDiagnostic(plan, Severity::kError, p, path,
                  "table " + name + " is partitioned on " +
                      (t->key_columns.empty() ? std::string("an expression")
                                              : std::to_string(t->key_columns.size()) +
                                                    " columns") +
                      "; pgpart supports a single key column");
    return false;
  }
  const std::string want = p.strategy == Strategy::kHash ? "hash" : "range";
  if (t->strategy != want) {
    AddDiagnostic(plan, Severity::kError, p, "spec.strategy",
                  "table " + name + " is partitioned by " + t->strategy + ", the policy says " +
                      want);
    return false;
  }
  if (p.column && *p.column != t->key_columns[0]) {
    AddDiagnostic(plan, Severity::kError, p, "spec.column",
                  "table " + name + " is partitioned on " + t->key_columns[0] +
                      ", not on " + *p.column);
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

  struct TableResult {
    TableReport report;
    std::vector<Step> steps;
  };
  std::map<QualifiedName, TableResult> results;
  for (const Policy& p : policies) {
    for (size_t i = 0; i < p.tables.size(); ++i) {
      const Table* t = catalog.Find(p.tables[i]);
      if (!CheckTable(p, i, t, &plan)) continue;
      Context c{p, *t, now_utc_micros, options, {}, &plan, {}, {}};
      c.shape.parent = t->name;
      c.shape.key_column = t->key_columns[0];
      c.shape.key_type = t->key_type;
      c.shape.has_default = t->default_partition.has_value() || p.default_partition;
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
      PartitionSummary summary = Summarize(*t);
      summary.covered_until = c.report.partitions.covered_until;
      c.report.partitions = summary;
      std::stable_sort(c.steps.begin(), c.steps.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      TableResult& result = results[t->name];
      result.report = std::move(c.report);
      for (auto& keyed : c.steps) result.steps.push_back(std::move(keyed.second));
    }
  }
  for (auto& [name, r] : results) {
    plan.tables.push_back(std::move(r.report));
    for (Step& s : r.steps) {
      switch (s.status) {
        case StepStatus::kHeld:
          ++plan.summary.held;
          break;
        case StepStatus::kBlocked:
          ++plan.summary.blocked;
          break;
        case StepStatus::kPlanned:
          switch (s.action) {
            case Action::kCreate:
            case Action::kCreateDefault:
              ++plan.summary.create;
              break;
            case Action::kDrainDefault:
              ++plan.summary.drain;
              break;
            case Action::kDetach:
            case Action::kFinalizeDetach:
              ++plan.summary.detach;
              break;
            case Action::kArchive:
              ++plan.summary.archive;
              break;
            case Action::kDrop:
              ++plan.summary.drop;
              break;
          }
          break;
      }
      plan.steps.push_back(std::move(s));
    }
  }
  return plan;
}

}  // namespace pgpart
