#pragma once
// A strict checker of the RFC 9051 §9 grammar for ENVELOPE and body structures, written
// from the ABNF for the tests: what we send must parse as a client parses it.

#include <cstddef>
#include <string>
#include <string_view>

namespace letterhead::mime::test {

class imap_grammar {
 public:
  explicit imap_grammar(std::string_view s) : s_(s) {}

  // The whole input is one `body` (RFC 9051 §9).
  [[nodiscard]] bool whole_body() { return body(0) && i_ == s_.size(); }
  [[nodiscard]] bool whole_envelope() { return envelope() && i_ == s_.size(); }
  [[nodiscard]] std::size_t position() const { return i_; }

 private:
  bool lit(std::string_view t) {
    if (s_.substr(i_, t.size()) != t) return false;
    i_ += t.size();
    return true;
  }
  bool sp() { return lit(" "); }
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }

  bool number() {
    std::size_t b = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > b;
  }
  // quoted / literal; the value is returned in `value`.
  bool string(std::string* value = nullptr) {
    std::string v;
    if (lit("\"")) {
      while (i_ < s_.size() && s_[i_] != '"') {
        char c = s_[i_];
        if (c == '\r' || c == '\n' || c == '\0') return false;
        if (c == '\\') {
          ++i_;
          if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\\')) return false;
          c = s_[i_];
        }
        v.push_back(c);
        ++i_;
      }
      if (!lit("\"")) return false;
    } else if (lit("{")) {
      std::size_t b = i_;
      if (!number()) return false;
      std::size_t n = std::stoul(std::string(s_.substr(b, i_ - b)));
      if (!lit("}\r\n") || i_ + n > s_.size()) return false;
      v = s_.substr(i_, n);
      if (v.find('\0') != std::string::npos) return false;
      i_ += n;
    } else {
      return false;
    }
    if (value) *value = v;
    return true;
  }
  bool nstring(std::string* value = nullptr) { return lit("NIL") || string(value); }

  bool address() {
    return lit("(") && nstring() && sp() && nstring() && sp() && nstring() && sp() &&
           nstring() && lit(")");
  }
  bool address_list() {
    if (lit("NIL")) return true;
    if (!lit("(") || !address()) return false;
    while (peek('(')) {
      if (!address()) return false;
    }
    return lit(")");
  }
  bool envelope() {
    if (!(lit("(") && nstring() && sp() && nstring())) return false;
    for (int k = 0; k < 6; ++k) {
      if (!(sp() && address_list())) return false;
    }
    return sp() && nstring() && sp() && nstring() && lit(")");
  }
  bool params() {
    if (lit("NIL")) return true;
    if (!(lit("(") && string() && sp() && string())) return false;
    while (sp()) {
      if (!(string() && sp() && string())) return false;
    }
    return lit(")");
  }
  bool disposition() {
    if (lit("NIL")) return true;
    return lit("(") && string() && sp() && params() && lit(")");
  }
  bool language() {
    if (!peek('(')) return nstring();
    if (!(lit("(") && string())) return false;
    while (sp()) {
      if (!string()) return false;
    }
    return lit(")");
  }
  // [SP dsp [SP lang [SP loc]]] after md5 or the multipart parameters.
  bool extension_tail() {
    if (!sp()) return true;
    if (!disposition()) return false;
    if (!sp()) return true;
    if (!language()) return false;
    if (!sp()) return true;
    return nstring();
  }
  bool body(int depth) {
    if (depth > 300 || !lit("(")) return false;
    if (peek('(')) {  // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
      while (peek('(')) {
        if (!body(depth + 1)) return false;
      }
      if (!(sp() && string())) return false;
      if (sp() && !(params() && extension_tail())) return false;
      return lit(")");
    }
    std::string type, subtype;
    if (!(string(&type) && sp() && string(&subtype))) return false;
    // body-fields
    if (!(sp() && params() && sp() && nstring() && sp() && nstring() && sp() && string() &&
          sp() && number()))
      return false;
    auto upper = [](std::string x) {
      for (char& c : x) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
      return x;
    };
    type = upper(type);
    subtype = upper(subtype);
    if (type == "MESSAGE" && (subtype == "RFC822" || subtype == "GLOBAL")) {
      if (!(sp() && envelope() && sp() && body(depth + 1) && sp() && number())) return false;
    } else if (type == "TEXT") {
      if (!(sp() && number())) return false;
    }
    if (sp()) {  // body-ext-1part
      if (!(nstring() && extension_tail())) return false;
    }
    return lit(")");
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

[[nodiscard]] inline bool valid_body(std::string_view s) { return imap_grammar(s).whole_body(); }
[[nodiscard]] inline bool valid_envelope(std::string_view s) {
  return imap_grammar(s).whole_envelope();
}

}  // namespace letterhead::mime::test
