#pragma once
// Diagnostics: expected failures as values, each pointing at file:line:col and a YAML path.

#include <string>
#include <vector>

namespace pgpart {

enum class Severity { kError, kWarning };

struct SourceLocation {
  std::string file;  // empty when not from a file
  int line = 0;      // 1-based; 0 = unknown
  int column = 0;    // 1-based; 0 = unknown
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string path;  // YAML path, e.g. "spec.retention.keep" or "spec.holds[0].reason"
  std::string message;
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;

  // "policies/a.yaml:12:5: error: spec.interval: unknown unit 'mnth'".
  std::string Format() const;
};

using Diagnostics = std::vector<Diagnostic>;

// True if any diagnostic is an error.
bool HasErrors(const Diagnostics& diagnostics);

// `text` (a library's error message) on one line: newlines, carriage returns and tabs become
// spaces, trailing spaces go.
std::string OneLine(std::string text);

}  // namespace pgpart
