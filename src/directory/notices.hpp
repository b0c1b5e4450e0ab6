#pragma once
// The mails account security sends: to a user (a login from a new network, a
// password about to expire), and RFC 3834 auto-replies for offboarded accounts. Each
// in Simplified Chinese and English, UTF-8, base64 (RFC 2045 §6.8), headers encoded
// per RFC 2047.

#include <string>
#include <string_view>

#include "store/types.hpp"

namespace letterhead::directory {

struct notice_headers {
  std::string from;        // address
  std::string to;          // address
  std::string subject;     // UTF-8
  std::string in_reply_to; // Message-ID of the message answered, with <>; "" = none
  bool auto_replied = false;  // Auto-Submitted: auto-replied (RFC 3834 §5) vs auto-generated
};

// A complete RFC 5322 message with CRLF line ends.
[[nodiscard]] std::string compose_notice(const notice_headers& h, std::string_view body_utf8,
                                         store::unix_time date);

[[nodiscard]] std::string new_network_notice_body(std::string_view address, std::string_view ip,
                                                  std::string_view protocol, store::unix_time when);
[[nodiscard]] std::string expiry_notice_body(std::string_view address, store::unix_time expires);

// RFC 3834 §2: may an automatic reply go to the sender of this message? Not to the
// null sender, not to automatic mail (Auto-Submitted other than "no"), not to lists
// (List-Id, List-Unsubscribe, List-Post, Precedence bulk/list/junk), not to
// MAILER-DAEMON or owner-/-request addresses.
[[nodiscard]] bool may_auto_reply(std::string_view mail_from, std::string_view message);

// A header field's unfolded value from the header section ("" when absent).
[[nodiscard]] std::string header_value(std::string_view message, std::string_view name);

}  // namespace letterhead::directory
