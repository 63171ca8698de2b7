// The corpus of tests/crd/ through the operator's loader (operator/spec.h): every document the
// API server must refuse (tests/crd/invalid/) the operator refuses too, at the field the file
// names or inside it, and every document of tests/crd/valid/ it accepts. With
// tests/crd/validate_policies.py (the schema, offline) and tests/envtest/corpus_check.py (the real
// API server) reading the same files, the CRD can be neither stricter nor looser than the
// operator on any of them.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "operator/spec.h"

namespace pgpart::op {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The JSON kubectl sends for a YAML node: quoted scalars are strings, plain ones are
// null/booleans/integers when they read as such (YAML 1.2 core schema), anything else a string
// (dates too, as Kubernetes keeps them).
json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = ToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(ToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "!") return text;  // quoted
      if (text == "null" || text == "~") return nullptr;
      if (text == "true") return true;
      if (text == "false") return false;
      int64_t value = 0;
      const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
      auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
      if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) return value;
      return text;
    }
    default:
      return nullptr;
  }
}

struct Case {
  std::string file;   // relative to the source dir
  std::string field;  // "# field:", invalid documents only
  json resource;
};

std::vector<Case> ReadCorpus(const std::string& kind) {
  const fs::path root(PGPART_SOURCE_DIR);
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(root / "tests" / "crd" / kind)) {
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Case> cases;
  for (const fs::path& path : paths) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    Case c{fs::relative(path, root).string(), "", ToJson(YAML::Load(text.str()))};
    std::smatch match;
    const std::string body = text.str();
    if (std::regex_search(body, match, std::regex("(^|\n)# field: ([^\n]+)"))) c.field = match[2];
    // As the API server stores it: in a namespace.
    c.resource["metadata"]["namespace"] = "corpus";
    cases.push_back(std::move(c));
  }
  return cases;
}

bool Under(const std::string& path, const std::string& field) {
  return path == field || path.rfind(field + ".", 0) == 0 || path.rfind(field + "[", 0) == 0;
}

std::string Errors(const Diagnostics& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) out += "\n  " + d.path + ": " + d.message;
  return out;
}

TEST(CrdCorpus, TheOperatorRefusesEveryInvalidDocumentAtItsField) {
  std::vector<Case> cases = ReadCorpus("invalid");
  ASSERT_GE(cases.size(), 50u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    ASSERT_FALSE(c.field.empty()) << "no '# field:' line";
    PolicySet set = ParseResource(c.resource);
    EXPECT_TRUE(HasErrors(set.diagnostics)) << "accepted, expected an error at " << c.field;
    bool at_field = false;
    for (const Diagnostic& d : set.diagnostics) {
      if (d.severity == Severity::kError && Under(d.path, c.field)) at_field = true;
    }
    EXPECT_TRUE(at_field) << "no error at " << c.field << ":" << Errors(set.diagnostics);
  }
}

TEST(CrdCorpus, TheOperatorAcceptsEveryValidDocument) {
  std::vector<Case> cases = ReadCorpus("valid");
  ASSERT_GE(cases.size(), 1u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    PolicySet set = ParseResource(c.resource);
    EXPECT_FALSE(HasErrors(set.diagnostics)) << Errors(set.diagnostics);
    EXPECT_EQ(set.policies.size(), 1u);
  }
}

// The conversion above is what kubectl does for the corpus' values.
TEST(CrdCorpus, YamlScalarsBecomeJsonAsKubectlSendsThem) {
  json j = ToJson(YAML::Load(
      "{a: 3, b: '3', c: true, d: \"true\", e: 2024-01-01, f: 1 month, g: -1, h: +7, i: ~, j: []}"));
  EXPECT_EQ(j, json::parse(R"({"a": 3, "b": "3", "c": true, "d": "true", "e": "2024-01-01",
                               "f": "1 month", "g": -1, "h": 7, "i": null, "j": []})"));
}

}  // namespace
}  // namespace pgpart::op
