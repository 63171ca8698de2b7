#include "policy/policy_keys.h"

namespace pgpart {

std::vector<std::string> AcceptedPolicyKeyPaths() {
  std::vector<std::string> out;
  for (const PolicyMapping& mapping : kPolicyMappings) {
    for (std::string_view key : mapping.keys) {
      out.push_back(mapping.path.empty() ? std::string(key)
                                         : std::string(mapping.path) + "." + std::string(key));
    }
  }
  return out;
}

}  // namespace pgpart
