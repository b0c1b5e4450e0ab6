#pragma once
// Attachment policy: refuse file types that run code when opened (by extension),
// names that hide such a type behind a harmless one ("invoice.pdf.exe", or a
// right-to-left override that makes "gpj.exe" read as "exe.jpg"), and archives
// (filter/archive.hpp) holding such files.
//
// File names come from mime::part::filename(): Content-Disposition filename
// (RFC 2183, RFC 2231 continuations and charsets) or Content-Type name (RFC 2047
// words), decoded to UTF-8. Untrusted input: every part of the message; archive
// inspection is bounded by archive_limits for the whole message.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/archive.hpp"
#include "mime/message.hpp"

namespace letterhead::filter {

struct attachment_policy {
  std::vector<std::string> blocked_extensions;  // lower case, without the dot
  bool block_double_extensions = true;
  bool scan_archives = true;
  bool refuse_encrypted_archives = false;
  archive_limits archives;
};

// Why a name is refused, or nullopt. `name` may be a path inside an archive.
[[nodiscard]] std::optional<std::string> blocked_name(std::string_view name, const attachment_policy& p);

struct attachment_report {
  std::optional<std::string> refusal;  // text for 554 5.7.1, naming the file
  std::vector<std::string> warnings;   // e.g. an encrypted archive that was let through
};

[[nodiscard]] attachment_report inspect_attachments(std::string_view bytes, const mime::message& m,
                                                    const attachment_policy& p);

}  // namespace letterhead::filter
