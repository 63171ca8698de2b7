#pragma once
// Renderers over a Plan (docs/architecture.md): one per format, no I/O. Each returns the whole document.

#include <string>

#include "plan/plan.h"

namespace pgpart {

struct TextOptions {
  bool color = false;  // ANSI colours for a terminal
};

// Terraform-like text: one line per step with +, -, ~, ! symbols, details indented, drift and
// diagnostics, and the closing "Plan: ..." or "No changes. ..." line.
std::string RenderText(const Plan& plan, const TextOptions& options = {});

// JSON, format_version 1 (docs/apply.md, saved plans), stable key order, pretty-printed, newline-terminated.
std::string RenderJson(const Plan& plan);
// Parses RenderJson output back into a Plan (saved plans). False + *error when malformed.
bool PlanFromJson(const std::string& json_text, Plan* plan, std::string* error);

// A reviewable SQL script: a header comment, then per step a comment and its statements with
// SET lock_timeout / statement_timeout; non-transactional statements are marked.
std::string RenderSql(const Plan& plan);

struct MarkdownOptions {
  std::string id = "default";  // in the hidden marker line: <!-- pgpart plan: <id> -->
  size_t group_after = 40;     // per table, past this many steps runs of like steps are grouped
};

// A pull-request comment body (GitHub-flavoured Markdown): headline, a table per database table,
// held/blocked reasons, drift, the SQL in a collapsed <details> block, and the hidden marker line
// a CI job uses to update its earlier comment instead of adding a new one.
std::string RenderMarkdown(const Plan& plan, const MarkdownOptions& options = {});

}  // namespace pgpart
