#pragma once
// Finding former partitions that pgpart detached for dropping but did not drop (crash recovery).

#include <pqxx/pqxx>
#include <vector>

#include "catalog/catalog.h"

namespace pgpart {

// One query: every ordinary or partitioned table that is not a partition and carries the drop
// marker comment (kDropMarkerPrefix + parent's qualified name [+ " [from, to)" [+ " oid N"]])
// naming one of `tables`; appended to that table's detached_for_drop with the marker's bounds
// (MINVALUE..MAXVALUE when it has none or they do not parse), the oid it names (marker_oid), its
// own oid, and sub_partitioned for a partitioned table. Candidates only: the planner decides.
void ReadDetachedForDrop(pqxx::transaction_base& tx, std::vector<Table*>& tables);

}  // namespace pgpart
