// Process, HTTP, metrics-text and TCP helpers of the `pgpart operator` end-to-end harness
// (see operator_fixture.h). The Kubernetes side is FakeApiServer, an API-server TEST DOUBLE.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "../common/test_env.h"
#include "operator_fixture.h"

namespace pgpart::operator_e2e {
namespace {

long ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Small helpers

int FreePortOutsideEphemeralRange() {
  int low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
  static std::mt19937 random(static_cast<unsigned>(::getpid()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = 10000 + static_cast<int>(random() % static_cast<unsigned>(low - 10000));
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (ok) return port;
  }
  return 0;
}

std::string RunShell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status != 0) out += "exit " + std::to_string(status);
  return out;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

bool Eventually(const std::function<bool()>& done, milliseconds limit, milliseconds step) {
  const auto deadline = Clock::now() + limit;
  while (true) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

HttpReply HttpGet(int port, const std::string& path) {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return reply;
  }
  const std::string request = "GET " + path +
                              " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return reply;
  }
  // Read until the body is complete by its framing (a server may keep the connection open).
  std::string data;
  char buffer[8192];
  size_t head_end = std::string::npos;
  std::optional<size_t> length;
  bool chunked = false;
  while (true) {
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string head = data.substr(0, head_end);
        std::transform(head.begin(), head.end(), head.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        const auto cl = head.find("\r\ncontent-length:");
        if (cl != std::string::npos) length = std::stoul(head.substr(cl + 17));
        chunked = head.find("transfer-encoding: chunked") != std::string::npos;
      }
    }
    if (head_end != std::string::npos) {
      if (length && data.size() >= head_end + 4 + *length) break;
      if (chunked && data.size() >= 5 && data.compare(data.size() - 5, 5, "0\r\n\r\n") == 0) break;
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (head_end == std::string::npos || data.rfind("HTTP/1.", 0) != 0) return reply;
  reply.code = std::atoi(data.c_str() + data.find(' ') + 1);
  std::string body = data.substr(head_end + 4);
  if (length) body = body.substr(0, *length);
  if (chunked) {
    std::string decoded;
    size_t pos = 0;
    while (pos < body.size()) {
      const size_t eol = body.find("\r\n", pos);
      if (eol == std::string::npos) break;
      const size_t size = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
      if (size == 0) break;
      decoded += body.substr(eol + 2, size);
      pos = eol + 2 + size + 2;
    }
    body = decoded;
  }
  reply.body = body;
  return reply;
}

std::optional<double> Sample(const std::string& exposition, const std::string& name,
                             const std::map<std::string, std::string>& labels) {
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos || line.compare(0, name_end, name) != 0 ||
        name_end != name.size()) {
      continue;
    }
    std::map<std::string, std::string> found;
    size_t pos = name_end;
    if (line[pos] == '{') {
      ++pos;
      while (pos < line.size() && line[pos] != '}') {
        const size_t eq = line.find('=', pos);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') break;
        std::string key = line.substr(pos, eq - pos);
        std::string value;
        size_t i = eq + 2;
        for (; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\' && i + 1 < line.size()) {
            ++i;
            value += line[i] == 'n' ? '\n' : line[i];
          } else {
            value += line[i];
          }
        }
        found[key] = value;
        pos = i + 1;
        if (pos < line.size() && line[pos] == ',') ++pos;
      }
      ++pos;  // '}'
    }
    bool match = true;
    for (const auto& [k, v] : labels) {
      const auto it = found.find(k);
      if (it == found.end() || it->second != v) match = false;
    }
    if (!match) continue;
    return std::strtod(line.c_str() + pos, nullptr);
  }
  return std::nullopt;
}

std::optional<json> Condition(const json& object, const std::string& type) {
  if (!object.contains("status") || !object["status"].is_object()) return std::nullopt;
  const json& status = object["status"];
  if (!status.contains("conditions") || !status["conditions"].is_array()) return std::nullopt;
  for (const json& c : status["conditions"]) {
    if (c.is_object() && c.value("type", "") == type) return c;
  }
  return std::nullopt;
}

bool HasCondition(const json& object, const std::string& type, const std::string& status,
                  const std::string& reason) {
  const auto c = Condition(object, type);
  return c && c->value("status", "") == status &&
         (reason.empty() || c->value("reason", "") == reason);
}

bool Observed(const json& object) {
  if (!object.contains("status") || !object["status"].is_object()) return false;
  const json& observed = object["status"].value("observedGeneration", json());
  return observed.is_number_integer() &&
         observed.get<long long>() == object["metadata"].value("generation", -1LL);
}

bool Converged(const json& object) {
  return Observed(object) && HasCondition(object, "Ready", "True", "Reconciled");
}

bool StalledWith(const json& object, const std::string& reason) {
  return Observed(object) && HasCondition(object, "Stalled", "True", reason);
}

std::string Dump(const json& j) { return j.is_null() ? "null" : j.dump(2); }

void ExpectNoPassword(const std::string& where, const std::string& text) {
  EXPECT_EQ(text.find(kPassword), std::string::npos) << where << " leaks the password:\n" << text;
}

// ---------------------------------------------------------------------------------------------
// OperatorProcess

OperatorProcess::OperatorProcess(
    const std::vector<std::string>& args, std::string log_path,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& env, int health_port,
    int metrics_port, std::string name)
    : log_path_(std::move(log_path)),
      health_port_(health_port),
      metrics_port_(metrics_port),
      name_(std::move(name)) {
  std::vector<std::string> argv = {PGPART_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // Never outlive the test binary, even when it crashes.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(126);
    const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    // Inherit nothing else: a listening socket of the test (a TcpForwarder, the API double) kept
    // open in the child would keep accepting into a backlog nobody serves after the test closes it.
    ::close_range(3, ~0U, 0);
    for (const char* v : {"PGPART_DSN", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE",
                          "PGSERVICE", "PGOPTIONS", "POD_NAMESPACE", "POD_NAME", "KUBECONFIG",
                          "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"}) {
      ::unsetenv(v);
    }
    for (const auto& [k, v] : env) {
      if (v) {
        ::setenv(k.c_str(), v->c_str(), 1);
      } else {
        ::unsetenv(k.c_str());
      }
    }
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    _exit(127);
  }
}

OperatorProcess::~OperatorProcess() { Kill(); }

std::string OperatorProcess::Log() const { return test_env::ReadFile(log_path_); }

void OperatorProcess::Signal(int signal) {
  if (pid_ > 0 && !exited_) ::kill(pid_, signal);
}

std::optional<int> OperatorProcess::WaitExit(milliseconds limit) {
  if (exited_) return exit_code_;
  const auto deadline = Clock::now() + limit;
  while (true) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

bool OperatorProcess::Running() { return !WaitExit(milliseconds(0)).has_value(); }

void OperatorProcess::Kill() {
  if (pid_ <= 0 || exited_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  exited_ = true;
  exit_code_ = 128 + SIGKILL;
}

long OperatorProcess::VmRssKb() const { return ProcStatusKb(pid_, "VmRSS"); }
long OperatorProcess::VmHwmKb() const { return ProcStatusKb(pid_, "VmHWM"); }

// ---------------------------------------------------------------------------------------------
// TcpForwarder

TcpForwarder::TcpForwarder(int listen_port, int target_port)
    : listen_port_(listen_port), target_port_(target_port) {}

TcpForwarder::~TcpForwarder() { Stop(); }

bool TcpForwarder::Start() {
  Stop();
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(listen_port_));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    std::fprintf(stderr, "TcpForwarder: cannot listen on 127.0.0.1:%d: %s\n", listen_port_,
                 std::strerror(errno));
    ::close(listen_fd_);
    listen_fd_ = -1;
    return false;
  }
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
  return true;
}

void TcpForwarder::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void TcpForwarder::Loop() {
  // pairs[i] = {client side, server side}; both closed as soon as either ends.
  std::vector<std::pair<int, int>> pairs;
  std::vector<int> held;
  char buffer[65536];
  while (!stop_) {
    std::vector<pollfd> fds;
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& [a, b] : pairs) {
      fds.push_back({a, POLLIN, 0});
      fds.push_back({b, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    // Only the pairs that were polled have revents; one accepted below waits for the next round.
    const size_t polled = pairs.size();
    if (fds[0].revents & POLLIN) {
      // Non-blocking: a connection reset between poll and accept must not stall the loop.
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client >= 0 && target_port_ == 0) {
        held.push_back(client);  // a black hole: accepted, never answered
        ++accepted_;
      } else if (client >= 0) {
        const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(target_port_));
        if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
          pairs.emplace_back(client, server);
          ++accepted_;
        } else {
          ::close(client);
          ::close(server);
        }
      }
    }
    std::vector<bool> dead(pairs.size(), false);
    for (size_t i = 0; i < polled; ++i) {
      for (int side = 0; side < 2; ++side) {
        const pollfd& p = fds[1 + 2 * i + side];
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const int from = side == 0 ? pairs[i].first : pairs[i].second;
        const int to = side == 0 ? pairs[i].second : pairs[i].first;
        const ssize_t n = ::recv(from, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) {
          dead[i] = true;
          continue;
        }
        ssize_t done = 0;
        while (done < n) {
          const ssize_t w = ::send(to, buffer + done, static_cast<size_t>(n - done), MSG_NOSIGNAL);
          if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd out{to, POLLOUT, 0};  // the client side is non-blocking: wait for room
            if (::poll(&out, 1, 1000) > 0) continue;
          }
          if (w <= 0) break;
          done += w;
        }
        if (done < n) dead[i] = true;
      }
    }
    for (size_t i = pairs.size(); i-- > 0;) {
      if (!dead[i]) continue;
      ::close(pairs[i].first);
      ::close(pairs[i].second);
      pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  // Down: every forwarded connection breaks, as if the server crashed.
  for (const auto& [a, b] : pairs) {
    ::shutdown(a, SHUT_RDWR);
    ::close(a);
    ::close(b);
  }
  for (const int fd : held) ::close(fd);
}

}  // namespace pgpart::operator_e2e
