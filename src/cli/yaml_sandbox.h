#pragma once
// The YAML backstop: before this process lets yaml-cpp read a policy text, a child process parses
// the same text under a memory and CPU limit and a timeout — a fork of this process while it has
// one thread (the CLI), else the pgpart binary started again (the exporter and the operator run
// threads). A text the child cannot finish with is refused; this process never runs the parse
// that would have hung or exhausted memory (the exporter keeps serving, the operator keeps
// reconciling).

namespace pgpart::cli {

// argv[1] of the child: `pgpart __check-yaml FILE...` (not a user command; not in --help).
inline constexpr char kYamlCheckCommand[] = "__check-yaml";

// The child's side: applies the limits, then parses each FILE (policy/yaml_guard.h
// CheckYamlInProcess) and prints a line per file as soon as it is done: "ok" or
// "problem<TAB>line<TAB>column<TAB>message". Returns the exit code.
int RunYamlCheckChild(int count, char** paths);

// Installs the child check for every policy text this process parses (SetYamlIsolation).
void InstallYamlSandbox();

}  // namespace pgpart::cli
