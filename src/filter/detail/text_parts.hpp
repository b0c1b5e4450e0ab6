#pragma once
// The readable text of a message for the content rules and the URI blocklist
// lookups: every text/plain and text/html part that is not an attachment,
// transfer-decoded and converted to UTF-8 (mime/body.hpp), at most max_bytes in all.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mime/message.hpp"

namespace letterhead::filter::detail {

struct text_part {
  std::string text;
  bool html = false;
};

inline constexpr std::size_t default_text_budget = 4 * 1024 * 1024;

[[nodiscard]] std::vector<text_part> readable_texts(std::string_view bytes, const mime::message& m,
                                                    std::size_t max_bytes = default_text_budget);

}  // namespace letterhead::filter::detail
