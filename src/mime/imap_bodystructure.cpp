#include "mime/imap_bodystructure.hpp"

#include "mime/body.hpp"
#include "mime/detail/ascii.hpp"
#include "mime/detail/imap_write.hpp"
#include "mime/section.hpp"

namespace letterhead::mime {
namespace {

using detail::append_string;
using detail::upper;

// RFC 2231 §7 attribute-char: what may stay unescaped in an extended value.
bool is_attribute_char(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '&': case '+': case '-': case '.': case '^': case '_':
    case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string rfc2231_value(const parameter& p) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = p.charset + "'" + p.language + "'";
  for (char c : p.raw) {
    const auto u = static_cast<unsigned char>(c);
    if (is_attribute_char(u)) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 0x0F]);
    }
  }
  return out;
}

class writer {
 public:
  writer(std::string_view bytes, const message& m, bool extensible,
         const imap_output_options& options)
      : bytes_(bytes), m_(m), extensible_(extensible), options_(options) {}

  void body(std::size_t index) {
    const part& p = m_.parts[index];
    if (p.is_multipart()) {
      multipart(p);
    } else {
      single(p);
    }
  }

  std::string take() { return std::move(out_); }

  // RFC 9051 §9 body-type-text with the RFC 2045 §5.2 defaults, for a part that is not
  // in the message tree (an empty child of a childless multipart).
  void synthetic_text(std::size_t octets, std::size_t lines) {
    out_ += "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" ";
    out_ += std::to_string(octets);
    out_.push_back(' ');
    out_ += std::to_string(lines);
    if (extensible_) out_ += " NIL NIL NIL NIL";
    out_.push_back(')');
  }

 private:
  void space() { out_.push_back(' '); }
  void nil() { out_ += "NIL"; }
  void string(std::string_view s) { append_string(out_, s, options_); }

  // RFC 9051 §9 body-fld-param: "(" string SP string *(SP string SP string) ")" / nil.
  void params(const std::vector<parameter>& list, bool default_charset) {
    if (list.empty() && !default_charset) {
      nil();
      return;
    }
    out_.push_back('(');
    bool first = true;
    if (default_charset) {
      out_ += "\"CHARSET\" \"US-ASCII\"";
      first = false;
    }
    for (const parameter& p : list) {
      if (!first) space();
      first = false;
      if (!p.charset.empty()) {
        string(upper(p.name) + "*");
        space();
        string(rfc2231_value(p));
      } else {
        string(upper(p.name));
        space();
        string(p.raw);
      }
    }
    out_.push_back(')');
  }

  void optional_string(std::string_view s) {
    if (s.empty()) {
      nil();
    } else {
      string(s);
    }
  }

  // RFC 9051 §9 body-fld-dsp SP body-fld-lang SP body-fld-loc.
  void disposition_language_location(const part& p) {
    space();
    if (p.disposition.empty()) {
      nil();
    } else {
      out_.push_back('(');
      string(upper(p.disposition));
      space();
      params(p.disposition_params, false);
      out_.push_back(')');
    }
    space();
    if (p.content_language.empty()) {
      nil();
    } else {
      out_.push_back('(');
      for (std::size_t i = 0; i < p.content_language.size(); ++i) {
        if (i > 0) space();
        string(p.content_language[i]);
      }
      out_.push_back(')');
    }
    space();
    optional_string(p.content_location);
  }

  void multipart(const part& p) {
    out_.push_back('(');
    if (p.children.empty()) {
      synthetic_text(0, 0);  // RFC 9051 §9: body-type-mpart = 1*body SP media-subtype
    }
    for (std::size_t child : p.children) body(child);
    space();
    string(upper(p.subtype));
    if (extensible_) {
      space();
      params(p.type_params, false);  // body-ext-mpart
      disposition_language_location(p);
    }
    out_.push_back(')');
  }

  // RFC 9051 §9 body-fields.
  void fields(const part& p) {
    string(upper(p.type));
    space();
    string(upper(p.subtype));
    space();
    params(p.type_params, p.is_text() && p.type_param("charset") == nullptr);
    space();
    optional_string(p.content_id);
    space();
    if (auto raw = raw_value(bytes_, p.fields, "Content-Description")) {
      string(detail::trim(unfold(*raw)));
    } else {
      nil();
    }
    space();
    string(upper(p.encoding_name.empty() ? std::string_view("7bit") : p.encoding_name));
    space();
    out_ += std::to_string(p.body.size());
  }

  void single(const part& p) {
    out_.push_back('(');
    fields(p);
    const bool message_type =
        p.type == "message" && (p.subtype == "rfc822" || p.subtype == "global");
    if (message_type) {
      // RFC 9051 §9 body-type-msg: body-fields SP envelope SP body SP body-fld-lines.
      space();
      if (p.embedded) {
        detail::append_envelope(out_, bytes_, m_.parts[*p.embedded].fields, options_);
        space();
        body(*p.embedded);
      } else {
        detail::append_unparsed_envelope(out_, bytes_, p, options_);
        space();
        unparsed_message_body(p);
      }
      space();
      out_ += std::to_string(p.body_lines);
    } else if (p.is_text()) {
      space();
      out_ += std::to_string(p.body_lines);  // body-type-text
    }
    if (extensible_) {
      out_ += " NIL";  // body-fld-md5: not computed (RFC 1864 Content-MD5 is obsolete)
      disposition_language_location(p);
    }
    out_.push_back(')');
  }

  // The content of a message/rfc822 part the parser did not descend into.
  void unparsed_message_body(const part& p) {
    const std::string_view body = slice(bytes_, p.body);
    std::size_t header_size = 0;
    if (p.encoding != transfer_encoding::base64 &&
        p.encoding != transfer_encoding::quoted_printable) {
      header_size = parse_header_block(body).range.end;
    }
    const std::string_view rest = body.substr(header_size);
    std::size_t lines = 0;
    for (char c : rest) lines += c == '\n' ? 1 : 0;
    if (!rest.empty() && rest.back() != '\n') ++lines;
    synthetic_text(rest.size(), lines);
  }

  std::string_view bytes_;
  const message& m_;
  bool extensible_;
  const imap_output_options& options_;
  std::string out_;
};

bool decodable(transfer_encoding e) noexcept { return e != transfer_encoding::other; }

}  // namespace

std::string imap_bodystructure(std::string_view bytes, const message& m, bool extensible,
                               std::size_t part_index, const imap_output_options& options) {
  writer w(bytes, m, extensible, options);
  if (part_index >= m.parts.size()) {
    w.synthetic_text(0, 0);
  } else {
    w.body(part_index);
  }
  return w.take();
}

bool imap_binary_decodable(const message& m, std::size_t part_index) noexcept {
  return part_index < m.parts.size() && decodable(m.parts[part_index].encoding);
}

core::result<std::string> imap_binary(std::string_view bytes, const message& m,
                                      std::size_t part_index) {
  if (part_index >= m.parts.size()) return core::fail(core::errc::not_found, "no such part");
  const part& p = m.parts[part_index];
  // RFC 3516 §4.2: a CTE the server does not know is answered NO [UNKNOWN-CTE].
  if (!decodable(p.encoding)) return core::fail(core::errc::invalid, "UNKNOWN-CTE");
  return decoded_body(bytes, p);
}

std::uint64_t imap_binary_size(std::string_view bytes, const message& m,
                               std::size_t part_index) {
  if (!imap_binary_decodable(m, part_index)) return 0;
  const part& p = m.parts[part_index];
  if (p.encoding != transfer_encoding::base64 &&
      p.encoding != transfer_encoding::quoted_printable) {
    return p.body.size();
  }
  return decoded_body(bytes, p).size();
}

core::result<std::string> imap_binary(std::string_view bytes, const message& m,
                                      std::span<const std::uint32_t> section) {
  if (section.empty()) return std::string(bytes);
  auto index = find_section(m, section);
  if (!index) return core::fail(core::errc::not_found, "no such section");
  return imap_binary(bytes, m, *index);
}

std::uint64_t imap_binary_size(std::string_view bytes, const message& m,
                               std::span<const std::uint32_t> section) {
  if (section.empty()) return bytes.size();
  auto index = find_section(m, section);
  return index ? imap_binary_size(bytes, m, *index) : 0;
}

}  // namespace letterhead::mime
