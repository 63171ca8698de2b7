#pragma once
// `pgpart grants`: the SQL a DBA runs to set up a least-privileged role for the policies' tables
// (docs/permissions.md). Pure text; no database is read.

#include <string>
#include <vector>

#include "core/ident.h"
#include "policy/policy.h"

namespace pgpart {

enum class RoleKind {
  kReader,       // snapshot, plan, status, report: reads only
  kOwner,        // owns the tables: apply
  kMaintenance,  // a member of the owner role: apply
  kOperator,     // the operator's database role: a member of the owner role
};

struct GrantsRequest {
  RoleKind kind = RoleKind::kReader;
  std::string role;   // the role being set up (not created here)
  std::string owner;  // the tables' owner role (maintenance, operator)
  QualifiedName audit_table{"pgpart", "history"};
};

// "reader", "owner", "maintenance", "operator".
std::string RoleKindName(RoleKind kind);

// Idempotent SQL (IF NOT EXISTS, GRANT), with comments saying what each part is for: the audit
// table (created by whoever runs it, with the indexes `status` reads it by), then the grants for
// the policies' tables, schemas and archive schemas.
std::string RenderGrants(const std::vector<Policy>& policies, const GrantsRequest& request);

}  // namespace pgpart
