#pragma once
// The Secrets reconciles read (spec.databaseRef), shared for a short while (issue 14). Many
// policies usually name one Secret — one database, many tables — and reading it in every
// reconcile made an idle operator send one Secret GET per policy per resync, over the goal of at
// most one API request per policy per resync period once leases are counted. The operator may
// only `get` Secrets (no list or watch: least privilege), so no informer keeps a copy current;
// instead a value read less than `ttl` ago is reused, and the reconciler reads afresh whenever it
// matters: for a spec edit not yet observed, and after a reconcile that failed (Forget). A
// changed Secret therefore takes effect at once for an edited or failing policy, and within
// `ttl` of the change otherwise. Failed reads are never kept. Thread-safe.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "k8s/client.h"

namespace pgpart::op {

class SecretCache {
 public:
  using Data = std::map<std::string, std::string>;

  // `client` must outlive the cache.
  SecretCache(k8s::Client& client, std::chrono::milliseconds ttl);

  // The Secret's data: the value read less than ttl ago unless `fresh`, else a GET (kept when it
  // succeeds, the entry dropped when it fails).
  k8s::Result<Data> Get(const std::string& ns, const std::string& name, bool fresh = false);
  // The next Get of this Secret reads it from the API server.
  void Forget(const std::string& ns, const std::string& name);

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    Clock::time_point read_at;
    Data data;
  };
  void PruneLocked(Clock::time_point now);

  k8s::Client& client_;
  const std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // "namespace/name": neither may contain '/'
};

}  // namespace pgpart::op
