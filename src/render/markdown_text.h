#pragma once
// Markdown text helpers shared by the renderers that write GitHub-flavoured Markdown (plan and
// forecast). Internal to render/.

#include <cstdint>
#include <string>

#include "plan/plan.h"

namespace pgpart::render_internal {

// Text for a table cell or a heading: HTML specials as entities, Markdown punctuation
// backslash-escaped (`\|` included, for GFM table cells), newlines as <br>, other control
// characters as EscapeControls writes them.
std::string EscapeInline(const std::string& text);
// A list item's text: as EscapeInline, and nothing can start a nested block at its beginning.
std::string EscapeItem(const std::string& text);
// Text inside a raw HTML block (<summary>): HTML specials, and control characters (newlines
// too) as EscapeControls writes them.
std::string EscapeHtml(const std::string& text);
// A code fence longer than any backtick run in `text`, so the text cannot close it.
std::string Fence(const std::string& text);
// "1 step", "2 steps".
std::string Plural(int64_t n, const std::string& word);
// Terraform's symbols: + create, - drop, ~ detach/archive/drain, ! held or blocked.
std::string StepSymbol(const Step& s);

}  // namespace pgpart::render_internal
