#pragma once
// The streaming snapshot reader behind CatalogFromJson (snapshot_read.cc: the document's
// structure and errors; snapshot_read_members.cc: each object's members and where they go).
// Internal to those two files.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.h"
#include "core/json_text.h"
#include "core/key.h"

namespace pgpart::snapshot_read {

constexpr size_t kMaxDepth = 64;  // as CheckJsonIntegers

// What a JSON container on the reader's stack is.
enum class Kind : uint8_t {
  // Objects.
  kRoot, kTable, kChild, kGrant, kColumn, kLocalIndex, kBucket, kOutcome, kLastApply, kPartman,
  kName, kSkipObject,
  // Arrays.
  kTables, kNames, kColumns, kGrants, kChildren, kBuckets, kHistory, kLocalIndexes, kStrings,
  kSkipArray,
};
inline bool IsArray(Kind kind) { return kind >= Kind::kTables; }

// What a member's value must be.
enum class Expect : uint8_t {
  kBool, kInt, kString, kBound, kStrings, kObjects, kArray, kObject, kFormat, kTables
};

// Which of a table's lists a child or a bound is in (kTable: the table's own).
enum class List : uint8_t { kTable, kChildren, kDefaultPartition, kDetachedForDrop, kDetached,
                            kBuckets };

// A scalar of the document (numbers that are no int64 never get here).
struct Value {
  enum Type : uint8_t { kNull, kBool, kInt, kString } type;
  bool b = false;
  int64_t i = 0;
  const std::string* s = nullptr;
};

class SnapshotReader;
struct Frame;

// A member of an object: its name, its type, and where its value goes.
struct Spec {
  std::string_view name;
  Expect expect;
  bool required = false;  // absent is an error (present but null is not)
  void (*set)(SnapshotReader&, Frame&, const Value&) = nullptr;  // a scalar into the model
  void* (*open)(SnapshotReader&, Frame&) = nullptr;  // an array or object: what it fills
  Kind opens = Kind::kSkipObject;                    // ... and what kind of container it is
  List list = List::kTable;                          // ... and which list of the table
};
std::span<const Spec> SpecsOf(Kind kind);

struct Frame {
  Kind kind;
  List list;              // kChild, kBucket, kChildren, kBuckets: which list of the table
  uint8_t next;           // objects: where the next key is looked up first
  uint32_t seen;          // objects: bit i = member specs[i] was there
  uint32_t count;         // arrays: elements begun
  uint32_t index, slot;   // kChild, kBucket: position in the JSON array, in the model's list
  std::span<const Spec> specs;  // objects: their members
  const Spec* member;     // objects: the member whose value comes next (nullptr: unknown)
  void* target;           // what the values go into
  std::string unknown;    // objects: the name of an unknown member (for paths)
};

class SnapshotReader {
 public:
  SnapshotReader() { frames_.resize(kMaxDepth); }  // never reallocated: references stay valid

  // ---- nlohmann's SAX interface ----
  bool null() { return Scalar({Value::kNull}); }
  bool boolean(bool b) { return Scalar({Value::kBool, b}); }
  bool number_integer(int64_t i) { return Scalar({Value::kInt, false, i}); }
  bool number_unsigned(uint64_t u) {
    if (u <= uint64_t{INT64_MAX}) return Scalar({Value::kInt, false, static_cast<int64_t>(u)});
    if (Begin()) NumberError(std::to_string(u) + " is out of range (int64)");
    return true;
  }
  bool number_float(double d, const std::string&) {
    if (Begin()) NumberError("expected an integer, got " + JsonText(nlohmann::json(d)));
    return true;
  }
  bool string(std::string& s) { return Scalar({Value::kString, false, 0, &s}); }
  bool binary(nlohmann::json::binary_t&) { return true; }  // not in JSON text
  bool start_object(size_t) { return Start(false); }
  bool start_array(size_t) { return Start(true); }
  bool key(std::string& key);
  bool end_object();
  bool end_array();
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
    syntax_error_ = std::string("not valid JSON: ") + e.what();
    return false;
  }

  // The document's first error (in the order snapshot_read.cc describes), "" when it reads.
  std::string Error() const;
  Catalog& catalog() { return c_; }

  // ---- for the member tables: members with more to do than store their value ----
  static void SetHistory(SnapshotReader& r, Frame&, const Value& v);
  static void SetOwner(SnapshotReader& r, Frame& f, const Value& v);
  static void SetKeyType(SnapshotReader& r, Frame& f, const Value& v);
  static void SetBoundKind(SnapshotReader& r, Frame& f, const Value& v);
  static void SetReplicaIdentity(SnapshotReader& r, Frame& f, const Value& v);
  // An int member (modulus, remainder: int4 in PostgreSQL); a value past int32 is an error, not
  // cut to 32 bits.
  static void PutInt32(SnapshotReader& r, const Value& v, int* out);
  static void* OpenChildren(SnapshotReader& r, Frame& f);
  // A bound into *out (of the frame's object), or, before the table's key_type was read, kept
  // until it is: `locate` finds it again then.
  using Locator = Bound* (*)(Table&, List, uint32_t slot);
  void SetBound(const Frame& f, const Value& v, Bound* out, Locator locate);

 private:
  // A bound read before its table's key_type: parsed when key_type comes, or the table ends.
  struct Pending {
    List list;
    uint32_t index, slot;
    std::string_view member;
    Locator locate;
    Value::Type type;
    int64_t i;
    std::string text;
  };

  Frame& top() { return frames_[depth_ - 1]; }
  Table& table() { return c_.tables.back(); }  // the one being read

  // The start of a value: counts it in its array. False when nested too deep (ignored).
  bool Begin() {
    if (overflow_ > 0) return false;
    if (depth_ > 0 && IsArray(top().kind)) ++top().count;
    return true;
  }
  void Push(Kind kind, void* target, List list = List::kTable, uint32_t index = 0,
            uint32_t slot = 0) {
    Frame& f = frames_[depth_++];
    f.kind = kind;
    f.list = list;
    f.next = 0;
    f.seen = 0;
    f.count = 0;
    f.index = index;
    f.slot = slot;
    f.specs = SpecsOf(kind);
    f.member = nullptr;
    f.target = target;
  }

  // The JSON path of the first `n` frames' current slots: "tables[3].children[7].from".
  std::string PathAt(size_t n) const;
  std::string Here() const { return PathAt(depth_); }          // the current value
  std::string Container() const { return PathAt(depth_ - 1); }  // the innermost object/array
  // A number that is no int64, or a container nested too deep (after Begin): the first one is
  // reported. At the root, the document is no object, which is reported before.
  void NumberError(const std::string& message) {
    if (depth_ == 0) root_not_object_ = true;
    if (number_error_.empty()) number_error_ = Here() + ": " + message;
  }
  void Fail(const std::string& path, const std::string& message);

  bool Scalar(const Value& v);
  void Member(Frame& f, const Value& v);
  bool Start(bool array);
  void StartElement(Frame& f);
  // MINVALUE, MAXVALUE or the text of a value of the key type into *out; false when it is none.
  bool ReadBound(KeyType type, const std::string& text, Bound* out);
  void ResolvePending();
  void RequireMembers(const Frame& f);
  void EndTable(Frame& f);
  void EndGrant(const Frame& f);  // its privilege is one GRANT takes

  Catalog c_;
  std::vector<Frame> frames_;
  size_t depth_ = 0;
  size_t overflow_ = 0;  // levels below kMaxDepth being skipped
  // The table being read.
  bool key_type_seen_ = false;
  bool owner_ = false;  // a table's grants count only with its owner (older snapshots: none)
  std::string grants_error_;
  std::vector<Pending> pending_;
  size_t children_hint_ = 0;  // the previous table's number of children
  // Bound texts parsed, by key type: a range child's "to" is the next one's "from", and tables
  // partitioned alike share their bounds.
  std::unordered_map<std::string, Bound> bounds_[static_cast<size_t>(KeyType::kUnsupported) + 1];
  bool root_not_object_ = false;
  bool tables_ok_ = false;
  bool version_ok_ = false;  // format_version is an integer
  int64_t version_ = 0;
  std::string syntax_error_, number_error_, field_error_;
};

}  // namespace pgpart::snapshot_read
