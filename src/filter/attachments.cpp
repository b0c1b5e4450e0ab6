#include "filter/attachments.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "directory/address.hpp"
#include "mime/body.hpp"

namespace letterhead::filter {
namespace {

// Types that run when opened on Windows or macOS; a name that ends in one of them
// after another extension is refused even if the admin let the type through alone.
constexpr std::string_view executable_types[] = {"exe", "scr", "com", "pif", "bat", "cmd", "vbs", "vbe", "js",
                                                 "jse", "wsf", "wsh", "hta", "jar", "msi", "lnk", "ps1", "cpl",
                                                 "reg", "app", "dll"};

// Names shown in a reply: printable ASCII (an SMTP reply is ASCII without
// SMTPUTF8, RFC 5321 §4.2), other bytes as '?', at most 100 characters.
std::string shown(std::string_view name) {
  std::string out;
  for (const char c : name.substr(0, 100)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f && c != '"') ? c : '?';
  }
  if (name.size() > 100) out += "...";
  return out;
}

bool is_space_or_dot(char c) { return c == ' ' || c == '.' || c == '\t' || c == '\0'; }

// The extensions of a base name, last first, trimmed: Windows ignores trailing dots
// and spaces, so "a.exe. " runs as "a.exe".
std::vector<std::string> extensions(std::string_view name) {
  std::string base(name);
  if (const auto slash = base.find_last_of("/\\"); slash != std::string::npos) base.erase(0, slash + 1);
  while (!base.empty() && is_space_or_dot(base.back())) base.pop_back();
  std::vector<std::string> out;
  for (int i = 0; i < 2; ++i) {
    const auto dot = base.rfind('.');
    if (dot == std::string::npos || dot == 0) break;
    std::string ext = directory::lower_ascii(base.substr(dot + 1));
    std::erase_if(ext, [](char c) { return c == ' ' || c == '\t'; });
    out.push_back(std::move(ext));
    base.erase(dot);
    while (!base.empty() && (base.back() == ' ' || base.back() == '\t')) base.pop_back();
  }
  return out;
}

bool is_executable_type(std::string_view ext) {
  return std::ranges::find(executable_types, ext) != std::end(executable_types);
}

bool document_like(std::string_view ext) {
  return ext.size() >= 2 && ext.size() <= 5 &&
         std::ranges::all_of(ext, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

bool has_bidi_override(std::string_view name) {
  // U+202D LRO, U+202E RLO, U+2066..U+2069 isolates: they reorder how the name reads.
  using namespace std::string_view_literals;
  for (const auto seq : {"\xe2\x80\xad"sv, "\xe2\x80\xae"sv, "\xe2\x81\xa6"sv, "\xe2\x81\xa7"sv, "\xe2\x81\xa8"sv}) {
    if (name.find(seq) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> blocked_name(std::string_view name, const attachment_policy& p) {
  if (has_bidi_override(name)) {
    return fmt::format("\"{}\" disguises its file type with a right-to-left override", shown(name));
  }
  const auto ext = extensions(name);
  if (ext.empty()) return std::nullopt;
  if (std::ranges::find(p.blocked_extensions, ext[0]) != p.blocked_extensions.end()) {
    if (ext.size() > 1 && p.block_double_extensions && document_like(ext[1])) {
      return fmt::format("\"{}\" hides a .{} file behind a double extension", shown(name), ext[0]);
    }
    return fmt::format("files of type .{} are not accepted (\"{}\")", ext[0], shown(name));
  }
  if (p.block_double_extensions && ext.size() > 1 && is_executable_type(ext[0]) && document_like(ext[1])) {
    return fmt::format("\"{}\" hides a .{} file behind a double extension", shown(name), ext[0]);
  }
  return std::nullopt;
}

attachment_report inspect_attachments(std::string_view bytes, const mime::message& m, const attachment_policy& p) {
  attachment_report report;
  // One budget for the whole message: many small archives are no way around it.
  archive_limits budget = p.archives;
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    const auto& part = m.parts[i];
    if (part.is_multipart() || part.embedded) continue;
    const std::string_view name = part.filename();
    if (!name.empty()) {
      if (auto why = blocked_name(name, p)) {
        report.refusal = fmt::format("Attachment refused: {}", *why);
        return report;
      }
    }
    if (!p.scan_archives || (part.is_text() && name.empty())) continue;
    const auto data = mime::decoded_body(bytes, part);
    if (!looks_like_archive(data)) continue;
    const auto listing = list_archive(data, name, budget);
    const std::string archive_name = name.empty() ? std::string("(unnamed)") : shown(name);
    for (const auto& inner : listing.names) {
      if (auto why = blocked_name(inner, p)) {
        report.refusal = fmt::format("Attachment refused: archive \"{}\" contains {}", archive_name, *why);
        return report;
      }
    }
    if (listing.limit_reached) {
      report.refusal = fmt::format("Attachment refused: archive \"{}\" is beyond the inspection limits ({})",
                                   archive_name, listing.limit);
      return report;
    }
    if (listing.encrypted) {
      if (p.refuse_encrypted_archives) {
        report.refusal =
            fmt::format("Attachment refused: archive \"{}\" is encrypted and cannot be inspected", archive_name);
        return report;
      }
      report.warnings.push_back(fmt::format("encrypted archive \"{}\" not inspected", archive_name));
    } else if (listing.damaged) {
      report.warnings.push_back(fmt::format("archive \"{}\" could not be read completely", archive_name));
    }
    budget.max_entries -= std::min(budget.max_entries, listing.names.size());
    if (budget.max_entries == 0) budget.max_entries = 1;
  }
  return report;
}

}  // namespace letterhead::filter
