#include "golden/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "golden/errors.h"

namespace sparq {
namespace {

std::string KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Closes the descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string ReadInputFile(const std::string& path, const std::string& what,
                          uint64_t max_bytes) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    throw InputError(path + ": cannot open the " + what + " (" +
                     std::strerror(errno) + ")");
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    throw InputError(path + ": cannot read the " + what + " (" +
                     std::strerror(errno) + ")");
  }
  if (!S_ISREG(st.st_mode)) {
    throw InputError(path + ": expected the " + what +
                     " to be a regular file, got " + KindOf(st.st_mode));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    throw InputError(path + ": expected a " + what + " of at most " +
                     std::to_string(max_bytes) + " bytes, got " +
                     std::to_string(st.st_size));
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd.get(), &text[done], text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw InputError(path + ": cannot read the " + what + " (" +
                       std::strerror(errno) + ")");
    }
    if (n == 0) break;  // shrank while being read
    done += static_cast<size_t>(n);
  }
  text.resize(done);
  return text;
}

}  // namespace sparq
