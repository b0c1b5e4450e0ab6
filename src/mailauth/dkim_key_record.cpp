#include "mailauth/dkim_key_record.hpp"

#include <fmt/format.h>

#include "mailauth/tag_list.hpp"

namespace letterhead::mailauth {

core::result<dkim_key_record> parse_dkim_key_record(std::string_view txt) {
  auto tags = parse_tag_list(txt);
  if (!tags) return core::fail(core::errc::invalid, "key record: " + tags.error().message);
  // §3.6.1 v=: "If specified, this tag MUST be set to "DKIM1" ... and MUST be the
  // first tag in the record."
  if (const auto* v = tags->find("v")) {
    if (&tags->tags.front() != v || v->value != "DKIM1") {
      return core::fail(core::errc::invalid, "key record: bad version");
    }
  }
  dkim_key_record out;
  if (const auto h = tags->value("h")) {
    bool sha256 = false;
    for (auto a : split_colon_list(*h)) {
      if (a == "sha256") sha256 = true;
    }
    if (!sha256) return core::fail(core::errc::invalid, "key record does not allow sha256 (h=)");
  }
  if (const auto k = tags->value("k")) {
    if (*k == "rsa") {
      out.type = key_type::rsa;
    } else if (*k == "ed25519") {
      out.type = key_type::ed25519;
    } else {
      return core::fail(core::errc::invalid, "key record: unknown key type k=");
    }
  }
  if (const auto s = tags->value("s")) {
    bool email = false;
    for (auto t : split_colon_list(*s)) {
      if (t == "*" || t == "email") email = true;
    }
    if (!email) return core::fail(core::errc::invalid, "key record is not for email (s=)");
  }
  if (const auto t = tags->value("t")) {
    for (auto f : split_colon_list(*t)) {
      if (f == "y") out.testing = true;
      if (f == "s") out.strict_identity = true;
    }
  }
  const auto p = tags->value("p");
  if (!p) return core::fail(core::errc::invalid, "key record without p=");
  auto decoded = base64_decode(strip_fws(*p));
  if (!decoded) return core::fail(core::errc::invalid, "key record: p= is not base64");
  out.public_key = std::move(*decoded);
  return out;
}

std::string format_dkim_key_record(key_type type, std::string_view public_key_base64) {
  return fmt::format("v=DKIM1; k={}; p={}", to_string(type), public_key_base64);
}

}  // namespace letterhead::mailauth
