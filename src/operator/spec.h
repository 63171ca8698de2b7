#pragma once
// A PartitionPolicy custom resource as the operator sees it: its key, and its spec run through
// the same loader as policy files, so the CRD and the files accept exactly the same policies and
// what the CRD's schema cannot check (time zones, naming templates, holds, lint) is still caught.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "policy/loader.h"

namespace pgpart::op {

// "namespace/name" of an object.
std::string ObjectKey(const nlohmann::json& object);
// metadata.generation (0 when absent).
int64_t Generation(const nlohmann::json& object);

// The object as the informer keeps it: without what the operator never reads and the API server
// or kubectl add in bulk to every object (metadata.managedFields, kubectl's
// last-applied-configuration annotation, a second copy of the whole object).
nlohmann::json CacheView(const nlohmann::json& object);

// The policy text ParseResource hands the loader: apiVersion, kind, metadata.name and spec, as
// JSON (JSON is YAML). For PrecheckYamlIsolated, to check many at once.
std::string ResourceText(const nlohmann::json& object);

// Parses the resource's spec with the policy loader. Diagnostics name "<namespace>/<name>" as the
// file and carry the YAML path ("spec.timeZone"); the line numbers are those of the spec as JSON.
// Errors also when the spec has no databaseRef (the operator's only way to reach a database).
PolicySet ParseResource(const nlohmann::json& object);

// The first error of `diagnostics` as one line ("spec.timeZone: unknown time zone ..."), with
// "(and N more)" when there are several.
std::string FirstError(const Diagnostics& diagnostics);

}  // namespace pgpart::op
