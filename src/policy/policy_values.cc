#include "policy/policy_values.h"

#include <cctype>

#include "core/time_text.h"

namespace pgpart::policy_internal {

bool IsIntegerText(const std::string& text) {
  size_t i = (!text.empty() && text[0] == '-') ? 1 : 0;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

bool IsTimeText(const std::string& text) {
  static const date::time_zone* const utc = FindZone("UTC");
  return utc != nullptr && ParseInstant(text, utc).has_value();
}

std::optional<std::pair<Interval, std::string>> ReadDistance(YamlContext& ctx, ValueKind kind,
                                                             const Field& f,
                                                             const std::string& key) {
  std::optional<std::string> text = ReadString(ctx, f);
  if (!text) return std::nullopt;
  const std::string quoted = "'" + *text + "'";
  std::string error;
  std::optional<Interval> distance = ParseInterval(*text, &error);
  if (!distance) {
    // Core words it for `interval:`; the same grammar applies here.
    if (error.rfind("interval ", 0) == 0) error = key + " " + error.substr(9);
    ctx.Error(ValueLoc(ctx, f), f.path, error);
  } else if (kind == ValueKind::kInteger && distance->unit != Unit::kInteger) {
    ctx.Error(ValueLoc(ctx, f), f.path,
              "the interval is an integer, so " + key + " must be an integer distance too (e.g. " +
                  key + ": 5000000), got " + quoted);
  } else if (kind == ValueKind::kTime && distance->unit == Unit::kInteger) {
    ctx.Error(ValueLoc(ctx, f), f.path,
              key + " needs a unit like the interval (e.g. " + key + ": 24 months), got " +
                  quoted);
  } else {
    return std::make_pair(*distance, *text);
  }
  return std::nullopt;
}

}  // namespace pgpart::policy_internal
