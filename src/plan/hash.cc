// Content hashes of the catalog's structure and of the policies (saved-plan staleness checks).

#include <openssl/evp.h>

#include <set>
#include <string_view>

#include "plan/planner.h"

namespace pgpart {

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

namespace {

// Length-prefixed, fixed-width fields (so that no two different inputs serialise alike) in one
// buffer, hashed once with SHA-256.
class Canon {
 public:
  Canon& Add(std::string_view s) {
    Raw(static_cast<uint64_t>(s.size()));
    buffer_.append(s);
    return *this;
  }
  Canon& Add(const std::string& s) { return Add(std::string_view(s)); }
  Canon& Add(const char* s) { return Add(std::string_view(s)); }
  Canon& Add(int64_t v) { return Raw(static_cast<uint64_t>(v)); }
  Canon& Add(const Bound& b) { return Add(static_cast<int64_t>(b.kind)).Add(b.value); }
  Canon& Add(const QualifiedName& n) { return Add(n.schema).Add(n.name); }

  // Lower-case hex SHA-256 of everything added.
  std::string Hex() const { return Sha256Hex(buffer_); }

 private:
  Canon& Raw(uint64_t v) {
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(v >> (8 * i));
    buffer_.append(bytes, sizeof bytes);
    return *this;
  }
  std::string buffer_;
};

void AddChild(Canon& c, const Child& child) {
  c.Add(child.name).Add(static_cast<int64_t>(child.bound_kind)).Add(child.from).Add(child.to);
  c.Add(child.modulus).Add(child.remainder);
  c.Add(child.sub_partitioned).Add(child.foreign).Add(child.detach_pending);
}

}  // namespace

std::string CatalogHash(const Catalog& catalog, const std::vector<QualifiedName>* only) {
  auto add_table = [](Canon& c, const Table& t) {
    c.Add("table").Add(t.name).Add(t.partitioned).Add(t.strategy);
    for (const auto& col : t.key_columns) c.Add(col);
    c.Add(t.key_type_name);
    for (const Child& child : t.children) AddChild(c, child);
    c.Add(t.default_partition.has_value());
    if (t.default_partition) AddChild(c, *t.default_partition);
    for (const Child& d : t.detached_for_drop) AddChild(c.Add("detached"), d);
    for (const Child& d : t.detached) AddChild(c.Add("kept"), d);  // nothing when none: as before
  };
  Canon c;
  c.Add("catalog-v1");
  if (only == nullptr) {
    for (const Table& t : catalog.tables) {
      if (t.exists) add_table(c, t);
    }
  } else {
    // A table that was not read and one read as missing hash alike.
    std::set<QualifiedName> wanted(only->begin(), only->end());
    for (const QualifiedName& name : wanted) {
      const Table* t = catalog.Find(name);
      if (t == nullptr || !t->exists) {
        c.Add("missing").Add(name);
      } else {
        add_table(c, *t);
      }
    }
  }
  return c.Hex();
}

std::string PolicyHash(const std::vector<Policy>& policies) {
  Canon c;
  c.Add("policies-v1");
  for (const Policy& p : policies) {
    c.Add("policy").Add(p.name);
    for (const auto& t : p.tables) c.Add(t);
    c.Add(static_cast<int64_t>(p.strategy)).Add(p.column.value_or("")).Add(p.interval_text);
    if (p.interval) c.Add(p.interval->count).Add(static_cast<int64_t>(p.interval->unit));
    c.Add(p.time_zone).Add(p.premake).Add(p.start.value_or("")).Add(p.NameTemplate());
    c.Add(p.default_partition).Add(p.modulus);
    if (p.retention) {
      const Retention& r = *p.retention;
      c.Add("retention").Add(r.keep.count).Add(static_cast<int64_t>(r.keep.unit));
      c.Add(static_cast<int64_t>(r.action)).Add(r.archive_schema);
      c.Add(r.max_drops_per_run.value_or(-1));
      if (r.drop_detached_after) {  // only when set: older hashes stay
        c.Add("dropDetachedAfter").Add(r.drop_detached_after->count);
        c.Add(static_cast<int64_t>(r.drop_detached_after->unit));
      }
    }
    for (const Adopt& a : p.adopt) {  // nothing when there is none: older hashes stay
      c.Add("adopt").Add(a.partition.value_or("")).Add(a.from.value_or("")).Add(a.to.value_or(""));
    }
    for (const Hold& h : p.holds) {
      c.Add("hold").Add(h.partition.value_or("")).Add(h.from.value_or("")).Add(h.to.value_or(""));
      c.Add(h.reason).Add(h.until.value_or(""));
    }
    if (p.backup_gate) {
      const BackupGate& g = *p.backup_gate;
      c.Add("gate").Add(static_cast<int64_t>(g.kind)).Add(g.query).Add(g.max_lag_ms);
      c.Add(g.stanza).Add(g.timeout_ms);
      for (const auto& arg : g.command) c.Add(arg);
    }
    c.Add(p.execution.lock_timeout_ms).Add(p.execution.statement_timeout_ms);
    c.Add(p.execution.retries);
    if (!p.inherit_privileges) c.Add("privileges-none");  // inherit (the default) adds nothing
    if (p.convert) {
      c.Add("convert").Add(p.convert->batch_rows).Add(p.convert->drop_old ? "drop" : "keep");
      if (p.convert->skip_expired) c.Add("skip-expired");
      for (const auto& col : p.convert->primary_key) c.Add(col);
    }
  }
  return c.Hex();
}

std::string PlanHash(const Plan& plan) {
  Canon c;
  c.Add("plan-v1").Add(plan.catalog_hash).Add(plan.policy_hash);
  for (const Step& s : plan.steps) {
    c.Add(static_cast<int64_t>(s.action)).Add(s.partition).Add(static_cast<int64_t>(s.status));
    for (const Statement& st : s.statements) c.Add(st.sql);
  }
  return c.Hex();
}

}  // namespace pgpart
