#include "mime/charset.hpp"

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/utf8.h>

#include <array>
#include <memory>

#include "core/ascii.hpp"
#include "mime/detail/ascii.hpp"

namespace letterhead::mime {
namespace {

enum class special { none, us_ascii, utf8 };

struct label_entry {
  std::string_view label;
  std::string_view icu_name;
  special kind = special::none;
};

// Labels that mailers use for a smaller charset than the bytes they actually send.
// Decoding as the superset loses nothing for conforming text and rescues the rest.
constexpr label_entry superset_labels[] = {
    // GB2312 and GBK text is always valid GB18030 (GB 18030-2005 is a strict superset).
    {"gb2312", "gb18030"}, {"gbk", "gb18030"}, {"x-gbk", "gb18030"}, {"cp936", "gb18030"},
    {"ms936", "gb18030"}, {"windows-936", "gb18030"}, {"euc-cn", "gb18030"},
    {"x-euc-cn", "gb18030"}, {"csgb2312", "gb18030"}, {"gb_2312-80", "gb18030"},
    {"gb_2312", "gb18030"}, {"chinese", "gb18030"}, {"iso-ir-58", "gb18030"},
    {"csiso58gb231280", "gb18030"}, {"gb18030", "gb18030"}, {"x-gb18030", "gb18030"},
    // Big5 as sent by Windows (code page 950, with the ETEN extensions).
    {"big5", "windows-950-2000"}, {"big-5", "windows-950-2000"}, {"x-x-big5", "windows-950-2000"},
    {"cn-big5", "windows-950-2000"}, {"csbig5", "windows-950-2000"},
    {"big5-eten", "windows-950-2000"}, {"cp950", "windows-950-2000"},
    {"ms950", "windows-950-2000"}, {"windows-950", "windows-950-2000"},
    {"x-big5", "windows-950-2000"},
    {"big5-hkscs", "ibm-1375_P100-2008"}, {"big5hkscs", "ibm-1375_P100-2008"},
    // Korean: Outlook's "ks_c_5601-1987" means code page 949 (Unified Hangul Code).
    {"ks_c_5601-1987", "windows-949-2000"}, {"ks_c_5601-1989", "windows-949-2000"},
    {"ks_c_5601", "windows-949-2000"}, {"ksc5601", "windows-949-2000"},
    {"ksc_5601", "windows-949-2000"}, {"euc-kr", "windows-949-2000"},
    {"x-euc-kr", "windows-949-2000"}, {"cseuckr", "windows-949-2000"},
    {"korean", "windows-949-2000"}, {"csksc56011987", "windows-949-2000"},
    {"iso-ir-149", "windows-949-2000"}, {"windows-949", "windows-949-2000"},
    {"cp949", "windows-949-2000"}, {"ms949", "windows-949-2000"}, {"uhc", "windows-949-2000"},
    // Japanese: Shift_JIS as sent by Windows (code page 932, NEC and IBM extensions);
    // ISO-2022-JP through ICU's JP-2 decoder, which also accepts the JIS X 0212,
    // half-width katakana and NEC row 13 sequences that Windows mailers emit.
    {"shift_jis", "ibm-943_P15A-2003"}, {"shift-jis", "ibm-943_P15A-2003"},
    {"sjis", "ibm-943_P15A-2003"}, {"x-sjis", "ibm-943_P15A-2003"},
    {"ms_kanji", "ibm-943_P15A-2003"}, {"csshiftjis", "ibm-943_P15A-2003"},
    {"windows-31j", "ibm-943_P15A-2003"}, {"cp932", "ibm-943_P15A-2003"},
    {"ms932", "ibm-943_P15A-2003"}, {"x-ms-cp932", "ibm-943_P15A-2003"},
    {"iso-2022-jp", "ISO_2022,locale=ja,version=2"},
    {"csiso2022jp", "ISO_2022,locale=ja,version=2"},
    {"iso-2022-jp-1", "ISO_2022,locale=ja,version=2"},
    {"iso-2022-jp-2", "ISO_2022,locale=ja,version=2"},
    // Latin-1 text in mail is windows-1252 in practice (curly quotes, euro sign).
    {"iso-8859-1", "windows-1252"}, {"iso8859-1", "windows-1252"}, {"iso_8859-1", "windows-1252"},
    {"latin1", "windows-1252"}, {"l1", "windows-1252"}, {"cp819", "windows-1252"},
    {"ibm819", "windows-1252"}, {"csisolatin1", "windows-1252"}, {"iso-ir-100", "windows-1252"},
    {"iso_8859-1:1987", "windows-1252"},
    {"iso-8859-9", "windows-1254"}, {"iso8859-9", "windows-1254"}, {"latin5", "windows-1254"},
    {"iso-8859-11", "windows-874-2000"}, {"tis-620", "windows-874-2000"},
    {"iso-8859-8-i", "ISO-8859-8"}, {"iso-8859-8-e", "ISO-8859-8"},
    {"utf-8", "UTF-8", special::utf8}, {"utf8", "UTF-8", special::utf8},
    {"unicode-1-1-utf-8", "UTF-8", special::utf8},
    {"us-ascii", "US-ASCII", special::us_ascii}, {"ascii", "US-ASCII", special::us_ascii},
    {"ansi_x3.4-1968", "US-ASCII", special::us_ascii},
};

// More us-ascii aliases (RFC 1345 / IANA registry), kept apart to keep the table short.
constexpr std::string_view ascii_aliases[] = {"iso-ir-6", "iso646-us", "us",
                                               "cp367",    "ibm367",    "csascii"};

struct converter_closer {
  void operator()(UConverter* c) const noexcept { ucnv_close(c); }
};
using converter_ptr = std::unique_ptr<UConverter, converter_closer>;

struct resolved {
  std::string icu_name;
  special kind = special::none;
};

// Only plain label characters reach ucnv_open: ICU reads ',' as the start of converter
// options and a path separator as a file to load, and labels come from the network.
bool plausible_label(std::string_view label) {
  if (label.empty() || label.size() > 64) return false;
  for (char c : label) {
    bool ok = detail::is_alpha(c) || detail::is_digit(c) || c == '-' || c == '_' || c == '.' ||
              c == ':' || c == '+';
    if (!ok) return false;
  }
  return true;
}

std::optional<resolved> resolve(std::string_view label) {
  label = detail::trim(label);
  if (!plausible_label(label)) return std::nullopt;
  // Lower-cased on the stack: this runs once per encoded-word run.
  std::array<char, 65> buffer{};
  for (std::size_t i = 0; i < label.size(); ++i) buffer[i] = detail::to_lower(label[i]);
  const std::string_view key(buffer.data(), label.size());
  for (const auto& e : superset_labels) {
    if (e.label == key) return resolved{std::string(e.icu_name), e.kind};
  }
  for (auto a : ascii_aliases) {
    if (a == key) return resolved{"US-ASCII", special::us_ascii};
  }
  // Anything else: whatever ICU's alias table knows under this label.
  UErrorCode status = U_ZERO_ERROR;
  converter_ptr probe(ucnv_open(buffer.data(), &status));
  if (U_FAILURE(status) || !probe) return std::nullopt;
  const char* name = ucnv_getName(probe.get(), &status);
  if (U_FAILURE(status) || name == nullptr) return std::nullopt;
  return resolved{std::string(name), special::none};
}

// ICU's default substitution writes U+001A for some single-byte charsets; we want
// U+FFFD everywhere so that search and display see one kind of "bad byte".
void replace_with_fffd(const void*, UConverterToUnicodeArgs* args, const char*, int32_t,
                       UConverterCallbackReason reason, UErrorCode* status) {
  if (reason > UCNV_IRREGULAR) return;
  static constexpr UChar replacement = 0xFFFD;
  *status = U_ZERO_ERROR;
  ucnv_cbToUWriteUChars(args, &replacement, 1, 0, status);
}

// Converters are opened per call: ICU caches the conversion tables process-wide, so an
// open costs a small allocation (measured ~0.1-0.3 us here), and per-call converters
// carry no shift state (ISO-2022-JP) from one string into the next and need no
// thread-local cache with a lifetime to manage.
core::result<std::string> convert(std::string_view bytes, const char* icu_name) {
  UErrorCode status = U_ZERO_ERROR;
  converter_ptr source(ucnv_open(icu_name, &status));
  if (U_FAILURE(status) || !source) {
    return core::fail(core::errc::invalid, std::string("unknown charset ") + icu_name);
  }
  status = U_ZERO_ERROR;
  converter_ptr target(ucnv_open("UTF-8", &status));
  if (U_FAILURE(status) || !target) return core::fail(core::errc::internal, "no UTF-8 converter");
  status = U_ZERO_ERROR;
  ucnv_setToUCallBack(source.get(), replace_with_fffd, nullptr, nullptr, nullptr, &status);
  if (bytes.empty()) return std::string();

  std::string out(bytes.size() * 2 + 16, '\0');
  std::array<UChar, 1024> pivot{};
  UChar* pivot_source = pivot.data();
  UChar* pivot_target = pivot.data();
  const char* src = bytes.data();
  const char* src_end = bytes.data() + bytes.size();
  std::size_t used = 0;
  bool reset = true;
  for (;;) {
    status = U_ZERO_ERROR;
    char* dst = out.data() + used;
    ucnv_convertEx(target.get(), source.get(), &dst, out.data() + out.size(), &src, src_end,
                   pivot.data(), &pivot_source, &pivot_target, pivot.data() + pivot.size(), reset,
                   true, &status);
    reset = false;
    used = static_cast<std::size_t>(dst - out.data());
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      out.resize(out.size() * 2);
      continue;
    }
    if (U_FAILURE(status)) {
      return core::fail(core::errc::invalid, std::string("cannot convert from ") + icu_name);
    }
    break;
  }
  out.resize(used);
  return out;
}

std::string windows_1252(std::string_view bytes) {
  auto r = convert(bytes, "windows-1252");
  return r ? std::move(*r) : std::string();
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) noexcept {
  const auto* s = reinterpret_cast<const uint8_t*>(bytes.data());
  const auto length = static_cast<int32_t>(bytes.size());
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) {
    return is_valid_utf8(bytes.substr(0, INT32_MAX / 2)) &&
           is_valid_utf8(bytes.substr(INT32_MAX / 2));  // a split mid-sequence fails safe
  }
  int32_t i = 0;
  while (i < length) {
    if (s[i] < 0x80) {
      i += static_cast<int32_t>(core::ascii_prefix(bytes.substr(static_cast<std::size_t>(i))));
      continue;
    }
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0) return false;
  }
  return true;
}

std::optional<std::string> icu_charset_name(std::string_view label) {
  auto r = resolve(label);
  if (!r) return std::nullopt;
  return std::move(r->icu_name);
}

core::result<std::string> to_utf8(std::string_view bytes, std::string_view label) {
  auto r = resolve(label);
  if (!r) return core::fail(core::errc::invalid, "unknown charset");
  switch (r->kind) {
    case special::utf8:
      if (is_valid_utf8(bytes)) return std::string(bytes);
      break;
    case special::us_ascii:
      if (is_valid_utf8(bytes)) return std::string(bytes);
      return windows_1252(bytes);
    case special::none:
      break;
  }
  return convert(bytes, r->icu_name.c_str());
}

std::string raw_text_to_utf8(std::string_view bytes, const decode_options& options) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  auto hint = resolve(options.charset_hint);
  if (hint && hint->kind == special::none) {
    if (auto r = convert(bytes, hint->icu_name.c_str())) return std::move(*r);
  }
  auto fallback = resolve(options.fallback_charset);
  if (fallback && fallback->kind == special::none) {
    if (auto r = convert(bytes, fallback->icu_name.c_str())) return std::move(*r);
  }
  if (fallback && fallback->kind == special::us_ascii) return windows_1252(bytes);
  auto r = convert(bytes, "UTF-8");
  return r ? std::move(*r) : std::string();
}

std::string to_utf8_lenient(std::string_view bytes, std::string_view label,
                            const decode_options& options) {
  if (auto r = to_utf8(bytes, label)) return std::move(*r);
  return raw_text_to_utf8(bytes, options);
}

}  // namespace letterhead::mime
