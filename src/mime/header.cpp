#include "mime/header.hpp"

#include "mime/detail/ascii.hpp"
#include "mime/detail/encoded_word.hpp"
#include "mime/detail/header_scan.hpp"

namespace letterhead::mime {

header_block parse_header_block(std::string_view bytes, std::size_t begin,
                                const header_limits& limits) {
  if (begin > bytes.size()) begin = bytes.size();
  return detail::scan_header(bytes, begin, limits, nullptr,
                             [](const detail::line&) { return false; })
      .block;
}

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

std::string decode_unstructured(std::string_view raw, const decode_options& options) {
  std::string unfolded = unfold(raw);
  detail::text_builder builder(options);
  builder.text_with_encoded_words(detail::trim(unfolded));
  std::string out = builder.finish();
  return std::string(detail::trim(out));
}

const header_field* find_field(std::string_view bytes, std::span<const header_field> fields,
                               std::string_view name) noexcept {
  for (const auto& f : fields) {
    if (detail::iequals(slice(bytes, f.name), name)) return &f;
  }
  return nullptr;
}

std::vector<const header_field*> find_fields(std::string_view bytes,
                                             std::span<const header_field> fields,
                                             std::string_view name) {
  std::vector<const header_field*> out;
  for (const auto& f : fields) {
    if (detail::iequals(slice(bytes, f.name), name)) out.push_back(&f);
  }
  return out;
}

std::optional<std::string_view> raw_value(std::string_view bytes,
                                          std::span<const header_field> fields,
                                          std::string_view name) noexcept {
  if (const auto* f = find_field(bytes, fields, name)) return slice(bytes, f->value);
  return std::nullopt;
}

std::optional<std::string> header_value(std::string_view bytes,
                                        std::span<const header_field> fields,
                                        std::string_view name, const decode_options& options) {
  if (const auto* f = find_field(bytes, fields, name)) {
    return decode_unstructured(slice(bytes, f->value), options);
  }
  return std::nullopt;
}

std::vector<std::string> header_values(std::string_view bytes,
                                       std::span<const header_field> fields,
                                       std::string_view name, const decode_options& options) {
  std::vector<std::string> out;
  for (const auto* f : find_fields(bytes, fields, name)) {
    out.push_back(decode_unstructured(slice(bytes, f->value), options));
  }
  return out;
}

}  // namespace letterhead::mime
