#pragma once
// `pgpart convert rollback`: undoes a conversion (docs/convert.md). Before the swap it drops what
// the conversion made; after it, it swaps the old table back in with the rows written since.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/ident.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pqxx {
class connection_base;
}

namespace pgpart {

struct RollbackPlan {
  std::string phase;                 // "copying" (abort) | "swapped" (swap back)
  std::vector<std::string> summary;  // what it does, for the reader
  std::vector<Statement> statements;  // one transaction
};

// Reads what undoing the conversion of `table` needs. nullopt + *error when there is none to
// undo (or the database cannot be read).
std::optional<RollbackPlan> PlanRollback(pqxx::connection_base& conn, const QualifiedName& table,
                                         const Execution& execution, std::string* error);

// Runs the plan's statements in one transaction under their lock_timeout, retrying a lock
// timeout `retries` times with backoff. "" when done, else the error (nothing changed then).
std::string RunRollback(pqxx::connection_base& conn, const RollbackPlan& plan, int retries,
                        const std::function<void(const std::string&)>& progress);

}  // namespace pgpart
