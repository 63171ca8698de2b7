#include "catalog/catalog.h"

#include <algorithm>

namespace pgpart {

std::string DatabaseIdentity::Text() const {
  return "\"" + name + "\" (oid " + std::to_string(oid) + ", system identifier " +
         (system_identifier.empty() ? "unknown" : system_identifier) + ")";
}

bool IsTablePrivilege(const std::string& privilege) {
  static const char* const kPrivileges[] = {"SELECT",   "INSERT",     "UPDATE",  "DELETE",
                                            "TRUNCATE", "REFERENCES", "TRIGGER",  "MAINTAIN"};
  return std::find(std::begin(kPrivileges), std::end(kPrivileges), privilege) !=
         std::end(kPrivileges);
}

const Table* Catalog::Find(const QualifiedName& name) const {
  // The tables are sorted by name (the reader sorts them; so are the snapshots pgpart writes): a
  // binary search first. A plan looks up every table it plans, and a scan each time made a plan
  // of 1,000 tables spend ~5 ms comparing names (issue 16). A catalog in another order (a
  // hand-made snapshot, a test's fake) is still searched in full before "not read".
  auto sorted = std::lower_bound(tables.begin(), tables.end(), name,
                                 [](const Table& t, const QualifiedName& n) { return t.name < n; });
  if (sorted != tables.end() && sorted->name == name) return &*sorted;
  auto it =
      std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == name; });
  return it == tables.end() ? nullptr : &*it;
}

const char* BoundKindName(BoundKind kind) {
  switch (kind) {
    case BoundKind::kRange:
      return "range";
    case BoundKind::kHash:
      return "hash";
    case BoundKind::kList:
      return "list";
    case BoundKind::kDefault:
      return "default";
  }
  return "range";
}

std::optional<BoundKind> BoundKindFromName(std::string_view name) {
  for (BoundKind k : {BoundKind::kRange, BoundKind::kHash, BoundKind::kList, BoundKind::kDefault}) {
    if (name == BoundKindName(k)) return k;
  }
  return std::nullopt;
}

std::string HistoryStateName(HistoryState s) {
  switch (s) {
    case HistoryState::kNotRead:
      return "not_read";
    case HistoryState::kRead:
      return "read";
    case HistoryState::kUnreadable:
      return "unreadable";
  }
  return "not_read";
}

std::optional<HistoryState> HistoryStateFromName(const std::string& name) {
  for (HistoryState s : {HistoryState::kNotRead, HistoryState::kRead, HistoryState::kUnreadable}) {
    if (HistoryStateName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace pgpart
