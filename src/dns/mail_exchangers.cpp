#include <algorithm>
#include <string>
#include <utility>

#include "dns/names.hpp"
#include "dns/resolver.hpp"

namespace letterhead::dns {

answer<mx_record> mail_exchangers(resolver& r, std::string_view domain) {
  auto mx = r.mx(domain);
  if (mx.result == status::ok) {
    // RFC 7505 §3: a single MX with the root as its host says "no mail here". A
    // root host next to real ones is a misconfiguration; the real ones are used.
    const auto is_null = [](const mx_record& m) { return m.host.empty(); };
    if (std::all_of(mx.records.begin(), mx.records.end(), is_null)) {
      return answer<mx_record>{status::nodata, mx.secure, {}, "null MX"};
    }
    std::erase_if(mx.records, is_null);
    return mx;
  }
  if (mx.result != status::nodata) return mx;

  // RFC 5321 §5.1: no MX records, so the domain itself is the mail exchanger, with
  // preference 0, if it has an address.
  auto addr = r.addresses(domain);
  switch (addr.result) {
    case status::ok: {
      mx_record self{0, query_name(domain).value_or(std::string(domain))};
      return answer<mx_record>{status::ok, mx.secure && addr.secure, {std::move(self)}, ""};
    }
    case status::nodata:
    case status::nxdomain:
      return answer<mx_record>{status::nodata, mx.secure && addr.secure, {}, "no MX, A or AAAA records"};
    case status::temporary:
    case status::bogus:
      break;
  }
  return answer<mx_record>{addr.result, false, {}, addr.why};
}

}  // namespace letterhead::dns
