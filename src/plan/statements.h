#pragma once
// The exact SQL of each step (DESIGN §6: the lowest lock that does the job).
// Identifiers go through QuoteIdent; bound literals come from typed values (BoundSqlLiteral), so no
// user text is ever spliced in.

#include <string>
#include <vector>

#include "core/ident.h"
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
};

// CREATE TABLE child (LIKE parent ...) — a standalone table, no lock on the parent.
Statement CreateStandalone(const TableShape& t, const QualifiedName& child, const Execution& e);
// ALTER TABLE parent ATTACH PARTITION child FOR VALUES FROM (..) TO (..) — SHARE UPDATE EXCLUSIVE
// on the parent (and ACCESS EXCLUSIVE on the default partition, which is scanned, if any).
Statement AttachRange(const TableShape& t, const QualifiedName& child, const Bound& from,
                      const Bound& to, const Execution& e);
Statement AttachHash(const TableShape& t, const QualifiedName& child, int modulus, int remainder,
                     const Execution& e);
// CREATE TABLE default PARTITION OF parent DEFAULT.
Statement CreateDefault(const TableShape& t, const QualifiedName& name, const Execution& e);
// Moves the default partition's rows of [from, to) into child (one statement: DELETE ... RETURNING
// feeding an INSERT), to run in the same transaction as the child's creation and attach.
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
Statement CreateSchema(const std::string& schema, const Execution& e);
Statement SetSchema(const QualifiedName& child, const std::string& schema, const Execution& e);

}  // namespace pgpart
