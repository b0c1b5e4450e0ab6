#include "delivery/forwarding.hpp"

#include <algorithm>

#include "mailauth/arc_seal.hpp"

namespace letterhead::delivery {

forwarding::forwarding(store::store& st, directory::directory& dir, forwarding_options options)
    : directory_(dir), options_(std::move(options)), signers_(std::make_unique<mailauth::signer_cache>(st)) {
  options_.srs_domain = directory::lower_ascii(options_.srs_domain);
  codec_.max_age_days = options_.srs_max_age_days;
  codec_.mac = [this](std::string_view data) { return directory_.capability_token("srs", data); };
}

core::result<std::string> forwarding::envelope_sender(std::string_view mail_from, std::string_view forwarding_domain,
                                                      std::int64_t now) const {
  const auto at = mail_from.rfind('@');
  if (!options_.srs || at == std::string_view::npos) return std::string(mail_from);
  auto ours = directory_.is_local_domain(directory::lower_ascii(mail_from.substr(at + 1)));
  if (!ours) return std::unexpected(ours.error());
  if (*ours) return std::string(mail_from);
  const std::string domain = options_.srs_domain.empty() ? directory::lower_ascii(forwarding_domain) : options_.srs_domain;
  auto rewritten = srs_forward(codec_, mail_from, domain, now);
  return rewritten ? *rewritten : std::string(mail_from);
}

core::result<srs_reversed> forwarding::reverse(std::string_view address, std::int64_t now) const {
  const auto at = address.rfind('@');
  if (!options_.srs || at == std::string_view::npos) return srs_reversed{};
  // Every recipient of every message passes here: only an SRS0=/SRS1= local part is
  // worth a look at the domain (a store read).
  const auto local = directory::lower_ascii(address.substr(0, std::min<std::size_t>(at, 5)));
  if (local != "srs0=" && local != "srs1=") return srs_reversed{};
  const auto domain = directory::lower_ascii(address.substr(at + 1));
  if (!options_.srs_domain.empty()) {
    if (domain != options_.srs_domain) return srs_reversed{};
  } else {
    auto ours = directory_.is_local_domain(domain);
    if (!ours) return std::unexpected(ours.error());
    if (!*ours) return srs_reversed{};
  }
  return srs_reverse(codec_, address, now);
}

core::result<std::string> forwarding::seal(std::string_view message, std::string_view forwarding_domain,
                                           std::int64_t now) const {
  if (!options_.arc_seal) return std::string{};
  // Without our own results (the MX did not judge it: [auth] off, a trusted loopback
  // client) there is nothing we could vouch for.
  const auto request = mailauth::seal_request_from(message, options_.authserv_id);
  if (!request) return std::string{};
  auto signer = signers_->get(directory::lower_ascii(forwarding_domain));
  if (signer && !*signer && !options_.srs_domain.empty()) signer = signers_->get(options_.srs_domain);
  if (!signer) return std::unexpected(signer.error());
  if (!*signer) return std::string{};
  auto set = mailauth::arc_seal(**signer, message, *request, now);
  if (!set) {
    if (set.error().code == core::errc::limit) return std::string{};
    return std::unexpected(set.error());
  }
  return std::move(*set);
}

}  // namespace letterhead::delivery
