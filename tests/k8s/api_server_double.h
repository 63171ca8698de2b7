#pragma once
// FakeApiServer: a TEST DOUBLE of the Kubernetes API server (no real one can run here). It speaks
// the real wire protocol over plain HTTP/1.1 on 127.0.0.1 so the k8s client is tested end to end:
// lists with resourceVersion and continue tokens, chunked watch streams (one JSON event per line,
// ADDED/MODIFIED/DELETED/BOOKMARK/ERROR), 410 Expired for a compacted resourceVersion, the /status
// subresource with JSON merge patch and 409 on a stale resourceVersion, create/replace with
// optimistic concurrency (Leases), Secrets and Events. A create is refused with 422 Invalid where
// the real server refuses it for a reason the client decides: a name (or generateName) that is no
// DNS subdomain, an Event field over its length limit. It keeps one store for all resource types
// with one global resourceVersion counter, like etcd. Each connection serves one request.

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "k8s/client.h"

namespace pgpart::k8s::testing {

class FakeApiServer {
 public:
  // Starts listening on an ephemeral 127.0.0.1 port.
  FakeApiServer();
  // Stops: ends open watches, closes connections and joins every thread.
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  // "http://127.0.0.1:<port>".
  std::string Url() const;
  // Requests without "Authorization: Bearer <token>" get 401 (empty = no check).
  void RequireToken(const std::string& token);

  // Test controls, as if another client changed the cluster. Put creates or replaces the object
  // (emitting ADDED/MODIFIED, bumping generation when spec changes) and returns what is stored.
  // PartitionPolicies have the status subresource: Put and PUT/POST keep the stored status
  // whatever `status` they carry; only PATCH .../status changes it.
  nlohmann::json Put(const Resource& resource, nlohmann::json object);
  void Remove(const Resource& resource, const std::string& ns, const std::string& name);
  // The stored object, if any.
  std::optional<nlohmann::json> Object(const Resource& resource, const std::string& ns,
                                       const std::string& name);
  // Compacts the history: watches from any older resourceVersion get 410 Expired; open watches
  // keep streaming.
  void Compact();
  // Sends a BOOKMARK with the current resourceVersion to open watches of `resource`.
  void Bookmark(const Resource& resource);
  // Cuts every open watch stream mid-body (no terminating chunk), as a dropped connection.
  void DropWatches();
  // The current global resourceVersion.
  std::int64_t ResourceVersion();
  // How many requests had this method and a path (without query) containing `path_part`.
  int CountRequests(const std::string& method, const std::string& path_part);
  // While set, every watch request is answered with an empty stream that ends at once (a proxy
  // that cuts long requests, a server shutting down): the client must back off, not spin.
  void EndWatchesAtOnce(bool on);
  // Fault injection the real server cannot do on demand: the next `times` requests with this
  // method and a path containing `path_part` get `status` (429, 503, ...) with a Status body and,
  // when not empty, a `Retry-After: <retry_after>` header.
  void Fail(const std::string& method, const std::string& path_part, int times, int status,
            const std::string& retry_after = "");

 private:
  struct Request;
  struct Entry {
    std::int64_t rv = 0;
    std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK
    nlohmann::json object;
  };
  struct Collection {
    std::map<std::string, nlohmann::json> objects;  // "ns/name" → object
    std::vector<Entry> log;
  };

  void AcceptLoop();
  void Serve(int fd);
  void Respond(int fd, int status, const nlohmann::json& body,
               const std::string& extra_headers = "");
  struct Fault {
    std::string method, path_part;
    int remaining = 0;
    int status = 0;
    std::string retry_after;
  };
  std::vector<Fault> faults_;
  bool end_watches_at_once_ = false;
  void HandleWatch(int fd, const Request& request, const std::string& collection,
                   const std::string& ns);
  nlohmann::json StoreLocked(Collection& c, const std::string& key, nlohmann::json object,
                             const std::string& type, bool status_write = false);

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  int drop_generation_ = 0;
  std::string token_;
  std::int64_t rv_ = 1000;
  std::int64_t compacted_ = 0;
  int name_counter_ = 0;
  std::map<std::string, Collection> collections_;
  std::vector<std::pair<std::string, std::string>> requests_;  // method, path
  std::vector<std::thread> connections_;
};

}  // namespace pgpart::k8s::testing
