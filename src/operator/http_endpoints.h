#pragma once
// A small HTTP server (cpprestsdk listener) for /metrics, /healthz and /readyz: the operator's
// and `pgpart status --serve`'s. Handlers run on the listener's threads and must be quick (serve
// cached text, never do database or API work per request).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace pgpart::op {

// Where to listen: a host and a port. IPv4 only in practice: HttpEndpoints refuses IPv6 hosts
// (cpprestsdk 2.10's listener cannot bind them), though ParseListenAddress reads "[V6]:PORT".
struct ListenAddress {
  std::string host;
  int port = 0;
};

// Parses "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT". A missing host is `default_host`
// ("127.0.0.1" for `pgpart status --serve`, "0.0.0.0" — every interface — for the operator, as
// Kubernetes components read ":8080"). Nullopt (with `error` set) when malformed or the port is
// outside 1..65535.
std::optional<ListenAddress> ParseListenAddress(const std::string& text, std::string* error,
                                                const std::string& default_host = "127.0.0.1");

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

// GET path → handler. Other paths get 404, other methods 405.
using HttpHandlers = std::map<std::string, std::function<HttpResponse()>>;

class HttpEndpoints {
 public:
  HttpEndpoints();
  ~HttpEndpoints();  // Close()
  HttpEndpoints(const HttpEndpoints&) = delete;
  HttpEndpoints& operator=(const HttpEndpoints&) = delete;

  // Starts listening; false with `error` set when the address cannot be bound (busy, not this
  // host's, IPv6) or this process already listens on it (through another HttpEndpoints).
  bool Open(const ListenAddress& address, HttpHandlers handlers, std::string* error);
  // "http://HOST:PORT/" as listened on.
  std::string Url() const;
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Prometheus text format's content type.
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace pgpart::op
