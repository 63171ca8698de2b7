#pragma once
// Test helpers for the planner: fake catalogs, policies from YAML text and a fixed clock. A plan's
// effect on a catalog is plan/simulate.h's SimulateApply.

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pgpart::testing {

// UTC micros of an ISO 8601 instant; aborts the test binary on bad input.
int64_t At(const std::string& iso);

// Parses policies from YAML; fails the current test if there are errors.
std::vector<Policy> Policies(const std::string& yaml);

// A partitioned table (range unless strategy says otherwise) with no children.
Table RangeTable(const std::string& qualified, const std::string& key, KeyType type);
Table HashTable(const std::string& qualified, const std::string& key);

// Adds a range child [from, to) given as BoundText values ("2026-01-01T00:00:00Z", "1000000").
void AddChild(Table& t, const std::string& name, const std::string& from, const std::string& to,
              int64_t rows = 0);
// Adds monthly children named {parent}_yYYYYmMM from `first` ("2024-09") for `count` months (UTC).
void AddMonths(Table& t, const std::string& first, int count);
void AddHashChildren(Table& t, int modulus);
void AddDefault(Table& t, int64_t rows = 0);

Catalog CatalogOf(std::vector<Table> tables);


// Steps of one action, in plan order.
std::vector<Step> StepsOf(const Plan& plan, Action action);
std::vector<std::string> Names(const std::vector<Step>& steps);

}  // namespace pgpart::testing
