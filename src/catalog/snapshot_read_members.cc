// The members of each object of a catalog snapshot: name, type, and where in the Catalog model
// the value goes (see snapshot_read.cc for the reader).

#include <algorithm>
#include <iterator>
#include <optional>
#include <type_traits>

#include "catalog/snapshot_read_internal.h"

namespace pgpart::snapshot_read {
namespace {

// ---- the members of each kind of object ----

template <class T>
struct FieldOf;
template <class C, class F>
struct FieldOf<F C::*> {
  using Class = C;
};
template <auto P>
using ClassOf = typename FieldOf<decltype(P)>::Class;

// Stores a scalar of the expected type in target->*First.*Rest...
template <auto First, auto... Rest>
void Put(SnapshotReader& r, Frame& f, const Value& v) {
  auto& field = ((static_cast<ClassOf<First>*>(f.target)->*First) .* ... .* Rest);
  using T = std::remove_reference_t<decltype(field)>;
  if constexpr (std::is_same_v<T, std::string>) {
    field = *v.s;
  } else if constexpr (std::is_same_v<T, bool>) {
    field = v.b;
  } else if constexpr (std::is_same_v<T, int>) {
    SnapshotReader::PutInt32(r, v, &field);
  } else {
    field = v.i;  // int64_t, std::optional<int64_t>
  }
}

Child& ChildIn(Table& t, List list, uint32_t slot) {
  switch (list) {
    case List::kDefaultPartition:
      return *t.default_partition;
    case List::kDetachedForDrop:
      return t.detached_for_drop[slot];
    case List::kDetached:
      return t.detached[slot];
    default:
      return t.children[slot];
  }
}
template <auto P>
Bound* Locate(Table& t, List list, uint32_t slot) {
  if constexpr (std::is_same_v<ClassOf<P>, Table>) {
    return &(t.*P);
  } else if constexpr (std::is_same_v<ClassOf<P>, DefaultBucket>) {
    return &(t.default_buckets[slot].*P);
  } else {
    return &(ChildIn(t, list, slot).*P);
  }
}
template <auto P>
void PutBound(SnapshotReader& r, Frame& f, const Value& v) {
  r.SetBound(f, v, &(static_cast<ClassOf<P>*>(f.target)->*P), Locate<P>);
}

// The list target->*P, read afresh (a member given twice counts once).
template <auto P>
void* Clear(SnapshotReader&, Frame& f) {
  auto& list = static_cast<ClassOf<P>*>(f.target)->*P;
  list.clear();
  return &list;
}
template <auto P>
void* Emplace(SnapshotReader&, Frame& f) {
  return &(static_cast<ClassOf<P>*>(f.target)->*P).emplace();
}
void* OpenColumns(SnapshotReader& r, Frame& f) {
  static_cast<Table*>(f.target)->columns_known = true;
  return Clear<&Table::columns>(r, f);
}

using R = SnapshotReader;
using E = Expect;
// In the order CatalogToJson writes them: a key is looked up where the previous one was first.
constexpr Spec kRootSpecs[] = {
    {"format_version", E::kFormat},
    {"server_version", E::kString, false, Put<&Catalog::server_version>},
    {"database", E::kString, false, Put<&Catalog::database, &DatabaseIdentity::name>},
    {"database_oid", E::kInt, false, Put<&Catalog::database, &DatabaseIdentity::oid>},
    {"system_identifier", E::kString, false,
     Put<&Catalog::database, &DatabaseIdentity::system_identifier>},
    {"now_micros", E::kInt, false, Put<&Catalog::now_micros>},
    {"history", E::kString, false, R::SetHistory},
    {"unmanaged_with_history", E::kObjects, false, nullptr,
     Clear<&Catalog::unmanaged_with_history>, Kind::kNames},
    {"tables", E::kTables}};
constexpr Spec kTableSpecs[] = {
    {"schema", E::kString, true, Put<&Table::name, &QualifiedName::schema>},
    {"name", E::kString, true, Put<&Table::name, &QualifiedName::name>},
    {"exists", E::kBool, false, Put<&Table::exists>},
    {"partitioned", E::kBool, false, Put<&Table::partitioned>},
    {"strategy", E::kString, false, Put<&Table::strategy>},
    {"key_columns", E::kStrings, false, nullptr, Clear<&Table::key_columns>, Kind::kStrings},
    {"columns", E::kObjects, false, nullptr, OpenColumns, Kind::kColumns},
    {"storage_known", E::kBool, false, Put<&Table::storage_known>},
    {"owner", E::kString, false, R::SetOwner},
    {"grants", E::kObjects, false, nullptr, Clear<&Table::grants>, Kind::kGrants},
    {"key_type_name", E::kString, false, Put<&Table::key_type_name>},
    {"key_type", E::kString, false, R::SetKeyType},
    {"children", E::kArray, false, nullptr, R::OpenChildren, Kind::kChildren, List::kChildren},
    {"default_partition", E::kObject, false, nullptr, Emplace<&Table::default_partition>,
     Kind::kChild, List::kDefaultPartition},
    {"default_rows", E::kInt, false, Put<&Table::default_rows>},
    {"detached_for_drop", E::kArray, false, nullptr, Clear<&Table::detached_for_drop>,
     Kind::kChildren, List::kDetachedForDrop},
    {"detached", E::kArray, false, nullptr, Clear<&Table::detached>, Kind::kChildren,
     List::kDetached},
    {"default_buckets", E::kArray, false, nullptr, Clear<&Table::default_buckets>,
     Kind::kBuckets, List::kBuckets},
    {"default_buckets_known", E::kBool, false, Put<&Table::default_buckets_known>},
    {"default_counted_from", E::kBound, false, PutBound<&Table::default_counted_from>},
    {"default_counted_to", E::kBound, false, PutBound<&Table::default_counted_to>},
    {"locked_by", E::kString, false, Put<&Table::locked_by>},
    {"unreadable", E::kString, false, Put<&Table::unreadable>},
    {"max_key", E::kInt, false, Put<&Table::max_key>},
    {"history", E::kArray, false, nullptr, Clear<&Table::history>, Kind::kHistory},
    {"last_apply", E::kObject, false, nullptr, Emplace<&Table::last_apply>, Kind::kLastApply},
    {"pg_partman", E::kObject, false, nullptr, Emplace<&Table::pg_partman>, Kind::kPartman}};
constexpr Spec kChildSpecs[] = {
    {"schema", E::kString, true, Put<&Child::name, &QualifiedName::schema>},
    {"name", E::kString, true, Put<&Child::name, &QualifiedName::name>},
    {"bound", E::kString, false, R::SetBoundKind},
    {"from", E::kBound, false, PutBound<&Child::from>},
    {"to", E::kBound, false, PutBound<&Child::to>},
    {"modulus", E::kInt, false, Put<&Child::modulus>},
    {"remainder", E::kInt, false, Put<&Child::remainder>},
    {"bound_text", E::kString, false, Put<&Child::bound_text>},
    {"sub_partitioned", E::kBool, false, Put<&Child::sub_partitioned>},
    {"foreign", E::kBool, false, Put<&Child::foreign>},
    {"detach_pending", E::kBool, false, Put<&Child::detach_pending>},
    {"rows_estimate", E::kInt, false, Put<&Child::rows_estimate>},
    {"bytes", E::kInt, false, Put<&Child::bytes>},
    {"oid", E::kInt, false, Put<&Child::oid>},
    {"marker_oid", E::kInt, false, Put<&Child::marker_oid>},
    {"detached_at_micros", E::kInt, false, Put<&Child::detached_at_micros>},
    {"owner", E::kString, false, Put<&Child::owner>},
    {"grants", E::kObjects, false, nullptr, Clear<&Child::grants>, Kind::kGrants},
    {"reloptions", E::kStrings, false, nullptr, Clear<&Child::reloptions>, Kind::kStrings},
    {"access_method", E::kString, false, Put<&Child::access_method>},
    {"replica_identity", E::kString, false, R::SetReplicaIdentity},
    {"local_indexes", E::kObjects, false, nullptr, Clear<&Child::local_indexes>,
     Kind::kLocalIndexes}};
constexpr Spec kGrantSpecs[] = {{"grantee", E::kString, false, Put<&Grant::grantee>},
                                {"privilege", E::kString, true, Put<&Grant::privilege>},
                                {"grantable", E::kBool, false, Put<&Grant::grantable>}};
constexpr Spec kColumnSpecs[] = {
    {"name", E::kString, true, Put<&Column::name>},
    {"generated", E::kBool, false, Put<&Column::generated>},
    {"identity_always", E::kBool, false, Put<&Column::identity_always>}};
constexpr Spec kLocalIndexSpecs[] = {
    {"unique", E::kBool, false, Put<&LocalIndex::unique>},
    {"definition", E::kString, true, Put<&LocalIndex::definition>}};
constexpr Spec kBucketSpecs[] = {{"from", E::kBound, false, PutBound<&DefaultBucket::from>},
                                 {"to", E::kBound, false, PutBound<&DefaultBucket::to>},
                                 {"rows", E::kInt, false, Put<&DefaultBucket::rows>}};
constexpr Spec kOutcomeSpecs[] = {
    {"schema", E::kString, true, Put<&RecordedOutcome::partition, &QualifiedName::schema>},
    {"name", E::kString, true, Put<&RecordedOutcome::partition, &QualifiedName::name>},
    {"action", E::kString, true, Put<&RecordedOutcome::action>},
    {"outcome", E::kString, true, Put<&RecordedOutcome::outcome>},
    {"error", E::kString, false, Put<&RecordedOutcome::error>},
    {"at_micros", E::kInt, false, Put<&RecordedOutcome::at_micros>}};
constexpr Spec kLastApplySpecs[] = {{"at_micros", E::kInt, false, Put<&LastApply::at_micros>},
                                    {"outcome", E::kString, true, Put<&LastApply::outcome>},
                                    {"error", E::kString, false, Put<&LastApply::error>}};
constexpr Spec kPartmanSpecs[] = {
    {"schema", E::kString, true, Put<&PartmanConfig::schema>},
    {"version", E::kString, false, Put<&PartmanConfig::version>},
    {"parent_table", E::kString, true, Put<&PartmanConfig::parent_table>},
    {"automatic_maintenance", E::kString, false, Put<&PartmanConfig::automatic_maintenance>}};
constexpr Spec kNameSpecs[] = {{"schema", E::kString, true, Put<&QualifiedName::schema>},
                               {"name", E::kString, true, Put<&QualifiedName::name>}};

// Frame::seen has a bit per member.
static_assert(std::size(kTableSpecs) <= 32 && std::size(kChildSpecs) <= 32 &&
              std::size(kRootSpecs) <= 32);

}  // namespace

std::span<const Spec> SpecsOf(Kind kind) {
  switch (kind) {
    case Kind::kRoot:
      return kRootSpecs;
    case Kind::kTable:
      return kTableSpecs;
    case Kind::kChild:
      return kChildSpecs;
    case Kind::kGrant:
      return kGrantSpecs;
    case Kind::kColumn:
      return kColumnSpecs;
    case Kind::kLocalIndex:
      return kLocalIndexSpecs;
    case Kind::kBucket:
      return kBucketSpecs;
    case Kind::kOutcome:
      return kOutcomeSpecs;
    case Kind::kLastApply:
      return kLastApplySpecs;
    case Kind::kPartman:
      return kPartmanSpecs;
    case Kind::kName:
      return kNameSpecs;
    default:
      return {};
  }
}

// ---- the members with more to do ----

void SnapshotReader::SetHistory(SnapshotReader& r, Frame&, const Value& v) {
  if (auto state = HistoryStateFromName(*v.s)) {
    r.c_.history = *state;
  } else {
    r.Fail(r.Here(), "unknown history state '" + *v.s + "' (read, unreadable, not_read)");
  }
}

void SnapshotReader::SetOwner(SnapshotReader& r, Frame& f, const Value& v) {
  Put<&Table::owner>(r, f, v);
  r.owner_ = true;
}

void SnapshotReader::SetKeyType(SnapshotReader& r, Frame& f, const Value& v) {
  Table& t = *static_cast<Table*>(f.target);
  t.key_type = KeyTypeFromName(*v.s);
  if (t.key_type == KeyType::kUnsupported && *v.s != KeyTypeName(KeyType::kUnsupported)) {
    r.Fail(r.Here(), "unknown key type '" + *v.s + "'");
  }
  r.key_type_seen_ = true;
  r.ResolvePending();
}

void SnapshotReader::SetBoundKind(SnapshotReader& r, Frame& f, const Value& v) {
  if (const std::optional<BoundKind> kind = BoundKindFromName(*v.s)) {
    static_cast<Child*>(f.target)->bound_kind = *kind;
  } else {
    r.Fail(r.Here(), "unknown bound kind '" + *v.s + "' (range, hash, list, default)");
  }
}

void SnapshotReader::PutInt32(SnapshotReader& r, const Value& v, int* out) {
  if (v.i < INT32_MIN || v.i > INT32_MAX) {
    return r.Fail(r.Here(), std::to_string(v.i) + " is out of range (int32)");
  }
  *out = static_cast<int>(v.i);
}

void SnapshotReader::SetReplicaIdentity(SnapshotReader& r, Frame& f, const Value& v) {
  if (v.s->size() != 1 || std::string_view("dnfi").find((*v.s)[0]) == std::string::npos) {
    return r.Fail(r.Here(), "expected one of d, n, f, i");
  }
  static_cast<Child*>(f.target)->replica_identity = (*v.s)[0];
}

void SnapshotReader::EndGrant(const Frame& f) {
  constexpr uint32_t kPrivilegeSeen = 1u << 1;  // kGrantSpecs[1]
  const Grant& g = *static_cast<const Grant*>(f.target);
  if ((f.seen & kPrivilegeSeen) != 0 && !IsTablePrivilege(g.privilege)) {  // spliced into GRANT
    Fail(Container() + ".privilege", "'" + g.privilege + "' is not a table privilege");
  }
}

void* SnapshotReader::OpenChildren(SnapshotReader& r, Frame& f) {
  static_cast<Table*>(f.target)->children.reserve(r.children_hint_);  // tables tend to be alike
  return Clear<&Table::children>(r, f);
}

void SnapshotReader::SetBound(const Frame& f, const Value& v, Bound* out, Locator locate) {
  if (!key_type_seen_) {
    pending_.push_back({f.list, f.index, f.slot, f.member->name, locate, v.type, v.i,
                        v.type == Value::kString ? *v.s : ""});
  } else if (v.type == Value::kInt) {
    *out = Bound::Value(v.i);
  } else if (!ReadBound(table().key_type, *v.s, out)) {
    Fail(Here(), "'" + *v.s + "' is not a " + KeyTypeName(table().key_type) + " bound");
  }
}

bool SnapshotReader::ReadBound(KeyType type, const std::string& text, Bound* out) {
  if (text == "MINVALUE") {
    *out = Bound::Min();
    return true;
  }
  if (text == "MAXVALUE") {
    *out = Bound::Max();
    return true;
  }
  auto& known = bounds_[static_cast<size_t>(type)];
  if (auto it = known.find(text); it != known.end()) {
    *out = it->second;
    return true;
  }
  const std::optional<Bound> bound = ParseBoundText(type, text);
  if (!bound) return false;
  *out = *bound;
  known.emplace(text, *bound);
  return true;
}

void SnapshotReader::ResolvePending() {
  Table& t = table();
  for (const Pending& p : pending_) {
    Bound* out = p.locate(t, p.list, p.slot);
    if (p.type == Value::kInt) {
      *out = Bound::Value(p.i);
    } else if (!ReadBound(t.key_type, p.text, out)) {
      static constexpr const char* kLists[] = {"", ".children", ".default_partition",
                                               ".detached_for_drop", ".detached",
                                               ".default_buckets"};
      std::string path = "tables[" + std::to_string(c_.tables.size() - 1) + "]" +
                         kLists[static_cast<size_t>(p.list)];
      if (p.list != List::kTable && p.list != List::kDefaultPartition) {
        path += "[" + std::to_string(p.index) + "]";
      }
      Fail(path + "." + std::string(p.member),
           "'" + p.text + "' is not a " + KeyTypeName(t.key_type) + " bound");
    }
  }
  pending_.clear();
}

}  // namespace pgpart::snapshot_read
