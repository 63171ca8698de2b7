#pragma once
// Durations for execution settings: "250ms", "3s", "5m", "1h", "1h30m", "2d".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgpart {

// Milliseconds, or nullopt when malformed. A bare number is seconds.
std::optional<int64_t> ParseDurationMs(std::string_view text);
// Shortest exact text: 3000 -> "3s", 300000 -> "5m", 250 -> "250ms".
std::string DurationText(int64_t ms);

}  // namespace pgpart
