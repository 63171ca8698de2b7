#pragma once
// The exact SQL of each step (docs/apply.md: the lowest lock that does the job).
// Identifiers go through QuoteIdent; bound literals come from typed values (BoundSqlLiteral), so no
// user text is ever spliced in.

#include <string>
#include <vector>

#include "core/ident.h"
#include "catalog/catalog.h"
#include "core/key.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pgpart {

struct TableShape {
  QualifiedName parent;
  std::string key_column;
  KeyType key_type = KeyType::kUnsupported;
  bool has_default = false;  // DETACH ... CONCURRENTLY is not allowed with a default partition
  QualifiedName default_name;
  std::vector<Column> columns;  // the parent's columns (Table::columns)
  // Policy `privileges: inherit` with the parent's owner and grants known: partitions get them.
  bool inherit_privileges = false;
  std::string owner;
  std::vector<Grant> grants;
  // What a new partition takes from its template (the newest partition) that PostgreSQL does not
  // carry from the parent: storage parameters, access method, replica identity, local indexes.
  // nullptr: none (unknown, or no partition yet).
  const Child* storage_template = nullptr;
};

// CREATE TABLE child (LIKE parent ...) [USING am] [WITH (storage parameters)] — a standalone
// table, no lock on the parent. The access method and storage parameters are the template's.
Statement CreateStandalone(const TableShape& t, const QualifiedName& child, const Execution& e);
// ALTER TABLE parent ATTACH PARTITION child FOR VALUES FROM (..) TO (..) — SHARE UPDATE EXCLUSIVE
// on the parent (and ACCESS EXCLUSIVE on the default partition, which is scanned, if any).
Statement AttachRange(const TableShape& t, const QualifiedName& child, const Bound& from,
                      const Bound& to, const Execution& e);
Statement AttachHash(const TableShape& t, const QualifiedName& child, int modulus, int remainder,
                     const Execution& e);
// The template's partition-local indexes (CREATE [UNIQUE] INDEX ON child USING ...) and replica
// identity (FULL / NOTHING) for a new, empty standalone `child`: instant, no lock on the parent.
// Definitions that could carry another statement (a ';') are left out.
std::vector<Statement> FromTemplate(const TableShape& t, const QualifiedName& child,
                                    const Execution& e);

// The parent's grants (table privileges only) that `child_grants` lacks, in the parent's order.
std::vector<Grant> MissingGrants(const std::vector<Grant>& parent_grants,
                                 const std::vector<Grant>& child_grants);

// What makes `child` (owned by `child_owner`, "" when unknown or just created, with
// `child_grants`) carry the parent's owner and grants: ALTER TABLE child OWNER TO <owner> (when
// it differs; ACCESS EXCLUSIVE on the child only) and one GRANT per grantee for the privileges
// it lacks. Grants the child has beyond the parent's are left alone. Empty when nothing differs.
std::vector<Statement> InheritPrivileges(const TableShape& t, const QualifiedName& child,
                                         const std::string& child_owner,
                                         const std::vector<Grant>& child_grants,
                                         const Execution& e);
// CREATE TABLE default PARTITION OF parent DEFAULT.
Statement CreateDefault(const TableShape& t, const QualifiedName& name, const Execution& e);
// LOCK TABLE ONLY parent IN SHARE ROW EXCLUSIVE MODE: taken before an ATTACH while the parent
// has a default partition, so that no insert routed to the default can slip in between the drain
// (or the attach's scan of the default) and the commit. Writers wait for the transaction; without
// the lock a concurrent insert into the new period fails the attach ("updated partition
// constraint for default partition would be violated") or fails the writer ("violates partition
// constraint"). SHARE ROW EXCLUSIVE is the weakest mode that conflicts with writers' ROW EXCLUSIVE
// and with itself; readers are not blocked by it.
Statement LockOutWriters(const TableShape& t, const Execution& e);
// Moves the default partition's rows of [from, to) into child (one statement: DELETE ... RETURNING
// feeding an INSERT), to run in the same transaction as the child's creation and attach. Columns
// are named on both sides (a default partition may order its columns differently from the
// parent); stored generated columns are recomputed by the child, identity columns are copied
// with OVERRIDING SYSTEM VALUE. `t.columns` must not be empty.
Statement DrainDefault(const TableShape& t, const QualifiedName& child, const Bound& from,
                       const Bound& to, const Execution& e);
// DETACH PARTITION [CONCURRENTLY]: concurrently (non-transactional) unless a default exists.
Statement Detach(const TableShape& t, const QualifiedName& child, const Execution& e);
// DETACH PARTITION ... FINALIZE (completes an interrupted concurrent detach; non-transactional).
Statement FinalizeDetach(const TableShape& t, const QualifiedName& child, const Execution& e);
Statement DropTable(const QualifiedName& child, const Execution& e);
// COMMENT ON TABLE child IS 'pgpart:drop <parent> [<from>, <to>) oid <oid>': set before a
// concurrent detach so that a crash between the detach and the drop leaves a table the next run
// recognises and drops (with its bounds, which its backup gate needs). The oid (the child's
// pg_class.oid; left out when 0, unknown) is what a copy of the comment cannot carry over: a
// restored or re-created table has another. from/to are BoundText.
Statement MarkForDrop(const QualifiedName& child, int64_t oid, const QualifiedName& parent,
                      const std::string& from, const std::string& to, const Execution& e);
// COMMENT ON TABLE child IS 'pgpart:detached <parent> [<from>, <to>) oid <oid>': set before the
// detach of retention action detach or archive, so that status and report list the leftover
// (and spec.retention.dropDetachedAfter may drop it) without relying on the audit table. Same
// format and oid rule as MarkForDrop. Replaces any comment the partition had.
Statement MarkDetached(const QualifiedName& child, int64_t oid, const QualifiedName& parent,
                       const std::string& from, const std::string& to, const Execution& e);
// MarkDetached for a partition created in the same transaction (the default partition's rows of an
// expired period, retired by detach or archive): its oid is not known when planning, so the
// comment is set by a DO block that reads it, giving the same text as MarkDetached.
Statement MarkDetachedCreated(const QualifiedName& child, const QualifiedName& parent,
                              const std::string& from, const std::string& to, const Execution& e);
Statement CreateSchema(const std::string& schema, const Execution& e);
Statement SetSchema(const QualifiedName& child, const std::string& schema, const Execution& e);

}  // namespace pgpart
