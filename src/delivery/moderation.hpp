#pragma once
// Moderated groups (issue 6): a message to one is stored once (store::held_message)
// and waits; each owner gets a notice in their INBOX; an owner (or an admin of the
// group's domain) approves it, which delivers it to the group as it is then, or
// rejects it, which drops it. Both are audited; the CLI, the admin API and replies
// to the notice (below) call the same functions.
//
// A decision claims the held message first (store::remove_held, one transaction
// that only one caller can win), then delivers: two approvals racing deliver once.
// If delivery then fails the message is held again (under a new id); a crash
// between the claim and the delivery loses the approved message rather than
// delivering it twice.

#include <optional>
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
// Simplified Chinese naming the sender, the subject and the ways to decide: reply with
// a decision word (Reply-To is the approve address; see decide_reply), mail the
// reject address, or the CLI/API.
[[nodiscard]] std::string held_notice(const store::group& g, store::id_t held_id, std::string_view owner,
                                      std::string_view mail_from, std::string_view message,
                                      std::string_view approve_address, std::string_view reject_address);

// Deciding by reply. Each owner's notice carries two addresses of the list,
// "<list>+approve-<id>-<token>@<domain>" and "<list>+reject-<id>-<token>@<domain>";
// the token is a 128-bit capability (directory::capability_token) over the action,
// the held message (id, time, blob) and the owner it was sent to, so nothing is
// stored, it names one decision for one owner, and it dies with the held message:
// it works once. A reply counts only when submitted with AUTH as that owner (who
// must still be an owner or an admin of the list's domain); mail from the world
// naming the address, whatever its From, is refused, as is anybody else.
struct moderation_command {
  std::string group;  // the list's address
  bool approve = false;
  store::id_t held_id = 0;
  std::string token;
};

// The command an address names; nullopt for any other address.
[[nodiscard]] std::optional<moderation_command> parse_moderation_address(std::string_view address);

// The address for `owner` to approve (or reject) held message `h` of group `g`.
[[nodiscard]] std::string moderation_address(const directory::directory& dir, const store::group& g,
                                             const store::held_message& h, store::id_t owner, bool approve);

// What an owner's reply decides. Only an explicit word does, so that a question
// ("is this spam?") sent to the notice's Reply-To approves nothing: the first body line
// that is neither empty nor quoted ("> ..."), or else the Subject, holding an approve
// word ("approve", "批准", "同意") or a reject word ("reject", "拒绝", and the negations
// "disapprove", "不同意", "不批准"), not both. Mail to the reject address rejects
// whatever it says. Anything else decides nothing, and the owner is told so.
enum class reply_decision { approve, reject, none };
[[nodiscard]] reply_decision decide_reply(std::string_view message, bool to_reject_address);

// The answer to an owner whose reply decided nothing (exposed for tests): in English
// and Simplified Chinese, how to decide; Reply-To is the approve address again.
[[nodiscard]] std::string undecided_notice(const store::group& g, store::id_t held_id, std::string_view owner,
                                           std::string_view approve_address, std::string_view reject_address);

// Whether the account `sender` (0 = not authenticated) may carry out `c`:
// errc::denied with a sentence fit for an SMTP 5.7.1 reply.
[[nodiscard]] core::result<void> check_moderation_reply(directory::directory& dir, directory::organisation& org,
                                                        const moderation_command& c, store::id_t sender);
// Checks again, then approves or rejects as decide_reply(message) says, or answers
// the owner that nothing was decided. Returns what was decided.
[[nodiscard]] core::result<reply_decision> apply_moderation_reply(local_delivery& delivery,
                                                                  directory::directory& dir,
                                                                  directory::organisation& org,
                                                                  const moderation_command& c, store::id_t sender,
                                                                  std::string_view message);

}  // namespace letterhead::delivery
