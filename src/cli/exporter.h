#pragma once
// `pgpart status --serve ADDR`: a long-running Prometheus exporter over HTTP (the operator's
// HttpEndpoints). The status metrics are refreshed on a timer, never per scrape; scrapes serve the
// cached text. ADDR is parsed by op::ParseListenAddress with default host 127.0.0.1 (a local
// exporter should not be reachable from elsewhere unless asked to).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "operator/http_endpoints.h"

namespace pgpart::cli {

// The host `--serve :PORT` and `--serve PORT` listen on.
inline constexpr char kExporterDefaultHost[] = "127.0.0.1";

// The exporter's own health, rendered after the status metrics.
struct ExporterHealth {
  int64_t refresh_errors = 0;            // refreshes that failed, since start
  bool last_refresh_ok = false;          // the latest refresh succeeded
  double last_refresh_unix_seconds = 0;  // wall clock when the latest refresh finished (0: never)
  double last_refresh_duration_seconds = 0;
};

// Prometheus text (0.0.4) for the exporter's own families: pgpart_scrape_errors_total (counter),
// pgpart_refresh_success, pgpart_last_refresh_timestamp_seconds and
// pgpart_refresh_duration_seconds (gauges).
std::string RenderExporterMetrics(const ExporterHealth& health);

// One refresh: the status metrics (Prometheus text) on success; nullopt on failure (the callee has
// already said why on stderr). `pgpart status --serve` re-reads the policy files and the catalog
// in each.
using MetricsRefresh = std::function<std::optional<std::string>()>;

// Serves GET /metrics and GET /healthz on `address` (other paths: 404, other methods: 405),
// calling `refresh` once at start and then every `interval_ms`. On a failed refresh the last good
// status metrics stay and pgpart_refresh_success goes 0. Returns 0 when stopped by SIGTERM or
// SIGINT, 1 when the listener cannot start. Blocks SIGTERM/SIGINT in the calling thread (call it
// from the main thread, before any other thread starts).
int ServeMetrics(const op::ListenAddress& address, int64_t interval_ms,
                 const MetricsRefresh& refresh);

}  // namespace pgpart::cli
