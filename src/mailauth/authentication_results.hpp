#pragma once
// The Authentication-Results header field (RFC 8601): the one we add for the
// results of our checks (§2.2), and the removal of incoming ones that claim our
// authserv-id (§5), which anybody could have forged.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace letterhead::mailauth {

// "Authentication-Results: mx.example.com;\r\n\tspf=pass ...;\r\n\tdkim=pass ...\r\n"
// from result strings such as format_result() gives ("method=result ..."); with no
// results, "mx.example.com; none" (§2.2).
[[nodiscard]] std::string make_authentication_results(std::string_view authserv_id,
                                                      const std::vector<std::string>& results);

// The authserv-id of an Authentication-Results field body (after the colon):
// the first token, comments and folding skipped; "" if there is none.
[[nodiscard]] std::string authserv_id_of(std::string_view field_body);

// Removes every Authentication-Results field of `message` (CRLF form) whose
// authserv-id equals `authserv_id` (case-insensitive). Returns how many it removed.
std::size_t remove_authentication_results(std::string& message, std::string_view authserv_id);

}  // namespace letterhead::mailauth
