#include "core/deflate_transport.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <zlib.h>

namespace letterhead::core {

namespace asio = boost::asio;

namespace {

// zlib allocates through these so that memory() can tell what a connection costs.
// Each block carries its size in front, padded to keep zlib's alignment.
constexpr std::size_t header = alignof(std::max_align_t);

voidpf counted_alloc(voidpf opaque, uInt items, uInt size) {
  const std::size_t n = static_cast<std::size_t>(items) * size;
  if (size != 0 && n / size != items) return Z_NULL;
  auto* p = static_cast<unsigned char*>(std::malloc(n + header));
  if (p == nullptr) return Z_NULL;
  std::memcpy(p, &n, sizeof n);
  *static_cast<std::size_t*>(opaque) += n;
  return p + header;
}

void counted_free(voidpf opaque, voidpf address) {
  if (address == Z_NULL) return;
  auto* p = static_cast<unsigned char*>(address) - header;
  std::size_t n = 0;
  std::memcpy(&n, p, sizeof n);
  *static_cast<std::size_t*>(opaque) -= n;
  std::free(p);
}

// zlib counts in uInt; one call never gets more than this.
constexpr std::size_t max_step = std::size_t{1} << 30;

}  // namespace

struct deflate_transport::zstate {
  z_stream out{};  // our compressor
  z_stream in{};   // the peer's stream
  bool out_ok = false;
  bool in_ok = false;
  std::size_t memory = 0;
  std::string pending;          // compressed input not yet inflated
  std::size_t pending_pos = 0;
  bool more_output = false;     // the last inflate filled its output: there may be more
  bool ended = false;           // the peer sent its final block

  zstate() {
    out.zalloc = counted_alloc;
    out.zfree = counted_free;
    out.opaque = &memory;
    in.zalloc = counted_alloc;
    in.zfree = counted_free;
    in.opaque = &memory;
  }
  ~zstate() {
    if (out_ok) deflateEnd(&out);
    if (in_ok) inflateEnd(&in);
  }
  zstate(const zstate&) = delete;
  zstate& operator=(const zstate&) = delete;
};

deflate_transport::deflate_transport(std::shared_ptr<transport> inner, std::string received,
                                     const deflate_options& options)
    : inner_(std::move(inner)), options_(options), z_(std::make_unique<zstate>()) {
  options_.window_bits = std::clamp(options_.window_bits, 9, 15);
  options_.mem_level = std::clamp(options_.mem_level, 1, 9);
  options_.read_chunk = std::clamp<std::size_t>(options_.read_chunk, 64, max_step);
  options_.write_chunk = std::clamp<std::size_t>(options_.write_chunk, 64, max_step);
  // Negative window bits: raw DEFLATE without the zlib header (RFC 4978 §3).
  z_->out_ok = deflateInit2(&z_->out, options_.level, Z_DEFLATED, -options_.window_bits, options_.mem_level,
                            Z_DEFAULT_STRATEGY) == Z_OK;
  // RFC 4978 §4: the peer may use the largest window, so we accept 2^15.
  z_->in_ok = inflateInit2(&z_->in, -MAX_WBITS) == Z_OK;
  z_->pending = std::move(received);
}

deflate_transport::~deflate_transport() = default;

bool deflate_transport::started() const noexcept { return z_->out_ok && z_->in_ok; }

std::size_t deflate_transport::memory() const noexcept { return z_->memory; }

std::size_t deflate_transport::pending_input() const noexcept { return z_->pending.size() - z_->pending_pos; }

core::result<std::size_t> deflate_transport::inflate_some(std::string& buf, std::size_t max) {
  auto& z = *z_;
  auto& s = z.in;
  if (z.ended) return core::fail(errc::invalid, "data after the end of the compressed stream");
  max = std::min(max, max_step);
  const std::size_t old = buf.size();
  buf.resize(old + max);
  const std::size_t avail = z.pending.size() - z.pending_pos;
  s.next_in = reinterpret_cast<Bytef*>(z.pending.data() + z.pending_pos);
  s.avail_in = static_cast<uInt>(avail);
  s.next_out = reinterpret_cast<Bytef*>(buf.data() + old);
  s.avail_out = static_cast<uInt>(max);
  const int rc = inflate(&s, Z_SYNC_FLUSH);
  const std::size_t produced = max - s.avail_out;
  buf.resize(old + produced);
  z.pending_pos += avail - s.avail_in;
  const bool leftover = z.pending_pos < z.pending.size();
  if (!leftover) {
    // Keep no buffer while the connection waits.
    std::string().swap(z.pending);
    z.pending_pos = 0;
  }
  z.more_output = s.avail_out == 0;
  switch (rc) {
    case Z_OK:
    case Z_BUF_ERROR:  // no progress without more input: not an error
      return produced;
    case Z_STREAM_END:
      // The peer ended its stream (RFC 1951 BFINAL); what it decoded still counts, and
      // anything after it is an error at the next read.
      z.ended = true;
      z.more_output = false;
      if (leftover && produced == 0) return core::fail(errc::invalid, "data after the end of the compressed stream");
      return produced;
    default:
      return core::fail(errc::invalid, "corrupt compressed data");
  }
}

asio::awaitable<core::result<std::size_t>> deflate_transport::read_some(std::string& buf, std::size_t max,
                                                                       std::chrono::seconds timeout) {
  if (max == 0) co_return std::size_t{0};
  for (;;) {
    if (z_->pending_pos < z_->pending.size() || z_->more_output) {
      auto n = inflate_some(buf, max);
      if (!n) co_return std::unexpected(n.error());
      if (*n > 0) co_return *n;
    }
    std::string raw;
    auto r = co_await inner_->read_some(raw, options_.read_chunk, timeout);
    if (!r) co_return std::unexpected(r.error());
    if (*r == 0) co_return std::size_t{0};
    if (z_->ended) co_return core::fail(errc::invalid, "data after the end of the compressed stream");
    if (z_->pending_pos < z_->pending.size()) {
      z_->pending.erase(0, z_->pending_pos);
      z_->pending += raw;
    } else {
      z_->pending = std::move(raw);
    }
    z_->pending_pos = 0;
  }
}

asio::awaitable<core::result<void>> deflate_transport::write(std::string_view data, std::chrono::seconds timeout) {
  if (data.empty()) co_return core::result<void>{};
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  auto& s = z_->out;
  std::string chunk(options_.write_chunk, '\0');
  std::size_t offset = 0;
  while (offset < data.size()) {
    const std::size_t step = std::min(data.size() - offset, max_step);
    const bool last = offset + step == data.size();
    // RFC 4978 §4: a sync flush after the burst, so the client can act on all of it.
    const int flush = last ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + offset));
    s.avail_in = static_cast<uInt>(step);
    do {
      s.next_out = reinterpret_cast<Bytef*>(chunk.data());
      s.avail_out = static_cast<uInt>(chunk.size());
      if (deflate(&s, flush) == Z_STREAM_ERROR) co_return core::fail(errc::internal, "compression failed");
      const std::size_t produced = chunk.size() - s.avail_out;
      if (produced > 0) {
        const auto left = std::chrono::ceil<std::chrono::seconds>(deadline - clock::now());
        if (left.count() <= 0) {
          inner_->close();
          co_return core::fail(errc::unavailable, "timeout");
        }
        auto r = co_await inner_->write(std::string_view(chunk.data(), produced), left);
        if (!r) co_return r;
      }
    } while (s.avail_out == 0 || s.avail_in > 0);
    offset += step;
  }
  co_return core::result<void>{};
}

asio::awaitable<core::result<void>> deflate_transport::start_tls(std::chrono::seconds) {
  co_return core::fail(errc::invalid, "TLS cannot start inside compression");
}

core::result<std::shared_ptr<transport>> make_deflate_transport(std::shared_ptr<transport> inner, std::string received,
                                                               const deflate_options& options) {
  auto t = std::make_shared<deflate_transport>(std::move(inner), std::move(received), options);
  if (!t->started()) return core::fail(errc::internal, "cannot start compression");
  return t;
}

}  // namespace letterhead::core
