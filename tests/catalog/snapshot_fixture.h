#pragma once
// What the snapshot reading tests share: a catalog with every member set, and helpers to edit its
// JSON and read it back.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "catalog/snapshot.h"

namespace pgpart::snapshot_test {

using Json = nlohmann::ordered_json;

// Every member CatalogToJson writes, set to something other than its default, on tables of every
// key type and strategy: every bound kind (text, MINVALUE, MAXVALUE, a raw integer). Tables: 0
// events (timestamptz, everything), 1-5 one per other key type, 6 hash, 7 list (unsupported key),
// 8 missing.
Catalog RichCatalog();
// public.h: hash-partitioned by a bigint into three children (modulus 3).
Table HashTable();
Json RichJson();  // CatalogToJson(RichCatalog()), parsed

// "" when `text` reads (into *out), else the error.
std::string ErrorOf(const std::string& text, Catalog* out = nullptr);

// Calls `visit` with the JSON pointer of every object in `j` (the root included).
void ForEachObject(const Json& j, const Json::json_pointer& at,
                   const std::function<void(const Json::json_pointer&)>& visit);

// Every object with its members in reverse order.
Json Reversed(const Json& j);

}  // namespace pgpart::snapshot_test
