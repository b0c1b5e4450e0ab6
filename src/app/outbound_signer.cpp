#include "app/outbound_signer.hpp"

#include <algorithm>
#include <cctype>

#include "mailauth/dkim_keys.hpp"
#include "mime/address.hpp"
#include "mime/header.hpp"

namespace letterhead::app {
namespace {

constexpr auto reload_after = std::chrono::seconds(60);

// The domain of the first From mailbox, lower-cased; empty when there is none.
std::string from_domain(std::string_view message) {
  const auto block = mime::parse_header_block(message);
  const auto raw = mime::raw_value(message, block.fields, "From");
  if (!raw) return {};
  const auto list = mime::parse_address_list(*raw);
  if (list.mailboxes.empty()) return {};
  std::string d = list.mailboxes.front().domain;
  std::ranges::transform(d, d.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return d;
}

}  // namespace

std::shared_ptr<const mailauth::dkim_signer> outbound_signer::signer_for(const std::string& domain) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(domain);
    if (it != cache_.end() && now - it->second.loaded < reload_after) return it->second.signer;
  }
  std::shared_ptr<const mailauth::dkim_signer> signer;
  if (auto made = mailauth::signer_for_domain(store_, domain)) {
    signer = std::make_shared<const mailauth::dkim_signer>(std::move(*made));
  }
  std::lock_guard lock(mutex_);
  cache_[domain] = cached{signer, now};
  return signer;
}

core::result<std::string> outbound_signer::sign(const store::queue_entry& entry, std::string_view message) {
  const auto domain = from_domain(message);
  if (domain.empty() || domain.front() == '[') return std::string{};
  const auto signer = signer_for(domain);
  if (!signer) return std::string{};
  return signer->sign(message);
}

}  // namespace letterhead::app
