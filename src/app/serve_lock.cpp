#include "app/serve_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace letterhead::app {

core::result<serve_lock> serve_lock::acquire(const std::string& data_dir, mode m) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const auto path = (std::filesystem::path(data_dir) / "serve.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return core::fail(core::errc::io, "cannot open " + path + ": " + std::strerror(errno));
  const int how = (m == mode::serve ? LOCK_SH : LOCK_EX) | LOCK_NB;
  int rc = 0;
  do {
    rc = ::flock(fd, how);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return serve_lock(fd);
  const int err = errno;
  ::close(fd);
  if (err != EWOULDBLOCK) return core::fail(core::errc::io, "cannot lock " + path + ": " + std::strerror(err));
  if (m == mode::serve) {
    return core::fail(core::errc::conflict,
                      "a store copy is running on " + data_dir + " (it holds " + path +
                          "); start the server when it is done / 存储复制正在进行，请在完成后再启动服务");
  }
  return core::fail(core::errc::conflict,
                    "letterhead serve is running on " + data_dir + " (it holds " + path +
                        "); stop it before copying / 该数据目录上的 letterhead 服务仍在运行，请先停止再复制");
}

serve_lock::~serve_lock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace letterhead::app
