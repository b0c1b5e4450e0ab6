#pragma once
// The tokens of RFC 9051 §9 over a complete command: a cursor with an error slot.
// Each rule returns false and records the first error (a fixed message) when the text
// does not match; callers stop at the first false. Nothing here allocates more than the
// command's own size.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "imap/proto/command.hpp"
#include "imap/proto/parser.hpp"

namespace letterhead::imap::proto::detail {

// RFC 9051 §9 number64 and RFC 7162 §7 mod-sequence-value: at most 2^63-1.
inline constexpr std::uint64_t max_number64 = 9223372036854775807ull;

class scanner {
 public:
  enum class allow_saved { no, yes };  // "$" (RFC 5182) where a sequence-set may be one

  scanner(std::string_view text, const parse_options& options) noexcept : text_(text), options_(options) {}

  [[nodiscard]] const parse_options& options() const noexcept { return options_; }
  [[nodiscard]] bool at_end() const noexcept { return pos_ == text_.size(); }
  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
  // The next byte, or '\0' at the end (a NUL is never valid where this is asked).
  [[nodiscard]] char peek(std::size_t ahead = 0) const noexcept {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  [[nodiscard]] bool eat(char c) noexcept;
  // Exactly one SP (RFC 9051 §9 uses single spaces throughout).
  [[nodiscard]] bool sp();
  [[nodiscard]] bool expect(char c, std::string_view what);

  // Records an error (the first one wins) and returns false.
  bool fail(std::string_view message, core::errc code = core::errc::invalid);
  [[nodiscard]] bool failed() const noexcept { return error_.has_value(); }
  [[nodiscard]] const core::error& error() const noexcept { return *error_; }

  // Nesting bound for lists and search keys: enter() fails past options().max_depth.
  [[nodiscard]] bool enter();
  void leave() noexcept { --depth_; }

  // 1*ATOM-CHAR, possibly empty (nothing consumed then).
  [[nodiscard]] std::string_view atom() noexcept;
  // A non-empty atom, upper-cased.
  [[nodiscard]] bool keyword(std::string& out, std::string_view what);
  // The atom `word` (case-insensitive) when it is next and not followed by an ATOM-CHAR.
  [[nodiscard]] bool eat_word(std::string_view word) noexcept;
  // Whether eat_word(word) would succeed, consuming nothing.
  [[nodiscard]] bool at_word(std::string_view word) const noexcept;
  // Like eat_word, for words that may be followed by one of "[<." (fetch attributes).
  [[nodiscard]] bool eat_prefix(std::string_view word) noexcept;

  [[nodiscard]] bool astring(std::string& out);
  [[nodiscard]] bool string(std::string& out);
  [[nodiscard]] bool nstring(std::optional<std::string>& out);
  [[nodiscard]] bool quoted(std::string& out);
  // literal / literal8 (RFC 9051 §4.3): `binary` set when it was "~{n}"; literal8 only
  // when allowed (APPEND, RFC 3516 §4.2).
  [[nodiscard]] bool literal(std::string& out, bool allow_literal8, bool* binary = nullptr);

  [[nodiscard]] bool number(std::uint32_t& out);     // 1*DIGIT, <= 4294967295
  [[nodiscard]] bool nz_number(std::uint32_t& out);  // digit-nz *DIGIT
  [[nodiscard]] bool number64(std::uint64_t& out);   // 1*DIGIT, <= 2^63-1
  [[nodiscard]] bool seq_set(sequence_set& out, allow_saved saved);
  [[nodiscard]] bool date(proto::date& out);         // date, optionally quoted
  [[nodiscard]] bool date_time(std::string& out);    // DQUOTE ... DQUOTE, kept as written
  [[nodiscard]] bool flag(std::string& out);
  [[nodiscard]] bool flag_list(std::vector<std::string>& out);
  // A mailbox name, decoded to UTF-8 (mUTF-7 unless utf8_accept).
  [[nodiscard]] bool mailbox(std::string& out);
  // list-mailbox = 1*list-char / string, decoded like a mailbox.
  [[nodiscard]] bool list_mailbox(std::string& out);
  // A string for SEARCH and SORT: astring that must be UTF-8 (the only charsets taken).
  [[nodiscard]] bool text_string(std::string& out);

 private:
  [[nodiscard]] bool decode_mailbox(std::string& name);

  std::string_view text_;
  parse_options options_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::optional<core::error> error_;
};

}  // namespace letterhead::imap::proto::detail
