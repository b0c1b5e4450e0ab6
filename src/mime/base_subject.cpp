#include "mime/base_subject.hpp"

#include "mime/detail/ascii.hpp"
#include "mime/detail/unicode.hpp"
#include "mime/header.hpp"

namespace letterhead::mime {
namespace {

using detail::istarts_with;

// RFC 5256 §5: subj-blob = "[" *BLOBCHAR "]" *WSP, BLOBCHAR any byte but "[" and "]".
// Returns the blob's length at s[i], or 0. After step 1 the only WSP left is SP.
std::size_t blob_at(std::string_view s, std::size_t i) {
  if (i >= s.size() || s[i] != '[') return 0;
  std::size_t j = i + 1;
  while (j < s.size() && s[j] != '[' && s[j] != ']') ++j;
  if (j >= s.size() || s[j] != ']') return 0;
  ++j;
  while (j < s.size() && s[j] == ' ') ++j;
  return j - i;
}

// RFC 5256 §5: subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":".
std::size_t refwd_at(std::string_view s, std::size_t i) {
  const std::string_view rest = s.substr(i);
  std::size_t j = 0;
  if (istarts_with(rest, "re")) {
    j = 2;
  } else if (istarts_with(rest, "fwd")) {
    j = 3;
  } else if (istarts_with(rest, "fw")) {
    j = 2;
  } else {
    return 0;
  }
  while (j < rest.size() && rest[j] == ' ') ++j;
  j += blob_at(rest, j);
  if (j < rest.size() && rest[j] == ':') return j + 1;
  return 0;
}

// RFC 5256 §5: subj-leader = (*subj-blob subj-refwd) / WSP. The blobs can only be
// followed by the refwd after the last of them (a refwd does not start with "[").
std::size_t leader_at_start(std::string_view s, bool& refwd) {
  if (!s.empty() && s.front() == ' ') return 1;
  std::size_t i = 0;
  while (std::size_t n = blob_at(s, i)) i += n;
  if (std::size_t n = refwd_at(s, i)) {
    refwd = true;
    return i + n;
  }
  return 0;
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && detail::iequals(s.substr(s.size() - suffix.size()), suffix);
}

// Step 1's whitespace rule: tabs and line breaks become spaces, runs become one.
std::string pack_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!space) out.push_back(' ');
      space = true;
    } else {
      out.push_back(c);
      space = false;
    }
  }
  return out;
}

}  // namespace

base_subject_result extract_base_subject(std::string_view raw_subject,
                                         const decode_options& options) {
  base_subject_result r;
  // Step 1 (RFC 5256 §2.1).
  std::string s = pack_whitespace(
      detail::unicode_casemap_key(decode_unstructured(raw_subject, options)));
  // Work on a view and copy once at the end: every step removes from the ends.
  std::string_view v = s;
  for (;;) {
    // Step 2: subj-trailer = "(fwd)" / WSP, repeatedly.
    for (;;) {
      if (!v.empty() && v.back() == ' ') {
        v.remove_suffix(1);
      } else if (iends_with(v, "(fwd)")) {
        v.remove_suffix(5);
        r.reply_or_forward = true;
      } else {
        break;
      }
    }
    // Steps 3-5.
    for (bool changed = true; changed;) {
      changed = false;
      bool refwd = false;
      while (std::size_t n = leader_at_start(v, refwd)) {  // step 3
        v.remove_prefix(n);
        changed = true;
      }
      if (refwd) r.reply_or_forward = true;
      // Step 4, for a whole run of blobs at once: no subj-refwd follows the run (step 3
      // would have taken it), so repeating steps 3 and 4 would remove the blobs one by
      // one, all of them, or all but the last if nothing follows. Linear, not quadratic.
      std::size_t run = 0;
      std::size_t last = 0;
      while (std::size_t n = blob_at(v, run)) {
        last = run;
        run += n;
      }
      if (const std::size_t cut = run < v.size() ? run : last; cut > 0) {
        v.remove_prefix(cut);
        changed = true;
      }
    }
    // Step 6: subj-fwd-hdr "[fwd:" and subj-fwd-trl "]" around the rest.
    if (v.size() >= 6 && istarts_with(v, "[fwd:") && v.back() == ']') {
      v = v.substr(5, v.size() - 6);
      r.reply_or_forward = true;
      continue;
    }
    break;
  }
  r.text = std::string(v);  // step 7
  return r;
}

std::string base_subject(std::string_view raw_subject, const decode_options& options) {
  return extract_base_subject(raw_subject, options).text;
}

bool is_reply_or_forward(std::string_view raw_subject, const decode_options& options) {
  return extract_base_subject(raw_subject, options).reply_or_forward;
}

}  // namespace letterhead::mime
