#include "mime/detail/imap_write.hpp"

#include <optional>

#include "mime/address.hpp"
#include "mime/charset.hpp"
#include "mime/detail/ascii.hpp"

namespace letterhead::mime::detail {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

enum class form { quoted, literal };

form choose(std::string_view s, const imap_output_options& options) {
  bool eight_bit = false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u == '\r' || u == '\n') return form::literal;
    if (u >= 0x80) eight_bit = true;
  }
  if (!eight_bit) return form::quoted;
  return options.utf8 && is_valid_utf8(s) ? form::quoted : form::literal;
}

}  // namespace

void append_string(std::string& out, std::string_view s, const imap_output_options& options) {
  std::string without_nul;
  if (s.find('\0') != std::string_view::npos) {
    for (char c : s) {
      if (c == '\0') {
        without_nul += replacement;
      } else {
        without_nul.push_back(c);
      }
    }
    s = without_nul;
  }
  if (choose(s, options) == form::quoted) {
    out.push_back('"');
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');  // RFC 9051 §9 quoted-specials
      out.push_back(c);
    }
    out.push_back('"');
    return;
  }
  out.push_back('{');
  out += std::to_string(s.size());
  out += "}\r\n";
  out += s;
}

void append_nstring(std::string& out, const std::string* s, const imap_output_options& options) {
  if (s == nullptr) {
    out += "NIL";
  } else {
    append_string(out, *s, options);
  }
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

namespace {

// A header value as ENVELOPE sends it: unfolded and trimmed, not decoded.
std::optional<std::string> envelope_value(std::string_view bytes,
                                          std::span<const header_field> fields,
                                          std::string_view name) {
  auto raw = raw_value(bytes, fields, name);
  if (!raw) return std::nullopt;
  return std::string(trim(unfold(*raw)));
}

void append_address(std::string& out, const std::string* name, const std::string* mailbox,
                    const std::string* host, const imap_output_options& options) {
  out.push_back('(');
  append_nstring(out, name, options);
  out += " NIL ";  // adl: source routes are obsolete and dropped by the parser
  append_nstring(out, mailbox, options);
  out.push_back(' ');
  append_nstring(out, host, options);
  out.push_back(')');
}

// RFC 9051 §7.5.2: env-from etc. = "(" 1*address ")" / nil. Groups are written as
// (NIL NIL "name" NIL) ... (NIL NIL NIL NIL) around their members (RFC 3501 §7.4.2).
// Returns false (nothing written) when the list has no address and no group.
bool append_address_list(std::string& out, const address_list& list,
                         const imap_output_options& options) {
  if (list.mailboxes.empty() && list.groups.empty()) return false;
  out.push_back('(');
  const std::string empty;
  auto close = [&] { append_address(out, nullptr, nullptr, nullptr, options); };
  std::size_t g = 0;                // next group to open
  std::optional<std::size_t> open;  // groups do not nest (RFC 5322 §3.4)
  auto close_if_done = [&](std::size_t next_mailbox) {
    if (open && list.groups[*open].first + list.groups[*open].count <= next_mailbox) {
      close();
      open.reset();
    }
  };
  for (std::size_t i = 0; i < list.mailboxes.size(); ++i) {
    close_if_done(i);
    while (g < list.groups.size() && list.groups[g].first <= i) {
      if (open) {  // a group still open when the next starts: close it first
        close();
        open.reset();
      }
      append_address(out, nullptr, &list.groups[g].name_raw, nullptr, options);
      if (list.groups[g].count == 0) {
        close();  // "undisclosed-recipients:;"
      } else {
        open = g;
      }
      ++g;
    }
    const mailbox_address& mb = list.mailboxes[i];
    append_address(out, mb.display_name_raw.empty() ? nullptr : &mb.display_name_raw,
                   &mb.local, mb.domain.empty() ? &empty : &mb.domain, options);
  }
  if (open) close();
  for (; g < list.groups.size(); ++g) {  // empty groups after the last mailbox
    append_address(out, nullptr, &list.groups[g].name_raw, nullptr, options);
    close();
  }
  out.push_back(')');
  return true;
}

}  // namespace

void append_envelope(std::string& out, std::string_view bytes,
                     std::span<const header_field> fields, const imap_output_options& options) {
  auto nstring_field = [&](std::string_view name) {
    auto v = envelope_value(bytes, fields, name);
    append_nstring(out, v ? &*v : nullptr, options);
  };
  auto addresses = [&](std::string_view name) {
    address_list list;
    if (auto raw = raw_value(bytes, fields, name)) list = parse_address_list(*raw);
    return list;
  };

  out.push_back('(');
  nstring_field("Date");
  out.push_back(' ');
  nstring_field("Subject");

  const address_list from = addresses("From");
  const address_list sender = addresses("Sender");
  const address_list reply_to = addresses("Reply-To");
  auto list_or_nil = [&](const address_list& list) {
    out.push_back(' ');
    if (!append_address_list(out, list, options)) out += "NIL";
  };
  auto has_any = [](const address_list& l) { return !l.mailboxes.empty() || !l.groups.empty(); };
  list_or_nil(from);
  // RFC 3501 §7.4.2: Sender and Reply-To absent or empty default to From.
  list_or_nil(has_any(sender) ? sender : from);
  list_or_nil(has_any(reply_to) ? reply_to : from);
  list_or_nil(addresses("To"));
  list_or_nil(addresses("Cc"));
  list_or_nil(addresses("Bcc"));
  out.push_back(' ');
  nstring_field("In-Reply-To");
  out.push_back(' ');
  nstring_field("Message-ID");
  out.push_back(')');
}

void append_unparsed_envelope(std::string& out, std::string_view bytes, const part& p,
                              const imap_output_options& options) {
  if (p.encoding == transfer_encoding::base64 ||
      p.encoding == transfer_encoding::quoted_printable) {
    append_envelope(out, bytes, {}, options);
    return;
  }
  const std::string_view body = slice(bytes, p.body);
  const header_block header = parse_header_block(body);
  append_envelope(out, body, header.fields, options);
}

}  // namespace letterhead::mime::detail
