// UniqueFd: sole owner of one file descriptor. Move-only; the destructor closes it, so
// an fd held in a UniqueFd is closed on every path, including a constructor that throws
// half-way (members are destroyed even when the owning object's destructor never runs).
#pragma once

#include <unistd.h>

#include <utility>

namespace vpcmesh {

class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of `fd` (-1, or any negative value, means "none").
  explicit UniqueFd(int fd) : fd_(fd < 0 ? -1 : fd) {}
  ~UniqueFd() { reset(); }

  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }

  // The fd, still owned (-1 when none).
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing: the caller must close the returned fd.
  int release() { return std::exchange(fd_, -1); }
  // Closes the fd held (if any) and takes ownership of `fd`.
  void reset(int fd = -1) {
    int old = std::exchange(fd_, fd < 0 ? -1 : fd);
    if (old >= 0) ::close(old);
  }

 private:
  int fd_ = -1;
};

}  // namespace vpcmesh
