#pragma once
// JSON text that cannot throw: nlohmann's dump() throws type_error 316 on a string that is not
// UTF-8 (an identifier from a SQL_ASCII database, a byte that slipped through); every writer of
// JSON in pgpart goes through JsonText, which writes U+FFFD for such bytes instead.

#include <string>

namespace pgpart {

// `indent` as for dump(): -1 compact, else spaces per level. Json: nlohmann::json or
// nlohmann::ordered_json (header-only; no library to link).
template <class Json>
std::string JsonText(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace pgpart
