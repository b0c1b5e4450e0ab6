#include "mailauth/public_suffix.hpp"

#include <unicode/idna.h>
#include <unicode/bytestream.h>

#include <fstream>
#include <iterator>
#include <memory>

namespace letterhead::mailauth {

namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_ascii(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// A rule in Unicode becomes its A-label form (UTS #46 processing, as browsers do).
std::string to_ascii(const icu::IDNA* idna, std::string_view rule) {
  if (is_ascii(rule) || idna == nullptr) return lower_ascii(rule);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  icu::IDNAInfo info;
  UErrorCode status = U_ZERO_ERROR;
  idna->nameToASCII_UTF8(icu::StringPiece(rule.data(), static_cast<std::int32_t>(rule.size())), sink, info, status);
  if (U_FAILURE(status) || info.hasErrors()) return lower_ascii(rule);
  return lower_ascii(out);
}

}  // namespace

public_suffix_list public_suffix_list::parse(std::string_view text) {
  public_suffix_list psl;
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::IDNA> idna(icu::IDNA::createUTS46Instance(UIDNA_NONTRANSITIONAL_TO_ASCII, status));
  if (U_FAILURE(status)) idna.reset();
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto eol = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    // The rule is the line up to the first whitespace.
    const auto ws = line.find_first_of(" \t\r");
    if (ws != std::string_view::npos) line = line.substr(0, ws);
    if (line.empty() || line.starts_with("//")) continue;
    if (line.starts_with("!")) {
      psl.exceptions_.insert(to_ascii(idna.get(), line.substr(1)));
    } else if (line.starts_with("*.")) {
      psl.wildcards_.insert(to_ascii(idna.get(), line.substr(2)));
    } else {
      psl.rules_.insert(to_ascii(idna.get(), line));
    }
  }
  return psl;
}

core::result<public_suffix_list> public_suffix_list::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::fail(core::errc::not_found, "cannot read the public suffix list " + path);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse(text);
}

std::string public_suffix_list::public_suffix(std::string_view name) const {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return {};
  const std::string lname = lower_ascii(name);
  const std::string_view n(lname);
  // Suffixes from the longest (the whole name) to the shortest (the last label).
  std::size_t start = 0;
  while (true) {
    const auto suffix = n.substr(start);
    const auto dot = suffix.find('.');
    const auto parent = dot == std::string_view::npos ? std::string_view() : suffix.substr(dot + 1);
    // An exception rule "!www.ck" makes "ck" the suffix: it is longer than the
    // wildcard it overrides, so it is met first.
    if (exceptions_.contains(std::string(suffix))) return std::string(parent);
    if (rules_.contains(std::string(suffix))) return std::string(suffix);
    if (!parent.empty() && wildcards_.contains(std::string(parent))) return std::string(suffix);
    if (dot == std::string_view::npos) return std::string(suffix);  // the default rule "*"
    start += dot + 1;
  }
}

std::string public_suffix_list::organizational_domain(std::string_view name) const {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  const std::string lname = lower_ascii(name);
  const auto suffix = public_suffix(lname);
  if (suffix.empty() || suffix.size() >= lname.size()) return lname;
  // One more label to the left of the suffix.
  const auto head = std::string_view(lname).substr(0, lname.size() - suffix.size() - 1);
  const auto dot = head.rfind('.');
  return dot == std::string_view::npos ? lname : lname.substr(dot + 1);
}

}  // namespace letterhead::mailauth
