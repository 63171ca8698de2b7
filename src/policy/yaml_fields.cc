#include "policy/yaml_fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "core/duration.h"

namespace pgpart::policy_internal {

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// A scalar written in quotes or tagged !!str: a string even when it looks like a number.
bool IsQuoted(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string AllowedList(std::span<const std::string_view> allowed) {
  std::string out;
  for (std::string_view value : allowed) {
    if (!out.empty()) out += ", ";
    out += std::string(value);
  }
  return out;
}

}  // namespace

SourceLocation YamlContext::Loc(const YAML::Mark& mark) const {
  if (mark.is_null()) return SourceLocation{file_, 0, 0};
  return SourceLocation{file_, mark.line + 1, mark.column + 1};
}

void YamlContext::Error(const SourceLocation& where, const std::string& path,
                        const std::string& message) {
  ++errors_;
  out_->push_back(Diagnostic{Severity::kError, where, path, message});
}

void YamlContext::Warning(const SourceLocation& where, const std::string& path,
                          const std::string& message) {
  out_->push_back(Diagnostic{Severity::kWarning, where, path, message});
}

std::string JoinPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string IndexPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

SourceLocation ValueLoc(const YamlContext& ctx, const Field& field) {
  if (!field.value.IsDefined() || field.value.IsNull()) return ctx.Loc(field.key_node);
  return ctx.Loc(field.value);
}

std::string NodeKindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return IsQuoted(node) ? "the string \"" + node.Scalar() + "\"" : Quoted(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

MapView::MapView(YamlContext& ctx, const YAML::Node& node, const SourceLocation& where,
                 std::string path, std::span<const std::string_view> allowed)
    : ctx_(&ctx), where_(where), path_(std::move(path)) {
  if (!node.IsMap()) {
    ctx.Error(where, path_.empty() ? "(document)" : path_,
              "expected a mapping (key: value lines), got " + NodeKindName(node));
    return;
  }
  ok_ = true;
  for (const auto& entry : node) {
    // Copies: the iterator's value is a temporary proxy.
    YAML::Node key_node = entry.first;
    YAML::Node value = entry.second;
    if (!key_node.IsScalar()) {
      ctx.Error(ctx.Loc(key_node), path_,
                "keys must be plain names, got " + NodeKindName(key_node));
      continue;
    }
    std::string key = key_node.Scalar();
    std::string key_path = JoinPath(path_, key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string message =
          "unknown key " + Quoted(key) + " in " + (path_.empty() ? "the document" : path_);
      std::string suggestion = ClosestMatch(key, allowed);
      if (!suggestion.empty()) {
        message += "; did you mean " + Quoted(suggestion) + "?";
      } else {
        message += " (allowed: " + AllowedList(allowed) + ")";
      }
      ctx.Error(ctx.Loc(key_node), key_path, message);
      continue;
    }
    if (const Field* first = Find(key)) {
      ctx.Error(ctx.Loc(key_node), key_path,
                "duplicate key " + Quoted(key) + " (first given at line " +
                    std::to_string(ctx.Loc(first->key_node).line) + ")");
      continue;
    }
    fields_.push_back(Field{key, key_path, key_node, value});
  }
}

const Field* MapView::Find(std::string_view key) const {
  for (const Field& field : fields_) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

const Field* MapView::Optional(std::string_view key) const {
  const Field* field = Find(key);
  if (field == nullptr || !field->value.IsDefined() || field->value.IsNull()) return nullptr;
  return field;
}

const Field* MapView::Required(std::string_view key) const {
  if (!ok_) return nullptr;
  const Field* field = Find(key);
  if (field == nullptr) {
    ctx_->Error(where_, JoinPath(path_, key), "required key " + Quoted(key) + " is missing");
    return nullptr;
  }
  if (!field->value.IsDefined() || field->value.IsNull()) {
    ctx_->Error(ctx_->Loc(field->key_node), field->path,
                "required key " + Quoted(key) + " has no value");
    return nullptr;
  }
  return field;
}

std::optional<std::string> ReadString(YamlContext& ctx, const Field& field, bool allow_empty) {
  if (!field.value.IsScalar()) {
    ctx.Error(ValueLoc(ctx, field), field.path,
              "expected a string, got " + NodeKindName(field.value));
    return std::nullopt;
  }
  std::string text = Trim(field.value.Scalar());
  if (text.empty() && !allow_empty) {
    ctx.Error(ValueLoc(ctx, field), field.path, "must not be empty");
    return std::nullopt;
  }
  // An escape can make what the file's bytes cannot: "\0", which PostgreSQL text and identifiers
  // cannot hold and C strings cut. (yaml-cpp refuses escapes of lone surrogates; the file's bytes
  // are checked for UTF-8 before parsing.)
  if (text.find('\0') != std::string::npos) {
    ctx.Error(ValueLoc(ctx, field), field.path, "must not contain a NUL character (\\0)");
    return std::nullopt;
  }
  return text;
}

std::optional<int64_t> ReadInt(YamlContext& ctx, const Field& field, int64_t min, int64_t max) {
  SourceLocation where = ValueLoc(ctx, field);
  if (!field.value.IsScalar()) {
    ctx.Error(where, field.path, "expected an integer, got " + NodeKindName(field.value));
    return std::nullopt;
  }
  std::string text = Trim(field.value.Scalar());
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    ctx.Error(where, field.path, "integer " + Quoted(text) + " is out of range");
    return std::nullopt;
  }
  if (text.empty() || ec != std::errc() || ptr != end) {
    ctx.Error(where, field.path, "expected an integer, got " + NodeKindName(field.value));
    return std::nullopt;
  }
  if (IsQuoted(field.value)) {
    ctx.Error(where, field.path,
              "expected an integer, got the quoted string \"" + text + "\"; remove the quotes");
    return std::nullopt;
  }
  if (value < min || value > max) {
    std::string range = max >= std::numeric_limits<int>::max()
                            ? "at least " + std::to_string(min)
                            : "between " + std::to_string(min) + " and " + std::to_string(max);
    ctx.Error(where, field.path, "must be " + range + ", got " + text);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> ReadBool(YamlContext& ctx, const Field& field) {
  SourceLocation where = ValueLoc(ctx, field);
  if (field.value.IsScalar() && !IsQuoted(field.value)) {
    std::string text = Lower(Trim(field.value.Scalar()));
    if (text == "true") return true;
    if (text == "false") return false;
  }
  ctx.Error(where, field.path, "expected true or false, got " + NodeKindName(field.value));
  return std::nullopt;
}

std::optional<std::string> ReadEnum(YamlContext& ctx, const Field& field,
                                    std::initializer_list<std::string_view> allowed_list) {
  const std::span<const std::string_view> allowed(allowed_list.begin(), allowed_list.size());
  std::optional<std::string> text = ReadString(ctx, field);
  if (!text) return std::nullopt;
  for (std::string_view value : allowed) {
    if (*text == value) return text;
  }
  std::string message =
      "unknown value " + Quoted(*text) + "; expected one of " + AllowedList(allowed);
  std::string suggestion = ClosestMatch(*text, allowed);
  if (!suggestion.empty()) message += " (did you mean " + Quoted(suggestion) + "?)";
  ctx.Error(ValueLoc(ctx, field), field.path, message);
  return std::nullopt;
}

std::optional<int64_t> ReadDurationMs(YamlContext& ctx, const Field& field, int64_t min_ms) {
  std::optional<std::string> text = ReadString(ctx, field);
  if (!text) return std::nullopt;
  std::optional<int64_t> ms = ParseDurationMs(*text);
  if (!ms) {
    ctx.Error(ValueLoc(ctx, field), field.path,
              "invalid duration " + Quoted(*text) + "; write e.g. 250ms, 3s, 5m, 1h, 1h30m");
    return std::nullopt;
  }
  if (*ms < min_ms) {
    ctx.Error(ValueLoc(ctx, field), field.path,
              min_ms == 1 ? "must be longer than zero" : "is too short");
    return std::nullopt;
  }
  return ms;
}

size_t EditDistance(std::string_view a_in, std::string_view b_in) {
  std::string a = Lower(a_in), b = Lower(b_in);
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string ClosestMatch(std::string_view word,
                         std::initializer_list<std::string_view> candidates) {
  return ClosestMatch(word,
                      std::span<const std::string_view>(candidates.begin(), candidates.size()));
}

std::string ClosestMatch(std::string_view word, std::span<const std::string_view> candidates) {
  // Short words tolerate one edit, longer ones two: "mod" -> "mode", "retension" -> "retention".
  size_t limit = word.size() >= 5 ? 2 : 1;
  std::string best;
  size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

}  // namespace pgpart::policy_internal
