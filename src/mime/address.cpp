#include "mime/address.hpp"

#include "mime/detail/ascii.hpp"
#include "mime/detail/encoded_word.hpp"
#include "mime/detail/lex.hpp"
#include "mime/header.hpp"

namespace letterhead::mime {
namespace {

enum class kind { atom, quoted, literal, special, comment };

// A token points into the field: memory stays a small multiple of the input however
// hostile the field is (a million quotes are half a million tokens).
struct token {
  kind k = kind::atom;
  std::string_view raw;  // quoted and comment: the content, still escaped
  bool space_before = false;
};

// Bounds the work on one field; a real list of thousands of recipients stays far below.
constexpr std::size_t max_tokens = 200'000;

bool is_special(char c) noexcept {
  switch (c) {
    case '<': case '>': case ',': case ':': case ';': case '@': case '.':
      return true;
    default:
      return false;
  }
}

bool ends_atom(char c) noexcept {
  return detail::is_space(c) || is_special(c) || c == '(' || c == '"' || c == '[';
}

// The text of a token: quoted-pairs resolved and folding removed for quoted strings
// and comments (RFC 5322 §3.2.1, §3.2.2, §3.2.4).
std::string text_of(const token& t) {
  if (t.k == kind::atom || t.k == kind::special) return std::string(t.raw);
  if (t.k == kind::literal) return unfold(t.raw);
  std::string out;
  out.reserve(t.raw.size());
  for (std::size_t i = 0; i < t.raw.size(); ++i) {
    char c = t.raw[i];
    if (c == '\\' && i + 1 < t.raw.size()) {
      out.push_back(t.raw[++i]);
    } else if (c != '\r' && c != '\n') {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<token> lex(std::string_view s) {
  std::vector<token> out;
  std::size_t i = 0;
  bool space = false;
  while (i < s.size() && out.size() < max_tokens) {
    const char c = s[i];
    if (detail::is_space(c)) {
      space = true;
      ++i;
    } else if (c == '(') {
      std::size_t end = detail::skip_comment(s, i);
      std::size_t inner_end = (end > i + 1 && s[end - 1] == ')') ? end - 1 : end;
      out.push_back(token{kind::comment, s.substr(i + 1, inner_end - i - 1), space});
      i = end;
      space = true;  // a comment separates like whitespace (RFC 5322 §3.2.2)
    } else if (c == '"') {
      std::size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += (s[j] == '\\' && j + 1 < s.size()) ? 2 : 1;
      out.push_back(token{kind::quoted, s.substr(i + 1, j - i - 1), space});
      i = j < s.size() ? j + 1 : s.size();
      space = false;
    } else if (c == '[') {
      // RFC 5322 §3.4.1 domain-literal, kept with its brackets.
      std::size_t j = s.find(']', i);
      j = (j == std::string_view::npos) ? s.size() : j + 1;
      out.push_back(token{kind::literal, s.substr(i, j - i), space});
      i = j;
      space = false;
    } else if (is_special(c)) {
      out.push_back(token{kind::special, s.substr(i, 1), space});
      ++i;
      space = false;
    } else {
      // An atom; an encoded-word is taken whole even if it contains "." or ",", which
      // broken mailers put in Q-encoded names.
      std::size_t begin = i;
      while (i < s.size() && !ends_atom(s[i])) {
        if (s[i] == '=' && i + 1 < s.size() && s[i + 1] == '?') {
          if (auto w = detail::match_encoded_word(s.substr(i))) {
            i += w->size;
            continue;
          }
        }
        ++i;
      }
      out.push_back(token{kind::atom, s.substr(begin, i - begin), space});
      space = false;
    }
  }
  return out;
}

bool is_special_token(const token* t, char c) {
  return t->k == kind::special && t->raw.size() == 1 && t->raw[0] == c;
}

struct phrase_text {
  std::string decoded;
  std::string raw;
};

phrase_text decode_tokens(const std::vector<const token*>& words, const decode_options& options) {
  detail::text_builder builder(options);
  phrase_text out;
  bool first = true;
  for (const token* t : words) {
    if (!first && t->space_before) {
      builder.space(" ");
      out.raw.push_back(' ');
    }
    first = false;
    std::string text = text_of(*t);
    out.raw += text;
    if (t->k == kind::atom || t->k == kind::quoted) {
      builder.text_with_encoded_words(text);
    } else {
      builder.raw(text);
    }
  }
  out.decoded = std::string(detail::trim(builder.finish()));
  detail::sanitize_controls(out.raw);
  out.raw = std::string(detail::trim(out.raw));
  return out;
}

bool is_word(const token* t) { return t->k == kind::atom || t->k == kind::quoted; }

// Tokens that make one dot-atom or obs-local-part (RFC 5322 §3.4.1, §4.4): words and
// dots, with whitespace allowed only next to a dot.
bool connected(const token* left, const token* right) {
  return !right->space_before || is_special_token(left, '.') || is_special_token(right, '.');
}

std::string join_addr_tokens(const std::vector<const token*>& toks, std::size_t begin,
                             std::size_t end) {
  std::string out;
  for (std::size_t k = begin; k < end; ++k) {
    if (toks[k]->k != kind::comment) out += text_of(*toks[k]);
  }
  return out;
}

struct pending {
  std::vector<const token*> words;  // outside angle brackets
  std::vector<const token*> angle;  // inside angle brackets
  std::vector<const token*> comments;
  bool saw_angle = false;

  [[nodiscard]] bool has_at() const {
    for (const token* t : words) {
      if (is_special_token(t, '@')) return true;
    }
    return false;
  }
};

class list_parser {
 public:
  list_parser(const decode_options& options, address_list& out) : options_(options), out_(out) {}

  void run(const std::vector<token>& tokens) {
    bool in_angle = false;
    for (const token& tok : tokens) {
      const token* t = &tok;
      if (in_angle) {
        if (is_special_token(t, '>')) {
          in_angle = false;
        } else if (t->k != kind::comment) {
          cur_.angle.push_back(t);
        }
        continue;
      }
      if (t->k == kind::comment) {
        cur_.comments.push_back(t);
      } else if (is_special_token(t, '<')) {
        in_angle = true;
        cur_.saw_angle = true;
      } else if (is_special_token(t, ':') && !in_group_ && !cur_.saw_angle && !cur_.has_at()) {
        start_group();  // RFC 5322 §3.4: display-name ":" [group-list] ";"
      } else if (is_special_token(t, ';')) {
        finish_address();
        end_group();
      } else if (is_special_token(t, ',')) {
        finish_address();
      } else {
        cur_.words.push_back(t);
      }
    }
    finish_address();
    end_group();
  }

 private:
  void start_group() {
    phrase_text name = decode_tokens(cur_.words, options_);
    cur_ = pending{};
    address_group g;
    g.name = std::move(name.decoded);
    g.name_raw = std::move(name.raw);
    g.first = out_.mailboxes.size();
    out_.groups.push_back(std::move(g));
    in_group_ = true;
  }

  void end_group() {
    if (!in_group_) return;
    auto& g = out_.groups.back();
    g.count = out_.mailboxes.size() - g.first;
    in_group_ = false;
  }

  void finish_address() {
    pending cur = std::move(cur_);
    cur_ = pending{};
    mailbox_address mb;
    std::vector<const token*> display;
    if (cur.saw_angle) {
      std::vector<const token*> addr = cur.angle;
      // RFC 5322 §4.4 obs-route: "@a,@b:" before the address is dropped.
      if (!addr.empty() && is_special_token(addr.front(), '@')) {
        for (std::size_t k = addr.size(); k-- > 0;) {
          if (is_special_token(addr[k], ':')) {
            addr.erase(addr.begin(), addr.begin() + static_cast<std::ptrdiff_t>(k + 1));
            break;
          }
        }
      }
      split_addr_spec(addr, 0, addr.size(), mb);
      display = cur.words;
    } else {
      const auto& w = cur.words;
      std::size_t at = w.size();
      for (std::size_t k = w.size(); k-- > 0;) {
        if (is_special_token(w[k], '@')) {
          at = k;
          break;
        }
      }
      if (at < w.size()) {
        // The local part is the connected run of words and dots before "@"; words
        // before it are a display name written without angle brackets.
        std::size_t local_begin = at;
        while (local_begin > 0) {
          const token* t = w[local_begin - 1];
          if (!is_word(t) && !is_special_token(t, '.')) break;
          if (local_begin < at && !connected(t, w[local_begin])) break;
          --local_begin;
        }
        std::size_t domain_end = at + 1;
        while (domain_end < w.size()) {
          const token* t = w[domain_end];
          bool part = t->k == kind::atom || t->k == kind::literal || is_special_token(t, '.');
          if (!part) break;
          if (domain_end > at + 1 && !connected(w[domain_end - 1], t)) break;
          ++domain_end;
        }
        mb.local = join_addr_tokens(w, local_begin, at);
        mb.domain = join_addr_tokens(w, at + 1, domain_end);
        display.assign(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(local_begin));
      } else {
        // No "@": keep the words as a local part without domain (e.g. a bare "Bob").
        for (std::size_t k = 0; k < w.size(); ++k) {
          if (k > 0 && w[k]->space_before) mb.local.push_back(' ');
          mb.local += text_of(*w[k]);
        }
      }
    }
    phrase_text name = decode_tokens(display, options_);
    mb.display_name = std::move(name.decoded);
    mb.display_name_raw = std::move(name.raw);
    if (mb.display_name.empty()) {
      // RFC 822 style "addr (Full Name)".
      for (const token* c : cur.comments) {
        std::string text = text_of(*c);
        std::string decoded = decode_unstructured(text, options_);
        if (!decoded.empty()) {
          mb.display_name = std::move(decoded);
          mb.display_name_raw = std::string(detail::trim(text));
          detail::sanitize_controls(mb.display_name_raw);
          break;
        }
      }
    }
    if (mb.local.empty() && mb.domain.empty() && mb.display_name.empty()) return;
    if (in_group_) mb.group = out_.groups.back().name;
    out_.mailboxes.push_back(std::move(mb));
  }

  static void split_addr_spec(const std::vector<const token*>& addr, std::size_t begin,
                              std::size_t end, mailbox_address& mb) {
    std::size_t at = end;
    for (std::size_t k = end; k-- > begin;) {
      if (is_special_token(addr[k], '@')) {
        at = k;
        break;
      }
    }
    if (at == end) {
      mb.local = join_addr_tokens(addr, begin, end);
      return;
    }
    mb.local = join_addr_tokens(addr, begin, at);
    mb.domain = join_addr_tokens(addr, at + 1, end);
  }

  const decode_options& options_;
  address_list& out_;
  pending cur_;
  bool in_group_ = false;
};

bool is_atext(char c) noexcept {
  if (static_cast<unsigned char>(c) >= 0x80) return true;  // RFC 6532 §3.2
  if (detail::is_alpha(c) || detail::is_digit(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

}  // namespace

std::string mailbox_address::addr_spec() const {
  bool dot_atom = !local.empty() && local.front() != '.' && local.back() != '.' &&
                  local.find("..") == std::string::npos;
  for (char c : local) {
    if (!is_atext(c) && c != '.') dot_atom = false;
  }
  std::string out;
  if (dot_atom) {
    out = local;
  } else {
    out.push_back('"');
    for (char c : local) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  if (!domain.empty()) {
    out.push_back('@');
    out += domain;
  }
  return out;
}

address_list parse_address_list(std::string_view raw_value, const decode_options& options) {
  address_list out;
  std::vector<token> tokens = lex(raw_value);
  list_parser(options, out).run(tokens);
  return out;
}

std::string decode_phrase(std::string_view raw_phrase, const decode_options& options) {
  std::vector<token> tokens = lex(raw_phrase);
  std::vector<const token*> words;
  for (const auto& t : tokens) {
    if (t.k != kind::comment) words.push_back(&t);
  }
  return decode_tokens(words, options).decoded;
}

}  // namespace letterhead::mime
