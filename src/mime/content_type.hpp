#pragma once
// Content-Type (RFC 2045 §5, RFC 2046), Content-Disposition (RFC 2183) and their
// parameters, with RFC 2231 continuations, charsets and languages, and the common
// (non-standard) RFC 2047 encoded-words inside quoted parameter values.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mime/charset.hpp"

namespace letterhead::mime {

struct parameter {
  std::string name;      // attribute, lower-cased, without RFC 2231 "*" suffixes
  std::string value;     // decoded to UTF-8: RFC 2231 sections joined and converted,
                         // or RFC 2047 words decoded, or raw 8-bit per decode_options
  std::string raw;       // bytes before charset conversion: unquoted, RFC 2231 sections
                         // percent-decoded and joined, RFC 2047 words left encoded
  std::string charset;   // RFC 2231 charset as written (empty if none)
  std::string language;  // RFC 2231 language as written (empty if none)
};

struct content_type {
  std::string type;     // lower-case, e.g. "text"
  std::string subtype;  // lower-case, e.g. "plain"
  std::vector<parameter> params;
};

struct content_disposition {
  std::string type;  // lower-case, e.g. "attachment", "inline"
  std::vector<parameter> params;
};

// "type/subtype *(; parameter)" with CFWS anywhere; nullopt if there is no type/subtype
// (RFC 2045 §5.2 then says: assume text/plain; charset=us-ascii). Parameters after
// junk are still found (a missing ";" is a common mistake).
[[nodiscard]] std::optional<content_type> parse_content_type(std::string_view raw,
                                                             const decode_options& options = {});

// "disposition-type *(; parameter)"; nullopt if there is no disposition type.
[[nodiscard]] std::optional<content_disposition> parse_content_disposition(
    std::string_view raw, const decode_options& options = {});

// A ";"-separated parameter list (the part after the type). Parameter names are
// lower-cased; the first occurrence of a name wins, except that an RFC 2231 form
// (name*=, name*0=) wins over the plain form of the same name. At most 20,000
// parameters are read from one field and RFC 2231 sections above 10,000 are ignored.
[[nodiscard]] std::vector<parameter> parse_parameters(std::string_view raw,
                                                      const decode_options& options = {});

// First parameter named `name` (case-insensitive), or nullptr.
[[nodiscard]] const parameter* find_parameter(std::span<const parameter> params,
                                              std::string_view name) noexcept;

// Content-Language (RFC 3282 §2): the language tags (at most 1,000), comments removed.
[[nodiscard]] std::vector<std::string> parse_content_language(std::string_view raw);

}  // namespace letterhead::mime
