// libFuzzer target for impersonation defence: a From field body as an attacker
// writes it on the MX (any bytes: encoded-words, invalid UTF-8, mixed scripts,
// punycode), parsed by mime, then the display name and domain checked against a
// small directory. Checks: bounded results, printable details, ASCII warning field,
// the banner wrap keeps the message parseable; nothing crashes or leaks.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filter/impersonation.hpp"
#include "mime/address.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

const letterhead::mailauth::public_suffix_list& psl() {
  static const auto list = [] {
    auto loaded = letterhead::mailauth::public_suffix_list::load(
        std::string(letterhead::mailauth::default_public_suffix_file));
    return loaded ? std::move(*loaded) : letterhead::mailauth::public_suffix_list::parse("com\nco.uk\ncom.cn\n");
  }();
  return list;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace letterhead::filter;
  static const impersonation_guard guard(
      impersonation_people{{"张伟", "Alice Martin", "Олег Петров"}, {"example.com", "letterhead.com.cn"}}, psl());
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto list = letterhead::mime::parse_address_list(bytes);
  for (std::size_t i = 0; i < list.mailboxes.size() && i < 4; ++i) {
    const auto& box = list.mailboxes[i];
    const auto found = guard.check(box.display_name, box.domain);
    require(found.size() <= 2);
    for (const auto& m : found) {
      for (unsigned char c : m.detail) require(c > 0x20 && c < 0x7f);
    }
    const auto field = warning_field(found);
    for (unsigned char c : field) require(c < 0x80);
    require(found.empty() == field.empty());
  }
  // The raw bytes straight into the helpers, bounded whatever they hold.
  require(fold_name(bytes).size() <= 4 * (max_name_bytes + 2));
  (void)domain_to_unicode(bytes);
  (void)domain_to_ascii(bytes);
  (void)edit_distance(bytes, "example");
  const std::string message = "From: x@y\r\nContent-Type: text/plain\r\n\r\n" + std::string(bytes.substr(0, 4096));
  const auto wrapped = wrap_with_banner(message, "banner", "fuzz-boundary");
  require(wrapped.size() >= message.size());
  return 0;
}
