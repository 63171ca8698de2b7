// spec.convert (docs/convert.md): how a plain table is converted into a partitioned one.

#include <algorithm>
#include <string>

#include "policy/loader_internal.h"
#include "policy/policy_keys.h"
#include "policy/yaml_fields.h"

namespace pgpart::policy_internal {

namespace {
constexpr size_t kMaxIndexColumns = 32;  // PostgreSQL's INDEX_MAX_KEYS
}  // namespace

void ParseConvertField(YamlContext& ctx, const Field& field, Policy* policy) {
  MapView view(ctx, field.value, ValueLoc(ctx, field), field.path, policy_keys::kConvert);
  for (const Field& f : view.fields()) {
    policy->field_locations.emplace_back(f.path, ValueLoc(ctx, f));
  }
  if (!view.ok()) return;
  Convert c;
  c.location = ValueLoc(ctx, field);
  if (const Field* f = view.Optional("mode")) ReadEnum(ctx, *f, {"online"});
  if (const Field* f = view.Optional("batchRows")) {
    if (auto n = ReadInt(ctx, *f, kMinBatchRows, kMaxBatchRows)) c.batch_rows = *n;
  }
  if (const Field* f = view.Optional("oldTable")) {
    if (auto o = ReadEnum(ctx, *f, {"keep", "drop"})) c.drop_old = *o == "drop";
  }
  if (const Field* f = view.Optional("expiredRows")) {
    if (auto o = ReadEnum(ctx, *f, {"copy", "skip"})) c.skip_expired = *o == "skip";
  }
  if (const Field* f = view.Optional("primaryKey")) {
    if (!f->value.IsSequence() || f->value.size() == 0) {
      ctx.Error(ValueLoc(ctx, *f), f->path,
                 "expected a list of columns, e.g. `primaryKey: [id, recorded_at]`");
    } else if (f->value.size() > kMaxIndexColumns) {
      ctx.Error(ValueLoc(ctx, *f), f->path,
                 "has " + std::to_string(f->value.size()) + " columns; PostgreSQL indexes at most " +
                     std::to_string(kMaxIndexColumns));
    } else {
      for (size_t i = 0; i < f->value.size(); ++i) {
        Field item{f->key, IndexPath(f->path, i), f->key_node, f->value[i]};
        if (auto col = ReadString(ctx, item)) c.primary_key.push_back(*col);
      }
    }
  }
  if (!policy->column) {
    ctx.Error(c.location, field.path,
               "convert needs spec.column: the column the new table is partitioned on");
  } else if (!c.primary_key.empty() &&
             std::find(c.primary_key.begin(), c.primary_key.end(), *policy->column) ==
                 c.primary_key.end()) {
    ctx.Error(c.location, JoinPath(field.path, "primaryKey"),
               "must include the partition key " + *policy->column +
                   " (a partitioned table's primary key must)");
  }
  policy->convert = c;
}

}  // namespace pgpart::policy_internal
