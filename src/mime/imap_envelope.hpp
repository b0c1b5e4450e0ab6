#pragma once
// IMAP ENVELOPE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) from a parsed message.
//
// Header values are sent as they are on the wire, unfolded (RFC 5322 §2.2.3) and
// trimmed, never decoded: clients decode RFC 2047 themselves, and a server that decoded
// would have to pick a charset for them. Addresses come from parse_address_list, so the
// recoveries listed in address.hpp apply; display names are the raw (still encoded)
// phrase with quoting removed.

#include <cstddef>
#include <string>
#include <string_view>

#include "mime/message.hpp"

namespace letterhead::mime {

struct imap_output_options {
  // The client enabled UTF8=ACCEPT (RFC 6855 §3) or speaks IMAP4rev2 (RFC 9051 §6.3.1):
  // valid UTF-8 may be sent in quoted strings. Without it, any 8-bit string is sent as
  // a literal, which every IMAP4rev1 client accepts.
  bool utf8 = false;
};

// The parenthesised ENVELOPE of the message whose header is part `part_index`'s: the
// root (0), the root of an encapsulated message, or a message/rfc822 part, which stands
// for the message it encapsulates. Fields in RFC order: date, subject, from, sender,
// reply-to, to, cc, bcc, in-reply-to, message-id; the first occurrence of each field.
//  - An absent field is NIL; a present but empty one is "" (RFC 3501 §7.4.2).
//  - Sender and Reply-To absent or without any address: the From list (RFC 3501
//    §7.4.2; clients rely on it).
//  - Address: (name adl mailbox host), adl always NIL (routes are dropped); name NIL
//    when empty; a mailbox without a domain has host "" (NIL would mean a group).
//  - Group syntax: (NIL NIL "name" NIL) opens a group, (NIL NIL NIL NIL) closes it.
//  - An address field with no address at all is NIL.
// A part index out of range gives an envelope of NILs.
[[nodiscard]] std::string imap_envelope(std::string_view bytes, const message& m,
                                        std::size_t part_index = 0,
                                        const imap_output_options& options = {});

// The same with the session's UTF8=ACCEPT state (as src/imap/ holds it).
[[nodiscard]] inline std::string imap_envelope(std::string_view bytes, const message& m,
                                               std::size_t part_index, bool utf8_accept) {
  return imap_envelope(bytes, m, part_index, imap_output_options{.utf8 = utf8_accept});
}

}  // namespace letterhead::mime
