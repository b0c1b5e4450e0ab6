#pragma once
// The one DNS question DKIM (and later DMARC, ARC) asks: the TXT records of a name.
// An abstract function so that tests feed records without DNS; dns_txt.hpp adapts
// dns::resolver to it.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace letterhead::mailauth {

struct txt_answer {
  // not_found: NXDOMAIN or no TXT records (a permanent answer for the name);
  // temporary: SERVFAIL, timeout, DNSSEC failure: "try later".
  enum class status { ok, not_found, temporary } result = status::temporary;
  std::vector<std::string> records;  // each with its character-strings concatenated
  std::string why;                   // for results when result != ok
};

using txt_lookup = std::function<txt_answer(std::string_view name)>;

}  // namespace letterhead::mailauth
