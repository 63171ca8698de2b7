#include "plan_fixture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/calendar.h"
#include "policy/loader.h"

namespace pgpart::testing {

int64_t At(const std::string& iso) {
  auto v = ParseInstant(iso, FindZone("UTC"));
  if (!v) {
    std::fprintf(stderr, "bad instant in test: %s\n", iso.c_str());
    std::abort();
  }
  return *v;
}

std::vector<Policy> Policies(const std::string& yaml) {
  PolicySet set = ParsePolicies(yaml, "test.yaml");
  for (const Diagnostic& d : set.diagnostics) {
    ADD_FAILURE() << "policy diagnostic: " << d.Format();
  }
  return set.policies;
}

static QualifiedName Name(const std::string& qualified) {
  std::string error;
  auto n = ParseQualifiedName(qualified, &error);
  if (!n) {
    std::fprintf(stderr, "bad name in test: %s\n", qualified.c_str());
    std::abort();
  }
  return *n;
}

Table RangeTable(const std::string& qualified, const std::string& key, KeyType type) {
  Table t;
  t.name = Name(qualified);
  t.exists = true;
  t.partitioned = true;
  t.strategy = "range";
  t.key_columns = {key};
  t.columns = {Column{key}, Column{"payload"}};
  t.columns_known = true;
  t.key_type = type;
  t.key_type_name = type == KeyType::kTimestampTz ? "timestamp with time zone"
                    : type == KeyType::kTimestamp ? "timestamp without time zone"
                    : type == KeyType::kDate      ? "date"
                    : type == KeyType::kBigInt    ? "bigint"
                                                  : "integer";
  t.default_buckets_known = true;
  return t;
}

Table HashTable(const std::string& qualified, const std::string& key) {
  Table t = RangeTable(qualified, key, KeyType::kBigInt);
  t.strategy = "hash";
  return t;
}

static void SortChildren(Table& t) {
  std::sort(t.children.begin(), t.children.end(), [](const Child& a, const Child& b) {
    if (a.from == b.from) return a.name < b.name;
    return a.from < b.from;
  });
}

void AddChild(Table& t, const std::string& name, const std::string& from, const std::string& to,
              int64_t rows) {
  Child c;
  c.name = {t.name.schema, name};
  c.bound_kind = BoundKind::kRange;
  auto f = ParseBoundText(t.key_type, from);
  auto u = ParseBoundText(t.key_type, to);
  if (!f || !u) {
    std::fprintf(stderr, "bad bound in test: %s %s\n", from.c_str(), to.c_str());
    std::abort();
  }
  c.from = *f;
  c.to = *u;
  c.rows_estimate = rows;
  t.children.push_back(c);
  SortChildren(t);
}

void AddMonths(Table& t, const std::string& first, int count) {
  int year = std::stoi(first.substr(0, 4));
  int month = std::stoi(first.substr(5, 2));
  auto text = [&](int y, int m) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-01T00:00:00Z", y, m);
    return std::string(buf);
  };
  for (int i = 0; i < count; ++i) {
    int ny = month == 12 ? year + 1 : year;
    int nm = month == 12 ? 1 : month + 1;
    char name[128];
    std::snprintf(name, sizeof name, "%s_y%04dm%02d", t.name.name.c_str(), year, month);
    AddChild(t, name, text(year, month), text(ny, nm), 1000);
    year = ny;
    month = nm;
  }
}

void AddHashChildren(Table& t, int modulus) {
  for (int r = 0; r < modulus; ++r) {
    Child c;
    c.name = {t.name.schema, t.name.name + "_h" + std::to_string(r)};
    c.bound_kind = BoundKind::kHash;
    c.modulus = modulus;
    c.remainder = r;
    t.children.push_back(c);
  }
}

void AddDefault(Table& t, int64_t rows) {
  Child d;
  d.name = {t.name.schema, t.name.name + "_default"};
  d.bound_kind = BoundKind::kDefault;
  t.default_partition = d;
  t.default_rows = rows;
}

Catalog CatalogOf(std::vector<Table> tables) {
  Catalog c;
  c.tables = std::move(tables);
  std::sort(c.tables.begin(), c.tables.end(),
            [](const Table& a, const Table& b) { return a.name < b.name; });
  return c;
}

std::vector<Step> StepsOf(const Plan& plan, Action action) {
  std::vector<Step> out;
  for (const Step& s : plan.steps) {
    if (s.action == action) out.push_back(s);
  }
  return out;
}

std::vector<std::string> Names(const std::vector<Step>& steps) {
  std::vector<std::string> out;
  for (const Step& s : steps) out.push_back(s.partition.name);
  return out;
}

}  // namespace pgpart::testing
