#include "core/duration.h"

#include "core/time_text.h"

namespace pgpart {

namespace {

struct DurationUnit {
  const char* suffix;
  int64_t ms;
};
// Longest suffix first so "ms" is not read as "m" + garbage.
constexpr DurationUnit kUnits[] = {
    {"ms", 1}, {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}};
constexpr DurationUnit kByMagnitude[] = {
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}};

}  // namespace

std::optional<int64_t> ParseDurationMs(std::string_view text) {
  text = internal::Trim(text);
  if (text.empty()) return std::nullopt;
  // A bare number is seconds.
  if (auto seconds = internal::ParseInt64(text)) {
    if (*seconds < 0) return std::nullopt;
    int64_t ms = internal::SatMul(*seconds, 1000);
    if (ms == INT64_MAX) return std::nullopt;
    return ms;
  }
  // One or more <digits><unit>, units strictly from larger to smaller ("1h30m", not "30m1h").
  int64_t total = 0;
  int64_t last_unit_ms = INT64_MAX;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start || pos - start > 18) return std::nullopt;
    int64_t value = *internal::ParseInt64(text.substr(start, pos - start));
    const DurationUnit* unit = nullptr;
    for (const DurationUnit& u : kUnits) {
      std::string_view suffix = u.suffix;
      if (text.substr(pos, suffix.size()) == suffix) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr || unit->ms >= last_unit_ms) return std::nullopt;
    last_unit_ms = unit->ms;
    pos += std::string_view(unit->suffix).size();
    int64_t part = internal::SatMul(value, unit->ms);
    total = internal::SatAdd(total, part);
    if (part == INT64_MAX || total == INT64_MAX) return std::nullopt;
  }
  return total;
}

std::string DurationText(int64_t ms) {
  if (ms < 0) {
    if (ms == INT64_MIN) return "-" + std::to_string(ms).substr(1) + "ms";
    return "-" + DurationText(-ms);
  }
  if (ms == 0) return "0s";
  // The largest single unit that divides exactly ...
  std::string single;
  for (const DurationUnit& u : kByMagnitude) {
    if (ms % u.ms == 0) {
      single = std::to_string(ms / u.ms) + u.suffix;
      break;
    }
  }
  // ... or the compound form, whichever is shorter (ties: the single unit).
  std::string compound;
  int64_t rest = ms;
  for (const DurationUnit& u : kByMagnitude) {
    if (rest >= u.ms) {
      compound += std::to_string(rest / u.ms) + u.suffix;
      rest %= u.ms;
    }
  }
  return compound.size() < single.size() ? compound : single;
}

}  // namespace pgpart
