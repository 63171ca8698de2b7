#include "catalog/catalog.h"

#include <algorithm>

namespace pgpart {

std::string DatabaseIdentity::Text() const {
  return "\"" + name + "\" (oid " + std::to_string(oid) + ", system identifier " +
         (system_identifier.empty() ? "unknown" : system_identifier) + ")";
}

const Table* Catalog::Find(const QualifiedName& name) const {
  auto it =
      std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == name; });
  return it == tables.end() ? nullptr : &*it;
}

}  // namespace pgpart
