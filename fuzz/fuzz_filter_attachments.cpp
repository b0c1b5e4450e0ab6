// libFuzzer target for the attachment policy: archive listing with libarchive
// (zip, 7z, rar, tar, cab, gzip/bzip2/xz, nested) and the name checks, on bytes an
// attacker attaches to a message on the MX. The first byte picks how the input is
// used: as a raw archive, or as a whole message whose parts are inspected.
// Checks: limits hold (names, name length), nothing crashes or leaks.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "filter/archive.hpp"
#include "filter/attachments.hpp"
#include "mime/parser.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace letterhead::filter;
  if (size < 1) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  attachment_policy p;
  p.blocked_extensions = {"exe", "scr", "js"};
  p.archives = archive_limits{64, 2, 1 << 20};
  if (data[0] % 2 == 0) {
    const auto listing = list_archive(bytes, "fuzz.zip.gz", p.archives);
    require(listing.names.size() <= p.archives.max_entries);
    for (const auto& n : listing.names) {
      require(n.size() <= 1024 * (p.archives.max_depth + 1) + p.archives.max_depth);
      (void)blocked_name(n, p);
    }
  } else {
    const auto parsed = letterhead::mime::parse(bytes);
    const auto report = inspect_attachments(bytes, parsed, p);
    if (report.refusal) require(!report.refusal->empty());
  }
  return 0;
}
