#pragma once
// xtext (RFC 3461 §4), the encoding of the DSN parameters ENVID and ORCPT, and of
// AUTH= on MAIL FROM (RFC 4954 §5).

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::smtp::proto {

// xtext = *( xchar / hexchar ); xchar = "!".."~" except "+" and "="; hexchar = "+" 2HEX.
// The RFC asks for upper-case hex; lower-case is accepted (harmless). The decoded
// value may hold any byte but NUL and controls are rejected (they have no business in
// an envelope id or an address and would reach logs and DSNs).
[[nodiscard]] core::result<std::string> xtext_decode(std::string_view text);

// Encodes bytes as xtext, "+XX" (upper-case) for "+", "=", and bytes outside "!".."~".
[[nodiscard]] std::string xtext_encode(std::string_view bytes);

// RFC 3461 §4.2 original-recipient-address = addr-type ";" xtext
struct original_recipient {
  std::string addr_type;  // as written, e.g. "rfc822"
  std::string address;    // xtext-decoded
};

// Parses an ORCPT parameter value. todo(rfc): RFC 6533 §3 utf-8-addr-xtext and
// utf-8-addr-unitext ("\x{HEX}") for SMTPUTF8 are not decoded yet.
[[nodiscard]] core::result<original_recipient> parse_orcpt(std::string_view value);

}  // namespace letterhead::smtp::proto
