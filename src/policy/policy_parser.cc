// Parses one PartitionPolicy document into the model, reporting every problem (docs/policy.md).

#include <yaml-cpp/yaml.h>

#include <limits>
#include <optional>
#include <span>
#include <utility>

#include "core/calendar.h"
#include "core/duration.h"
#include "core/ident.h"
#include "core/time_text.h"
#include "policy/loader_internal.h"
#include "policy/policy_keys.h"
#include "policy/policy_values.h"
#include "policy/yaml_fields.h"
#include "policy/yaml_guard.h"

namespace pgpart::policy_internal {

namespace {

constexpr int64_t kIntMax = std::numeric_limits<int>::max();

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

class PolicyParser {
 public:
  PolicyParser(YamlContext& ctx, Policy* policy) : ctx_(ctx), policy_(*policy) {}

  void Parse(const YAML::Node& doc) {
    policy_.location = ctx_.Loc(doc);
    MapView top(ctx_, doc, policy_.location, "", policy_keys::kDocument);
    if (!top.ok()) return;
    if (const Field* f = top.Required("apiVersion")) {
      std::optional<std::string> api = ReadString(ctx_, *f);
      if (api && *api != kApiVersion) {
        ctx_.Error(ValueLoc(ctx_, *f), f->path,
                   "unsupported apiVersion " + Quoted(*api) + "; expected " + kApiVersion);
      }
    }
    if (const Field* f = top.Required("kind")) {
      std::optional<std::string> kind = ReadString(ctx_, *f);
      if (kind && *kind != kKind) {
        ctx_.Error(ValueLoc(ctx_, *f), f->path,
                   "unsupported kind " + Quoted(*kind) + "; expected " + kKind);
      }
    }
    if (const Field* f = top.Required("metadata")) ParseMetadata(*f);
    if (const Field* f = top.Required("spec")) ParseSpec(*f);
    // `status` is written by the operator on the custom resource; it is not input.
  }

 private:
  void Record(const std::string& path, const SourceLocation& where) {
    policy_.field_locations.emplace_back(path, where);
  }
  void RecordFields(const MapView& view) {
    for (const Field& field : view.fields()) Record(field.path, ValueLoc(ctx_, field));
  }
  MapView View(const Field& field, std::span<const std::string_view> allowed) {
    MapView view(ctx_, field.value, ValueLoc(ctx_, field), field.path, allowed);
    RecordFields(view);
    return view;
  }
  void NotFor(const Field& field, const std::string& why) {
    ctx_.Error(ctx_.Loc(field.key_node), field.path, Quoted(field.key) + " " + why);
  }

  void ParseMetadata(const Field& field) {
    MapView meta = View(field, policy_keys::kMetadata);
    if (const Field* f = meta.Required("name")) {
      std::optional<std::string> name = ReadString(ctx_, *f);
      if (name && !IsDnsLabel(*name)) {
        ctx_.Error(ValueLoc(ctx_, *f), f->path,
                   "invalid name " + Quoted(*name) +
                       ": use at most 63 lowercase letters, digits and '-', starting and ending "
                       "with a letter or digit (a DNS-1123 label, as Kubernetes requires)");
      } else if (name) {
        policy_.name = *name;
      }
    }
    // namespace, labels and annotations are accepted so that one file serves kubectl too.
    if (const Field* f = meta.Optional("namespace")) ReadString(ctx_, *f);
    for (const char* key : {"labels", "annotations"}) {
      const Field* f = meta.Optional(key);
      if (f != nullptr && !f->value.IsMap()) {
        ctx_.Error(ValueLoc(ctx_, *f), f->path,
                   "expected a mapping, got " + NodeKindName(f->value));
      }
    }
  }

  void ParseSpec(const Field& field) {
    MapView spec = View(field, policy_keys::kSpec);
    if (!spec.ok()) return;
    if (const Field* f = spec.Optional("strategy")) {
      if (auto s = ReadEnum(ctx_, *f, {"range", "hash"})) {
        policy_.strategy = *s == "hash" ? Strategy::kHash : Strategy::kRange;
      }
    }
    if (const Field* f = spec.Required("tables")) ParseTables(*f);
    if (const Field* f = spec.Optional("column")) {
      if (auto column = ReadString(ctx_, *f)) policy_.column = *column;
    }
    if (policy_.strategy == Strategy::kHash) {
      ParseHashFields(spec);
    } else {
      ParseRangeFields(spec);
    }
    if (const Field* f = spec.Optional("naming")) {
      if (auto naming = ReadString(ctx_, *f)) {
        std::string error;
        if (ValidateNameTemplate(*naming, &error)) {
          policy_.naming = *naming;
        } else {
          ctx_.Error(ValueLoc(ctx_, *f), f->path, "invalid naming template: " + error);
        }
      }
    }
    if (const Field* f = spec.Optional("execution")) ParseExecution(*f);
    if (const Field* f = spec.Optional("databaseRef")) ParseDatabaseRef(*f);
    if (const Field* f = spec.Optional("mode")) {
      if (auto mode = ReadEnum(ctx_, *f, {"Apply", "DryRun"})) {
        policy_.mode = *mode == "DryRun" ? Mode::kDryRun : Mode::kApply;
      }
    }
    if (const Field* f = spec.Optional("suspend")) {
      if (auto suspend = ReadBool(ctx_, *f)) policy_.suspend = *suspend;
    }
    if (const Field* f = spec.Optional("privileges")) {
      if (auto privileges = ReadEnum(ctx_, *f, {"inherit", "none"})) {
        policy_.inherit_privileges = *privileges == "inherit";
      }
    }
  }

  void ParseTables(const Field& field) {
    if (!field.value.IsSequence()) {
      ctx_.Error(ValueLoc(ctx_, field), field.path,
                 "expected a list of tables, e.g. `tables: [public.orders]`, got " +
                     NodeKindName(field.value));
      return;
    }
    if (field.value.size() == 0) {
      ctx_.Error(ValueLoc(ctx_, field), field.path, "must list at least one table");
      return;
    }
    for (size_t i = 0; i < field.value.size(); ++i) {
      Field item{field.key, IndexPath(field.path, i), field.key_node, field.value[i]};
      Record(item.path, ValueLoc(ctx_, item));
      std::optional<std::string> text = ReadString(ctx_, item);
      if (!text) continue;
      std::string error;
      std::optional<QualifiedName> table = ParseQualifiedName(*text, &error);
      if (!table) {
        ctx_.Error(ValueLoc(ctx_, item), item.path,
                   "invalid table name " + Quoted(*text) + ": " + error);
        continue;
      }
      policy_.tables.push_back(*table);
    }
  }

  void ParseHashFields(const MapView& spec) {
    for (const char* key :
         {"interval", "premake", "start", "timeZone", "retention", "holds", "backupGate",
          "convert", "adopt"}) {
      if (const Field* f = spec.Optional(key)) {
        NotFor(*f,
               "does not apply to strategy: hash (a hash-partitioned table has a fixed set of "
               "children; nothing expires)");
      }
    }
    if (const Field* f = spec.Optional("defaultPartition")) {
      std::optional<bool> wanted = ReadBool(ctx_, *f);
      if (wanted && *wanted) {
        ctx_.Error(ValueLoc(ctx_, *f), f->path,
                   "a hash-partitioned table cannot have a default partition");
      }
    }
    if (const Field* f = spec.Required("modulus")) {
      if (auto modulus = ReadInt(ctx_, *f, kMinModulus, kMaxModulus)) {
        policy_.modulus = static_cast<int>(*modulus);
      }
    }
  }

  void ParseRangeFields(const MapView& spec) {
    if (const Field* f = spec.Optional("modulus")) {
      NotFor(*f, "applies to strategy: hash only");
    }
    if (const Field* f = spec.Required("interval")) {
      if (auto text = ReadString(ctx_, *f)) {
        std::string error;
        if (auto interval = ParseInterval(*text, &error)) {
          policy_.interval = *interval;
          policy_.interval_text = *text;
          value_kind_ = interval->unit == Unit::kInteger ? ValueKind::kInteger : ValueKind::kTime;
        } else {
          ctx_.Error(ValueLoc(ctx_, *f), f->path, error);
        }
      }
    }
    if (const Field* f = spec.Optional("timeZone")) {
      if (auto zone = ReadString(ctx_, *f)) {
        if (FindZone(*zone) == nullptr) {
          ctx_.Error(ValueLoc(ctx_, *f), f->path,
                     "unknown time zone " + Quoted(*zone) +
                         "; use an IANA name such as UTC or Europe/Berlin");
        } else {
          policy_.time_zone = *zone;
        }
      }
    }
    if (const Field* f = spec.Optional("premake")) {
      if (auto premake = ReadInt(ctx_, *f, 1, kMaxPremake)) {
        policy_.premake = static_cast<int>(*premake);
      }
    }
    if (const Field* f = spec.Optional("start")) {
      policy_.start = ReadPointValue(*f);
    }
    if (const Field* f = spec.Optional("defaultPartition")) {
      if (auto wanted = ReadBool(ctx_, *f)) policy_.default_partition = *wanted;
    }
    if (const Field* f = spec.Optional("retention")) ParseRetention(*f);
    if (const Field* f = spec.Optional("holds")) ParseHolds(*f);
    if (const Field* f = spec.Optional("adopt")) ParseAdopt(*f);
    if (const Field* f = spec.Optional("backupGate")) ParseBackupGate(*f);
    if (const Field* f = spec.Optional("convert")) ParseConvertField(ctx_, *f, &policy_);
  }

  // A key value: a date or timestamp for time intervals, an integer for integer intervals.
  std::optional<std::string> ReadPointValue(const Field& field) {
    std::optional<std::string> text = ReadString(ctx_, field);
    if (!text) return std::nullopt;
    bool is_integer = IsIntegerText(*text);
    bool ok = false;
    std::string expected;
    switch (value_kind_) {
      case ValueKind::kInteger:
        ok = is_integer;
        expected = "an integer key value (the interval is an integer)";
        break;
      case ValueKind::kTime:
        ok = !is_integer && IsTimeText(*text);
        expected = "a date (2024-01-01) or a timestamp (2024-01-01T00:00:00Z)";
        break;
      case ValueKind::kUnknown:
        ok = is_integer || IsTimeText(*text);
        expected = "a date (2024-01-01), a timestamp (2024-01-01T00:00:00Z) or an integer";
        break;
    }
    if (!ok) {
      ctx_.Error(ValueLoc(ctx_, field), field.path,
                 "expected " + expected + ", got " + Quoted(*text));
      return std::nullopt;
    }
    if (is_integer && !internal::ParseInt64(*text)) {
      ctx_.Error(ValueLoc(ctx_, field), field.path,
                 Quoted(*text) + " is out of range: integer key values are bigint (" +
                     std::to_string(std::numeric_limits<int64_t>::min()) + " to " +
                     std::to_string(std::numeric_limits<int64_t>::max()) + ")");
      return std::nullopt;
    }
    return text;
  }

  // A date or timestamp (hold expiry), whatever the key type.
  std::optional<std::string> ReadInstant(const Field& field) {
    std::optional<std::string> text = ReadString(ctx_, field);
    if (!text) return std::nullopt;
    if (IsIntegerText(*text) || !IsTimeText(*text)) {
      ctx_.Error(ValueLoc(ctx_, field), field.path,
                 "expected a date (2027-01-01) or a timestamp (2027-01-01T00:00:00Z), got " +
                     Quoted(*text));
      return std::nullopt;
    }
    return text;
  }

  void ParseRetention(const Field& field) {
    MapView view = View(field, policy_keys::kRetention);
    if (!view.ok()) return;
    Retention retention;
    retention.location = ValueLoc(ctx_, field);
    if (const Field* f = view.Required("keep")) {
      if (auto keep = ReadDistance(ctx_, value_kind_, *f, "keep")) {
        retention.keep = keep->first;
        retention.keep_text = keep->second;
      }
    }
    if (const Field* f = view.Optional("action")) {
      if (auto action = ReadEnum(ctx_, *f, {"drop", "detach", "archive"})) {
        retention.action = *action == "archive"  ? RetentionAction::kArchive
                           : *action == "detach" ? RetentionAction::kDetach
                                                 : RetentionAction::kDrop;
      }
    }
    if (retention.action == RetentionAction::kArchive) {
      if (const Field* f = view.Required("archiveSchema")) {
        if (auto schema = ReadSchemaName(*f)) retention.archive_schema = *schema;
      }
    } else if (const Field* f = view.Optional("archiveSchema")) {
      NotFor(*f, "is only used with action: archive");
    }
    if (const Field* f = view.Optional("maxDropsPerRun")) {
      if (auto max = ReadInt(ctx_, *f, 1, kIntMax)) {
        retention.max_drops_per_run = static_cast<int>(*max);
      }
    }
    if (const Field* f = view.Optional("dropDetachedAfter")) {
      if (retention.action == RetentionAction::kDrop) {
        NotFor(*f, "is only used with action: detach or archive (a drop leaves nothing behind)");
      } else if (auto after = ReadDistance(ctx_, value_kind_, *f, "dropDetachedAfter")) {
        retention.drop_detached_after = after->first;
        retention.drop_detached_after_text = after->second;
      }
    }
    policy_.retention = retention;
  }

  // A schema name as PostgreSQL reads it: `archive`, `"Old Data"` (one part, no dot).
  std::optional<std::string> ReadSchemaName(const Field& field) {
    std::optional<std::string> text = ReadString(ctx_, field);
    if (!text) return std::nullopt;
    // Parsed as the name part of a qualified name, so that a second part is an error.
    std::string error;
    std::optional<QualifiedName> parsed = ParseQualifiedName("x." + *text, &error);
    if (!parsed) {
      ctx_.Error(ValueLoc(ctx_, field), field.path,
                 "invalid schema name " + Quoted(*text) + " (one identifier, quoted if needed)");
      return std::nullopt;
    }
    return parsed->name;
  }

  // A hold's or an adopt entry's target: `partition: NAME`, or `from:` and `to:` (a range).
  // `what` names the entry in messages ("a hold", "adopt"); `range` says what a range means.
  struct Target {
    std::optional<std::string> partition, from, to;
  };
  Target ReadTarget(MapView& view, const Field& item, const SourceLocation& at,
                    const std::string& what, const std::string& range) {
    Target target;
    const Field* partition = view.Optional("partition");
    const Field* from = view.Optional("from");
    const Field* to = view.Optional("to");
    if (partition != nullptr) {
      if (from != nullptr || to != nullptr) {
        NotFor(from != nullptr ? *from : *to,
               "cannot be combined with partition: " + what +
                   " names one partition or a from/to range");
      }
      if (auto name = ReadString(ctx_, *partition)) {
        if (name->empty() || name->size() > kMaxIdentifierBytes) {
          ctx_.Error(ValueLoc(ctx_, *partition), partition->path,
                     "a partition name has 1 to 63 bytes; " + Quoted(*name) + " has " +
                         std::to_string(name->size()));
        } else {
          target.partition = *name;
        }
      }
    } else if (from != nullptr || to != nullptr) {
      if (from == nullptr || to == nullptr) {
        ctx_.Error(at, item.path + (from == nullptr ? ".from" : ".to"),
                   "a range needs both from and to (" + range + ")");
      }
      if (from != nullptr) target.from = ReadPointValue(*from);
      if (to != nullptr) target.to = ReadPointValue(*to);
      if (target.from && target.to) CheckOrder(*target.from, *target.to, *to);
    } else {
      ctx_.Error(at, item.path,
                 what + " needs either partition: NAME or from: and to: (" + range + ")");
    }
    return target;
  }

  void ParseAdopt(const Field& field) {
    if (!field.value.IsSequence()) {
      ctx_.Error(ValueLoc(ctx_, field), field.path,
                 "expected a list of partitions to adopt (`- partition: NAME` / `- from: ... "
                 "to: ...`), got " +
                     NodeKindName(field.value));
      return;
    }
    for (size_t i = 0; i < field.value.size(); ++i) {
      Field item{field.key, IndexPath(field.path, i), field.key_node, field.value[i]};
      Record(item.path, ValueLoc(ctx_, item));
      MapView view = View(item, policy_keys::kAdopt);
      if (!view.ok()) continue;
      Adopt adopt;
      adopt.location = ValueLoc(ctx_, item);
      Target target = ReadTarget(view, item, adopt.location, "adopt",
                                 "every partition off the grid inside [from, to)");
      adopt.partition = target.partition;
      adopt.from = target.from;
      adopt.to = target.to;
      policy_.adopt.push_back(adopt);
    }
  }

  void ParseHolds(const Field& field) {
    if (!field.value.IsSequence()) {
      ctx_.Error(ValueLoc(ctx_, field), field.path,
                 "expected a list of holds (`- partition: ...` / `- from: ... to: ...`, each with "
                 "a reason), got " +
                     NodeKindName(field.value));
      return;
    }
    for (size_t i = 0; i < field.value.size(); ++i) {
      Field item{field.key, IndexPath(field.path, i), field.key_node, field.value[i]};
      Record(item.path, ValueLoc(ctx_, item));
      MapView view = View(item, policy_keys::kHold);
      if (!view.ok()) continue;
      Hold hold;
      hold.location = ValueLoc(ctx_, item);
      Target target = ReadTarget(view, item, hold.location, "a hold",
                                 "every partition overlapping [from, to) is held");
      hold.partition = target.partition;
      hold.from = target.from;
      hold.to = target.to;
      if (const Field* f = view.Required("reason")) {
        if (auto reason = ReadString(ctx_, *f)) hold.reason = *reason;
      }
      if (const Field* f = view.Optional("until")) hold.until = ReadInstant(*f);
      policy_.holds.push_back(hold);
    }
  }

  void CheckOrder(const std::string& from, const std::string& to, const Field& to_field) {
    bool ordered = true;
    if (IsIntegerText(from) && IsIntegerText(to)) {
      std::optional<int64_t> a = internal::ParseInt64(from), b = internal::ParseInt64(to);
      ordered = !a || !b || *a < *b;
    } else if (const date::time_zone* zone = FindZone(policy_.time_zone)) {
      std::optional<int64_t> a = ParseInstant(from, zone), b = ParseInstant(to, zone);
      ordered = !a || !b || *a < *b;
    }
    if (!ordered) {
      ctx_.Error(ValueLoc(ctx_, to_field), to_field.path,
                 "must be after from (" + Quoted(from) + ")");
    }
  }

  void ParseBackupGate(const Field& field) {
    MapView view = View(field, policy_keys::kBackupGate);
    if (!view.ok()) return;
    BackupGate gate;
    gate.location = ValueLoc(ctx_, field);
    const Field* kind_field = view.Required("kind");
    if (kind_field == nullptr) return;
    std::optional<std::string> kind =
        ReadEnum(ctx_, *kind_field, {"sql", "archiver", "pgbackrest", "command"});
    if (!kind) return;
    // The one field each kind needs; the others' fields are errors.
    struct KindField {
      const char* kind;
      const char* key;
    };
    for (KindField kf : {KindField{"sql", "query"}, KindField{"archiver", "maxLag"},
                         KindField{"pgbackrest", "stanza"}, KindField{"command", "command"}}) {
      if (*kind == kf.kind) continue;
      if (const Field* f = view.Optional(kf.key)) {
        NotFor(*f, std::string("is only used with kind: ") + kf.kind);
      }
    }
    if (*kind == "sql") {
      gate.kind = GateKind::kSql;
      if (const Field* f = view.Required("query")) {
        if (auto query = ReadString(ctx_, *f)) gate.query = *query;
      }
    } else if (*kind == "archiver") {
      gate.kind = GateKind::kArchiver;
      if (const Field* f = view.Required("maxLag")) {
        if (auto lag = ReadDurationMs(ctx_, *f, 0)) gate.max_lag_ms = *lag;
      }
    } else if (*kind == "pgbackrest") {
      gate.kind = GateKind::kPgBackRest;
      if (const Field* f = view.Required("stanza")) {
        if (auto stanza = ReadString(ctx_, *f)) gate.stanza = *stanza;
      }
    } else {
      gate.kind = GateKind::kCommand;
      if (const Field* f = view.Required("command")) ParseCommand(*f, &gate);
    }
    if (const Field* f = view.Optional("timeout")) {
      if (auto timeout = ReadDurationMs(ctx_, *f, 1)) gate.timeout_ms = *timeout;
    }
    policy_.backup_gate = gate;
  }

  void ParseCommand(const Field& field, BackupGate* gate) {
    if (!field.value.IsSequence() || field.value.size() == 0) {
      ctx_.Error(ValueLoc(ctx_, field), field.path,
                 "expected a non-empty list (program and arguments, no shell), e.g. "
                 "`command: [\"/usr/local/bin/check-backup\", \"--strict\"]`, got " +
                     NodeKindName(field.value));
      return;
    }
    for (size_t i = 0; i < field.value.size(); ++i) {
      Field item{field.key, IndexPath(field.path, i), field.key_node, field.value[i]};
      std::optional<std::string> arg = ReadString(ctx_, item, /*allow_empty=*/i > 0);
      if (arg) gate->command.push_back(*arg);
    }
  }

  void ParseExecution(const Field& field) {
    MapView view = View(field, policy_keys::kExecution);
    if (!view.ok()) return;
    if (const Field* f = view.Optional("lockTimeout")) {
      if (auto ms = ReadDurationMs(ctx_, *f, 1)) policy_.execution.lock_timeout_ms = *ms;
    }
    if (const Field* f = view.Optional("statementTimeout")) {
      if (auto ms = ReadDurationMs(ctx_, *f, 1)) policy_.execution.statement_timeout_ms = *ms;
    }
    if (const Field* f = view.Optional("retries")) {
      if (auto retries = ReadInt(ctx_, *f, 0, kMaxRetries)) {
        policy_.execution.retries = static_cast<int>(*retries);
      }
    }
  }

  void ParseDatabaseRef(const Field& field) {
    MapView view = View(field, policy_keys::kDatabaseRef);
    if (!view.ok()) return;
    DatabaseRef ref;
    if (const Field* f = view.Required("secretName")) {
      if (auto name = ReadString(ctx_, *f)) ref.secret_name = *name;
    }
    if (const Field* f = view.Optional("key")) {
      if (auto key = ReadString(ctx_, *f)) ref.key = *key;
    }
    policy_.database_ref = ref;
  }

  YamlContext& ctx_;
  Policy& policy_;
  ValueKind value_kind_ = ValueKind::kUnknown;
};

}  // namespace

bool IsDnsLabel(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (char c : name) {
    if (!alnum(c) && c != '-') return false;
  }
  return alnum(name.front()) && alnum(name.back());
}

std::vector<ParsedDocument> ParseDocuments(const std::string& yaml_text, const std::string& file,
                                           Diagnostics* diagnostics) {
  YamlContext ctx(file, diagnostics);
  // yaml-cpp reads the text only once it is known not to make it loop or exhaust memory
  // (policy/yaml_guard.h): limits first, then the isolated parse, then the event pass.
  std::optional<YamlProblem> problem = CheckYamlLimits(yaml_text);
  if (!problem) problem = RunYamlIsolation(yaml_text);
  if (!problem) problem = CheckYamlStructure(yaml_text);
  if (problem) {
    ctx.Error(SourceLocation{file, problem->line, problem->column}, "", problem->message);
    return {};
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(yaml_text);
  } catch (const YAML::Exception& e) {
    ctx.Error(ctx.Loc(e.mark), "", "YAML syntax error: " + e.msg);
    return {};
  }
  std::vector<ParsedDocument> out;
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) continue;  // an empty document, e.g. after a trailing `---`
    int errors_before = ctx.errors();
    ParsedDocument parsed;
    PolicyParser(ctx, &parsed.policy).Parse(doc);
    parsed.valid = ctx.errors() == errors_before;
    out.push_back(std::move(parsed));
  }
  return out;
}

}  // namespace pgpart::policy_internal
