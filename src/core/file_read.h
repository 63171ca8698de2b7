#pragma once
// Reading a whole input file into memory, bounded (policy files, Kubernetes credential files,
// catalog snapshots, saved plans): a file that never ends (/dev/zero, a FIFO that keeps writing)
// costs at most the caller's limit, and a small file costs its size, not the limit.

#include <cstddef>
#include <string>

namespace pgpart {

// Reads at most `limit` bytes of the file at `path` into *text: a regular file into a string of
// its size with one read(2), a stream (a pipe, /dev/stdin) in doubling pieces. Callers pass their
// maximum + 1 to tell a file of exactly the maximum from a longer one. Returns 0, or the errno of
// the open, fstat or read that failed (*text is then unchanged).
int ReadFileUpTo(const std::string& path, size_t limit, std::string* text);

}  // namespace pgpart
