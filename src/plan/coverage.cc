// Coverage of grid periods by the partitions that exist, and bridge partitions: the part of a
// period that partitions off the grid (another interval's, adopted, hand-made) leave uncovered.

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include "plan/planner_internal.h"

namespace pgpart::planner {

std::vector<Span> Uncovered(const Table& t, const Bound& from, const Bound& to) {
  std::vector<const Child*> over;
  for (const Child& child : t.children) {
    if (child.bound_kind == BoundKind::kRange && Overlaps(child.from, child.to, from, to)) {
      over.push_back(&child);
    }
  }
  std::sort(over.begin(), over.end(),
            [](const Child* a, const Child* b) { return a->from < b->from; });
  std::vector<Span> out;
  Bound cursor = from;
  for (const Child* child : over) {
    if (!(cursor < to)) break;
    if (cursor < child->from) out.push_back(Span{cursor, std::min(child->from, to)});
    if (cursor < child->to) cursor = child->to;
  }
  if (cursor < to) out.push_back(Span{cursor, to});
  return out;
}

namespace {

// The lower bound of a bridge as its name shows it: the local date (20270501), with the time of
// day when it is not midnight (20270501t0930, seconds and microseconds only when not zero);
// integers as they are, a minus sign as "m" (m5000).
std::string CompactBound(const Grid& grid, int64_t value) {
  if (IsIntegerKey(grid.key_type())) {
    std::string text = std::to_string(value);
    if (!text.empty() && text[0] == '-') text[0] = 'm';
    return text;
  }
  std::string error;
  std::optional<Grid> days =
      Grid::Make(grid.key_type(), Interval{1, Unit::kDay}, grid.zone(), &error);
  if (!days) return std::to_string(value);  // cannot happen for time keys
  const int64_t day = days->IndexOf(value);
  const NameFields f = days->Fields(day);
  char text[64];
  std::snprintf(text, sizeof text, "%04d%02d%02d", f.year, f.month, f.day);
  std::string out = text;
  int64_t offset = value - days->Lower(day);  // time since the day's start
  if (offset == 0) return out;
  const int64_t micros = offset % kMicrosPerSecond;
  offset /= kMicrosPerSecond;
  std::snprintf(text, sizeof text, "t%02lld%02lld", static_cast<long long>(offset / 3600),
                static_cast<long long>(offset / 60 % 60));
  out += text;
  if (offset % 60 != 0 || micros != 0) {
    std::snprintf(text, sizeof text, "%02lld", static_cast<long long>(offset % 60));
    out += text;
  }
  if (micros != 0) {
    std::snprintf(text, sizeof text, "_%06lld", static_cast<long long>(micros));
    out += text;
  }
  return out;
}

}  // namespace

std::string BridgeName(const std::string& period_name, const Grid& grid, int64_t from) {
  return period_name + "_from_" + CompactBound(grid, from);
}

std::optional<int64_t> BridgePeriod(const Policy& p, const Table& t, const Grid& grid,
                                    const Child& child) {
  if (child.bound_kind != BoundKind::kRange || !child.from.is_value() || !child.to.is_value() ||
      child.sub_partitioned || child.foreign) {
    return std::nullopt;
  }
  const int64_t index = grid.IndexOf(child.from.value);
  if (!(child.from.value < child.to.value) || grid.Upper(index) < child.to.value) {
    return std::nullopt;
  }
  if (child.from.value == grid.Lower(index) && child.to.value == grid.Upper(index)) {
    return std::nullopt;  // the whole period: a managed partition, not a bridge
  }
  const std::string period_name = ExpandName(p.NameTemplate(), t.name.name, grid.Fields(index));
  if (child.name.name != BridgeName(period_name, grid, child.from.value)) return std::nullopt;
  return index;
}

bool Adopted(const Policy& p, const Grid& grid, const Child& child) {
  for (const Adopt& a : p.adopt) {
    if (a.partition && *a.partition == child.name.name) return true;
    if (a.from && a.to && child.bound_kind == BoundKind::kRange && child.from.is_value() &&
        child.to.is_value()) {
      auto from = ParsePolicyValue(grid, *a.from);
      auto to = ParsePolicyValue(grid, *a.to);
      if (from && to && *from <= child.from.value && child.to.value <= *to) return true;
    }
  }
  return false;
}

std::set<std::string> AdoptedPartitions(const Policy& p, const Grid& grid, const Table& t) {
  std::set<std::string> out;
  if (p.adopt.empty()) return out;
  std::set<int64_t> periods;  // a second partition of one period is off the grid (PlanRange)
  for (const Child& child : t.children) {
    if (child.bound_kind == BoundKind::kRange && child.from.is_value() && child.to.is_value() &&
        !child.sub_partitioned && !child.foreign) {
      std::optional<int64_t> index = grid.IndexOfPeriod(child.from.value, child.to.value);
      if (index && periods.insert(*index).second) continue;  // managed
    }
    if (BridgePeriod(p, t, grid, child)) continue;
    if (Adopted(p, grid, child)) out.insert(child.name.name);
  }
  return out;
}

}  // namespace pgpart::planner
