#pragma once
// What a user says about mail by filing it: moving or copying messages into the
// Junk mailbox (RFC 6154 \Junk) calls them spam; moving them out of Junk into any
// mailbox but Trash calls them ham (deleting spam is no verdict). The IMAP server
// reports these to a hook that app/ wires to the Bayesian classifier's training
// (filter/bayes.hpp), so that imap/ does not depend on filter/.

#include <functional>
#include <string>
#include <vector>

#include "store/types.hpp"

namespace letterhead::imap::server {

struct junk_feedback {
  store::id_t account = 0;         // the owner of the Junk mailbox involved
  bool spam = false;               // true: into Junk; false: out of it
  std::vector<std::string> blobs;  // blob hashes of the messages
};

// Called on the session's thread once the COPY or MOVE has succeeded. It must not
// block: queue the work (app/bayes_trainer.* trains on the blocking pool).
using junk_feedback_hook = std::function<void(junk_feedback)>;

}  // namespace letterhead::imap::server
