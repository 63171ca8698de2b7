// Secrets shared between reconciles for a short while (see secret_cache.h).

#include "operator/secret_cache.h"

#include <utility>

namespace pgpart::op {

SecretCache::SecretCache(k8s::Client& client, std::chrono::milliseconds ttl)
    : client_(client), ttl_(ttl) {}

void SecretCache::PruneLocked(Clock::time_point now) {
  // Expired values go at once: a Secret no policy names any more does not stay in memory.
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now - it->second.read_at >= ttl_ ? entries_.erase(it) : std::next(it);
  }
}

k8s::Result<SecretCache::Data> SecretCache::Get(const std::string& ns, const std::string& name,
                                               bool fresh) {
  const std::string key = ns + "/" + name;
  {
    std::lock_guard lock(mutex_);
    PruneLocked(Clock::now());
    const auto it = entries_.find(key);
    if (it != entries_.end() && !fresh) return k8s::Result<Data>{it->second.data, {}};
  }
  // Read outside the lock: a slow API server must not hold up reconciles of other Secrets.
  const Clock::time_point started = Clock::now();
  k8s::Result<Data> read = client_.GetSecret(ns, name);
  std::lock_guard lock(mutex_);
  if (read.ok()) {
    // Of two reads at once, the one that started later is the newer value.
    auto& entry = entries_[key];
    if (entry.read_at <= started) entry = Entry{started, *read.value};
  } else {
    entries_.erase(key);
  }
  return read;
}

void SecretCache::Forget(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mutex_);
  entries_.erase(ns + "/" + name);
}

}  // namespace pgpart::op
