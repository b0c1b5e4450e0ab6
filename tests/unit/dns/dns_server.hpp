#pragma once
// A real authoritative DNS server for tests: Knot DNS (Debian package `knot`) on a
// free loopback port, serving the zones a test gives, optionally DNSSEC-signed with
// a fresh key (ldns-keygen and ldns-signzone, package `ldnsutils`). Header-only so
// that any library's tests can include it ("../dns/dns_server.hpp"):
//
//   dns_test_server dns({{"example.com", "@ MX 10 mx\nmx A 127.0.0.1\n", /*sign=*/true}});
//   ASSERT_TRUE(dns.start()) << dns.error();
//   dns::options o{.servers = {dns.address()}, .trust_anchor_file = dns.trust_anchor_file()};
//
// Each zone gets an SOA and an NS (localhost.) added; `records` are zone-file lines
// relative to the zone's origin. Names the server has no zone for are REFUSED,
// which a resolver reports as SERVFAIL. Note: libunbound answers localhost and
// 127.in-addr.arpa itself. tests/integration/dnsserver.py is the same for Python.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace letterhead::test {

struct dns_test_zone {
  std::string name;     // "example.com", no trailing dot
  std::string records;  // zone-file lines, relative names under the zone
  bool sign = false;    // DNSSEC-sign it; its DNSKEY goes into trust_anchor_file()
};

class dns_test_server {
 public:
  explicit dns_test_server(std::vector<dns_test_zone> zones) : zones_(std::move(zones)) {}
  dns_test_server(const dns_test_server&) = delete;
  dns_test_server& operator=(const dns_test_server&) = delete;
  ~dns_test_server() {
    stop();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  // Writes and signs the zones, starts knotd and waits until it serves every zone.
  [[nodiscard]] bool start() {
    char tmpl[] = "/tmp/letterhead-dns-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return fail("mkdtemp failed");
    dir_ = tmpl;
    std::ofstream(dir_ / "trust-anchors") << "";
    for (const auto& z : zones_) {
      if (!write_zone(z)) return false;
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      if (port_ == 0) return fail("no free port");
      if (!write_config()) return fail("cannot write knot.conf");
      if (!spawn()) return false;
      if (wait_ready()) return true;
      stop();  // most likely the port was taken meanwhile: try another
    }
    return fail("knotd did not start; see " + (dir_ / "knot.log").string() + ":\n" + read(dir_ / "knot.log"));
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }
  // For dns::options::servers and [dns] servers.
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // DNSKEY records of the signed zones (empty file when none is signed).
  [[nodiscard]] std::string trust_anchor_file() const { return (dir_ / "trust-anchors").string(); }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  bool fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

  static std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // Runs a shell command in the server's directory; its stderr goes to tools.log.
  bool run(const std::string& command) {
    const std::string full = "cd '" + dir_.string() + "' && { " + command + "; } 2>>tools.log";
    if (std::system(full.c_str()) != 0) return fail("failed: " + command + "\n" + read(dir_ / "tools.log"));
    return true;
  }

  bool write_zone(const dns_test_zone& z) {
    const std::string file = z.name + ".zone";
    {
      std::ofstream out(dir_ / file);
      out << "$ORIGIN " << z.name << ".\n$TTL 60\n"
          << "@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 60\n"
          << "@ NS localhost.\n"
          << z.records << "\n";
      if (!out) return fail("cannot write " + file);
    }
    if (!z.sign) return true;
    // One ECDSA P-256 key (RFC 6605) as both KSK and ZSK; NSEC (no NSEC3 iterations).
    if (!run("ldns-keygen -a ECDSAP256SHA256 -k " + z.name + " > " + z.name + ".keyname")) return false;
    std::string key = read(dir_ / (z.name + ".keyname"));
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    if (!run("ldns-signzone -o " + z.name + " -f " + file + ".signed " + file + " " + key + " >>tools.log")) {
      return false;
    }
    if (!run("cat " + key + ".key >> trust-anchors")) return false;
    return true;
  }

  bool write_config() {
    std::ofstream out(dir_ / "knot.conf");
    out << "server:\n    listen: 127.0.0.1@" << port_ << "\n    rundir: " << dir_.string()
        << "\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
        << "log:\n  - target: stderr\n    any: info\n"
        << "database:\n    storage: " << (dir_ / "db").string() << "\n"
        << "template:\n  - id: default\n    storage: " << dir_.string()
        << "\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n"
        << "zone:\n";
    for (const auto& z : zones_) {
      out << "  - domain: " << z.name << "\n    file: " << z.name << ".zone" << (z.sign ? ".signed" : "")
          << "\n";
    }
    return static_cast<bool>(out);
  }

  bool spawn() {
    const std::string conf = (dir_ / "knot.conf").string();
    const std::string log = (dir_ / "knot.log").string();
    pid_ = ::fork();
    if (pid_ < 0) return fail("fork failed");
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execlp("knotd", "knotd", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return true;
  }

  // A port free for both UDP and TCP on 127.0.0.1 right now.
  static std::uint16_t free_port() {
    for (int i = 0; i < 20; ++i) {
      const int u = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof a;
      if (u < 0) return 0;
      if (::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
          ::getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(u);
        continue;
      }
      const int t = ::socket(AF_INET, SOCK_STREAM, 0);
      const bool tcp_ok = t >= 0 && ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      if (t >= 0) ::close(t);
      ::close(u);
      if (tcp_ok) return ntohs(a.sin_port);
    }
    return 0;
  }

  // True when an SOA query for the zone gets an authoritative NOERROR answer.
  bool serves(const std::string& zone) const {
    std::string q("\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
    std::stringstream labels(zone);
    for (std::string label; std::getline(labels, label, '.');) {
      q += static_cast<char>(label.size());
      q += label;
    }
    q += std::string("\x00\x00\x06\x00\x01", 5);  // root, QTYPE SOA, QCLASS IN
    const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = false;
    if (::sendto(s, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
        static_cast<ssize_t>(q.size())) {
      pollfd p{s, POLLIN, 0};
      unsigned char r[512];
      if (::poll(&p, 1, 200) == 1) {
        const ssize_t n = ::recv(s, r, sizeof r, 0);
        // ID matches, QR and AA set, RCODE 0 (RFC 1035 §4.1.1).
        ok = n >= 12 && r[0] == 0x12 && r[1] == 0x34 && (r[2] & 0x84) == 0x84 && (r[3] & 0x0f) == 0;
      }
    }
    ::close(s);
    return ok;
  }

  bool wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      bool all = true;
      for (const auto& z : zones_) all = all && serves(z.name);
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::vector<dns_test_zone> zones_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string error_;
};

// A UDP "DNS server" on loopback that reads queries and never answers: for timeouts.
class silent_dns_server {
 public:
  silent_dns_server() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  silent_dns_server(const silent_dns_server&) = delete;
  silent_dns_server& operator=(const silent_dns_server&) = delete;
  ~silent_dns_server() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace letterhead::test
