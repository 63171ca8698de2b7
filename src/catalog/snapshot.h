#pragma once
// Catalog <-> JSON (`pgpart snapshot`, `plan --catalog`). Round trip is exact: a plan from a
// snapshot equals the plan from the live database it was taken from.

#include <string>

#include "catalog/catalog.h"

namespace pgpart {

constexpr int kSnapshotFormatVersion = 1;

// Pretty-printed JSON with a stable key order; ends with a newline.
std::string CatalogToJson(const Catalog& catalog);
// Parses CatalogToJson output. On failure returns false and sets *error.
bool CatalogFromJson(const std::string& json_text, Catalog* catalog, std::string* error);

}  // namespace pgpart
