#include "filter/detail/text_parts.hpp"

#include "mime/body.hpp"

namespace letterhead::filter::detail {

std::vector<text_part> readable_texts(std::string_view bytes, const mime::message& m, std::size_t max_bytes) {
  std::vector<text_part> out;
  std::size_t used = 0;
  for (std::size_t i = 0; i < m.parts.size() && used < max_bytes; ++i) {
    const auto& p = m.parts[i];
    if (!p.is_text() || p.disposition == "attachment") continue;
    if (p.subtype != "plain" && p.subtype != "html") continue;
    // Decoding is linear; a part far over the budget is cut before decoding.
    mime::part bounded = p;
    const std::size_t room = (max_bytes - used) * 2 + 4096;
    if (bounded.body.size() > room) bounded.body.end = bounded.body.begin + room;
    auto text = mime::text_body_utf8(bytes, bounded, mime::decode_options_for(m, i));
    if (!text) continue;
    if (text->size() > max_bytes - used) text->resize(max_bytes - used);
    used += text->size();
    out.push_back(text_part{std::move(*text), p.subtype == "html"});
  }
  return out;
}

}  // namespace letterhead::filter::detail
