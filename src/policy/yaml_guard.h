#pragma once
// Guards around yaml-cpp for policy text from anyone (files, saved plans, Kubernetes objects):
// input that yaml-cpp 0.7 would loop on, or that is too big or deep to be a policy, is refused
// before YAML::LoadAll sees it, and the whole parse can be run in a bounded child process first.

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pgpart {

// Limits on one policy text (a file, or one Kubernetes object). Real policies are a few KB with
// a nesting depth under 8.
inline constexpr size_t kMaxPolicyBytes = 1 << 20;  // 1 MiB (Kubernetes caps objects near it)
inline constexpr int kMaxYamlDepth = 32;            // nested lists/mappings
inline constexpr size_t kMaxYamlNodes = 100'000;    // scalars, lists, mappings, aliases

// Why a text is refused. line/column are 1-based; 0 when the problem is the whole text.
struct YamlProblem {
  int line = 0;
  int column = 0;
  std::string message;
};

// What needs no YAML parser: the size limit and UTF-8 (the first bad byte's line and column).
std::optional<YamlProblem> CheckYamlLimits(const std::string& text);

// One pass of yaml-cpp's event parser (no nodes built) that refuses what would make
// YAML::LoadAll loop forever, allocating a null document per turn (yaml-cpp 0.7, issue #1040:
// a token no rule consumes, like the ',' of ",:", starts document after document at the same
// place), and what exceeds kMaxYamlDepth / kMaxYamlNodes or makes an alias refer to a collection
// that contains it (a cycle). YAML syntax errors come back as problems too.
std::optional<YamlProblem> CheckYamlStructure(const std::string& text);

// Everything a load does in this process, without keeping the documents: CheckYamlLimits,
// CheckYamlStructure, then YAML::LoadAll. What the bounded child runs. Never throws.
std::optional<YamlProblem> CheckYamlInProcess(const std::string& text);

// A check run before any yaml-cpp code touches a text in this process: the pgpart binary installs
// one that parses the texts in a child process under memory and time limits (cli/yaml_sandbox.h),
// so that a yaml-cpp defect the checks above do not know about costs a refused policy, not the
// process. One verdict per text, in order; nullopt: the text parsed there. Install once, before
// threads start; empty = none.
using YamlIsolation = std::function<std::vector<std::optional<YamlProblem>>(
    const std::vector<std::string>& texts)>;
void SetYamlIsolation(YamlIsolation isolation);
// Runs the installed check on one text (nullopt when none is installed).
std::optional<YamlProblem> RunYamlIsolation(const std::string& text);
// Runs it on many texts at once (one child for all); an installed check remembers the texts that
// passed, so the per-text RunYamlIsolation that follows costs nothing for them.
void PrecheckYamlIsolated(const std::vector<std::string>& texts);

}  // namespace pgpart
