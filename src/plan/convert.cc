// Planning a conversion (policy spec.convert): a plain table's prepare, copy, verify and swap
// steps, or the reasons it cannot be converted; and, once swapped, the old table kept for a
// rollback (and its drop, with convert.oldTable: drop).

#include <algorithm>
#include <set>

#include "core/calendar.h"
#include "core/size_text.h"
#include "plan/convert_sql.h"
#include "plan/planner_internal.h"

namespace pgpart::planner {
namespace {

constexpr int64_t kMaxConvertPartitions = 10'000;

std::string Num(int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > (s[0] == '-' ? 1 : 0); i -= 3) s.insert(i, ",");
  return s;
}

std::string List(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

Step ConvertStep(const Policy& p, const Table& t, Action action, const QualifiedName& partition) {
  Step s;
  s.action = action;
  s.table = t.name;
  s.policy = p.name;
  s.partition = partition;
  s.reason = Reason::kConvert;
  return s;
}

// The shape of the conversion, or the reasons it cannot be done (each a sentence).
std::vector<std::string> Shape(const Policy& p, const Table& t, const ConvertSource& src,
                               ConvertShape* s) {
  std::vector<std::string> no;
  const std::string key = *p.column;
  s->names = src.names;
  s->old_oid = src.oid;
  s->key_column = key;
  s->key_type = src.key_type;
  s->columns = src.columns;
  s->owner = src.owner;
  s->grants = t.grants;
  s->inherit_privileges = p.inherit_privileges;
  s->comment = src.comment;
  s->execution = p.execution;
  s->batch_rows = p.convert->batch_rows;
  if (src.names.too_long) {
    no.push_back("the name is too long for the conversion's tables (" + src.names.back_capture.name +
                 " would exceed 63 bytes)");
  }
  if (!src.conflict.empty()) no.push_back(src.conflict);
  if (src.persistence != 'p') {
    no.push_back(std::string("it is ") + (src.persistence == 'u' ? "UNLOGGED" : "TEMPORARY") +
                 "; only permanent tables are converted");
  }
  if (src.is_partition) no.push_back("it is a partition of another table");
  if (src.has_inheritance) no.push_back("it takes part in table inheritance (INHERITS)");
  if (src.key_type_name.empty()) {
    no.push_back("it has no column " + QuoteIdent(key) + " (spec.column)");
  } else if (src.key_type == KeyType::kUnsupported) {
    no.push_back("column " + QuoteIdent(key) + " is " + src.key_type_name +
                 "; range policies support timestamptz, timestamp, date, smallint, integer and "
                 "bigint keys");
  }
  if (src.null_keys && !p.default_partition) {
    no.push_back("some rows have a NULL " + QuoteIdent(key) +
                 ": only a default partition can hold them (set defaultPartition: true)");
  }
  const SourceConstraint* pk = nullptr;
  for (const SourceConstraint& c : src.constraints) {
    if (c.kind == 'p') pk = &c;
  }
  if (pk == nullptr) {
    no.push_back("it has no primary key: the conversion finds the rows that change during the "
                 "copy by their primary key");
  } else {
    s->row_key = pk->columns;
    s->primary_key_name = pk->name;
    if (!p.convert->primary_key.empty()) {
      s->primary_key = p.convert->primary_key;
      for (const std::string& c : s->primary_key) {
        if (std::none_of(src.columns.begin(), src.columns.end(),
                         [&](const SourceColumn& col) { return col.name == c; })) {
          no.push_back("convert.primaryKey names " + QuoteIdent(c) + ", which is not a column");
        }
      }
      for (const std::string& c : pk->columns) {
        if (!Contains(s->primary_key, c)) {
          no.push_back("convert.primaryKey must keep the primary key's column " + QuoteIdent(c) +
                       " (rows are matched by it while converting)");
        }
      }
      if (!Contains(s->primary_key, key)) {
        no.push_back("convert.primaryKey must include the partition key " + QuoteIdent(key));
      }
    } else if (Contains(pk->columns, key)) {
      s->primary_key = pk->columns;
    } else {
      no.push_back("its primary key " + QuoteIdent(pk->name) + " (" + List(pk->columns) +
                   ") lacks the partition key " + key +
                   ", and a partitioned table's primary key must include it: set "
                   "convert.primaryKey: [" + List(pk->columns) + ", " + key +
                   "] (PostgreSQL then enforces that combination as unique, no longer " +
                   List(pk->columns) + " alone)");
    }
  }
  for (const SourceConstraint& c : src.constraints) {
    if (c.kind == 'u') {
      if (Contains(c.columns, key)) {
        s->constraints.push_back(c);
      } else {
        no.push_back("unique constraint " + QuoteIdent(c.name) + " (" + List(c.columns) +
                     ") lacks the partition key " + key +
                     ": a partitioned table cannot enforce it; drop it or add " + key + " to it");
      }
    } else if (c.kind == 'x') {
      no.push_back("exclusion constraint " + QuoteIdent(c.name) + " is not converted");
    } else if (c.kind == 'f') {
      bool self = false;
      for (const SourceObject& d : src.dependents) {
        self = self || (d.kind == "self-referencing foreign key" && d.name.name == c.name);
      }
      if (!self) s->constraints.push_back(c);
    }
  }
  for (const SourceIndex& i : src.indexes) {
    if (i.unique && !Contains(i.columns, key)) {
      no.push_back("unique index " + QuoteIdent(i.name) + " lacks the partition key " + key +
                   ": a partitioned table cannot enforce it");
    } else {
      s->indexes.push_back(i);
    }
  }
  for (const SourceColumn& c : src.columns) {
    if (c.has_acl) {
      no.push_back("column " + QuoteIdent(c.name) +
                   " has column-level grants, which the conversion does not carry over");
    }
  }
  if (src.rls_enabled || src.rls_forced) {
    no.push_back("row level security is enabled: the copy would see only the rows its policies "
                 "show; disable it for the conversion and enable it on the new table after");
  }
  for (const SourceObject& d : src.dependents) {
    if (d.kind == "trigger") {
      s->triggers.push_back(d);
    } else if (d.kind == "view" && d.definition.find("$pgpart$") == std::string::npos) {
      s->views.push_back(d);
    } else if (d.kind == "self-referencing foreign key") {
      no.push_back("foreign key " + QuoteIdent(d.name.name) +
                   " references the table itself, which the conversion does not carry over");
    } else if (d.kind == "foreign key") {
      no.push_back("foreign key " + QuoteIdent(d.name.name) + " of " + d.definition +
                   " references it; drop it before the conversion and create it again on the new "
                   "table after (it needs a unique key that includes " + key + ")");
    } else if (d.kind == "policy") {
      no.push_back("row security policy " + QuoteIdent(d.name.name) + " is not carried over");
    } else if (d.kind == "publication") {
      no.push_back("it is in publication " + QuoteIdent(d.name.name) +
                   "; logical replication of a conversion is not supported");
    } else if (d.kind == "function") {
      no.push_back("function " + d.name.name +
                   " has a SQL-standard body that refers to it by oid; drop and recreate it");
    } else {
      no.push_back(d.kind + " " + d.name.Sql() + " depends on it and cannot be moved");
    }
  }
  s->sequences = src.sequences;
  return no;
}

}  // namespace

void PlanConversion(const Policy& p, size_t index, const Table& t, int64_t now, Plan* plan,
                    TableReport* report, std::vector<Step>* steps) {
  const std::string path = "spec.tables[" + std::to_string(index) + "]";
  report->table = t.name;
  report->policy = p.name;
  report->key = p.column.value_or("") + " (plain table: not partitioned yet)";
  if (!t.convert) {
    AddDiagnostic(plan, Severity::kError, p, path,
                  "table " + TableText(t.name) +
                      " is not partitioned and its conversion was not read (a snapshot does not "
                      "record it); plan against the database");
    return;
  }
  const ConvertSource& src = *t.convert;
  ConvertShape s;
  std::vector<std::string> no = Shape(p, t, src, &s);

  // The partitions: what exists already (a conversion under way), or every period from the
  // oldest row's to now + premake (and the newest row's, if later).
  std::string error;
  std::optional<Grid> grid;
  if (src.key_type != KeyType::kUnsupported && p.interval) {
    grid = Grid::Make(src.key_type, *p.interval, FindZone(p.time_zone), &error);
    if (!grid) no.push_back(error);
  }
  int expired_periods = 0;
  std::string cutoff_text;
  if (src.phase != ConvertPhase::kNotStarted) {
    s.ranges = src.fresh_ranges;
    // expiredRows: skip copies from where the partitions begin (fixed when they were made).
    if (p.convert->skip_expired && !s.ranges.empty()) s.copy_from = s.ranges.front().first;
  } else if (grid) {
    const int64_t current = grid->IndexOf(grid->Now(now));
    int64_t low = src.min_key && src.min_key->is_value() ? grid->IndexOf(src.min_key->value)
                                                           : current;
    low = std::min(low, current);
    // Periods already past retention.keep (upper bound <= now - keep; integer keys: the
    // newest key stands for now, as for partitioned tables).
    std::optional<int64_t> now_key;
    if (IsTimeKey(src.key_type)) {
      now_key = grid->Now(now);
    } else if (src.max_key && src.max_key->is_value()) {
      now_key = src.max_key->value;
    }
    if (p.retention && now_key) {
      const int64_t cutoff = grid->Subtract(*now_key, p.retention->keep);
      cutoff_text = BoundText(src.key_type, Bound::Value(cutoff));
      if (p.convert->skip_expired) {
        if (grid->IndexOf(cutoff) > low) {
          low = grid->IndexOf(cutoff);
          s.copy_from = Bound::Value(grid->Lower(low));
        }
      } else {
        for (int64_t i = low; i <= current && grid->Upper(i) <= cutoff; ++i) ++expired_periods;
      }
    }
    int64_t high = current + p.premake;
    if (src.max_key && src.max_key->is_value()) high = std::max(high, grid->IndexOf(src.max_key->value));
    if (high - low + 1 > kMaxConvertPartitions) {
      no.push_back("its rows span " + Num(high - low + 1) + " periods of " + p.interval_text +
                   " (more than " + Num(kMaxConvertPartitions) +
                   "); check the column's values and the interval");
    } else {
      const std::string tpl = p.NameTemplate();
      for (int64_t i = low; i <= high; ++i) {
        QualifiedName name{t.name.schema, ExpandName(tpl, t.name.name, grid->Fields(i))};
        if (name.name.size() > 63) {
          no.push_back("partition name " + name.name + " exceeds 63 bytes");
          break;
        }
        s.ranges.emplace_back(Bound::Value(grid->Lower(i)), Bound::Value(grid->Upper(i)));
        s.range_names.push_back(name);
      }
    }
  }
  if (src.phase == ConvertPhase::kNotStarted) {
    if (p.default_partition) s.default_name = QualifiedName{t.name.schema, t.name.name + "_default"};
  } else if (src.fresh_default) {
    s.default_name = QualifiedName{t.name.schema, t.name.name + "_default"};
  }
  if (!no.empty()) {
    std::string text = "cannot convert " + TableText(t.name) + " into a partitioned table:";
    for (size_t i = 0; i < no.size(); ++i) text += (i ? "; " : " ") + no[i];
    AddDiagnostic(plan, Severity::kError, p, "spec.convert", text);
    report->drift.push_back("plain table; the conversion is refused (see the error)");
    return;
  }

  const KeyType kt = src.key_type;
  const std::string period_text =
      s.ranges.empty() ? std::string("no partitions")
                       : Num(static_cast<int64_t>(s.ranges.size())) + " partitions of " +
                             p.interval_text + " from " + BoundText(kt, s.ranges.front().first) +
                             " to " + BoundText(kt, s.ranges.back().second) +
                             (s.default_name ? " and a default partition" : "");
  report->notes.push_back("plain table being converted (" + ConvertPhaseName(src.phase) +
                          "): ~" + Num(src.rows_estimate) + " rows, " + HumanBytes(src.bytes));
  if (src.phase == ConvertPhase::kNotStarted) {
    Step prep = ConvertStep(p, t, Action::kConvertPrepare, s.names.fresh);
    prep.statements = ConvertPrepare(s);
    prep.details.push_back("creates " + s.names.fresh.Sql() + " (LIKE " + t.name.Sql() +
                           ", partitioned by range on " + QuoteIdent(s.key_column) + ") with " +
                           period_text);
    if (s.primary_key != s.row_key) {
      prep.details.push_back("primary key (" + List(s.primary_key) + ") instead of (" +
                             List(s.row_key) + "): PostgreSQL no longer enforces that (" +
                             List(s.row_key) + ") alone is unique (convert.primaryKey)");
    }
    if (expired_periods > 0) {
      prep.details.push_back(
          std::to_string(expired_periods) + " of these partitions are past retention.keep (" +
          p.retention->keep_text + ": they end before " + cutoff_text +
          "): their rows are copied, and the runs after the swap retire them by retention (" +
          RetentionActionName(p.retention->action) +
          ", holds and the backup gate apply); convert.expiredRows: skip leaves those rows in "
          "the old table instead");
    }
    if (s.copy_from) {
      prep.details.push_back("rows before " + BoundText(kt, *s.copy_from) + " are past " +
                             "retention.keep (" + p.retention->keep_text +
                             ") and are not copied (convert.expiredRows: skip): they stay in "
                             "the old table");
    }
    prep.details.push_back("from then on, statement triggers on " + t.name.Sql() +
                           " record the key of every inserted, updated and deleted row in " +
                           s.names.log.Sql() + "; TRUNCATE is refused until the swap");
    steps->push_back(std::move(prep));
  }
  Step copy = ConvertStep(p, t, Action::kConvertCopy, t.name);
  copy.statements = ConvertCopy(s);
  int64_t rows = src.rows_estimate;
  if (src.phase == ConvertPhase::kCopied) {
    rows = 0;
  } else if (src.phase == ConvertPhase::kCopying && src.pages > 0) {
    rows = src.rows_estimate * std::max<int64_t>(0, src.pages - src.next_block) / src.pages;
  }
  copy.rows_estimate = rows + src.log_rows;
  copy.hazards.push_back(Hazard::kRewritesRows);
  const int64_t batches = std::max<int64_t>(1, (rows + s.batch_rows - 1) / s.batch_rows);
  copy.details.push_back(
      "copies ~" + Num(rows) + " rows in ~" + Num(batches) + " batches of ~" + Num(s.batch_rows) +
      " rows, in the table's physical order (block ranges" +
      (src.phase == ConvertPhase::kCopying ? ", from block " + Num(src.next_block) + " of " +
                                                 Num(src.pages)
                                           : std::string("")) +
      "); each batch is one transaction that also records how far it got, so a killed apply "
      "resumes at the next batch");
  copy.details.push_back("then analyzes the new table and replays the changes captured meanwhile (" + Num(src.log_rows) +
                         " waiting now), " + Num(s.batch_rows) +
                         " keys a transaction: each key's rows are deleted from the new table "
                         "and copied again");
  copy.details.push_back("extra disk while converting: about the table's size again (" +
                         HumanBytes(src.bytes) + ") plus the change log");
  steps->push_back(std::move(copy));

  Step verify = ConvertStep(p, t, Action::kConvertVerify, s.names.fresh);
  verify.statements = ConvertVerify(s);
  verify.details.push_back(
      "compares the row count and a checksum of every row, per partition period, between " +
      t.name.Sql() + " and " + s.names.fresh.Sql() +
      " in one snapshot (rows whose changes are still in the log are replayed under the swap's "
      "lock); any difference stops the conversion before the swap, naming the periods");
  steps->push_back(std::move(verify));

  Step swap = ConvertStep(p, t, Action::kConvertSwap, t.name);
  swap.statements = ConvertSwap(s);
  swap.hazards.push_back(Hazard::kAcquiresAccessExclusiveLock);
  swap.details.push_back("first replays the changes captured since the copy without a lock, "
                         "until fewer than 100 wait; then locks " + t.name.Sql() +
                         " ACCESS EXCLUSIVE (lock_timeout " +
                         std::to_string(p.execution.lock_timeout_ms) + " ms, " +
                         std::to_string(p.execution.retries) +
                         " retries) only to replay those last few and swap the names");
  std::vector<std::string> moved;
  for (const SourceObject& o : s.triggers) moved.push_back("trigger " + QuoteIdent(o.name.name));
  for (const SourceObject& o : s.views) moved.push_back("view " + o.name.Sql());
  for (const OwnedSequence& q : s.sequences) moved.push_back("sequence " + q.sequence.Sql());
  if (!moved.empty()) swap.details.push_back("moves to the new table: " + List(moved));
  swap.details.push_back(
      t.name.Sql() + " is kept as " + s.names.old.Sql() + (p.convert->drop_old
          ? "; convert.oldTable: drop drops it on a later run, behind the backup gate"
          : " until you drop it (convert.oldTable: drop)") +
      "; until then changes to the new table are recorded in " + s.names.back_log.Sql() +
      " so that `pgpart convert rollback` can swap back without losing them");
  steps->push_back(std::move(swap));
}

void PlanConvertedLeftover(Context& c) {
  const ConvertSource& src = *c.table.convert;
  const Policy& p = c.policy;
  c.report.notes.push_back(
      "converted from a plain table; the old table " + src.names.old.Sql() + " is kept (~" +
      Num(src.old_rows_estimate) + " rows, " + HumanBytes(src.old_bytes) + "), " +
      Num(src.log_rows) + " changes since the swap recorded for `pgpart convert rollback`");
  if (!p.convert || !p.convert->drop_old) return;
  Step s = NewStep(c, Action::kConvertDropOld, src.names.old, Reason::kConvert);
  s.statements = ConvertDropOld(src.names, p.execution);
  s.rows_estimate = src.old_rows_estimate;
  if (src.swapped_at_micros > 0) {
    // What a backup gate measures a backup against: the old table has not changed since.
    s.to = BoundText(KeyType::kTimestampTz, Bound::Value(src.swapped_at_micros));
  }
  AddHazard(s, Hazard::kDeletesData);
  if (!p.backup_gate) AddHazard(s, Hazard::kBackupUnverified);
  s.details.push_back("drops the table the conversion swapped out" +
                      (s.to.empty() ? std::string() : " (unchanged since the swap at " + s.to + ")") +
                      " and stops recording changes for a rollback (no rollback after this)");
  Push(c, s);
}

}  // namespace pgpart::planner
