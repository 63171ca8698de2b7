#pragma once
// JSON text that cannot throw: nlohmann's dump() throws type_error 316 on a string that is not
// UTF-8 (an identifier from a SQL_ASCII database, a byte that slipped through); every writer of
// JSON in pgpart goes through JsonText, which writes U+FFFD for such bytes instead.

#include <cstdint>
#include <string>

namespace pgpart {

// `indent` as for dump(): -1 compact, else spaces per level. Json: nlohmann::json or
// nlohmann::ordered_json (header-only; no library to link).
template <class Json>
std::string JsonText(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// For loaders of pgpart's own JSON (plans, snapshots), which holds integers only: "" when every
// number in `value` is an integer that fits int64, else why not, with the member's path. Call it
// before get<int>(): converting a float (1e300) to an integer that cannot hold it is undefined.
// Nesting deeper than `max_depth` is refused too (pgpart's JSON nests a few levels).
template <class Json>
std::string CheckJsonIntegers(const Json& value, const std::string& path = "", int max_depth = 64) {
  const std::string where = path.empty() ? "the document" : path;
  if (value.is_number_float()) {
    return where + ": expected an integer, got " + JsonText(value);
  }
  if (value.is_number_unsigned() && value.template get<uint64_t>() > uint64_t{INT64_MAX}) {
    return where + ": " + JsonText(value) + " is out of range (int64)";
  }
  if (!value.is_structured()) return "";
  if (max_depth <= 0) return where + ": nested too deep";
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      std::string problem = CheckJsonIntegers(
          it.value(), path.empty() ? it.key() : path + "." + it.key(), max_depth - 1);
      if (!problem.empty()) return problem;
    }
    return "";
  }
  for (size_t i = 0; i < value.size(); ++i) {
    std::string problem =
        CheckJsonIntegers(value[i], path + "[" + std::to_string(i) + "]", max_depth - 1);
    if (!problem.empty()) return problem;
  }
  return "";
}

}  // namespace pgpart
