#pragma once
// What clamd is sent for one message under `[antivirus] scan = "attachments"` (the
// default; "all" sends every message whole).
//
// clamd costs about 0.2 ms of CPU per stream however small, and about 1.2 ms for a
// 20 KB mail with one attachment, of which its own mail parser (a temporary file per
// part, a line list per body) is most: the attachment alone costs 0.4 ms
// (bench/README.md, issue 5). So:
// - skip: a message that is nothing but inline plain text is not sent. It carries no
//   file, no HTML and no script, and its links are judged by the URI blocklists.
// - parts: a message our parser read completely, with nothing clamd's mail parser
//   would add, sends each part that could carry a file (every leaf but inline
//   text/plain), transfer-decoded, as a stream of its own. This is what rspamd's
//   antivirus module does by default (scan_mime_parts); clamd's clean cache, keyed by
//   a file's hash, then also recognises an attachment sent again in another message.
// - whole: everything else goes to clamd as the mail it is, for clamd to parse:
//   - a message our parser could not read completely (limits hit, defects);
//   - a uuencode, yEnc or BinHex block in any text, preamble or epilogue;
//   - HTML anywhere: ClamAV checks the links of HTML mail against its phishing
//     signatures only when it parses the mail itself;
//   - a part to be sent whose transfer encoding is not 7bit, 8bit, binary or a
//     regular base64 (only the alphabet and line breaks, "=" only as the last
//     group's padding). Quoted-printable, unknown encodings and irregular base64
//     are decoded differently by different readers, and ClamAV sees how it
//     decodes them itself;
//   - a part with two Content-Type, Content-Transfer-Encoding or
//     Content-Disposition fields, or a multipart with a transfer encoding: readers
//     disagree on which applies;
//   - more than max_virus_scan_streams leaves (a connection to clamd each).
// Lost against "whole" for the "parts" messages: ClamAV's signatures that match only
// a mail file as a whole (target type 4), and the inline text/plain parts.

#include <cstddef>
#include <string_view>
#include <vector>

#include "mime/message.hpp"

namespace letterhead::filter {

inline constexpr std::size_t max_virus_scan_streams = 32;

struct virus_scan_plan {
  enum class scope { skip, parts, whole };
  scope what = scope::whole;
  std::vector<std::size_t> parts;  // scope::parts: indices into message::parts, in order
  // Read completely and plainly: the parts would do but for HTML (or they do). Such a
  // message, when too large for clamd as a whole, is scanned leaf by leaf
  // (leaf_parts); any other too large one is not scanned at all.
  bool plain = false;
};

[[nodiscard]] virus_scan_plan plan_virus_scan(std::string_view bytes, const mime::message& m);

// Every leaf part (neither a multipart nor a message/rfc822 container), in order.
[[nodiscard]] std::vector<std::size_t> leaf_parts(const mime::message& m);

}  // namespace letterhead::filter
