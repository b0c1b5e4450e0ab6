#pragma once
// Normalisation rules shared by every backend, so that they agree on what "the same
// address" or "the same mailbox" means (the suite checks it).

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace letterhead::store::detail {

// ASCII-only lower-casing: addresses are matched case-insensitively by our policy
// (store.hpp). Non-ASCII (SMTPUTF8) bytes are kept as they are: full Unicode case
// folding needs ICU, which the store does not link.
[[nodiscard]] std::string ascii_lower(std::string_view s);

struct address_parts {
  std::string address;  // local part as given, '@', domain lower-cased
  std::string key;      // the whole address lower-cased: what lookups compare
  std::string domain;   // lower-cased domain
};

// Splits at the last '@' (a quoted local part may hold one). Errors: errc::invalid.
[[nodiscard]] core::result<address_parts> parse_address(std::string_view address);

// Domain names are stored lower-case (IDNA A-labels are ASCII).
[[nodiscard]] core::result<std::string> normalize_domain(std::string_view name);

// Checks a mailbox name and returns its stored form: '/' separates levels, no empty
// level, no control characters. INBOX is case-insensitive (RFC 9051 §5.1), and so is
// it as the first level of a child ("inbox/x" is "INBOX/x"), as most servers do.
[[nodiscard]] core::result<std::string> normalize_mailbox_name(std::string_view name);

// "a/b/c" -> {"a", "a/b"}: the superiors RFC 9051 §6.3.4 asks CREATE to make.
[[nodiscard]] std::vector<std::string> superior_names(std::string_view name);

// True when `name` is `parent` itself or one of its inferiors ("a" covers "a/b").
[[nodiscard]] bool is_same_or_inferior(std::string_view name, std::string_view parent);

// Keywords (RFC 9051 §2.3.2 flag-keyword, JMAP keywords): no space, no control
// character, no '\'; duplicates dropped, order kept. Stored joined by one space.
[[nodiscard]] core::result<std::vector<std::string>> normalize_keywords(
    const std::vector<std::string>& keywords);
[[nodiscard]] std::string join_keywords(const std::vector<std::string>& keywords);
[[nodiscard]] std::vector<std::string> split_keywords(std::string_view joined);

// A blob name is 64 lower-case hex digits; anything else is refused before it can
// reach a file path.
[[nodiscard]] bool is_blob_hash(std::string_view hash) noexcept;

}  // namespace letterhead::store::detail
