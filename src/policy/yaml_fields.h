#pragma once
// Internal to policy/: typed reads of yaml-cpp nodes that report problems as diagnostics
// (file:line:col of the offending node, YAML path) instead of throwing.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.h"

namespace pgpart::policy_internal {

// Collects the diagnostics of one YAML text.
class YamlContext {
 public:
  YamlContext(std::string file, Diagnostics* out) : file_(std::move(file)), out_(out) {}

  const std::string& file() const { return file_; }
  // yaml-cpp marks are 0-based; diagnostics are 1-based.
  SourceLocation Loc(const YAML::Mark& mark) const;
  SourceLocation Loc(const YAML::Node& node) const { return Loc(node.Mark()); }

  void Error(const SourceLocation& where, const std::string& path, const std::string& message);
  void Warning(const SourceLocation& where, const std::string& path, const std::string& message);
  // Number of errors reported through this context so far.
  int errors() const { return errors_; }

 private:
  std::string file_;
  Diagnostics* out_;
  int errors_ = 0;
};

// "spec" + "retention" -> "spec.retention"; "" + "spec" -> "spec".
std::string JoinPath(const std::string& parent, std::string_view key);
// "spec.tables" + 2 -> "spec.tables[2]".
std::string IndexPath(const std::string& parent, size_t index);

// One key of a mapping, with its full YAML path.
struct Field {
  std::string key;
  std::string path;
  YAML::Node key_node;
  YAML::Node value;  // may be null (`key:` or `key: ~`)
};

// Where to point at a field's value: the value itself, or the key when the value is null (a null
// value's mark is wherever the parser stopped, often the next line).
SourceLocation ValueLoc(const YamlContext& ctx, const Field& field);

// "a mapping", "a list", "a string", "null".
std::string NodeKindName(const YAML::Node& node);

// A mapping whose keys were checked when it was built: a node that is not a mapping, unknown keys
// (with a "did you mean" suggestion), duplicate keys and non-scalar keys are reported as errors.
class MapView {
 public:
  // `where` locates the mapping itself (used when `node` is null or not a mapping); `allowed` is
  // one of the lists of policy/policy_keys.h.
  MapView(YamlContext& ctx, const YAML::Node& node, const SourceLocation& where, std::string path,
          std::span<const std::string_view> allowed);

  // False when the node was not a mapping (already reported).
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  const SourceLocation& where() const { return where_; }
  const std::vector<Field>& fields() const { return fields_; }

  // The field, or nullptr when absent or null (null means "not given", as in Kubernetes).
  const Field* Optional(std::string_view key) const;
  // Like Optional, but reports "required key ... is missing" when absent or null.
  const Field* Required(std::string_view key) const;

 private:
  const Field* Find(std::string_view key) const;

  YamlContext* ctx_;
  SourceLocation where_;
  std::string path_;
  bool ok_ = false;
  std::vector<Field> fields_;
};

// Typed reads. Each reports a wrong type or value at the field's value and returns nullopt.
// Any scalar, as written (numbers too: `interval: 1000000` reads "1000000"). Trimmed.
std::optional<std::string> ReadString(YamlContext& ctx, const Field& field,
                                      bool allow_empty = false);
// A plain (unquoted) integer scalar within [min, max].
std::optional<int64_t> ReadInt(YamlContext& ctx, const Field& field, int64_t min, int64_t max);
// true / false (YAML 1.2 spellings, any case); "yes"/"on" and quoted strings are errors.
std::optional<bool> ReadBool(YamlContext& ctx, const Field& field);
// One of `allowed`, exactly (case-sensitive; a case-insensitive match is suggested).
std::optional<std::string> ReadEnum(YamlContext& ctx, const Field& field,
                                    std::initializer_list<std::string_view> allowed);
// A duration ("3s", "5m", "250ms", "1h30m"; a bare number is seconds) of at least min_ms.
std::optional<int64_t> ReadDurationMs(YamlContext& ctx, const Field& field, int64_t min_ms);

// Optimal-string-alignment distance (insert, delete, substitute, swap neighbours), ignoring case.
size_t EditDistance(std::string_view a, std::string_view b);
// The closest of `candidates` when close enough to be a likely typo of `word`; "" otherwise.
std::string ClosestMatch(std::string_view word, std::span<const std::string_view> candidates);
std::string ClosestMatch(std::string_view word, std::initializer_list<std::string_view> candidates);

}  // namespace pgpart::policy_internal
