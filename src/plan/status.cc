#include "plan/status.h"

#include <algorithm>
#include <set>
#include <string>

#include "core/calendar.h"
#include "core/duration.h"
#include "core/key.h"
#include "plan/planner_internal.h"

namespace pgpart {
namespace {

// An upper bound on how far ahead a retention expiry is searched (keep: 1000 years is absurd).
constexpr int64_t kMaxSearchMicros = 1000LL * 366 * kMicrosPerDay;

std::string PartitionLabel(const QualifiedName& parent, const QualifiedName& child) {
  return child.schema == parent.schema ? child.name : child.Text();
}

const TableReport* FindReport(const Plan& plan, const std::string& policy,
                              const QualifiedName& table) {
  for (const TableReport& r : plan.tables) {
    if (r.policy == policy && r.table == table) return &r;
  }
  return nullptr;
}

// The key value the plan measures "now" in: the grid's Now for time keys, max(key) for integers.
// An empty integer-keyed table has no max(key): like the planner (PlanRange), count from the
// period of spec.start, else of 0, so the buffer the premake steps create is the one measured.
std::optional<int64_t> NowKey(const Policy& p, const Grid& grid, const Table& t, int64_t now) {
  if (!IsIntegerKey(t.key_type)) return grid.Now(now);
  if (t.max_key) return t.max_key;
  if (p.start) {
    std::optional<int64_t> start = ParsePolicyValue(grid, *p.start);
    if (!start) return std::nullopt;  // the plan carries the error
    return grid.Lower(grid.IndexOf(*start));
  }
  return grid.Lower(grid.IndexOf(0));
}

// Upper bound of the contiguous run of range children containing `key` (nullopt: not covered).
std::optional<Bound> CoveredUntil(const Table& t, int64_t key) {
  const Bound k = Bound::Value(key);
  std::optional<Bound> until;
  for (const Child& c : t.children) {
    if (c.bound_kind != BoundKind::kRange) continue;
    if (!until) {
      if (!(k < c.from) && k < c.to) until = c.to;
    } else if (c.from == *until) {
      until = c.to;
    }
  }
  return until;
}

int64_t FutureBuffer(const Grid& grid, const Table& t, int64_t now_key) {
  std::optional<Bound> until = CoveredUntil(t, now_key);
  if (!until) return 0;
  if (until->kind == Bound::Kind::kMaxValue) return kMaxPremake;
  int64_t periods = grid.IndexOf(until->value) - 1 - grid.IndexOf(now_key);
  return std::max<int64_t>(0, periods);
}

// The first instant at or after `now` at which `upper` is at or before now - keep (binary search
// over whole seconds on the grid's own arithmetic; Subtract and Now never decrease).
std::optional<int64_t> ExpiryInstant(const Grid& grid, Interval keep, int64_t upper, int64_t now) {
  auto expired = [&](int64_t t) { return grid.Subtract(grid.Now(t), keep) >= upper; };
  if (expired(now)) return now;
  int64_t lo = now / kMicrosPerSecond, hi = (now + kMaxSearchMicros) / kMicrosPerSecond;
  if (!expired(hi * kMicrosPerSecond)) return std::nullopt;
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    (expired(mid * kMicrosPerSecond) ? hi : lo) = mid;
  }
  return hi * kMicrosPerSecond;
}

// The retention event of one child (nullopt: not within the search horizon). A hold with an
// expiry postpones it to that expiry.
std::optional<RetentionEvent> EventOf(const Policy& p, const Grid& grid, const Table& t,
                                      const Child& child, std::optional<int64_t> held_until,
                                      int64_t now) {
  RetentionEvent ev;
  ev.partition = PartitionLabel(t.name, child.name);
  ev.action = RetentionActionName(p.retention->action);
  const int64_t upper = child.to.value;
  if (IsIntegerKey(t.key_type)) {
    int64_t reach = upper + p.retention->keep.count;
    ev.when = "max(key) >= " + std::to_string(reach);
    if (held_until) ev.when += " and after " + InstantText(*held_until);
    ev.due = t.max_key && *t.max_key >= reach && !held_until;
  } else {
    ev.at_micros = ExpiryInstant(grid, p.retention->keep, upper, now);
    if (!ev.at_micros) return std::nullopt;
    if (held_until) ev.at_micros = std::max(*ev.at_micros, *held_until);
    ev.at = InstantText(*ev.at_micros);
    ev.when = ev.at;
    ev.due = *ev.at_micros <= now;
  }
  if (p.retention->action == RetentionAction::kDrop && p.backup_gate) {
    ev.gate_checked = true;
    ev.gate = GateKindName(p.backup_gate->kind);
  }
  return ev;
}

// The next retention event: the oldest partition no hold keeps, or a held one whose hold expires
// sooner than that. Partitions held without expiry never have one.
std::optional<RetentionEvent> NextRetention(const Policy& p, const Grid& grid, const Table& t,
                                            int64_t now) {
  if (!p.retention) return std::nullopt;
  std::optional<RetentionEvent> best;
  const std::set<std::string> adopted = planner::AdoptedPartitions(p, grid, t);  // never retired
  auto consider = [&](std::optional<RetentionEvent> ev) {
    if (!ev) return;
    if (!best || (ev->at_micros && best->at_micros && *ev->at_micros < *best->at_micros)) {
      best = std::move(ev);
    }
  };
  for (const Child& c : t.children) {
    if (c.bound_kind != BoundKind::kRange || !c.to.is_value() || adopted.count(c.name.name)) {
      continue;
    }
    std::optional<int64_t> until;
    const bool held = !planner::ActiveHold(p, now, &grid, c, nullptr, &until).empty();
    if (held && !until) continue;
    consider(EventOf(p, grid, t, c, held ? until : std::nullopt, now));
    if (!held) break;  // every later partition expires no sooner
  }
  return best;
}

// The latest outcome pgpart.history records for a step when it did not apply (nullptr: none).
const RecordedOutcome* Recorded(const Table& t, const Step& step) {
  const std::string action = ActionName(step.action);
  for (const RecordedOutcome& o : t.history) {
    if (o.partition == step.partition && o.action == action) return &o;
  }
  return nullptr;
}

// The retention steps of the plan (held ones aside) whose partitions have been due since before
// now - grace: due then, and not held then either. Time keys only: integer keys have no clock.
std::vector<OverduePartition> Overdue(const Policy& p, const Grid& grid, const Table& t,
                                      const Plan& plan, int64_t now, int64_t grace) {
  std::vector<OverduePartition> out;
  if (!p.retention || !IsTimeKey(t.key_type)) return out;
  const int64_t then = now - grace;
  const Interval keep = p.retention->keep;
  for (const Step& step : plan.steps) {
    if (step.policy != p.name || step.table != t.name || step.reason != Reason::kRetention ||
        step.status == StepStatus::kHeld) {
      continue;
    }
    auto child = std::find_if(t.children.begin(), t.children.end(), [&](const Child& c) {
      return c.name == step.partition && c.bound_kind == BoundKind::kRange && c.to.is_value();
    });
    if (child == t.children.end()) continue;
    const int64_t upper = child->to.value;
    if (grid.Subtract(grid.Now(then), keep) < upper) continue;  // not yet due then
    if (!planner::ActiveHold(p, then, &grid, *child, nullptr).empty()) continue;
    // When it fell due: its expiry (the key domain is microseconds; two days before the upper
    // bound is surely before it, whatever the zone), or the end of a hold that kept it longer.
    std::optional<int64_t> due = ExpiryInstant(grid, keep, upper, upper - 2 * kMicrosPerDay);
    std::optional<int64_t> until;
    if (due && !planner::ActiveHold(p, *due, &grid, *child, nullptr, &until).empty() && until) {
      due = std::max(*due, *until);
    }
    out.push_back(OverduePartition{PartitionLabel(t.name, child->name), ActionName(step.action),
                                   due ? InstantText(*due) : ""});
  }
  return out;
}

void Worsen(Health* h, Health to) {
  if (static_cast<int>(to) > static_cast<int>(*h)) *h = to;
}

TableStatus StatusOf(const Policy& p, const QualifiedName& name, const Catalog& catalog,
                     const Plan& plan, int64_t now, const StatusOptions& options) {
  TableStatus s;
  s.table = name;
  s.policy = p.name;
  // Range tables have a buffer, 0 until measured (a table that is not partitioned has none
  // covered); hash tables have no time axis, so none at all.
  if (p.strategy == Strategy::kRange) s.future_buffer_periods = 0;
  const Table* t = catalog.Find(name);
  s.exists = t != nullptr && t->exists;
  if (s.exists && !t->partitioned && p.convert && t->convert) {
    // Not managed yet, but on its way: a warning with the conversion's progress, not an error.
    const ConvertSource& c = *t->convert;
    std::string progress = "table is not partitioned yet: spec.convert converts it (" +
                           ConvertPhaseName(c.phase);
    if (c.phase == ConvertPhase::kCopying && c.pages > 0) {
      progress += ", block " + std::to_string(std::min(c.next_block, c.pages)) + " of " +
                  std::to_string(c.pages) + " copied";
    }
    if (c.phase != ConvertPhase::kNotStarted) {
      progress += ", " + std::to_string(c.log_rows) + " captured changes waiting";
    }
    s.problems.push_back(progress + ")");
    if (const TableReport* r = FindReport(plan, p.name, name)) s.notes = r->notes;
    s.health = Health::kWarning;
    return s;
  }
  if (!s.exists || !t->partitioned) {
    s.problems.push_back(s.exists ? "table is not partitioned" : "table does not exist");
    s.health = Health::kError;
    return s;
  }
  if (const TableReport* r = FindReport(plan, p.name, name)) {
    s.partitions = r->partitions;
    s.drift = r->drift;
    s.notes = r->notes;
  } else {
    s.partitions.count = static_cast<int64_t>(t->children.size());
    s.partitions.default_rows = t->default_rows;
    s.partitions.has_default = t->default_partition.has_value();
  }
  s.last_apply = t->last_apply;
  for (const Child& d : t->detached) {
    DetachedTable dt;
    dt.table = PartitionLabel(name, d.name);
    dt.action = d.name.schema == name.schema ? "detach" : "archive";
    if (d.from.is_value() && d.to.is_value()) {
      dt.from = BoundText(t->key_type, d.from);
      dt.to = BoundText(t->key_type, d.to);
    }
    dt.rows_estimate = d.rows_estimate;
    dt.bytes = d.bytes;
    if (d.detached_at_micros != 0) {
      dt.since = InstantText(d.detached_at_micros / kMicrosPerSecond * kMicrosPerSecond);
    }
    dt.verified = d.marker_oid != 0 && d.marker_oid == d.oid;
    s.detached.push_back(std::move(dt));
  }
  for (const Child& c : t->children) s.bytes += c.bytes;
  if (t->default_partition) s.bytes += t->default_partition->bytes;

  for (const Step& step : plan.steps) {
    if (step.policy != p.name || step.table != name) continue;
    if (step.status == StepStatus::kHeld) {
      s.held.push_back({PartitionLabel(name, step.partition), step.held_by});
    } else if (step.status == StepStatus::kBlocked) {
      s.blocked.push_back(
          {ActionName(step.action), PartitionLabel(name, step.partition), step.blocked_by});
    } else if (const RecordedOutcome* o = Recorded(*t, step)) {
      // Still planned, but the last apply that tried it could not: a backup gate, a lock, an
      // error. The plan alone cannot know; the audit trail does.
      s.blocked.push_back({ActionName(step.action), PartitionLabel(name, step.partition),
                           (o->error.empty() ? "no reason recorded" : o->error) + " (apply at " +
                               InstantText(o->at_micros / kMicrosPerSecond * kMicrosPerSecond) +
                               ": " + o->outcome + ")"});
    }
  }

  std::optional<Grid> grid;
  if (p.strategy == Strategy::kRange && p.interval) {
    std::string error;
    grid = Grid::Make(t->key_type, *p.interval, FindZone(p.time_zone), &error);
  }
  if (grid) {
    std::optional<int64_t> now_key = NowKey(p, *grid, *t, now);
    s.future_buffer_periods = now_key ? FutureBuffer(*grid, *t, *now_key) : 0;
    if (IsTimeKey(t->key_type)) {
      for (const Child& c : t->children) {
        if (c.bound_kind == BoundKind::kRange && c.from.is_value()) {
          s.oldest_age_seconds = std::max<int64_t>(0, (grid->Now(now) - c.from.value) /
                                                          kMicrosPerSecond);
          break;
        }
      }
    }
    s.next_retention = NextRetention(p, *grid, *t, now);
    s.overdue = Overdue(p, *grid, *t, plan, now, options.retention_grace_micros);
    if (*s.future_buffer_periods < kMinFutureBufferPeriods) {
      s.problems.push_back("future buffer " + std::to_string(*s.future_buffer_periods) +
                           " period(s), below " + std::to_string(kMinFutureBufferPeriods));
    }
  }
  if (s.partitions.default_rows > 0) {
    s.problems.push_back(std::to_string(s.partitions.default_rows) +
                         " row(s) in the default partition");
  }
  if (!s.blocked.empty()) {
    s.problems.push_back(std::to_string(s.blocked.size()) + " blocked step(s)");
  }
  if (!s.overdue.empty()) {
    s.problems.push_back(std::to_string(s.overdue.size()) + " partition(s) past retention for " +
                         "more than " + DurationText(options.retention_grace_micros / 1000) +
                         " (oldest " + s.overdue.front().partition + ", due since " +
                         s.overdue.front().due_since + ")");
  }
  if (!s.drift.empty()) s.problems.push_back(std::to_string(s.drift.size()) + " drift finding(s)");
  if (!s.problems.empty()) s.health = Health::kWarning;
  return s;
}

}  // namespace

std::string HealthName(Health h) {
  switch (h) {
    case Health::kOk:
      return "ok";
    case Health::kWarning:
      return "warning";
    case Health::kError:
      return "error";
  }
  return "error";
}

Status ComputeStatus(const std::vector<Policy>& policies, const Catalog& catalog, const Plan& plan,
                     int64_t now_utc_micros, const StatusOptions& options) {
  Status status;
  status.at = InstantText(now_utc_micros);
  status.retention_grace_micros = options.retention_grace_micros;
  status.history = catalog.history;
  status.diagnostics = plan.diagnostics;
  status.unmanaged_with_history = catalog.unmanaged_with_history;
  if (catalog.history == HistoryState::kUnreadable) {
    Diagnostic d;
    d.severity = Severity::kWarning;
    d.message =
        "this role may not read pgpart.history, so steps that earlier applies could not run (a "
        "drop a backup gate blocked, a failed step) are not shown as blocked; grant it USAGE ON "
        "SCHEMA pgpart and SELECT ON pgpart.history";
    status.diagnostics.push_back(std::move(d));
  }
  for (const Policy& p : policies) {
    for (const QualifiedName& name : p.tables) {
      status.tables.push_back(StatusOf(p, name, catalog, plan, now_utc_micros, options));
      Worsen(&status.health, status.tables.back().health);
    }
  }
  if (HasErrors(plan.diagnostics)) Worsen(&status.health, Health::kError);
  return status;
}

int StatusExitCode(const Status& status) {
  switch (status.health) {
    case Health::kOk:
      return 0;
    case Health::kWarning:
      return 2;
    case Health::kError:
      return 1;
  }
  return 1;
}

}  // namespace pgpart
