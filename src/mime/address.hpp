#pragma once
// Address lists (RFC 5322 §3.4, obsolete forms of §4.4, UTF-8 of RFC 6532) as found in
// From, Sender, Reply-To, To, Cc, Bcc and the Resent- fields.
//
// Parsing is best effort and never fails: mail with broken addresses still has to be
// shown, threaded and answered. Recoveries: a bare "Name addr@host" without angle
// brackets; a display name taken from a trailing comment ("addr (Name)", the RFC 822
// style); route syntax ("<@a,@b:x@y>", §4.4) dropped; missing ";" at the end of a
// group; encoded-words inside quoted display names (RFC 2047 §5 forbids them, mailers
// write them, readers decode them).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/charset.hpp"

namespace letterhead::mime {

struct mailbox_address {
  std::string display_name;      // UTF-8: encoded-words and quoting decoded
  std::string display_name_raw;  // as written, quoting removed and whitespace collapsed,
                                 // encoded-words and 8-bit bytes untouched: what IMAP
                                 // ENVELOPE sends (RFC 9051 §7.5.2)
  std::string local;             // local part, quotes removed (bytes as written, may be UTF-8)
  std::string domain;            // as written; a domain-literal keeps its brackets; empty if none
  std::optional<std::string> group;  // UTF-8 name of the group this mailbox belongs to

  // local@domain, quoting the local part when it needs it (RFC 5322 §3.4.1).
  [[nodiscard]] std::string addr_spec() const;
};

struct address_group {
  std::string name;      // UTF-8
  std::string name_raw;  // as display_name_raw
  std::size_t first = 0;  // index of its first member in address_list::mailboxes
  std::size_t count = 0;  // members; 0 for "undisclosed-recipients:;"
};

struct address_list {
  std::vector<mailbox_address> mailboxes;  // every mailbox in order, group members included
  std::vector<address_group> groups;       // in order; an empty group keeps its position
                                           // through `first`
};

// Parses a field body (unfolded or not). Never fails; unparseable pieces are skipped.
// Reads at most 200,000 lexical tokens of one field (thousands of addresses): past
// that, the rest of a hostile field is ignored, keeping memory a small multiple of it.
[[nodiscard]] address_list parse_address_list(std::string_view raw_value,
                                              const decode_options& options = {});

// A phrase (RFC 5322 §3.2.5), e.g. a display name, decoded to UTF-8.
[[nodiscard]] std::string decode_phrase(std::string_view raw_phrase,
                                        const decode_options& options = {});

}  // namespace letterhead::mime
