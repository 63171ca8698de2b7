#include "plan/simulate.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace pgpart {
namespace {

Table* FindTable(Catalog& catalog, const QualifiedName& name) {
  for (Table& t : catalog.tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void SortChildren(Table& t) {
  std::stable_sort(t.children.begin(), t.children.end(), [](const Child& a, const Child& b) {
    if (a.from == b.from) return a.name < b.name;
    return a.from < b.from;
  });
}

// The integer after `word` in the last statement's SQL ("MODULUS 4"); -1 when absent.
int NumberAfter(const Step& s, const std::string& word) {
  for (auto it = s.statements.rbegin(); it != s.statements.rend(); ++it) {
    size_t at = it->sql.rfind(word);
    if (at != std::string::npos) return std::atoi(it->sql.c_str() + at + word.size());
  }
  return -1;
}

void Create(const Step& s, Table& t) {
  Child c;
  c.name = s.partition;
  c.owner = t.owner;  // what the create step's inherited privileges make it
  c.grants = t.grants;
  if (t.strategy == "hash") {
    c.bound_kind = BoundKind::kHash;
    c.modulus = NumberAfter(s, "MODULUS ");
    c.remainder = NumberAfter(s, "REMAINDER ");
    if (c.modulus < 0 || c.remainder < 0) return;
    t.children.push_back(c);
    return;
  }
  auto from = ParseBoundText(t.key_type, s.from);
  auto to = ParseBoundText(t.key_type, s.to);
  if (!from || !to) return;
  c.bound_kind = BoundKind::kRange;
  c.from = *from;
  c.to = *to;
  t.children.push_back(c);
  SortChildren(t);
}

void Drain(const Step& s, Table& t) {
  auto from = ParseBoundText(t.key_type, s.from);
  auto to = ParseBoundText(t.key_type, s.to);
  if (!from || !to) return;
  auto& buckets = t.default_buckets;
  // A bucket inside the drained range goes; one it covers in part (a bridge partition drains part
  // of a period) loses the rows the step moves, as estimated.
  int64_t rest = s.rows_estimate;
  for (auto it = buckets.begin(); it != buckets.end();) {
    int64_t moved = 0;
    if (!(it->from < *from) && !(*to < it->to)) {
      moved = it->rows;
    } else if (it->from < *to && *from < it->to) {
      moved = std::min(it->rows, std::max<int64_t>(rest, 0));
    }
    rest -= moved;
    t.default_rows -= moved;
    it->rows -= moved;
    if (moved > 0 && it->rows <= 0) {
      it = buckets.erase(it);
    } else {
      ++it;
    }
  }
  if (t.default_rows < 0) t.default_rows = 0;
}

void Remove(const Step& s, Table& t) {
  auto named = [&](const Child& c) { return c.name == s.partition; };
  t.children.erase(std::remove_if(t.children.begin(), t.children.end(), named), t.children.end());
  t.detached_for_drop.erase(
      std::remove_if(t.detached_for_drop.begin(), t.detached_for_drop.end(), named),
      t.detached_for_drop.end());
  t.detached.erase(std::remove_if(t.detached.begin(), t.detached.end(), named), t.detached.end());
}

}  // namespace

void SimulateApply(const Plan& plan, Catalog& catalog) {
  for (const Step& s : plan.steps) {
    if (s.status != StepStatus::kPlanned) continue;
    Table* t = FindTable(catalog, s.table);
    if (t == nullptr) continue;
    switch (s.action) {
      case Action::kCreate:
        Create(s, *t);
        break;
      case Action::kCreateDefault: {
        Child d;
        d.name = s.partition;
        d.bound_kind = BoundKind::kDefault;
        d.owner = t->owner;
        d.grants = t->grants;
        t->default_partition = d;
        t->default_rows = 0;
        t->default_buckets.clear();
        break;
      }
      case Action::kDrainDefault:
        Drain(s, *t);
        break;
      case Action::kDetach:
      case Action::kFinalizeDetach:
      case Action::kArchive:
      case Action::kDrop:
        Remove(s, *t);
        break;
      case Action::kInheritPrivileges:
        for (Child& c : t->children) {
          if (c.name == s.partition) c.owner = t->owner, c.grants = t->grants;
        }
        if (t->default_partition && t->default_partition->name == s.partition) {
          t->default_partition->owner = t->owner;
          t->default_partition->grants = t->grants;
        }
        break;
      case Action::kConvertPrepare:
      case Action::kConvertCopy:
      case Action::kConvertVerify:
      case Action::kConvertSwap:
      case Action::kConvertDropOld:
        break;  // a forecast of a table still to convert shows no partitions yet
    }
  }
}

}  // namespace pgpart
