// The clamd client: reply parsing, the INSTREAM framing as a recording server sees
// it (TCP and unix socket), timeouts and refusals, and a real clamd (Debian's
// clamav-daemon) started here with a one-signature database of our own.
#include "filter/clamav.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

namespace letterhead::filter {
namespace {

namespace fs = std::filesystem;

const std::string eicar = R"(X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*)";

TEST(ClamdReply, Parses) {
  auto ok = parse_clamd_reply("stream: OK");
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ok->infected);
  auto found = parse_clamd_reply(std::string_view("stream: Win.Test.EICAR_HDB-1 FOUND\0", 35));
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->infected);
  EXPECT_EQ(found->signature, "Win.Test.EICAR_HDB-1");
  auto limit = parse_clamd_reply("INSTREAM size limit exceeded. ERROR");
  ASSERT_FALSE(limit);
  EXPECT_EQ(limit.error().code, core::errc::limit);
  auto failed = parse_clamd_reply("stream: Can't allocate memory ERROR");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, core::errc::unavailable);
  EXPECT_FALSE(parse_clamd_reply("stream: lstat() failed ERROR"));
  EXPECT_FALSE(parse_clamd_reply(""));
  EXPECT_FALSE(parse_clamd_reply("FOUND"));
}

TEST(ClamdAddress, Parses) {
  auto t = parse_clamd_address("tcp://127.0.0.1:3310");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->unix_socket);
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 3310);
  auto v6 = parse_clamd_address("tcp://[::1]:3310");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  auto u = parse_clamd_address("unix:/run/clamav/clamd.ctl");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->unix_socket);
  EXPECT_EQ(u->path, "/run/clamav/clamd.ctl");
  EXPECT_FALSE(parse_clamd_address("127.0.0.1:3310"));
  EXPECT_FALSE(parse_clamd_address("unix:"));
  EXPECT_FALSE(parse_clamd_address("tcp://nohost"));
}

// A one-connection server that records what it receives until the zero-length
// chunk, then answers `reply` (or nothing, to test the timeout).
class recording_server {
 public:
  explicit recording_server(std::string reply, bool unix_socket = false, bool silent = false)
      : reply_(std::move(reply)), silent_(silent) {
    if (unix_socket) {
      path_ = (fs::temp_directory_path() / ("lh-clamd-" + std::to_string(::getpid()) + ".sock")).string();
      ::unlink(path_.c_str());
      listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un sa{};
      sa.sun_family = AF_UNIX;
      std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path_.c_str());
      EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    } else {
      listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
      socklen_t len = sizeof sa;
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&sa), &len);
      port_ = ntohs(sa.sin_port);
    }
    ::listen(listener_, 1);
    thread_ = std::thread([this] { serve(); });
  }
  ~recording_server() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  [[nodiscard]] std::string address() const {
    return path_.empty() ? "tcp://127.0.0.1:" + std::to_string(port_) : "unix:" + path_;
  }
  std::string received;

 private:
  void serve() {
    pollfd p{listener_, POLLIN, 0};
    while (!stop_ && ::poll(&p, 1, 50) == 0) {
    }
    if (stop_) return;
    const int fd = ::accept(listener_, nullptr, nullptr);
    char buf[4096];
    for (;;) {
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      received.append(buf, static_cast<std::size_t>(n));
      if (received.size() >= 14 && received.compare(received.size() - 4, 4, std::string(4, '\0')) == 0) break;
    }
    if (!silent_) {
      ::send(fd, reply_.data(), reply_.size(), MSG_NOSIGNAL);
    } else {
      while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::close(fd);
  }

  std::string reply_;
  bool silent_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::string path_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string be32(std::uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
}

TEST(ClamdScan, FramesChunksAsInstream) {
  for (const bool unix_socket : {false, true}) {
    std::string reply = "stream: OK";
    reply += '\0';
    recording_server server(reply, unix_socket);
    clamd_options o;
    o.address = *parse_clamd_address(server.address());
    o.chunk_size = 4;
    o.timeout = std::chrono::milliseconds(5000);
    auto r = clamd_scan(o, "0123456789");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->infected);
    const std::string want = std::string("zINSTREAM\0", 10) + be32(4) + "0123" + be32(4) + "4567" + be32(2) + "89" +
                             be32(0);
    // The server thread finished reading before it answered.
    EXPECT_EQ(server.received, want);
  }
}

TEST(ClamdScan, FailuresAreUnavailable) {
  clamd_options o;
  o.timeout = std::chrono::milliseconds(300);
  {
    // Nobody listens: refused at once.
    o.address = *parse_clamd_address("tcp://127.0.0.1:1");
    auto r = clamd_scan(o, "data");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::errc::unavailable);
  }
  {
    recording_server silent("", false, true);
    o.address = *parse_clamd_address(silent.address());
    const auto start = std::chrono::steady_clock::now();
    auto r = clamd_scan(o, "data");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::errc::unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  }
  {
    recording_server limited(std::string("INSTREAM size limit exceeded. ERROR\0", 37));
    o.address = *parse_clamd_address(limited.address());
    auto r = clamd_scan(o, "data");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::errc::limit);
  }
  o.address = *parse_clamd_address("unix:/nonexistent/clamd.sock");
  EXPECT_FALSE(clamd_scan(o, "data"));
}

// Debian's clamd in the foreground with its own config and a database holding one
// body signature for the EICAR string (freshclam has no network here).
class real_clamd {
 public:
  real_clamd() {
    dir_ = fs::temp_directory_path() / ("lh-clamd-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "db");
    std::string hex;
    for (const unsigned char c : eicar) hex += fmt_hex(c);
    std::ofstream(dir_ / "db" / "letterhead.ndb") << "Letterhead.Test.EICAR:0:*:" << hex << "\n";
    socket_ = (dir_ / "clamd.sock").string();
    std::ofstream(dir_ / "clamd.conf") << "Foreground yes\nLocalSocket " << socket_ << "\nDatabaseDirectory "
                                       << (dir_ / "db").string() << "\nLogFile " << (dir_ / "clamd.log").string()
                                       << "\nStreamMaxLength 1M\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      const std::string conf = (dir_ / "clamd.conf").string();
      ::execl("/usr/sbin/clamd", "clamd", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~real_clamd() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Waits until clamd answers on its socket.
  bool ready() {
    for (int i = 0; i < 300; ++i) {
      if (fs::exists(socket_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  [[nodiscard]] std::string address() const { return "unix:" + socket_; }

 private:
  static std::string fmt_hex(unsigned char c) {
    static constexpr char h[] = "0123456789abcdef";
    return {h[c >> 4], h[c & 15]};
  }
  fs::path dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

// A real clamd per test, and options that reach it.
class RealClamd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/sbin/clamd")) GTEST_SKIP() << "clamav-daemon is not installed";
    clamd_.emplace();
    ASSERT_TRUE(clamd_->ready());
    o.address = *parse_clamd_address(clamd_->address());
    o.timeout = std::chrono::milliseconds(20000);
  }
  std::optional<real_clamd> clamd_;
  clamd_options o;
};

TEST_F(RealClamd, Scans) {
  o.chunk_size = 7;  // many chunks, split inside the signature

  const std::string message = "From: a@example.org\r\nSubject: test\r\n\r\nHello " + eicar + "\r\n";
  auto infected = clamd_scan(o, message);
  ASSERT_TRUE(infected) << infected.error().message;
  EXPECT_TRUE(infected->infected);
  EXPECT_EQ(infected->signature.rfind("Letterhead.Test.EICAR", 0), 0u) << infected->signature;

  auto clean = clamd_scan(o, "From: a@example.org\r\nSubject: test\r\n\r\nHello\r\n");
  ASSERT_TRUE(clean) << clean.error().message;
  EXPECT_FALSE(clean->infected);

  // Past StreamMaxLength clamd says so; that is not a clean result.
  o.chunk_size = 64 * 1024;
  auto big = clamd_scan(o, std::string(3 << 20, 'a'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, core::errc::limit) << big.error().message;
}

TEST_F(RealClamd, ScansEachStreamOnItsOwnUnderOneDeadline) {
  const std::string clean = "%PDF-1.4 a report";
  const std::string bad = "Hello " + eicar;
  auto none = clamd_scan_each(o, std::vector<std::string_view>{clean, clean});
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->infected);
  // The infected stream is named by its index; what follows it is not sent.
  auto found = clamd_scan_each(o, std::vector<std::string_view>{clean, bad, clean});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(found->infected);
  EXPECT_EQ(found->stream, 1u);
  // Halves of the signature in two streams are two clean files: they are not one.
  const std::string_view whole = bad;
  auto split = clamd_scan_each(o, std::vector<std::string_view>{whole.substr(0, 30), whole.substr(30)});
  ASSERT_TRUE(split);
  EXPECT_FALSE(split->infected);
  // A stream over StreamMaxLength (1M here) is passed over: the others are still
  // scanned, and the result says the limit was met unless one of them is infected.
  const std::string big(3 << 20, 'a');
  auto after_big = clamd_scan_each(o, std::vector<std::string_view>{big, bad});
  ASSERT_TRUE(after_big) << after_big.error().message;
  EXPECT_TRUE(after_big->infected);
  EXPECT_EQ(after_big->stream, 1u);
  auto too_large = clamd_scan_each(o, std::vector<std::string_view>{clean, big});
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, core::errc::limit);
  // Nothing to scan is clean.
  auto empty = clamd_scan_each(o, {});
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->infected);
}

}  // namespace
}  // namespace letterhead::filter
