#include "store/blobs/fs_blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <system_error>

#include <openssl/evp.h>

#include "store/detail/names.hpp"

namespace letterhead::store {

namespace {

std::string errno_text(int err) { return std::system_category().message(err); }

// A full disk is a condition the admin can fix and the client may retry (SMTP 452/451),
// anything else is an I/O error.
core::errc errno_code(int err) {
  return (err == ENOSPC || err == EDQUOT) ? core::errc::unavailable : core::errc::io;
}

std::unexpected<core::error> io_fail(const char* what, const std::filesystem::path& p, int err) {
  return core::fail(errno_code(err),
                    std::string("blob store: ") + what + " " + p.string() + ": " + errno_text(err));
}

core::result<void> fsync_path(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_fail("cannot open directory", p, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_fail("cannot fsync directory", p, err);
  return {};
}

// Closes the descriptor on every path out of put.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

std::atomic<std::uint64_t> temp_counter{0};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest fails only when OpenSSL cannot allocate. The empty string that results
  // is not a blob name, so put() then fails with errc::invalid rather than storing
  // bytes under a wrong name.
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

core::result<std::unique_ptr<fs_blob_store>> fs_blob_store::open(const std::filesystem::path& root) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) {
    return core::fail(core::errc::io, "blob store: cannot create " + root.string() + ": " + ec.message());
  }
  if (::access(root.c_str(), W_OK | X_OK) != 0) {
    return io_fail("cannot write to", root, errno);
  }
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_fail("cannot open", root, errno);
  return std::unique_ptr<fs_blob_store>(new fs_blob_store(root, fd));
}

fs_blob_store::~fs_blob_store() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

core::result<void> fs_blob_store::sync_deferred() {
  // One syncfs(2) flushes every file written and renamed on this filesystem, the
  // directory entries included: a whole group of messages for the price of one sync.
  std::lock_guard lock(sync_mutex_);
  const auto target = deferred_done_.load();
  if (deferred_synced_.load() >= target) return {};
  if (::syncfs(root_fd_) != 0) return io_fail("cannot sync the filesystem of", root_, errno);
  deferred_synced_.store(target);
  return {};
}

std::filesystem::path fs_blob_store::path_of(std::string_view hash) const {
  std::string h(hash);
  return root_ / h.substr(0, 2) / h.substr(2, 2) / h;
}

core::result<void> fs_blob_store::ensure_dir(const std::filesystem::path& dir) {
  {
    std::lock_guard lock(dirs_mutex_);
    if (durable_dirs_.contains(dir.string())) return {};
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return io_fail("cannot create directory", dir, errno);
  }
  // Also when it existed already: another thread may have created it and not yet
  // fsynced its parent, and our blob must not depend on that thread.
  if (auto r = fsync_path(dir.parent_path()); !r) return r;
  std::lock_guard lock(dirs_mutex_);
  durable_dirs_.insert(dir.string());
  return {};
}

core::result<void> fs_blob_store::put_hashed(std::string_view hash, std::string_view bytes,
                                             durability when) {
  const bool deferred = when == durability::deferred;
  // Counted when the put returns, so that a sync_deferred() begun after it covers it.
  struct count_on_success {
    std::atomic<std::uint64_t>* counter;
    bool ok = false;
    ~count_on_success() {
      if (ok && counter != nullptr) counter->fetch_add(1);
    }
  } counted{deferred ? &deferred_done_ : nullptr};
  if (!detail::is_blob_hash(hash)) {
    return core::fail(core::errc::invalid, "blob store: \"" + std::string(hash) + "\" is not a blob hash");
  }
  auto final_path = path_of(hash);
  struct stat st {};
  if (::stat(final_path.c_str(), &st) == 0) {
    // Content-addressed: same name, same bytes. The file may come from a deferred put
    // not yet synced; a caller that needs durability now gets it.
    counted.ok = true;
    if (!deferred && deferred_synced_.load() < deferred_done_.load()) return sync_deferred();
    return {};
  }

  auto dir = final_path.parent_path();
  if (auto r = ensure_dir(dir.parent_path()); !r) return r;
  if (auto r = ensure_dir(dir); !r) return r;

  auto temp_path = dir / (".tmp." + std::string(hash.substr(0, 16)) + "." +
                          std::to_string(::getpid()) + "." + std::to_string(++temp_counter));
  fd_guard fd{::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (fd.fd < 0) return io_fail("cannot create", temp_path, errno);

  auto discard = [&](const char* what, int err) {
    ::close(fd.fd);
    fd.fd = -1;
    ::unlink(temp_path.c_str());
    return io_fail(what, temp_path, err);
  };
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd.fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return discard("cannot write", errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (!deferred && ::fsync(fd.fd) != 0) return discard("cannot fsync", errno);
  int close_rc = ::close(fd.fd);
  fd.fd = -1;
  if (close_rc != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    return io_fail("cannot close", temp_path, err);
  }
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    return io_fail("cannot rename into", final_path, err);
  }
  counted.ok = true;
  if (deferred) return {};
  // The rename is durable only once the directory is.
  return fsync_path(dir);
}

core::result<std::string> fs_blob_store::get(std::string_view hash) const {
  if (!detail::is_blob_hash(hash)) {
    return core::fail(core::errc::invalid, "blob store: \"" + std::string(hash) + "\" is not a blob hash");
  }
  auto path = path_of(hash);
  fd_guard fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) {
    if (errno == ENOENT) return core::fail(core::errc::not_found, "blob " + std::string(hash) + " not found");
    return io_fail("cannot open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) return io_fail("cannot stat", path, errno);
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd.fd, out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_fail("cannot read", path, errno);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (done != out.size()) return core::fail(core::errc::io, "blob store: short read of " + path.string());
  return out;
}

bool fs_blob_store::contains(std::string_view hash) const {
  if (!detail::is_blob_hash(hash)) return false;
  struct stat st {};
  return ::stat(path_of(hash).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

core::result<std::uint64_t> fs_blob_store::size(std::string_view hash) const {
  if (!detail::is_blob_hash(hash)) {
    return core::fail(core::errc::invalid, "blob store: \"" + std::string(hash) + "\" is not a blob hash");
  }
  auto path = path_of(hash);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return core::fail(core::errc::not_found, "blob " + std::string(hash) + " not found");
    return io_fail("cannot stat", path, errno);
  }
  return static_cast<std::uint64_t>(st.st_size);
}

core::result<void> fs_blob_store::remove(std::string_view hash) {
  if (!detail::is_blob_hash(hash)) {
    return core::fail(core::errc::invalid, "blob store: \"" + std::string(hash) + "\" is not a blob hash");
  }
  auto path = path_of(hash);
  // No directory fsync: a removal undone by a power loss leaves an orphan that the
  // sweep removes later, which is cheaper than an fsync per removal.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_fail("cannot remove", path, errno);
  return {};
}

core::result<void> fs_blob_store::scan(
    const std::function<void(std::string_view hash, unix_time stored)>& fn, std::int64_t stale_age_seconds) {
  std::error_code ec;
  auto now = static_cast<unix_time>(::time(nullptr));
  std::filesystem::recursive_directory_iterator it(root_, ec), end;
  if (ec) return core::fail(core::errc::io, "blob store: cannot list " + root_.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return core::fail(core::errc::io, "blob store: cannot list " + root_.string() + ": " + ec.message());
    if (it.depth() != 2) continue;  // blobs live exactly at ab/cd/<hash>
    const auto& path = it->path();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    auto name = path.filename().string();
    auto mtime = static_cast<unix_time>(st.st_mtime);
    if (name.starts_with(".tmp.")) {
      if (now - mtime >= stale_age_seconds) ::unlink(path.c_str());
      continue;
    }
    if (detail::is_blob_hash(name) && path_of(name) == path) fn(name, mtime);
  }
  return {};
}

}  // namespace letterhead::store
