// Markdown text helpers shared by the plan and forecast Markdown renderers.

#include "render/markdown_text.h"

#include <algorithm>

#include "core/utf8.h"

namespace pgpart::render_internal {
namespace {

// EscapeControls on each line of `text`, the line breaks kept as '\n' (they become <br>).
std::string ControlsEscapedKeepingLines(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (true) {
    size_t end = text.find('\n', start);
    std::string line =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (end != std::string::npos && !line.empty() && line.back() == '\r') line.pop_back();
    out += EscapeControls(line);
    if (end == std::string::npos) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace

// Inline Markdown text (table cells, list items, headings): HTML specials become entities,
// Markdown punctuation is backslash-escaped (valid for any ASCII punctuation in CommonMark, and
// `\|` is what GFM tables take inside a cell), newlines become <br> so a cell stays on its row.
std::string EscapeInline(const std::string& raw) {
  const std::string text = ControlsEscapedKeepingLines(raw);  // ESC, NUL, ... as \x1b, \x00
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        out += "<br>";
        break;
      case '\n':
        out += "<br>";
        break;
      case '\\':
      case '|':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '#':
      case '!':
      case '~':
      case '$':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A list item's text: as EscapeInline, and what would otherwise start a nested block at the
// beginning of the item (indentation, "- ", "+ ", "1. ") is neutralised.
std::string EscapeItem(const std::string& text) {
  size_t start = text.find_first_not_of(" \t");
  std::string out = EscapeInline(start == std::string::npos ? "" : text.substr(start));
  if (!out.empty() && (out[0] == '-' || out[0] == '+' || out[0] == '=')) return "\\" + out;
  size_t digits = 0;
  while (digits < out.size() && out[digits] >= '0' && out[digits] <= '9') ++digits;
  if (digits > 0 && digits < out.size() && (out[digits] == '.' || out[digits] == ')')) {
    // (not out.insert: GCC 12 reports a -Wrestrict false positive for it here)
    out = out.substr(0, digits) + "\\" + out.substr(digits);
  }
  return out;
}

// Text inside a raw HTML block (<summary>): only HTML specials matter there.
std::string EscapeHtml(const std::string& raw) {
  std::string out;
  for (char c : EscapeControls(raw)) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Plural(int64_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Terraform's symbols, as the text renderer uses them.
std::string StepSymbol(const Step& s) {
  if (s.status != StepStatus::kPlanned) return "!";
  switch (s.action) {
    case Action::kCreate:
    case Action::kCreateDefault:
      return "+";
    case Action::kDrop:
    case Action::kConvertDropOld:
      return "-";
    default:
      return "~";
  }
}

// A fence longer than any backtick run in the text, so the text cannot close it.
std::string Fence(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

}  // namespace pgpart::render_internal
