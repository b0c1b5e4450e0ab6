#pragma once
// letterhead.toml: every key optional with a default (DESIGN.md "Configuration").
// Unknown keys and wrong types are errors that name the key, so that a typo never
// silently leaves a default in force.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/limits.hpp"

namespace letterhead::core {

struct listen_config {
  // "ADDRESS:PORT" or "[IPv6]:PORT"; absent = that listener is off.
  std::optional<std::string> smtp, submission, submissions, imap, imaps, pop3, pop3s, http, https;
};

struct certificate_files {
  std::string cert;
  std::string key;
};

struct tls_config {
  std::string cert;  // PEM chain; empty = self-signed pair generated in data_dir/tls/
  std::string key;
  // [tls.sni."mail.example.org"] cert = ..., key = ...: certificates chosen by SNI.
  std::map<std::string, certificate_files> sni;
};

struct store_config {
  std::string backend = "sqlite";
  std::string url;
  // Where message bodies live: "directory" (<data_dir>/blobs; shared by every node of
  // a cluster) or "database" (in PostgreSQL, so nodes need no shared filesystem).
  std::string blobs = "directory";
};

struct dns_config {
  std::vector<std::string> servers;  // empty = system resolver
  std::string trust_anchor;          // DNSSEC trust anchor file; empty = no validation
  std::chrono::seconds timeout{10};  // bound on one lookup
};

// [relay]: a smarthost that takes all outbound mail.
struct relay_config {
  std::string host;  // "HOST:PORT" (port 25 when absent); empty = direct MX delivery
  std::string user;  // AUTH (RFC 4954) when not empty
  std::string password;
  std::string tls = "starttls";  // "starttls" (required), "tls" (implicit, port 465) or "none"
  // Check the smarthost's certificate against its name and the system's CAs.
  bool verify_certificate = true;
};

// [queue]: the outbound queue and its SMTP client. Durations are seconds, or strings
// with a unit: "90s", "5m", "4h", "5d".
struct queue_config {
  // Wait after the 1st, 2nd, ... failed attempt; the last one repeats.
  std::vector<std::chrono::seconds> retry_intervals{
      std::chrono::minutes(5),  std::chrono::minutes(10), std::chrono::minutes(20),
      std::chrono::minutes(40), std::chrono::hours(1),    std::chrono::hours(2),
      std::chrono::hours(4),    std::chrono::hours(8)};
  std::chrono::seconds max_age{std::chrono::hours(24 * 5)};  // then bounce
  std::chrono::seconds delay_warning{std::chrono::hours(4)};  // then warn the sender
  std::size_t concurrency = 50;       // messages in delivery at once
  std::size_t per_destination = 5;    // connections to one destination at once
  std::size_t max_recipients = 100;   // RCPT per transaction (RFC 5321 §4.5.3.1.8)
  std::size_t messages_per_connection = 100;
  std::chrono::seconds idle_connection{10};  // how long an idle connection is kept for reuse
  std::chrono::seconds lease{600};     // how long a worker owns an entry it claimed
  std::chrono::seconds poll_interval{30};  // look for due entries at least this often
  std::uint16_t mx_port = 25;          // port of MX hosts (tests point it elsewhere)
  // Outbound TLS policies: extra CA certificates (PEM) for verified MX connections
  // (MTA-STS) and policy fetches, beside the system's; the HTTPS port of MTA-STS
  // policy hosts (tests point it elsewhere).
  std::string tls_ca_file;
  std::uint16_t mta_sts_port = 443;
  // RFC 5321 §4.5.3.2 timeouts of the client.
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds greeting_timeout{300};
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds mail_timeout{300};
  std::chrono::seconds rcpt_timeout{300};
  std::chrono::seconds data_init_timeout{120};
  std::chrono::seconds data_block_timeout{180};
  std::chrono::seconds data_end_timeout{600};
};

struct smtp_config {
  // Lets AUTH run without TLS on loopback connections: for tests and demos only.
  bool allow_plaintext_auth_on_loopback = false;
  // Largest number of Received headers before a message is taken as a loop
  // (RFC 5321 §6.3).
  std::size_t max_received_headers = 50;
};

// [security]: brute-force limits and account security notices (issue 6;
// directory/security.hpp explains the rules).
struct security_config {
  std::uint32_t max_failures_per_ip = 30;
  std::uint32_t max_failures_per_account = 5;   // per client IP and account
  std::chrono::seconds failure_window{900};
  std::chrono::seconds ip_block{3600};
  std::chrono::seconds account_block{900};
  std::chrono::milliseconds max_delay{3000};    // longest wait before answering a failure
  bool new_network_mail = true;
  // 32 random bytes that seal TOTP seeds in the store; made on first use. Empty
  // means <data_dir>/secret.key. Every node of a cluster needs the same file.
  std::string secret_key_file;
};

// [http]: the HTTP listeners (autoconfig, /metrics; later JMAP and the admin API).
struct http_config {
  // Largest request line plus header fields (RFC 9110 §15.5.20: 431 beyond).
  std::size_t header_size = 16 * 1024;
  // Largest request body (RFC 9110 §15.5.14: 413 beyond).
  std::size_t body_size = 1024 * 1024;
  // Time allowed to receive one whole request, from its first byte (or the
  // connection) to its last; a slow sender is answered 408 and closed.
  std::chrono::seconds request_timeout{30};
  // Time an idle keep-alive connection waits for the next request.
  std::chrono::seconds idle_timeout{15};
  // Requests served on one connection before it is closed (RFC 9112 §9.3).
  std::size_t keepalive_requests = 100;
  // Who may read /metrics: "off", "loopback" (127.0.0.0/8 and ::1) or "anyone".
  std::string metrics = "loopback";
  // Our MTA-STS policy's mode (RFC 8461 §5), served at mta-sts.DOMAIN: "none",
  // "testing" or "enforce".
  std::string mta_sts_mode = "testing";
};

// [autoconfig]: the ports mail clients are told to use. They are the public ports,
// which may differ from [listen] (a proxy or NAT in front, or test ports).
struct autoconfig_config {
  std::uint16_t imap_port = 143;
  std::uint16_t imaps_port = 993;
  std::uint16_t pop3_port = 110;
  std::uint16_t pop3s_port = 995;
  std::uint16_t submission_port = 587;
  std::uint16_t submissions_port = 465;
};

// [spam]: the scoring engine of filter/scoring.hpp, run on the MX. Rules score a
// message; the sum decides: headers only, Junk mailbox, or refusal at DATA.
struct spam_config {
  bool enabled = true;
  double junk_score = 6.0;     // at or above: delivered into the recipients' Junk mailbox
  double reject_score = 15.0;  // at or above: refused at DATA with 550 5.7.1; 0 = never
  bool add_headers = true;     // X-Spam-Status, X-Spam-Score, X-Spam-Flag
  // DNS blocklists asked with the client's reversed IP ("zen.spamhaus.org"), and
  // domain blocklists asked with the domains of URLs in the body ("dbl.spamhaus.org").
  // Empty by default: public blocklists refuse queries relayed by public resolvers.
  std::vector<std::string> dnsbl;
  std::vector<std::string> uribl;
  std::size_t max_uri_lookups = 20;  // distinct domains asked per message
  // The Bayesian classifier (filter/bayes.hpp), trained by users moving mail into
  // and out of Junk; a scope (company or user) votes once it holds this many
  // trained messages of each class.
  bool bayes = true;
  std::size_t bayes_min_spam = 200;
  std::size_t bayes_min_ham = 200;
  // One user's Junk moves count in the company's tables only while that user's
  // messages there are fewer than max(floor, share × the company's total) per class
  // (store::bayes_company_limit); share 1 lifts the limit.
  double bayes_company_share = 0.25;
  std::size_t bayes_company_floor = 50;
  // rspamd asked over HTTP (filter/rspamd.hpp): "http://127.0.0.1:11333"; empty = off.
  std::string rspamd;
  double rspamd_weight = 1.0;               // RSPAMD points = rspamd's score × this
  bool rspamd_reject = false;               // rspamd's "reject" action refuses at DATA
  std::chrono::seconds rspamd_timeout{10};  // bound on one whole request
  // [spam.rules] NAME = weight: overrides of the built-in weights (filter/README.md).
  std::map<std::string, double> rules;
};

// [antivirus]: clamd over its INSTREAM protocol (filter/clamav.hpp), MX and submission.
struct antivirus_config {
  std::string clamd;                  // "tcp://HOST:PORT" or "unix:/path"; empty = off
  std::string on_failure = "tempfail";  // clamd unreachable: "tempfail" (451) or "accept" (tagged)
  std::chrono::seconds timeout{30};   // bound on one whole scan
  std::size_t chunk_size = 64 * 1024;  // INSTREAM chunk length
  // "attachments": messages that are only inline plain text are not sent to clamd
  // (filter/virus_scope.hpp); "all": every message is.
  std::string scan = "attachments";
};

// [attachments]: blocked file types (filter/attachments.hpp), MX and submission.
struct attachments_config {
  bool enabled = true;
  // Extensions without the dot, lower case; a file whose last extension is one of these
  // is refused, also inside archives.
  std::vector<std::string> blocked_extensions{
      "exe", "scr", "com", "pif", "bat", "cmd", "vbs", "vbe", "js",  "jse", "wsf", "wsh", "hta",
      "jar", "msi", "msp", "cpl", "lnk", "ps1", "psm1", "reg", "scf", "application", "gadget",
      "msc", "iso", "img", "vhd", "vhdx", "dll", "sys", "chm", "inf", "docm", "xlsm", "pptm"};
  bool block_double_extensions = true;  // "invoice.pdf.exe" style names
  bool scan_archives = true;            // look inside zip, 7z, rar, tar, gzip
  std::string encrypted_archives = "accept";  // "accept" (noted in a header) or "refuse"
  std::size_t archive_max_entries = 1000;
  std::size_t archive_max_depth = 3;           // archives inside archives
  std::uint64_t archive_max_bytes = 100 * 1024 * 1024;  // decompressed bytes read per message
};

// [auth]: authentication of mail arriving at the MX (issue 5; app/inbound_auth.hpp
// explains the verdicts).
struct auth_config {
  bool enabled = true;
  std::string authserv_id;  // RFC 8601 authserv-id; empty = hostname
  // Mail from 127.0.0.0/8 and ::1 (local scripts, a content filter) is not judged.
  bool trust_loopback = true;
  // A DNS failure that leaves the verdict open: "defer" (451 4.4.3) or "accept".
  std::string on_temperror = "defer";
  std::string public_suffix_list = "/usr/share/publicsuffix/public_suffix_list.dat";
};

// [impersonation]: warnings on outside mail that imitates a colleague's name or one
// of our domains (filter/impersonation.hpp), on the MX.
struct impersonation_config {
  bool enabled = true;
  bool banner = false;  // also prepend a zh + en text part (the message becomes multipart/mixed)
  std::chrono::seconds refresh{60};  // how long the employee list is reused
};

// [greylist]: RFC 6647 greylisting at RCPT on the MX (off by default).
struct greylist_config {
  bool enabled = false;
  std::chrono::seconds delay{300};              // a new triplet is deferred this long
  std::chrono::seconds expiry{60 * 60 * 24 * 36};  // a triplet unseen this long is forgotten
  std::chrono::seconds retry_window{60 * 60 * 24};  // a first retry must come within this
};

// [forwarding]: mail our aliases, forwards and lists send on to outside addresses
// (delivery/forwarding.hpp): SRS for the envelope sender, an ARC seal on the message.
struct forwarding_config {
  bool srs = true;                // rewrite outside senders (SRS0/SRS1) so SPF passes
  std::string srs_domain;         // the SRS addresses' domain; empty = the forwarding domain
  std::chrono::seconds srs_max_age{21 * 86400};  // older SRS addresses are refused
  bool arc_seal = true;           // RFC 8617 ARC set with the forwarding domain's DKIM key
};

// [proxy]: the PROXY protocol (HAProxy's v1 and v2) on chosen listeners, for nodes
// behind a load balancer (core/proxy_protocol.hpp). Off while `listeners` is empty.
struct proxy_config {
  // Listener names ("smtp", "submission", "submissions", "imap", "imaps", "pop3",
  // "pop3s", "http", "https") that expect a PROXY header before anything else.
  std::vector<std::string> listeners;
  // CIDRs ("10.0.0.0/8", "::1/128") of the proxies allowed to send it; a connection
  // from elsewhere on such a listener is closed.
  std::vector<std::string> trusted;
  std::chrono::seconds timeout{10};  // bound on receiving the header
};

struct log_config {
  std::string level = "info";  // trace, debug, info, warn, error
};

struct runtime_config {
  unsigned io_threads = 0;        // 0 = one per core
  unsigned blocking_threads = 0;  // 0 = max(32, 8 per core)
};

struct config {
  std::string path;      // the file this came from, for messages
  std::string hostname = "localhost";
  std::string data_dir = "./data";
  listen_config listen;
  tls_config tls;
  store_config store;
  dns_config dns;
  relay_config relay;
  queue_config queue;
  smtp_config smtp;
  security_config security;
  http_config http;
  autoconfig_config autoconfig;
  auth_config auth;
  spam_config spam;
  antivirus_config antivirus;
  attachments_config attachments;
  impersonation_config impersonation;
  greylist_config greylist;
  forwarding_config forwarding;
  proxy_config proxy;
  limits limits;
  log_config log;
  runtime_config runtime;
};

// Parses TOML text; `origin` names the source in error messages.
[[nodiscard]] result<config> parse_config(std::string_view text, std::string_view origin);

// Reads and parses a file. Relative paths inside (data_dir, tls files) are taken
// relative to the file's directory.
[[nodiscard]] result<config> load_config(const std::string& path);

// Splits "host:port" / "[v6]:port" into host and port.
struct host_port {
  std::string host;
  std::uint16_t port = 0;
};
[[nodiscard]] result<host_port> parse_host_port(std::string_view text);

}  // namespace letterhead::core
