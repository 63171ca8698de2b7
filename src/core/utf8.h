#pragma once
// UTF-8 validity: policies, identifiers and every text pgpart writes as JSON are UTF-8.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pgpart {

// The offset of the first byte that does not start or continue a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF); nullopt when all is valid.
std::optional<size_t> FirstInvalidUtf8(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence: a string cut for a size limit (an Event's note, a capped process output) stays
// valid UTF-8 (JSON writers refuse anything else). A sequence already incomplete at the end of
// `text` is dropped too.
std::string_view Utf8Prefix(std::string_view text, size_t max_bytes);

// `text` made safe for a terminal or a line-oriented text file: C0 control characters, DEL, the
// C1 controls U+0080..U+009F (U+009B is a CSI to some terminals) and bytes that are not UTF-8 are
// written as \n, \r, \t, \xNN or \u00NN; everything else is kept. Every identifier, hold
// reason, gate message or other user- or database-provided string in text and Markdown output
// goes through this.
std::string EscapeControls(std::string_view text);

}  // namespace pgpart
