#include "app/dns_records.hpp"

#include <fmt/format.h>

namespace letterhead::app {

std::string dns_records(const std::string& domain, const std::string& hostname) {
  std::string out;
  out += fmt::format("; Publish these records for {} / 请为 {} 发布以下 DNS 记录\n", domain, domain);
  out += fmt::format("{}.\t\tMX\t10 {}.\n", domain, hostname);
  out += fmt::format("{}.\t\tA\t<public IPv4 of this server / 本服务器公网 IPv4>\n", hostname);
  out += fmt::format("{}.\t\tAAAA\t<public IPv6, if any / 公网 IPv6（如有）>\n", hostname);
  // RFC 7208: only our MX hosts send for the domain; -all tells receivers to refuse the rest.
  out += fmt::format("{}.\t\tTXT\t\"v=spf1 mx -all\"\n", domain);
  // RFC 7489: start at quarantine; move to reject once reports show all mail aligned.
  out += fmt::format("_dmarc.{}.\tTXT\t\"v=DMARC1; p=quarantine; rua=mailto:postmaster@{}\"\n", domain, domain);
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
  out += "; DKIM keys and their TXT records: 'letterhead dkim generate DOMAIN' (outbound delivery).\n";
  return out;
}

}  // namespace letterhead::app
