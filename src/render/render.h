#pragma once
// Renderers over a Plan (DESIGN §5): one per format, no I/O. Each returns the whole document.

#include <string>

#include "plan/plan.h"

namespace pgpart {

struct TextOptions {
  bool color = false;  // ANSI colours for a terminal
};

// Terraform-like text: one line per step with +, -, ~, ! symbols, details indented, drift and
// diagnostics, and the closing "Plan: ..." or "No changes. ..." line.
std::string RenderText(const Plan& plan, const TextOptions& options = {});

// JSON, format_version 1 (DESIGN §5), stable key order, pretty-printed, newline-terminated.
std::string RenderJson(const Plan& plan);
// Parses RenderJson output back into a Plan (saved plans). False + *error when malformed.
bool PlanFromJson(const std::string& json_text, Plan* plan, std::string* error);

// A reviewable SQL script: a header comment, then per step a comment and its statements with
// SET lock_timeout / statement_timeout; non-transactional statements are marked.
std::string RenderSql(const Plan& plan);

}  // namespace pgpart
