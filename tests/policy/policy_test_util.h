#pragma once
// Helpers shared by the policy/ tests.

#include <ostream>
#include <string>
#include <string_view>

#include "core/diagnostic.h"
#include "policy/loader.h"

namespace pgpart {

// gtest prints locations as file:line:col.
inline void PrintTo(const SourceLocation& where, std::ostream* os) {
  *os << where.file << ":" << where.line << ":" << where.column;
}

}  // namespace pgpart

namespace pgpart::testing {

inline std::string TestData(std::string_view relative) {
  return std::string(PGPART_SOURCE_DIR) + "/tests/policy/testdata/" + std::string(relative);
}

// A policy document whose spec body starts on line 6 (each body line indented two spaces):
//   1 apiVersion  2 kind  3 metadata:  4   name: NAME  5 spec:  6 <body...>
inline std::string Doc(std::string_view body, std::string_view name = "p") {
  return "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata:\n  name: " +
         std::string(name) + "\nspec:\n" + std::string(body);
}

// The first diagnostic with this YAML path (and message fragment); nullptr when none.
inline const Diagnostic* Find(const Diagnostics& diagnostics, std::string_view path,
                              std::string_view fragment = "") {
  for (const Diagnostic& d : diagnostics) {
    if (d.path == path && d.message.find(fragment) != std::string::npos) return &d;
  }
  return nullptr;
}

inline int CountErrors(const Diagnostics& diagnostics) {
  int n = 0;
  for (const Diagnostic& d : diagnostics) n += d.severity == Severity::kError;
  return n;
}

// All diagnostics, one per line, for assertion failure messages.
inline std::string Dump(const Diagnostics& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) out += d.Format() + "\n";
  return out.empty() ? "(no diagnostics)\n" : out;
}

}  // namespace pgpart::testing
