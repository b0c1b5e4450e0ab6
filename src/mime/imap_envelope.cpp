#include "mime/imap_envelope.hpp"

#include "mime/detail/imap_write.hpp"

namespace letterhead::mime {

std::string imap_envelope(std::string_view bytes, const message& m, std::size_t part_index,
                          const imap_output_options& options) {
  std::string out;
  if (part_index >= m.parts.size()) {
    detail::append_envelope(out, bytes, {}, options);
    return out;
  }
  const part* p = &m.parts[part_index];
  // The header of a message (the root, or the root of an encapsulated message) is its
  // envelope; any other part stands for the message it encapsulates, if any.
  const bool message_top = !p->parent || m.parts[*p->parent].embedded == part_index;
  if (!message_top && p->embedded) {
    p = &m.parts[*p->embedded];
  } else if (!message_top && p->type == "message" &&
             (p->subtype == "rfc822" || p->subtype == "global")) {
    detail::append_unparsed_envelope(out, bytes, *p, options);
    return out;
  }
  detail::append_envelope(out, bytes, p->fields, options);
  return out;
}

}  // namespace letterhead::mime
