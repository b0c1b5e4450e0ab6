#include "mailauth/dns_txt.hpp"

namespace letterhead::mailauth {

txt_lookup dns_txt_lookup(dns::resolver& resolver) {
  return [&resolver](std::string_view name) {
    auto a = resolver.txt(name);
    txt_answer out;
    switch (a.result) {
      case dns::status::ok: out.result = txt_answer::status::ok; break;
      case dns::status::nxdomain:
      case dns::status::nodata: out.result = txt_answer::status::not_found; break;
      case dns::status::temporary:
      case dns::status::bogus: out.result = txt_answer::status::temporary; break;
    }
    out.records = std::move(a.records);
    out.why = std::move(a.why);
    return out;
  };
}

}  // namespace letterhead::mailauth
