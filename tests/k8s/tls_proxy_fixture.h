#pragma once
// TLS in front of FakeApiServer (api_server_double.h), so the k8s client's HTTPS path is tested
// for real: a throwaway PKI made at test time with the OpenSSL C API (no CLI, no files) and a
// TLS-terminating proxy that forwards the decrypted bytes to the plain-HTTP test double, as a
// real API server would terminate TLS itself. Optionally it demands a client certificate.

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace pgpart::k8s::testing {

// A certificate and its private key, PEM.
struct Pem {
  std::string cert;
  std::string key;
};

// A fresh CA with a server certificate for the loopback addresses (subjectAltName IP:127.0.0.1
// and IP:::1 only, no DNS name, so a client reaching it as "localhost" must reject it) and a
// client certificate, both signed by the CA. EC P-256 keys: quick to generate in every test.
struct TestPki {
  Pem ca;
  Pem server;
  Pem client;
};
TestPki MakeTestPki(const std::string& ca_name);

class TlsProxy {
 public:
  // Listens on an ephemeral port of `address` (127.0.0.1 or ::1) with `server`'s certificate and
  // forwards each connection to 127.0.0.1:`backend_port`. A non-empty `client_ca_pem` makes the
  // handshake require a client certificate signed by it (mutual TLS).
  TlsProxy(const Pem& server, int backend_port, const std::string& client_ca_pem = "",
           const std::string& address = "127.0.0.1");
  // Stops accepting, cuts open connections and joins every thread.
  ~TlsProxy();
  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;

  int Port() const { return port_; }
  // "https://127.0.0.1:<port>" or "https://[::1]:<port>".
  std::string Url() const;
  // Handshakes that completed, and ones that failed (untrusted or missing client certificate,
  // or a client that rejected our certificate).
  int Handshakes() const { return handshakes_; }
  int FailedHandshakes() const { return failed_handshakes_; }

 private:
  void AcceptLoop();
  void Relay(int client_fd);

  void* ctx_ = nullptr;  // SSL_CTX*, kept out of this header
  int backend_port_ = 0;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string host_;  // as in a URL: IPv6 in brackets
  std::atomic<bool> stopping_{false};
  std::atomic<int> handshakes_{0};
  std::atomic<int> failed_handshakes_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::set<int> open_fds_;  // shut down on stop to wake blocked threads
  std::vector<std::thread> connections_;
};

// The port of a "http://127.0.0.1:<port>" URL (FakeApiServer::Url()).
int PortOf(const std::string& url);

}  // namespace pgpart::k8s::testing
