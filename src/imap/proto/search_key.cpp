#include "imap/proto/search_key.hpp"

#include <algorithm>
#include <array>

#include "imap/proto/response.hpp"
#include "imap/proto/sequence_set.hpp"

namespace letterhead::imap::proto {

namespace {

using kind = search_key::kind;

std::string_view name_of(kind k) noexcept {
  switch (k) {
    case kind::all: return "ALL";
    case kind::answered: return "ANSWERED";
    case kind::deleted: return "DELETED";
    case kind::draft: return "DRAFT";
    case kind::flagged: return "FLAGGED";
    case kind::seen: return "SEEN";
    case kind::recent: return "RECENT";
    case kind::new_: return "NEW";
    case kind::old: return "OLD";
    case kind::unanswered: return "UNANSWERED";
    case kind::undeleted: return "UNDELETED";
    case kind::undraft: return "UNDRAFT";
    case kind::unflagged: return "UNFLAGGED";
    case kind::unseen: return "UNSEEN";
    case kind::keyword: return "KEYWORD";
    case kind::unkeyword: return "UNKEYWORD";
    case kind::bcc: return "BCC";
    case kind::body: return "BODY";
    case kind::cc: return "CC";
    case kind::from: return "FROM";
    case kind::subject: return "SUBJECT";
    case kind::text: return "TEXT";
    case kind::to: return "TO";
    case kind::header: return "HEADER";
    case kind::before: return "BEFORE";
    case kind::on: return "ON";
    case kind::since: return "SINCE";
    case kind::sentbefore: return "SENTBEFORE";
    case kind::senton: return "SENTON";
    case kind::sentsince: return "SENTSINCE";
    case kind::larger: return "LARGER";
    case kind::smaller: return "SMALLER";
    case kind::uid: return "UID";
    case kind::sequence: return "";
    case kind::modseq: return "MODSEQ";
    case kind::older: return "OLDER";
    case kind::younger: return "YOUNGER";
    case kind::emailid: return "EMAILID";
    case kind::threadid: return "THREADID";
    case kind::and_: return "";
    case kind::or_: return "OR";
    case kind::not_: return "NOT";
  }
  return "";
}

void write(std::string& out, const search_key& key) {
  static constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  switch (key.k) {
    case kind::and_:
      out += '(';
      for (std::size_t i = 0; i < key.children.size(); ++i) {
        if (i > 0) out += ' ';
        write(out, key.children[i]);
      }
      out += ')';
      return;
    case kind::sequence:
      out += to_string(key.set);
      return;
    default:
      break;
  }
  out += name_of(key.k);
  switch (key.k) {
    case kind::keyword:
    case kind::unkeyword:
    case kind::emailid:
    case kind::threadid:
      out += ' ';
      out += key.text;
      break;
    case kind::bcc:
    case kind::body:
    case kind::cc:
    case kind::from:
    case kind::subject:
    case kind::text:
    case kind::to:
      out += ' ';
      out += quoted_or_literal(key.text, true);
      break;
    case kind::header:
      out += ' ';
      out += astring(key.field, true);
      out += ' ';
      out += quoted_or_literal(key.text, true);
      break;
    case kind::before:
    case kind::on:
    case kind::since:
    case kind::sentbefore:
    case kind::senton:
    case kind::sentsince:
      out += ' ';
      out += std::to_string(key.day.day);
      out += '-';
      out += months[static_cast<std::size_t>(std::clamp(key.day.month, 1, 12) - 1)];
      out += '-';
      // RFC 9051 §9 date-year = 4DIGIT: keep leading zeros ("0994").
      {
        const std::string year = std::to_string(key.day.year);
        out += std::string(year.size() < 4 ? 4 - year.size() : 0, '0') + year;
      }
      break;
    case kind::larger:
    case kind::smaller:
    case kind::modseq:
    case kind::older:
    case kind::younger:
      out += ' ';
      out += std::to_string(key.number);
      break;
    case kind::uid:
      out += ' ';
      out += to_string(key.set);
      break;
    case kind::not_:
    case kind::or_:
      for (const auto& c : key.children) {
        out += ' ';
        write(out, c);
      }
      break;
    default:
      break;
  }
}

}  // namespace

std::string to_string(const search_key& key) {
  std::string out;
  write(out, key);
  return out;
}

std::string to_search_program(const search_key& key) {
  if (key.k != kind::and_) return to_string(key);
  std::string out;
  for (std::size_t i = 0; i < key.children.size(); ++i) {
    if (i > 0) out += ' ';
    write(out, key.children[i]);
  }
  return out;
}

std::size_t depth(const search_key& key) noexcept {
  std::size_t d = 0;
  for (const auto& c : key.children) d = std::max(d, depth(c));
  return d + 1;
}

}  // namespace letterhead::imap::proto
