// The `pgpart status --serve` exporter: a cpprestsdk listener over a cached rendering.

#include "cli/exporter.h"

#include <cpprest/http_listener.h>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>

namespace pgpart::cli {
namespace {

namespace http = web::http;
using http::experimental::listener::http_listener;

constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// What scrapes read: guarded by `mutex`, written by the refresh loop.
struct Cache {
  std::mutex mutex;
  std::string status_metrics;  // the last good status rendering
  ExporterHealth health;
};

void Handle(Cache& cache, const http::http_request& request) {
  const std::string path = request.relative_uri().path();
  const bool get = request.method() == http::methods::GET;
  try {
    if (get && path == "/metrics") {
      std::string body;
      {
        std::lock_guard<std::mutex> lock(cache.mutex);
        body = cache.status_metrics + RenderExporterMetrics(cache.health);
      }
      request.reply(http::status_codes::OK, std::move(body), kMetricsContentType).wait();
    } else if (get && path == "/healthz") {
      request.reply(http::status_codes::OK, std::string("ok\n"), "text/plain; charset=utf-8")
          .wait();
    } else {
      request.reply(http::status_codes::NotFound, std::string("not found\n"),
                    "text/plain; charset=utf-8")
          .wait();
    }
  } catch (const std::exception& e) {
    // The client went away mid-reply: nothing to answer, keep serving.
    std::cerr << "warning: replying to " << path << ": " << e.what() << "\n";
  }
}

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

std::optional<ListenAddress> ParseListenAddress(const std::string& text, std::string* error) {
  ListenAddress address{"127.0.0.1", 0};
  std::string port = text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *error = "'" + text + "' is not [IPv6]:PORT";
      return std::nullopt;
    }
    address.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (size_t colon = text.rfind(':'); colon != std::string::npos) {
    if (text.find(':') != colon) {
      *error = "'" + text + "': write IPv6 addresses in brackets, e.g. [::1]:9187";
      return std::nullopt;
    }
    if (colon > 0) address.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (address.host.empty() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
      std::stoi(port) > 65535) {
    *error = "'" + text + "' is not HOST:PORT with a port in 1..65535 (e.g. 127.0.0.1:9187)";
    return std::nullopt;
  }
  address.port = std::stoi(port);
  return address;
}

std::string RenderExporterMetrics(const ExporterHealth& health) {
  std::string out;
  out += "# HELP pgpart_scrape_errors_total Status refreshes (catalog read and plan) that failed.\n";
  out += "# TYPE pgpart_scrape_errors_total counter\n";
  out += fmt::format("pgpart_scrape_errors_total {}\n", health.refresh_errors);
  out += "# HELP pgpart_refresh_success Whether the latest status refresh succeeded (1) or not (0).\n";
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

int ServeMetrics(const ListenAddress& address, int64_t interval_ms, const MetricsRefresh& refresh) {
  // Blocked before the listener's threads exist, so they inherit the mask and the signals are
  // only ever taken by sigtimedwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Cache cache;
  Refresh(cache, refresh);  // before listening: the first scrape already has data

  const bool v6 = address.host.find(':') != std::string::npos;
  const std::string url = fmt::format("http://{}{}{}:{}/", v6 ? "[" : "", address.host,
                                      v6 ? "]" : "", address.port);
  std::unique_ptr<http_listener> listener;
  try {
    listener = std::make_unique<http_listener>(url);
    listener->support([&cache](const http::http_request& request) { Handle(cache, request); });
    listener->open().wait();
  } catch (const std::exception& e) {
    std::cerr << "error: cannot listen on " << url << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "pgpart: serving /metrics and /healthz on " << url << " (refresh every "
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
  try {
    listener->close().wait();
  } catch (const std::exception& e) {
    std::cerr << "warning: closing the listener: " << e.what() << "\n";
  }
  return 0;
}

}  // namespace pgpart::cli
