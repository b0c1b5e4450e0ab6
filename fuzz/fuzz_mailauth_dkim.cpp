// libFuzzer target for DKIM: what an attacker's message and DNS answers reach on the
// MX before any authentication. Runs the tag-list, signature and key-record parsers,
// both canonicalizations and verification on the input, checks their invariants,
// and checks that a message we sign verifies.
//
// Input: a message; if it contains a NUL byte, the bytes before it are the TXT record
// every key lookup returns (so hostile key records are explored too).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailauth/canonicalization.hpp"
#include "mailauth/crypto.hpp"
#include "mailauth/dkim_key_record.hpp"
#include "mailauth/dkim_sign.hpp"
#include "mailauth/dkim_signature.hpp"
#include "mailauth/dkim_verify.hpp"
#include "mailauth/tag_list.hpp"

namespace {

using namespace letterhead::mailauth;

void require(bool condition) {
  if (!condition) std::abort();
}

// RFC 8463 Appendix A key: its seed as PKCS#8, and its record.
const std::string& signer_pem() {
  static const std::string pem = [] {
    std::string der("\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16);
    der += *base64_decode("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=");
    return "-----BEGIN PRIVATE KEY-----\n" + base64_encode(der) + "\n-----END PRIVATE KEY-----\n";
  }();
  return pem;
}
constexpr std::string_view signer_record = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

void check_tag_list(std::string_view s) {
  auto t = parse_tag_list(s);
  if (!t) return;
  require(t->tags.size() <= max_tags);
  for (const auto& tag : t->tags) {
    require(tag.raw_begin <= tag.raw_end && tag.raw_end <= s.size());
    require(tag.value.data() >= s.data() && tag.value.data() + tag.value.size() <= s.data() + s.size());
    require(!tag.name.empty());
  }
}

void check_body(std::string_view body) {
  for (const canon c : {canon::simple, canon::relaxed}) {
    const std::string out = canonicalize_body(body, c);
    require(hash_body(body, c).sha256 == sha256(out));
    if (c == canon::simple) require(out.size() >= 2);
    if (!out.empty()) require(out.ends_with("\r\n"));
    require(!out.ends_with("\r\n\r\n"));
    if (c == canon::relaxed) {
      require(out.find("  ") == std::string::npos);
      require(out.find(" \r\n") == std::string::npos);
      require(out.find('\t') == std::string::npos);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view record = signer_record;
  std::string_view message = input;
  if (const auto nul = input.find('\0'); nul != std::string_view::npos) {
    record = input.substr(0, nul);
    message = input.substr(nul + 1);
  }

  check_tag_list(input);
  (void)parse_dkim_signature(input);
  (void)parse_dkim_key_record(record);

  const std::string crlf = to_crlf(message);
  require(!has_bare_lf(crlf));
  const auto parts = split_message(crlf);
  check_body(parts.body);
  for (const auto& f : parts.fields) {
    const std::string relaxed = canonicalize_header(f, canon::relaxed);
    require(relaxed.ends_with("\r\n"));
    require(relaxed.find("\r\n") == relaxed.size() - 2);
  }

  const txt_lookup lookup = [record](std::string_view) {
    return txt_answer{txt_answer::status::ok, {std::string(record)}, ""};
  };
  verify_options o;
  o.now = 1800000000;
  const auto v = verify_dkim(message, lookup, o);
  require(v.signatures.size() <= o.max_signatures);
  for (const auto& s : v.signatures) {
    const std::string line = format_result(s);
    require(line.find('\r') == std::string::npos && line.find('\n') == std::string::npos);
  }

  // Sign, then verify: our own signature must pass when the message has a header
  // that starts with a field, exactly one From, and fewer fields than the limit.
  if (record == signer_record && message.starts_with("From:") && !parts.truncated && parts.fields.size() < 999) {
    std::size_t from = 0;
    for (const auto& f : parts.fields) {
      if (f.name.size() == 4 && (f.name[0] | 0x20) == 'f' && (f.name[1] | 0x20) == 'r' &&
          (f.name[2] | 0x20) == 'o' && (f.name[3] | 0x20) == 'm') {
        ++from;
      }
    }
    static const auto signer = dkim_signer::create({{"example.com", "fuzz", signer_pem()}});
    require(signer.has_value());
    const auto fields = signer->sign(message, 1800000000);
    require(fields.has_value());
    const auto w = verify_dkim(*fields + std::string(message), lookup, o);
    require(!w.signatures.empty());
    if (from == 1) require(w.signatures[0].result == dkim_result::pass);
  }
  return 0;
}
