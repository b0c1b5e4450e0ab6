#pragma once
// RFC 5256 §2.1 base subject: the subject with reply/forward decorations removed, the
// key for SORT SUBJECT and for THREAD (ORDEREDSUBJECT, and the subject merging of
// REFERENCES).

#include <string>
#include <string_view>

#include "mime/charset.hpp"

namespace letterhead::mime {

struct base_subject_result {
  // RFC 5256 §2.1 steps 1-7, in the canonical form of RFC 5051 i;unicode-casemap
  // (simple titlecase mapping, then NFKD): equal keys mean equal base subjects, and
  // ASCII comes out upper-case ("Re: hello" -> "HELLO").
  std::string text;
  // RFC 5256 §2.1 / §2.2 step 5: extraction removed a "Re:"/"Fwd:" leader (subj-refwd),
  // a "(fwd)" trailer or a "[fwd: ...]" wrapper.
  bool reply_or_forward = false;
};

// `raw_subject` is the Subject field body as stored (folded, with encoded-words).
// Step 1: RFC 2047 decoded to UTF-8 (raw 8-bit per `options`), canonicalised (so that a
// full-width "Ｒｅ：" reads as "RE:" and U+3000 as a space), tabs and runs of spaces
// made one space. Steps 2-6: "(fwd)" and space trailers, subj-leader ("Re:", "Fwd:",
// "Fw:", with [blob]s before or inside), subj-blob prefixes that leave a non-empty
// rest, and the "[fwd:" ... "]" wrapper, repeated until nothing changes.
// todo(rfc): localised leaders ("回复:", "转发:", "AW:", "SV:") are not in RFC 5256
// and are kept, as Dovecot and Cyrus keep them.
[[nodiscard]] base_subject_result extract_base_subject(std::string_view raw_subject,
                                                       const decode_options& options = {});

[[nodiscard]] std::string base_subject(std::string_view raw_subject,
                                       const decode_options& options = {});
[[nodiscard]] bool is_reply_or_forward(std::string_view raw_subject,
                                       const decode_options& options = {});

}  // namespace letterhead::mime
