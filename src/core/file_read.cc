// Bounded whole-file reads (file_read.h).

#include "core/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace pgpart {

int ReadFileUpTo(const std::string& path, size_t limit, std::string* text) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int error = errno;
    close(fd);
    return error;
  }
  std::string out;
  // A regular file: its size and one byte more, so that EOF is seen without growing (unless the
  // file grew meanwhile). Anything else has no size: start small and double.
  const size_t first = S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1 : 64 * 1024;
  out.resize(std::min(first, limit));
  size_t size = 0;
  while (size < limit) {
    if (size == out.size()) out.resize(std::min(std::max<size_t>(1, 2 * out.size()), limit));
    const ssize_t n = read(fd, out.data() + size, out.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      close(fd);
      return error;
    }
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  close(fd);
  out.resize(size);
  if (!S_ISREG(st.st_mode)) out.shrink_to_fit();  // up to half of a doubled piece unused
  *text = std::move(out);
  return 0;
}

}  // namespace pgpart
