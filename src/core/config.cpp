#include "core/config.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/ip_network.hpp"

namespace letterhead::core {
namespace {

// Reads typed values out of a TOML table, remembering which keys were known so
// that the rest can be reported as unknown.
class section_reader {
 public:
  section_reader(const toml::table& table, std::string prefix, std::string_view origin)
      : table_(table), prefix_(std::move(prefix)), origin_(origin) {}

  [[nodiscard]] result<void> string(std::string_view key, std::string& out) {
    known_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (node == nullptr) return {};
    if (const auto* s = node->as_string()) {
      out = s->get();
      return {};
    }
    return type_error(key, "a string");
  }

  [[nodiscard]] result<void> optional_string(std::string_view key, std::optional<std::string>& out) {
    known_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (node == nullptr) return {};
    if (const auto* s = node->as_string()) {
      out = s->get();
      return {};
    }
    return type_error(key, "a string");
  }

  template <class Int>
  [[nodiscard]] result<void> integer(std::string_view key, Int& out, std::int64_t min,
                                     std::int64_t max) {
    known_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (node == nullptr) return {};
    const auto* i = node->as_integer();
    if (i == nullptr) return type_error(key, "an integer");
    const std::int64_t v = i->get();
    if (v < min || v > max) {
      return fail(errc::invalid, fmt::format("{}: key '{}{}' must be between {} and {}", origin_,
                                             prefix_, key, min, max));
    }
    out = static_cast<Int>(v);
    return {};
  }

  [[nodiscard]] result<void> seconds(std::string_view key, std::chrono::seconds& out) {
    std::int64_t v = out.count();
    if (auto r = integer(key, v, 1, 86400 * 7); !r) return r;
    out = std::chrono::seconds(v);
    return {};
  }

  // A duration: an integer (seconds) or a string with a unit, "90s", "5m", "4h", "5d".
  [[nodiscard]] result<void> duration(std::string_view key, std::chrono::seconds& out,
                                      std::chrono::seconds min, std::chrono::seconds max) {
    known_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (node == nullptr) return {};
    auto d = duration_value(*node, key);
    if (!d) return std::unexpected(d.error());
    if (*d < min || *d > max) {
      return fail(errc::invalid, fmt::format("{}: key '{}{}' must be between {}s and {}s", origin_,
                                             prefix_, key, min.count(), max.count()));
    }
    out = *d;
    return {};
  }

  [[nodiscard]] result<void> duration_array(std::string_view key, std::vector<std::chrono::seconds>& out,
                                            std::chrono::seconds min, std::chrono::seconds max) {
    known_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (node == nullptr) return {};
    const auto* arr = node->as_array();
    if (arr == nullptr || arr->empty()) return type_error(key, "a non-empty array of durations");
    std::vector<std::chrono::seconds> values;
    for (const auto& element : *arr) {
      auto d = duration_value(element, key);
      if (!d) return std::unexpected(d.error());
      if (*d < min || *d > max) {
        return fail(errc::invalid, fmt::format("{}: values of '{}{}' must be between {}s and {}s", origin_,
                                               prefix_, key, min.count(), max.count()));
      }
      values.push_back(*d);
    }
    out = std::move(values);
    return {};
  }

  // An integer or a float, e.g. a score.
  [[nodiscard]] result<void> number(std::string_view key, double& out, double min, double max) {
    known_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (node == nullptr) return {};
    double v = 0;
    if (const auto* f = node->as_floating_point()) {
      v = f->get();
    } else if (const auto* i = node->as_integer()) {
      v = static_cast<double>(i->get());
    } else {
      return type_error(key, "a number");
    }
    if (!(v >= min && v <= max)) {
      return fail(errc::invalid, fmt::format("{}: key '{}{}' must be between {} and {}", origin_,
                                             prefix_, key, min, max));
    }
    out = v;
    return {};
  }

  [[nodiscard]] result<void> boolean(std::string_view key, bool& out) {
    known_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (node == nullptr) return {};
    if (const auto* b = node->as_boolean()) {
      out = b->get();
      return {};
    }
    return type_error(key, "true or false");
  }

  [[nodiscard]] result<void> string_array(std::string_view key, std::vector<std::string>& out) {
    known_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (node == nullptr) return {};
    const auto* arr = node->as_array();
    if (arr == nullptr) return type_error(key, "an array of strings");
    out.clear();
    for (const auto& element : *arr) {
      const auto* s = element.as_string();
      if (s == nullptr) return type_error(key, "an array of strings");
      out.push_back(s->get());
    }
    return {};
  }

  // A sub-table; the caller reads it with its own section_reader.
  [[nodiscard]] result<const toml::table*> table(std::string_view key) {
    known_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (node == nullptr) return nullptr;
    if (const auto* t = node->as_table()) return t;
    return std::unexpected(type_error(key, "a table").error());
  }

  [[nodiscard]] result<void> no_unknown_keys() const {
    for (const auto& [key, node] : table_) {
      if (!known_.contains(std::string(key.str()))) {
        return fail(errc::invalid,
                    fmt::format("{}:{}: unknown key '{}{}'", origin_, node.source().begin.line,
                                prefix_, key.str()));
      }
    }
    return {};
  }

 private:
  [[nodiscard]] std::unexpected<error> type_error(std::string_view key, std::string_view what) const {
    const auto* node = table_.get(key);
    const auto line = node != nullptr ? node->source().begin.line : 0;
    return fail(errc::invalid,
                fmt::format("{}:{}: key '{}{}' must be {}", origin_, line, prefix_, key, what));
  }

  [[nodiscard]] result<std::chrono::seconds> duration_value(const toml::node& node, std::string_view key) const {
    if (const auto* i = node.as_integer()) return std::chrono::seconds(i->get());
    const auto* s = node.as_string();
    if (s == nullptr) return type_error(key, "seconds or a duration string like \"5m\"");
    const std::string& text = s->get();
    std::int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    const std::string_view unit(ptr, text.data() + text.size());
    std::int64_t scale = 0;
    if (unit == "s" || unit.empty()) scale = 1;
    if (unit == "m") scale = 60;
    if (unit == "h") scale = 3600;
    if (unit == "d") scale = 86400;
    if (ec != std::errc{} || ptr == text.data() || scale == 0 || n < 0 || n > (std::int64_t{1} << 40)) {
      return type_error(key, "seconds or a duration string like \"5m\"");
    }
    return std::chrono::seconds(n * scale);
  }

  const toml::table& table_;
  std::string prefix_;
  std::string_view origin_;
  std::set<std::string> known_;
};

#define LH_TRY(expr)                  \
  do {                                \
    if (auto r_ = (expr); !r_) {      \
      return std::unexpected(r_.error()); \
    }                                 \
  } while (false)

result<void> read_listen(const toml::table* t, std::string_view origin, listen_config& out) {
  if (t == nullptr) return {};
  section_reader r(*t, "listen.", origin);
  struct entry {
    const char* key;
    std::optional<std::string>* field;
  };
  const entry entries[] = {{"smtp", &out.smtp},   {"submission", &out.submission},
                           {"submissions", &out.submissions}, {"imap", &out.imap},
                           {"imaps", &out.imaps}, {"pop3", &out.pop3},
                           {"pop3s", &out.pop3s}, {"http", &out.http},
                           {"https", &out.https}};
  for (const auto& e : entries) {
    LH_TRY(r.optional_string(e.key, *e.field));
    if (*e.field) {
      if (auto hp = parse_host_port(**e.field); !hp) {
        return fail(errc::invalid, fmt::format("{}: key 'listen.{}': {}", origin, e.key,
                                               hp.error().message));
      }
    }
  }
  return r.no_unknown_keys();
}

result<void> read_tls(const toml::table* t, std::string_view origin, tls_config& out) {
  if (t == nullptr) return {};
  section_reader r(*t, "tls.", origin);
  LH_TRY(r.string("cert", out.cert));
  LH_TRY(r.string("key", out.key));
  auto sni = r.table("sni");
  if (!sni) return std::unexpected(sni.error());
  if (*sni != nullptr) {
    for (const auto& [name, node] : **sni) {
      const auto* entry = node.as_table();
      const std::string prefix = fmt::format("tls.sni.\"{}\".", name.str());
      if (entry == nullptr) {
        return fail(errc::invalid, fmt::format("{}: key '{}' must be a table with cert and key",
                                               origin, prefix.substr(0, prefix.size() - 1)));
      }
      section_reader er(*entry, prefix, origin);
      certificate_files files;
      LH_TRY(er.string("cert", files.cert));
      LH_TRY(er.string("key", files.key));
      LH_TRY(er.no_unknown_keys());
      if (files.cert.empty() || files.key.empty()) {
        return fail(errc::invalid, fmt::format("{}: '{}' needs both cert and key", origin, prefix));
      }
      std::string lower(name.str());
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.sni[lower] = std::move(files);
    }
  }
  LH_TRY(r.no_unknown_keys());
  if (out.cert.empty() != out.key.empty()) {
    return fail(errc::invalid, fmt::format("{}: [tls] needs both cert and key, or neither", origin));
  }
  return {};
}

result<void> read_limits(const toml::table* t, std::string_view origin, limits& out) {
  if (t == nullptr) return {};
  section_reader r(*t, "limits.", origin);
  LH_TRY(r.integer("message_size", out.message_size, 1024, std::int64_t{1} << 40));
  LH_TRY(r.integer("recipients", out.recipients, 1, 100000));
  LH_TRY(r.integer("line_length", out.line_length, 512, 65536));
  LH_TRY(r.integer("errors", out.errors, 1, 1000));
  LH_TRY(r.integer("connections", out.connections, 1, 1000000));
  LH_TRY(r.integer("connections_per_ip", out.connections_per_ip, 1, 1000000));
  LH_TRY(r.integer("header_count", out.header_count, 10, 1000000));
  LH_TRY(r.integer("header_size", out.header_size, 1024, std::int64_t{1} << 30));
  LH_TRY(r.integer("mime_depth", out.mime_depth, 1, 10000));
  LH_TRY(r.integer("mime_parts", out.mime_parts, 1, 1000000));
  LH_TRY(r.seconds("command_timeout", out.command_timeout));
  LH_TRY(r.seconds("data_timeout", out.data_timeout));
  LH_TRY(r.seconds("shutdown_grace", out.shutdown_grace));
  LH_TRY(r.integer("smtp_connections_per_minute_per_ip", out.smtp_connections_per_minute_per_ip, 0, 10000000));
  LH_TRY(r.boolean("rate_limit_loopback", out.rate_limit_loopback));
  LH_TRY(r.integer("submission_external_per_hour", out.submission_external_per_hour, 0, 10000000));
  LH_TRY(r.boolean("freeze_on_limit", out.freeze_on_limit));
  return r.no_unknown_keys();
}

std::string resolve_relative(const std::string& value, const std::filesystem::path& base) {
  if (value.empty() || base.empty()) return value;
  const std::filesystem::path p(value);
  if (p.is_absolute()) return value;
  return (base / p).lexically_normal().string();
}

}  // namespace

result<host_port> parse_host_port(std::string_view text) {
  host_port out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(errc::invalid, fmt::format("'{}' is not [ADDRESS]:PORT", text));
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail(errc::invalid, fmt::format("'{}' is not ADDRESS:PORT", text));
    }
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port > 65535) {
    return fail(errc::invalid, fmt::format("'{}' has no valid port", text));
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

static result<void> read_filters(section_reader& r, std::string_view origin, config& c) {
  auto spam = r.table("spam");
  if (!spam) return std::unexpected(spam.error());
  if (*spam != nullptr) {
    section_reader sr(**spam, "spam.", origin);
    LH_TRY(sr.boolean("enabled", c.spam.enabled));
    LH_TRY(sr.number("junk_score", c.spam.junk_score, -1000, 1000));
    LH_TRY(sr.number("reject_score", c.spam.reject_score, -1000, 1000));
    LH_TRY(sr.boolean("add_headers", c.spam.add_headers));
    LH_TRY(sr.string_array("dnsbl", c.spam.dnsbl));
    LH_TRY(sr.string_array("uribl", c.spam.uribl));
    LH_TRY(sr.integer("max_uri_lookups", c.spam.max_uri_lookups, 0, 1000));
    LH_TRY(sr.boolean("bayes", c.spam.bayes));
    LH_TRY(sr.integer("bayes_min_spam", c.spam.bayes_min_spam, 1, 100000000));
    LH_TRY(sr.integer("bayes_min_ham", c.spam.bayes_min_ham, 1, 100000000));
    LH_TRY(sr.number("bayes_company_share", c.spam.bayes_company_share, 0, 1));
    LH_TRY(sr.integer("bayes_company_floor", c.spam.bayes_company_floor, 0, 100000000));
    LH_TRY(sr.string("rspamd", c.spam.rspamd));
    LH_TRY(sr.number("rspamd_weight", c.spam.rspamd_weight, -100, 100));
    LH_TRY(sr.boolean("rspamd_reject", c.spam.rspamd_reject));
    LH_TRY(sr.duration("rspamd_timeout", c.spam.rspamd_timeout, std::chrono::seconds(1), std::chrono::seconds(600)));
    auto rules = sr.table("rules");
    if (!rules) return std::unexpected(rules.error());
    if (*rules != nullptr) {
      section_reader rr(**rules, "spam.rules.", origin);
      for (const auto& [name, node] : **rules) {
        double weight = 0;
        LH_TRY(rr.number(name.str(), weight, -1000, 1000));
        c.spam.rules[std::string(name.str())] = weight;
      }
    }
    LH_TRY(sr.no_unknown_keys());
  }

  auto av = r.table("antivirus");
  if (!av) return std::unexpected(av.error());
  if (*av != nullptr) {
    section_reader ar(**av, "antivirus.", origin);
    LH_TRY(ar.string("clamd", c.antivirus.clamd));
    LH_TRY(ar.string("on_failure", c.antivirus.on_failure));
    LH_TRY(ar.duration("timeout", c.antivirus.timeout, std::chrono::seconds(1), std::chrono::seconds(3600)));
    LH_TRY(ar.integer("chunk_size", c.antivirus.chunk_size, 1024, 16 * 1024 * 1024));
    LH_TRY(ar.string("scan", c.antivirus.scan));
    if (c.antivirus.scan != "attachments" && c.antivirus.scan != "all") {
      return fail(errc::invalid, fmt::format("{}: key 'antivirus.scan' must be \"attachments\" or \"all\"", origin));
    }
    LH_TRY(ar.no_unknown_keys());
    const auto& addr = c.antivirus.clamd;
    if (!addr.empty() && !addr.starts_with("tcp://") && !addr.starts_with("unix:")) {
      return fail(errc::invalid, fmt::format("{}: key 'antivirus.clamd' must be \"tcp://HOST:PORT\" or "
                                             "\"unix:/path\", not \"{}\"", origin, addr));
    }
    if (addr.starts_with("tcp://") && !parse_host_port(std::string_view(addr).substr(6))) {
      return fail(errc::invalid, fmt::format("{}: key 'antivirus.clamd': '{}' has no HOST:PORT", origin, addr));
    }
    if (c.antivirus.on_failure != "tempfail" && c.antivirus.on_failure != "accept") {
      return fail(errc::invalid, fmt::format("{}: key 'antivirus.on_failure' must be \"tempfail\" or "
                                             "\"accept\", not \"{}\"", origin, c.antivirus.on_failure));
    }
  }

  auto att = r.table("attachments");
  if (!att) return std::unexpected(att.error());
  if (*att != nullptr) {
    section_reader tr(**att, "attachments.", origin);
    LH_TRY(tr.boolean("enabled", c.attachments.enabled));
    LH_TRY(tr.string_array("blocked_extensions", c.attachments.blocked_extensions));
    LH_TRY(tr.boolean("block_double_extensions", c.attachments.block_double_extensions));
    LH_TRY(tr.boolean("scan_archives", c.attachments.scan_archives));
    LH_TRY(tr.string("encrypted_archives", c.attachments.encrypted_archives));
    LH_TRY(tr.integer("archive_max_entries", c.attachments.archive_max_entries, 1, 1000000));
    LH_TRY(tr.integer("archive_max_depth", c.attachments.archive_max_depth, 0, 16));
    LH_TRY(tr.integer("archive_max_bytes", c.attachments.archive_max_bytes, 1024, std::int64_t{1} << 40));
    LH_TRY(tr.no_unknown_keys());
    if (c.attachments.encrypted_archives != "accept" && c.attachments.encrypted_archives != "refuse") {
      return fail(errc::invalid, fmt::format("{}: key 'attachments.encrypted_archives' must be \"accept\" or "
                                             "\"refuse\", not \"{}\"", origin, c.attachments.encrypted_archives));
    }
    for (auto& ext : c.attachments.blocked_extensions) {
      if (!ext.empty() && ext.front() == '.') ext.erase(0, 1);
      for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
  }
  return {};
}

static result<void> read_queue(const toml::table* t, std::string_view origin, queue_config& q) {
  if (t == nullptr) return {};
  using std::chrono::seconds;
  constexpr seconds day{86400};
  section_reader r(*t, "queue.", origin);
  LH_TRY(r.duration_array("retry_intervals", q.retry_intervals, seconds(1), 7 * day));
  LH_TRY(r.duration("max_age", q.max_age, seconds(1), 60 * day));
  LH_TRY(r.duration("delay_warning", q.delay_warning, seconds(1), 60 * day));
  LH_TRY(r.integer("concurrency", q.concurrency, 1, 10000));
  LH_TRY(r.integer("per_destination", q.per_destination, 1, 1000));
  LH_TRY(r.integer("max_recipients", q.max_recipients, 1, 10000));
  LH_TRY(r.integer("messages_per_connection", q.messages_per_connection, 1, 100000));
  LH_TRY(r.duration("idle_connection", q.idle_connection, seconds(1), seconds(3600)));
  LH_TRY(r.duration("lease", q.lease, seconds(2), day));
  LH_TRY(r.duration("poll_interval", q.poll_interval, seconds(1), seconds(3600)));
  LH_TRY(r.integer("mx_port", q.mx_port, 1, 65535));
  LH_TRY(r.string("tls_ca_file", q.tls_ca_file));
  LH_TRY(r.integer("mta_sts_port", q.mta_sts_port, 1, 65535));
  for (auto [key, field] : {std::pair{"connect_timeout", &q.connect_timeout},
                            {"greeting_timeout", &q.greeting_timeout},
                            {"command_timeout", &q.command_timeout},
                            {"mail_timeout", &q.mail_timeout},
                            {"rcpt_timeout", &q.rcpt_timeout},
                            {"data_init_timeout", &q.data_init_timeout},
                            {"data_block_timeout", &q.data_block_timeout},
                            {"data_end_timeout", &q.data_end_timeout}}) {
    LH_TRY(r.duration(key, *field, seconds(1), seconds(3600)));
  }
  return r.no_unknown_keys();
}

result<config> parse_config(std::string_view text, std::string_view origin) {
  // toml++ here is built with exceptions: parse errors arrive as toml::parse_error.
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& err) {
    return fail(errc::invalid, fmt::format("{}:{}:{}: {}", origin, err.source().begin.line,
                                           err.source().begin.column, err.description()));
  }
  config c;
  c.path = std::string(origin);
  section_reader r(root, "", origin);
  LH_TRY(r.string("hostname", c.hostname));
  LH_TRY(r.string("data_dir", c.data_dir));

  auto listen = r.table("listen");
  if (!listen) return std::unexpected(listen.error());
  LH_TRY(read_listen(*listen, origin, c.listen));

  auto tls = r.table("tls");
  if (!tls) return std::unexpected(tls.error());
  LH_TRY(read_tls(*tls, origin, c.tls));

  auto store = r.table("store");
  if (!store) return std::unexpected(store.error());
  if (*store != nullptr) {
    section_reader sr(**store, "store.", origin);
    LH_TRY(sr.string("backend", c.store.backend));
    LH_TRY(sr.string("url", c.store.url));
    LH_TRY(sr.string("blobs", c.store.blobs));
    LH_TRY(sr.no_unknown_keys());
    if (c.store.backend != "sqlite" && c.store.backend != "postgres") {
      return fail(errc::invalid, fmt::format("{}: key 'store.backend' must be \"sqlite\" or "
                                             "\"postgres\", not \"{}\"", origin, c.store.backend));
    }
    if (c.store.blobs != "directory" && c.store.blobs != "database") {
      return fail(errc::invalid, fmt::format("{}: key 'store.blobs' must be \"directory\" or "
                                             "\"database\", not \"{}\"", origin, c.store.blobs));
    }
    if (c.store.blobs == "database" && c.store.backend != "postgres") {
      return fail(errc::invalid, fmt::format("{}: key 'store.blobs' = \"database\" needs "
                                             "store.backend = \"postgres\"", origin));
    }
  }

  auto dns = r.table("dns");
  if (!dns) return std::unexpected(dns.error());
  if (*dns != nullptr) {
    section_reader dr(**dns, "dns.", origin);
    LH_TRY(dr.string_array("servers", c.dns.servers));
    LH_TRY(dr.string("trust_anchor", c.dns.trust_anchor));
    std::int64_t dns_timeout = c.dns.timeout.count();
    LH_TRY(dr.integer("timeout", dns_timeout, 1, 120));
    c.dns.timeout = std::chrono::seconds(dns_timeout);
    LH_TRY(dr.no_unknown_keys());
  }

  auto relay = r.table("relay");
  if (!relay) return std::unexpected(relay.error());
  if (*relay != nullptr) {
    section_reader rr(**relay, "relay.", origin);
    LH_TRY(rr.string("host", c.relay.host));
    LH_TRY(rr.string("user", c.relay.user));
    LH_TRY(rr.string("password", c.relay.password));
    LH_TRY(rr.string("tls", c.relay.tls));
    LH_TRY(rr.boolean("verify_certificate", c.relay.verify_certificate));
    LH_TRY(rr.no_unknown_keys());
    if (c.relay.tls != "starttls" && c.relay.tls != "tls" && c.relay.tls != "none") {
      return fail(errc::invalid, fmt::format("{}: key 'relay.tls' must be \"starttls\", \"tls\" or "
                                             "\"none\", not \"{}\"", origin, c.relay.tls));
    }
    if (!c.relay.host.empty()) {
      // "HOST" alone means port 25.
      const bool has_port = parse_host_port(c.relay.host).has_value();
      if (!has_port && !parse_host_port(c.relay.host + ":25")) {
        return fail(errc::invalid, fmt::format("{}: key 'relay.host' must be \"HOST\" or \"HOST:PORT\"", origin));
      }
    }
  }

  auto queue = r.table("queue");
  if (!queue) return std::unexpected(queue.error());
  LH_TRY(read_queue(*queue, origin, c.queue));

  auto smtp = r.table("smtp");
  if (!smtp) return std::unexpected(smtp.error());
  if (*smtp != nullptr) {
    section_reader sr(**smtp, "smtp.", origin);
    LH_TRY(sr.boolean("allow_plaintext_auth_on_loopback", c.smtp.allow_plaintext_auth_on_loopback));
    LH_TRY(sr.integer("max_received_headers", c.smtp.max_received_headers, 5, 1000));
    LH_TRY(sr.no_unknown_keys());
  }

  auto security = r.table("security");
  if (!security) return std::unexpected(security.error());
  if (*security != nullptr) {
    section_reader sr(**security, "security.", origin);
    LH_TRY(sr.integer("max_failures_per_ip", c.security.max_failures_per_ip, 1, 100000));
    LH_TRY(sr.integer("max_failures_per_account", c.security.max_failures_per_account, 1, 100000));
    LH_TRY(sr.duration("failure_window", c.security.failure_window, std::chrono::seconds(1),
                       std::chrono::seconds(86400)));
    LH_TRY(sr.duration("ip_block", c.security.ip_block, std::chrono::seconds(1), std::chrono::seconds(30 * 86400)));
    LH_TRY(sr.duration("account_block", c.security.account_block, std::chrono::seconds(1),
                       std::chrono::seconds(30 * 86400)));
    std::size_t max_delay_ms = static_cast<std::size_t>(c.security.max_delay.count());
    LH_TRY(sr.integer("max_delay_ms", max_delay_ms, 0, 60000));
    c.security.max_delay = std::chrono::milliseconds(max_delay_ms);
    LH_TRY(sr.boolean("new_network_mail", c.security.new_network_mail));
    LH_TRY(sr.string("secret_key_file", c.security.secret_key_file));
    LH_TRY(sr.no_unknown_keys());
  }

  auto http = r.table("http");
  if (!http) return std::unexpected(http.error());
  if (*http != nullptr) {
    section_reader hr(**http, "http.", origin);
    LH_TRY(hr.integer("header_size", c.http.header_size, 1024, 1024 * 1024));
    LH_TRY(hr.integer("body_size", c.http.body_size, 1024, std::int64_t{1} << 30));
    LH_TRY(hr.seconds("request_timeout", c.http.request_timeout));
    LH_TRY(hr.seconds("idle_timeout", c.http.idle_timeout));
    LH_TRY(hr.integer("keepalive_requests", c.http.keepalive_requests, 1, 1000000));
    LH_TRY(hr.string("metrics", c.http.metrics));
    LH_TRY(hr.string("mta_sts_mode", c.http.mta_sts_mode));
    LH_TRY(hr.no_unknown_keys());
    if (c.http.mta_sts_mode != "none" && c.http.mta_sts_mode != "testing" && c.http.mta_sts_mode != "enforce") {
      return fail(errc::invalid, fmt::format("{}: key 'http.mta_sts_mode' must be \"none\", \"testing\" "
                                             "or \"enforce\", not \"{}\"", origin, c.http.mta_sts_mode));
    }
    if (c.http.metrics != "off" && c.http.metrics != "loopback" && c.http.metrics != "anyone") {
      return fail(errc::invalid, fmt::format("{}: key 'http.metrics' must be \"off\", \"loopback\" "
                                             "or \"anyone\", not \"{}\"", origin, c.http.metrics));
    }
  }

  auto autoconfig = r.table("autoconfig");
  if (!autoconfig) return std::unexpected(autoconfig.error());
  if (*autoconfig != nullptr) {
    section_reader ar(**autoconfig, "autoconfig.", origin);
    LH_TRY(ar.integer("imap_port", c.autoconfig.imap_port, 1, 65535));
    LH_TRY(ar.integer("imaps_port", c.autoconfig.imaps_port, 1, 65535));
    LH_TRY(ar.integer("pop3_port", c.autoconfig.pop3_port, 1, 65535));
    LH_TRY(ar.integer("pop3s_port", c.autoconfig.pop3s_port, 1, 65535));
    LH_TRY(ar.integer("submission_port", c.autoconfig.submission_port, 1, 65535));
    LH_TRY(ar.integer("submissions_port", c.autoconfig.submissions_port, 1, 65535));
    LH_TRY(ar.no_unknown_keys());
  }

  LH_TRY(read_filters(r, origin, c));

  auto auth = r.table("auth");
  if (!auth) return std::unexpected(auth.error());
  if (*auth != nullptr) {
    section_reader ar(**auth, "auth.", origin);
    LH_TRY(ar.boolean("enabled", c.auth.enabled));
    LH_TRY(ar.string("authserv_id", c.auth.authserv_id));
    LH_TRY(ar.boolean("trust_loopback", c.auth.trust_loopback));
    LH_TRY(ar.string("on_temperror", c.auth.on_temperror));
    LH_TRY(ar.string("public_suffix_list", c.auth.public_suffix_list));
    LH_TRY(ar.no_unknown_keys());
    if (c.auth.on_temperror != "defer" && c.auth.on_temperror != "accept") {
      return fail(errc::invalid, fmt::format("{}: key 'auth.on_temperror' must be \"defer\" or \"accept\", "
                                             "not \"{}\"", origin, c.auth.on_temperror));
    }
  }

  auto imp = r.table("impersonation");
  if (!imp) return std::unexpected(imp.error());
  if (*imp != nullptr) {
    section_reader ir(**imp, "impersonation.", origin);
    LH_TRY(ir.boolean("enabled", c.impersonation.enabled));
    LH_TRY(ir.boolean("banner", c.impersonation.banner));
    LH_TRY(ir.duration("refresh", c.impersonation.refresh, std::chrono::seconds(1), std::chrono::seconds(86400)));
    LH_TRY(ir.no_unknown_keys());
  }

  auto grey = r.table("greylist");
  if (!grey) return std::unexpected(grey.error());
  if (*grey != nullptr) {
    section_reader gr(**grey, "greylist.", origin);
    LH_TRY(gr.boolean("enabled", c.greylist.enabled));
    LH_TRY(gr.duration("delay", c.greylist.delay, std::chrono::seconds(1), std::chrono::seconds(86400)));
    LH_TRY(gr.duration("expiry", c.greylist.expiry, std::chrono::seconds(60), std::chrono::seconds(400 * 86400)));
    LH_TRY(gr.duration("retry_window", c.greylist.retry_window, std::chrono::seconds(60),
                       std::chrono::seconds(30 * 86400)));
    LH_TRY(gr.no_unknown_keys());
  }

  auto fwd = r.table("forwarding");
  if (!fwd) return std::unexpected(fwd.error());
  if (*fwd != nullptr) {
    section_reader fr(**fwd, "forwarding.", origin);
    LH_TRY(fr.boolean("srs", c.forwarding.srs));
    LH_TRY(fr.string("srs_domain", c.forwarding.srs_domain));
    LH_TRY(fr.duration("srs_max_age", c.forwarding.srs_max_age, std::chrono::seconds(86400),
                       std::chrono::seconds(1000 * 86400)));
    LH_TRY(fr.boolean("arc_seal", c.forwarding.arc_seal));
    LH_TRY(fr.no_unknown_keys());
  }

  auto proxy = r.table("proxy");
  if (!proxy) return std::unexpected(proxy.error());
  if (*proxy != nullptr) {
    section_reader pr(**proxy, "proxy.", origin);
    LH_TRY(pr.string_array("listeners", c.proxy.listeners));
    LH_TRY(pr.string_array("trusted", c.proxy.trusted));
    LH_TRY(pr.duration("timeout", c.proxy.timeout, std::chrono::seconds(1), std::chrono::seconds(300)));
    LH_TRY(pr.no_unknown_keys());
    static const std::set<std::string> names{"smtp",  "submission", "submissions", "imap", "imaps",
                                             "pop3",  "pop3s",      "http",        "https"};
    for (const auto& name : c.proxy.listeners) {
      if (!names.contains(name)) {
        return fail(errc::invalid, fmt::format("{}: key 'proxy.listeners': '{}' is not a listener name "
                                               "(smtp, submission, submissions, imap, imaps, pop3, pop3s, "
                                               "http, https)", origin, name));
      }
    }
    for (const auto& net : c.proxy.trusted) {
      if (auto n = parse_ip_network(net); !n) {
        return fail(errc::invalid, fmt::format("{}: key 'proxy.trusted': {}", origin, n.error().message));
      }
    }
    // A PROXY listener with nobody allowed to use it would refuse every connection.
    if (!c.proxy.listeners.empty() && c.proxy.trusted.empty()) {
      return fail(errc::invalid, fmt::format("{}: key 'proxy.trusted' must list the proxies' addresses "
                                             "when 'proxy.listeners' is set", origin));
    }
  }

  auto limits = r.table("limits");
  if (!limits) return std::unexpected(limits.error());
  LH_TRY(read_limits(*limits, origin, c.limits));

  auto log = r.table("log");
  if (!log) return std::unexpected(log.error());
  if (*log != nullptr) {
    section_reader lr(**log, "log.", origin);
    LH_TRY(lr.string("level", c.log.level));
    LH_TRY(lr.no_unknown_keys());
    static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error"};
    if (!levels.contains(c.log.level)) {
      return fail(errc::invalid, fmt::format("{}: key 'log.level' must be one of trace, debug, "
                                             "info, warn, error", origin));
    }
  }

  auto runtime = r.table("runtime");
  if (!runtime) return std::unexpected(runtime.error());
  if (*runtime != nullptr) {
    section_reader rr(**runtime, "runtime.", origin);
    LH_TRY(rr.integer("io_threads", c.runtime.io_threads, 0, 256));
    LH_TRY(rr.integer("blocking_threads", c.runtime.blocking_threads, 0, 1024));
    LH_TRY(rr.no_unknown_keys());
  }

  LH_TRY(r.no_unknown_keys());
  if (c.hostname.empty()) {
    return fail(errc::invalid, fmt::format("{}: key 'hostname' must not be empty", origin));
  }
  return c;
}

result<config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(errc::not_found, fmt::format("cannot read config file '{}'", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto c = parse_config(text.str(), path);
  if (!c) return c;
  const auto base = std::filesystem::absolute(path).parent_path();
  c->data_dir = resolve_relative(c->data_dir, base);
  c->tls.cert = resolve_relative(c->tls.cert, base);
  c->tls.key = resolve_relative(c->tls.key, base);
  for (auto& [name, files] : c->tls.sni) {
    files.cert = resolve_relative(files.cert, base);
    files.key = resolve_relative(files.key, base);
  }
  return c;
}

}  // namespace letterhead::core
