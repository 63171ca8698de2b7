// TestPki and TlsProxy: TLS in front of the API-server test double (see tls_proxy_fixture.h).

#include "tls_proxy_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <stdexcept>
#include <utility>

namespace pgpart::k8s::testing {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

void Check(bool ok, const char* what) {
  if (ok) return;
  char reason[256];
  ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
  throw std::runtime_error(std::string(what) + ": " + reason);
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "write key");
  return BioText(bio.get());
}

std::string CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "write certificate");
  return BioText(bio.get());
}

// A certificate for `key` named `cn`, signed by `issuer` (self-signed when null) with
// `extensions` (NID, openssl.cnf-style value).
CertPtr MakeCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                 const std::vector<std::pair<int, std::string>>& extensions) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  // Random serials: certificates of two PKIs in one test must never look like the same one.
  unsigned char serial[8];
  Check(RAND_bytes(serial, sizeof serial) == 1, "serial");
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // tolerate small clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    Check(ext != nullptr, "certificate extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  Check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "sign certificate");
  return cert;
}

KeyPtr NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "generate key");
  return key;
}

void Close(int fd) {
  if (fd >= 0) ::close(fd);
}

}  // namespace

TestPki MakeTestPki(const std::string& ca_name) {
  TestPki pki;
  KeyPtr ca_key = NewKey();
  CertPtr ca = MakeCert(ca_key.get(), ca_name, nullptr, ca_key.get(),
                        {{NID_basic_constraints, "critical,CA:TRUE"},
                         {NID_key_usage, "critical,keyCertSign,cRLSign"},
                         {NID_subject_key_identifier, "hash"}});
  pki.ca = {CertPem(ca.get()), KeyPem(ca_key.get())};

  KeyPtr server_key = NewKey();
  CertPtr server = MakeCert(server_key.get(), "kube-apiserver", ca.get(), ca_key.get(),
                            {{NID_basic_constraints, "CA:FALSE"},
                             {NID_key_usage, "critical,digitalSignature"},
                             {NID_ext_key_usage, "serverAuth"},
                             {NID_subject_alt_name, "IP:127.0.0.1,IP:::1"},
                             {NID_authority_key_identifier, "keyid"}});
  pki.server = {CertPem(server.get()), KeyPem(server_key.get())};

  KeyPtr client_key = NewKey();
  CertPtr client = MakeCert(client_key.get(), "pgpart-operator", ca.get(), ca_key.get(),
                            {{NID_basic_constraints, "CA:FALSE"},
                             {NID_key_usage, "critical,digitalSignature"},
                             {NID_ext_key_usage, "clientAuth"},
                             {NID_authority_key_identifier, "keyid"}});
  pki.client = {CertPem(client.get()), KeyPem(client_key.get())};
  return pki;
}

int PortOf(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

TlsProxy::TlsProxy(const Pem& server, int backend_port, const std::string& client_ca_pem,
                   const std::string& address)
    : backend_port_(backend_port) {
  // OpenSSL writes to sockets with write(): a client that hung up must not kill the test binary.
  std::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  Check(ctx != nullptr, "SSL_CTX_new");
  ctx_ = ctx;
  BioPtr cert_bio(BIO_new_mem_buf(server.cert.data(), static_cast<int>(server.cert.size())));
  CertPtr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  BioPtr key_bio(BIO_new_mem_buf(server.key.data(), static_cast<int>(server.key.size())));
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  Check(cert && key && SSL_CTX_use_certificate(ctx, cert.get()) == 1 &&
            SSL_CTX_use_PrivateKey(ctx, key.get()) == 1,
        "server certificate");
  if (!client_ca_pem.empty()) {
    BioPtr ca_bio(BIO_new_mem_buf(client_ca_pem.data(), static_cast<int>(client_ca_pem.size())));
    CertPtr ca(PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr));
    Check(ca && X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca.get()) == 1, "client CA");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }

  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    host_ = address;
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    host_ = "[" + address + "]";
  } else {
    throw std::runtime_error("TlsProxy: not an IP address: " + address);
  }
  listen_fd_ = ::socket(addr.ss_family, SOCK_STREAM, 0);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("TlsProxy: cannot listen on " + address);
  }
  port_ = ntohs(addr.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TlsProxy::~TlsProxy() {
  stopping_ = true;
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // wakes SSL_accept, poll, reads
  }
  for (auto& t : connections_) t.join();
  Close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

std::string TlsProxy::Url() const { return "https://" + host_ + ":" + std::to_string(port_); }

void TlsProxy::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;  // short timeout: notice stopping_ quickly
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    open_fds_.insert(fd);
    connections_.emplace_back([this, fd] { Relay(fd); });
  }
}

void TlsProxy::Relay(int client_fd) {
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  SSL_set_fd(ssl, client_fd);
  int backend = -1;
  if (SSL_accept(ssl) != 1) {
    ++failed_handshakes_;
  } else {
    ++handshakes_;
    backend = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(backend_port_));
    {
      std::lock_guard lock(mutex_);
      open_fds_.insert(backend);
    }
    bool open = ::connect(backend, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    char buffer[16384];
    while (open && !stopping_) {
      // Decrypted bytes OpenSSL already holds do not show up in poll: drain them first.
      pollfd p[2] = {{client_fd, POLLIN, 0}, {backend, POLLIN, 0}};
      if (SSL_pending(ssl) == 0 && ::poll(p, 2, 50) <= 0) continue;
      if (SSL_pending(ssl) > 0 || (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        const int n = SSL_read(ssl, buffer, sizeof buffer);
        if (n <= 0 || ::send(backend, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
      }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = ::recv(backend, buffer, sizeof buffer, 0);
        if (n <= 0 || SSL_write(ssl, buffer, static_cast<int>(n)) != n) open = false;
      }
    }
    SSL_shutdown(ssl);  // close_notify; the HTTP framing, not this, tells a cut stream apart
  }
  SSL_free(ssl);
  std::lock_guard lock(mutex_);
  open_fds_.erase(client_fd);
  open_fds_.erase(backend);
  Close(client_fd);
  Close(backend);
}

}  // namespace pgpart::k8s::testing
