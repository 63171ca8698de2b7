#pragma once
// Internal to policy/: what a policy's value texts mean (points in time, integer values, and
// distances like keep and dropDetachedAfter), shared by the document parser.

#include <optional>
#include <string>
#include <utility>

#include "core/calendar.h"
#include "policy/yaml_fields.h"

namespace pgpart::policy_internal {

// What the interval says about key values: times, integers, or unknown (interval invalid/absent).
enum class ValueKind { kUnknown, kTime, kInteger };

// An optional minus sign and digits.
bool IsIntegerText(const std::string& text);
// A date or timestamp ParseInstant accepts.
bool IsTimeText(const std::string& text);

// A retention distance (spec.retention.keep, dropDetachedAfter; `key` names it in messages): a
// time span like the interval's ("24 months") or, for integer intervals, an integer distance.
// The parsed distance and the text as written; nullopt after reporting an error on `field`.
std::optional<std::pair<Interval, std::string>> ReadDistance(YamlContext& ctx, ValueKind kind,
                                                             const Field& field,
                                                             const std::string& key);

}  // namespace pgpart::policy_internal
