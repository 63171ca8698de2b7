// The typed objects of the client (client.h): Secrets, Leases, Events, built on its Get, Create
// and Replace. Apart from client.cc (the transport over cpprestsdk) so neither grows too long.

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/utf8.h"
#include "k8s/client.h"
#include "k8s/config.h"

namespace pgpart::k8s {
namespace {

using nlohmann::json;

using client_internal::Fail;
using client_internal::Ok;

Lease LeaseFromJson(const json& j) {
  Lease lease;
  const json& meta = j.value("metadata", json::object());
  lease.name = meta.value("name", "");
  lease.resource_version = meta.value("resourceVersion", "");
  const json& spec = j.value("spec", json::object());
  lease.holder_identity = spec.value("holderIdentity", "");
  lease.lease_duration_seconds = spec.value("leaseDurationSeconds", 0);
  lease.acquire_time = spec.value("acquireTime", "");
  lease.renew_time = spec.value("renewTime", "");
  lease.lease_transitions = spec.value("leaseTransitions", 0);
  return lease;
}

json LeaseToJson(const std::string& ns, const Lease& lease) {
  json spec = json::object();
  if (!lease.holder_identity.empty()) spec["holderIdentity"] = lease.holder_identity;
  if (lease.lease_duration_seconds > 0) spec["leaseDurationSeconds"] = lease.lease_duration_seconds;
  if (!lease.acquire_time.empty()) spec["acquireTime"] = lease.acquire_time;
  if (!lease.renew_time.empty()) spec["renewTime"] = lease.renew_time;
  spec["leaseTransitions"] = lease.lease_transitions;
  json meta = {{"name", lease.name}, {"namespace", ns}};
  if (!lease.resource_version.empty()) meta["resourceVersion"] = lease.resource_version;
  return json{{"apiVersion", "coordination.k8s.io/v1"},
              {"kind", "Lease"},
              {"metadata", meta},
              {"spec", spec}};
}

}  // namespace

std::string NowMicroTime() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  const size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%.*s.%06lldZ", static_cast<int>(n), buffer,
                static_cast<long long>(micros));
  return out;
}

Result<std::map<std::string, std::string>> Client::GetSecret(const std::string& ns,
                                                             const std::string& name) {
  using Data = std::map<std::string, std::string>;
  Result<json> r = Get(kSecrets, ns, name);
  if (!r.ok()) return Fail<Data>(r.error);
  Data data;
  if (const auto it = r.value->find("data"); it != r.value->end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      auto decoded = value.is_string() ? DecodeBase64(value.get<std::string>()) : std::nullopt;
      if (!decoded) {
        return Fail<Data>(ApiError{200, "BadSecret", "secret " + ns + "/" + name + " key '" + key +
                                                         "' is not valid base64"});
      }
      data[key] = std::move(*decoded);
    }
  }
  if (const auto it = r.value->find("stringData"); it != r.value->end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      if (value.is_string()) data[key] = value.get<std::string>();
    }
  }
  return Ok(std::move(data));
}

Result<Lease> Client::GetLease(const std::string& ns, const std::string& name) {
  Result<json> r = Get(kLeases, ns, name);
  if (!r.ok()) return Fail<Lease>(r.error);
  return Ok(LeaseFromJson(*r.value));
}

Result<Lease> Client::CreateLease(const std::string& ns, const Lease& lease) {
  Lease fresh = lease;
  fresh.resource_version.clear();
  Result<json> r = Create(kLeases, ns, LeaseToJson(ns, fresh));
  if (!r.ok()) return Fail<Lease>(r.error);
  return Ok(LeaseFromJson(*r.value));
}

Result<Lease> Client::UpdateLease(const std::string& ns, const Lease& lease) {
  if (lease.resource_version.empty()) {
    return Fail<Lease>(ApiError{0, "Invalid", "UpdateLease needs the lease's resourceVersion"});
  }
  Result<json> r = Replace(kLeases, ns, LeaseToJson(ns, lease));
  if (!r.ok()) return Fail<Lease>(r.error);
  return Ok(LeaseFromJson(*r.value));
}

std::string EventName(const std::string& regarding, long long unix_nanos) {
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, ".%llx", unix_nanos);
  std::string prefix = regarding.substr(0, 253 - std::strlen(suffix));
  while (!prefix.empty() && (prefix.back() == '.' || prefix.back() == '-')) prefix.pop_back();
  return (prefix.empty() ? std::string("pgpart") : prefix) + suffix;
}

Result<json> Client::CreateEvent(const std::string& ns, const EventSpec& event) {
  const long long nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  // The API server refuses longer values (events.k8s.io/v1 validation); cut on a character
  // boundary (JSON must stay UTF-8).
  const auto cut = [](const std::string& text, size_t limit) {
    return std::string(Utf8Prefix(text, limit));
  };
  json object = {
      {"apiVersion", "events.k8s.io/v1"},
      {"kind", "Event"},
      {"metadata",
       {{"name", EventName(event.regarding.value("name", ""), nanos)}, {"namespace", ns}}},
      {"eventTime", NowMicroTime()},
      {"reportingController", event.reporting_controller},
      {"reportingInstance",
       cut(event.reporting_instance.empty() ? "pgpart" : event.reporting_instance, 128)},
      {"action", cut(event.action.empty() ? event.reason : event.action, 128)},
      {"reason", cut(event.reason, 128)},
      {"note", cut(event.note, 1024)},
      {"type", event.type},
      {"regarding", event.regarding},
  };
  return Create(kEvents, ns, object);
}

}  // namespace pgpart::k8s
