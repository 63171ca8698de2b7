#include "cli/yaml_sandbox.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

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

// One child for the texts at `indexes`: the verdicts it printed before it stopped are kept; the
// texts it did not get to are checked one child each, so a runaway text is pinned down.
void CheckBatch(const std::vector<std::string>& texts, const std::vector<size_t>& indexes,
                std::vector<std::optional<YamlProblem>>* verdicts) {
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

int RunYamlCheckChild(int count, char** paths) {
  const rlimit data{kChildDataBytes, kChildDataBytes};
  const rlimit cpu{kChildCpuSeconds, kChildCpuSeconds + 1};
  const rlimit core{0, 0};
  ::setrlimit(RLIMIT_DATA, &data);
  ::setrlimit(RLIMIT_CPU, &cpu);
  ::setrlimit(RLIMIT_CORE, &core);
  // Under a container memory limit below ours (the operator's pod has 128 MiB), the kernel's OOM
  // killer takes this child first, not the process that started it.
  if (FILE* oom = std::fopen("/proc/self/oom_score_adj", "w")) {
    std::fputs("1000", oom);
    std::fclose(oom);
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
    for (int i = 0; i < count; ++i) {
      std::ifstream in(paths[i], std::ios::binary);
      if (!in) return 1;
      std::string text(kMaxPolicyBytes + 1, '\0');
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      text.resize(static_cast<size_t>(in.gcount()));
      const std::optional<YamlProblem> problem = CheckYamlInProcess(text);
      if (problem) {
        std::string message = problem->message;
        for (char& c : message) {
          if (c == '\n' || c == '\t' || c == '\0') c = ' ';
        }
        std::printf("problem\t%d\t%d\t%s\n", problem->line, problem->column, message.c_str());
      } else {
        std::printf("ok\n");
      }
      // Each verdict as soon as it is known: a later text that runs away does not lose them.
      if (std::fflush(stdout) != 0) return 1;
    }
    return 0;
  } catch (const std::bad_alloc&) {
    return kExitOutOfMemory;
  }
}

void InstallYamlSandbox() { SetYamlIsolation(&CheckInChild); }

}  // namespace pgpart::cli
