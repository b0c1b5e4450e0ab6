#pragma once
// Moderated groups (issue 6): a message to one is stored once (store::held_message)
// and waits; each owner gets a notice in their INBOX; an owner (or an admin of the
// group's domain) approves it, which delivers it to the group as it is then, or
// rejects it, which drops it. Both are audited. The CLI calls these now and the admin
// API will call the same.

#include <string>
#include <vector>

#include "core/error.hpp"
#include "delivery/local_delivery.hpp"
#include "directory/org.hpp"

namespace letterhead::delivery {

[[nodiscard]] core::result<delivery_result> approve_held(local_delivery& delivery, directory::organisation& org,
                                                         const directory::actor& who, store::id_t id);
[[nodiscard]] core::result<void> reject_held(directory::organisation& org, const directory::actor& who,
                                             store::id_t id);

// The notice an owner gets (exposed for tests): an RFC 5322 message in English and
// Simplified Chinese naming the sender, the subject and the commands to decide.
[[nodiscard]] std::string held_notice(const store::group& g, store::id_t held_id, std::string_view owner,
                                      std::string_view mail_from, std::string_view message);

}  // namespace letterhead::delivery
