#include "app/dns_records.hpp"

#include <fmt/format.h>

#include "delivery/outbound/mta_sts.hpp"
#include "mailauth/dkim_keys.hpp"

namespace letterhead::app {

namespace {

// A TXT value as zone-file character-strings: each at most 255 octets (RFC 1035
// §3.3.14); DKIM joins them (RFC 6376 §3.6.2.2). A 2048-bit RSA record needs two.
std::string txt_strings(std::string_view value) {
  std::string out;
  while (!value.empty()) {
    if (!out.empty()) out += ' ';
    out += '"';
    out.append(value.substr(0, 255));
    out += '"';
    value.remove_prefix(std::min<std::size_t>(value.size(), 255));
  }
  return out;
}

}  // namespace

std::string our_mta_sts_policy(const std::string& hostname, const std::string& mode) {
  using namespace delivery::outbound;
  return sts_policy_text(parse_sts_mode(mode).value_or(sts_mode::testing), {hostname}, 604800);
}

std::string dns_records(const std::string& domain, const std::string& hostname,
                        const std::vector<store::dkim_key>& dkim_keys, std::int64_t now,
                        const std::string& mta_sts_mode) {
  std::string out;
  out += fmt::format("; Publish these records for {} / 请为 {} 发布以下 DNS 记录\n", domain, domain);
  out += fmt::format("{}.\t\tMX\t10 {}.\n", domain, hostname);
  out += fmt::format("{}.\t\tA\t<public IPv4 of this server / 本服务器公网 IPv4>\n", hostname);
  out += fmt::format("{}.\t\tAAAA\t<public IPv6, if any / 公网 IPv6（如有）>\n", hostname);
  // RFC 7208: only our MX hosts send for the domain; -all tells receivers to refuse the rest.
  out += fmt::format("{}.\t\tTXT\t\"v=spf1 mx -all\"\n", domain);
  // RFC 6376 §3.6.2.1: one record per selector. Retired keys stay a while so that
  // mail signed before a rotation still verifies.
  bool any_dkim = false;
  for (const auto& k : dkim_keys) {
    if (!mailauth::should_publish(k, now)) continue;
    any_dkim = true;
    out += fmt::format("{}.\tTXT\t{}{}\n", mailauth::dns_record_name(k), txt_strings(mailauth::dns_record_text(k)),
                       k.status == store::dkim_key::state::retired ? "\t; retired / 已停用" : "");
  }
  if (!any_dkim) {
    out += fmt::format("; No DKIM key for {}: create one with 'letterhead dkim generate {}'.\n", domain, domain);
  }
  // RFC 7489: start at quarantine; move to reject once reports show all mail aligned.
  out += fmt::format("_dmarc.{}.\tTXT\t\"v=DMARC1; p=quarantine; rua=mailto:postmaster@{}\"\n", domain, domain);
  // RFC 8461 §3.1: MTA-STS, with the policy served over HTTPS at mta-sts.DOMAIN.
  // Its id changes whenever the policy does.
  const std::string policy = our_mta_sts_policy(hostname, mta_sts_mode);
  const std::string id = delivery::outbound::sts_policy_id(policy);
  out += fmt::format("_mta-sts.{}.\tTXT\t\"v=STSv1; id={}\"\n", domain, id);
  out += fmt::format("mta-sts.{}.\tCNAME\t{}.\n", domain, hostname);
  out += fmt::format("; https://mta-sts.{}/.well-known/mta-sts.txt must serve (certificate for mta-sts.{}):\n",
                     domain, domain);
  for (std::size_t pos = 0; pos < policy.size();) {
    const std::size_t eol = policy.find('\n', pos);
    out += fmt::format(";   {}\n", policy.substr(pos, eol - pos));
    pos = eol + 1;
  }
  // RFC 8460 §3: where receivers send TLS reports.
  out += fmt::format("_smtp._tls.{}.\tTXT\t\"v=TLSRPTv1; rua=mailto:postmaster@{}\"\n", domain, domain);
  // RFC 6186 §3 and RFC 8314 §5.1: let mail clients find each service; implicit TLS
  // is preferred (the lower priority value) over STARTTLS.
  out += fmt::format("_submissions._tcp.{}.\tSRV\t0 1 465 {}.\n", domain, hostname);
  out += fmt::format("_submission._tcp.{}.\tSRV\t0 1 587 {}.\n", domain, hostname);
  out += fmt::format("_imaps._tcp.{}.\tSRV\t0 1 993 {}.\n", domain, hostname);
  out += fmt::format("_imap._tcp.{}.\tSRV\t10 1 143 {}.\n", domain, hostname);
  out += fmt::format("_pop3s._tcp.{}.\tSRV\t20 1 995 {}.\n", domain, hostname);
  out += fmt::format("_pop3._tcp.{}.\tSRV\t30 1 110 {}.\n", domain, hostname);
  // Autoconfiguration ([listen] http/https): Thunderbird asks autoconfig.DOMAIN,
  // Outlook autodiscover.DOMAIN or the _autodiscover SRV record.
  out += fmt::format("autoconfig.{}.\tCNAME\t{}.\n", domain, hostname);
  out += fmt::format("autodiscover.{}.\tCNAME\t{}.\n", domain, hostname);
  out += fmt::format("_autodiscover._tcp.{}.\tSRV\t0 1 443 {}.\n", domain, hostname);
  out += fmt::format("; The certificate for HTTPS should also name autoconfig.{} and autodiscover.{}.\n",
                     domain, domain);
  out += fmt::format("; Reverse DNS (PTR) of the server's IP should name {}.\n", hostname);
  return out;
}

}  // namespace letterhead::app
