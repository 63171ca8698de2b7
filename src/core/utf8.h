#pragma once
// UTF-8 validity: policies, identifiers and every text pgpart writes as JSON are UTF-8.

#include <cstddef>
#include <optional>
#include <string_view>

namespace pgpart {

// The offset of the first byte that does not start or continue a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF); nullopt when all is valid.
std::optional<size_t> FirstInvalidUtf8(std::string_view text);

}  // namespace pgpart
