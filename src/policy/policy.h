#pragma once
// The PartitionPolicy model (docs/policy.md). Plain values; no YAML here (see loader.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/diagnostic.h"
#include "core/ident.h"

namespace pgpart {

enum class Strategy { kRange, kHash };
enum class RetentionAction { kDrop, kDetach, kArchive };
enum class GateKind { kSql, kArchiver, kPgBackRest, kCommand };
enum class Mode { kApply, kDryRun };

// Limits the loader enforces (docs/policy.md lists them).
constexpr int kDefaultPremake = 3;
constexpr int kMaxPremake = 10'000;  // guards against a typo creating millions of partitions
constexpr int kMinModulus = 2;
constexpr int kMaxModulus = 1024;
constexpr int kMaxRetries = 100;

struct Retention {
  std::string keep_text;  // as written, e.g. "24 months"
  Interval keep;          // parsed; integer keys: Unit::kInteger distance
  RetentionAction action = RetentionAction::kDrop;
  std::string archive_schema;  // action archive only; as PostgreSQL stores it (unquoted, folded)
  std::optional<int> max_drops_per_run;  // absent = no limit
  // action detach/archive only: a leftover pgpart detached or archived (Table::detached) is
  // dropped once its upper bound <= now - keep - drop_detached_after. Absent: kept for ever.
  std::optional<Interval> drop_detached_after;
  std::string drop_detached_after_text;  // as written, e.g. "6 months"
  SourceLocation location;
};

struct Hold {
  // Either a partition name (verbatim, in the parent's schema), or a from/to range (both given;
  // every partition overlapping [from, to)). The loader checks only the syntax of the values
  // (date, timestamp, or integer matching the interval's kind); the planner interprets them.
  std::optional<std::string> partition;
  std::optional<std::string> from;  // policy value text (see core ParsePolicyValue)
  std::optional<std::string> to;
  std::string reason;                // required
  std::optional<std::string> until;  // date or timestamp text; absent = no expiry
  SourceLocation location;
};

// spec.adopt: partitions off the policy's grid that it accepts as they are (hand-made quarterly
// partitions, another tool's): reported as notes, not drift; never created over, never retired.
// Either a partition name, or a from/to range (every off-grid partition inside [from, to)).
struct Adopt {
  std::optional<std::string> partition;
  std::optional<std::string> from;  // policy value text
  std::optional<std::string> to;
  SourceLocation location;
};

struct BackupGate {
  GateKind kind = GateKind::kSql;
  std::string query;                 // sql
  int64_t max_lag_ms = 0;            // archiver
  std::string stanza;                // pgbackrest
  std::vector<std::string> command;  // command (argv, no shell)
  int64_t timeout_ms = 60'000;       // command / pgbackrest / sql
  SourceLocation location;
};

// Short lock waits, many jittered retries: every queued lock request that conflicts with writers
// stalls the writers queued behind it for as long as it waits, so a wait is kept short and the
// writers get through between attempts.
struct Execution {
  int64_t lock_timeout_ms = 300;
  int64_t statement_timeout_ms = 300'000;
  int retries = 8;
};

// spec.convert: a plain table named by the policy is converted into a partitioned one online
// (docs/convert.md). Range policies only; spec.column names the partition key.
struct Convert {
  int64_t batch_rows = 10'000;  // rows per copy batch (turned into a block range per batch)
  // The new table's primary key when the plain table's lacks the partition key (a partitioned
  // table's primary key must include it). Empty: the old primary key, which must include it.
  std::vector<std::string> primary_key;
  bool drop_old = false;  // oldTable: drop (after the swap, gated like a retention drop) | keep
  // expiredRows: skip — rows of periods already past retention.keep are not copied (they stay in
  // the old table); copy (false, the default) — they are, and retention retires them after.
  bool skip_expired = false;
  SourceLocation location;
};
constexpr int64_t kMinBatchRows = 100;
constexpr int64_t kMaxBatchRows = 10'000'000;

struct DatabaseRef {
  std::string secret_name;
  std::string key = "dsn";
};

struct Policy {
  std::string name;                   // metadata.name (DNS-1123 label)
  std::vector<QualifiedName> tables;  // spec.tables, parsed
  Strategy strategy = Strategy::kRange;
  std::optional<std::string> column;  // must equal the partition key when given
  std::optional<Interval> interval;   // range only (required there)
  std::string interval_text;          // as written
  std::string time_zone = "UTC";
  int premake = kDefaultPremake;      // >= 1, <= kMaxPremake (range only)
  std::optional<std::string> start;   // policy value text
  std::optional<std::string> naming;  // template; absent = DefaultNameTemplate
  bool default_partition = false;
  std::optional<Retention> retention;
  std::vector<Hold> holds;
  std::vector<Adopt> adopt;
  std::optional<BackupGate> backup_gate;
  int modulus = 0;  // hash only
  Execution execution;
  std::optional<DatabaseRef> database_ref;
  Mode mode = Mode::kApply;
  bool suspend = false;
  // spec.privileges: inherit (true, the default) gives new partitions the parent's owner and
  // grants and aligns existing ones; none leaves them as PostgreSQL makes them.
  bool inherit_privileges = true;
  std::optional<Convert> convert;

  SourceLocation location;  // where the document starts
  // YAML paths -> locations of their values, for every key the loader read and every list element
  // ("metadata.name", "spec.tables[1]", "spec.retention.keep", "spec.holds[0]", ...).
  std::vector<std::pair<std::string, SourceLocation>> field_locations;

  // Location of a YAML path; when it was not recorded, of its nearest recorded ancestor
  // ("spec.holds[0].until" -> "spec.holds[0]" -> "spec.holds" -> "spec"), else the document's.
  SourceLocation LocationOf(const std::string& yaml_path) const;
  // The naming template in force (explicit or default for the interval/strategy).
  std::string NameTemplate() const;
};

// Spellings used in the YAML: "range"/"hash", "drop"/"detach"/"archive",
// "sql"/"archiver"/"pgbackrest"/"command", "Apply"/"DryRun".
std::string StrategyName(Strategy strategy);
std::string RetentionActionName(RetentionAction action);
std::string GateKindName(GateKind kind);
std::string ModeName(Mode mode);

}  // namespace pgpart
