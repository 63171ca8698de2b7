// UTF-8 validity (RFC 3629), as policies and JSON output need it.
#include "core/utf8.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace pgpart {
namespace {

TEST(Utf8Test, WellFormedTextHasNoInvalidByte) {
  EXPECT_EQ(FirstInvalidUtf8(""), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8("plain ascii\n"), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8("Gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x98\x80"), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8("\xF4\x8F\xBF\xBF"), std::nullopt);  // U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("\xED\x9F\xBF"), std::nullopt);      // U+D7FF
}

TEST(Utf8Test, FirstBadByteIsFound) {
  EXPECT_EQ(FirstInvalidUtf8("ab\xFF"), std::optional<size_t>(2));
  EXPECT_EQ(FirstInvalidUtf8("\x80"), std::optional<size_t>(0));          // lone continuation
  EXPECT_EQ(FirstInvalidUtf8("a\xC0\x80"), std::optional<size_t>(1));     // overlong NUL
  EXPECT_EQ(FirstInvalidUtf8("\xE0\x80\xAF"), std::optional<size_t>(0));  // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("\xED\xA0\x80"), std::optional<size_t>(0));  // surrogate U+D800
  EXPECT_EQ(FirstInvalidUtf8("\xF4\x90\x80\x80"), std::optional<size_t>(0));  // > U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("\xF5\x80\x80\x80"), std::optional<size_t>(0));
  EXPECT_EQ(FirstInvalidUtf8("ok\xE2\x82"), std::optional<size_t>(2));  // truncated
  EXPECT_EQ(FirstInvalidUtf8("\xE2\x82x"), std::optional<size_t>(0));
}

// Issue 11 item 9: names and reasons must not drive the terminal or break lines in text output.
TEST(Utf8Test, EscapeControlsNeutralisesEveryControlCharacter) {
  EXPECT_EQ(EscapeControls("plain \xC3\xBC \xE2\x82\xAC"), "plain \xC3\xBC \xE2\x82\xAC");
  EXPECT_EQ(EscapeControls("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(EscapeControls("\x1b[2J\x07"), "\\x1b[2J\\x07");
  EXPECT_EQ(EscapeControls(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(EscapeControls("del\x7f"), "del\\x7f");
  EXPECT_EQ(EscapeControls("csi\xC2\x9B" "31m"), "csi\\u009b31m");
  EXPECT_EQ(EscapeControls("nbsp\xC2\xA0"), "nbsp\xC2\xA0");  // U+00A0 is no control
  EXPECT_EQ(EscapeControls("raw\x9B" "1m"), "raw\\x9b1m");     // not UTF-8
  EXPECT_EQ(EscapeControls("cut\xE2\x82"), "cut\\xe2\\x82");
}

// Issue 14 item 4: a note cut at 1,024 bytes in the middle of a character made the JSON writer
// throw. A cut never ends inside a sequence.
TEST(Utf8Test, APrefixNeverEndsInsideACharacter) {
  EXPECT_EQ(Utf8Prefix("abc", 10), "abc");
  EXPECT_EQ(Utf8Prefix("abc", 2), "ab");
  EXPECT_EQ(Utf8Prefix("a\xC3\xA9", 2), "a");         // é cut after its first byte
  EXPECT_EQ(Utf8Prefix("a\xC3\xA9", 3), "a\xC3\xA9");
  EXPECT_EQ(Utf8Prefix("\xE2\x82\xAC!", 2), "");      // €
  EXPECT_EQ(Utf8Prefix("\xF0\x9F\x98\x80x", 3), "");  // an emoji, 4 bytes
  EXPECT_EQ(Utf8Prefix("\xF0\x9F\x98\x80x", 4), "\xF0\x9F\x98\x80");
  EXPECT_EQ(Utf8Prefix("ok\xE2\x82", 4), "ok");        // incomplete at the end already
  for (size_t n = 0; n <= 12; ++n) {
    const std::string_view text = "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC\xF0\x9F\x98\x80";
    EXPECT_EQ(FirstInvalidUtf8(Utf8Prefix(text, n)), std::nullopt) << n;
  }
}

}  // namespace
}  // namespace pgpart
