#pragma once
// The SQL of a conversion (policy spec.convert, docs/convert.md): a plain table T becomes a
// partitioned one while the application keeps writing. Pure text; identifiers through QuoteIdent.
//
//   prepare  one transaction: the new parent T_pgpart_new (LIKE T), its keys, indexes, foreign
//            keys, owner and grants, every partition the rows need (+ default), the change log
//            T_pgpart_log and statement triggers on T that record the row key of every insert,
//            update and delete into it (TRUNCATE is refused while converting).
//   copy     batches of T's blocks (ctid ranges) inserted into the new parent, the progress kept
//            in the new parent's comment in the same transaction; then the change log replayed:
//            each logged key's rows are deleted from the new table and copied again from T.
//   verify   row count and checksum per period, T vs the new table, in one snapshot, leaving out
//            the keys still in the log (they are replayed under the swap's lock).
//   swap     one transaction under lock_timeout: LOCK T, replay the rest of the log, drop the
//            capture, rename T to T_pgpart_old and the new parent to T (with the names of its
//            keys and indexes), move owned sequences, identity values, triggers, views and the
//            comment; and capture changes to the new T into T_pgpart_back for a rollback.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pgpart {

struct ConvertShape {
  ConvertNames names;
  int64_t old_oid = 0;
  std::string key_column;
  KeyType key_type = KeyType::kUnsupported;
  std::vector<SourceColumn> columns;
  std::vector<std::string> row_key;      // the old primary key: identifies rows in the logs
  std::string primary_key_name;          // the old primary key constraint's name
  std::vector<std::string> primary_key;  // the new table's primary key columns
  std::vector<SourceConstraint> constraints;  // unique and foreign keys to copy
  std::vector<SourceIndex> indexes;
  std::vector<SourceObject> triggers, views;
  std::vector<OwnedSequence> sequences;
  std::string owner;
  std::vector<Grant> grants;
  bool inherit_privileges = true;
  std::string comment;
  std::vector<std::pair<Bound, Bound>> ranges;  // partitions (the new parent's), sorted
  std::vector<QualifiedName> range_names;       // prepare only: their names
  std::optional<QualifiedName> default_name;    // a default partition
  // convert.expiredRows: skip — only rows with key >= this are copied (and compared).
  std::optional<Bound> copy_from;
  Execution execution;
  int64_t batch_rows = 10'000;
};

// Placeholders the executor fills in the copy statements.
constexpr char kFromBlock[] = "{from_block}";
constexpr char kToBlock[] = "{to_block}";

// The copy step's statements, by index.
enum CopyStatement {
  kCopyBatch = 0,  // INSERT ... SELECT ... WHERE ctid in [{from_block}, {to_block})
  kCopyMark,       // COMMENT: next_block {to_block}
  kCopyDone,       // COMMENT: copied
  kCopyAnalyze,    // ANALYZE the new table once copied (before the verify and the swap)
  kReplayJit,      // SET LOCAL jit = off, enable_mergejoin / enable_hashjoin = off
  kReplayMergeJoin,
  kReplayHashJoin,
  kReplayKeys,     // CREATE TEMP TABLE pgpart_convert_keys ON COMMIT DROP
  kReplayTake,     // move up to batchRows keys out of the log into it
  kReplayDelete,   // delete their rows from the new table
  kReplayInsert,   // copy their rows again from T
  kCopyStatements
};

std::vector<Statement> ConvertPrepare(const ConvertShape& s);
std::vector<Statement> ConvertCopy(const ConvertShape& s);
// [0] T's and [1] the new table's (period lower bound, upper bound, rows, checksum), by period of
// `ranges` (rows outside every range: a NULL period).
std::vector<Statement> ConvertVerify(const ConvertShape& s);
std::vector<Statement> ConvertSwap(const ConvertShape& s);
std::vector<Statement> ConvertDropOld(const ConvertNames& n, const Execution& e);

// `pgpart convert rollback` before the swap: the conversion's objects dropped (the new parent
// with its partitions, the log, the capture); the table is as it was.
std::vector<Statement> ConvertAbort(const ConvertNames& n, const Execution& e);

// `pgpart convert rollback` after the swap: the changes made to the partitioned table since are
// replayed into the old one, the old one gets its name, keys, index names, sequences, views
// and comment back, and the partitioned table is dropped. One transaction.
struct RollbackShape {
  ConvertShape shape;  // names, row_key, columns (the old table's), views and sequences (now on
                       // the partitioned table), comment (the partitioned table's), execution
  std::vector<std::string> enabled_triggers;  // the old table's, quiet while rows are replayed
  struct Rename {
    std::string current;   // pgpart_old_OID_N
    std::string original;  // the name it had, from its 'pgpart:was NAME' comment
    bool constraint = false;
  };
  std::vector<Rename> renames;
};
std::vector<Statement> ConvertRollback(const RollbackShape& r);

// COMMENT ON INDEX text the swap leaves on each of the old table's renamed indexes.
constexpr char kWasMarker[] = "pgpart:was ";

// The marker comment of the new parent: kConvertMarker + T + " oid " + oid + " next_block " + N.
std::string ConvertMarkerText(const QualifiedName& table, int64_t old_oid, const std::string& block);

}  // namespace pgpart
