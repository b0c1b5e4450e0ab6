#pragma once
// The documents that let a mail client set itself up from an address and a password:
// Thunderbird's clientConfig 1.1, Outlook's POX Autodiscover response, and an Apple
// configuration profile. Pure functions of the settings and the address, so that
// tests compare them byte for byte.
//
// Untrusted input: the address comes from a query string or a POSTed XML body before
// any authentication. It reaches these functions only after parse_address() accepted
// it, and everything echoed is XML-escaped all the same.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"

namespace letterhead::http::autoconfig {

// One service clients may be told about; absent when its [listen] key is off.
struct endpoint {
  bool enabled = false;
  std::uint16_t port = 0;
};

struct mail_settings {
  std::string hostname;
  endpoint imap, imaps, pop3, pop3s, submission, submissions;
};

// Hostname from `hostname`, ports from [autoconfig], enabled from [listen].
[[nodiscard]] mail_settings settings_from(const core::config& config);

// Thunderbird autoconfig, clientConfig version 1.1 (the "config-v1.1.xml" format of
// Mozilla's ISPDB): implicit TLS servers first (RFC 8314 §3), then STARTTLS ones.
[[nodiscard]] std::string thunderbird_config(const mail_settings& s, std::string_view domain);

// Outlook's POX Autodiscover response (namespace .../outlook/responseschema/2006a)
// with one Protocol each for IMAP, POP3 and SMTP.
[[nodiscard]] std::string autodiscover_response(const mail_settings& s, std::string_view address);
// The Autodiscover error document (ErrorCode 600, "Invalid Request").
[[nodiscard]] std::string autodiscover_error();
// The EMailAddress element's text of an Autodiscover request, found by a small
// tolerant scan (any namespace prefix, surrounding whitespace trimmed) of at most the
// first 64 KiB; nullopt when there is none.
[[nodiscard]] std::optional<std::string> autodiscover_request_address(std::string_view body);

// An unsigned Apple configuration profile (.mobileconfig, an XML property list) with
// one com.apple.mail.managed payload. nullopt when neither IMAP nor POP3 is offered.
[[nodiscard]] std::optional<std::string> apple_mobileconfig(const mail_settings& s, std::string_view address);

// A name-based UUID (RFC 9562 §5.8, version 8, from SHA-256 of `name`), upper case as
// Apple writes them: the same name always gives the same UUID.
[[nodiscard]] std::string name_uuid(std::string_view name);

// "mx.example.com" -> "com.example.mx" (reverse-DNS identifiers for PayloadIdentifier).
[[nodiscard]] std::string reverse_dns(std::string_view hostname);

[[nodiscard]] std::string xml_escape(std::string_view text);

}  // namespace letterhead::http::autoconfig
