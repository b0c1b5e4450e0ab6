#pragma once
// SMTP envelope address syntax: Path, Mailbox, Domain and address literals of
// RFC 5321 §4.1.2 and §4.1.3, extended with UTF-8 by RFC 6531 §3.3. The input is
// untrusted client text; every function here bounds its work by the input length.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::smtp::proto {

struct parse_options {
  // Accept UTF-8 in local parts, domains and ESMTP values (RFC 6531 §3.3). The server
  // sets this when it advertises SMTPUTF8; whether a MAIL command that uses it also
  // carries the SMTPUTF8 parameter is the server's check (is_ascii(cmd.path)).
  bool smtputf8 = true;
};

// RFC 5321 §4.5.3.1.3: a reverse- or forward-path, including "<" and ">", source route too.
inline constexpr std::size_t max_path_length = 256;
// RFC 5321 §4.5.3.1.1: local part, in octets as written (quotes included).
inline constexpr std::size_t max_local_part_length = 64;
// RFC 5321 §4.5.3.1.2 (and RFC 1035 §2.3.4).
inline constexpr std::size_t max_domain_length = 255;
// RFC 1035 §2.3.4: one label of an ASCII domain.
inline constexpr std::size_t max_label_length = 63;

// A Mailbox split at its "@". `local` is decoded: the quotes and backslash escapes of
// a quoted-string local part are removed (`"john doe"@example.com` gives `john doe`),
// which is the form to look up. `domain` is as written (see normalize_domain); it is
// a Domain or an address literal with its brackets ("[192.0.2.1]"), and empty only for
// the bare "Postmaster" of RFC 5321 §4.5.1.
struct mailbox_path {
  std::string local;
  std::string domain;
};

// Validates and splits a Mailbox (RFC 5321 §4.1.2: Local-part "@" ( Domain /
// address-literal )), e.g. command::path. Also accepts "Postmaster" (any case) with no
// domain, RFC 5321 §4.5.1. Length limits of §4.5.3.1 apply.
[[nodiscard]] core::result<mailbox_path> split_path(std::string_view mailbox,
                                                    const parse_options& options = {});

// Writes a mailbox back (without <>), quoting the local part when it is not a
// Dot-string (RFC 5321 §4.1.2: a quoted-string only when needed).
[[nodiscard]] std::string to_path(const mailbox_path& mailbox);

// The result of parse_path: the mailbox text without "<", ">" and source route.
struct parsed_path {
  std::string mailbox;     // "" for the null path "<>"
  bool null_path = false;  // "<>"
};

// Which paths parse_path accepts besides a plain Mailbox.
struct path_rules {
  bool allow_null = false;        // "<>": MAIL FROM only (RFC 5321 §4.1.1.2)
  bool allow_postmaster = false;  // "<Postmaster>": RCPT TO only (RFC 5321 §4.1.1.3)
};

// Parses a Path (RFC 5321 §4.1.2: "<" [ A-d-l ":" ] Mailbox ">") at the start of
// `text`. A source route ("<@a,@b:user@c>") is accepted and dropped (RFC 5321
// §4.1.1.3, appendix C). On success, `consumed` is the length of the path in `text`;
// what follows it is the caller's (ESMTP parameters).
[[nodiscard]] core::result<parsed_path> parse_path(std::string_view text, std::size_t& consumed,
                                                   const path_rules& rules,
                                                   const parse_options& options = {});

// True when every byte is 7-bit.
[[nodiscard]] bool is_ascii(std::string_view s) noexcept;

// Lower-cases ASCII letters and leaves other bytes (UTF-8 U-labels) as given, so that
// two spellings of an ASCII domain compare equal. No IDNA mapping: todo(rfc): RFC 5891
// U-label/A-label equivalence needs an IDNA library (ICU's uidna) in mime/ or core/.
[[nodiscard]] std::string normalize_domain(std::string_view domain);

// RFC 5321 §4.1.2 Domain: dot-separated labels of letters, digits and inner hyphens,
// ASCII labels up to 63 octets, at most 255 octets. With options.smtputf8, labels may
// hold UTF-8 (RFC 6531 §3.3 sub-domain =/ U-label; checked for well-formed UTF-8 only).
[[nodiscard]] bool is_domain(std::string_view domain, const parse_options& options = {});

// RFC 5321 §4.1.3 address-literal with its brackets: "[192.0.2.1]",
// "[IPv6:2001:db8::1]" or a General-address-literal "[tag:content]".
[[nodiscard]] bool is_address_literal(std::string_view literal);

// RFC 5321 §4.1.2 Dot-string (with UTF-8 atoms when options.smtputf8).
[[nodiscard]] bool is_dot_string(std::string_view s, const parse_options& options = {});

}  // namespace letterhead::smtp::proto
