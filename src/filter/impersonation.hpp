#pragma once
// Impersonation defence (issue 5 §5): mail from outside whose From display name is
// an employee's name ("张伟 <zhangwei@evil.example>", "Zhang Wei", "Wei Zhang"), or
// whose From domain looks like one of our domains (examp1e.com, exаmple.com with a
// Cyrillic а, xn-- homographs, one typo away), is reported as IMPERSONATION_NAME or
// LOOKALIKE_DOMAIN; app/ scores the findings and adds a visible warning.
//
// Names are compared after ICU NFKC case folding (UAX #15, Unicode §5.18) with
// spaces, punctuation and symbols removed, both as written and romanised to pinyin
// (directory::romanize, either word order), and as UTS #39 confusable skeletons.
// Domains are decoded with UTS #46 (uidna), cut to their registrable label with the
// Public Suffix List, and compared by UTS #39 skeleton and by Damerau-Levenshtein
// distance (optimal string alignment) of at most one.
//
// Untrusted input: the From display name and domain of MX mail, before any trust.
// Both are cut to a fixed length before ICU sees them (max_name_bytes,
// max_domain_bytes); invalid UTF-8 becomes U+FFFD; work per message is linear in the
// number of employees' keys (a hash probe) and our domains.

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mailauth/public_suffix.hpp"

namespace letterhead::filter {

inline constexpr std::size_t max_name_bytes = 256;
inline constexpr std::size_t max_domain_bytes = 255;

// NFKC case-folded, without spaces, punctuation, symbols and controls: "Zhang  Wei"
// and "ＺＨＡＮＧ-wei" → "zhangwei". Empty for a name with nothing left.
[[nodiscard]] std::string fold_name(std::string_view utf8);

// UTS #39 confusable skeleton of a folded string ("examp1e" and "exаmple" → the
// skeleton of "example").
[[nodiscard]] std::string skeleton(std::string_view utf8);

// UTS #46 ToUnicode of a domain, lower case; the input (lower-cased) when it does not
// decode.
[[nodiscard]] std::string domain_to_unicode(std::string_view domain);
// UTS #46 ToASCII; empty when it does not convert.
[[nodiscard]] std::string domain_to_ascii(std::string_view domain);

// Damerau-Levenshtein distance (optimal string alignment) between two UTF-8 strings,
// by code point; stops counting at `cap` + 1.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t cap = 2);

struct impersonation_match {
  std::string rule;      // "IMPERSONATION_NAME" or "LOOKALIKE_DOMAIN"
  std::string employee;  // the colleague's display name (UTF-8) for IMPERSONATION_NAME
  std::string domain;    // our domain (A-label) that is imitated, for LOOKALIKE_DOMAIN
  std::string detail;    // printable ASCII for X-Spam-Status
};

// Who may be imitated: a snapshot of the directory.
struct impersonation_people {
  std::vector<std::string> display_names;  // employees' display names, UTF-8
  std::vector<std::string> domains;        // our domains, A-label form
};

class impersonation_guard {
 public:
  impersonation_guard(const impersonation_people& people, const mailauth::public_suffix_list& psl);

  // Whether `domain` (any case, A- or U-label) is one of ours.
  [[nodiscard]] bool is_our_domain(std::string_view domain) const;

  // The findings for a From display name (UTF-8, already decoded from RFC 2047) and
  // From domain. The caller decides whether the sender is trusted. Remembered per
  // name and domain (at most 10,000 pairs, each under 1 KiB): the same senders write
  // again and again, and the Unicode work (NFKC, pinyin, IDNA, skeletons) is the
  // guard's whole cost.
  [[nodiscard]] std::vector<impersonation_match> check(std::string_view display_name,
                                                       std::string_view from_domain) const;

  [[nodiscard]] std::size_t name_keys() const noexcept { return names_.size(); }

 private:
  struct our_domain {
    std::string ascii;     // example.com
    std::string label;     // "example" (Unicode)
    std::string suffix;    // "com"
    std::string skeleton;  // of the whole Unicode domain
  };

  [[nodiscard]] std::vector<impersonation_match> judge(std::string_view display_name,
                                                       std::string_view from_domain) const;

  const mailauth::public_suffix_list& psl_;
  std::unordered_map<std::string, std::string> names_;  // key → employee display name
  std::vector<our_domain> domains_;
  mutable std::mutex seen_mutex_;
  mutable std::unordered_map<std::string, std::vector<impersonation_match>> seen_;  // name's length, ':', name, domain → findings
};

// The visible warning, in Simplified Chinese then English.
inline constexpr std::string_view warning_field_name = "X-Letterhead-Warning";
// The warning text for `matches` (UTF-8, one line).
[[nodiscard]] std::string warning_text(const std::vector<impersonation_match>& matches);
// "X-Letterhead-Warning: " and the text as RFC 2047 §4.1 B encoded-words, folded
// (RFC 5322 §2.2.3), ending in CRLF.
[[nodiscard]] std::string warning_field(const std::vector<impersonation_match>& matches);
// The message (CRLF form) as multipart/mixed (RFC 2046 §5.1.3) whose first part is
// `banner` (text/plain, UTF-8, base64) and whose second is the original content:
// its Content-* fields move into the part, every other header field stays on top.
// `boundary` must not occur in the message.
[[nodiscard]] std::string wrap_with_banner(std::string_view message, std::string_view banner,
                                           std::string_view boundary);

// The keys a display name is known by: folded, pinyin in both word orders, and the
// skeletons of those. Exposed for tests.
[[nodiscard]] std::vector<std::string> name_match_keys(std::string_view display_name);

}  // namespace letterhead::filter
