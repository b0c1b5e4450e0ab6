// DKIM signing and verification: the RFC 8463 Appendix A vectors, round trips with
// generated keys, and every way a signature can go wrong.
#include <gtest/gtest.h>

#include <map>

#include "mailauth/canonicalization.hpp"
#include "mailauth/crypto.hpp"
#include "mailauth/dkim_key_record.hpp"
#include "mailauth/dkim_sign.hpp"
#include "mailauth/dkim_signature.hpp"
#include "mailauth/dkim_verify.hpp"
#include "mailauth/tag_list.hpp"

namespace letterhead::mailauth {
namespace {

// RFC 8463 Appendix A: keys (A.1, A.2) and the message signed by both (A.3).
constexpr std::string_view rfc8463_ed25519_seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
constexpr std::string_view rfc8463_brisbane = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
constexpr std::string_view rfc8463_test =
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQ"
    "iY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+"
    "2kryOTIKT+l/K4w3QIDAQAB";
constexpr std::string_view rfc8463_unsigned =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";
constexpr std::string_view rfc8463_signatures =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
    " date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n";

// A PKCS#8 PEM of an Ed25519 seed (RFC 8410 §7: a fixed 16-byte prefix, then the seed).
std::string ed25519_pem(std::string_view seed_b64) {
  std::string der("\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16);
  der += *base64_decode(seed_b64);
  return "-----BEGIN PRIVATE KEY-----\n" + base64_encode(der) + "\n-----END PRIVATE KEY-----\n";
}

struct fake_dns {
  std::map<std::string, txt_answer> zone;
  int lookups = 0;

  void add(const std::string& name, std::string_view record) {
    auto& a = zone[name];
    a.result = txt_answer::status::ok;
    a.records.emplace_back(record);
  }
  txt_lookup fn() {
    return [this](std::string_view name) {
      ++lookups;
      auto it = zone.find(std::string(name));
      if (it == zone.end()) return txt_answer{txt_answer::status::not_found, {}, "NXDOMAIN"};
      return it->second;
    };
  }
};

verify_options at(std::int64_t now) {
  verify_options o;
  o.now = now;
  return o;
}

TEST(DkimRfc8463, BothSignaturesVerify) {
  fake_dns dns;
  dns.add("brisbane._domainkey.football.example.com", rfc8463_brisbane);
  dns.add("test._domainkey.football.example.com", rfc8463_test);
  const std::string msg = std::string(rfc8463_signatures) + std::string(rfc8463_unsigned);
  const auto v = verify_dkim(msg, dns.fn(), at(1528637909 + 60));
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_EQ(v.signatures[0].result, dkim_result::pass) << v.signatures[0].reason;
  EXPECT_EQ(v.signatures[0].algorithm, "ed25519-sha256");
  EXPECT_EQ(v.signatures[0].key_bits, 256u);
  EXPECT_EQ(v.signatures[1].result, dkim_result::pass) << v.signatures[1].reason;
  EXPECT_EQ(v.signatures[1].key_bits, 1024u);
  EXPECT_EQ(v.signatures[1].selector, "test");
  EXPECT_EQ(v.signatures[1].identity, "@football.example.com");
  EXPECT_TRUE(v.any_pass());
  EXPECT_EQ(format_result(v.signatures[0]),
            "dkim=pass (256-bit key) header.d=football.example.com header.i=\"@football.example.com\" "
            "header.s=brisbane header.a=ed25519-sha256 header.b=\"/gCrinpc\"");
  // The same with LF line ends.
  std::string lf;
  for (char c : msg) {
    if (c != '\r') lf.push_back(c);
  }
  const auto v2 = verify_dkim(lf, dns.fn(), at(1528637909 + 60));
  EXPECT_EQ(v2.signatures[0].result, dkim_result::pass);
  EXPECT_EQ(v2.signatures[1].result, dkim_result::pass);
}

TEST(DkimRfc8463, TamperingFails) {
  fake_dns dns;
  dns.add("brisbane._domainkey.football.example.com", rfc8463_brisbane);
  dns.add("test._domainkey.football.example.com", rfc8463_test);
  std::string msg = std::string(rfc8463_signatures) + std::string(rfc8463_unsigned);
  std::string body_changed = msg;
  body_changed.replace(body_changed.find("hungry"), 6, "HUNGRY");
  auto v = verify_dkim(body_changed, dns.fn(), at(1528637909));
  EXPECT_EQ(v.signatures[0].result, dkim_result::fail);
  EXPECT_EQ(v.signatures[0].reason, "body hash did not verify");
  EXPECT_EQ(v.signatures[1].result, dkim_result::fail);

  std::string subject_changed = msg;
  subject_changed.replace(subject_changed.find("dinner"), 6, "supper");
  v = verify_dkim(subject_changed, dns.fn(), at(1528637909));
  EXPECT_EQ(v.signatures[0].result, dkim_result::fail);
  EXPECT_EQ(v.signatures[0].reason, "signature did not verify");
  EXPECT_EQ(v.signatures[1].result, dkim_result::fail);

  // Relaxed canonicalization tolerates re-folding and whitespace changes.
  std::string refolded = msg;
  refolded.replace(refolded.find("Subject: Is dinner"), 18, "Subject:   Is\r\n  dinner");
  refolded.replace(refolded.find("game.  Are"), 10, "game. \t Are");
  v = verify_dkim(refolded, dns.fn(), at(1528637909));
  EXPECT_EQ(v.signatures[0].result, dkim_result::pass) << v.signatures[0].reason;
  EXPECT_EQ(v.signatures[1].result, dkim_result::pass) << v.signatures[1].reason;

  // Over-signed From and Subject: a second Subject breaks both.
  v = verify_dkim("Subject: free money\r\n" + msg, dns.fn(), at(1528637909));
  EXPECT_EQ(v.signatures[0].result, dkim_result::fail);
}

TEST(DkimRfc8463, OurSignerWithTheRfcKey) {
  auto signer = dkim_signer::create({{"football.example.com", "brisbane", ed25519_pem(rfc8463_ed25519_seed)}});
  ASSERT_TRUE(signer) << signer.error().message;
  auto fields = signer->sign(rfc8463_unsigned, 1528637909);
  ASSERT_TRUE(fields) << fields.error().message;
  EXPECT_NE(fields->find("bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;"), std::string::npos) << *fields;
  fake_dns dns;
  dns.add("brisbane._domainkey.football.example.com", rfc8463_brisbane);
  const auto v = verify_dkim(*fields + std::string(rfc8463_unsigned), dns.fn(), at(1528637909));
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_EQ(v.signatures[0].result, dkim_result::pass) << v.signatures[0].reason;
  // The public key derived from the seed is the one published in A.2.
  auto pk = private_key::from_pem(ed25519_pem(rfc8463_ed25519_seed));
  ASSERT_TRUE(pk);
  EXPECT_EQ(pk->public_key_base64(), "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
}

// Generated keys, shared by the tests below (RSA generation takes a while).
struct keys {
  generated_key rsa = *generate_key(key_type::rsa);
  generated_key ed = *generate_key(key_type::ed25519);
  generated_key rsa512 = *generate_key(key_type::rsa, 512);
};
const keys& test_keys() {
  static const keys k;
  return k;
}

fake_dns example_dns() {
  fake_dns dns;
  dns.add("r1._domainkey.example.com", format_dkim_key_record(key_type::rsa, test_keys().rsa.public_key));
  dns.add("e1._domainkey.example.com", format_dkim_key_record(key_type::ed25519, test_keys().ed.public_key));
  return dns;
}

dkim_signer example_signer(sign_options o = {}) {
  auto s = dkim_signer::create({{"Example.COM", "e1", test_keys().ed.private_key_pem},
                                {"example.com", "r1", test_keys().rsa.private_key_pem}},
                               std::move(o));
  EXPECT_TRUE(s) << s.error().message;
  return std::move(*s);
}

constexpr std::string_view message =
    "Received: from somewhere\r\n"
    "From: =?UTF-8?B?5byg5Lyf?= <zhang.wei@example.com>\r\n"
    "To: Someone <someone@example.net>,\r\n"
    "  Other <other@example.net>\r\n"
    "Subject: \xe5\x91\xa8\xe6\x8a\xa5 weekly report   \r\n"
    "Date: Sun, 29 Nov 2026 10:00:00 +0800\r\n"
    "Message-ID: <abc@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello  \r\n"
    "\r\n"
    "\xe4\xbd\xa0\xe5\xa5\xbd\r\n"
    "\r\n\r\n";

TEST(Dkim, SignAndVerifyBothAlgorithms) {
  const auto signer = example_signer();
  auto fields = signer.sign(message, 1800000000);
  ASSERT_TRUE(fields) << fields.error().message;
  auto dns = example_dns();
  const auto v = verify_dkim(*fields + std::string(message), dns.fn(), at(1800000000));
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_EQ(v.signatures[0].result, dkim_result::pass) << v.signatures[0].reason;
  EXPECT_EQ(v.signatures[0].algorithm, "ed25519-sha256");
  EXPECT_EQ(v.signatures[1].result, dkim_result::pass) << v.signatures[1].reason;
  EXPECT_EQ(v.signatures[1].key_bits, 2048u);
  EXPECT_EQ(v.signatures[1].domain, "example.com");
}

TEST(Dkim, SignatureFieldShape) {
  const auto signer = example_signer();
  auto fields = signer.sign(message, 1800000000);
  ASSERT_TRUE(fields);
  ASSERT_GE(fields->size(), 2u);
  EXPECT_EQ(fields->substr(fields->size() - 2), "\r\n");
  std::size_t pos = 0;
  int field_count = 0;
  while (pos < fields->size()) {
    const std::size_t eol = fields->find("\r\n", pos);
    ASSERT_NE(eol, std::string::npos);
    const std::string line = fields->substr(pos, eol - pos);
    EXPECT_LT(line.size(), 78u) << line;
    EXPECT_EQ(line.find('\n'), std::string::npos);
    if (line.starts_with("DKIM-Signature:")) ++field_count;
    else EXPECT_EQ(line[0], ' ') << line;
    pos = eol + 2;
  }
  EXPECT_EQ(field_count, 2);
  // Parse the first field back.
  const std::string header = *fields + "\r\n";
  const auto parts = split_message(header);
  ASSERT_EQ(parts.fields.size(), 2u);
  auto sig = parse_dkim_signature(parts.fields[0].raw.substr(15));
  ASSERT_TRUE(sig) << sig.error().reason;
  EXPECT_EQ(sig->canon.header, canon::relaxed);
  EXPECT_EQ(sig->canon.body, canon::relaxed);
  EXPECT_EQ(sig->timestamp, 1800000000);
  EXPECT_FALSE(sig->expiration);
  EXPECT_EQ(sig->selector, "e1");
  EXPECT_EQ(sig->domain, "example.com");
  // From over-signed: listed once more than it occurs. Received is not signed.
  std::vector<std::string> expect = {"from", "from", "subject", "date", "message-id", "to", "mime-version",
                                     "content-type"};
  EXPECT_EQ(sig->signed_headers, expect);
}

TEST(Dkim, ExpirationOption) {
  sign_options o;
  o.expire_after = 3600;
  const auto signer = example_signer(o);
  auto fields = signer.sign(message, 1800000000);
  ASSERT_TRUE(fields);
  EXPECT_NE(fields->find("x=1800003600;"), std::string::npos);
  auto dns = example_dns();
  auto v = verify_dkim(*fields + std::string(message), dns.fn(), at(1800003000));
  EXPECT_EQ(v.signatures[0].result, dkim_result::pass);
  v = verify_dkim(*fields + std::string(message), dns.fn(), at(1800003601));
  EXPECT_EQ(v.signatures[0].result, dkim_result::permerror);
  EXPECT_EQ(v.signatures[0].reason, "signature expired");
}

TEST(Dkim, AddedFromBreaksTheSignature) {
  const auto signer = example_signer();
  const std::string fields = *signer.sign(message, 1800000000);
  auto dns = example_dns();
  // Added below the original From: the over-signed "from" now selects it.
  std::string added = fields + std::string(message);
  added.insert(added.find("To: Someone"), "From: ceo@example.com\r\n");
  auto v = verify_dkim(added, dns.fn(), at(1800000000));
  EXPECT_EQ(v.signatures[0].result, dkim_result::permerror);
  EXPECT_EQ(v.signatures[0].reason, "message has more than one From field");
  // A From replaced outright.
  std::string replaced = fields + std::string(message);
  replaced.replace(replaced.find("zhang.wei@"), 10, "li.na@exam");
  v = verify_dkim(replaced, dns.fn(), at(1800000000));
  EXPECT_EQ(v.signatures[0].result, dkim_result::fail);
}

TEST(Dkim, MessageVariants) {
  const auto signer = example_signer();
  auto dns = example_dns();
  const std::vector<std::string> variants = {
      "From: a@example.com\r\nSubject: no body\r\n",                 // no separator, no body
      "From: a@example.com\r\nSubject: empty body\r\n\r\n",          // empty body
      "From: a@example.com\r\n\r\n\r\n\r\n",                         // only empty lines
      "From: a@example.com\r\n\r\nno final line break",
      "From: a@example.com\nSubject: LF only\n\nbody\n",             // bare LF line ends
      "From: a@example.com\r\nSubject: trailing  \t \r\n\r\nx \t\r\n\t\r\n",
      "From:a@example.com\r\nSubject:\r\n folded\r\n\tmore\r\n\r\nbody\r\n",
  };
  for (const auto& m : variants) {
    auto fields = signer.sign(m, 1800000000);
    ASSERT_TRUE(fields);
    const auto v = verify_dkim(*fields + m, dns.fn(), at(1800000000));
    ASSERT_EQ(v.signatures.size(), 2u);
    EXPECT_EQ(v.signatures[0].result, dkim_result::pass) << m << v.signatures[0].reason;
    EXPECT_EQ(v.signatures[1].result, dkim_result::pass) << m << v.signatures[1].reason;
    // Signed with LF, delivered with CRLF (and the other way): the same message.
    const auto v2 = verify_dkim(to_crlf(*fields + m), dns.fn(), at(1800000000));
    EXPECT_EQ(v2.signatures[0].result, dkim_result::pass) << m;
  }
}

// Makes a DKIM-Signature over `msg` with arbitrary tags (everything but bh= and b=),
// to test what our signer never writes.
std::string hand_signed(std::string_view msg, const generated_key& key, const std::string& tags,
                        std::optional<std::uint64_t> l = std::nullopt) {
  const auto parts = split_message(msg);
  auto t = parse_tag_list(tags);
  canonicalization c;
  if (t && t->value("c")) {
    if (auto parsed = parse_canonicalization(*t->value("c"))) c = *parsed;
  }
  const auto bh = hash_body(parts.body, c.body, l);
  std::string field = "DKIM-Signature: " + tags + "; bh=" +
                      base64_encode(std::string_view(reinterpret_cast<const char*>(bh.sha256.data()), 32)) +
                      "; b=";
  std::vector<std::string_view> names;
  if (t && t->value("h")) names = split_colon_list(*t->value("h"));
  const auto selected = select_headers(parts, names);
  auto canonical = canonicalize_signature_field(header_field{"DKIM-Signature", field + "\r\n"}, c.header);
  const auto pk = private_key::from_pem(key.private_key_pem);
  const auto sig = pk->sign(header_hash_input(selected, c.header, *canonical));
  return field + base64_encode(*sig) + "\r\n";
}

constexpr std::string_view simple_msg = "From: a@example.com\r\nSubject: hi\r\n\r\nsigned part\r\n";

dkim_verification check(const std::string& field, std::string_view msg, fake_dns& dns,
                        verify_options o = at(1800000000)) {
  return verify_dkim(field + std::string(msg), dns.fn(), o);
}

TEST(Dkim, HandSignedBaselinePasses) {
  auto dns = example_dns();
  for (const char* c : {"simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed", "relaxed"}) {
    const auto f = hand_signed(simple_msg, test_keys().rsa,
                               std::string("v=1; a=rsa-sha256; d=example.com; s=r1; h=from:subject; c=") + c);
    const auto v = check(f, simple_msg, dns);
    EXPECT_EQ(v.signatures[0].result, dkim_result::pass) << c << " " << v.signatures[0].reason;
  }
  // No c= at all: simple/simple.
  const auto f = hand_signed(simple_msg, test_keys().ed, "v=1; a=ed25519-sha256; d=example.com; s=e1; h=from");
  EXPECT_EQ(check(f, simple_msg, dns).signatures[0].result, dkim_result::pass);
}

TEST(Dkim, BodyLengthLimit) {
  auto dns = example_dns();
  const std::string tags = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=r1; h=from:subject; l=13";
  const auto f = hand_signed(simple_msg, test_keys().rsa, tags, 13);
  // l= covering the whole body: pass.
  auto v = check(f, simple_msg, dns);
  EXPECT_EQ(v.signatures[0].result, dkim_result::pass) << v.signatures[0].reason;
  EXPECT_EQ(v.signatures[0].body_length, 13u);
  // Content appended after the signed part: reported, not passed (RFC 6376 §8.2).
  const std::string appended = std::string(simple_msg) + "click here: http://evil.example/\r\n";
  v = check(f, appended, dns);
  EXPECT_EQ(v.signatures[0].result, dkim_result::policy);
  EXPECT_EQ(v.signatures[0].reason, "l= signs only 13 of 47 body bytes");
  auto o = at(1800000000);
  o.accept_partial_body = true;
  EXPECT_EQ(check(f, appended, dns, o).signatures[0].result, dkim_result::pass);
  // l= longer than the body.
  const auto f2 = hand_signed(simple_msg, test_keys().rsa,
                              "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=r1; h=from; l=99999", 99999);
  v = check(f2, simple_msg, dns);
  EXPECT_EQ(v.signatures[0].result, dkim_result::permerror);
  EXPECT_EQ(v.signatures[0].reason, "l= is longer than the body");
  // An absurd l= (76 digits) saturates instead of overflowing.
  const auto f3 = hand_signed(simple_msg, test_keys().rsa,
                              "v=1; a=rsa-sha256; d=example.com; s=r1; h=from; l=" + std::string(76, '9'),
                              UINT64_MAX);
  EXPECT_EQ(check(f3, simple_msg, dns).signatures[0].result, dkim_result::permerror);
}

struct bad_case {
  const char* tags;
  dkim_result expect;
  const char* reason;
};

TEST(Dkim, SignatureFieldProblems) {
  auto dns = example_dns();
  const bad_case cases[] = {
      {"v=2; a=rsa-sha256; d=example.com; s=r1; h=from", dkim_result::permerror, "incompatible signature version"},
      {"v=1; a=rsa-sha1; d=example.com; s=r1; h=from", dkim_result::permerror, "rsa-sha1 is not accepted (RFC 8301)"},
      {"v=1; a=rsa-md5; d=example.com; s=r1; h=from", dkim_result::permerror, "unsupported algorithm rsa-md5"},
      {"v=1; a=rsa-sha256; d=example.com; s=r1; h=subject", dkim_result::permerror, "From field not signed"},
      {"v=1; a=rsa-sha256; d=example.com; s=r1; h=from; i=@evil.example", dkim_result::permerror,
       "i= domain is not within d="},
      {"v=1; a=rsa-sha256; d=example.com; s=r1; h=from; i=@notexample.com", dkim_result::permerror,
       "i= domain is not within d="},
      {"v=1; a=rsa-sha256; d=example.com; s=r1; h=from; i=noat", dkim_result::neutral, "i= without @"},
      {"v=1; a=rsa-sha256; d=example.com; s=r1; h=from; q=http/well-known", dkim_result::permerror,
       "no supported query method in q="},
      {"v=1; a=rsa-sha256; d=example.com; s=r1; h=from; c=fancy", dkim_result::neutral,
       "unknown canonicalization in c="},
      {"v=1; a=rsa-sha256; d=example.com; s=r1; h=from; t=1800000100; x=1800000000", dkim_result::permerror,
       "x= is before t="},
      {"v=1; a=rsa-sha256; d=example.com; s=r1; h=from; t=1900000000", dkim_result::permerror,
       "signature timestamp in the future"},
      {"v=1; a=rsa-sha256; d=example.com; s=r1; h=from; t=12x", dkim_result::neutral, "t= is not a number"},
      {"v=1; a=rsa-sha256; s=r1; h=from", dkim_result::neutral, "signature missing required tag d="},
      {"v=1; a=rsa-sha256; d=example..com; s=r1; h=from", dkim_result::neutral, "invalid d= domain"},
      {"v=1; a=rsa-sha256; d=example.com; s=r1; h=from::to", dkim_result::neutral, "invalid field name in h="},
      {"v=1; a=rsa-sha256; d=example.com; s=nokey; h=from", dkim_result::permerror, "no key for signature"},
      {"v=1; a=rsa-sha256; d=example.com; s=e1; h=from", dkim_result::permerror, "key type does not match a="},
  };
  for (const auto& c : cases) {
    const auto f = hand_signed(simple_msg, test_keys().rsa, c.tags);
    const auto v = check(f, simple_msg, dns);
    ASSERT_EQ(v.signatures.size(), 1u);
    EXPECT_EQ(v.signatures[0].result, c.expect) << c.tags << ": " << v.signatures[0].reason;
    EXPECT_EQ(v.signatures[0].reason, c.reason) << c.tags;
  }
  // A subdomain in i= is fine.
  const auto ok = hand_signed(simple_msg, test_keys().rsa,
                              "v=1; a=rsa-sha256; d=example.com; s=r1; h=from; i=user@mail.example.com");
  EXPECT_EQ(check(ok, simple_msg, dns).signatures[0].result, dkim_result::pass);
  // Malformed tag list, bad base64.
  auto v = check("DKIM-Signature: v=1; v=1\r\n", simple_msg, dns);
  EXPECT_EQ(v.signatures[0].result, dkim_result::neutral);
  v = check("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=r1; h=from; bh=!!; b=abcd\r\n", simple_msg, dns);
  EXPECT_EQ(v.signatures[0].result, dkim_result::neutral);
  EXPECT_EQ(v.signatures[0].reason, "bh= is not base64");
  EXPECT_EQ(v.signatures[0].domain, "example.com");
}

TEST(Dkim, KeyRecordProblems) {
  const std::string rsa_p = test_keys().rsa.public_key;
  struct key_case {
    std::string record;
    dkim_result expect;
    std::string reason;
  };
  const key_case cases[] = {
      {"v=DKIM1; k=rsa; p=", dkim_result::permerror, "key revoked"},
      {"v=DKIM1; p=" + rsa_p, dkim_result::pass, ""},             // k= defaults to rsa
      {"p=" + rsa_p, dkim_result::pass, ""},                      // v= optional
      {"k=rsa; v=DKIM1; p=" + rsa_p, dkim_result::permerror, "key record: bad version"},
      {"v=DKIM2; p=" + rsa_p, dkim_result::permerror, "key record: bad version"},
      {"v=DKIM1; h=sha1; p=" + rsa_p, dkim_result::permerror, "key record does not allow sha256 (h=)"},
      {"v=DKIM1; h=sha1:sha256; p=" + rsa_p, dkim_result::pass, ""},
      {"v=DKIM1; s=other; p=" + rsa_p, dkim_result::permerror, "key record is not for email (s=)"},
      {"v=DKIM1; s=email:other; p=" + rsa_p, dkim_result::pass, ""},
      {"v=DKIM1; k=dsa; p=" + rsa_p, dkim_result::permerror, "key record: unknown key type k="},
      {"v=DKIM1; k=rsa", dkim_result::permerror, "key record without p="},
      {"v=DKIM1; p=MIIB!!", dkim_result::permerror, "key record: p= is not base64"},
      {"v=DKIM1; p=AAAA", dkim_result::permerror, "invalid public key"},
      {"v=DKIM1; k=rsa; p=" + test_keys().rsa512.public_key, dkim_result::permerror, "RSA key too short (512 bits)"},
      {"v=DKIM1; t=y; p=" + rsa_p, dkim_result::pass, ""},
      {"v=DKIM1; t=s; p=" + rsa_p, dkim_result::pass, ""},
      {"v=DKIM1; p=" + rsa_p.substr(0, 100) + " \r\n " + rsa_p.substr(100), dkim_result::pass, ""},
  };
  for (const auto& c : cases) {
    fake_dns dns;
    dns.add("r1._domainkey.example.com", c.record);
    const auto f = hand_signed(simple_msg, test_keys().rsa, "v=1; a=rsa-sha256; d=example.com; s=r1; h=from");
    const auto v = check(f, simple_msg, dns);
    EXPECT_EQ(v.signatures[0].result, c.expect) << c.record << ": " << v.signatures[0].reason;
    EXPECT_EQ(v.signatures[0].reason, c.reason) << c.record;
  }
  // t=s: i= must be d= exactly.
  fake_dns strict;
  strict.add("r1._domainkey.example.com", "v=DKIM1; t=s; p=" + rsa_p);
  const auto sub = hand_signed(simple_msg, test_keys().rsa,
                               "v=1; a=rsa-sha256; d=example.com; s=r1; h=from; i=@mail.example.com");
  EXPECT_EQ(check(sub, simple_msg, strict).signatures[0].result, dkim_result::permerror);
  // Testing flag is reported.
  fake_dns testing;
  testing.add("r1._domainkey.example.com", "v=DKIM1; t=y; p=" + rsa_p);
  const auto f = hand_signed(simple_msg, test_keys().rsa, "v=1; a=rsa-sha256; d=example.com; s=r1; h=from");
  EXPECT_TRUE(check(f, simple_msg, testing).signatures[0].testing);
  // Several TXT records: the first that parses is used.
  fake_dns several;
  several.add("r1._domainkey.example.com", "some unrelated text");
  several.add("r1._domainkey.example.com", "v=DKIM1; p=" + rsa_p);
  EXPECT_EQ(check(f, simple_msg, several).signatures[0].result, dkim_result::pass);
}

TEST(Dkim, DnsFailures) {
  const auto f = hand_signed(simple_msg, test_keys().rsa, "v=1; a=rsa-sha256; d=example.com; s=r1; h=from");
  fake_dns dns;
  dns.zone["r1._domainkey.example.com"] = txt_answer{txt_answer::status::temporary, {}, "SERVFAIL"};
  auto v = check(f, simple_msg, dns);
  EXPECT_EQ(v.signatures[0].result, dkim_result::temperror);
  EXPECT_EQ(v.signatures[0].reason, "key lookup failed: SERVFAIL");
  dns.zone["r1._domainkey.example.com"] = txt_answer{txt_answer::status::ok, {}, ""};
  EXPECT_EQ(check(f, simple_msg, dns).signatures[0].result, dkim_result::permerror);
}

TEST(Dkim, SignatureLimit) {
  auto dns = example_dns();
  const auto f = hand_signed(simple_msg, test_keys().ed, "v=1; a=ed25519-sha256; d=example.com; s=e1; h=from");
  std::string many;
  for (int i = 0; i < 8; ++i) many += f;
  const auto v = check(many, simple_msg, dns);
  EXPECT_EQ(v.signatures.size(), 5u);
  EXPECT_EQ(v.skipped, 3u);
  EXPECT_EQ(dns.lookups, 5);
  for (const auto& s : v.signatures) EXPECT_EQ(s.result, dkim_result::pass);
  // No signature at all.
  EXPECT_TRUE(verify_dkim(simple_msg, dns.fn(), at(1800000000)).signatures.empty());
}

TEST(Dkim, HostileValuesStayOutOfResults) {
  auto dns = example_dns();
  const std::string f = "DKIM-Signature: v=1; a=rsa-sha256; d=exa\x01mple.com; s=r1; h=from; bh=x; b=y\r\n";
  const auto v = check(f, simple_msg, dns);
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_EQ(v.signatures[0].result, dkim_result::neutral);
  EXPECT_EQ(v.signatures[0].domain, "");
  // An a= value with folding inside (fuzz finding): the reason quoting it stays one line.
  const std::string a = "DKIM-Signature: v=1; a=rsa-sh\r\r\r\n a256x; d=example.com; s=r1; h=from; bh=x; b=y\r\n";
  const auto va = check(a, simple_msg, dns);
  EXPECT_EQ(va.signatures[0].reason, "unsupported algorithm rsa-sha256x");
  EXPECT_EQ(format_result(va.signatures[0]).find_first_of("\r\n"), std::string::npos);
  const std::string g = "DKIM-Signature: v=1; a=rsa-sha256; d=ex(am)ple.com; s=r1; h=from; bh=x; b=y\r\n";
  const auto w = check(g, simple_msg, dns);
  EXPECT_EQ(format_result(w.signatures[0]).find('\r'), std::string::npos);
}

TEST(Dkim, SignerRefusesBadKeys) {
  EXPECT_FALSE(dkim_signer::create({}));
  EXPECT_FALSE(dkim_signer::create({{"example.com", "x", "not a key"}}));
  EXPECT_FALSE(dkim_signer::create({{"example.com", "x", test_keys().rsa512.private_key_pem}}));
}

TEST(Crypto, Base64) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(*base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(*base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(*base64_decode(""), "");
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm=v"));
  EXPECT_FALSE(base64_decode("Z==="));
  EXPECT_FALSE(base64_decode("Zg==Zg=="));
  EXPECT_FALSE(base64_decode("Zm9v YmFy"));
}

TEST(Crypto, GeneratedKeys) {
  const auto& k = test_keys();
  EXPECT_TRUE(k.rsa.private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));  // PKCS#8
  EXPECT_TRUE(k.ed.private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(base64_decode(k.ed.public_key)->size(), 32u);
  auto rsa = private_key::from_pem(k.rsa.private_key_pem);
  ASSERT_TRUE(rsa);
  EXPECT_EQ(rsa->bits(), 2048u);
  EXPECT_EQ(rsa->type(), key_type::rsa);
  auto pub = public_key::from_dns(key_type::rsa, *base64_decode(k.rsa.public_key));
  ASSERT_TRUE(pub);
  const auto sig = rsa->sign("data");
  ASSERT_TRUE(sig);
  EXPECT_TRUE(pub->verify("data", *sig));
  EXPECT_FALSE(pub->verify("date", *sig));
  EXPECT_FALSE(public_key::from_dns(key_type::ed25519, std::string(31, 'x')));
}

}  // namespace
}  // namespace letterhead::mailauth
