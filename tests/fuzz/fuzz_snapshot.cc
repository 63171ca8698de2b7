// libFuzzer target: a catalog snapshot (`pgpart snapshot`, `plan --catalog FILE`) through
// CatalogFromJson. What it accepts must survive the round trip: CatalogToJson of it parses back
// to an equal catalog.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "catalog/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  pgpart::Catalog catalog;
  std::string error;
  if (!pgpart::CatalogFromJson(text, &catalog, &error)) return 0;
  pgpart::Catalog again;
  if (!pgpart::CatalogFromJson(pgpart::CatalogToJson(catalog), &again, &error)) std::abort();
  if (!(again == catalog)) std::abort();
  return 0;
}
