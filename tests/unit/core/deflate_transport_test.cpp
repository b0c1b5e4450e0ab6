// The DEFLATE transport (RFC 4978 for IMAP) over an in-memory transport, checked
// against zlib used directly as the peer: round trips both ways with the peer's full
// 32 KiB window, a sync flush ending every write, input split at every byte, a
// decompression bomb inflated only as fast as it is read, corrupt input, and the
// memory one connection costs.
#include "core/deflate_transport.hpp"

#include <deque>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <zlib.h>

namespace letterhead::core {
namespace {

namespace asio = boost::asio;

// Reads hand out the queued chunks one at a time (at most `max` bytes); after them
// the peer closes. Writes are collected.
class memory_transport final : public transport {
 public:
  asio::awaitable<result<std::size_t>> read_some(std::string& buf, std::size_t max, std::chrono::seconds) override {
    ++reads;
    if (input.empty()) co_return std::size_t{0};
    auto& front = input.front();
    const auto n = std::min(max, front.size());
    buf.append(front, 0, n);
    front.erase(0, n);
    if (front.empty()) input.pop_front();
    co_return n;
  }
  asio::awaitable<result<void>> write(std::string_view data, std::chrono::seconds) override {
    writes.emplace_back(data);
    co_return result<void>{};
  }
  asio::awaitable<result<void>> start_tls(std::chrono::seconds) override { co_return result<void>{}; }
  bool tls() const override { return true; }
  std::string tls_description() const override { return "TLSv1.3 TEST"; }
  std::string peer_ip() const override { return "192.0.2.1"; }
  bool peer_is_loopback() const override { return false; }
  void cancel_read() override {}
  void close() override { closed = true; }

  std::deque<std::string> input;
  std::vector<std::string> writes;
  std::size_t reads = 0;
  bool closed = false;
};

// The peer's side, written with zlib directly: raw DEFLATE with the largest window.
std::string compress_raw(std::string_view data, int flush = Z_SYNC_FLUSH, int level = 9) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, level, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, data.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_NE(deflate(&s, flush), Z_STREAM_ERROR);
  out.resize(out.size() - s.avail_out);
  deflateEnd(&s);
  return out;
}

std::string inflate_raw(std::string_view data) {
  z_stream s{};
  EXPECT_EQ(inflateInit2(&s, -15), Z_OK);
  std::string out;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  char buf[4096];
  do {
    s.next_out = reinterpret_cast<Bytef*>(buf);
    s.avail_out = sizeof buf;
    const int rc = inflate(&s, Z_SYNC_FLUSH);
    EXPECT_TRUE(rc == Z_OK || rc == Z_BUF_ERROR || rc == Z_STREAM_END) << rc;
    out.append(buf, sizeof buf - s.avail_out);
    if (rc == Z_BUF_ERROR) break;
  } while (s.avail_in > 0 || s.avail_out == 0);
  inflateEnd(&s);
  return out;
}

template <class F>
void run(F f) {
  asio::io_context io;
  bool done = false;
  auto body = [&]() -> asio::awaitable<void> {
    co_await f();
    done = true;
  };
  asio::co_spawn(io, body(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  ASSERT_TRUE(done);
}

// Reads until EOF or error with reads of at most `max` bytes; records the largest.
struct drained {
  std::string data;
  std::size_t largest = 0;
  std::size_t peak_pending = 0;
  std::size_t peak_memory = 0;
  bool error = false;
};

asio::awaitable<drained> drain(deflate_transport& t, std::size_t max) {
  drained d;
  for (;;) {
    std::string buf;
    auto n = co_await t.read_some(buf, max, std::chrono::seconds(5));
    d.peak_pending = std::max(d.peak_pending, t.pending_input());
    d.peak_memory = std::max(d.peak_memory, t.memory());
    if (!n) {
      d.error = true;
      co_return d;
    }
    if (*n == 0) co_return d;
    EXPECT_EQ(buf.size(), *n);
    d.largest = std::max(d.largest, *n);
    d.data += buf;
  }
}

std::string sample_text(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  static const char* words[] = {"* 1 FETCH (UID 17 FLAGS (\\Seen))\r\n", "Subject: quarterly report\r\n",
                                "报告 ", "alpha ", "beta ", "\r\n", "x"};
  std::string s;
  while (s.size() < size) s += words[rng() % 7];
  s.resize(size);
  return s;
}

TEST(DeflateTransport, InflatesThePeersStreamWithItsFullWindow) {
  // Repeats far apart (more than our own 2 KiB window) only decode with a 32 KiB one.
  const std::string block = sample_text(20000, 1);
  const std::string plain = block + block + "a1 NOOP\r\n";
  auto inner = std::make_shared<memory_transport>();
  inner->input.push_back(compress_raw(plain));
  deflate_transport t(inner, "", {});
  ASSERT_TRUE(t.started());
  run([&]() -> asio::awaitable<void> {
    auto d = co_await drain(t, 8192);
    EXPECT_FALSE(d.error);
    EXPECT_EQ(d.data, plain);
    EXPECT_LE(d.largest, 8192u);
  });
}

TEST(DeflateTransport, BytesReceivedBeforeTheSwitchComeFirst) {
  const std::string plain = "a1 NOOP\r\na2 CAPABILITY\r\n";
  const std::string z = compress_raw(plain);
  auto inner = std::make_shared<memory_transport>();
  inner->input.push_back(z.substr(5));
  deflate_transport t(inner, z.substr(0, 5), {});
  run([&]() -> asio::awaitable<void> {
    auto d = co_await drain(t, 4096);
    EXPECT_FALSE(d.error);
    EXPECT_EQ(d.data, plain);
  });
}

TEST(DeflateTransport, InputSplitAtEveryByteGivesTheSameBytes) {
  const std::string plain = sample_text(3000, 2);
  const std::string z = compress_raw(plain);
  for (std::size_t cut = 0; cut <= z.size(); ++cut) {
    auto inner = std::make_shared<memory_transport>();
    if (cut > 0) inner->input.push_back(z.substr(0, cut));
    if (cut < z.size()) inner->input.push_back(z.substr(cut));
    deflate_transport t(inner, "", {});
    run([&]() -> asio::awaitable<void> {
      auto d = co_await drain(t, 1 + cut % 700);
      EXPECT_FALSE(d.error) << cut;
      EXPECT_EQ(d.data, plain) << cut;
    });
  }
  // One byte per read.
  auto inner = std::make_shared<memory_transport>();
  for (char c : z) inner->input.emplace_back(1, c);
  deflate_transport t(inner, "", {});
  run([&]() -> asio::awaitable<void> {
    auto d = co_await drain(t, 100);
    EXPECT_EQ(d.data, plain);
  });
}

TEST(DeflateTransport, EveryWriteEndsWithASyncFlushAndInflates) {
  auto inner = std::make_shared<memory_transport>();
  deflate_transport t(inner, "", {});
  const std::string first = "* OK [CAPABILITY IMAP4rev2] ready\r\n";
  const std::string second = sample_text(300000, 3);  // larger than one write chunk
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await t.write(first, std::chrono::seconds(5)));
    const auto after_first = inner->writes.size();
    // RFC 1951 §3.2.4 / zlib: a sync flush ends in an empty stored block 00 00 FF FF,
    // so the client can inflate the whole burst without waiting for more.
    EXPECT_GE(after_first, 1u);
    if (after_first == 0) co_return;
    EXPECT_TRUE(inner->writes.back().ends_with(std::string("\x00\x00\xff\xff", 4)));
    EXPECT_EQ(inflate_raw(inner->writes[0]), first);
    EXPECT_TRUE(co_await t.write(second, std::chrono::seconds(5)));
    EXPECT_GT(inner->writes.size(), after_first + 1);  // streamed in chunks
    for (const auto& w : inner->writes) EXPECT_LE(w.size(), 16u * 1024);
    EXPECT_TRUE(inner->writes.back().ends_with(std::string("\x00\x00\xff\xff", 4)));
    std::string all;
    for (const auto& w : inner->writes) all += w;
    EXPECT_EQ(inflate_raw(all), first + second);
    EXPECT_LT(all.size(), (first.size() + second.size()) / 2);  // it does compress
  });
}

TEST(DeflateTransport, ABombIsInflatedOnlyAsFastAsItIsRead) {
  // 32 MiB of one byte compress to about 32 KiB; the transport must never hold more
  // than one read of compressed input or hand out more than asked for.
  std::string plain(32u << 20, 'A');
  const std::string z = compress_raw(plain, Z_SYNC_FLUSH, 6);
  plain.clear();
  plain.shrink_to_fit();
  ASSERT_LT(z.size(), 64u * 1024);
  auto inner = std::make_shared<memory_transport>();
  for (std::size_t i = 0; i < z.size(); i += 50000) inner->input.push_back(z.substr(i, 50000));
  deflate_options o;
  o.read_chunk = 4096;
  deflate_transport t(inner, "", o);
  run([&]() -> asio::awaitable<void> {
    std::size_t total = 0;
    std::size_t peak_pending = 0, peak_memory = 0;
    for (int i = 0; i < 200; ++i) {
      std::string buf;
      auto n = co_await t.read_some(buf, 8192, std::chrono::seconds(5));
      if (!n) {
        ADD_FAILURE() << n.error().message;
        co_return;
      }
      EXPECT_LE(*n, 8192u);
      total += *n;
      peak_pending = std::max(peak_pending, t.pending_input());
      peak_memory = std::max(peak_memory, t.memory());
    }
    EXPECT_EQ(total, 200u * 8192);
    EXPECT_LE(peak_pending, 4096u);
    EXPECT_LT(peak_memory, 64u * 1024);
    // Only a few reads of compressed input were needed so far.
    EXPECT_LT(inner->reads, 10u);
  });
}

TEST(DeflateTransport, CorruptInputAndDataAfterTheFinalBlockAreErrors) {
  {
    auto inner = std::make_shared<memory_transport>();
    inner->input.push_back(std::string("\xff\xff\xff\xff garbage", 12));
    deflate_transport t(inner, "", {});
    run([&]() -> asio::awaitable<void> {
      auto d = co_await drain(t, 4096);
      EXPECT_TRUE(d.error);
    });
  }
  {
    auto inner = std::make_shared<memory_transport>();
    inner->input.push_back(compress_raw("a1 NOOP\r\n", Z_FINISH) + "more");
    deflate_transport t(inner, "", {});
    run([&]() -> asio::awaitable<void> {
      auto d = co_await drain(t, 4096);
      EXPECT_TRUE(d.error);
      EXPECT_EQ(d.data, "a1 NOOP\r\n");
    });
  }
}

TEST(DeflateTransport, MemoryPerConnectionIsSmall) {
  auto inner = std::make_shared<memory_transport>();
  inner->input.push_back(compress_raw(sample_text(100000, 4)));
  deflate_transport t(inner, "", {});
  const auto at_start = t.memory();
  std::size_t after = 0;
  run([&]() -> asio::awaitable<void> {
    (void)co_await drain(t, 8192);
    EXPECT_TRUE(co_await t.write(sample_text(100000, 5), std::chrono::seconds(5)));
    after = t.memory();
  });
  // Our compressor: 2^(11+2) + 2^(2+9) plus its state; the inflater: its state, and
  // the peer's 32 KiB window once data arrived.
  EXPECT_LT(at_start, 32u * 1024) << at_start;
  EXPECT_LT(after, 64u * 1024) << after;
  EXPECT_EQ(t.pending_input(), 0u);
}

TEST(DeflateTransport, DelegatesAndRefusesTls) {
  auto inner = std::make_shared<memory_transport>();
  auto made = make_deflate_transport(inner, "");
  ASSERT_TRUE(made.has_value());
  auto& t = **made;
  EXPECT_TRUE(t.tls());
  EXPECT_EQ(t.peer_ip(), "192.0.2.1");
  run([&]() -> asio::awaitable<void> {
    auto r = co_await t.start_tls(std::chrono::seconds(1));
    EXPECT_FALSE(r.has_value());
  });
  t.close();
  EXPECT_TRUE(inner->closed);
}

}  // namespace
}  // namespace letterhead::core
