// Kubeconfig `exec` credential plugins (client.authentication.k8s.io ExecCredential): the way
// kubectl authenticates to EKS, GKE and AKS from outside the cluster.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/calendar.h"
#include "k8s/config.h"

extern char** environ;

namespace pgpart::k8s {

ExecCredential RunExecPlugin(const ExecPlugin& plugin, int timeout_seconds) {
  ExecCredential out;
  const std::string api = plugin.api_version.empty() ? "client.authentication.k8s.io/v1"
                                                     : plugin.api_version;
  // Our environment, the plugin's variables over it, and what the plugin is asked for.
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string var = *e;
    const std::string name = var.substr(0, var.find('='));
    bool replaced = name == "KUBERNETES_EXEC_INFO";
    for (const auto& [n, v] : plugin.env) replaced = replaced || n == name;
    if (!replaced) env.push_back(var);
  }
  for (const auto& [n, v] : plugin.env) env.push_back(n + "=" + v);
  env.push_back("KUBERNETES_EXEC_INFO=" +
                nlohmann::json{{"apiVersion", api},
                               {"kind", "ExecCredential"},
                               {"spec", {{"interactive", false}}}}
                    .dump());
  std::vector<std::string> argv_text{plugin.command};
  argv_text.insert(argv_text.end(), plugin.args.begin(), plugin.args.end());
  std::vector<char*> argv, envp;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    out.error = "exec plugin " + plugin.command + ": cannot make a pipe";
    return out;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int spawned =
      posix_spawnp(&pid, plugin.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    out.error = "exec plugin " + plugin.command + " cannot be started: " + std::strerror(spawned);
    return out;
  }
  std::string text;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    if (text.size() < (1 << 20)) text.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out) {
    out.error = "exec plugin " + plugin.command + " did not finish within " +
                std::to_string(timeout_seconds) + " s";
    return out;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    out.error = "exec plugin " + plugin.command + " failed (exit " +
                (WIFEXITED(status) ? std::to_string(WEXITSTATUS(status)) : "by a signal") + ")";
    return out;
  }
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  const nlohmann::json status_json =
      j.is_object() ? j.value("status", nlohmann::json::object()) : nlohmann::json::object();
  if (!j.is_object() || j.value("kind", "") != "ExecCredential" || !status_json.is_object()) {
    out.error = "exec plugin " + plugin.command + " did not print an ExecCredential";
    return out;
  }
  out.token = status_json.value("token", "");
  if (out.token.empty()) {
    out.error = "exec plugin " + plugin.command +
                (status_json.contains("clientCertificateData")
                     ? " returned a client certificate; only tokens are supported"
                     : " returned no token");
    return out;
  }
  if (const std::string at = status_json.value("expirationTimestamp", ""); !at.empty()) {
    out.expires_micros = ParseInstant(at, FindZone("UTC"));
  }
  return out;
}

}  // namespace pgpart::k8s
