// CR → Policy through the file loader.

#include "operator/spec.h"

#include <string>

#include "core/json_text.h"

namespace pgpart::op {

std::string ObjectKey(const nlohmann::json& object) {
  const nlohmann::json& meta = object.value("metadata", nlohmann::json::object());
  return meta.value("namespace", "") + "/" + meta.value("name", "");
}

int64_t Generation(const nlohmann::json& object) {
  const nlohmann::json& meta = object.value("metadata", nlohmann::json::object());
  auto it = meta.find("generation");
  return it != meta.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

nlohmann::json CacheView(const nlohmann::json& object) {
  nlohmann::json view = object;
  auto meta = view.find("metadata");
  if (meta == view.end() || !meta->is_object()) return view;
  meta->erase("managedFields");
  auto annotations = meta->find("annotations");
  if (annotations != meta->end() && annotations->is_object()) {
    annotations->erase("kubectl.kubernetes.io/last-applied-configuration");
    if (annotations->empty()) meta->erase(annotations);
  }
  return view;
}

std::string ResourceText(const nlohmann::json& object) {
  // JSON is YAML: the loader reads the document as written to the API server, with the same
  // unknown-key, type and lint checks as a file. metadata is narrowed to what the loader knows.
  const nlohmann::json& meta = object.value("metadata", nlohmann::json::object());
  nlohmann::ordered_json doc;
  doc["apiVersion"] = object.value("apiVersion", "");
  doc["kind"] = object.value("kind", "");
  doc["metadata"]["name"] = meta.value("name", "");
  doc["spec"] = object.value("spec", nlohmann::json::object());
  return JsonText(doc, 2);
}

PolicySet ParseResource(const nlohmann::json& object) {
  PolicySet set = ParsePolicies(ResourceText(object), ObjectKey(object));
  if (!HasErrors(set.diagnostics) && set.policies.size() == 1 &&
      !set.policies[0].database_ref) {
    Diagnostic d;
    d.severity = Severity::kError;
    d.location = set.policies[0].location;
    d.path = "spec.databaseRef";
    d.message =
        "spec.databaseRef {secretName, key} is required: the operator reads the database's "
        "connection string from that Secret";
    set.diagnostics.push_back(d);
  }
  return set;
}

std::string FirstError(const Diagnostics& diagnostics) {
  int errors = 0;
  std::string first;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity != Severity::kError) continue;
    if (errors++ == 0) first = d.path.empty() ? d.message : d.path + ": " + d.message;
  }
  if (errors > 1) first += " (and " + std::to_string(errors - 1) + " more)";
  return first;
}

}  // namespace pgpart::op
