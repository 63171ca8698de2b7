#pragma once
// Small helpers shared by the reader tests.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "catalog/reader.h"
#include "core/calendar.h"
#include "core/key.h"

namespace pgpart::testing {

inline TableRequest Request(const std::string& schema, const std::string& name,
                            const std::string& interval = "", const std::string& zone = "UTC") {
  TableRequest r;
  r.name = QualifiedName{schema, name};
  if (!interval.empty()) {
    std::string error;
    r.interval = ParseInterval(interval, &error);
    EXPECT_TRUE(r.interval.has_value()) << error;
  }
  r.time_zone = zone;
  return r;
}

// UTC seconds since the epoch -> a timestamptz bound.
inline Bound At(int64_t epoch_seconds) { return Bound::Value(epoch_seconds * kMicrosPerSecond); }

inline std::vector<std::string> ChildNames(const Table& t) {
  std::vector<std::string> names;
  for (const Child& c : t.children) names.push_back(c.name.name);
  return names;
}

inline std::string AllDiagnostics(const ReadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += d.Format() + "\n";
  return out;
}

}  // namespace pgpart::testing
