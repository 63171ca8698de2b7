#include "k8s/client.h"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <cpprest/uri_builder.h>

#include <boost/asio/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "core/file_read.h"
#include "core/json_text.h"

namespace pgpart::k8s {
namespace {

namespace http = web::http;
using nlohmann::json;

struct Raw {
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, if any
};

// Throttled (429) or the server briefly unable (500, 502, 503, 504): worth sending again.
bool Retriable(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

// How long to wait before attempt `attempt` + 1: the server's Retry-After (seconds, at most 30),
// else 250 ms doubling to 4 s, as client-go does.
std::chrono::milliseconds RetryDelay(const std::string& retry_after, int attempt) {
  if (!retry_after.empty() &&
      retry_after.find_first_not_of("0123456789") == std::string::npos && retry_after.size() < 6) {
    return std::chrono::milliseconds(std::min(30, std::stoi(retry_after)) * 1000);
  }
  return std::chrono::milliseconds(std::min<int64_t>(4000, int64_t{250} << std::min(attempt, 8)));
}

ApiError TransportError(const std::string& what) { return ApiError{0, "Transport", what}; }

// The error a non-2xx response carries: its Status reason and message when the body is one.
ApiError StatusError(int status, const std::string& body) {
  ApiError error{status, "", ""};
  const json j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    error.reason = j.value("reason", "");
    error.message = j.value("message", "");
  }
  if (error.message.empty()) error.message = "HTTP " + std::to_string(status);
  return error;
}

std::string Encode(const std::string& value) { return web::uri::encode_data_string(value); }

using client_internal::Fail;
using client_internal::Ok;

// The base URI to give cpprestsdk for `server`. Its asio client hands the URI's host to the
// resolver as is, and "[fd00::1]" (an IPv6 literal, which LoadInCluster makes on IPv6 clusters)
// does not resolve (microsoft/cpprestsdk#1705). Without the brackets it resolves, and the TLS
// host check then compares the bare address with the certificate's IP entries, as it should.
// The price: the Host header reads "fd00::1:443", which the API server does not look at.
web::uri BaseUri(const std::string& server) {
  web::uri uri(server);
  const std::string& host = uri.host();
  if (host.size() < 3 || host.front() != '[' || host.back() != ']') return uri;
  web::uri_builder builder(uri);
  builder.set_host(host.substr(1, host.size() - 2));
  return builder.to_uri();
}

// What went wrong in a client's last failed TLS session. cpprestsdk reports any handshake
// failure as just "Error in SSL handshake"; an operator facing a wrong CA needs to see that the
// certificate was the problem and what OpenSSL disliked about it. Shared by the client's
// connections (they all have the same server and CA, so a race between two failures only swaps
// equivalent reasons).
struct TlsFailure {
  std::mutex mutex;
  std::string reason;  // why the server certificate was refused
  std::string alert;   // the fatal alert the server sent, e.g. "certificate required"
};

// SSL_CTX ex_data slot owning a heap std::shared_ptr<TlsFailure>: the SSL_CTX lives as long as
// its pooled connection, which may outlive the call that made it.
int TlsFailureSlot() {
  static const int slot = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<std::shared_ptr<TlsFailure>*>(ptr);
      });
  return slot;
}

// Replaces OpenSSL's chain verification with itself plus a note of the failure reason (the
// per-certificate callbacks, cpprestsdk's host-name check among them, still run inside).
int VerifyAndRecord(X509_STORE_CTX* store, void* arg) {
  const int ok = X509_verify_cert(store);
  if (ok != 1 && arg) {
    const int code = X509_STORE_CTX_get_error(store);
    auto& failure = *static_cast<std::shared_ptr<TlsFailure>*>(arg);
    std::lock_guard lock(failure->mutex);
    // A certificate that OpenSSL accepted but cpprestsdk's host-name check refused.
    failure->reason = code == X509_V_OK || code == X509_V_ERR_UNSPECIFIED
                          ? std::string("it does not name the server's host")
                          : X509_verify_cert_error_string(code);
  }
  return ok;
}

// Notes fatal alerts from the server. With TLS 1.3 a server refusing the client certificate
// says so only after the client's handshake has completed, so cpprestsdk reports a failure to
// read the status line; the alert is the only clue that mutual TLS was the problem.
void RecordAlert(const SSL* ssl, int where, int value) {
  if (!(where & SSL_CB_READ_ALERT) || (value >> 8) != SSL3_AL_FATAL) return;
  auto* failure = static_cast<std::shared_ptr<TlsFailure>*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), TlsFailureSlot()));
  if (!failure) return;
  std::lock_guard lock((*failure)->mutex);
  (*failure)->alert = SSL_alert_desc_string_long(value);
}

std::optional<WatchEventType> ParseEventType(const std::string& type) {
  if (type == "ADDED") return WatchEventType::kAdded;
  if (type == "MODIFIED") return WatchEventType::kModified;
  if (type == "DELETED") return WatchEventType::kDeleted;
  if (type == "BOOKMARK") return WatchEventType::kBookmark;
  if (type == "ERROR") return WatchEventType::kError;
  return std::nullopt;
}

}  // namespace

std::string ResourcePath(const Resource& resource, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  std::string path = resource.group.empty() ? "/api/" + resource.version
                                            : "/apis/" + resource.group + "/" + resource.version;
  if (!ns.empty()) path += "/namespaces/" + Encode(ns);
  path += "/" + resource.plural;
  if (!name.empty()) path += "/" + Encode(name);
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

struct Client::Impl {
  ClusterConfig config;
  int request_timeout_seconds;
  pplx::cancellation_token_source cancel;
  std::atomic<bool> cancelled{false};
  std::unique_ptr<http::client::http_client> client;
  std::mutex token_mutex;
  std::chrono::steady_clock::time_point token_read_at;
  // An exec credential plugin's token: until it expires (10 s early) or the server says 401.
  std::optional<int64_t> exec_expires_micros;
  bool exec_fresh = false;  // a token from the plugin is held
  std::shared_ptr<TlsFailure> tls_failure = std::make_shared<TlsFailure>();

  Impl(ClusterConfig c, int timeout) : config(std::move(c)), request_timeout_seconds(timeout) {
    token_read_at = std::chrono::steady_clock::now();
    client = std::make_unique<http::client::http_client>(BaseUri(config.server),
                                                         MakeConfig(request_timeout_seconds));
  }

  http::client::http_client_config MakeConfig(int timeout_seconds) const {
    http::client::http_client_config c;
    c.set_timeout(std::chrono::seconds(timeout_seconds));
    c.set_validate_certificates(!config.insecure_skip_tls_verify);
    const std::string ca = config.ca_pem;
    const std::string cert = config.client_cert_pem;
    const std::string key = config.client_key_pem;
    const std::shared_ptr<TlsFailure> failure = tls_failure;
    const bool verify = !config.insecure_skip_tls_verify;
    c.set_ssl_context_callback([ca, cert, key, failure, verify](boost::asio::ssl::context& ctx) {
      SSL_CTX* native = ctx.native_handle();
      auto* owned = new std::shared_ptr<TlsFailure>(failure);
      SSL_CTX_set_ex_data(native, TlsFailureSlot(), owned);
      SSL_CTX_set_info_callback(native, RecordAlert);
      // Skipping verification still runs it (the result is ignored): record no reasons then.
      if (verify) SSL_CTX_set_cert_verify_callback(native, VerifyAndRecord, owned);
      // A bad PEM leaves the context without it; the handshake then fails with a clear error.
      boost::system::error_code ignored;
      if (!ca.empty()) {
        // The configured CA is the only trust anchor, as in client-go: cpprestsdk has already
        // loaded the system store, and any public CA vouching for the server's name must not
        // let a man in the middle collect the bearer token.
        SSL_CTX_set_cert_store(native, X509_STORE_new());
        ctx.add_certificate_authority(boost::asio::buffer(ca), ignored);
      }
      if (!cert.empty()) {
        ctx.use_certificate_chain(boost::asio::buffer(cert), ignored);
        ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem, ignored);
      }
    });
    return c;
  }

  // The bearer token, re-read from token_file at most once a minute (projected tokens rotate).
  // Runs the exec plugin when its token is missing, about to expire or was refused (`force`).
  // "" on success, else why not (the request then fails with it).
  std::string RefreshExec(bool force) {
    std::lock_guard lock(token_mutex);
    const int64_t now_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    const bool expired = exec_expires_micros && *exec_expires_micros - 10'000'000 <= now_micros;
    if (exec_fresh && !force && !expired) return "";
    ExecCredential credential = RunExecPlugin(*config.exec);
    if (!credential.error.empty()) {
      exec_fresh = false;
      return credential.error;
    }
    config.token = credential.token;
    exec_expires_micros = credential.expires_micros;
    exec_fresh = true;
    return "";
  }

  std::string Token() {
    std::lock_guard lock(token_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (!config.token_file.empty() && now - token_read_at > std::chrono::minutes(1)) {
      token_read_at = now;
      // Trimmed, as at load; an unreadable, empty or oversized file keeps the token held.
      std::string text;
      if (ReadFileUpTo(config.token_file, kMaxCredentialFileBytes + 1, &text) == 0 &&
          text.size() <= kMaxCredentialFileBytes) {
        constexpr const char* kSpace = " \t\r\n\f\v";
        const size_t begin = text.find_first_not_of(kSpace);
        if (begin != std::string::npos) {
          config.token = text.substr(begin, text.find_last_not_of(kSpace) + 1 - begin);
        }
      }
    }
    return config.token;
  }

  // A transport failure's description; for a failed TLS handshake it says so, and why the
  // server certificate was refused, or which fatal alert the server sent (never anything
  // secret). Consumes the recorded reasons so that they cannot explain a later failure.
  std::string Describe(const std::exception& e) {
    std::string what = e.what();
    std::string reason;
    std::string alert;
    {
      std::lock_guard lock(tls_failure->mutex);
      reason.swap(tls_failure->reason);
      alert.swap(tls_failure->alert);
    }
    if (what.find("SSL handshake") != std::string::npos) {
      if (!reason.empty()) {
        return "TLS handshake failed: the server certificate was not accepted: " + reason +
               " (check the cluster's certificate authority and the server address)";
      }
      if (!alert.empty()) return "TLS handshake failed: the server sent the alert '" + alert + "'";
      return "TLS handshake failed (" + what + ")";
    }
    if (!alert.empty()) {
      return what + " (the server ended the TLS session with the alert '" + alert +
             "'; a client certificate it does not accept?)";
    }
    return what;
  }

  http::http_request MakeRequest(const http::method& method, const std::string& path_query) {
    http::http_request request(method);
    request.set_request_uri(web::uri(path_query));
    request.headers().add("Accept", "application/json");
    request.headers().add("User-Agent", "pgpart");
    if (const std::string token = Token(); !token.empty()) {
      request.headers().add("Authorization", "Bearer " + token);
    }
    return request;
  }

  Result<Raw> Send(const http::method& method, const std::string& path_query,
                   const json* body = nullptr,
                   const std::string& content_type = "application/json") {
    if (cancelled) return Fail<Raw>(ApiError{0, "Cancelled", "the client was cancelled"});
    if (config.exec) {
      if (std::string failed = RefreshExec(false); !failed.empty()) {
        return Fail<Raw>(ApiError{0, "ExecCredential", failed});
      }
    }
    http::http_request request = MakeRequest(method, path_query);
    if (body) request.set_body(JsonText(*body), content_type);
    try {
      http::http_response response = client->request(request, cancel.get_token()).get();
      Raw raw{response.status_code(), response.extract_utf8string(true).get(), ""};
      if (auto it = response.headers().find("Retry-After"); it != response.headers().end()) {
        raw.retry_after = it->second;
      }
      return Ok(std::move(raw));
    } catch (const std::exception& e) {
      return Fail<Raw>(TransportError(method + " " + path_query.substr(0, path_query.find('?')) +
                                      ": " + Describe(e)));
    }
  }

  // Send, then: 2xx → the body as JSON; otherwise the Status error.
  Result<json> SendJson(const http::method& method, const std::string& path_query,
                        const json* body = nullptr,
                        const std::string& content_type = "application/json") {
    Result<Raw> raw = Send(method, path_query, body, content_type);
    // A plugin's token the server no longer takes (revoked, rotated): the plugin once more.
    if (raw.ok() && raw.value->status == 401 && config.exec) {
      if (std::string failed = RefreshExec(true); !failed.empty()) {
        return Fail<json>(ApiError{401, "ExecCredential", failed});
      }
      raw = Send(method, path_query, body, content_type);
    }
    // A throttled or briefly failing request is sent again after the server's Retry-After (or a
    // backoff), kThrottleAttempts times in all: one 429 must not leave a status stale for the
    // next resync.
    for (int attempt = 1; raw.ok() && Retriable(raw.value->status) && attempt < kThrottleAttempts;
         ++attempt) {
      const auto until = std::chrono::steady_clock::now() + RetryDelay(raw.value->retry_after,
                                                                        attempt - 1);
      while (std::chrono::steady_clock::now() < until) {
        if (cancelled) return Fail<json>(ApiError{0, "Cancelled", "the client was cancelled"});
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      raw = Send(method, path_query, body, content_type);
    }
    if (!raw.ok()) return Fail<json>(raw.error);
    if (raw.value->status < 200 || raw.value->status >= 300) {
      return Fail<json>(StatusError(raw.value->status, raw.value->body));
    }
    json j = json::parse(raw.value->body, nullptr, false);
    if (j.is_discarded()) {
      return Fail<json>(ApiError{raw.value->status, "BadResponse", "response is not JSON"});
    }
    return Ok(std::move(j));
  }
};

Client::Client(ClusterConfig config, int request_timeout_seconds)
    : impl_(std::make_unique<Impl>(std::move(config), request_timeout_seconds)) {}

Client::~Client() = default;

void Client::Cancel() {
  impl_->cancelled = true;
  impl_->cancel.cancel();
}

Result<ObjectList> Client::List(const Resource& resource, const std::string& ns,
                                const ListOptions& options) {
  std::string query;
  const auto add = [&query](const std::string& key, const std::string& value) {
    query += (query.empty() ? "?" : "&") + key + "=" + Encode(value);
  };
  if (!options.label_selector.empty()) add("labelSelector", options.label_selector);
  if (options.limit > 0) add("limit", std::to_string(options.limit));
  if (!options.continue_token.empty()) add("continue", options.continue_token);
  Result<json> r = impl_->SendJson(http::methods::GET, ResourcePath(resource, ns) + query);
  if (!r.ok()) return Fail<ObjectList>(r.error);
  ObjectList list;
  if (r.value->contains("items") && (*r.value)["items"].is_array()) {
    for (auto& item : (*r.value)["items"]) list.items.push_back(std::move(item));
  }
  const json& meta = r.value->value("metadata", json::object());
  list.resource_version = meta.value("resourceVersion", "");
  list.continue_token = meta.value("continue", "");
  return Ok(std::move(list));
}

Result<ObjectList> Client::ListAll(const Resource& resource, const std::string& ns,
                                   int page_size) {
  ObjectList all;
  ListOptions options;
  options.limit = page_size;
  for (int page = 0; page < 100000; ++page) {  // bounded: a server never sends this many pages
    Result<ObjectList> r = List(resource, ns, options);
    if (!r.ok()) return r;
    for (auto& item : r.value->items) all.items.push_back(std::move(item));
    all.resource_version = r.value->resource_version;
    if (r.value->continue_token.empty()) return Ok(std::move(all));
    options.continue_token = r.value->continue_token;
  }
  return Fail<ObjectList>(ApiError{0, "TooManyPages", "list did not end"});
}

WatchResult Client::Watch(const Resource& resource, const std::string& ns,
                          const WatchOptions& options, const WatchCallback& on_event) {
  WatchResult result;
  result.resource_version = options.resource_version;
  if (impl_->cancelled) {
    result.end = WatchEnd::kStopped;
    return result;
  }
  std::string query = "?watch=true";
  if (!options.resource_version.empty()) query += "&resourceVersion=" + Encode(options.resource_version);
  if (options.allow_bookmarks) query += "&allowWatchBookmarks=true";
  if (options.timeout_seconds > 0) query += "&timeoutSeconds=" + std::to_string(options.timeout_seconds);
  if (!options.label_selector.empty()) query += "&labelSelector=" + Encode(options.label_selector);

  // Its own client: the inactivity timeout must outlast quiet periods between events.
  http::client::http_client client(BaseUri(impl_->config.server),
                                   impl_->MakeConfig(std::max(options.timeout_seconds, 0) + 30));
  pplx::cancellation_token parent = impl_->cancel.get_token();
  auto stop = pplx::cancellation_token_source::create_linked_source(parent);
  http::http_request request =
      impl_->MakeRequest(http::methods::GET, ResourcePath(resource, ns) + query);
  http::http_response response;
  try {
    response = client.request(request, stop.get_token()).get();
  } catch (const std::exception& e) {
    result.end = impl_->cancelled ? WatchEnd::kStopped : WatchEnd::kFailed;
    result.error = TransportError("watch: " + impl_->Describe(e));
    return result;
  }
  if (response.status_code() != http::status_codes::OK) {
    std::string body;
    try {
      body = response.extract_utf8string(true).get();
    } catch (const std::exception&) {
    }
    result.error = StatusError(response.status_code(), body);
    result.end = response.status_code() == 410 ? WatchEnd::kGone : WatchEnd::kFailed;
    return result;
  }

  auto body = response.body();
  try {
    while (true) {
      concurrency::streams::container_buffer<std::string> line;
      const size_t n = body.read_line(line).get();
      if (n == 0 && body.is_eof()) break;
      const std::string& text = line.collection();
      if (text.find_first_not_of(" \r\t") == std::string::npos) continue;
      json j = json::parse(text, nullptr, false);
      const auto type = j.is_object() ? ParseEventType(j.value("type", "")) : std::nullopt;
      if (!type) {
        stop.cancel();
        result.end = WatchEnd::kFailed;
        result.error = ApiError{200, "BadResponse", "watch stream line is not an event"};
        return result;
      }
      WatchEvent event{*type, j.value("object", json::object())};
      if (*type != WatchEventType::kError) {
        const json& meta = event.object.value("metadata", json::object());
        if (auto rv = meta.value("resourceVersion", ""); !rv.empty()) result.resource_version = rv;
      }
      const bool keep_going = on_event(event);
      if (*type == WatchEventType::kError) {
        stop.cancel();
        const int code = event.object.value("code", 0);
        result.error = ApiError{code, event.object.value("reason", ""),
                                event.object.value("message", "")};
        result.end = code == 410 ? WatchEnd::kGone : WatchEnd::kFailed;
        return result;
      }
      if (!keep_going) {
        stop.cancel();
        result.end = WatchEnd::kStopped;
        return result;
      }
    }
    // End of stream: clean only if the whole chunked body arrived.
    response.content_ready().get();
    result.end = WatchEnd::kEnded;
  } catch (const std::exception& e) {
    result.end = impl_->cancelled ? WatchEnd::kStopped : WatchEnd::kDropped;
    result.error = TransportError("watch stream: " + impl_->Describe(e));
  }
  return result;
}

Result<json> Client::Get(const Resource& resource, const std::string& ns, const std::string& name) {
  return impl_->SendJson(http::methods::GET, ResourcePath(resource, ns, name));
}

Result<json> Client::Create(const Resource& resource, const std::string& ns, const json& object) {
  return impl_->SendJson(http::methods::POST, ResourcePath(resource, ns), &object);
}

Result<json> Client::Replace(const Resource& resource, const std::string& ns, const json& object) {
  const std::string name = object.value("metadata", json::object()).value("name", "");
  return impl_->SendJson(http::methods::PUT, ResourcePath(resource, ns, name), &object);
}

Result<json> Client::PatchStatus(const Resource& resource, const std::string& ns,
                                 const std::string& name, const json& patch,
                                 const PatchStatusOptions& options) {
  json current = patch;
  std::string rv = options.resource_version;
  const std::string path = ResourcePath(resource, ns, name, "status");
  for (int attempt = 1;; ++attempt) {
    json body = current;
    if (!rv.empty()) body["metadata"]["resourceVersion"] = rv;
    Result<json> r =
        impl_->SendJson(http::methods::PATCH, path, &body, "application/merge-patch+json");
    if (r.ok() || r.error.status != 409 || attempt >= options.max_attempts) return r;
    Result<json> latest = Get(resource, ns, name);
    if (!latest.ok()) return latest;
    if (!options.resource_version.empty()) {
      rv = latest.value->value("metadata", json::object()).value("resourceVersion", "");
    }
    if (options.on_conflict) {
      std::optional<json> rebuilt = options.on_conflict(*latest.value);
      if (!rebuilt) return r;
      current = std::move(*rebuilt);
    }
  }
}

}  // namespace pgpart::k8s
