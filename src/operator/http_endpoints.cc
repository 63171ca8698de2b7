// The operator's (and `pgpart status --serve`'s) HTTP endpoints over a cpprestsdk listener. The
// only file that includes cpprestsdk, so that its headers (and their macros) stay out of the rest.

#include "operator/http_endpoints.h"

#include <cpprest/http_listener.h>

#include <exception>
#include <iostream>
#include <mutex>
#include <set>
#include <utility>

namespace pgpart::op {
namespace {

namespace http = web::http;
using http::experimental::listener::http_listener;

constexpr char kPlainText[] = "text/plain; charset=utf-8";

// The "host:port" keys (cpprestsdk's own) this process listens on. cpprestsdk 2.10 keeps one
// acceptor per key, and a second listener on a key that is already open fails *and* erases the
// working acceptor (http_linux_server::register_listener's catch block), silently killing the
// first server. So a second Open on the same key is refused here, before cpprestsdk sees it.
std::mutex open_keys_mutex;
std::set<std::string> open_keys;

void Reply(const http::http_request& request, const HttpResponse& response,
           bool allow_get_only = false) {
  http::http_response reply(static_cast<http::status_code>(response.status));
  // RFC 9110 §15.5.6: a 405 must say which methods the resource does allow.
  if (allow_get_only) reply.headers().add("Allow", "GET");
  reply.set_body(response.body, response.content_type);
  request.reply(reply).wait();
}

}  // namespace

std::optional<ListenAddress> ParseListenAddress(const std::string& text, std::string* error,
                                                const std::string& default_host) {
  ListenAddress address{default_host, 0};
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
    // More than one colon without brackets: an IPv6 address whose port cannot be told apart.
    if (text.find(':') != colon) {
      *error = "'" + text + "': write IPv6 addresses in brackets, e.g. [::1]:9187";
      return std::nullopt;
    }
    if (colon > 0) address.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  // At most 5 digits, so std::stoi cannot overflow or throw.
  if (address.host.empty() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
      std::stoi(port) > 65535) {
    *error = "'" + text + "' is not HOST:PORT with a port in 1..65535 (e.g. 127.0.0.1:9187)";
    return std::nullopt;
  }
  address.port = std::stoi(port);
  return address;
}

struct HttpEndpoints::Impl {
  std::unique_ptr<http_listener> listener;
  HttpHandlers handlers;  // read-only while the listener runs: no lock needed
  std::string url;
  std::string key;  // in open_keys while listening

  void Handle(const http::http_request& request) const {
    const std::string path = request.relative_uri().path();
    try {
      auto handler = handlers.find(path);
      if (handler == handlers.end()) {
        Reply(request, {404, "not found\n", kPlainText});
      } else if (request.method() != http::methods::GET) {
        Reply(request, {405, "method not allowed\n", kPlainText}, /*allow_get_only=*/true);
      } else {
        HttpResponse response;
        try {
          response = handler->second();
        } catch (const std::exception& e) {
          response = {500, std::string("internal error: ") + e.what() + "\n", kPlainText};
        }
        Reply(request, response);
      }
    } catch (const std::exception& e) {
      // The client went away mid-reply: nothing to answer, keep serving.
      std::cerr << "warning: replying to " << path << ": " << e.what() << "\n";
    }
  }
};

HttpEndpoints::HttpEndpoints() : impl_(std::make_unique<Impl>()) {}

HttpEndpoints::~HttpEndpoints() { Close(); }

bool HttpEndpoints::Open(const ListenAddress& address, HttpHandlers handlers, std::string* error) {
  if (impl_->listener) {
    *error = "already listening on " + impl_->url;
    return false;
  }
  const bool v6 = address.host.find(':') != std::string::npos;
  impl_->url = "http://" + (v6 ? "[" + address.host + "]" : address.host) + ":" +
               std::to_string(address.port) + "/";
  if (v6) {
    // cpprestsdk 2.10's listener splits "host:port" at the first colon, so an IPv6 host can
    // never be resolved; say so rather than pass on its "resolve: Service not found".
    *error = "cannot listen on " + impl_->url +
             ": IPv6 addresses are not supported (use an IPv4 address, e.g. 0.0.0.0)";
    return false;
  }
  const std::string key = address.host + ":" + std::to_string(address.port);
  std::lock_guard<std::mutex> lock(open_keys_mutex);
  if (open_keys.count(key) > 0) {
    *error = "cannot listen on " + impl_->url + ": this process already listens there";
    return false;
  }
  impl_->handlers = std::move(handlers);
  try {
    auto listener = std::make_unique<http_listener>(impl_->url);
    const Impl* impl = impl_.get();
    listener->support([impl](const http::http_request& request) { impl->Handle(request); });
    listener->open().wait();
    impl_->listener = std::move(listener);
  } catch (const std::exception& e) {
    // Bad URIs throw from the constructor, busy ports (EADDRINUSE) from open().
    *error = "cannot listen on " + impl_->url + ": " + e.what();
    return false;
  }
  open_keys.insert(key);
  impl_->key = key;
  return true;
}

std::string HttpEndpoints::Url() const { return impl_->url; }

void HttpEndpoints::Close() {
  if (!impl_ || !impl_->listener) return;
  try {
    impl_->listener->close().wait();
  } catch (const std::exception& e) {
    std::cerr << "warning: closing the listener on " << impl_->url << ": " << e.what() << "\n";
  }
  impl_->listener.reset();
  std::lock_guard<std::mutex> lock(open_keys_mutex);
  open_keys.erase(impl_->key);
}

}  // namespace pgpart::op
