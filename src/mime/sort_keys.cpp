#include "mime/sort_keys.hpp"

#include "mime/address.hpp"
#include "mime/base_subject.hpp"
#include "mime/body.hpp"
#include "mime/date.hpp"

namespace letterhead::mime {
namespace {

std::optional<mailbox_address> first_mailbox(std::string_view bytes, const part& root,
                                             std::string_view field,
                                             const decode_options& options) {
  auto raw = raw_value(bytes, root.fields, field);
  if (!raw) return std::nullopt;
  address_list list = parse_address_list(*raw, options);
  if (list.mailboxes.empty()) return std::nullopt;
  return std::move(list.mailboxes.front());
}

// RFC 5957 §3: the display name if there is one, else the address itself.
std::string display(const std::optional<mailbox_address>& mb) {
  if (!mb) return {};
  if (!mb->display_name.empty()) return mb->display_name;
  return mb->addr_spec();
}

}  // namespace

std::int64_t sent_date(std::string_view bytes, const message& m, std::int64_t internal_date,
                       std::size_t part_index) {
  if (part_index >= m.parts.size()) return internal_date;
  if (auto raw = raw_value(bytes, m.parts[part_index].fields, "Date")) {
    if (auto d = parse_date(*raw)) return d->unix_seconds;
  }
  return internal_date;
}

sort_keys sort_key_values(std::string_view bytes, const message& m, std::int64_t internal_date) {
  sort_keys k;
  k.arrival = internal_date;
  k.size = bytes.size();
  k.date = sent_date(bytes, m, internal_date);
  if (m.parts.empty()) return k;
  const part& root = m.root();
  const decode_options options = decode_options_for(m, 0);
  const auto from = first_mailbox(bytes, root, "From", options);
  const auto to = first_mailbox(bytes, root, "To", options);
  const auto cc = first_mailbox(bytes, root, "Cc", options);
  if (from) k.from = from->local;
  if (to) k.to = to->local;
  if (cc) k.cc = cc->local;
  k.display_from = display(from);
  k.display_to = display(to);
  k.subject = base_subject(raw_value(bytes, root.fields, "Subject").value_or(""), options);
  return k;
}

}  // namespace letterhead::mime
