#pragma once
// The list of common passwords every new password is checked against
// (data/common-passwords.txt, compiled in at build time; see its header for the
// sources).

#include <cstddef>
#include <string_view>

namespace letterhead::directory {

// True when the password, compared case-insensitively, is on the list; also after
// stripping leading and trailing digits and symbols ("Dragon2024!") and after undoing
// common substitutions ("P@ssw0rd": @→a, 0→o, 1→i, 3→e, 4→a, 5→s, 7→t, $→s).
[[nodiscard]] bool is_common_password(std::string_view password);

// How many entries the compiled-in list has (for tests and `security policy`).
[[nodiscard]] std::size_t common_password_count();

}  // namespace letterhead::directory
