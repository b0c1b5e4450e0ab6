// libFuzzer target for the MIME library: everything an attacker's message reaches on
// the MX before any authentication. Parses, checks the structural invariants, then
// decodes every header, every text body and the address lists, as IMAP FETCH, search
// indexing and the spam filter will.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/address.hpp"
#include "mime/body.hpp"
#include "mime/content_type.hpp"
#include "mime/date.hpp"
#include "mime/header.hpp"
#include "mime/msg_id.hpp"
#include "mime/parser.hpp"
#include "mime/section.hpp"

namespace {

using namespace letterhead::mime;

void require(bool condition) {
  if (!condition) std::abort();
}

void check(std::string_view bytes, const message& m) {
  require(!m.parts.empty());
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    const part& p = m.parts[i];
    require(p.header.begin <= p.header.end && p.header.end == p.body.begin);
    require(p.body.begin <= p.body.end && p.body.end <= bytes.size());
    for (const auto& f : p.fields) {
      require(p.header.begin <= f.whole.begin && f.whole.end <= p.header.end);
    }
    for (std::size_t c : p.children) {
      require(c > i && c < m.parts.size() && m.parts[c].parent == i);
    }
    if (p.embedded) require(m.parts[*p.embedded].whole() == p.body);
    auto path = section_of(m, i);
    auto back = find_section(m, path);
    require(back.has_value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  parse_limits limits;
  limits.max_parts = 200;  // keep each run fast; the limits themselves are unit-tested
  message m = parse(bytes, limits);
  check(bytes, m);

  for (const part& p : m.parts) {
    for (const header_field& f : p.fields) {
      std::string_view value = slice(bytes, f.value);
      std::string text = decode_unstructured(value);
      require(text.find('\n') == std::string::npos && text.find('\r') == std::string::npos);
      (void)parse_content_type(value);
      (void)parse_msg_id_list(value);
      (void)parse_date(value);
    }
    if (p.is_text()) {
      auto t = text_body_utf8(bytes, p);
      require(t.has_value());
    } else {
      (void)decoded_body(bytes, p);
    }
  }
  const part& root = m.root();
  for (const char* name : {"From", "To", "Cc", "Reply-To", "Sender", "Bcc"}) {
    for (const header_field* f : find_fields(bytes, root.fields, name)) {
      auto list = parse_address_list(slice(bytes, f->value));
      for (const auto& g : list.groups) require(g.first + g.count <= list.mailboxes.size());
      for (const auto& mb : list.mailboxes) (void)mb.addr_spec();
    }
  }
  return 0;
}
