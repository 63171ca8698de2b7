#pragma once
// What pgpart observed of a plain table a policy converts into a partitioned one (policy
// `convert:`), and of a conversion in progress or done. Plain values, no libpqxx.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ident.h"
#include "core/key.h"

namespace pgpart {

// Names of the objects a conversion of table T makes, in T's schema: the new partitioned parent
// (renamed T at the swap), the change log and its trigger function, the old table once swapped
// out, and the log and function that capture changes to the new table for a rollback.
struct ConvertNames {
  QualifiedName table;     // T
  QualifiedName fresh;     // T_pgpart_new
  QualifiedName log;       // T_pgpart_log
  QualifiedName capture;   // T_pgpart_capture()
  QualifiedName old;       // T_pgpart_old
  QualifiedName back_log;  // T_pgpart_back
  QualifiedName back_capture;  // T_pgpart_back_capture()
  // The longest of the names above is over PostgreSQL's 63 bytes: it would be truncated.
  bool too_long = false;
  friend bool operator==(const ConvertNames&, const ConvertNames&) = default;
};
ConvertNames NamesFor(const QualifiedName& table);

// COMMENT ON TABLE of the new parent while a conversion copies:
//   kConvertMarker + T + " oid " + old oid + " next_block " + N ["copied"]
// and of the old table once swapped out: kConvertedMarker + T + kSwappedAt + UTC micros.
constexpr char kConvertMarker[] = "pgpart:convert ";
constexpr char kConvertedMarker[] = "pgpart:converted ";
constexpr char kSwappedAt[] = " swapped_at ";  // + UTC micros, after kConvertedMarker + T

struct SourceColumn {
  std::string name;
  std::string type;  // format_type
  bool not_null = false;
  bool generated = false;  // GENERATED ALWAYS AS (...) STORED
  char identity = 0;       // 'a' ALWAYS, 'd' BY DEFAULT, 0 none
  bool has_acl = false;    // column-level grants
  friend bool operator==(const SourceColumn&, const SourceColumn&) = default;
};

// A constraint other than NOT NULL and CHECK (LIKE ... INCLUDING CONSTRAINTS copies those).
struct SourceConstraint {
  std::string name;
  char kind = 0;            // 'p' primary key, 'u' unique, 'f' foreign key, 'x' exclusion
  std::string definition;   // pg_get_constraintdef
  std::vector<std::string> columns;  // conkey, in order
  friend bool operator==(const SourceConstraint&, const SourceConstraint&) = default;
};

// An index that backs no constraint.
struct SourceIndex {
  std::string name;
  bool unique = false;
  std::string definition;  // pg_get_indexdef after " USING ": "btree (a, b) WHERE (...)"
  std::vector<std::string> columns;  // plain key columns ("" for an expression)
  friend bool operator==(const SourceIndex&, const SourceIndex&) = default;
};

// Something that names the table and is recreated (or refused) at the swap.
struct SourceObject {
  QualifiedName name;      // a trigger's or policy's own name in `name.name`; a view's full name
  std::string kind;        // "trigger", "view", "materialized view", "rule", "function",
                           // "policy", "foreign key", "publication"
  std::string definition;  // what recreates it (CREATE TRIGGER ..., the view's query), or a
                           // description of what refers to the table
  std::string options;     // a view's reloptions ("security_barrier=true"), "" none
  friend bool operator==(const SourceObject&, const SourceObject&) = default;
};

struct OwnedSequence {
  QualifiedName sequence;
  std::string column;
  friend bool operator==(const OwnedSequence&, const OwnedSequence&) = default;
};

enum class ConvertPhase {
  kNotStarted,  // only the plain table
  kCopying,     // the new parent and the change log exist; rows are being copied
  kCopied,      // every block copied; captured changes are being replayed
  kSwapped,     // the partitioned table has the name; the old table is kept as T_pgpart_old
};
std::string ConvertPhaseName(ConvertPhase p);  // "not_started", "copying", "copied", "swapped"

struct ConvertSource {
  ConvertNames names;
  ConvertPhase phase = ConvertPhase::kNotStarted;
  int64_t oid = 0;  // the plain table's (the old table's once swapped)
  char persistence = 'p';
  bool has_inheritance = false;   // inherits or is inherited from
  bool is_partition = false;
  std::string owner;
  std::string comment;
  std::vector<SourceColumn> columns;
  std::string key_type_name;  // of the policy's column ("" when the column is missing)
  KeyType key_type = KeyType::kUnsupported;
  int64_t rows_estimate = 0;  // reltuples (0 when never analyzed)
  int64_t pages = 0;          // blocks of the main fork now
  int64_t bytes = 0;          // table + TOAST + indexes
  std::optional<Bound> min_key, max_key;  // of the policy's column (absent: no rows)
  bool null_keys = false;
  std::vector<SourceConstraint> constraints;
  std::vector<SourceIndex> indexes;
  std::vector<SourceObject> dependents;  // triggers, views, policies, incoming FKs, ...
  std::vector<OwnedSequence> sequences;
  bool rls_enabled = false, rls_forced = false;
  // The conversion's progress (phase kCopying / kCopied): the next block to copy and the rows
  // waiting in the change log; swapped: the rows the rollback log holds.
  int64_t next_block = 0;
  int64_t log_rows = 0;
  // Phase kCopying / kCopied: the new parent's range partitions (sorted) and default partition.
  std::vector<std::pair<Bound, Bound>> fresh_ranges;
  bool fresh_default = false;
  int64_t old_rows_estimate = 0;  // swapped: the kept old table's
  int64_t old_bytes = 0;
  int64_t swapped_at_micros = 0;  // swapped: when (0: unknown)
  // Non-empty when a name the conversion needs is taken by something it did not make (the
  // planner blocks the conversion with this text).
  std::string conflict;
  friend bool operator==(const ConvertSource&, const ConvertSource&) = default;
};

}  // namespace pgpart
