#pragma once
// The planner: a pure function of policies, catalog and the clock.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pgpart {

struct PlanOptions {
  std::optional<int> max_drops;  // overrides every policy's maxDropsPerRun
};

// Computes the plan that brings `catalog` to `policies` at instant `now_utc_micros`.
// Never does I/O and never reads the clock. Errors (table missing, key mismatch, ...) are
// diagnostics on the plan; the other tables are still planned.
Plan ComputePlan(const std::vector<Policy>& policies, const Catalog& catalog,
                 int64_t now_utc_micros, const PlanOptions& options = {});

// sha256 hex over the catalog's structure: tables, key, children and their bounds, default
// partition presence. Sizes, row estimates and counts are excluded. With `only`, just those tables
// count (a plan hashes the tables its policies name, so a snapshot of the whole database and a
// live read of those tables give the same hash).
std::string CatalogHash(const Catalog& catalog, const std::vector<QualifiedName>* only = nullptr);
// sha256 hex over the policies' semantic content (not file locations).
std::string PolicyHash(const std::vector<Policy>& policies);
// sha256 hex identifying what a plan would do: its catalog and policy hashes, and each step's
// action, partition, status and statements (not the clock or generated_at).
std::string PlanHash(const Plan& plan);
// Lower-case hex SHA-256 of `bytes` (a saved plan's content_hash is this over its JSON text).
std::string Sha256Hex(std::string_view bytes);

}  // namespace pgpart
