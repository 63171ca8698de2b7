#pragma once
// Whether the connection's role may run a table's steps at all, checked before the first of them:
// a role that may not is refused with the grant it lacks, instead of failing half-way through the
// table with PostgreSQL's "must be owner of table ...".

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/ident.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pgpart {

// "" when the role may; else one sentence naming the role, what it lacks and the GRANT:
//  - any step: ownership of `table` (its owner, or a member of the owner role);
//  - creates: CREATE on the table's schema;
//  - steps that give partitions to the owner (ALTER TABLE ... OWNER TO): the owner's CREATE on
//    the schema (PostgreSQL requires it of a table's new owner, unless a superuser gives it);
//  - archives: CREATE on the archive schema (when it exists).
// Throws what libpqxx throws (the caller settles the table's steps as failed).
std::string RoleMayNotApply(pqxx::connection_base& conn, const QualifiedName& table,
                            const Policy& policy, const std::vector<const Step*>& steps);

}  // namespace pgpart
