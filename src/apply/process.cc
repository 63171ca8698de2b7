#include "apply/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>

#include "core/utf8.h"

extern char** environ;

namespace pgpart {
namespace {

constexpr size_t kMaxOutput = 4 << 20;  // stdout
constexpr size_t kMaxError = 1 << 20;   // stderr
// How often the child is checked for exit while its pipes stay open (a background grandchild may
// hold them after the child itself is gone).
constexpr int kPollSliceMs = 50;

// Closes a descriptor once, on scope exit or when asked.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// The current environment with `extra` added; an extra name replaces the inherited variable.
std::vector<std::string> MergeEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [key, value] : extra) {
      if (key == name) replaced = true;
    }
    if (!replaced) out.emplace_back(entry);
  }
  for (const auto& [key, value] : extra) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> CArray(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reads what is available without blocking. Returns false at end of file or on error.
bool Drain(int fd, std::string& sink, size_t cap, bool& truncated) {
  char buffer[16384];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      size_t room = sink.size() < cap ? cap - sink.size() : 0;
      if (static_cast<size_t>(n) > room) truncated = true;
      sink.append(buffer, std::min(room, static_cast<size_t>(n)));  // keep reading past the cap
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

// True once `pid` has exited; leaves it a zombie (not reaped) so that its pid, which is also its
// process group id, cannot be reused before the group is killed.
bool Exited(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
    if (errno != EINTR) return true;  // ECHILD: nothing to wait for
  }
  return info.si_pid == pid;
}

void Reap(pid_t pid, ProcessResult& result) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return;
  }
  if (result.timed_out) return;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.term_signal = WTERMSIG(status);
  }
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::pair<std::string, std::string>>& env,
                         int64_t timeout_ms) {
  ProcessResult result;
  if (argv.empty() || argv[0].empty()) {
    result.error = "no program to run (empty argv)";
    return result;
  }

  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Nothing else of ours (database sockets, files opened without O_CLOEXEC) reaches the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif
  // Own process group (so a timeout kills its children too), default signal dispositions and an
  // empty mask whatever the caller ignores or blocks (e.g. SIGPIPE).
  sigset_t empty_mask;
  sigset_t default_signals;
  sigemptyset(&empty_mask);
  sigfillset(&default_signals);
  sigdelset(&default_signals, SIGKILL);
  sigdelset(&default_signals, SIGSTOP);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &empty_mask);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args(argv);
  std::vector<char*> c_args = CArray(args);
  std::vector<std::string> environment = MergeEnvironment(env);
  std::vector<char*> c_env = CArray(environment);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    result.error = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return result;
  }
  result.started = true;
  out_write.Close();
  err_write.Close();
  ::fcntl(out_read.get(), F_SETFL, ::fcntl(out_read.get(), F_GETFL) | O_NONBLOCK);
  ::fcntl(err_read.get(), F_SETFL, ::fcntl(err_read.get(), F_GETFL) | O_NONBLOCK);

  using Clock = std::chrono::steady_clock;
  const bool has_deadline = timeout_ms > 0;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string error_text;
  bool truncated = false;
  while (true) {
    if (out_read.get() < 0 && err_read.get() < 0) {
      // Both pipes closed: wait for the exit itself, still bounded by the deadline.
      if (Exited(pid)) break;
    } else if (Exited(pid)) {
      // Take what is already written; whoever still holds the pipes is killed below.
      if (out_read.get() >= 0) Drain(out_read.get(), result.output, kMaxOutput, truncated);
      if (err_read.get() >= 0) Drain(err_read.get(), error_text, kMaxError, truncated);
      break;
    }
    // Both pipes closed: the exit is a matter of moments, do not sleep a whole slice on it.
    const bool pipes_closed = out_read.get() < 0 && err_read.get() < 0;
    int wait_ms = pipes_closed ? 1 : kPollSliceMs;
    if (has_deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        result.timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left.count() + 1, wait_ms));
    }
    pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
    int ready = ::poll(fds, 2, wait_ms);  // negative descriptors are ignored
    if (ready < 0 && errno != EINTR) {
      result.error = std::string("poll: ") + std::strerror(errno);
      result.timed_out = true;  // cannot watch it any more: treat as a timeout (killed)
      break;
    }
    if (ready <= 0) continue;
    if (fds[0].revents != 0 && !Drain(out_read.get(), result.output, kMaxOutput, truncated)) {
      out_read.Close();
    }
    if (fds[1].revents != 0 && !Drain(err_read.get(), error_text, kMaxError, truncated)) {
      err_read.Close();
    }
  }
  // The child is a zombie or still running (timeout): either way its pid names its group. Kill
  // the group so nothing it started outlives the call, then reap it.
  ::kill(-pid, SIGKILL);
  if (result.timed_out) ::kill(pid, SIGKILL);
  if (truncated) {  // a cap may have cut a character in two: the text goes into JSON and messages
    result.output.resize(Utf8Prefix(result.output, result.output.size()).size());
    error_text.resize(Utf8Prefix(error_text, error_text.size()).size());
  }
  result.error = std::move(error_text) + result.error;
  Reap(pid, result);
  result.truncated = truncated;
  return result;
}

}  // namespace pgpart
