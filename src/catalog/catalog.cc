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
  auto it =
      std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == name; });
  return it == tables.end() ? nullptr : &*it;
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
