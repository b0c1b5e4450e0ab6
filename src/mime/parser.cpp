#include "mime/parser.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "mime/detail/ascii.hpp"
#include "mime/detail/header_scan.hpp"

namespace letterhead::mime {

std::string_view part::charset() const noexcept {
  if (const auto* p = type_param("charset"); p != nullptr && !p->value.empty()) return p->value;
  return is_text() ? std::string_view("us-ascii") : std::string_view();
}

std::string_view part::filename() const noexcept {
  if (const auto* p = find_parameter(disposition_params, "filename"); p && !p->value.empty()) {
    return p->value;
  }
  if (const auto* p = type_param("name")) return p->value;
  return {};
}

namespace {

using detail::line;
using detail::line_at;

// The parser keeps one cursor (pos_) at the start of a line and walks the message once.
// Multipart boundaries are a stack: every part, however deep, stops at the first line
// that is a delimiter of any enclosing multipart, so an unterminated inner multipart
// cannot swallow the rest of its parent (RFC 2046 §5.1.2).
class parser {
 public:
  parser(std::string_view data, const parse_limits& limits, const decode_options& options,
         message& out)
      : data_(data),
        limits_(limits),
        options_(options),
        out_(out),
        max_depth_(std::min(limits.max_depth, parse_limits::hard_max_depth)),
        field_budget_(limits.max_total_header_fields) {}

  void run() {
    out_.parts.reserve(std::min<std::size_t>(limits_.max_parts, 16));
    parse_part(std::nullopt, 0, false);
  }

 private:
  struct delimiter {
    std::size_t level = 0;  // index in boundaries_
    bool close = false;
  };

  // RFC 2046 §5.1.1: "--" boundary ["--"] then only transport padding (LWSP).
  // The innermost boundary is tried first.
  [[nodiscard]] std::optional<delimiter> match(const line& l) const noexcept {
    if (boundaries_.empty() || l.content_end - l.begin < 2 || data_[l.begin] != '-' ||
        data_[l.begin + 1] != '-') {
      return std::nullopt;
    }
    std::string_view rest = data_.substr(l.begin + 2, l.content_end - l.begin - 2);
    for (std::size_t level = boundaries_.size(); level-- > 0;) {
      const std::string& b = boundaries_[level];
      if (rest.size() < b.size() || rest.compare(0, b.size(), b) != 0) continue;
      std::string_view after = rest.substr(b.size());
      bool close = after.size() >= 2 && after[0] == '-' && after[1] == '-';
      if (close) after.remove_prefix(2);
      if (std::all_of(after.begin(), after.end(), detail::is_wsp)) return delimiter{level, close};
    }
    return std::nullopt;
  }

  [[nodiscard]] std::optional<delimiter> current_delimiter() const noexcept {
    if (pos_ >= data_.size()) return std::nullopt;
    return match(line_at(data_, pos_));
  }

  void consume_line() noexcept {
    line l = line_at(data_, pos_);
    if (l.end > l.content_end && data_[l.end - 1] == '\n') ++newlines_;
    pos_ = l.end;
  }

  // Moves to the next delimiter line of any open multipart, or to the end.
  std::optional<delimiter> skip_to_delimiter() {
    if (boundaries_.empty()) {
      newlines_ += static_cast<std::size_t>(
          std::count(data_.begin() + static_cast<std::ptrdiff_t>(pos_), data_.end(), '\n'));
      pos_ = data_.size();
      return std::nullopt;
    }
    while (pos_ < data_.size()) {
      line l = line_at(data_, pos_);
      if (auto d = match(l)) return d;
      if (l.end > l.content_end && data_[l.end - 1] == '\n') ++newlines_;
      pos_ = l.end;
    }
    return std::nullopt;
  }

  std::size_t parse_part(std::optional<std::size_t> parent, std::size_t depth,
                         bool digest_child) {
    const std::size_t index = out_.parts.size();
    out_.parts.emplace_back();
    {
      part& p = out_.parts[index];
      p.parent = parent;
      p.depth = depth;
    }

    header_limits hl{limits_.max_header_fields, limits_.max_header_size};
    auto scan = detail::scan_header(data_, pos_, hl, &field_budget_,
                                    [this](const line& l) { return match(l).has_value(); });
    pos_ = scan.block.range.end;
    newlines_ += scan.newlines;
    const std::size_t newlines_at_body = newlines_;
    {
      part& p = out_.parts[index];
      p.header = scan.block.range;
      p.fields = std::move(scan.block.fields);
      p.malformed_header_lines = scan.block.malformed_lines;
      if (p.malformed_header_lines > 0) set(p, part_defect::malformed_header_lines);
      if (scan.block.truncated) {
        set(p, part_defect::header_truncated);
        out_.truncated = true;
      }
    }
    std::string boundary = interpret_fields(out_.parts[index], digest_child);

    // Copies: out_.parts grows (and moves) while children are parsed.
    const std::size_t body_begin = out_.parts[index].header.end;
    const bool multipart = out_.parts[index].is_multipart();
    const bool digest = multipart && out_.parts[index].subtype == "digest";
    const bool message_type = out_.parts[index].type == "message" &&
                              (out_.parts[index].subtype == "rfc822" ||
                               out_.parts[index].subtype == "global");
    const bool encoded = is_encoded(out_.parts[index].encoding);

    if (multipart && depth < max_depth_) {
      parse_multipart(index, std::move(boundary), depth, digest);
    } else if (message_type && !encoded && depth < max_depth_ &&
               out_.parts.size() < limits_.max_parts) {
      // RFC 2046 §5.2.1: the body is a complete message with its own header and body.
      std::size_t embedded = parse_part(index, depth + 1, false);
      out_.parts[index].embedded = embedded;
    } else {
      if (message_type && encoded) {
        set(out_.parts[index], part_defect::encoded_message);
      } else if (multipart || message_type) {
        out_.truncated = true;
      }
      skip_to_delimiter();
    }
    finish_body(index, body_begin, newlines_at_body);
    return index;
  }

  void parse_multipart(std::size_t index, std::string boundary, std::size_t depth, bool digest) {
    boundaries_.push_back(std::move(boundary));
    const std::size_t level = boundaries_.size() - 1;
    bool any = false;
    bool closed = false;
    auto d = skip_to_delimiter();  // the preamble
    while (d && d->level == level && !d->close) {
      consume_line();
      any = true;
      if (out_.parts.size() < limits_.max_parts) {
        std::size_t child = parse_part(index, depth + 1, digest);
        out_.parts[index].children.push_back(child);
      } else {
        out_.truncated = true;
        skip_to_delimiter();
      }
      d = current_delimiter();
    }
    if (d && d->level == level && d->close) {
      consume_line();
      closed = true;
    }
    boundaries_.pop_back();
    if (closed) skip_to_delimiter();  // the epilogue, up to an outer delimiter
    if (!closed) set(out_.parts[index], part_defect::unterminated_multipart);
    if (!any) set(out_.parts[index], part_defect::no_body_parts);
  }

  void finish_body(std::size_t index, std::size_t body_begin, std::size_t newlines_at_body) {
    part& p = out_.parts[index];
    if (pos_ >= data_.size()) {
      p.body = {body_begin, data_.size()};
      p.body_lines = newlines_ - newlines_at_body +
                     ((p.body.end > body_begin && data_[p.body.end - 1] != '\n') ? 1 : 0);
      return;
    }
    // At a delimiter line: the line break before it belongs to the delimiter (RFC 2046
    // §5.1.1), and pos_ > 0 is a line start, so data_[pos_ - 1] is that LF.
    const std::size_t eol = (pos_ >= 2 && data_[pos_ - 2] == '\r') ? 2 : 1;
    const std::size_t end = pos_ >= eol ? pos_ - eol : 0;
    if (end >= body_begin) {
      p.body = {body_begin, end};
      const std::size_t newlines = newlines_ - newlines_at_body - 1;
      p.body_lines = newlines + ((end > body_begin && data_[end - 1] != '\n') ? 1 : 0);
      return;
    }
    // The delimiter follows the header directly, so that line break is the header's
    // last one (its empty line, or the end of its last field): the header gives it up.
    // Only an empty encapsulated message can lie beyond; it moves along.
    const std::size_t cut = std::max(end, p.header.begin);
    p.header.end = cut;
    for (auto& f : p.fields) {
      f.whole.end = std::min(f.whole.end, cut);
      f.value.end = std::min(f.value.end, cut);
    }
    p.body = {cut, cut};
    p.body_lines = 0;
    if (p.embedded) {
      part& e = out_.parts[*p.embedded];
      e.header = {cut, cut};
      e.body = {cut, cut};
    }
  }

  // Reads the MIME fields of a part; returns the multipart boundary if any.
  std::string interpret_fields(part& p, bool digest_child) {
    std::string boundary;
    if (auto raw = raw_value(data_, p.fields, "Content-Type")) {
      auto ct = parse_content_type(*raw, options_);
      if (ct) {
        // Raw 8-bit parameter values (e.g. a GBK file name) are most likely in the
        // part's own charset.
        if (const auto* cs = find_parameter(ct->params, "charset"); cs && has_8bit(*raw)) {
          const std::string charset = cs->value;
          decode_options hinted = options_;
          hinted.charset_hint = charset;
          ct = parse_content_type(*raw, hinted);
        }
      }
      if (ct) {
        p.type = std::move(ct->type);
        p.subtype = std::move(ct->subtype);
        p.type_params = std::move(ct->params);
        p.explicit_type = true;
      } else {
        set(p, part_defect::invalid_content_type);  // RFC 2045 §5.2: text/plain
      }
    } else if (digest_child) {
      p.type = "message";  // RFC 2046 §5.1.5
      p.subtype = "rfc822";
    }
    if (p.is_multipart()) {
      if (const auto* b = p.type_param("boundary"); b && !b->raw.empty()) {
        boundary = b->raw;
      } else {
        set(p, part_defect::missing_boundary);
        p.type = "text";
        p.subtype = "plain";
      }
    }

    decode_options hinted = options_;
    std::string charset(p.charset());
    if (!charset.empty()) hinted.charset_hint = charset;

    if (auto raw = raw_value(data_, p.fields, "Content-Transfer-Encoding")) {
      p.encoding = parse_transfer_encoding(*raw);
      std::string token = unfold(*raw);
      std::string_view t = detail::trim(token);
      if (auto paren = t.find('('); paren != std::string_view::npos) t = detail::trim(t.substr(0, paren));
      if (!t.empty()) p.encoding_name = detail::lower(t);
    }
    if (auto raw = raw_value(data_, p.fields, "Content-ID")) {
      p.content_id = std::string(detail::trim(unfold(*raw)));
    }
    if (auto raw = raw_value(data_, p.fields, "Content-Description")) {
      p.content_description = decode_unstructured(*raw, hinted);
    }
    if (auto raw = raw_value(data_, p.fields, "Content-Disposition")) {
      if (auto cd = parse_content_disposition(*raw, hinted)) {
        p.disposition = std::move(cd->type);
        p.disposition_params = std::move(cd->params);
      }
    }
    if (auto raw = raw_value(data_, p.fields, "Content-Language")) {
      p.content_language = parse_content_language(*raw);
    }
    if (auto raw = raw_value(data_, p.fields, "Content-Location")) {
      // RFC 2557 §4.4.1: a folded URI is unfolded by removing all whitespace.
      for (char c : *raw) {
        if (!detail::is_space(c)) p.content_location.push_back(c);
      }
    }
    return boundary;
  }

  static bool has_8bit(std::string_view s) noexcept {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  }
  static bool is_encoded(transfer_encoding e) noexcept {
    return e == transfer_encoding::base64 || e == transfer_encoding::quoted_printable;
  }
  static void set(part& p, part_defect d) noexcept { p.defects |= static_cast<std::uint32_t>(d); }

  std::string_view data_;
  const parse_limits& limits_;
  const decode_options& options_;
  message& out_;
  std::size_t max_depth_;
  std::size_t field_budget_;
  std::vector<std::string> boundaries_;
  std::size_t pos_ = 0;       // start of the current line
  std::size_t newlines_ = 0;  // LF bytes before pos_
};

}  // namespace

message parse(std::string_view bytes, const parse_limits& limits, const decode_options& options) {
  message out;
  parser(bytes, limits, options, out).run();
  return out;
}

}  // namespace letterhead::mime
