#include "cli/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>

namespace pgpart::cli {
namespace {

// Closes the descriptor it owns.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // False with errno set when close() reports an error (e.g. a delayed write failure).
  bool Close() {
    if (fd_ < 0) return true;
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0;
  }

 private:
  int fd_;
};

bool WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Back to blocking writes (the target was opened O_NONBLOCK so that a FIFO without a reader is an
// error instead of a wait).
void MakeBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

std::string RandomSuffix() {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device device;
  std::uniform_int_distribution<size_t> pick(0, sizeof(kChars) - 2);
  std::string suffix;
  for (int i = 0; i < 12; ++i) suffix += kChars[pick(device)];
  return suffix;
}

// The folder part of `path` ("." when it has none) and the last component.
void SplitPath(const std::string& path, std::string* dir, std::string* base) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    *dir = ".";
    *base = path;
  } else {
    *dir = slash == 0 ? "/" : path.substr(0, slash);
    *base = path.substr(slash + 1);
  }
}

// A new, empty file `DIR/.BASE.RANDOM` (mode 0666 less the umask) that did not exist before:
// O_EXCL|O_NOFOLLOW, so a symlink or FIFO of that name is never followed or opened.
int CreateTemporary(const std::string& target, std::string* tmp_path) {
  std::string dir, base;
  SplitPath(target, &dir, &base);
  if (base.size() > 200) base.resize(200);  // room for the affixes within NAME_MAX
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string candidate = dir + "/." + base + "." + RandomSuffix();
    const int fd = ::open(candidate.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *tmp_path = candidate;
      return fd;
    }
    if (errno != EEXIST) return -1;
  }
  errno = EEXIST;
  return -1;
}

// Writes, flushes to disk and closes the temporary file. False with errno set on failure.
bool FillTemporary(Fd& tmp, const std::string& text) {
  return WriteAll(tmp.get(), text) && ::fsync(tmp.get()) == 0 && tmp.Close();
}

bool Fail(const std::string& path, const std::string& why, std::string* error) {
  *error = "cannot write " + path + ": " + why;
  return false;
}

// `path` does not exist: the text appears there whole, and only if nothing else appeared there
// meanwhile (no replacing what another process created).
bool CreateNewFile(const std::string& path, const std::string& text, std::string* error) {
  std::string tmp_path;
  Fd tmp(CreateTemporary(path, &tmp_path));
  if (tmp.get() < 0) return Fail(path, std::strerror(errno), error);
  if (!FillTemporary(tmp, text)) {
    const int err = errno;
    ::unlink(tmp_path.c_str());
    return Fail(path, std::strerror(err), error);
  }
  int rc = ::renameat2(AT_FDCWD, tmp_path.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && errno == EINVAL) {
    // A file system without RENAME_NOREPLACE: link() refuses an existing name just the same.
    rc = ::link(tmp_path.c_str(), path.c_str());
  }
  const int err = errno;
  ::unlink(tmp_path.c_str());  // after link(): the extra name; after a rename: already gone
  if (rc != 0) {
    return Fail(path,
                err == EEXIST ? "it was created by someone else while being written; run again"
                              : std::strerror(err),
                error);
  }
  return true;
}

// Writes through an open descriptor (device, FIFO, terminal, or a regular file that cannot be
// replaced), truncating a regular file first.
bool WriteThrough(Fd& fd, const struct stat& st, const std::string& path, const std::string& text,
                  std::string* error) {
  MakeBlocking(fd.get());
  if (S_ISREG(st.st_mode) && ::ftruncate(fd.get(), 0) != 0) {
    return Fail(path, std::strerror(errno), error);
  }
  if (!WriteAll(fd.get(), text) || !fd.Close()) return Fail(path, std::strerror(errno), error);
  return true;
}

}  // namespace

bool WriteOutputFile(const std::string& path, const std::string& text, std::string* error) {
  // Opened without O_CREAT or O_TRUNC: nothing is created or emptied yet; symlinks are followed
  // so that /dev/stdout and links to devices work; O_NONBLOCK turns a FIFO without a reader
  // into ENXIO instead of an endless wait.
  Fd fd(::open(path.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    struct stat st {};
    if (err == ENOENT) {
      if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        return Fail(path, "it is a symlink to a missing file", error);
      }
      return CreateNewFile(path, text, error);
    }
    if (err == ENXIO && ::stat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) {
      return Fail(path, "it is a FIFO with no reader", error);
    }
    return Fail(path, std::strerror(err), error);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Fail(path, std::strerror(errno), error);
  if (!S_ISREG(st.st_mode)) return WriteThrough(fd, st, path, text, error);

  // `-o /dev/stdout` with stdout redirected to a file: our own stdout, in order with the rest.
  struct stat out {};
  if (::fstat(STDOUT_FILENO, &out) == 0 && out.st_dev == st.st_dev && out.st_ino == st.st_ino) {
    std::cout << text << std::flush;
    return static_cast<bool>(std::cout) || Fail(path, "cannot write to stdout", error);
  }
  // Root may open any file for writing: a file without any write bit is refused for everyone.
  if ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0) {
    return Fail(path, "it is read-only (no write permission bit)", error);
  }
  // The file to replace: the last target of a symlink chain (the links stay).
  std::string target = path;
  struct stat link_st {};
  if (::lstat(path.c_str(), &link_st) != 0) return Fail(path, std::strerror(errno), error);
  if (S_ISLNK(link_st.st_mode)) {
    char* real = ::realpath(path.c_str(), nullptr);
    if (real == nullptr) return Fail(path, std::strerror(errno), error);
    target = real;
    std::free(real);
  }
  // Other hard links would keep the old text if the file were replaced: write in place.
  if (st.st_nlink > 1) return WriteThrough(fd, st, path, text, error);

  std::string tmp_path;
  Fd tmp(CreateTemporary(target, &tmp_path));
  if (tmp.get() < 0) {
    const int err = errno;
    return Fail(path,
                err == EACCES || err == EPERM
                    ? "its folder is not writable (the file is replaced, not rewritten in place)"
                    : std::strerror(err),
                error);
  }
  // The replacement keeps the mode and owner; when the owner cannot be kept (not root, someone
  // else's file), the file is written in place instead.
  struct stat tmp_st {};
  bool keep = ::fchmod(tmp.get(), st.st_mode & 07777) == 0 && ::fstat(tmp.get(), &tmp_st) == 0;
  if (keep && (tmp_st.st_uid != st.st_uid || tmp_st.st_gid != st.st_gid)) {
    keep = ::fchown(tmp.get(), st.st_uid, st.st_gid) == 0 &&
           ::fchmod(tmp.get(), st.st_mode & 07777) == 0;  // chown clears set-id bits
  }
  if (!keep) {
    tmp.Close();
    ::unlink(tmp_path.c_str());
    return WriteThrough(fd, st, path, text, error);
  }
  if (!FillTemporary(tmp, text)) {
    const int err = errno;
    ::unlink(tmp_path.c_str());
    return Fail(path, std::strerror(err), error);
  }
  // Replace only what was checked: not a device or symlink swapped in meanwhile.
  struct stat now {};
  if (::lstat(target.c_str(), &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
    ::unlink(tmp_path.c_str());
    return Fail(path, "it changed while being written; run again", error);
  }
  if (::rename(tmp_path.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp_path.c_str());
    return Fail(path, std::strerror(err), error);
  }
  return true;
}

}  // namespace pgpart::cli
