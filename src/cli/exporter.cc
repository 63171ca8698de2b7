// The `pgpart status --serve` exporter: the operator's HttpEndpoints over a cached rendering.

#include "cli/exporter.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <iostream>
#include <mutex>
#include <string>
#include <utility>

namespace pgpart::cli {
namespace {

// What scrapes read: guarded by `mutex`, written by the refresh loop.
struct Cache {
  std::mutex mutex;
  std::string status_metrics;  // the last good status rendering
  ExporterHealth health;
};

double UnixSeconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

void Refresh(Cache& cache, const MetricsRefresh& refresh) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::string> metrics = refresh();
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard<std::mutex> lock(cache.mutex);
  if (metrics) {
    cache.status_metrics = std::move(*metrics);
  } else {
    ++cache.health.refresh_errors;
  }
  cache.health.last_refresh_ok = metrics.has_value();
  cache.health.last_refresh_unix_seconds = UnixSeconds();
  cache.health.last_refresh_duration_seconds = took;
}

}  // namespace

std::string RenderExporterMetrics(const ExporterHealth& health) {
  std::string out;
  out +=
      "# HELP pgpart_scrape_errors_total Status refreshes (policy files, catalog read, plan) "
      "that failed.\n";
  out += "# TYPE pgpart_scrape_errors_total counter\n";
  out += fmt::format("pgpart_scrape_errors_total {}\n", health.refresh_errors);
  out +=
      "# HELP pgpart_refresh_success Whether the latest status refresh succeeded (1) or not (0).\n";
  out += "# TYPE pgpart_refresh_success gauge\n";
  out += fmt::format("pgpart_refresh_success {}\n", health.last_refresh_ok ? 1 : 0);
  out += "# HELP pgpart_last_refresh_timestamp_seconds When the latest status refresh finished.\n";
  out += "# TYPE pgpart_last_refresh_timestamp_seconds gauge\n";
  out += fmt::format("pgpart_last_refresh_timestamp_seconds {:.3f}\n",
                     health.last_refresh_unix_seconds);
  out += "# HELP pgpart_refresh_duration_seconds How long the latest status refresh took.\n";
  out += "# TYPE pgpart_refresh_duration_seconds gauge\n";
  out += fmt::format("pgpart_refresh_duration_seconds {:.6f}\n",
                     health.last_refresh_duration_seconds);
  return out;
}

int ServeMetrics(const op::ListenAddress& address, int64_t interval_ms,
                 const MetricsRefresh& refresh) {
  // Blocked before the listener's threads exist, so they inherit the mask and the signals are
  // only ever taken by sigtimedwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Cache cache;
  Refresh(cache, refresh);  // before listening: the first scrape already has data

  // The handlers only copy the cached text: scrapes never touch the database.
  op::HttpHandlers handlers;
  handlers["/metrics"] = [&cache] {
    std::lock_guard<std::mutex> lock(cache.mutex);
    return op::HttpResponse{200, cache.status_metrics + RenderExporterMetrics(cache.health),
                            op::kMetricsContentType};
  };
  handlers["/healthz"] = [] { return op::HttpResponse{200, "ok\n"}; };
  op::HttpEndpoints endpoints;
  std::string error;
  if (!endpoints.Open(address, std::move(handlers), &error)) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  std::cerr << "pgpart: serving /metrics and /healthz on " << endpoints.Url() << " (refresh every "
            << interval_ms / 1000.0 << "s)\n";

  auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms);
  int stopped_by = 0;
  while (stopped_by == 0) {
    auto now = std::chrono::steady_clock::now();
    if (now >= next) {
      Refresh(cache, refresh);
      next = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms);
      continue;
    }
    const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(next - now);
    timespec timeout{static_cast<time_t>(wait.count() / 1'000'000'000),
                     static_cast<long>(wait.count() % 1'000'000'000)};
    const int signal = sigtimedwait(&stop_signals, nullptr, &timeout);
    if (signal > 0) stopped_by = signal;
    // -1 with EAGAIN: time to refresh; EINTR: wait again.
  }
  std::cerr << "pgpart: " << (stopped_by == SIGTERM ? "SIGTERM" : "SIGINT")
            << " received, stopping\n";
  endpoints.Close();
  return 0;
}

}  // namespace pgpart::cli
