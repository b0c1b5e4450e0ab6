// Fuzzes the RDATA parsers of dns/rdata.hpp: bytes from the network (through
// libunbound) that must never be read out of bounds.
//
// Input: the RDATA bytes; every parser is run on them.
// Checks: a parsed name's text has no control characters, spaces or upper-case
// letters, and turning its \DDD escapes back into bytes gives the wire bytes again
// (lower-cased), so no two different names read the same; MX, PTR and addresses
// account for every byte; TXT output is its strings without their length bytes.

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dns/rdata.hpp"

namespace dns = letterhead::dns;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// The wire form of a name's text (as parse_name writes it), or "" when malformed.
std::string to_wire(std::string_view text) {
  std::string out;
  if (text.empty()) return std::string(1, '\0');
  std::string label;
  auto flush = [&] {
    check(!label.empty() && label.size() <= 63);
    out += static_cast<char>(label.size());
    out += label;
    label.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    check(u > 0x20 && u < 0x7f && !(c >= 'A' && c <= 'Z'));
    if (c == '.') {
      flush();
    } else if (c == '\\') {
      check(i + 3 < text.size());
      for (std::size_t k = 1; k <= 3; ++k) check(text[i + k] >= '0' && text[i + k] <= '9');
      const int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
      check(v >= 0 && v <= 255);
      label += static_cast<char>(v);
      i += 3;
    } else {
      label += c;
    }
  }
  flush();
  out += '\0';
  return out;
}

std::string lowered(std::string_view wire) {
  std::string out(wire);
  for (auto& c : out) c = lower(c);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  std::size_t pos = 0;
  if (auto name = dns::parse_name(in, pos)) {
    check(pos > 0 && pos <= in.size() && pos <= dns::max_wire_name);
    // Label lengths are never lower-cased, so comparing lower-cased wire forms is exact.
    check(to_wire(*name) == lowered(in.substr(0, pos)));
  } else {
    check(pos == 0);
  }

  if (auto mx = dns::parse_mx(in)) {
    check(mx->preference == (static_cast<unsigned>(data[0]) << 8 | data[1]));
    check(to_wire(mx->host) == lowered(in.substr(2)));
  }
  if (auto ptr = dns::parse_ptr(in)) check(to_wire(*ptr) == lowered(in));

  if (auto txt = dns::parse_txt(in)) {
    check(!in.empty() && txt->size() < in.size());
    std::size_t p = 0;
    std::string expected;
    while (p < in.size()) {
      const std::size_t len = data[p];
      expected.append(in.substr(p + 1, len));
      p += 1 + len;
    }
    check(p == in.size() && expected == *txt);
  }

  if (auto t = dns::parse_tlsa(in)) {
    check(in.size() >= 3 && t->data == in.substr(3));
  } else {
    check(in.size() < 3);
  }

  auto a = dns::parse_a(in);
  check(a.has_value() == (size == 4));
  auto aaaa = dns::parse_aaaa(in);
  check(aaaa.has_value() == (size == 16));
  unsigned char back[16];
  if (a) check(::inet_pton(AF_INET, a->c_str(), back) == 1 && std::string_view(reinterpret_cast<char*>(back), 4) == in);
  if (aaaa) {
    check(::inet_pton(AF_INET6, aaaa->c_str(), back) == 1 && std::string_view(reinterpret_cast<char*>(back), 16) == in);
  }
  return 0;
}
