#pragma once
// How enumerations are spelled in the database. Explicit tables rather than enum
// positions: reordering a C++ enum must never change what old rows mean.

#include <optional>
#include <string_view>

#include "store/types.hpp"

namespace letterhead::store::sql {

// nullopt for mailbox_role::none (stored as NULL).
[[nodiscard]] std::optional<std::string_view> role_name(mailbox_role r) noexcept;
[[nodiscard]] mailbox_role role_from_name(std::optional<std::string_view> name) noexcept;

[[nodiscard]] int change_code(change_kind k) noexcept;
[[nodiscard]] change_kind change_from_code(int code) noexcept;

[[nodiscard]] std::string_view recipient_status_name(queue_recipient::state s) noexcept;
[[nodiscard]] queue_recipient::state recipient_status_from_name(std::string_view s) noexcept;

[[nodiscard]] std::string_view dkim_status_name(dkim_key::state s) noexcept;
[[nodiscard]] dkim_key::state dkim_status_from_name(std::string_view s) noexcept;

}  // namespace letterhead::store::sql
