// Header and MIME sanity rules and GTUBE: what the message itself gives away.
// Bounded: one pass over the top-level header fields, the part list, and at most
// detail::default_text_budget bytes of decoded text.

#include <algorithm>
#include <cctype>

#include "filter/detail/text_parts.hpp"
#include "filter/scoring.hpp"
#include "mime/address.hpp"
#include "mime/date.hpp"
#include "mime/header.hpp"

namespace letterhead::filter {
namespace {

// The Generic Test for Unsolicited Bulk Email (SpamAssassin's GTUBE).
constexpr std::string_view gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

constexpr std::int64_t day = 86400;

// Lower case with every ASCII space removed, so "font-size : 0" matches "font-size:0".
std::string squeeze(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool hides_text(std::string_view html) {
  const auto s = squeeze(html);
  for (const std::string_view trick : {"display:none", "visibility:hidden", "font-size:0;", "font-size:0px",
                                       "font-size:0\"", "font-size:0'", "opacity:0;", "opacity:0\"", "max-height:0"}) {
    if (s.find(trick) != std::string::npos) return true;
  }
  return false;
}

class content_rules final : public rule_source {
 public:
  void evaluate(const message_input& in, std::vector<finding>& out) override {
    if (in.parsed == nullptr || in.parsed->parts.empty()) return;
    const auto& m = *in.parsed;
    const auto& root = m.root();
    const auto fields = std::span<const mime::header_field>(root.fields);

    // RFC 5322 §3.6: Date and From are required; Message-ID should be there.
    const auto date = mime::raw_value(in.bytes, fields, "Date");
    if (!date) {
      out.push_back({"MISSING_DATE", {}, {}});
    } else if (const auto when = mime::parse_date(*date); !when) {
      out.push_back({"INVALID_DATE", {}, {}});
    } else if (in.now != 0 && when->unix_seconds > in.now + day) {
      out.push_back({"DATE_IN_FUTURE", {}, {}});
    } else if (in.now != 0 && when->unix_seconds < in.now - 30 * day) {
      out.push_back({"DATE_IN_PAST", {}, {}});
    }
    if (!mime::raw_value(in.bytes, fields, "Message-ID")) out.push_back({"MISSING_MESSAGE_ID", {}, {}});
    if (!mime::raw_value(in.bytes, fields, "Subject")) out.push_back({"MISSING_SUBJECT", {}, {}});
    const auto froms = mime::find_fields(in.bytes, fields, "From");
    if (froms.empty()) {
      out.push_back({"MISSING_FROM", {}, {}});
    } else {
      if (froms.size() > 1) out.push_back({"MULTIPLE_FROM", {}, {}});
      const auto list = mime::parse_address_list(mime::slice(in.bytes, froms.front()->value));
      const bool no_domain = list.mailboxes.empty() || std::ranges::any_of(list.mailboxes, [](const auto& a) {
                               return a.domain.empty();
                             });
      if (no_domain) out.push_back({"FROM_NO_DOMAIN", {}, {}});
    }

    bool malformed = false;
    bool has_plain = false;
    bool has_html = false;
    constexpr auto broken = static_cast<std::uint32_t>(mime::part_defect::invalid_content_type) |
                            static_cast<std::uint32_t>(mime::part_defect::missing_boundary) |
                            static_cast<std::uint32_t>(mime::part_defect::no_body_parts) |
                            static_cast<std::uint32_t>(mime::part_defect::encoded_message);
    for (const auto& p : m.parts) {
      if ((p.defects & broken) != 0) malformed = true;
      if (p.is_text() && p.disposition != "attachment") {
        if (p.subtype == "plain") has_plain = true;
        if (p.subtype == "html") has_html = true;
      }
    }
    if (malformed) out.push_back({"MIME_MALFORMED", {}, {}});
    if (m.truncated) out.push_back({"MIME_TRUNCATED", {}, {}});
    if (has_html && !has_plain) out.push_back({"MIME_HTML_ONLY", {}, {}});

    bool gtube_found = in.bytes.find(gtube) != std::string_view::npos;
    bool hidden = false;
    for (const auto& t : in.texts()) {
      if (!gtube_found && t.text.find(gtube) != std::string::npos) gtube_found = true;
      if (t.html && !hidden && hides_text(t.text)) hidden = true;
    }
    if (gtube_found) out.push_back({"GTUBE", {}, {}});
    if (hidden) out.push_back({"HTML_HIDDEN_TEXT", {}, {}});
  }
};

}  // namespace

std::unique_ptr<rule_source> make_content_rules() { return std::make_unique<content_rules>(); }

}  // namespace letterhead::filter
