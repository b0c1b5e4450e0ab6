// libFuzzer target for SRS (delivery/srs.hpp): any SMTP client's RCPT address reaches
// srs_reverse on the MX. Runs it on the input and checks its promises: a valid answer
// only for an address made with our MAC, and forward-then-reverse gives the sender
// back (for senders whose domain an SRS0 address can carry).
//
// Input: an address (RCPT TO, or MAIL FROM of mail we forward).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "delivery/srs.hpp"

namespace {

using namespace letterhead::delivery;

void require(bool condition) {
  if (!condition) std::abort();
}

// A cheap keyed function in the MAC's alphabet: the fuzzer explores the parser, not
// HMAC (tests/unit/delivery/srs_test.cpp uses a real one).
std::string mac(std::string_view data) {
  std::uint64_t h = 1469598103934665603ULL ^ 0x5eed;
  for (const unsigned char c : data) h = (h ^ c) * 1099511628211ULL;
  std::string out;
  for (int i = 0; i < 10; ++i, h >>= 5) out += "abcdefghijklmnopqrstuvwxyz234567"[h & 31];
  return out;
}

constexpr std::int64_t now = 1800000000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const srs_codec codec{mac, 21};

  const auto reversed = srs_reverse(codec, input, now);
  if (reversed.status == srs_status::valid) {
    require(!reversed.address.empty() && reversed.address.size() <= input.size() + 4);
  } else {
    require(reversed.address.empty());
  }

  const auto forwarded = srs_forward(codec, input, "fwd.test", now);
  if (!forwarded) return 0;
  const auto back = srs_reverse(codec, *forwarded, now);
  const auto at = input.rfind('@');
  const auto local = input.substr(0, at);
  const bool carried = input.substr(at + 1).find('=') == std::string_view::npos;
  std::string head(local.substr(0, 3));
  for (auto& c : head) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const bool plain = head != "srs";  // SRS0/SRS1 senders become SRS1 (srs_test.cpp checks those)
  if (carried && plain && forwarded->size() <= srs_max_address) {
    require(back.status == srs_status::valid);
    require(back.address == input);
  }
  return 0;
}
