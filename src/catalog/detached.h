#pragma once
// Finding former partitions that pgpart detached for dropping but did not drop (crash recovery).

#include <pqxx/pqxx>
#include <vector>

#include "catalog/catalog.h"

namespace pgpart {

// One query: every ordinary or partitioned table that is not a partition and carries the drop
// marker comment (kDropMarkerPrefix + parent's qualified name [+ " [from, to)"]) naming one of
// `tables`; appended to that table's detached_for_drop with the marker's bounds (MINVALUE..MAXVALUE
// when it has none or they do not parse).
void ReadDetachedForDrop(pqxx::transaction_base& tx, std::vector<Table*>& tables);

}  // namespace pgpart
