#pragma once
// Content-addressed blob storage (DESIGN.md "Storage"): a message's bytes are stored
// once under their SHA-256, whatever number of mailboxes refer to them. Reference
// counts live in the Store's tables; the blob store only holds bytes.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::store {

class blob_store {
 public:
  virtual ~blob_store() = default;

  // Stores the bytes durably (on stable storage when this returns) and returns
  // their SHA-256 in lower-case hex. Storing bytes that exist already is cheap.
  [[nodiscard]] virtual core::result<std::string> put(std::string_view bytes) = 0;

  // Like put(), but the bytes may not be on stable storage yet when it returns: the
  // Store makes them durable before it commits any row that refers to them
  // (deliver, enqueue), with one filesystem sync for a whole group of messages
  // instead of two fsyncs per blob. Use it only for bytes about to be handed to
  // deliver() or enqueue().
  [[nodiscard]] virtual core::result<std::string> put_deferred(std::string_view bytes) {
    return put(bytes);
  }

  // Makes every put_deferred() that has returned so far durable.
  [[nodiscard]] virtual core::result<void> sync_deferred() { return {}; }

  // The whole blob.
  [[nodiscard]] virtual core::result<std::string> get(std::string_view hash) const = 0;

  [[nodiscard]] virtual bool contains(std::string_view hash) const = 0;

  // Removes the blob; called by the Store only when no row refers to it any more.
  [[nodiscard]] virtual core::result<void> remove(std::string_view hash) = 0;
};

}  // namespace letterhead::store
