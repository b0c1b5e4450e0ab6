// libFuzzer target for SPF (RFC 7208): what any domain's TXT record and any SMTP
// client's identities reach on the MX. Runs the record parser and macro expansion
// (§7) on the input, checks their invariants, and the DMARC record parser and
// Authentication-Results helpers and ARC chain validation (with one fixed, hostile
// key record) on the same bytes.
//
// Input: an SPF record; if it contains a NUL byte, the bytes after it are the
// sender address macros expand (so hostile MAIL FROM local parts are explored too).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailauth/arc_verify.hpp"
#include "mailauth/authentication_results.hpp"
#include "mailauth/dmarc.hpp"
#include "mailauth/spf_record.hpp"

namespace {

using namespace letterhead::mailauth;

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view record = input;
  std::string_view sender = "strong-bad@email.example.com";
  if (const auto nul = input.find('\0'); nul != std::string_view::npos) {
    record = input.substr(0, nul);
    sender = input.substr(nul + 1);
  }

  spf_macro_context ctx;
  ctx.sender = sender;
  ctx.domain = "email.example.com";
  ctx.helo = "mx.example.org";
  ctx.receiver = "mx.example.net";
  ctx.ip = *parse_ip(size % 2 == 0 ? "192.0.2.3" : "2001:db8::cb01");
  ctx.timestamp = 1800000000;

  if (auto r = parse_spf_record(record)) {
    require(r->terms.size() <= max_spf_terms);
    for (const auto& t : r->terms) {
      require(t.cidr4 <= 32 && t.cidr6 <= 128);
      for (const char c : t.text) require(c >= 0x20 && c < 0x7f);
      if (!t.domain_spec.empty()) {
        auto e = expand_macros(t.domain_spec, ctx);
        if (e) {
          require(e->size() <= max_expansion);
          require(truncate_domain(*e).size() <= 253);
        }
      }
    }
    for (const auto* m : {&r->redirect, &r->exp}) {
      if (*m) (void)expand_macros(**m, ctx);
    }
  }
  for (const bool explanation : {false, true}) {
    if (auto e = expand_macros(record, ctx, explanation)) require(e->size() <= max_expansion);
  }

  (void)parse_dmarc_record(record);
  std::string message(input);
  const auto before = message.size();
  const auto removed = remove_authentication_results(message, "mx.example.com");
  require(message.size() <= before);
  require(removed == 0 || message.size() < before);
  (void)authserv_id_of(record);
  const txt_lookup lookup = [record](std::string_view) {
    return txt_answer{txt_answer::status::ok, {std::string(record)}, ""};
  };
  const auto arc = verify_arc(input, lookup);
  require(arc.instances <= max_arc_instances);
  const auto line = format_result(arc);
  require(line.find('\r') == std::string::npos && line.find('\n') == std::string::npos);
  return 0;
}
