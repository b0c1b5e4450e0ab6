#pragma once
// The autoconfiguration routes:
//   GET  /mail/config-v1.1.xml?emailaddress=A                     Thunderbird
//   GET  /.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=A
//   POST /autodiscover/autodiscover.xml (any case)                 Outlook (POX)
//   GET  /apple/mobileconfig?emailaddress=A                        Apple profile
// Only addresses in our domains get settings; any other domain is 404, so that the
// server does not hand out settings for domains it does not serve. Whether the user
// exists is not revealed (no enumeration): the answer depends on the domain only.

#include <functional>
#include <string_view>

#include "core/error.hpp"
#include "http/autoconfig/documents.hpp"
#include "http/router.hpp"

namespace letterhead::http::autoconfig {

// Is this (lower-case) domain one of ours? May block: the routes run on the
// blocking pool.
using domain_check = std::function<core::result<bool>(std::string_view domain)>;

void add_routes(router& r, mail_settings settings, domain_check is_ours);

}  // namespace letterhead::http::autoconfig
