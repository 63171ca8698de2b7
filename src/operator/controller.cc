// The operator's threads: informer, workers, leader elector, endpoints; the main thread waits for
// SIGTERM/SIGINT and shuts them down in order (finish the step, release the lease, exit 0).

#include "operator/controller.h"

#include <malloc.h>
#include <pplx/threadpool.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/json_text.h"
#include "core/utf8.h"
#include "k8s/client.h"
#include "operator/claims.h"
#include "operator/events.h"
#include "operator/http_endpoints.h"
#include "operator/metrics.h"
#include "operator/reconciler.h"
#include "operator/spec.h"
#include "policy/yaml_guard.h"

namespace pgpart::op {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class Controller {
 public:
  Controller(const k8s::ClusterConfig& cluster, const ControllerOptions& options)
      : options_(options),
        cluster_(cluster),
        logger_(MakeLogger()),
        api_(cluster),
        watch_api_(cluster),
        queue_(options.backoff),
        events_(api_, options.leader.identity, std::chrono::hours(1),
                [this](const std::string& line) { logger_->warn("{}", line); }),
        reconciler_(api_, events_, metrics_, MakeReconcilerOptions()) {}

  ~Controller() { spdlog::drop("pgpart-operator"); }

  int Run(const sigset_t& stop_signals) {
    if (!OpenEndpoints()) return 1;
    logger_->info("pgpart operator starting: namespace {}, identity {}, resync {}s{}",
                  options_.watch_namespace.empty() ? "(all)" : options_.watch_namespace,
                  options_.leader.identity, options_.resync.count() / 1000,
                  options_.leader_elect ? ", leader election on Lease " +
                                              options_.leader.lease_namespace + "/" +
                                              options_.leader.lease_name
                                        : "");
    if (options_.leader_elect) {
      LeaderCallbacks callbacks;
      callbacks.on_started_leading = [this] { StartedLeading(); };
      callbacks.on_stopped_leading = [this] {
        leading_ = false;
        metrics_.SetLeader(false);
        logger_->info("stopped leading");
      };
      callbacks.on_log = [this](const std::string& line) { logger_->info("{}", line); };
      // Its own client, with calls bounded well inside the renew deadline: a hung API call must
      // not keep a leader that can no longer renew from noticing before others take over.
      const int timeout = std::max<int>(1, options_.leader.renew_deadline.count() / 2000);
      lease_api_ = std::make_unique<k8s::Client>(cluster_, timeout);
      elector_ = std::make_unique<LeaderElector>(*lease_api_, options_.leader, callbacks);
    }
    informer_ = std::thread([this] { Inform(); });
    for (int i = 0; i < std::max(1, options_.workers); ++i) {
      workers_.emplace_back([this] { Work(); });
    }
    if (elector_) {
      elector_->Start();
    } else {
      StartedLeading();
    }

    int signal = 0;
    while (signal <= 0) signal = sigwaitinfo(&stop_signals, nullptr);
    logger_->info("{} received: finishing the step in progress, then stopping",
                  signal == SIGTERM ? "SIGTERM" : "SIGINT");
    stopping_ = true;
    queue_.ShutDown();
    watch_api_.Cancel();
    for (std::thread& worker : workers_) worker.join();
    informer_.join();
    if (elector_) elector_->Stop();  // releases the lease: a successor need not wait it out
    for (auto& endpoint : endpoints_) endpoint->Close();
    logger_->info("stopped");
    return 0;
  }

 private:
  static std::shared_ptr<spdlog::logger> MakeLogger() {
    auto logger = spdlog::stderr_logger_mt("pgpart-operator");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
    logger->flush_on(spdlog::level::info);
    return logger;
  }

  ReconcilerOptions MakeReconcilerOptions() {
    ReconcilerOptions ro;
    ro.actor = "pgpart-operator/" + options_.leader.identity;
    ro.audit_table = options_.audit_table;
    ro.resync = options_.resync;
    // A resync never uses a Secret read more than one resync period ago.
    ro.secret_ttl = std::min(ro.secret_ttl, options_.resync);
    ro.should_stop = [this] { return stopping_.load() || !Leading(); };
    ro.may_write_status = [this] { return Leading(); };
    // One log line per message: names and messages can hold newlines and terminal escapes.
    ro.log = [this](const std::string& line) { logger_->info("{}", EscapeControls(line)); };
    ro.earlier_claim = [this](const TableClaim& mine) {
      std::lock_guard lock(cache_mutex_);
      std::vector<const TableClaim*> others;
      others.reserve(cache_.size());
      for (const auto& [key, cached] : cache_) {
        if (cached.claim) others.push_back(&*cached.claim);
      }
      return EarlierClaim(mine, others);
    };
    return ro;
  }

  // Leading, as far as this replica can tell: the elector also says no once its renew deadline
  // has passed, even while a slow call keeps it from calling on_stopped_leading.
  bool Leading() const { return leading_.load() && (!elector_ || elector_->IsLeader()); }

  void StartedLeading() {
    leading_ = true;
    metrics_.SetLeader(true);
    logger_->info("started leading as {}", options_.leader.identity);
    std::lock_guard lock(cache_mutex_);
    for (const auto& [key, object] : cache_) queue_.Add(key);
  }

  bool OpenEndpoints() {
    HttpHandlers metrics{{"/metrics", [this] {
                            return HttpResponse{200, metrics_.Render(), kMetricsContentType};
                          }}};
    HttpHandlers health{
        {"/healthz", [] { return HttpResponse{200, "ok\n"}; }},
        {"/readyz", [this] {
           return synced_ ? HttpResponse{200, "ok\n"}
                          : HttpResponse{503, "waiting for the first list of PartitionPolicies\n"};
         }}};
    std::vector<std::pair<std::string, HttpHandlers>> wanted;
    if (!options_.metrics_bind.empty() && options_.metrics_bind == options_.health_bind) {
      metrics.insert(health.begin(), health.end());
      wanted.emplace_back(options_.metrics_bind, metrics);
    } else {
      if (!options_.metrics_bind.empty()) wanted.emplace_back(options_.metrics_bind, metrics);
      if (!options_.health_bind.empty()) wanted.emplace_back(options_.health_bind, health);
    }
    for (auto& [bind, handlers] : wanted) {
      std::string error;
      auto address = ParseListenAddress(bind, &error, "0.0.0.0");
      auto endpoint = std::make_unique<HttpEndpoints>();
      if (!address || !endpoint->Open(*address, handlers, &error)) {
        logger_->error("cannot serve on {}: {}", bind, error);
        return false;
      }
      logger_->info("serving {} on {}", handlers.count("/metrics") ? "/metrics" : "/healthz /readyz",
                    endpoint->Url());
      endpoints_.push_back(std::move(endpoint));
    }
    return true;
  }

  // List, then watch from the list's resourceVersion; relist when the watch cannot resume.
  void Inform() {
    auto delay = 1s;
    while (!stopping_) {
      auto list = watch_api_.ListAll(k8s::kPartitionPolicies, options_.watch_namespace);
      if (!list.ok()) {
        if (stopping_) break;
        logger_->warn("cannot list PartitionPolicies: {} (retrying in {}s)", list.error.message,
                      delay.count());
        Sleep(delay);
        delay = std::min(delay * 2, std::chrono::seconds(60));
        continue;
      }
      delay = 1s;
      Replace(list.value->items);
      std::string rv = list.value->resource_version;
      for (;;) {
        k8s::WatchOptions watch;
        watch.resource_version = rv;
        const auto started = std::chrono::steady_clock::now();
        int events = 0;
        k8s::WatchResult end = watch_api_.Watch(
            k8s::kPartitionPolicies, options_.watch_namespace, watch,
            [this, &events](const k8s::WatchEvent& e) {
              ++events;
              return OnEvent(e);
            });
        rv = end.resource_version;
        if (stopping_ || end.end == k8s::WatchEnd::kStopped) return;
        // A watch that ends (or fails) at once without an event is not resumed at once, or the
        // operator would send thousands of requests a minute: back off like client-go's reflector
        // (0.8 s doubling to 30 s), and start again from 0.8 s after a healthy watch.
        if (events > 0 || std::chrono::steady_clock::now() - started >= kHealthyWatch) {
          watch_backoff_ = kFirstWatchBackoff;
        } else {
          SleepMs(watch_backoff_);
          watch_backoff_ = std::min(watch_backoff_ * 2, kMaxWatchBackoff);
          if (stopping_) return;
        }
        if (end.end == k8s::WatchEnd::kEnded) continue;  // the server's timeout: resume
        logger_->info("watch {}: {}; listing again",
                      end.end == k8s::WatchEnd::kGone      ? "expired (410 Gone)"
                      : end.end == k8s::WatchEnd::kDropped ? "dropped"
                                                           : "failed",
                      end.error.message);
        break;  // relist: nothing missed, whatever happened to the stream
      }
    }
  }

  void SleepMs(std::chrono::milliseconds d) {
    for (auto until = std::chrono::steady_clock::now() + d;
         !stopping_ && std::chrono::steady_clock::now() < until;) {
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(100ms, d));
    }
  }

  void Sleep(std::chrono::seconds d) {
    for (auto until = std::chrono::steady_clock::now() + d;
         !stopping_ && std::chrono::steady_clock::now() < until;) {
      std::this_thread::sleep_for(100ms);
    }
  }

  // A full list: new or changed (generation) objects are queued, vanished ones forgotten.
  void Replace(const std::vector<json>& items) {
    // This thread is cache_'s only writer: which items changed holds until they are stored below,
    // and what they claim is parsed meanwhile without the lock, the YAML check of all their
    // texts in one child process (the workers keep reading the cache).
    std::vector<char> changed(items.size());
    {
      std::lock_guard lock(cache_mutex_);
      for (size_t i = 0; i < items.size(); ++i) changed[i] = !synced_ || Changed(items[i]);
    }
    std::vector<std::string> texts;
    for (size_t i = 0; i < items.size(); ++i) {
      if (changed[i]) texts.push_back(ResourceText(items[i]));
    }
    PrecheckYamlIsolated(texts);
    std::vector<std::optional<TableClaim>> claims(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      if (changed[i]) claims[i] = ClaimOf(items[i]);
    }

    std::lock_guard lock(cache_mutex_);
    std::set<std::string> seen;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string key = ObjectKey(items[i]);
      seen.insert(key);
      Store(key, items[i], changed[i] != 0, std::move(claims[i]));
    }
    for (auto it = cache_.begin(); it != cache_.end();) {
      if (seen.count(it->first) == 0) {
        Deleted(it->first);
        std::optional<TableClaim> gone = std::move(it->second.claim);
        it = cache_.erase(it);
        QueueSharing(gone);
      } else {
        ++it;
      }
    }
    metrics_.SetPolicies(static_cast<int>(cache_.size()));
    if (!synced_) logger_->info("listed {} PartitionPolicies", cache_.size());
    synced_ = true;
  }

  bool OnEvent(const k8s::WatchEvent& e) {
    if (e.type == k8s::WatchEventType::kBookmark || e.type == k8s::WatchEventType::kError) {
      return !stopping_;
    }
    const std::string key = ObjectKey(e.object);
    if (e.type == k8s::WatchEventType::kDeleted) {
      std::lock_guard lock(cache_mutex_);
      Deleted(key);
      auto it = cache_.find(key);
      if (it != cache_.end()) {
        std::optional<TableClaim> gone = std::move(it->second.claim);
        cache_.erase(it);
        QueueSharing(gone);
      }
      metrics_.SetPolicies(static_cast<int>(cache_.size()));
      return !stopping_;
    }
    // Our own status writes come back as MODIFIED with the same generation: not queued again.
    // As in Replace, what a changed object claims is parsed without the lock.
    bool changed;
    {
      std::lock_guard lock(cache_mutex_);
      changed = Changed(e.object);
    }
    std::optional<TableClaim> claim;
    if (changed) claim = ClaimOf(e.object);
    std::lock_guard lock(cache_mutex_);
    Store(key, e.object, changed, std::move(claim));
    metrics_.SetPolicies(static_cast<int>(cache_.size()));
    return !stopping_;
  }

  // Whether `object` is new to the cache or another generation or object (a policy deleted and
  // created again under the same name while the watch was down has another uid, and may well
  // have generation 1 again). The caller holds cache_mutex_.
  bool Changed(const json& object) const {
    auto it = cache_.find(ObjectKey(object));
    return it == cache_.end() || it->second.generation != Generation(object) ||
           it->second.uid != Uid(object);
  }

  // Caches `object` under `key`; a changed one (new, new generation or uid), with what it claims
  // (ClaimOf), is queued, and so is every other policy that shares one of its tables in the same
  // database before or after the change: one of them may now be free of a conflict, or in one
  // (claims.h). The caller holds cache_mutex_.
  void Store(const std::string& key, const json& object, bool changed,
             std::optional<TableClaim> claim) {
    Cached& cached = cache_[key];
    cached.generation = Generation(object);
    cached.text = JsonText(CacheView(object));
    cached.uid = Uid(object);
    if (!changed) return;
    std::optional<TableClaim> before = std::move(cached.claim);
    cached.claim = std::move(claim);
    queue_.Add(key);
    QueueSharing(before);
    QueueSharing(cached.claim);
  }

  // Queues every cached policy (but `claim`'s own) that shares a table with `claim` in the same
  // database. The caller holds cache_mutex_.
  void QueueSharing(const std::optional<TableClaim>& claim) {
    if (!claim) return;
    for (const auto& [key, cached] : cache_) {
      if (key != claim->key && cached.claim && SharedTable(*claim, *cached.claim)) {
        queue_.Add(key);
      }
    }
  }

  static std::string Uid(const json& object) {
    return object.value("metadata", json::object()).value("uid", "");
  }

  // A deleted PartitionPolicy: its tables are left exactly as they are.
  void Deleted(const std::string& key) {
    logger_->info("{}: deleted; its partitions are left as they are", key);
    metrics_.Forget(key);
  }

  void Work() {
    while (auto key = queue_.Get()) {
      if (!Leading()) {  // re-queued when leadership is acquired
        queue_.Done(*key);
        continue;
      }
      std::optional<json> object;
      {
        std::lock_guard lock(cache_mutex_);
        auto it = cache_.find(*key);
        if (it != cache_.end()) object = json::parse(it->second.text);
      }
      if (!object) {
        queue_.Done(*key);
        continue;
      }
      ReconcileResult result = reconciler_.Reconcile(*object);
      if (result.backoff) {
        auto delay = queue_.AddRateLimited(*key);
        logger_->info("{}: {}; retrying in {:.1f}s", *key, result.result, delay.count() / 1000.0);
      } else {
        queue_.Forget(*key);
        if (result.requeue_after) queue_.AddAfter(*key, *result.requeue_after);
      }
      queue_.Done(*key);
      // A reconcile allocates and frees a catalog, plans and JSON: hand the freed pages back
      // rather than let the heap keep its high-water mark.
      malloc_trim(0);
    }
  }

  ControllerOptions options_;
  k8s::ClusterConfig cluster_;
  std::shared_ptr<spdlog::logger> logger_;
  k8s::Client api_;
  k8s::Client watch_api_;  // cancelled at shutdown to end the watch; api_ stays usable
  WorkQueue queue_;
  Metrics metrics_;
  EventRecorder events_;
  Reconciler reconciler_;
  std::unique_ptr<k8s::Client> lease_api_;
  std::unique_ptr<LeaderElector> elector_;
  std::vector<std::unique_ptr<HttpEndpoints>> endpoints_;
  std::thread informer_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false}, leading_{false}, synced_{false};
  // The informer's cache, as JSON text: a parsed object takes several times the memory, and a
  // reconcile parses its one object in microseconds (issue 5: 100 policies in 20 MB resident).
  struct Cached {
    int64_t generation = 0;
    std::string text;
    std::string uid;
    std::optional<TableClaim> claim;  // what its spec claims; none while the spec is invalid
  };
  static constexpr std::chrono::milliseconds kFirstWatchBackoff{800};
  static constexpr std::chrono::milliseconds kMaxWatchBackoff{30'000};
  static constexpr std::chrono::seconds kHealthyWatch{1};
  std::chrono::milliseconds watch_backoff_ = kFirstWatchBackoff;
  std::mutex cache_mutex_;
  std::map<std::string, Cached> cache_;
};

}  // namespace

int RunController(const k8s::ClusterConfig& cluster, const ControllerOptions& options) {
  // Memory (issue 5: 100 policies in 20 MB resident). cpprestsdk's pool defaults to 40 threads,
  // each with its own malloc arena; the operator does a handful of API calls at a time.
  try {
    crossplat::threadpool::initialize_with_threads(2);
  } catch (const std::exception&) {
    // Already initialized (a test calling twice): keep the existing pool.
  }
  mallopt(M_ARENA_MAX, 1);  // few threads allocate, rarely at once: one heap keeps RSS low
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  Controller controller(cluster, options);
  return controller.Run(stop_signals);
}

}  // namespace pgpart::op
