// Creates of range partitions (premade, backfilled, bridges), with the drain of the default
// partition's rows of their period; and the default partition's rows of expired periods, moved into
// a partition of their own that retention retires at once.

#include <algorithm>

#include "plan/planner_internal.h"

namespace pgpart::planner {

namespace {

// Rows of the default partition counted in [from, to), a part of `period`. *other_grid: a bucket
// reaches outside the period (counted on another grid: the estimate is approximate).
int64_t DefaultRowsIn(const Table& t, const Span& part, const Span& period, bool* other_grid) {
  int64_t rows = 0;
  for (const DefaultBucket& b : t.default_buckets) {
    if (!Overlaps(b.from, b.to, part.from, part.to)) continue;
    if (b.from < period.from || period.to < b.to) *other_grid = true;
    rows += b.rows;
  }
  return rows;
}

}  // namespace

Creates CreatesOf(Context& c) {
  const Table& t = c.table;
  Creates cr;
  cr.has_default_after = c.shape.has_default;
  for (const Child& child : t.children) cr.taken.insert(child.name.name);
  if (t.default_partition) cr.taken.insert(t.default_partition->name.name);
  for (const Child& marked : t.detached_for_drop) {
    if (marked.name.schema == t.name.schema) cr.marked.insert(marked.name.name);
  }
  for (const Child& d : t.detached) {
    if (d.name.schema == t.name.schema) cr.detached.insert(d.name.name);
  }
  cr.rows_unplaced = t.default_partition && t.default_rows > 0 && !t.default_buckets_known &&
                     t.locked_by.empty() && t.unreadable.empty();
  if (cr.rows_unplaced) {
    AddDiagnostic(c.plan, Severity::kWarning, c.policy, "spec.defaultPartition",
                  TableText(t.name) + ": the default partition has " +
                      std::to_string(t.default_rows) +
                      " rows but their periods were not counted (a snapshot taken without -f "
                      "does not count them); its creates are blocked");
  }
  // Rows of the default partition that were not counted by period (outside the counted window,
  // or NULL keys): a create outside the window might need them drained, so it waits.
  int64_t counted = 0;
  for (const DefaultBucket& b : t.default_buckets) counted += b.rows;
  cr.uncounted_rows = t.default_partition && t.default_rows > counted &&
                      (t.default_counted_from.is_value() || t.default_counted_to.is_value());
  return cr;
}

std::optional<CreateSteps> CreateOf(Context& c, Creates& cr, const QualifiedName& name,
                                    const Span& part, const Span& period, bool sole_part,
                                    Reason reason) {
  const Policy& p = c.policy;
  const Table& t = c.table;
  const KeyType kt = t.key_type;
  const bool bridge = !(part.from == period.from && part.to == period.to);
  if (name.name.size() > kMaxIdentifierBytes && bridge) {
    // The period's own name fits (else it is the error below); its bridge suffix does not. Shown
    // blocked, not an error that would stop every step of the table.
    Step s = NewStep(c, Action::kCreate, name, reason);
    s.from = BoundText(kt, part.from);
    s.to = BoundText(kt, part.to);
    s.status = StepStatus::kBlocked;
    s.blocked_by = "the bridge partition's name would be " + std::to_string(name.name.size()) +
                   " bytes, over PostgreSQL's 63: rows of " + PeriodText(kt, part.from, part.to) +
                   " have no partition of their own; a shorter spec.naming makes room";
    return CreateSteps{std::move(s), std::nullopt};
  }
  if (name.name.size() > kMaxIdentifierBytes) {
    AddDiagnostic(c.plan, Severity::kError, p, "spec.naming",
                  "partition name " + name.name + " exceeds 63 bytes");
    return std::nullopt;
  }
  if (cr.planned.count(name.name)) {
    // e.g. an hourly template in a zone whose clocks go back: the repeated hour has one name.
    AddDiagnostic(c.plan, Severity::kError, p, "spec.naming",
                  TableText(t.name) + ": two periods map to the name " + name.name +
                      "; make the template unique (or use timeZone: UTC for hourly grids)");
    return std::nullopt;
  }
  cr.planned.insert(name.name);
  Step s = NewStep(c, Action::kCreate, name, reason);
  s.from = BoundText(kt, part.from);
  s.to = BoundText(kt, part.to);
  if (cr.taken.count(name.name)) {
    s.status = StepStatus::kBlocked;
    s.blocked_by = "a partition named " + name.name + " already exists with other bounds";
  } else if (cr.marked.count(name.name)) {
    s.status = StepStatus::kBlocked;
    s.blocked_by = "a table named " + name.name + " carrying a pgpart drop marker exists";
  } else if (cr.detached.count(name.name)) {
    // keep was raised after the detach (the period is wanted again and its old data is there), or
    // rows of a detached period arrived in the default partition later.
    s.status = StepStatus::kBlocked;
    s.blocked_by = "a table named " + name.name + " that pgpart detached from " + t.name.Sql() +
                   " exists: attach it again or drop it by hand";
  }
  s.statements.push_back(CreateStandalone(c.shape, name, p.execution));
  for (Statement& st : FromTemplate(c.shape, name, p.execution)) {
    s.statements.push_back(std::move(st));
  }
  for (Statement& st : InheritPrivileges(c.shape, name, "", {}, p.execution)) {
    s.statements.push_back(std::move(st));
  }

  int64_t default_rows = 0;
  if (cr.rows_unplaced) {
    // Attaching would fail if some of those rows belong here; never guess.
    s.status = StepStatus::kBlocked;
    s.blocked_by = "the default partition holds " + std::to_string(t.default_rows) +
                   " rows whose periods were not counted";
  } else if (cr.uncounted_rows &&
             (part.from < t.default_counted_from || t.default_counted_to < part.to)) {
    s.status = StepStatus::kBlocked;
    s.blocked_by = "the default partition holds rows outside the periods that were counted [" +
                   BoundText(kt, t.default_counted_from) + ", " +
                   BoundText(kt, t.default_counted_to) + "); some may belong here";
  } else if (t.default_partition && t.default_rows > 0) {
    default_rows = DefaultRowsIn(t, part, period, &cr.partial_buckets);
    // Rows are counted by grid period: where a period is split into several parts, each part's
    // estimate is the whole period's (the rows of the parts other partitions cover are there).
    if (default_rows > 0 && !sole_part) cr.shared_estimates = true;
  }
  CreateSteps out;
  if (default_rows > 0) {
    // Create, drain, attach: one transaction, executed as the create + drain_default pair.
    if ((!t.columns_known || t.columns.empty()) && s.status == StepStatus::kPlanned) {
      // Rows are moved by naming the columns; a snapshot without them cannot say which.
      s.status = StepStatus::kBlocked;
      s.blocked_by =
          "the catalog snapshot does not list the table's columns, which moving rows out of the "
          "default partition needs; take a new snapshot (pgpart snapshot -f ...)";
    }
    Step d = NewStep(c, Action::kDrainDefault, name, s.reason);
    d.status = s.status;
    d.blocked_by = s.blocked_by;
    d.from = s.from;
    d.to = s.to;
    d.rows_estimate = default_rows;
    d.statements.push_back(LockOutWriters(c.shape, p.execution));
    d.statements.push_back(DrainDefault(c.shape, name, part.from, part.to, p.execution));
    d.statements.push_back(AttachRange(c.shape, name, part.from, part.to, p.execution));
    AddHazard(d, Hazard::kRewritesRows);
    AddHazard(d, Hazard::kAcquiresAccessExclusiveLock);  // on the default partition
    out.drain = std::move(d);
  } else {
    if (cr.has_default_after) s.statements.push_back(LockOutWriters(c.shape, p.execution));
    s.statements.push_back(AttachRange(c.shape, name, part.from, part.to, p.execution));
    if (cr.has_default_after) AddHazard(s, Hazard::kAcquiresAccessExclusiveLock);
  }
  out.create = std::move(s);
  return out;
}

void PlanCreate(Context& c, Creates& cr, const QualifiedName& name, const Span& part,
                const Span& period, bool sole_part, Reason reason) {
  std::optional<CreateSteps> made = CreateOf(c, cr, name, part, period, sole_part, reason);
  if (!made) return;
  Push(c, std::move(made->create), part.from);
  if (made->drain) Push(c, std::move(*made->drain), part.from);
}

std::vector<int64_t> ExpiredRowPeriods(const Table& t, const Grid& grid, int64_t cutoff,
                                       const Creates& cr) {
  std::set<int64_t> periods;
  if (!t.default_partition || t.default_rows == 0 || cr.rows_unplaced) return {};
  for (const DefaultBucket& b : t.default_buckets) {
    if (b.rows <= 0 || !b.from.is_value() || !b.to.is_value()) continue;
    for (int64_t i = grid.IndexOf(b.from.value); grid.Lower(i) < b.to.value; ++i) {
      if (grid.Lower(i) >= cutoff) break;
      periods.insert(i);
    }
  }
  return {periods.begin(), periods.end()};
}

std::optional<Step> PlanExpiredDefaultRows(Context& c, Creates& cr, const Grid& grid,
                                           const QualifiedName& name, const Span& part,
                                           const Span& period, bool sole_part,
                                           int* drops_planned) {
  if (cr.planned.count(name.name)) return std::nullopt;  // a create of this plan has the name
  std::optional<CreateSteps> made =
      CreateOf(c, cr, name, part, period, sole_part, Reason::kRetention);
  if (!made) return std::nullopt;
  if (!made->drain && made->create.statements.empty()) {  // a bridge whose name cannot be
    Push(c, std::move(made->create), part.from);           // (shown blocked)
    return std::nullopt;
  }
  if (!made->drain) {
    // No rows counted there after all (or they cannot be placed): an empty expired period is
    // not created only to be retired.
    cr.planned.erase(name.name);
    return std::nullopt;
  }
  Step& create = made->create;
  Step& drain = *made->drain;
  Child child;
  child.name = name;
  child.bound_kind = BoundKind::kRange;
  child.from = part.from;
  child.to = part.to;
  child.rows_estimate = drain.rows_estimate;
  RetireOptions options;
  options.created_in_unit = true;
  if (create.status == StepStatus::kBlocked) options.blocked_by = create.blocked_by;
  std::optional<Step> retire = RetentionStep(c, &grid, child, drops_planned, options);
  if (!retire) return std::nullopt;  // cannot happen: a new partition has no pending detach
  // One unit: a hold or a limit on the retirement keeps the rows where they are.
  for (Step* s : {&create, &drain}) {
    s->status = retire->status;
    s->held_by = retire->held_by;
    s->blocked_by = retire->blocked_by;
  }
  Push(c, std::move(create), part.from);
  Push(c, std::move(drain), part.from);
  Step out = *retire;
  Push(c, std::move(*retire), part.from);
  return out;
}

}  // namespace pgpart::planner
