#pragma once
// The Sender Rewriting Scheme (Shevek's SRS, as libsrs2, postsrsd and Exim write it):
// mail we forward to an outside address leaves with an envelope sender in our domain,
// so that the next hop's SPF check (RFC 7208) of our IP passes, and a bounce comes
// back to us and is relayed to the original sender.
//
//   SRS0=HHHHHHHH=TT=orig-domain=orig-local@srs-domain
//   SRS1=HHHHHHHH=first-hop-domain==HHHH=TT=orig-domain=orig-local@srs-domain
//
// TT is the day (days since 1970 mod 1024) in two base32 characters; HHHHHHHH is an
// HMAC (the caller's `mac`, keyed by the installation's secret key) over what the
// address carries, lower-cased, so that relays that change case break nothing.
// An SRS0 address expires after max_age_days. SRS1 is what we write when the sender
// is already another forwarder's SRS0/SRS1 address: its first hop keeps the original
// SRS0 part and is where a bounce goes next (RFC-less, libsrs2's "guarded" scheme).
//
// Untrusted input: srs_reverse() reads RCPT addresses from anybody. It never
// allocates more than its input, accepts only a MAC made with our key (compared in
// constant time) and a timestamp no older than max_age_days: nobody can make us relay
// to an address of their choosing.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace letterhead::delivery {

// Base32 characters of the MAC in an address (40 bits).
inline constexpr std::size_t srs_hash_chars = 8;
// Longer addresses are not SRS addresses of ours (RFC 5321 §4.5.3.1: 64 + 1 + 255).
inline constexpr std::size_t srs_max_address = 320;

struct srs_codec {
  // A keyed MAC of `data` in lower-case base32, at least srs_hash_chars long.
  std::function<std::string(std::string_view data)> mac;
  std::int64_t max_age_days = 21;
};

// The SRS address for mail from `sender` forwarded through `srs_domain` at `now`
// (seconds since 1970). nullopt for a null sender or one without a domain.
[[nodiscard]] std::optional<std::string> srs_forward(const srs_codec& c, std::string_view sender,
                                                     std::string_view srs_domain, std::int64_t now);

enum class srs_status {
  not_srs,  // the local part does not start with SRS0 or SRS1 and a separator
  valid,    // `address` is where the bounce goes
  forged,   // malformed, or the MAC is not ours
  expired,  // SRS0 whose day is more than max_age_days ago (or in the future)
};

struct srs_reversed {
  srs_status status = srs_status::not_srs;
  std::string address;  // valid only
};

// Undoes srs_forward for `address` (local@domain; the domain is the caller's to
// check): SRS0 gives the original sender, SRS1 the first hop's SRS0 address.
[[nodiscard]] srs_reversed srs_reverse(const srs_codec& c, std::string_view address, std::int64_t now);

}  // namespace letterhead::delivery
