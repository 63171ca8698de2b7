// Retention: drop / detach / archive on real bounds, holds, maxDropsPerRun, recovery.

#include <algorithm>

#include "plan/planner_internal.h"

namespace pgpart::planner {

// Does an active hold cover this child? Returns the hold's description ("" when not held).
std::string ActiveHold(const Policy& policy, int64_t now, const Grid* grid, const Child& child,
                       std::vector<std::string>* expired_notes, std::optional<int64_t>* until_out) {
  for (size_t i = 0; i < policy.holds.size(); ++i) {
    const Hold& h = policy.holds[i];
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
      auto until = ParseInstant(*h.until, FindZone(policy.time_zone));
      if (until && *until <= now) {
        if (expired_notes != nullptr) {
          expired_notes->push_back("hold on " + child.name.name + " (" + h.reason +
                                   ") expired " + *h.until);
        }
        continue;
      }
      if (until_out != nullptr) *until_out = until;
      return h.reason + " (until " + *h.until + ")";
    }
    return h.reason;
  }
  return "";
}

// The retention step for one expired child (drop, detach or archive), with holds and limits
// applied; nullopt when an interrupted detach's recovery step does it all.
std::optional<Step> RetentionStep(Context& c, const Grid* grid, const Child& child,
                                  int* drops_planned, const RetireOptions& options) {
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
  std::string hold = ActiveHold(c.policy, c.now, grid, child, &expired_notes);
  for (auto& note : expired_notes) c.report.drift.push_back(note);
  if (!hold.empty()) {
    s.status = StepStatus::kHeld;
    s.held_by = hold;
  } else if (!options.blocked_by.empty()) {
    s.status = StepStatus::kBlocked;
    s.blocked_by = options.blocked_by;
  }

  // Archive moves the partition first (a lock on the partition only), then detaches it: a crash
  // in between leaves an attached partition in the archive schema, which the next run detaches.
  QualifiedName where = child.name;
  if (action == Action::kArchive && child.name.schema != r.archive_schema) {
    s.statements.push_back(CreateSchema(r.archive_schema, e));
    s.statements.push_back(SetSchema(child.name, r.archive_schema, e));
    where.schema = r.archive_schema;
    AddHazard(s, Hazard::kAcquiresAccessExclusiveLock);  // on the partition being archived
  }
  if (child.detach_pending) {
    // The interrupted detach is finalized by its own recovery step; what remains is a plain table.
    if (action == Action::kDetach) return std::nullopt;
    if (action == Action::kArchive) {
      s.statements.push_back(MarkDetached(where, child.oid, c.table.name, s.from, s.to, e));
    }
  } else if (action == Action::kDrop && c.shape.has_default) {
    // Without CONCURRENTLY a DETACH takes the same ACCESS EXCLUSIVE lock on the parent as
    // dropping the partition outright: one statement, one transaction.
    AddHazard(s, Hazard::kAcquiresAccessExclusiveLock);
  } else {
    // A drop marks the partition first: a crash after the concurrent detach leaves a table the
    // next run recognises (detached_for_drop) instead of an orphan.
    if (action == Action::kDrop && !c.shape.has_default) {
      s.statements.push_back(MarkForDrop(where, child.oid, c.table.name, s.from, s.to, e));
    } else if (action != Action::kDrop) {
      // A leftover that stays: marked so that status, report and dropDetachedAfter know it.
      s.statements.push_back(
          options.created_in_unit
              ? MarkDetachedCreated(where, c.table.name, s.from, s.to, e)
              : MarkDetached(where, child.oid, c.table.name, s.from, s.to, e));
    }
    s.statements.push_back(Detach(c.shape, where, e));
    if (c.shape.has_default) AddHazard(s, Hazard::kAcquiresAccessExclusiveLock);
  }
  if (action == Action::kDrop) {
    s.statements.push_back(DropTable(where, e));
    AddHazard(s, Hazard::kDeletesData);
    if (!c.policy.backup_gate) AddHazard(s, Hazard::kBackupUnverified);
  } else {
    AddHazard(s, Hazard::kDetachesData);
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
  return s;
}

void PlanRetention(Context& c, const Grid* grid, const Child& child, int* drops_planned) {
  std::optional<Step> s = RetentionStep(c, grid, child, drops_planned, {});
  if (s) Push(c, std::move(*s), child.from);
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

}  // namespace pgpart::planner

namespace pgpart::planner {

namespace {

// Why `orphan` (a table whose comment is a drop marker naming this table) is not one that pgpart
// itself detached for dropping and may drop now; "" when it is. pgpart marks a partition with its
// own oid and bounds, in the parent's schema, named by the template, once it is past retention: a
// copy of the comment (another schema, pg_dump/pg_restore, COMMENT by hand) cannot carry the oid.
// `schemas`: where pgpart leaves such a table (the parent's; an archive's too); `past` words the
// retention `cutoff` is for.
std::string NotOurs(const Context& c, const Grid* grid, std::optional<int64_t> cutoff,
                    const Child& orphan, const std::vector<std::string>& schemas,
                    const std::string& past) {
  const KeyType kt = c.table.key_type;
  if (orphan.marker_oid == 0) {
    return "its marker names no table oid (a copied marker, or one set by an older pgpart)";
  }
  if (orphan.marker_oid != orphan.oid) {
    return "its marker was set on the table with oid " + std::to_string(orphan.marker_oid) +
           ", not on this one (oid " + std::to_string(orphan.oid) + "): a copy or a restore";
  }
  if (orphan.sub_partitioned) return "it is a partitioned table";
  if (std::find(schemas.begin(), schemas.end(), orphan.name.schema) == schemas.end()) {
    std::string names;
    for (const std::string& schema : schemas) {
      names += (names.empty() ? "" : " or ") + QuoteIdent(schema);
    }
    return "it is not in schema " + names;
  }
  if (!orphan.from.is_value() || !orphan.to.is_value()) return "its marker has no bounds";
  const std::string period = PeriodText(kt, orphan.from, orphan.to);
  std::optional<int64_t> index;
  if (grid != nullptr) index = grid->IndexOfPeriod(orphan.from.value, orphan.to.value);
  if (!index) return "its bounds " + period + " are not a period of the policy's grid";
  const std::string expected =
      ExpandName(c.policy.NameTemplate(), c.table.name.name, grid->Fields(*index));
  if (expected != orphan.name.name) {
    return "its name is not " + expected + ", the naming template's for " + period;
  }
  if (!cutoff || orphan.to.value > *cutoff) {
    return "its bounds " + period + " are not past " + past;
  }
  return "";
}

}  // namespace

void PlanDetachedForDrop(Context& c, const Grid* grid, std::optional<int64_t> cutoff) {
  for (const Child& orphan : c.table.detached_for_drop) {
    const bool drops = c.policy.retention && c.policy.retention->action == RetentionAction::kDrop;
    if (!drops) {
      c.report.drift.push_back("table " + orphan.name.Sql() +
                               " carries a pgpart drop marker, but the policy no longer drops: "
                               "drop or keep it by hand (its comment marks it); not dropped");
      continue;
    }
    const std::string past = "retention (keep " + c.policy.retention->keep_text + ")";
    if (std::string why = NotOurs(c, grid, cutoff, orphan, {c.table.name.schema}, past);
        !why.empty()) {
      c.report.drift.push_back("table " + orphan.name.Sql() + " carries a pgpart drop marker for " +
                               c.table.name.Sql() + " but " + why + "; not dropped");
      continue;
    }
    Step s = NewStep(c, Action::kDrop, orphan.name, Reason::kRecovery);
    s.rows_estimate = orphan.rows_estimate;
    s.from = BoundText(c.table.key_type, orphan.from);
    s.to = BoundText(c.table.key_type, orphan.to);
    std::vector<std::string> expired_notes;
    std::string hold = ActiveHold(c.policy, c.now, grid, orphan, &expired_notes);
    if (!hold.empty()) {
      s.status = StepStatus::kHeld;
      s.held_by = hold;
    }
    s.statements.push_back(DropTable(orphan.name, c.policy.execution));
    AddHazard(s, Hazard::kDeletesData);
    if (!c.policy.backup_gate) AddHazard(s, Hazard::kBackupUnverified);
    Push(c, std::move(s));
    c.report.drift.push_back("table " + orphan.name.Sql() +
                             " was detached for dropping by an interrupted run; dropping it now");
  }
}

}  // namespace pgpart::planner

namespace pgpart::planner {

void PlanDetachedLeftovers(Context& c, const Grid* grid, std::optional<int64_t> cutoff,
                           int* drops_planned) {
  if (!c.policy.retention || !c.policy.retention->drop_detached_after || grid == nullptr) return;
  const Retention& r = *c.policy.retention;
  if (r.action == RetentionAction::kDrop) return;
  std::optional<int64_t> drop_cutoff;
  if (cutoff) drop_cutoff = grid->Subtract(*cutoff, *r.drop_detached_after);
  std::vector<std::string> schemas{c.table.name.schema};
  if (r.action == RetentionAction::kArchive) schemas.push_back(r.archive_schema);
  const std::string past = "keep + dropDetachedAfter (" + r.keep_text + " + " +
                           r.drop_detached_after_text + ")";
  // Oldest first: maxDropsPerRun keeps the newest, as for partitions.
  std::vector<const Child*> leftovers;
  for (const Child& d : c.table.detached) leftovers.push_back(&d);
  std::sort(leftovers.begin(), leftovers.end(), [](const Child* a, const Child* b) {
    return a->from == b->from ? a->name < b->name : a->from < b->from;
  });
  for (const Child* d : leftovers) {
    if (d->to.is_value() && (!drop_cutoff || d->to.value > *drop_cutoff)) continue;  // not due
    if (std::string why = NotOurs(c, grid, drop_cutoff, *d, schemas, past); !why.empty()) {
      c.report.drift.push_back("table " + d->name.Sql() + " carries a pgpart detached marker for " +
                               c.table.name.Sql() + " but " + why +
                               "; not dropped by dropDetachedAfter");
      continue;
    }
    Step s = NewStep(c, Action::kDrop, d->name, Reason::kRetention);
    s.rows_estimate = d->rows_estimate;
    s.from = BoundText(c.table.key_type, d->from);
    s.to = BoundText(c.table.key_type, d->to);
    std::vector<std::string> expired_notes;
    std::string hold = ActiveHold(c.policy, c.now, grid, *d, &expired_notes);
    for (auto& note : expired_notes) c.report.drift.push_back(note);
    if (!hold.empty()) {
      s.status = StepStatus::kHeld;
      s.held_by = hold;
    }
    s.statements.push_back(DropTable(d->name, c.policy.execution));
    AddHazard(s, Hazard::kDeletesData);
    if (!c.policy.backup_gate) AddHazard(s, Hazard::kBackupUnverified);
    if (s.status == StepStatus::kPlanned) {
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
    Push(c, std::move(s), d->from);
  }
}

}  // namespace pgpart::planner
