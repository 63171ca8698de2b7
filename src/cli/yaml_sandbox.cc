#include "cli/yaml_sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/file_read.h"
#include "apply/process.h"
#include "policy/yaml_guard.h"

namespace pgpart::cli {
namespace {

// The child's bounds. A 1 MiB policy (kMaxPolicyBytes) parses in well under a second and a few
// tens of MiB; yaml-cpp 0.7 looping on ",:" grows by ~95 MB/s.
constexpr rlim_t kChildDataBytes = rlim_t{512} << 20;
constexpr rlim_t kChildCpuSeconds = 10;
constexpr int64_t kChildTimeoutMs = 15'000;
// Texts that parsed in a child: the exporter and the operator re-read unchanged policies, and a
// load checks all its files at once before parsing each. Forgotten all at once when full.
constexpr size_t kCachedTexts = 4096;
constexpr size_t kCachedBytes = 64 << 20;
// Texts per child: at most this many, or about this many bytes.
constexpr size_t kBatchTexts = 64;
constexpr size_t kBatchBytes = 4 << 20;
// Exit code of a child that ran out of memory.
constexpr int kExitOutOfMemory = 3;

// The child's side (defined below): limits, then one verdict line per text on `out`.
int CheckTexts(int count, const std::function<bool(int, std::string*)>& text_at, int out);

std::mutex cache_mutex;
std::unordered_set<std::string> parsed_texts;
size_t parsed_bytes = 0;

bool Cached(const std::string& text) {
  std::lock_guard<std::mutex> lock(cache_mutex);
  return parsed_texts.count(text) > 0;
}

void Remember(const std::string& text) {
  std::lock_guard<std::mutex> lock(cache_mutex);
  if (parsed_texts.size() >= kCachedTexts || parsed_bytes + text.size() > kCachedBytes) {
    parsed_texts.clear();
    parsed_bytes = 0;
  }
  if (parsed_texts.insert(text).second) parsed_bytes += text.size();
}

// "ok" or "problem\tLINE\tCOLUMN\tMESSAGE" as the child prints it; false when malformed.
bool ParseVerdict(const std::string& line, std::optional<YamlProblem>* verdict) {
  if (line == "ok") {
    verdict->reset();
    return true;
  }
  if (line.rfind("problem\t", 0) != 0) return false;
  const size_t a = line.find('\t', 8);
  const size_t b = a == std::string::npos ? a : line.find('\t', a + 1);
  if (b == std::string::npos) return false;
  *verdict = YamlProblem{std::atoi(line.substr(8, a - 8).c_str()),
                         std::atoi(line.substr(a + 1, b - a - 1).c_str()), line.substr(b + 1)};
  return true;
}

YamlProblem Runaway(const ProcessResult& result) {
  const std::string why =
      result.timed_out ? "took longer than " + std::to_string(kChildTimeoutMs / 1000) + " s"
      : result.signaled || result.exit_code == kExitOutOfMemory
          ? "needed more than " + std::to_string(kChildDataBytes >> 20) + " MiB or " +
                std::to_string(kChildCpuSeconds) + " s of CPU"
          : "failed (exit code " + std::to_string(result.exit_code) + ")";
  return YamlProblem{0, 0, "the YAML parser " + why + " on this text; refused"};
}

// One child for the texts at `indexes` (defined below).
void CheckBatch(const std::vector<std::string>& texts, const std::vector<size_t>& indexes,
                std::vector<std::optional<YamlProblem>>* verdicts);

// The verdicts a child printed before it stopped are kept; the texts it did not get to are
// checked one child each, so a runaway text is pinned down.

void ReadVerdicts(const std::vector<std::string>& texts, const std::vector<size_t>& indexes,
                  const ProcessResult& result, std::vector<std::optional<YamlProblem>>* verdicts) {
  size_t done = 0;
  size_t start = 0;
  for (size_t end; done < indexes.size() && (end = result.output.find('\n', start)) !=
                                                  std::string::npos;
       start = end + 1) {
    std::optional<YamlProblem> verdict;
    if (!ParseVerdict(result.output.substr(start, end - start), &verdict)) break;
    if (!verdict) Remember(texts[indexes[done]]);
    (*verdicts)[indexes[done++]] = std::move(verdict);
  }
  if (done == indexes.size()) return;
  if (indexes.size() == 1) {
    (*verdicts)[indexes[0]] = Runaway(result);
    return;
  }
  for (size_t i = done; i < indexes.size(); ++i) CheckBatch(texts, {indexes[i]}, verdicts);
}

// A forked copy of this process checks the texts it already holds: no exec, so none of the
// ~6 ms a fresh start of the binary costs (issue 16). Only while this process has one thread: a
// fork of a threaded process may copy a lock another thread held (malloc's), and the child would
// wait for it forever; the exporter and the operator exec a fresh binary instead.
bool SingleThreaded() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8) == 1;
  }
  return false;
}

ProcessResult ForkAndCheck(const std::vector<std::string>& texts,
                           const std::vector<size_t>& indexes) {
  ProcessResult result;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.error = std::strerror(errno);
    return result;
  }
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    result.error = std::strerror(errno);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return result;
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    const int code = CheckTexts(
        static_cast<int>(indexes.size()),
        [&](int i, std::string* text) {
          *text = texts[indexes[static_cast<size_t>(i)]];
          return true;
        },
        pipe_fds[1]);
    ::_exit(code);
  }
  ::close(pipe_fds[1]);
  result.started = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kChildTimeoutMs);
  char buffer[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child closed its end: it exited
    result.output.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.term_signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

void CheckBatch(const std::vector<std::string>& texts, const std::vector<size_t>& indexes,
                std::vector<std::optional<YamlProblem>>* verdicts) {
  if (SingleThreaded()) {
    ProcessResult result = ForkAndCheck(texts, indexes);
    if (result.started) {
      ReadVerdicts(texts, indexes, result, verdicts);
      return;
    }
  }
  // The texts reach the child as files only this process holds (the child opens them through
  // /proc; no descriptor is inherited).
  std::vector<int> fds;
  std::vector<std::string> argv = {"/proc/self/exe", kYamlCheckCommand};
  bool written = true;
  for (size_t index : indexes) {
    const std::string& text = texts[index];
    const int fd = ::memfd_create("pgpart-policy", MFD_CLOEXEC);
    if (fd < 0) {
      written = false;
      break;
    }
    fds.push_back(fd);
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    written = written && done == text.size();
    argv.push_back("/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd));
  }
  ProcessResult result;
  if (written) result = RunProcess(argv, {}, kChildTimeoutMs);
  for (int fd : fds) ::close(fd);
  if (!result.started) {
    // No /proc, no exec, no memfd: the in-process checks (limits, event pass) still apply.
    static std::once_flag warned;
    std::call_once(warned, [&] {
      std::cerr << "warning: cannot start the bounded YAML parser ("
                << (written ? result.error : std::string(std::strerror(errno)))
                << "); parsing policies in this process\n";
    });
    return;
  }
  ReadVerdicts(texts, indexes, result, verdicts);
}

std::vector<std::optional<YamlProblem>> CheckInChild(const std::vector<std::string>& texts) {
  std::vector<std::optional<YamlProblem>> verdicts(texts.size());
  std::vector<size_t> batch;
  size_t batch_bytes = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (Cached(texts[i])) continue;
    batch.push_back(i);
    batch_bytes += texts[i].size();
    if (batch.size() == kBatchTexts || batch_bytes >= kBatchBytes) {
      CheckBatch(texts, batch, &verdicts);
      batch.clear();
      batch_bytes = 0;
    }
  }
  if (!batch.empty()) CheckBatch(texts, batch, &verdicts);
  return verdicts;
}

}  // namespace

namespace {

// The child's side, whichever way it was started: limits, then a verdict line per text on `out`
// as soon as it is known (a later text that runs away does not lose them). Returns the exit code.
int CheckTexts(int count, const std::function<bool(int, std::string*)>& text_at, int out) {
  const rlimit data{kChildDataBytes, kChildDataBytes};
  const rlimit cpu{kChildCpuSeconds, kChildCpuSeconds + 1};
  const rlimit core{0, 0};
  ::setrlimit(RLIMIT_DATA, &data);
  ::setrlimit(RLIMIT_CPU, &cpu);
  ::setrlimit(RLIMIT_CORE, &core);
  // Under a container memory limit below ours (the operator's pod has 128 MiB), the kernel's OOM
  // killer takes this child first, not the process that started it.
  if (const int oom = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC); oom >= 0) {
    (void)!::write(oom, "1000", 4);
    ::close(oom);
  }
  try {
    // Tests only: a parse that never ends, to show the bound holds.
    if (const char* test = std::getenv("PGPART_TEST_YAML_CHILD");
        test != nullptr && std::strcmp(test, "runaway") == 0) {
      std::vector<char*> hog;
      while (true) {
        char* block = new char[1 << 20];
        std::memset(block, 1, 1 << 20);
        hog.push_back(block);
      }
    }
    std::string text;
    for (int i = 0; i < count; ++i) {
      if (!text_at(i, &text)) return 1;
      const std::optional<YamlProblem> problem = CheckYamlInProcess(text);
      std::string line = "ok\n";
      if (problem) {
        std::string message = problem->message;
        for (char& c : message) {
          if (c == '\n' || c == '\t' || c == '\0') c = ' ';
        }
        line = "problem\t" + std::to_string(problem->line) + "\t" +
               std::to_string(problem->column) + "\t" + message + "\n";
      }
      for (size_t done = 0; done < line.size();) {
        const ssize_t n = ::write(out, line.data() + done, line.size() - done);
        if (n <= 0) return 1;
        done += static_cast<size_t>(n);
      }
    }
    return 0;
  } catch (const std::bad_alloc&) {
    return kExitOutOfMemory;
  }
}

}  // namespace

int RunYamlCheckChild(int count, char** paths) {
  return CheckTexts(
      count,
      [&](int i, std::string* text) {
        return ReadFileUpTo(paths[i], kMaxPolicyBytes + 1, text) == 0;
      },
      STDOUT_FILENO);
}

void InstallYamlSandbox() { SetYamlIsolation(&CheckInChild); }

}  // namespace pgpart::cli
