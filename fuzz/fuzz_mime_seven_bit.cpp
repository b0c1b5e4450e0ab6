// libFuzzer target for the 7-bit conversion (mime/seven_bit.hpp) the outbound queue
// applies to accepted mail for servers without 8BITMIME: whatever the input, the
// result is 7-bit, and converting it again changes nothing; the QP and base64
// encoders decode back to their input.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/seven_bit.hpp"
#include "mime/transfer_encoding.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace letterhead::mime;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  parse_limits limits;
  limits.max_depth = 16;
  if (const auto converted = to_seven_bit(bytes, limits)) {
    require(is_seven_bit(*converted));
    const auto again = to_seven_bit(*converted, limits);
    require(again && *again == *converted);
  }
  require(decode_base64(encode_base64(bytes)) == bytes);
  const auto qp = encode_quoted_printable(bytes);
  require(is_seven_bit(qp));
  return 0;
}
