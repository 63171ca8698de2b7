#pragma once
// Running a helper program: argv (no shell), extra environment, a timeout, captured output.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pgpart {

struct ProcessResult {
  bool started = false;    // false: could not be executed (detail in error)
  bool timed_out = false;  // killed after the timeout
  int exit_code = -1;      // valid when started && !timed_out && !signaled
  bool signaled = false;
  int term_signal = 0;     // the signal that ended it, when signaled
  std::string output;      // stdout (capped at 4 MiB)
  std::string error;       // stderr (capped at 1 MiB) or why it could not start
  bool truncated = false;  // output or error hit its cap (the rest was read and discarded)
};

// Runs argv[0] (looked up in the caller's PATH) with argv, the current environment plus `env`
// (same names replaced), stdin from /dev/null and no other inherited descriptors. Never a shell.
// The program runs in its own process group; after `timeout_ms` (<= 0: no limit) the group is
// killed (SIGKILL) and timed_out is set. Whatever the program leaves running in its group when it
// exits is killed too. Blocks until then.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::pair<std::string, std::string>>& env,
                         int64_t timeout_ms);

}  // namespace pgpart
