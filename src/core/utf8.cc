#include "core/utf8.h"

#include <algorithm>
#include <cstdio>

namespace pgpart {
namespace {

// The length of the well-formed UTF-8 sequence at s[i] (1 for ASCII), 0 when it is not one.
size_t SequenceLength(const unsigned char* s, size_t n, size_t i) {
  const unsigned char c = s[i];
  if (c < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) low = 0xA0;   // overlong
    if (c == 0xED) high = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) low = 0x90;   // overlong
    if (c == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + 1 >= n || s[i + 1] < low || s[i + 1] > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (i + k >= n || s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
  }
  return length;
}

}  // namespace

std::string_view Utf8Prefix(std::string_view text, size_t max_bytes) {
  size_t cut = std::min(max_bytes, text.size());
  // Back over the continuation bytes before the cut to the sequence's first byte; cut before it
  // when the sequence it starts does not end by the cut.
  size_t lead = cut;
  while (lead > 0 && cut - lead < 3 && (static_cast<unsigned char>(text[lead - 1]) & 0xC0) == 0x80) {
    --lead;
  }
  if (lead > 0) {
    const auto c = static_cast<unsigned char>(text[lead - 1]);
    const size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (lead - 1 + want > cut) cut = lead - 1;
  }
  return text.substr(0, cut);
}

std::optional<size_t> FirstInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const size_t length = SequenceLength(s, n, i);
    if (length == 0) return i;
    i += length;
  }
  return std::nullopt;
}

std::string EscapeControls(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  std::string out;
  out.reserve(n);
  char buffer[8];
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    const size_t length = SequenceLength(s, n, i);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F || length == 0) {  // C0, DEL, a byte that is no UTF-8
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      out += buffer;
    } else if (c == 0xC2 && s[i + 1] <= 0x9F) {  // C1: U+0080..U+009F (0x9B is a CSI)
      std::snprintf(buffer, sizeof buffer, "\\u%04x", s[i + 1]);
      out += buffer;
    } else {
      out.append(text.substr(i, length));
    }
    i += length == 0 ? 1 : length;
  }
  return out;
}

}  // namespace pgpart
