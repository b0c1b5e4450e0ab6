#include "mailauth/authentication_results.hpp"

#include "mailauth/canonicalization.hpp"

namespace letterhead::mailauth {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string make_authentication_results(std::string_view authserv_id, const std::vector<std::string>& results) {
  std::string out = "Authentication-Results: ";
  out += authserv_id;
  out += ';';
  if (results.empty()) {
    out += " none\r\n";
    return out;
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    out += "\r\n\t";
    out += results[i];
    if (i + 1 < results.size()) out += ';';
  }
  out += "\r\n";
  return out;
}

std::string authserv_id_of(std::string_view body) {
  std::size_t i = 0;
  // CFWS: whitespace, folding, and (possibly nested) comments (RFC 5322 §3.2.2).
  int depth = 0;
  while (i < body.size()) {
    const char c = body[i];
    if (depth > 0) {
      if (c == '\\') ++i;
      else if (c == '(') ++depth;
      else if (c == ')') --depth;
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '(') {
      ++depth;
      ++i;
    } else {
      break;
    }
  }
  std::string id;
  if (i < body.size() && body[i] == '"') {
    // value = token / quoted-string (RFC 2045)
    for (++i; i < body.size() && body[i] != '"'; ++i) {
      if (body[i] == '\\' && i + 1 < body.size()) ++i;
      id += body[i];
    }
    return lower(id);
  }
  while (i < body.size()) {
    const char c = body[i];
    if (c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(') break;
    id += c;
    ++i;
  }
  return lower(id);
}

std::size_t remove_authentication_results(std::string& message, std::string_view authserv_id) {
  const auto ours = lower(authserv_id);
  // Every field, however many: a forged one must not hide behind the first thousand.
  const auto parts = split_message(message, message.size());
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (const auto& f : parts.fields) {
    if (lower(f.name) != "authentication-results") continue;
    const auto colon = f.raw.find(':');
    if (colon == std::string_view::npos) continue;
    if (authserv_id_of(f.raw.substr(colon + 1)) != ours) continue;
    spans.emplace_back(static_cast<std::size_t>(f.raw.data() - message.data()), f.raw.size());
  }
  // From the end, so earlier offsets stay valid.
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) message.erase(it->first, it->second);
  return spans.size();
}

}  // namespace letterhead::mailauth
