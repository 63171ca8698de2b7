#include "catalog/catalog.h"

#include <algorithm>

namespace pgpart {

const Table* Catalog::Find(const QualifiedName& name) const {
  auto it =
      std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == name; });
  return it == tables.end() ? nullptr : &*it;
}

}  // namespace pgpart
