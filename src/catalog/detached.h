#pragma once
// Finding former partitions pgpart detached: for dropping but not dropped (crash recovery), and
// for keeping (retention action detach or archive).

#include <pqxx/pqxx>
#include <vector>

#include "catalog/catalog.h"

namespace pgpart {

// One query: every ordinary or partitioned table that is not a partition and carries the drop
// marker comment (kDropMarkerPrefix + parent's qualified name [+ " [from, to)" [+ " oid N"]])
// naming one of `tables`; appended to that table's detached_for_drop with the marker's bounds
// (MINVALUE..MAXVALUE when it has none or they do not parse), the oid it names (marker_oid), its
// own oid, and sub_partitioned for a partitioned table. Candidates only: the planner decides.
// In the same query, tables carrying the detached marker (kDetachedMarkerPrefix, same format)
// naming one of `tables` go to its `detached`, with bytes (relpages of table, TOAST and indexes
// times `block_size`).
void ReadDetachedForDrop(pqxx::transaction_base& tx, std::vector<Table*>& tables,
                         int64_t block_size = 8192);

}  // namespace pgpart
