#pragma once
// Values of the IMAP SORT keys (RFC 5256 §3; DISPLAYFROM/DISPLAYTO of RFC 5957 §3) for
// one message. The server compares the strings with its comparator (i;ascii-casemap,
// RFC 5256 §3) and the numbers as numbers; REVERSE and the final tie-break on
// sequence number are its business.

#include <cstdint>
#include <string>
#include <string_view>

#include "mime/message.hpp"

namespace letterhead::mime {

struct sort_keys {
  std::int64_t arrival = 0;  // ARRIVAL: INTERNALDATE, as given
  std::string cc;            // CC: addr-mailbox of the first Cc mailbox, "" if none
  std::int64_t date = 0;     // DATE: sent date in UTC (RFC 5256 §2.2: Date, else
                             // INTERNALDATE when absent or unparsable)
  std::string from;          // FROM: addr-mailbox of the first From mailbox
  std::uint64_t size = 0;    // SIZE: RFC822.SIZE, the stored message's size
  std::string subject;       // SUBJECT: base subject (RFC 5256 §2.1, base_subject.hpp)
  std::string to;            // TO: addr-mailbox of the first To mailbox
  std::string display_from;  // DISPLAYFROM: display name of the first From mailbox,
                             // RFC 2047-decoded, else its addr-spec
  std::string display_to;    // DISPLAYTO: the same for To
};

// "addr-mailbox" is the local part as in ENVELOPE (group names are skipped: the first
// mailbox is the first real address, inside a group or not). Header fields are those
// of the root; raw 8-bit text is decoded with decode_options_for(m, 0).
[[nodiscard]] sort_keys sort_key_values(std::string_view bytes, const message& m,
                                        std::int64_t internal_date);

// RFC 5256 §2.2 sent date of the message whose header is part `part_index`'s: its Date
// in UTC, or `internal_date` when Date is absent or cannot be parsed.
[[nodiscard]] std::int64_t sent_date(std::string_view bytes, const message& m,
                                     std::int64_t internal_date, std::size_t part_index = 0);

}  // namespace letterhead::mime
