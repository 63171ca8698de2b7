// The keys a policy may hold (policy/policy_keys.h): the loader refuses every other key in each
// mapping, docs/policy.md documents exactly these keys, and the CRD's spec schema has exactly
// these properties. A key added to the loader without its documentation, or documented without
// the loader accepting it, fails here.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "policy/loader.h"
#include "policy/policy_keys.h"
#include "policy_test_util.h"

namespace pgpart {
namespace {

using ::testing::ElementsAreArray;

std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(PGPART_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(in.good()) << "cannot read " << relative;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::set<std::string> AcceptedSet() {
  std::vector<std::string> paths = AcceptedPolicyKeyPaths();
  std::set<std::string> set(paths.begin(), paths.end());
  EXPECT_EQ(set.size(), paths.size()) << "a key is listed twice";
  return set;
}

// "a, b" of what `a` holds and `b` does not.
std::string Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::string out;
  for (const std::string& key : a) {
    if (!b.count(key)) out += (out.empty() ? "" : ", ") + key;
  }
  return out;
}

// A policy with every mapping the loader checks keys in; it loads without errors.
constexpr char kEveryMapping[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: p}
spec:
  tables: [public.t]
  column: ts
  interval: 1 month
  retention: {keep: 12 months}
  holds: [{partition: t_y2024m01, reason: legal}]
  adopt: [{partition: t_legacy}]
  backupGate: {kind: sql, query: select true}
  execution: {retries: 3}
  databaseRef: {secretName: app-db}
  convert: {batchRows: 1000}
)";

// The node at a mapping path of kPolicyMappings ("spec.holds[]": the first hold).
YAML::Node At(YAML::Node doc, std::string_view path) {
  YAML::Node node = doc;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string part(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    const bool list = part.size() > 2 && part.ends_with("[]");
    if (list) part.resize(part.size() - 2);
    node.reset(node[part]);
    if (list) node.reset(node[0]);
  }
  return node;
}

TEST(PolicyKeys, BaseDocumentWithEveryMappingLoads) {
  PolicySet set = ParsePolicies(kEveryMapping, "keys.yaml");
  EXPECT_FALSE(HasErrors(set.diagnostics)) << ::testing::PrintToString(set.diagnostics);
}

// The loader checks each mapping against its list of policy_keys.h, and against nothing else:
// an unknown key there is refused with exactly that list as the allowed keys.
TEST(PolicyKeys, EachMappingRefusesEveryKeyNotInItsList) {
  constexpr char kUnknown[] = "zzqqxxyy";  // no allowed key is near it: the message lists them
  for (const PolicyMapping& mapping : kPolicyMappings) {
    SCOPED_TRACE(std::string(mapping.path.empty() ? "(document)" : mapping.path));
    YAML::Node doc = YAML::Load(kEveryMapping);
    YAML::Node target = At(doc, mapping.path);
    ASSERT_TRUE(target.IsMap());
    target[kUnknown] = "1";
    YAML::Emitter out;
    out << doc;
    PolicySet set = ParsePolicies(out.c_str(), "keys.yaml");
    std::string where = std::string(mapping.path);
    for (size_t at = where.find("[]"); at != std::string::npos; at = where.find("[]")) {
      where.replace(at, 2, "[0]");
    }
    const std::string path = (where.empty() ? "" : where + ".") + kUnknown;
    const Diagnostic* d = testing::Find(set.diagnostics, path, "unknown key");
    ASSERT_NE(d, nullptr) << ::testing::PrintToString(set.diagnostics);
    EXPECT_THAT(d->message,
                ::testing::HasSubstr(" in " + (where.empty() ? "the document" : where)));
    const std::string marker = "(allowed: ";
    const size_t from = d->message.find(marker);
    ASSERT_NE(from, std::string::npos) << d->message;
    std::string list = d->message.substr(from + marker.size());
    list = list.substr(0, list.find(')'));
    std::vector<std::string> allowed;
    for (size_t pos = 0; pos <= list.size();) {
      size_t comma = list.find(", ", pos);
      allowed.push_back(list.substr(pos, comma - pos));
      if (comma == std::string::npos) break;
      pos = comma + 2;
    }
    EXPECT_THAT(allowed, ElementsAreArray(mapping.keys.begin(), mapping.keys.end()));
  }
}

constexpr char kHashWithEveryMapping[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: h}
spec:
  tables: [public.h]
  strategy: hash
  modulus: 4
  execution: {retries: 3}
  databaseRef: {secretName: app-db}
)";

// Every key the loader accepts is also checked: a value no key takes ([[1]]) is an error at that
// key, in every mapping and for both strategies. A key a branch neither reads nor refuses would
// let anything through unseen. (`status` is the operator's output and ignored on purpose.)
TEST(PolicyKeys, EveryKeyIsReadOrRefusedNeverIgnored) {
  for (const char* base : {kEveryMapping, kHashWithEveryMapping}) {
    ASSERT_FALSE(HasErrors(ParsePolicies(base, "keys.yaml").diagnostics)) << base;
    for (const PolicyMapping& mapping : kPolicyMappings) {
      for (std::string_view key : mapping.keys) {
        const std::string path =
            (mapping.path.empty() ? "" : std::string(mapping.path) + ".") + std::string(key);
        if (path == "status" || path == "spec.strategy") continue;
        YAML::Node doc = YAML::Load(base);
        YAML::Node target = At(doc, mapping.path);
        if (!target.IsDefined() || !target.IsMap()) continue;  // not in this base (hash)
        target[std::string(key)] = YAML::Load("[[1]]");
        YAML::Emitter out;
        out << doc;
        PolicySet set = ParsePolicies(out.c_str(), "keys.yaml");
        std::string at = path;
        for (size_t i = at.find("[]"); i != std::string::npos; i = at.find("[]")) {
          at.replace(i, 2, "[0]");
        }
        bool reported = false;
        for (const Diagnostic& d : set.diagnostics) {
          reported = reported || (d.severity == Severity::kError &&
                                  (d.path == at || d.path.rfind(at + ".", 0) == 0 ||
                                   d.path.rfind(at + "[", 0) == 0));
        }
        EXPECT_TRUE(reported) << path << ": [[1]] is not reported (strategy "
                              << (base == kEveryMapping ? "range" : "hash") << ")";
      }
    }
  }
}

// docs/policy.md: each key is the first cell of a row of a table whose first column is headed
// `key`, written in backticks as its full path (list elements as `[]`): | `spec.retention.keep` |.
std::vector<std::string> DocumentedKeys(const std::string& markdown) {
  std::vector<std::string> keys;
  std::istringstream lines(markdown);
  std::string line;
  bool in_key_table = false;
  while (std::getline(lines, line)) {
    if (line.rfind("|", 0) != 0) {
      in_key_table = false;
      continue;
    }
    std::string first = line.substr(1, line.find('|', 1) - 1);
    first.erase(0, first.find_first_not_of(' '));
    first.erase(first.find_last_not_of(' ') + 1);
    if (!in_key_table) {
      in_key_table = first == "key";  // a header row
      continue;
    }
    if (first.find_first_not_of("-: ") == std::string::npos) continue;  // the separator row
    EXPECT_TRUE(first.size() > 2 && first.front() == '`' && first.back() == '`')
        << "docs/policy.md: a key table row must start with a `key.path`: " << line;
    keys.push_back(first.substr(1, first.size() - 2));
  }
  return keys;
}

TEST(PolicyKeys, DocsDocumentExactlyTheKeysTheLoaderAccepts) {
  std::vector<std::string> documented = DocumentedKeys(ReadSource("docs/policy.md"));
  std::set<std::string> doc_set(documented.begin(), documented.end());
  EXPECT_EQ(doc_set.size(), documented.size()) << "docs/policy.md documents a key twice";
  const std::set<std::string> accepted = AcceptedSet();
  EXPECT_EQ(Minus(accepted, doc_set), "")
      << "keys the loader accepts that docs/policy.md does not document";
  EXPECT_EQ(Minus(doc_set, accepted), "")
      << "keys docs/policy.md documents that the loader does not accept";
}

// Every complete policy shown in docs/policy.md (a ```yaml block with an apiVersion) loads.
TEST(PolicyKeys, DocsExamplesLoad) {
  std::istringstream lines(ReadSource("docs/policy.md"));
  std::string line, block;
  bool in_yaml = false;
  int examples = 0;
  while (std::getline(lines, line)) {
    if (!in_yaml && line == "```yaml") {
      in_yaml = true;
      block.clear();
    } else if (in_yaml && line == "```") {
      in_yaml = false;
      if (block.find("apiVersion:") == std::string::npos) continue;
      ++examples;
      PolicySet set = ParsePolicies(block, "docs/policy.md");
      EXPECT_FALSE(HasErrors(set.diagnostics))
          << ::testing::PrintToString(set.diagnostics) << "\n" << block;
    } else if (in_yaml) {
      block += line + "\n";
    }
  }
  EXPECT_GE(examples, 1);
}

// Property paths of an OpenAPI schema node (objects and arrays of objects; `status` aside).
void SchemaKeys(const YAML::Node& schema, const std::string& prefix, std::set<std::string>* out) {
  if (!schema["properties"]) return;
  for (const auto& entry : schema["properties"]) {
    const std::string key = entry.first.as<std::string>();
    const std::string path = prefix + key;
    out->insert(path);
    if (path == "status") continue;  // the operator's status, not policy input
    const YAML::Node& node = entry.second;
    if (node["properties"]) SchemaKeys(node, path + ".", out);
    if (node["items"] && node["items"]["properties"]) SchemaKeys(node["items"], path + "[].", out);
  }
}

TEST(PolicyKeys, CrdSpecSchemaHasExactlyTheKeysTheLoaderAccepts) {
  // metadata is the API server's: a CRD schema may constrain some of it (metadata.name is a
  // DNS-1123 label), but only keys the loader reads too.
  const std::set<std::string> accepted = AcceptedSet();
  std::set<std::string> expected;
  for (const std::string& key : accepted) {
    if (key.rfind("metadata.", 0) != 0) expected.insert(key);
  }
  for (const char* copy : {"crds/partitionpolicies.pgpart.io.yaml",
                           "manifests/crds/partitionpolicies.pgpart.io.yaml",
                           "helm/pgpart/crds/partitionpolicies.pgpart.io.yaml"}) {
    SCOPED_TRACE(copy);
    YAML::Node crd = YAML::Load(ReadSource(copy));
    std::set<std::string> schema;
    for (const auto& version : crd["spec"]["versions"]) {
      SchemaKeys(version["schema"]["openAPIV3Schema"], "", &schema);
    }
    for (auto it = schema.begin(); it != schema.end();) {
      const bool metadata = it->rfind("metadata.", 0) == 0 && accepted.count(*it) > 0;
      it = metadata ? schema.erase(it) : std::next(it);
    }
    EXPECT_EQ(Minus(expected, schema), "") << "keys the loader accepts that the CRD lacks";
    EXPECT_EQ(Minus(schema, expected), "") << "keys the CRD has that the loader refuses";
  }
}

}  // namespace
}  // namespace pgpart
