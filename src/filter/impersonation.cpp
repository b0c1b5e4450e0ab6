#include "filter/impersonation.hpp"

#include <algorithm>
#include <memory>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>

#include <fmt/format.h>

#include "directory/address.hpp"
#include "directory/names.hpp"
#include "mime/header.hpp"

namespace letterhead::filter {

namespace {

// Keys shorter than this (in bytes) match too much ("li", "al"): a two-letter
// Latin name is no evidence; a two-character Han name is 6 bytes.
constexpr std::size_t min_key_bytes = 4;
// Registrable labels shorter than this are not compared by edit distance: every
// three-letter label is one edit away from hundreds of others.
constexpr std::size_t min_label_chars = 4;

// Cuts at most `max` bytes without splitting a UTF-8 sequence (ICU turns anything
// still broken into U+FFFD).
std::string_view cut_utf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  return s.substr(0, n);
}

icu::UnicodeString from_utf8(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<std::int32_t>(s.size())));
}

std::string to_utf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::u32string to_utf32(std::string_view s, std::size_t max_chars) {
  const auto u = from_utf8(s);
  std::u32string out;
  for (std::int32_t i = 0; i < u.length() && out.size() < max_chars;) {
    const UChar32 c = u.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return out;
}

// One checker per thread: a configured USpoofChecker is not documented as safe for
// concurrent use.
USpoofChecker* spoof_checker() {
  struct closer {
    void operator()(USpoofChecker* p) const { uspoof_close(p); }
  };
  thread_local std::unique_ptr<USpoofChecker, closer> sc = [] {
    UErrorCode ec = U_ZERO_ERROR;
    std::unique_ptr<USpoofChecker, closer> out(uspoof_open(&ec));
    if (U_FAILURE(ec)) out.reset();
    return out;
  }();
  return sc.get();
}

// UTS #46 processing, nontransitional (IDNA2008 behaviour for ß, ς, ZWJ).
const UIDNA* idna() {
  static const UIDNA* const instance = [] {
    UErrorCode ec = U_ZERO_ERROR;
    UIDNA* p = uidna_openUTS46(UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_NONTRANSITIONAL_TO_UNICODE, &ec);
    return U_FAILURE(ec) ? nullptr : p;
  }();
  return instance;
}

// Printable ASCII for X-Spam-Status details.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 100)) out += (c > 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const auto b0 = static_cast<unsigned char>(in[i]);
    const auto b1 = i + 1 < in.size() ? static_cast<unsigned char>(in[i + 1]) : 0u;
    const auto b2 = i + 2 < in.size() ? static_cast<unsigned char>(in[i + 2]) : 0u;
    out += tab[b0 >> 2];
    out += tab[((b0 & 3u) << 4) | (b1 >> 4)];
    out += i + 1 < in.size() ? tab[((b1 & 15u) << 2) | (b2 >> 6)] : '=';
    out += i + 2 < in.size() ? tab[b2 & 63u] : '=';
  }
  return out;
}

// Length of the UTF-8 sequence that starts with `c` (1 for a stray byte).
std::size_t sequence_length(unsigned char c) {
  if (c >= 0xf0) return 4;
  if (c >= 0xe0) return 3;
  if (c >= 0xc0) return 2;
  return 1;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  return directory::lower_ascii(s.substr(0, prefix.size())) == directory::lower_ascii(prefix);
}

}  // namespace

std::string fold_name(std::string_view utf8) {
  UErrorCode ec = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(ec);
  if (U_FAILURE(ec) || n == nullptr) return {};
  const auto folded = n->normalize(from_utf8(cut_utf8(utf8, max_name_bytes)), ec);
  if (U_FAILURE(ec)) return {};
  icu::UnicodeString kept;
  for (std::int32_t i = 0; i < folded.length();) {
    const UChar32 c = folded.char32At(i);
    i += U16_LENGTH(c);
    // Letters, marks and digits carry the name; spaces, punctuation, symbols,
    // controls, format characters (ZWJ, bidi controls) and U+FFFD do not.
    const auto mask = U_GET_GC_MASK(c);
    if ((mask & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK)) != 0) kept.append(c);
    // NFKC may expand a character many times over (U+FDFA is 18): keep it bounded.
    if (kept.length() >= static_cast<std::int32_t>(max_name_bytes)) break;
  }
  return to_utf8(kept);
}

std::string skeleton(std::string_view utf8) {
  USpoofChecker* sc = spoof_checker();
  if (sc == nullptr || utf8.empty()) return std::string(utf8);
  const auto in = cut_utf8(utf8, max_name_bytes);
  // A skeleton may be a few times longer than its input (one character can map to
  // three); one retry with the size ICU asks for.
  std::string out(in.size() * 4 + 16, '\0');
  UErrorCode ec = U_ZERO_ERROR;
  auto n = uspoof_getSkeletonUTF8(sc, 0, in.data(), static_cast<std::int32_t>(in.size()), out.data(),
                                  static_cast<std::int32_t>(out.size()), &ec);
  if (ec == U_BUFFER_OVERFLOW_ERROR && n > 0) {
    out.assign(static_cast<std::size_t>(n) + 1, '\0');
    ec = U_ZERO_ERROR;
    n = uspoof_getSkeletonUTF8(sc, 0, in.data(), static_cast<std::int32_t>(in.size()), out.data(),
                               static_cast<std::int32_t>(out.size()), &ec);
  }
  if (U_FAILURE(ec) || n < 0) return std::string(in);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string domain_to_unicode(std::string_view domain) {
  const auto in = directory::lower_ascii(cut_utf8(domain, max_domain_bytes));
  const UIDNA* p = idna();
  if (p == nullptr) return in;
  std::string out(1024, '\0');
  UIDNAInfo info = UIDNA_INFO_INITIALIZER;
  UErrorCode ec = U_ZERO_ERROR;
  const auto n = uidna_nameToUnicodeUTF8(p, in.data(), static_cast<std::int32_t>(in.size()), out.data(),
                                         static_cast<std::int32_t>(out.size()), &info, &ec);
  // Errors in info (a bad label) still leave a usable best-effort result: a
  // homograph need not be a valid IDN to fool a reader.
  if (U_FAILURE(ec) || n <= 0) return in;
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string domain_to_ascii(std::string_view domain) {
  const auto in = cut_utf8(domain, max_domain_bytes);
  const UIDNA* p = idna();
  if (p == nullptr) return {};
  std::string out(1024, '\0');
  UIDNAInfo info = UIDNA_INFO_INITIALIZER;
  UErrorCode ec = U_ZERO_ERROR;
  const auto n = uidna_nameToASCII_UTF8(p, in.data(), static_cast<std::int32_t>(in.size()), out.data(),
                                        static_cast<std::int32_t>(out.size()), &info, &ec);
  if (U_FAILURE(ec) || n <= 0 || info.errors != 0) return {};
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::size_t edit_distance(std::string_view a_utf8, std::string_view b_utf8, std::size_t cap) {
  // Labels are at most 63 characters (RFC 1035 §2.3.4); names are cut the same way.
  const auto a = to_utf32(a_utf8, 64);
  const auto b = to_utf32(b_utf8, 64);
  const std::size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > cap) return cap + 1;
  const std::size_t w = b.size() + 1;
  std::vector<std::size_t> d((a.size() + 1) * w);
  for (std::size_t i = 0; i <= a.size(); ++i) d[i * w] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      auto v = std::min({d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost});
      // Optimal string alignment: one transposition of neighbours costs one.
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, d[(i - 2) * w + j - 2] + 1);
      d[i * w + j] = v;
    }
  }
  return std::min(d[a.size() * w + b.size()], cap + 1);
}

std::vector<std::string> name_match_keys(std::string_view display_name) {
  std::vector<std::string> keys;
  const auto add = [&](std::string k) {
    if (k.size() >= min_key_bytes && std::ranges::find(keys, k) == keys.end()) keys.push_back(std::move(k));
  };
  const auto name = cut_utf8(display_name, max_name_bytes);
  const auto folded = fold_name(name);
  add(folded);
  // Pinyin: "张伟" → "zhang wei" gives "zhangwei" and "weizhang" ("Wei Zhang", the
  // given name first as Chinese names are often written in English mail).
  const auto roman = directory::romanize(name);
  std::vector<std::string> words;
  for (std::size_t i = 0; i < roman.size();) {
    const auto sp = roman.find(' ', i);
    const auto end = sp == std::string::npos ? roman.size() : sp;
    if (end > i) words.push_back(roman.substr(i, end - i));
    i = end + 1;
  }
  std::string joined;
  std::string reversed;
  for (const auto& w : words) joined += w;
  for (auto it = words.rbegin(); it != words.rend(); ++it) reversed += *it;
  add(fold_name(joined));
  add(fold_name(reversed));
  const std::size_t plain = keys.size();
  for (std::size_t i = 0; i < plain; ++i) add(skeleton(keys[i]));
  return keys;
}

impersonation_guard::impersonation_guard(const impersonation_people& people, const mailauth::public_suffix_list& psl)
    : psl_(psl) {
  for (const auto& n : people.display_names) {
    for (auto& k : name_match_keys(n)) names_.emplace(std::move(k), n);
  }
  for (const auto& d : people.domains) {
    our_domain o;
    o.ascii = directory::lower_ascii(d);
    const auto org = psl_.organizational_domain(o.ascii);
    o.suffix = psl_.public_suffix(o.ascii);
    const auto label = org.size() > o.suffix.size() + 1 ? org.substr(0, org.size() - o.suffix.size() - 1) : org;
    o.label = domain_to_unicode(label);
    o.skeleton = skeleton(domain_to_unicode(org));
    domains_.push_back(std::move(o));
  }
}

bool impersonation_guard::is_our_domain(std::string_view domain) const {
  auto ascii = domain_to_ascii(domain);
  if (ascii.empty()) ascii = directory::lower_ascii(domain);
  return std::ranges::any_of(domains_, [&](const our_domain& o) { return o.ascii == ascii; });
}

std::vector<impersonation_match> impersonation_guard::check(std::string_view display_name,
                                                            std::string_view from_domain) const {
  if (display_name.size() + from_domain.size() >= 1024) return judge(display_name, from_domain);
  // The name's length first: no name and domain pair can spell another's key.
  auto key = std::to_string(display_name.size());
  key += ':';
  key += display_name;
  key += from_domain;
  {
    std::scoped_lock lock(seen_mutex_);
    if (const auto it = seen_.find(key); it != seen_.end()) return it->second;
  }
  auto out = judge(display_name, from_domain);
  std::scoped_lock lock(seen_mutex_);
  if (seen_.size() >= 10'000) seen_.clear();
  seen_.emplace(std::move(key), out);
  return out;
}

std::vector<impersonation_match> impersonation_guard::judge(std::string_view display_name,
                                                            std::string_view from_domain) const {
  std::vector<impersonation_match> out;
  if (!display_name.empty()) {
    for (const auto& k : name_match_keys(display_name)) {
      if (auto it = names_.find(k); it != names_.end()) {
        out.push_back({"IMPERSONATION_NAME", it->second, {}, "name"});
        break;
      }
    }
  }
  if (from_domain.empty() || domains_.empty()) return out;
  auto ascii = domain_to_ascii(from_domain);
  if (ascii.empty()) ascii = directory::lower_ascii(cut_utf8(from_domain, max_domain_bytes));
  while (!ascii.empty() && ascii.back() == '.') ascii.pop_back();
  const auto org = psl_.organizational_domain(ascii);
  const auto suffix = psl_.public_suffix(ascii);
  const auto label_ascii = org.size() > suffix.size() + 1 ? org.substr(0, org.size() - suffix.size() - 1) : org;
  const auto label = domain_to_unicode(label_ascii);
  const auto org_skeleton = skeleton(domain_to_unicode(org));
  for (const auto& o : domains_) {
    // Our own domain, or a name under it: not a lookalike (DMARC judges it).
    if (org == psl_.organizational_domain(o.ascii)) continue;
    const bool confusable = org_skeleton == o.skeleton;
    // Characters, not bytes: 工商银 (three characters, nine bytes) is as short as "abc".
    const bool near = to_utf32(label, 64).size() >= min_label_chars &&
                      to_utf32(o.label, 64).size() >= min_label_chars && edit_distance(label, o.label, 1) <= 1;
    if (confusable || near) {
      out.push_back({"LOOKALIKE_DOMAIN", {}, o.ascii, printable(fmt::format("{}~{}", org, o.ascii))});
      break;
    }
  }
  return out;
}

std::string warning_text(const std::vector<impersonation_match>& matches) {
  std::string zh;
  std::string en;
  for (const auto& m : matches) {
    if (m.rule == "IMPERSONATION_NAME") {
      // The colleague's name is ours (from the directory), not the sender's bytes.
      zh += fmt::format("外部邮件的发件人名称与同事“{}”相同，可能是冒充。", m.employee);
      en += fmt::format("The sender is outside the company but uses the name of your colleague \"{}\": it may be "
                        "an impersonation. ",
                        m.employee);
    } else if (m.rule == "LOOKALIKE_DOMAIN") {
      zh += fmt::format("发件人的域名与本公司域名 {} 相似但不相同，可能是仿冒。", m.domain);
      en += fmt::format("The sender's domain looks like our domain {} but is not it: it may be a forgery. ", m.domain);
    }
  }
  if (zh.empty()) return {};
  while (!en.empty() && en.back() == ' ') en.pop_back();
  return "【警告】" + zh + "请勿轻信转账、付款或索取密码的要求。 / [Warning] " + en +
         " Do not act on requests for payments, transfers or passwords without checking.";
}

std::string warning_field(const std::vector<impersonation_match>& matches) {
  const auto text = warning_text(matches);
  if (text.empty()) return {};
  std::string out(warning_field_name);
  out += ":";
  // RFC 2047 §2: a line with encoded-words is at most 76 characters. After the field
  // name 30 bytes (40 characters of base64) fit, on continuation lines 45 (60);
  // never cutting a character in two (§5 rule 3).
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t budget = i == 0 ? 30 : 45;
    std::size_t n = 0;
    while (i + n < text.size()) {
      const auto len = sequence_length(static_cast<unsigned char>(text[i + n]));
      if (n + len > budget) break;
      n += len;
    }
    if (n == 0) n = std::min<std::size_t>(1, text.size() - i);
    out += i == 0 ? " " : "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(i, n)) + "?=";
    i += n;
  }
  out += "\r\n";
  return out;
}

std::string wrap_with_banner(std::string_view message, std::string_view banner, std::string_view boundary) {
  const auto block = mime::parse_header_block(message);
  // A header the parser could not record whole would lose fields in the move.
  if (block.truncated || block.malformed_lines != 0 || block.fields.empty()) return std::string(message);
  std::string top;
  std::string content;
  for (const auto& f : block.fields) {
    const auto name = mime::slice(message, f.name);
    const auto whole = mime::slice(message, f.whole);
    if (starts_with_ci(name, "Content-")) {
      content += whole;
    } else if (directory::lower_ascii(name) != "mime-version") {
      top += whole;
    }
  }
  const auto body = message.substr(std::min(block.range.end, message.size()));
  std::string b64;
  const auto encoded = base64(banner);
  for (std::size_t i = 0; i < encoded.size(); i += 76) b64 += encoded.substr(i, 76) + "\r\n";
  std::string out;
  out.reserve(message.size() + b64.size() + 512);
  out += top;
  out += "MIME-Version: 1.0\r\n";
  out += fmt::format("Content-Type: multipart/mixed; boundary=\"{}\"\r\n\r\n", boundary);
  out += fmt::format("--{}\r\n", boundary);
  out += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n";
  out += "Content-Disposition: inline\r\n\r\n";
  out += b64;
  out += fmt::format("--{}\r\n", boundary);
  out += content;
  out += "\r\n";
  out += body;
  // RFC 2046 §5.1.1: the CRLF before a delimiter belongs to it.
  if (!body.empty() && !body.ends_with("\r\n")) out += "\r\n";
  out += fmt::format("\r\n--{}--\r\n", boundary);
  return out;
}

}  // namespace letterhead::filter
