#pragma once
// Which messages clamd is asked about. clamd costs about half a millisecond of CPU
// per scan however small the input (it spools every INSTREAM to a temporary file),
// as much as the rest of the MX's work on a message; so under `[antivirus] scan =
// "attachments"` (the default) a message that is nothing but inline plain text is
// not sent: it carries no file, no HTML and no script, and its links are judged by
// the URI blocklists. Everything else is scanned whole, as clamd parses mail itself:
// any attachment or non-text part, HTML, a uuencode, yEnc or BinHex block in any
// text, preamble or epilogue, and any message our parser could not read completely
// (limits hit, defects).

#include <string_view>

#include "mime/message.hpp"

namespace letterhead::filter {

[[nodiscard]] bool needs_virus_scan(std::string_view bytes, const mime::message& m);

}  // namespace letterhead::filter
