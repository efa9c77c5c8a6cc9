#include "plan/file_io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "trtutils/core/error.hpp"

namespace trtutils::plan {

namespace {

[[noreturn]] void fail_errno(const std::filesystem::path& path, const char* action, int error) {
  throw FileError(
      detail::concat(path.string(), ": cannot ", action, " (", std::strerror(error), ")"));
}

// Closes a descriptor on scope exit.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, std::span<const std::byte> bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      fail_errno(path, "write", errno);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
}

std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path temporary = path;
  temporary += detail::concat(".tmp-", ::getpid(), "-", counter++);
  return temporary;
}

}  // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::filesystem::path& path) {
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) fail_errno(path, "open for reading", errno);
  struct stat status {};
  if (::fstat(file.fd, &status) != 0) fail_errno(path, "determine the file size", errno);
  if (!S_ISREG(status.st_mode)) {
    throw FileError(detail::concat(path.string(), ": not a regular file"));
  }
  const auto size = static_cast<std::size_t>(status.st_size);
  if (size == 0) return std::shared_ptr<const MappedFile>(new MappedFile(nullptr, 0));
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (data == MAP_FAILED) fail_errno(path, "memory-map", errno);
  return std::shared_ptr<const MappedFile>(
      new MappedFile(static_cast<const std::byte*>(data), size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
}

void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  const std::filesystem::path temporary = temporary_path_for(path);
  try {
    FileDescriptor file{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
    if (file.fd < 0) fail_errno(temporary, "create", errno);
    write_all(file.fd, bytes, temporary);
    if (::fsync(file.fd) != 0) fail_errno(temporary, "flush to disk", errno);
    const int fd = std::exchange(file.fd, -1);
    if (::close(fd) != 0) fail_errno(temporary, "close", errno);
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
      const int error = errno;
      fail_errno(path, "replace it by renaming the temporary file", error);
    }
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
}

}  // namespace trtutils::plan
