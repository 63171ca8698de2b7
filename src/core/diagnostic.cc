#include "core/diagnostic.h"

#include <algorithm>

namespace pgpart {

std::string Diagnostic::Format() const {
  std::string out;
  // "file:line:col: " with unknown parts left out; a position without a file is "<input>".
  if (!location.file.empty() || location.line > 0) {
    out = location.file.empty() ? "<input>" : location.file;
    if (location.line > 0) {
      out += ":" + std::to_string(location.line);
      if (location.column > 0) out += ":" + std::to_string(location.column);
    }
    out += ": ";
  }
  out += severity == Severity::kError ? "error: " : "warning: ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

bool HasErrors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace pgpart
