// libFuzzer target: policy YAML text from anyone (a file, a saved plan's policy, a Kubernetes
// object) through the in-process loader. The pgpart binary runs yaml-cpp in a bounded child
// first (cli/yaml_sandbox); what the child runs is CheckYamlInProcess, and what the parent runs
// after it is ParsePolicies (limits, UTF-8, structure pre-pass, YAML::LoadAll, schema, set-level
// checks, lint). Both are called here with no isolation installed, so a defect in either shows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "policy/loader.h"
#include "policy/yaml_guard.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool child_ok = !pgpart::CheckYamlInProcess(text).has_value();
  pgpart::PolicySet set = pgpart::ParsePolicies(text, "fuzz.yaml");
  // The child's verdict and the loader's agree: a text the child refused cannot yield policies.
  if (!child_ok && !set.policies.empty()) std::abort();
  if (!set.policies.empty() || !pgpart::HasErrors(set.diagnostics)) {
    for (const pgpart::Diagnostic& d : set.diagnostics) (void)d.Format();
  }
  return 0;
}
