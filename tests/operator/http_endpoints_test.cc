// HttpEndpoints over real sockets: GET handlers, 404/405/500, a busy port, the wildcard address
// the operator listens on (":9090" → 0.0.0.0), IPv6 loopback; and ParseListenAddress.

#include "operator/http_endpoints.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "../common/test_env.h"

namespace pgpart::op {
namespace {

using test_env::FreePort;
using test_env::NonLoopbackIpv4;

// ---- ParseListenAddress ----

TEST(HttpParseListenAddress, HostAndPort) {
  std::string error;
  auto a = ParseListenAddress("192.0.2.7:9187", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "192.0.2.7");
  EXPECT_EQ(a->port, 9187);
  a = ParseListenAddress("[::1]:65535", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 65535);
}

TEST(HttpParseListenAddress, MissingHostIsTheDefaultHost) {
  std::string error;
  // `pgpart status --serve`'s default: loopback only.
  auto a = ParseListenAddress(":9187", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "127.0.0.1");
  a = ParseListenAddress("9187", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9187);
  // The operator's: every interface, as Kubernetes components read ":8080".
  a = ParseListenAddress(":9090", &error, "0.0.0.0");
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_EQ(a->port, 9090);
  a = ParseListenAddress("10.0.0.1:9090", &error, "0.0.0.0");
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "10.0.0.1");
}

TEST(HttpParseListenAddress, Malformed) {
  for (const char* bad : {"", "localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                          "127.0.0.1:99999", "127.0.0.1:123456", "127.0.0.1:-1", "127.0.0.1:9a",
                          "::1:9187", "[::1]", "[::1]9187", "[::1:9187", "[]:9187", ":"}) {
    std::string error;
    EXPECT_FALSE(ParseListenAddress(bad, &error)) << bad;
    EXPECT_NE(error, "") << bad;
  }
  std::string error;
  ParseListenAddress("::1:9187", &error);
  EXPECT_NE(error.find("brackets"), std::string::npos) << error;
}

// ---- HttpEndpoints ----

struct Reply {
  int status = 0;  // 0: no connection or no parsable answer
  std::string head;  // status line and headers
  std::string body;
  std::string Header(const std::string& name) const {
    const size_t at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    const size_t from = at + name.size() + 4;
    return head.substr(from, head.find("\r\n", from) - from);
  }
};

// One HTTP/1.1 request over a fresh connection ("Connection: close": read until EOF), 5 s limit.
Reply Request(const std::string& ip, int port, const std::string& method, const std::string& path) {
  const bool v6 = ip.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_storage storage{};
  socklen_t len = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, ip.c_str(), &a->sin_addr);
    len = sizeof *a;
  }
  Reply reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&storage), len) != 0) {
    close(fd);
    return reply;
  }
  const std::string host = v6 ? "[" + ip + "]" : ip;
  const std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" +
                              std::to_string(port) +
                              "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) raw.append(buffer, n);
  close(fd);
  const size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return reply;
  reply.status = std::stoi(raw.substr(9, 3));
  reply.head = raw.substr(0, end);
  reply.body = raw.substr(end + 4);
  return reply;
}

HttpHandlers DemoHandlers() {
  HttpHandlers handlers;
  handlers["/metrics"] = [] { return HttpResponse{200, "up 1\n", kMetricsContentType}; };
  handlers["/healthz"] = [] { return HttpResponse{200, "ok\n"}; };
  handlers["/readyz"] = [] { return HttpResponse{503, "not leader\n"}; };
  handlers["/boom"] = []() -> HttpResponse { throw std::runtime_error("kaput"); };
  return handlers;
}

TEST(HttpEndpoints, ServesGetHandlers404And405) {
  const int port = FreePort(/*any_interface=*/true);
  ASSERT_NE(port, 0);
  HttpEndpoints endpoints;
  std::string error;
  ASSERT_TRUE(endpoints.Open({"127.0.0.1", port}, DemoHandlers(), &error)) << error;
  EXPECT_EQ(endpoints.Url(), "http://127.0.0.1:" + std::to_string(port) + "/");

  Reply r = Request("127.0.0.1", port, "GET", "/metrics");
  EXPECT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.body, "up 1\n");
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8") << r.head;

  r = Request("127.0.0.1", port, "GET", "/metrics?name=up");  // the query is not the path
  EXPECT_EQ(r.status, 200) << r.head;
  r = Request("127.0.0.1", port, "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; charset=utf-8") << r.head;
  r = Request("127.0.0.1", port, "GET", "/readyz");  // the handler's own status
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not leader\n");

  for (const char* path : {"/", "/nope", "/metrics/", "/metrics/extra", "/Metrics"}) {
    EXPECT_EQ(Request("127.0.0.1", port, "GET", path).status, 404) << path;
  }
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    r = Request("127.0.0.1", port, method, "/metrics");
    EXPECT_EQ(r.status, 405) << method << "\n" << r.head;
    EXPECT_EQ(r.Header("Allow"), "GET") << r.head;
  }
  EXPECT_EQ(Request("127.0.0.1", port, "POST", "/nope").status, 404);

  r = Request("127.0.0.1", port, "GET", "/boom");  // a throwing handler: 500, and still serving
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("kaput"), std::string::npos) << r.body;
  EXPECT_EQ(Request("127.0.0.1", port, "GET", "/healthz").status, 200);

  endpoints.Close();
  EXPECT_EQ(Request("127.0.0.1", port, "GET", "/healthz").status, 0);
  endpoints.Close();  // idempotent
}

TEST(HttpEndpoints, ReopensOnThePortItJustClosed) {
  const int port = FreePort(/*any_interface=*/true);
  ASSERT_NE(port, 0);
  std::string error;
  {
    HttpEndpoints first;
    ASSERT_TRUE(first.Open({"127.0.0.1", port}, DemoHandlers(), &error)) << error;
    ASSERT_EQ(Request("127.0.0.1", port, "GET", "/healthz").status, 200);
  }  // the destructor closes
  HttpEndpoints second;
  ASSERT_TRUE(second.Open({"127.0.0.1", port}, DemoHandlers(), &error)) << error;
  EXPECT_EQ(Request("127.0.0.1", port, "GET", "/healthz").status, 200);
  EXPECT_FALSE(second.Open({"127.0.0.1", port}, DemoHandlers(), &error));  // already open
}

TEST(HttpEndpoints, OpenOnABusyPortFails) {
  // Someone else listens on the port.
  int busy = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(busy, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(busy, 1), 0);
  ASSERT_EQ(getsockname(busy, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  HttpEndpoints endpoints;
  std::string error;
  EXPECT_FALSE(endpoints.Open({"127.0.0.1", port}, DemoHandlers(), &error));
  EXPECT_NE(error.find("cannot listen on http://127.0.0.1:" + std::to_string(port) + "/"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
  close(busy);

  // Another HttpEndpoints of this process on the same address is refused, and the first keeps
  // serving (cpprestsdk alone would tear the first one's acceptor down).
  const int port2 = FreePort(/*any_interface=*/true);
  HttpEndpoints holder;
  ASSERT_TRUE(holder.Open({"127.0.0.1", port2}, DemoHandlers(), &error)) << error;
  {
    HttpEndpoints late;
    error.clear();
    EXPECT_FALSE(late.Open({"127.0.0.1", port2}, DemoHandlers(), &error));
    EXPECT_NE(error.find("already listens"), std::string::npos) << error;
  }
  EXPECT_EQ(Request("127.0.0.1", port2, "GET", "/healthz").status, 200);
  // The same port through the wildcard address: the kernel says no, the first keeps serving.
  {
    HttpEndpoints wildcard;
    error.clear();
    EXPECT_FALSE(wildcard.Open({"0.0.0.0", port2}, DemoHandlers(), &error));
    EXPECT_NE(error.find("in use"), std::string::npos) << error;
  }
  EXPECT_EQ(Request("127.0.0.1", port2, "GET", "/healthz").status, 200);
}

TEST(HttpEndpoints, OpenOnAnAddressThisHostDoesNotHaveFails) {
  // 203.0.113.0/24 is TEST-NET-3: never assigned here, so bind fails (EADDRNOTAVAIL), no DNS.
  HttpEndpoints endpoints;
  std::string error;
  EXPECT_FALSE(endpoints.Open({"203.0.113.9", FreePort(/*any_interface=*/true)}, DemoHandlers(), &error));
  EXPECT_NE(error.find("cannot listen on http://203.0.113.9:"), std::string::npos) << error;
}

TEST(HttpEndpoints, WildcardAddressServesEveryInterface) {
  // What the operator's default ":9090" becomes.
  std::string error;
  std::optional<ListenAddress> address =
      ParseListenAddress(":" + std::to_string(FreePort(/*any_interface=*/true)), &error, "0.0.0.0");
  ASSERT_TRUE(address) << error;
  HttpEndpoints endpoints;
  ASSERT_TRUE(endpoints.Open(*address, DemoHandlers(), &error)) << error;
  EXPECT_EQ(endpoints.Url(), "http://0.0.0.0:" + std::to_string(address->port) + "/");
  Reply r = Request("127.0.0.1", address->port, "GET", "/metrics");
  EXPECT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.body, "up 1\n");
  // The Host header names the address connected to, not 0.0.0.0: still served.
  if (std::optional<std::string> ip = NonLoopbackIpv4()) {
    r = Request(*ip, address->port, "GET", "/metrics");
    EXPECT_EQ(r.status, 200) << *ip << "\n" << r.head;
    EXPECT_EQ(r.body, "up 1\n");
  }
}

TEST(HttpEndpoints, Ipv6IsRefusedWithAClearError) {
  // cpprestsdk 2.10 splits "host:port" at the first colon: IPv6 hosts can never be bound.
  HttpEndpoints endpoints;
  std::string error;
  EXPECT_FALSE(endpoints.Open({"::1", FreePort(/*any_interface=*/true)}, DemoHandlers(), &error));
  EXPECT_NE(error.find("cannot listen on http://[::1]:"), std::string::npos) << error;
  EXPECT_NE(error.find("IPv6 addresses are not supported"), std::string::npos) << error;
}

}  // namespace
}  // namespace pgpart::op
