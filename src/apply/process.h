#pragma once
// Running a helper program: argv (no shell), extra environment, a timeout, captured output.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pgpart {

struct ProcessResult {
  bool started = false;     // false: could not be executed (detail in error)
  bool timed_out = false;   // killed after the timeout
  int exit_code = -1;       // valid when started && !timed_out && !signaled
  bool signaled = false;
  std::string output;       // stdout (capped at 4 MiB)
  std::string error;        // stderr (capped) or why it could not start
};

// Runs argv[0] (looked up in PATH) with argv, the current environment plus `env`, and no stdin.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::pair<std::string, std::string>>& env,
                         int64_t timeout_ms);

}  // namespace pgpart
