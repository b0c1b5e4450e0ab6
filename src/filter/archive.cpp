#include "filter/archive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace letterhead::filter {
namespace {

constexpr std::size_t max_name = 1024;

bool has_prefix(std::string_view bytes, std::string_view magic) noexcept { return bytes.starts_with(magic); }

bool compressed_single(std::string_view b) noexcept {
  using namespace std::string_view_literals;
  return has_prefix(b, "\x1f\x8b"sv) || has_prefix(b, "BZh"sv) || has_prefix(b, "\xfd" "7zXZ\0"sv);
}

struct archive_deleter {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};

// The entry name of a compressed single file ("report.exe.gz" holds "report.exe").
std::string strip_compression(std::string_view name) {
  for (const std::string_view ext : {".gz", ".bz2", ".xz", ".tgz"}) {
    if (name.size() > ext.size()) {
      const auto tail = name.substr(name.size() - ext.size());
      if (std::equal(tail.begin(), tail.end(), ext.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
          })) {
        std::string out(name.substr(0, name.size() - ext.size()));
        if (ext == ".tgz") out += ".tar";
        return out;
      }
    }
  }
  return std::string(name);
}

class lister {
 public:
  lister(const archive_limits& limits, archive_listing& out) : limits_(limits), out_(out) {}

  void list(std::string_view bytes, std::string_view name, const std::string& prefix, std::size_t depth) {
    std::unique_ptr<archive, archive_deleter> a(archive_read_new());
    if (!a) {
      out_.damaged = true;
      return;
    }
    const bool single = compressed_single(bytes);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_all(a.get());
    // Lowest bid: only a compressed file that holds no archive is read as "raw".
    if (single) archive_read_support_format_raw(a.get());
    if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
      // No format was recognised, so there is nothing to ask about encryption:
      // archive_read_has_encrypted_entries() would follow libarchive's unset format
      // pointer here (found by fuzz_filter_attachments).
      out_.damaged = true;
      return;
    }
    archive_entry* entry = nullptr;
    for (;;) {
      const int rc = archive_read_next_header(a.get(), &entry);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        out_.damaged = true;
        // A 7z or rar with encrypted headers fails here.
        if (archive_read_has_encrypted_entries(a.get()) > 0) out_.encrypted = true;
        break;
      }
      if (out_.names.size() >= limits_.max_entries) {
        limit("entries");
        break;
      }
      std::string entry_name;
      if (archive_format(a.get()) == ARCHIVE_FORMAT_RAW) {
        entry_name = strip_compression(name);
      } else {
        const char* p = archive_entry_pathname_utf8(entry);
        if (p == nullptr) p = archive_entry_pathname(entry);
        entry_name = p != nullptr ? std::string(p) : std::string();
      }
      if (entry_name.size() > max_name) entry_name.resize(max_name);
      const std::string full = prefix + entry_name;
      out_.names.push_back(full);
      if (archive_entry_is_encrypted(entry) != 0) {
        out_.encrypted = true;
        continue;
      }
      if (archive_entry_filetype(entry) != AE_IFREG) continue;
      peek_nested(a.get(), full, depth);
      if (out_.limit_reached) break;
    }
  }

 private:
  void limit(const char* what) {
    out_.limit_reached = true;
    if (out_.limit.empty()) out_.limit = what;
  }

  // Reads the start of an entry; if it is an archive itself, reads all of it (within
  // the byte budget) and lists it too.
  void peek_nested(archive* a, const std::string& full, std::size_t depth) {
    std::string data;
    char buf[16 * 1024];
    for (;;) {
      const la_ssize_t n = archive_read_data(a, buf, sizeof buf);
      if (n < 0) {
        if (archive_read_has_encrypted_entries(a) > 0) out_.encrypted = true;
        return;  // unreadable data: the names are what matters here
      }
      if (n == 0) break;
      if (static_cast<std::uint64_t>(n) > limits_.max_bytes - spent_) {
        limit("decompressed size");
        return;
      }
      spent_ += static_cast<std::uint64_t>(n);
      data.append(buf, static_cast<std::size_t>(n));
      if (data.size() >= 512 && !looks_like_archive(data)) return;
    }
    if (!looks_like_archive(data)) return;
    if (depth >= limits_.max_depth) {
      limit("nesting depth");
      return;
    }
    list(data, full.substr(full.rfind('/') == std::string::npos ? 0 : full.rfind('/') + 1), full + "/", depth + 1);
  }

  const archive_limits& limits_;
  archive_listing& out_;
  std::uint64_t spent_ = 0;
};

}  // namespace

bool looks_like_archive(std::string_view b) noexcept {
  using namespace std::string_view_literals;
  return has_prefix(b, "PK\x03\x04"sv) || has_prefix(b, "PK\x05\x06"sv) || has_prefix(b, "PK\x07\x08"sv) ||
         has_prefix(b, "7z\xbc\xaf\x27\x1c"sv) || has_prefix(b, "Rar!\x1a\x07"sv) || has_prefix(b, "MSCF"sv) ||
         (b.size() > 262 && b.substr(257, 5) == "ustar") || compressed_single(b);
}

archive_listing list_archive(std::string_view bytes, std::string_view name, const archive_limits& limits) {
  archive_listing out;
  lister l(limits, out);
  l.list(bytes, name, {}, 0);
  return out;
}

}  // namespace letterhead::filter
