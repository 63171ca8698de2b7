#pragma once
// Shared by the end-to-end fixtures (tests/cli, tests/apply_e2e and the suites that reuse them):
// the sandbox server, per-test folders and scratch databases, plain file helpers.

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pgpart::test_env {

// "Suite_Test" of the running GoogleTest test ("no_test" outside one).
std::string CurrentTestName();

// PGPART_TEST_DSN (set by ctest's `pg` fixture). Records a test failure and returns "" when it
// is missing: the suites that need a server never skip silently.
std::string ServerDsn();

// Path of a file in the source tree (PGPART_SOURCE_DIR).
std::string SourcePath(const std::string& relative);

// A folder for the running test, created empty (<tmp>/<prefix>-<pid>-<test>). The previous test's
// folder is removed when the next test asks for its own, and at exit.
std::string TestDir(const std::string& prefix);

std::string ReadFile(const std::string& path);
// Creates the parent folders.
void WriteFile(const std::string& path, const std::string& text);

// A database name for the running test: <prefix>_<test>[_<suffix>], lower case, [a-z0-9_], at
// most 63 bytes (long names are cut and keep a hash).
std::string ScratchDatabaseName(const std::string& prefix, const std::string& suffix = "");
// Drops any leftover of that name, then creates it (from `template_db` when given). Records a test
// failure when it cannot.
void CreateDatabase(const std::string& name, const std::string& template_db = "");
// Drops it; silent on failure (the next run of the same test drops leftovers).
void DropDatabase(const std::string& name);

// A TCP port nobody listens on right now: the kernel's pick, bound and released (another process
// could still take it first). Free on 127.0.0.1, or on every interface with `any_interface`.
int FreePort(bool any_interface = false);

// An IPv4 address of this machine other than loopback, if it has one.
std::optional<std::string> NonLoopbackIpv4();

// Environment changes for a child: value nullopt unsets the variable.
using EnvChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Starts argv[0] (looked up in PATH unless it has a slash) with stdin from /dev/null and stdout
// and stderr written to the two files. The child starts without PGPART_DSN, libpq's PG*
// connection variables, SOURCE_DATE_EPOCH and PGPART_TEST_PAUSE_AT, so the developer's
// environment cannot leak in; `env` is applied after. Returns the pid, or -1 after a test failure.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path,
            const std::string& err_path, const EnvChanges& env = {});

// A waitpid status as a shell reports it: the exit code, or 128 + the signal that killed it.
int ExitCode(int wait_status);

}  // namespace pgpart::test_env
