#pragma once
// Local delivery as the config asks for it, the same for `serve` and for the admin
// commands that deliver (`group approve`): MIME parse limits, and forwarding with
// SRS and ARC sealing ([forwarding]), so that a message an operator approves from
// the command line leaves for outside members exactly as one approved by mail.

#include "app/context.hpp"
#include "delivery/local_delivery.hpp"

namespace letterhead::app {

void configure_delivery(delivery::local_delivery& d, context& ctx);

}  // namespace letterhead::app
