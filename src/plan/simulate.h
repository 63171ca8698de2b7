#pragma once
// A model of the executor: applies a plan's planned steps to a Catalog value. Pure (no I/O), used
// by the forecast to move the catalog forward in time.

#include "catalog/catalog.h"
#include "plan/plan.h"

namespace pgpart {

// Applies the planned steps of `plan` to `catalog` as the executor would: create adds a range child
// with the step's bounds (or a hash child, modulus/remainder read off its ATTACH statement),
// create_default adds the default partition, drain_default moves the rows of the drained periods
// out of the default, detach/archive/drop/finalize_detach remove the child, recovery drops remove
// it from detached_for_drop. Held and blocked steps are skipped; steps naming a table the catalog
// does not hold, or bounds that do not parse, are ignored.
void SimulateApply(const Plan& plan, Catalog& catalog);

}  // namespace pgpart
