#pragma once
// The Catalog model: what pgpart observed of the partitioned tables. Plain values, no libpqxx.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/convert.h"
#include "core/ident.h"
#include "core/key.h"

namespace pgpart {

enum class BoundKind { kRange, kHash, kList, kDefault };
const char* BoundKindName(BoundKind kind);  // "range", "hash", "list", "default" (snapshots)
std::optional<BoundKind> BoundKindFromName(std::string_view name);

// One privilege on a table held by a role other than the table's owner (aclexplode of
// pg_class.relacl; the owner's own privileges are implicit and not listed).
struct Grant {
  std::string grantee;    // role name; "" = PUBLIC
  std::string privilege;  // SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
  bool grantable = false;  // WITH GRANT OPTION
  auto operator<=>(const Grant&) const = default;
  bool operator==(const Grant&) const = default;
};
// SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN (PostgreSQL 17): what
// GRANT ... ON TABLE takes.
bool IsTablePrivilege(const std::string& privilege);

// An index of a partition that belongs to no index of the parent (a partition-local index, e.g.
// the unique index standing in for a unique key that lacks the partition key).
struct LocalIndex {
  bool unique = false;
  // pg_get_indexdef's text after " USING ": "btree (id)", "btree (id) WHERE (...)".
  std::string definition;
  auto operator<=>(const LocalIndex&) const = default;
  bool operator==(const LocalIndex&) const = default;
  // "UNIQUE btree (id)" / "btree (id)".
  std::string Text() const { return (unique ? "UNIQUE " : "") + definition; }
};

struct Child {
  QualifiedName name;  // children may live in another schema than the parent
  // pg_class.oid (0 when unknown: a fake catalog, an older snapshot). Not structure: no hash
  // covers it. A drop marker records it, so that only that very table is ever dropped by it.
  int64_t oid = 0;
  BoundKind bound_kind = BoundKind::kRange;
  Bound from, to;   // range children
  int modulus = 0;  // hash children
  int remainder = 0;
  std::string bound_text;  // pg_get_expr(relpartbound) as PostgreSQL printed it
  bool sub_partitioned = false;
  bool foreign = false;
  bool detach_pending =
      false;                  // DETACH ... CONCURRENTLY interrupted (pg_inherits.inhdetachpending)
  int64_t rows_estimate = 0;  // pg_class.reltuples (0 when never analyzed)
  int64_t bytes = 0;          // (relpages of table + TOAST + indexes) * block_size: an estimate
                              // as of the last VACUUM/ANALYZE, like rows_estimate
  // detached_for_drop and detached entries only: the oid their marker names (0: none, an old
  // marker).
  int64_t marker_oid = 0;
  // detached entries only: when pgpart.history recorded the detach or archive of this table as
  // applied (UTC micros; 0 when unknown: history not read, unreadable, pruned or elsewhere).
  int64_t detached_at_micros = 0;
  // Owner (role name) and grants, sorted; known when the table's privileges_known is.
  std::string owner;
  std::vector<Grant> grants;
  // What PostgreSQL does not carry from the parent to a new partition (known when the table's
  // storage_known is): storage parameters ("fillfactor=70"), access method ("heap"), replica
  // identity ('d' default, 'n' nothing, 'f' full, 'i' index), partition-local indexes (sorted).
  std::vector<std::string> reloptions;
  std::string access_method;
  char replica_identity = 'd';
  std::vector<LocalIndex> local_indexes;
  friend bool operator==(const Child&, const Child&) = default;
};

// Rows of the default partition whose key falls in [from, to) (one grid period).
struct DefaultBucket {
  Bound from, to;
  int64_t rows = 0;
  friend bool operator==(const DefaultBucket&, const DefaultBucket&) = default;
};

// A column of a partitioned parent, as statements that move rows must name it.
struct Column {
  std::string name;
  bool generated = false;       // GENERATED ALWAYS AS (...) STORED: recomputed, never copied
  bool identity_always = false;  // GENERATED ALWAYS AS IDENTITY: copied with OVERRIDING SYSTEM VALUE
  friend bool operator==(const Column&, const Column&) = default;
};

// The latest outcome pgpart.history records for one step of a table, kept only when that outcome
// was not "applied": what the last apply that tried the step could not do.
struct RecordedOutcome {
  QualifiedName partition;
  std::string action;     // ActionName: "drop", "detach", "create", ...
  std::string outcome;    // "blocked" | "failed" | "interrupted"
  std::string error;      // the recorded reason ("backup gate: ...")
  int64_t at_micros = 0;  // when it was recorded (UTC)
  friend bool operator==(const RecordedOutcome&, const RecordedOutcome&) = default;
};

// pg_partman's configuration of a table (a row of its part_config): a second maintainer of the
// same partitions. pgpart blocks the table's steps while it is there.
struct PartmanConfig {
  std::string schema;        // where the pg_partman extension is installed (pg_extension)
  std::string version;       // pg_extension.extversion, e.g. "4.7.2"
  std::string parent_table;  // part_config.parent_table as pg_partman stores it: 'schema.table'
  // part_config.automatic_maintenance ("on" | "off"; "" when the column is not there): "on" means
  // every run_maintenance() (its background worker, a cron job) maintains the table.
  std::string automatic_maintenance;
  friend bool operator==(const PartmanConfig&, const PartmanConfig&) = default;
};

// The latest `pgpart apply` run recorded for a table in pgpart.history (a row with action
// "apply", one per table and run): when it ran and how it ended.
struct LastApply {
  int64_t at_micros = 0;  // when it was recorded (UTC)
  std::string outcome;    // "applied" (converged) | "blocked" | "failed"
  std::string error;      // its summary ("1 applied, 1 blocked: drop t_p2024_01: backup gate")
  friend bool operator==(const LastApply&, const LastApply&) = default;
};

// Whether the catalog carries pgpart.history (ReadOptions::history).
enum class HistoryState {
  kNotRead,     // not asked for (plan, apply), or a snapshot taken without it
  kRead,        // read (a missing pgpart.history reads as empty: nothing was ever applied)
  kUnreadable,  // the role may not read it (no USAGE on schema pgpart or no SELECT)
};
std::string HistoryStateName(HistoryState s);  // "not_read", "read", "unreadable"
std::optional<HistoryState> HistoryStateFromName(const std::string& name);

// COMMENT ON TABLE text set on a partition right before pgpart detaches it for dropping:
// kDropMarkerPrefix + parent + " [" + from + ", " + to + ")" + kDropMarkerOid + the child's oid.
constexpr char kDropMarkerPrefix[] = "pgpart:drop ";
constexpr char kDropMarkerOid[] = " oid ";
// COMMENT ON TABLE text set on a partition right before pgpart detaches it for retention action
// detach or archive (a leftover that stays): kDetachedMarkerPrefix + parent + " [" + from + ", " +
// to + ")" + kDropMarkerOid + the child's oid. It survives a missing or pruned audit table, and
// the oid ties it to that very table (an archive's SET SCHEMA and a DETACH keep the oid).
constexpr char kDetachedMarkerPrefix[] = "pgpart:detached ";

struct Table {
  QualifiedName name;
  bool exists = false;
  bool partitioned = false;              // relkind 'p'
  std::string strategy;                  // "range" | "hash" | "list" (empty when not partitioned)
  std::vector<std::string> key_columns;  // more than one = unsupported
  std::string key_type_name;  // format_type of the key column, e.g. "timestamp with time zone"
  KeyType key_type = KeyType::kUnsupported;
  // The parent's columns in attnum order, dropped columns left out. Rows are moved by naming
  // them (a default partition attached from a legacy table may order its columns differently).
  std::vector<Column> columns;
  bool columns_known = false;   // false: read from a snapshot that did not record them
  // The parent's owner (role name) and grants (sorted): new partitions get both (policy
  // `privileges: inherit`). privileges_known false: a snapshot that did not record them (no
  // statements are planned for them then).
  std::string owner;
  std::vector<Grant> grants;
  bool privileges_known = false;
  bool storage_known = false;  // children's reloptions, access method, replica identity, indexes
  std::vector<Child> children;  // sorted by (from, name); the default partition is not here
  std::optional<Child> default_partition;
  int64_t default_rows = 0;                    // exact count(*) of the default partition
  std::vector<DefaultBucket> default_buckets;  // rows of the default by grid period (policy grid)
  bool default_buckets_known = false;          // false: counts by period were not read
  // The key range default_buckets cover when the default's keys spanned too many periods to
  // count them all (MINVALUE..MAXVALUE: everything was counted).
  Bound default_counted_from = Bound::Min();
  Bound default_counted_to = Bound::Max();
  std::optional<int64_t> max_key;  // integer keys: max(key) over the table (nullopt = empty)
  // Tables (not partitions) whose comment is a drop marker naming this table: normally former
  // partitions pgpart detached in order to drop them but did not get to drop (a crash between
  // DETACH ... CONCURRENTLY and DROP), with the marker's bounds and oid (marker_oid), their own
  // oid and sub_partitioned for a partitioned table. A comment can be copied (pg_dump, COMMENT by
  // hand): the planner drops only the table the marker was set on, and reports the others.
  std::vector<Child> detached_for_drop;
  // Tables (not partitions) whose comment is a detached marker naming this table: former
  // partitions pgpart detached (retention action detach) or archived that still exist, with the
  // marker's bounds and oid (marker_oid), their own oid, bytes, rows estimate and, when history
  // was read, detached_at_micros. Sorted by (schema, name). Only one whose marker_oid is its own
  // oid is the table pgpart detached (a copied comment cannot carry the oid).
  std::vector<Child> detached;
  // Non-empty when another session held an ACCESS EXCLUSIVE lock on the table or a partition
  // while it was read: its rows were not counted and the planner blocks its steps.
  std::string locked_by;
  // Non-empty when the role may not read the default partition (or, for integer keys, a
  // partition): its rows were not counted and the planner blocks its steps. Names the grant.
  std::string unreadable;
  // pgpart.history's latest outcome of each of this table's steps (by partition and action) that
  // did not apply, in (partition, action) order; empty unless Catalog::history is kRead.
  std::vector<RecordedOutcome> history;
  // pgpart.history's latest apply run of this table; unset unless Catalog::history is kRead and
  // an apply recorded one.
  std::optional<LastApply> last_apply;
  // Set when pg_partman is installed and its part_config lists this table.
  std::optional<PartmanConfig> pg_partman;
  // Read when a policy converts the table (spec.convert): the plain table and the conversion's
  // progress, or, once swapped, the old table kept for a rollback.
  std::optional<ConvertSource> convert;
  friend bool operator==(const Table&, const Table&) = default;
};

// Which database a catalog (and a plan made from it) is of. No connection details: no host, port,
// user or password.
struct DatabaseIdentity {
  std::string name;  // current_database()
  int64_t oid = 0;   // pg_database.oid
  // pg_control_system().system_identifier: the cluster's, set by initdb and kept by its physical
  // copies (standbys, base backups). "" when the function is not executable by the role.
  std::string system_identifier;
  friend bool operator==(const DatabaseIdentity&, const DatabaseIdentity&) = default;
  // "app" (oid 16384, system identifier 7715795932095913929)
  std::string Text() const;
};

struct Catalog {
  std::string server_version;  // e.g. "15.8"
  DatabaseIdentity database;
  std::optional<int64_t> now_micros;  // server now() (UTC micros) when read; absent in fakes
  std::vector<Table> tables;          // sorted by name; includes looked-up tables that don't exist
  HistoryState history = HistoryState::kNotRead;  // whether Table::history was read
  // With history read for named tables: partitioned tables that exist and have rows in the audit
  // table but were not asked for (no policy manages them any more), sorted.
  std::vector<QualifiedName> unmanaged_with_history;
  friend bool operator==(const Catalog&, const Catalog&) = default;

  // nullptr when the table was not read.
  const Table* Find(const QualifiedName& name) const;
};

}  // namespace pgpart
