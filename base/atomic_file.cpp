// All-or-nothing file writes (see atomic_file.h).
#include "base/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/error.h"

namespace dg {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Makes the rename durable: the folder entry is on disk once this returns (best effort: a folder
// that cannot be opened, e.g. on some network file systems, is skipped).
void fsync_dir(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// fsync of a file the writer has closed.
void fsync_file(const std::string& tmp, const std::string& path) {
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  DG_CHECK(fd >= 0,
           path << ": cannot reopen the temporary file " << tmp << ": " << errno_text(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  DG_CHECK(rc == 0, path << ": write failed (fsync): " << errno_text(err));
}

// The shared mechanism: `write(tmp)` leaves a complete temporary file, fsync'ed by `write` itself
// when `synced`, else here; then it is renamed over `path` and the folder fsync'ed. On any failure
// the temporary file is removed.
void commit_atomic(const std::string& path, bool synced,
                   const std::function<void(const std::string& tmp)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    write(tmp);
    if (!synced) fsync_file(tmp, path);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    DG_CHECK(!ec, path << ": cannot rename " << tmp << " into place: " << ec.message());
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  fsync_dir(path);
}

}  // namespace

void write_all(std::FILE* f, const void* data, size_t n, const std::string& path) {
  errno = 0;
  if (n > 0 && std::fwrite(data, 1, n, f) != n)
    DG_FAIL(path << ": write failed: " << errno_text(errno ? errno : EIO)
                 << " (disk full or a file-size limit?)");
}

void write_file_atomic_via(const std::string& path,
                           const std::function<void(const std::string& tmp)>& write) {
  commit_atomic(path, /*synced=*/false, write);
}

void write_file_atomic(const std::string& path, const std::function<void(std::FILE* f)>& write) {
  commit_atomic(path, /*synced=*/true, [&](const std::string& tmp) {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    DG_CHECK(f, path << ": cannot create " << tmp << ": " << errno_text(errno));
    try {
      write(f);
    } catch (...) {
      std::fclose(f);
      throw;
    }
    // Flushed and fsync'ed through the open file: no second open to sync it.
    errno = 0;
    const bool synced = std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
    const int err = errno;
    const bool closed = std::fclose(f) == 0;
    DG_CHECK(synced && closed, path << ": write failed: " << errno_text(err ? err : EIO)
                                    << " (disk full or a file-size limit?)");
  });
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  write_file_atomic(path, [&](std::FILE* f) { write_all(f, bytes.data(), bytes.size(), path); });
}

}  // namespace dg
