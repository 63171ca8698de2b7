#pragma once
// Kubernetes API client over HTTP(S) (cpprestsdk behind a pimpl, so this header stays cheap).
// Every operation returns a value or an ApiError; nothing throws out of this API. The bearer
// token is sent in the Authorization header and never logged or put into an error message.

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "k8s/config.h"

namespace pgpart::k8s {

// A resource type: group "" is the core API (/api/v1), others live under /apis/<group>/<version>.
struct Resource {
  std::string group;
  std::string version;
  std::string plural;
};

inline const Resource kPartitionPolicies{"pgpart.io", "v1alpha1", "partitionpolicies"};
inline const Resource kSecrets{"", "v1", "secrets"};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases"};
inline const Resource kEvents{"events.k8s.io", "v1", "events"};

// A failed call: the HTTP status (0 = transport failure, no response) and the Status reason and
// message the server sent, or a description of the transport error.
// Requests answered 429 or 500/502/503/504 are sent again after the server's Retry-After (or
// 250 ms doubling to 4 s), this many attempts in all.
constexpr int kThrottleAttempts = 5;

struct ApiError {
  int status = 0;
  std::string reason;  // e.g. "Conflict", "NotFound", "Expired"
  std::string message;
};

// A value or an error.
template <typename T>
struct Result {
  std::optional<T> value;
  ApiError error;  // meaningful when !ok()
  bool ok() const { return value.has_value(); }
};

namespace client_internal {  // for client.cc and client_objects.cc
template <typename T>
Result<T> Fail(ApiError error) {
  return Result<T>{std::nullopt, std::move(error)};
}
template <typename T>
Result<T> Ok(T value) {
  return Result<T>{std::move(value), {}};
}
}  // namespace client_internal

// One page (or all pages) of a list.
struct ObjectList {
  std::vector<nlohmann::json> items;
  std::string resource_version;  // metadata.resourceVersion of the list: where to watch from
  std::string continue_token;    // metadata.continue; "" on the last page
};

struct ListOptions {
  std::string label_selector;
  int limit = 0;               // page size; 0 = no paging
  std::string continue_token;  // page to fetch
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  nlohmann::json object;  // the object; a Status for kError
};

struct WatchOptions {
  std::string resource_version;  // watch changes after this version (the list's)
  int timeout_seconds = 300;     // the server ends the stream after this
  bool allow_bookmarks = true;
  std::string label_selector;
};

// How a watch ended.
enum class WatchEnd {
  kEnded,    // the server closed the stream normally: watch again from resource_version
  kGone,     // 410 Gone / Expired: the version is too old, list again
  kDropped,  // the connection broke mid-stream: watch again from resource_version, or relist
  kStopped,  // the callback asked to stop
  kFailed,   // the watch could not start (HTTP error other than 410, bad request, transport)
};

struct WatchResult {
  WatchEnd end = WatchEnd::kEnded;
  std::string resource_version;  // the last version seen (events and bookmarks), else the start
  ApiError error;                // for kGone/kFailed/kDropped
};

// Called for each event, in order, on the watching thread; return false to stop the watch.
// ERROR events that mean 410 end the watch with kGone after being delivered.
using WatchCallback = std::function<bool(const WatchEvent&)>;

// A coordination.k8s.io/v1 Lease, the fields leader election uses.
struct Lease {
  std::string name;
  std::string holder_identity;
  int lease_duration_seconds = 0;
  std::string acquire_time;  // RFC 3339 MicroTime, "" if unset
  std::string renew_time;
  int lease_transitions = 0;
  std::string resource_version;  // "" when creating; the precondition when updating
};

// An event about an object (events.k8s.io/v1 Event).
struct EventSpec {
  nlohmann::json regarding;  // ObjectReference: apiVersion, kind, namespace, name, uid
  std::string type = "Normal";  // Normal | Warning
  std::string reason;           // CamelCase, e.g. "PartitionCreated"
  std::string action;           // e.g. "Create"
  std::string note;             // human message, no secrets
  std::string reporting_controller = "pgpart.io/operator";
  std::string reporting_instance;  // pod name
};

struct PatchStatusOptions {
  std::string resource_version;  // precondition: fail with 409 if the object changed; "" = none
  int max_attempts = 4;          // total tries on 409 before giving up
  // On 409 the client fetches the latest object and calls this to rebuild the patch (nullopt =
  // give up with the 409). Unset: the same patch is retried on the latest resourceVersion.
  std::function<std::optional<nlohmann::json>(const nlohmann::json& latest)> on_conflict;
};

class Client {
 public:
  // A client for `config`. `request_timeout_seconds` bounds ordinary calls (watches get their
  // timeout_seconds plus a margin).
  explicit Client(ClusterConfig config, int request_timeout_seconds = 30);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One page of `resource` in namespace `ns` ("" = all namespaces).
  Result<ObjectList> List(const Resource& resource, const std::string& ns,
                          const ListOptions& options = {});
  // All pages, following continue tokens (at most `page_size` items per request; 0 = one request).
  Result<ObjectList> ListAll(const Resource& resource, const std::string& ns, int page_size = 500);

  // Watches `resource` in `ns` ("" = all) from options.resource_version, delivering events until
  // the stream ends, breaks, or the callback returns false. Blocks the calling thread.
  WatchResult Watch(const Resource& resource, const std::string& ns, const WatchOptions& options,
                    const WatchCallback& on_event);

  // GET one object.
  Result<nlohmann::json> Get(const Resource& resource, const std::string& ns,
                             const std::string& name);
  // POST a new object; 409 AlreadyExists if it exists.
  Result<nlohmann::json> Create(const Resource& resource, const std::string& ns,
                                const nlohmann::json& object);
  // PUT an object; its metadata.resourceVersion is the precondition (409 Conflict if stale).
  Result<nlohmann::json> Replace(const Resource& resource, const std::string& ns,
                                 const nlohmann::json& object);

  // Merge-patches the /status subresource, retrying on 409 as `options` say. Returns the object.
  Result<nlohmann::json> PatchStatus(const Resource& resource, const std::string& ns,
                                     const std::string& name, const nlohmann::json& patch,
                                     const PatchStatusOptions& options = {});

  // A Secret's data, base64-decoded.
  Result<std::map<std::string, std::string>> GetSecret(const std::string& ns,
                                                       const std::string& name);

  // Lease operations with optimistic concurrency: Update sends lease.resource_version and fails
  // with 409 when someone else updated it first; Create fails with 409 if it exists.
  Result<Lease> GetLease(const std::string& ns, const std::string& name);
  Result<Lease> CreateLease(const std::string& ns, const Lease& lease);
  Result<Lease> UpdateLease(const std::string& ns, const Lease& lease);

  // Records an event in `ns` (events.k8s.io/v1, named EventName(regarding name, now); the
  // reporting instance, action and reason cut to the API server's 128 bytes, the note to 1024).
  Result<nlohmann::json> CreateEvent(const std::string& ns, const EventSpec& event);

  // Aborts watches in progress (they end with kStopped) and makes later calls fail fast; for
  // shutdown from another thread.
  void Cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "/api/v1/namespaces/ns/secrets/name" style path of a collection (name "") or an object.
std::string ResourcePath(const Resource& resource, const std::string& ns,
                         const std::string& name = "", const std::string& subresource = "");

// The current time as a Kubernetes MicroTime ("2024-03-01T10:00:00.123456Z").
std::string NowMicroTime();

// The name of a new Event about the object `regarding`: "<regarding>.<unix nanoseconds in hex>",
// as client-go's event recorders name theirs, with `regarding` cut (and any '.' or '-' it then
// ends with dropped) so that the whole is a DNS subdomain of at most 253 characters, as the API
// server requires. (A generateName of "<regarding>." is refused: the server checks a name prefix
// as a DNS subdomain too, and one cannot end with a dot.)
std::string EventName(const std::string& regarding, long long unix_nanos);

}  // namespace pgpart::k8s
