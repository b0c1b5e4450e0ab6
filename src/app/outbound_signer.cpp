#include "app/outbound_signer.hpp"

#include "directory/address.hpp"
#include "mime/address.hpp"
#include "mime/header.hpp"

namespace letterhead::app {
namespace {

// The domain of the first From mailbox, lower-cased; empty when there is none.
std::string from_domain(std::string_view message) {
  const auto block = mime::parse_header_block(message);
  const auto raw = mime::raw_value(message, block.fields, "From");
  if (!raw) return {};
  const auto list = mime::parse_address_list(*raw);
  if (list.mailboxes.empty()) return {};
  return directory::lower_ascii(list.mailboxes.front().domain);
}

}  // namespace

core::result<std::string> outbound_signer::sign(const store::queue_entry& entry, std::string_view message) {
  const auto domain = from_domain(message);
  if (domain.empty() || domain.front() == '[') return std::string{};
  const auto signer = signers_.get(domain);
  if (!signer || !*signer) return std::string{};  // unsigned rather than undelivered
  return (*signer)->sign(message);
}

}  // namespace letterhead::app
