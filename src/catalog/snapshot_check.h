#pragma once
// What a snapshot read from a file must be to be planned from: a catalog PostgreSQL could have
// produced. CatalogFromJson checks the JSON types; this checks the content.

#include <string>

#include "catalog/catalog.h"

namespace pgpart {

// "" when consistent, else the first problem, prefixed with its JSON path: a table listed twice,
// a child whose bound kind is not the table's strategy, a range child whose from is not below its
// to, two range children that overlap, a child name used twice, a hash remainder outside
// [0, modulus), a default partition that is not one, a clock outside years 1..9999.
std::string CheckSnapshotConsistency(const Catalog& catalog);

}  // namespace pgpart
