// Leader election over a Lease (see leader.h). One thread per elector runs the candidate/leader
// loop; every wait is on a condition variable so Stop() is prompt.

#include "operator/leader.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

namespace pgpart::op {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// leaseDurationSeconds is whole seconds; round up so others never wait less than we promised.
int LeaseSeconds(milliseconds duration) {
  return static_cast<int>(std::max<long long>(1, (duration.count() + 999) / 1000));
}

std::string Describe(const k8s::ApiError& error) {
  return std::to_string(error.status) + " " + error.reason + ": " + error.message;
}

}  // namespace

struct LeaderElector::Impl {
  // What one TryAcquireOrRenew found.
  enum class Attempt {
    kHeld,         // we hold the Lease now (acquired or renewed)
    kHeldByOther,  // someone else holds it, or won the race for it (409)
    kFailed,       // the API could not be reached or answered with an error: unknown
  };

  Impl(k8s::Client& c, LeaderConfig cfg, LeaderCallbacks cb)
      : client(c),
        config(std::move(cfg)),
        callbacks(std::move(cb)),
        random(std::random_device{}()) {}

  void Run();
  // Leads until the Lease is lost or Stop() is called.
  void Lead();
  Attempt TryAcquireOrRenew();
  // Remembers `lease` as the latest record; restarts the expiry clock when it changed.
  void Observe(const k8s::Lease& lease, Clock::time_point now);
  bool ExpiredForUs(const k8s::Lease& lease, Clock::time_point now) const;
  void Release();
  // Waits `duration` or until Stop(); false when stopping.
  bool WaitFor(milliseconds duration);
  bool StopRequested();
  void Log(const std::string& message);
  void Call(const std::function<void()>& callback, const char* name);

  k8s::Client& client;
  LeaderConfig config;
  LeaderCallbacks callbacks;

  std::mutex mutex;
  std::condition_variable cv;
  bool stop_requested = false;  // guarded by mutex
  std::thread thread;

  std::atomic<bool> leader{false};
  // Steady-clock ticks at the start of the last successful acquire/renew; IsLeader() reads it so
  // leadership ends on time even while the elector thread is stuck in a slow API call.
  std::atomic<Clock::rep> renewed_at{0};

  // Elector-thread state.
  std::optional<k8s::Lease> observed;  // the record as last read or written
  Clock::time_point observed_at;       // local time it last changed (holder or renewTime)
  std::string last_log;                // to say a repeated failure once, not every retry
  std::minstd_rand random;
};

void LeaderElector::Impl::Log(const std::string& message) {
  if (message == last_log || !callbacks.on_log) return;
  last_log = message;
  try {
    callbacks.on_log(message);
  } catch (...) {
    // A logger that throws must not take the elector down.
  }
}

void LeaderElector::Impl::Call(const std::function<void()>& callback, const char* name) {
  if (!callback) return;
  try {
    callback();
  } catch (const std::exception& e) {
    Log(std::string("leader election: ") + name + " threw: " + e.what());
  } catch (...) {
    Log(std::string("leader election: ") + name + " threw");
  }
}

bool LeaderElector::Impl::StopRequested() {
  std::lock_guard lock(mutex);
  return stop_requested;
}

bool LeaderElector::Impl::WaitFor(milliseconds duration) {
  std::unique_lock lock(mutex);
  return !cv.wait_for(lock, duration, [this] { return stop_requested; });
}

void LeaderElector::Impl::Observe(const k8s::Lease& lease, Clock::time_point now) {
  if (!observed || observed->holder_identity != lease.holder_identity ||
      observed->renew_time != lease.renew_time) {
    observed_at = now;
  }
  observed = lease;
}

bool LeaderElector::Impl::ExpiredForUs(const k8s::Lease& lease, Clock::time_point now) const {
  // The holder's promise (the record) counts; our own setting only when the record has none.
  const milliseconds duration = lease.lease_duration_seconds > 0
                                    ? milliseconds(lease.lease_duration_seconds * 1000LL)
                                    : config.lease_duration;
  return now >= observed_at + duration;
}

LeaderElector::Impl::Attempt LeaderElector::Impl::TryAcquireOrRenew() {
  const std::string& ns = config.lease_namespace;
  const std::string now_time = k8s::NowMicroTime();
  k8s::Lease desired;
  desired.name = config.lease_name;
  desired.holder_identity = config.identity;
  desired.lease_duration_seconds = LeaseSeconds(config.lease_duration);
  desired.acquire_time = now_time;
  desired.renew_time = now_time;

  // The leader renews optimistically, as client-go does: one update with the resourceVersion of
  // the record it last wrote, no read first (half the requests of an idle operator). The
  // precondition keeps it safe: if anyone wrote the Lease since (409) or removed it (404), the
  // read below decides as for any candidate.
  if (leader && observed && observed->holder_identity == config.identity &&
      !observed->resource_version.empty()) {
    k8s::Lease renewal = desired;
    renewal.resource_version = observed->resource_version;
    if (!observed->acquire_time.empty()) renewal.acquire_time = observed->acquire_time;
    renewal.lease_transitions = observed->lease_transitions;
    k8s::Result<k8s::Lease> renewed = client.UpdateLease(ns, renewal);
    if (renewed.ok()) {
      Observe(*renewed.value, Clock::now());
      return Attempt::kHeld;
    }
    if (renewed.error.status != 409 && renewed.error.status != 404) {
      Log("leader election: cannot renew Lease " + ns + "/" + config.lease_name + ": " +
          Describe(renewed.error));
      return Attempt::kFailed;
    }
  }

  k8s::Result<k8s::Lease> current = client.GetLease(ns, config.lease_name);
  if (!current.ok() && current.error.status == 404) {
    k8s::Result<k8s::Lease> created = client.CreateLease(ns, desired);
    if (created.ok()) {
      Observe(*created.value, Clock::now());
      return Attempt::kHeld;
    }
    if (created.error.status == 409) return Attempt::kHeldByOther;  // another candidate won
    Log("leader election: cannot create Lease " + ns + "/" + config.lease_name + ": " +
        Describe(created.error));
    return Attempt::kFailed;
  }
  if (!current.ok()) {
    Log("leader election: cannot read Lease " + ns + "/" + config.lease_name + ": " +
        Describe(current.error));
    return Attempt::kFailed;
  }

  const k8s::Lease& record = *current.value;
  const Clock::time_point read_at = Clock::now();
  if (!record.holder_identity.empty() && record.holder_identity != config.identity &&
      (!observed || observed->holder_identity != record.holder_identity)) {
    Log("leader election: the Lease is held by " + record.holder_identity);
  }
  Observe(record, read_at);
  const bool ours = record.holder_identity == config.identity;
  if (!ours && !record.holder_identity.empty() && !ExpiredForUs(record, read_at)) {
    return Attempt::kHeldByOther;
  }
  if (ours) {
    // Renewal: the term continues.
    if (!record.acquire_time.empty()) desired.acquire_time = record.acquire_time;
    desired.lease_transitions = record.lease_transitions;
  } else {
    desired.lease_transitions = record.lease_transitions + 1;
  }
  // The resourceVersion we read is the precondition: of two candidates, only one can succeed.
  desired.resource_version = record.resource_version;
  k8s::Result<k8s::Lease> updated = client.UpdateLease(ns, desired);
  if (updated.ok()) {
    Observe(*updated.value, Clock::now());
    return Attempt::kHeld;
  }
  if (updated.error.status == 409) return Attempt::kHeldByOther;  // someone wrote it first
  Log("leader election: cannot update Lease " + ns + "/" + config.lease_name + ": " +
      Describe(updated.error));
  return Attempt::kFailed;
}

void LeaderElector::Impl::Lead() {
  Clock::time_point last_success = Clock::time_point(Clock::duration(renewed_at.load()));
  while (true) {
    // Wake at the renew deadline at the latest, so a leader that cannot renew steps down on time.
    const Clock::time_point deadline = last_success + config.renew_deadline;
    const auto until_deadline =
        std::chrono::duration_cast<milliseconds>(deadline - Clock::now()) + milliseconds(1);
    if (!WaitFor(std::max(milliseconds(0), std::min(config.retry_period, until_deadline)))) {
      return;  // Stop()
    }
    const Clock::time_point started = Clock::now();
    if (started >= deadline) {
      Log("leader election: " + config.identity + " could not renew the Lease within " +
          std::to_string(config.renew_deadline.count()) + "ms; stepping down");
      return;
    }
    switch (TryAcquireOrRenew()) {
      case Attempt::kHeld:
        last_log.clear();  // so the next outage is reported again
        last_success = started;
        renewed_at = started.time_since_epoch().count();
        break;
      case Attempt::kHeldByOther:
        // A 409 leaves `observed` naming us: someone wrote the Lease between our read and write.
        Log("leader election: " + config.identity + " lost the Lease to " +
            (observed && observed->holder_identity != config.identity
                 ? observed->holder_identity
                 : std::string("a concurrent update")));
        return;
      case Attempt::kFailed:
        break;  // logged; retry until the deadline
    }
  }
}

void LeaderElector::Impl::Release() {
  if (!observed || observed->holder_identity != config.identity) return;
  k8s::Lease released = *observed;  // keeps the resourceVersion precondition and transitions
  released.holder_identity.clear();
  released.lease_duration_seconds = 1;
  released.acquire_time = released.renew_time = k8s::NowMicroTime();
  k8s::Result<k8s::Lease> r = client.UpdateLease(config.lease_namespace, released);
  if (r.ok()) {
    Observe(*r.value, Clock::now());
    Log("leader election: " + config.identity + " released the Lease");
  } else {
    Log("leader election: " + config.identity + " could not release the Lease: " +
        Describe(r.error));
  }
}

void LeaderElector::Impl::Run() {
  // Candidates poll with a little jitter so they do not hit the API server in lockstep.
  std::uniform_int_distribution<long long> jitter(0, config.retry_period.count() / 5);
  while (!StopRequested()) {
    const Clock::time_point started = Clock::now();
    if (TryAcquireOrRenew() != Attempt::kHeld) {
      if (!WaitFor(config.retry_period + milliseconds(jitter(random)))) return;
      continue;
    }
    renewed_at = started.time_since_epoch().count();
    leader = true;
    Log("leader election: " + config.identity + " acquired the Lease " +
        config.lease_namespace + "/" + config.lease_name);
    Call(callbacks.on_started_leading, "on_started_leading");
    Lead();
    const bool stopping = StopRequested();
    if (stopping) Release();
    leader = false;
    Call(callbacks.on_stopped_leading, "on_stopped_leading");
    if (stopping || !WaitFor(config.retry_period)) return;
  }
}

LeaderElector::LeaderElector(k8s::Client& client, LeaderConfig config, LeaderCallbacks callbacks)
    : impl_(std::make_unique<Impl>(client, std::move(config), std::move(callbacks))) {
  LeaderConfig& c = impl_->config;
  // client-go insists on lease_duration > renew_deadline > retry_period; otherwise a leader may
  // still act after others took over. Say so rather than throw; keep the loop from spinning.
  if (c.renew_deadline >= c.lease_duration || c.retry_period >= c.renew_deadline) {
    impl_->Log("leader election: expected lease_duration > renew_deadline > retry_period");
  }
  c.retry_period = std::max(c.retry_period, milliseconds(10));
}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->stop_requested || impl_->thread.joinable()) return;  // stopped, or already running
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

void LeaderElector::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop_requested = true;
    // Taken out under the lock so that concurrent Stops join it once. From a callback (the
    // elector thread itself) the loop ends when the callback returns; the destructor joins.
    if (impl_->thread.joinable() && impl_->thread.get_id() != std::this_thread::get_id()) {
      thread = std::move(impl_->thread);
    }
  }
  impl_->cv.notify_all();
  if (thread.joinable()) thread.join();
}

bool LeaderElector::IsLeader() const {
  if (!impl_->leader) return false;
  const Clock::time_point renewed{Clock::duration(impl_->renewed_at.load())};
  return Clock::now() - renewed < impl_->config.renew_deadline;
}

}  // namespace pgpart::op
