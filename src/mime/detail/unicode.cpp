#include "mime/detail/unicode.hpp"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <climits>
#include <vector>

namespace letterhead::mime::detail {
namespace {

// ICU lengths are int32_t: longer input is processed in pieces by the callers' bounds
// (search text is capped far below this).
constexpr std::size_t max_icu_length = INT32_MAX / 4;

std::u16string to_utf16(std::string_view utf8) {
  if (utf8.size() > max_icu_length) utf8 = utf8.substr(0, max_icu_length);
  std::u16string out(utf8.size(), u'\0');  // never more UTF-16 units than UTF-8 bytes
  int32_t length = 0;
  UErrorCode status = U_ZERO_ERROR;
  u_strFromUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &length, utf8.data(),
                       static_cast<int32_t>(utf8.size()), 0xFFFD, nullptr, &status);
  if (U_FAILURE(status)) return {};
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::string to_utf8(std::u16string_view utf16) {
  std::string out(utf16.size() * 3, '\0');  // at most 3 bytes per UTF-16 unit
  int32_t length = 0;
  UErrorCode status = U_ZERO_ERROR;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &length, utf16.data(),
                     static_cast<int32_t>(utf16.size()), 0xFFFD, nullptr, &status);
  if (U_FAILURE(status)) return {};
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::u16string normalize(const UNormalizer2* n, std::u16string_view in) {
  if (n == nullptr || in.empty()) return std::u16string(in);
  UErrorCode status = U_ZERO_ERROR;
  const int32_t needed = unorm2_normalize(n, in.data(), static_cast<int32_t>(in.size()),
                                          nullptr, 0, &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) return std::u16string(in);
  std::u16string out(static_cast<std::size_t>(needed), u'\0');
  status = U_ZERO_ERROR;
  unorm2_normalize(n, in.data(), static_cast<int32_t>(in.size()), out.data(), needed, &status);
  if (U_FAILURE(status)) return std::u16string(in);
  return out;
}

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

std::string unicode_casemap_key(std::string_view utf8) {
  if (is_ascii(utf8)) {  // the common case, without a trip through ICU
    std::string out(utf8);
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
  }
  const std::u16string in = to_utf16(utf8);
  std::u16string titled;
  titled.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    UChar32 c = 0;
    U16_NEXT(in.data(), i, in.size(), c);
    const UChar32 t = u_totitle(c);
    if (U_IS_BMP(t)) {
      titled.push_back(static_cast<char16_t>(t));
    } else {
      titled.push_back(static_cast<char16_t>(U16_LEAD(t)));
      titled.push_back(static_cast<char16_t>(U16_TRAIL(t)));
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* nfkd = unorm2_getNFKDInstance(&status);
  return to_utf8(normalize(U_SUCCESS(status) ? nfkd : nullptr, titled));
}

std::string nfkc_casefold(std::string_view utf8) {
  if (is_ascii(utf8)) {  // NFKC_CF changes only A-Z in ASCII
    std::string out(utf8);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* cf = unorm2_getNFKCCasefoldInstance(&status);
  return to_utf8(normalize(U_SUCCESS(status) ? cf : nullptr, to_utf16(utf8)));
}

}  // namespace letterhead::mime::detail
