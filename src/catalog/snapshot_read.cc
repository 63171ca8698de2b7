// CatalogFromJson: a snapshot read straight into the Catalog model from nlohmann's SAX events,
// with no DOM in between (issue 16: the DOM, its integer check and the walk over it were most of
// an offline plan's time). Error paths are built only when there is an error.
//
// What is checked, and which error is reported when there are several:
//   1. the JSON syntax (nlohmann's own message, wherever the error is),
//   2. the document is an object,
//   3. every number is an integer that fits int64 and nothing nests deeper than 64 levels, in
//      unknown members too (CheckJsonIntegers' rules; the first such problem in the document),
//   4. format_version, wherever it stands in the document (so that a snapshot of another format
//      says so, not what its tables look like to this reader),
//   5. the members' types and values: the first problem in document order (the DOM reader checked
//      them in its own order, so with several such problems the one reported may differ),
//   6. CheckSnapshotConsistency.
// The whole document is always read, so that a problem of a lower number wins wherever it is.
// A member given twice (pgpart never writes one) is read in document order: a later value
// replaces an earlier one and a list is read afresh, but each occurrence is checked (the DOM
// reader saw only the last, so an invalid earlier one was no error there).

#include <algorithm>
#include <string>

#include "catalog/snapshot.h"
#include "catalog/snapshot_check.h"
#include "catalog/snapshot_read_internal.h"

namespace pgpart {
namespace snapshot_read {
namespace {

// The error for a value that is not what `expect` says.
const char* Message(Expect expect) {
  switch (expect) {
    case Expect::kBool:
      return "expected true or false";
    case Expect::kInt:
      return "expected an integer";
    case Expect::kString:
      return "expected a string";
    case Expect::kBound:
      return "expected a bound (string or integer)";
    case Expect::kStrings:
      return "expected an array of strings";
    case Expect::kObjects:
      return "expected an array of objects";
    case Expect::kArray:
      return "expected an array";
    case Expect::kObject:
      return "expected an object";
    default:  // kFormat, kTables: their own errors
      return "";
  }
}

template <class T>
T* Add(void* list) {
  return &static_cast<std::vector<T>*>(list)->emplace_back();
}

}  // namespace

// ---- the document's structure ----

std::string SnapshotReader::PathAt(size_t n) const {
  std::string path;
  for (size_t k = 0; k < n; ++k) {
    const Frame& f = frames_[k];
    if (IsArray(f.kind)) {
      path += "[" + std::to_string(f.count - 1) + "]";
    } else {
      if (!path.empty()) path += '.';
      path += f.member != nullptr ? f.member->name : std::string_view(f.unknown);
    }
  }
  return path;
}

void SnapshotReader::Fail(const std::string& path, const std::string& message) {
  std::string* error = &field_error_;
  // In a table's grants (frames: root, tables, the table): kept until the table says whether it
  // has an owner.
  if (depth_ >= 3 && frames_[2].kind == Kind::kTable && frames_[2].member != nullptr &&
      frames_[2].member->name == "grants") {
    error = &grants_error_;
  }
  if (error->empty()) *error = (path.empty() ? "" : path + ": ") + message;
}

bool SnapshotReader::key(std::string& key) {
  if (overflow_ > 0) return true;
  Frame& f = top();
  const size_t n = f.specs.size();
  for (size_t k = 0, i = f.next; k < n; ++k, i = i + 1 == n ? 0 : i + 1) {
    if (f.specs[i].name == key) {
      f.member = &f.specs[i];
      f.seen |= 1u << i;
      f.next = static_cast<uint8_t>(i + 1 == n ? 0 : i + 1);
      return true;
    }
  }
  f.member = nullptr;
  f.unknown = key;
  return true;
}

bool SnapshotReader::Scalar(const Value& v) {
  if (!Begin()) return true;
  if (depth_ == 0) {
    root_not_object_ = true;
    return true;
  }
  Frame& f = top();
  if (f.kind == Kind::kStrings) {
    if (v.type == Value::kString) {
      static_cast<std::vector<std::string>*>(f.target)->push_back(*v.s);
    } else {
      Fail(Container(), "expected an array of strings");
    }
  } else if (IsArray(f.kind)) {
    if (f.kind != Kind::kSkipArray) Fail(Here(), "expected an object");
  } else if (f.member != nullptr) {
    Member(f, v);
  }
  return true;
}

// A scalar member of a known object.
void SnapshotReader::Member(Frame& f, const Value& v) {
  const Spec& m = *f.member;
  if (m.expect == Expect::kFormat) {
    version_ok_ = v.type == Value::kInt;
    version_ = v.i;
    return;
  }
  if (m.expect == Expect::kTables) {
    tables_ok_ = false;
    return;
  }
  if (v.type == Value::kNull) return;  // as absent
  const bool ok = m.expect == Expect::kBool     ? v.type == Value::kBool
                  : m.expect == Expect::kInt    ? v.type == Value::kInt
                  : m.expect == Expect::kString ? v.type == Value::kString
                  : m.expect == Expect::kBound  ? v.type == Value::kInt || v.type == Value::kString
                                                : false;
  if (!ok) return Fail(Here(), Message(m.expect));
  m.set(*this, f, v);
}

bool SnapshotReader::Start(bool array) {
  if (overflow_ > 0) {
    ++overflow_;
    return true;
  }
  Begin();
  if (depth_ >= kMaxDepth) {  // CheckJsonIntegers' limit, in unknown members too
    NumberError("nested too deep");  // depth_ > 0: at a member's or element's path
    overflow_ = 1;
    return true;
  }
  const Kind skip = array ? Kind::kSkipArray : Kind::kSkipObject;
  if (depth_ == 0) {
    root_not_object_ = array;
    Push(array ? skip : Kind::kRoot, &c_);
    return true;
  }
  Frame& f = top();
  if (f.kind == Kind::kStrings) {
    Fail(Container(), "expected an array of strings");
  } else if (IsArray(f.kind) && f.kind != Kind::kSkipArray) {  // an array of objects
    if (!array) {
      StartElement(f);
      return true;
    }
    Fail(Here(), "expected an object");
  } else if (!IsArray(f.kind) && f.member != nullptr) {  // a member of a known object
    const Spec& m = *f.member;
    if (m.expect == Expect::kFormat) {
      version_ok_ = false;
    } else if (m.expect == Expect::kTables) {
      tables_ok_ = array;
      if (array) {
        c_.tables.clear();
        Push(Kind::kTables, &c_.tables);
        return true;
      }
    } else if (m.open != nullptr && array == (m.expect != Expect::kObject)) {
      if (m.list != List::kTable) {  // read afresh: its bounds too
        std::erase_if(pending_, [&m](const Pending& p) { return p.list == m.list; });
      }
      Push(m.opens, m.open(*this, f), m.list);
      return true;
    } else {
      Fail(Here(), Message(m.expect));
    }
  }
  Push(skip, nullptr);
  return true;
}

// An object in an array of objects.
void SnapshotReader::StartElement(Frame& f) {
  const uint32_t index = f.count - 1;
  switch (f.kind) {
    case Kind::kTables:
      c_.tables.emplace_back();
      key_type_seen_ = owner_ = false;
      grants_error_.clear();
      pending_.clear();
      return Push(Kind::kTable, &c_.tables.back());
    case Kind::kNames:
      return Push(Kind::kName, Add<QualifiedName>(f.target));
    case Kind::kColumns:
      return Push(Kind::kColumn, Add<Column>(f.target));
    case Kind::kGrants:
      return Push(Kind::kGrant, Add<Grant>(f.target));
    case Kind::kHistory:
      return Push(Kind::kOutcome, Add<RecordedOutcome>(f.target));
    case Kind::kLocalIndexes:
      return Push(Kind::kLocalIndex, Add<LocalIndex>(f.target));
    case Kind::kChildren: {
      Child* child = Add<Child>(f.target);
      const auto slot = static_cast<uint32_t>(static_cast<std::vector<Child>*>(f.target)->size());
      return Push(Kind::kChild, child, f.list, index, slot - 1);
    }
    default: {  // kBuckets
      DefaultBucket* bucket = Add<DefaultBucket>(f.target);
      const auto slot =
          static_cast<uint32_t>(static_cast<std::vector<DefaultBucket>*>(f.target)->size());
      return Push(Kind::kBucket, bucket, List::kBuckets, index, slot - 1);
    }
  }
}

void SnapshotReader::RequireMembers(const Frame& f) {
  for (size_t i = 0; i < f.specs.size(); ++i) {
    if (f.specs[i].required && (f.seen & (1u << i)) == 0) {
      return Fail(Container(), "missing \"" + std::string(f.specs[i].name) + "\"");
    }
  }
}

void SnapshotReader::EndTable(Frame& f) {
  f.member = nullptr;  // what fails now is not in the table's grants
  RequireMembers(f);
  ResolvePending();  // no key_type: "unsupported"
  Table& t = table();
  children_hint_ = t.children.size();
  if (owner_) {
    t.privileges_known = true;
    if (!grants_error_.empty() && field_error_.empty()) field_error_ = grants_error_;
  } else {
    t.grants.clear();
  }
}

bool SnapshotReader::end_object() {
  if (overflow_ > 0) {
    --overflow_;
    return true;
  }
  Frame& f = top();
  if (f.kind == Kind::kRoot) {
    if (!tables_ok_) Fail("tables", "missing or not an array");
  } else if (f.kind == Kind::kTable) {
    EndTable(f);
  } else {
    RequireMembers(f);
  }
  if (f.kind == Kind::kGrant) EndGrant(f);
  --depth_;
  return true;
}

bool SnapshotReader::end_array() {
  if (overflow_ > 0) {
    --overflow_;
    return true;
  }
  Frame& f = top();
  if (f.kind == Kind::kGrants) {
    auto* grants = static_cast<std::vector<Grant>*>(f.target);
    std::sort(grants->begin(), grants->end());
  } else if (f.kind == Kind::kLocalIndexes) {
    auto* indexes = static_cast<std::vector<LocalIndex>*>(f.target);
    std::sort(indexes->begin(), indexes->end());
  }
  --depth_;
  return true;
}

std::string SnapshotReader::Error() const {
  if (!syntax_error_.empty()) return syntax_error_;
  if (root_not_object_) return "a catalog snapshot must be a JSON object";
  if (!number_error_.empty()) return number_error_;
  if (!version_ok_) return "format_version: missing or not an integer (is this a pgpart snapshot?)";
  if (version_ != kSnapshotFormatVersion) {
    return "format_version: unsupported snapshot format " + std::to_string(version_) +
           " (this pgpart reads format " + std::to_string(kSnapshotFormatVersion) + ")";
  }
  return field_error_;
}

}  // namespace snapshot_read

bool CatalogFromJson(const std::string& json_text, Catalog* catalog, std::string* error) {
  snapshot_read::SnapshotReader reader;
  nlohmann::json::sax_parse(json_text.data(), json_text.data() + json_text.size(), &reader);
  if (std::string problem = reader.Error(); !problem.empty()) {
    *error = std::move(problem);
    return false;
  }
  if (std::string problem = CheckSnapshotConsistency(reader.catalog()); !problem.empty()) {
    *error = std::move(problem);
    return false;
  }
  *catalog = std::move(reader.catalog());
  return true;
}

}  // namespace pgpart
