#pragma once
// The names inside an archive attachment (zip, 7z, rar, tar, cab, and gzip/bzip2/xz
// compressed files), read with libarchive from memory, for the attachment policy.
//
// Untrusted input: the archive bytes, straight from a message. Bounds: at most
// max_entries names in all (nested archives included), nesting up to max_depth, and
// at most max_bytes decompressed, which is spent only on reading nested archives
// (names of other entries are read from the headers without decompressing them).
// Names are capped at 1024 bytes. Nothing here throws; a damaged archive is reported.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace letterhead::filter {

struct archive_limits {
  std::size_t max_entries = 1000;
  std::size_t max_depth = 3;       // archives inside the attached one
  std::uint64_t max_bytes = 100 * 1024 * 1024;
};

struct archive_listing {
  // Entry paths; an entry of a nested archive is "inner.zip/evil.exe".
  std::vector<std::string> names;
  bool encrypted = false;     // some entry (or the header) is encrypted
  bool damaged = false;       // libarchive could not read it to the end
  bool limit_reached = false; // entries, depth or bytes: the listing is incomplete
  std::string limit;          // which limit, for the refusal text
};

// Whether `bytes` start like an archive or compressed file libarchive reads.
[[nodiscard]] bool looks_like_archive(std::string_view bytes) noexcept;

// `name` is the attachment's file name (for a compressed single file, whose entry
// is named after it without the .gz/.bz2/.xz).
[[nodiscard]] archive_listing list_archive(std::string_view bytes, std::string_view name, const archive_limits& limits);

}  // namespace letterhead::filter
