#include "delivery/outbound/dsn.hpp"

#include <gtest/gtest.h>

#include "mime/header.hpp"
#include "mime/parser.hpp"

namespace letterhead::delivery::outbound {
namespace {

using state = store::queue_recipient::state;

const std::string original =
    "From: Alice <alice@a.test>\r\nTo: bob@fake.test\r\nSubject: hello\r\n\r\nThe body line.\r\n";

store::queue_entry failed_entry() {
  store::queue_entry e;
  e.id = 42;
  e.mail_from = "alice@a.test";
  e.dsn_envid = "env+2B1";
  e.created = 1'700'000'000;
  e.last_attempt = 1'700'000'100;
  store::queue_recipient ok;
  ok.address = "one@fake.test";
  ok.status = state::delivered;
  store::queue_recipient bad;
  bad.address = "nobody@fake.test";
  bad.dsn_orcpt = "rfc822;orig+3Dx@a.test";
  bad.status = state::failed;
  bad.last_reply = "550 5.1.1 no such user";
  bad.remote_mta = "mx.fake.test";
  e.recipients = {ok, bad};
  return e;
}

std::string field(std::string_view bytes, const mime::part& p, std::string_view name) {
  return mime::header_value(bytes, p.fields, name).value_or("<absent>");
}

std::string_view body(std::string_view bytes, const mime::part& p) {
  return bytes.substr(p.body.begin, p.body.size());
}

dsn_options options() {
  dsn_options o;
  o.hostname = "mail.a.test";
  o.max_age = 3600;
  return o;
}

TEST(Dsn, FailureParsesAsMultipartReport) {
  const auto e = failed_entry();
  const auto dsn = build_dsn(e, {1}, report_kind::failed, original, options(), 1'700'000'200);
  const auto m = mime::parse(dsn);
  ASSERT_FALSE(m.truncated);
  const auto& root = m.root();
  EXPECT_EQ(root.type, "multipart");
  EXPECT_EQ(root.subtype, "report");
  ASSERT_NE(root.type_param("report-type"), nullptr);
  EXPECT_EQ(root.type_param("report-type")->value, "delivery-status");
  EXPECT_EQ(root.defects, 0u);
  EXPECT_EQ(field(dsn, root, "Subject"), "Undelivered Mail Returned to Sender / 退信通知");
  EXPECT_EQ(field(dsn, root, "Auto-Submitted"), "auto-replied");
  EXPECT_EQ(field(dsn, root, "To"), "<alice@a.test>");
  EXPECT_NE(field(dsn, root, "Message-ID"), "<absent>");
  EXPECT_NE(field(dsn, root, "Date"), "<absent>");
  ASSERT_EQ(root.children.size(), 3u);

  const auto& text = m.parts[root.children[0]];
  EXPECT_EQ(text.subtype, "plain");
  EXPECT_EQ(text.charset(), "utf-8");
  const auto human = body(dsn, text);
  EXPECT_NE(human.find("could not be delivered"), std::string_view::npos);
  EXPECT_NE(human.find("无法投递"), std::string_view::npos);
  EXPECT_NE(human.find("<nobody@fake.test>"), std::string_view::npos);
  EXPECT_NE(human.find("550 5.1.1 no such user"), std::string_view::npos);
  EXPECT_EQ(human.find("one@fake.test"), std::string_view::npos) << "only the reported recipients";

  const auto& report = m.parts[root.children[1]];
  EXPECT_EQ(report.type, "message");
  EXPECT_EQ(report.subtype, "delivery-status");
  const auto fields = body(dsn, report);
  // The per-message block, then one per recipient (RFC 3464 §2.1).
  const auto blocks = fields.find("\r\n\r\n");
  ASSERT_NE(blocks, std::string_view::npos);
  const auto per_message = mime::parse_header_block(fields.substr(0, blocks + 4));
  const auto per_message_text = fields.substr(0, blocks + 4);
  EXPECT_EQ(mime::header_value(per_message_text, per_message.fields, "Reporting-MTA"), "dns; mail.a.test");
  EXPECT_EQ(mime::header_value(per_message_text, per_message.fields, "Original-Envelope-Id"), "env+1");
  EXPECT_TRUE(mime::header_value(per_message_text, per_message.fields, "Arrival-Date").has_value());
  const auto rcpt_text = fields.substr(blocks + 4);
  const auto rcpt = mime::parse_header_block(rcpt_text);
  EXPECT_EQ(mime::header_value(rcpt_text, rcpt.fields, "Original-Recipient"), "rfc822; orig=x@a.test");
  EXPECT_EQ(mime::header_value(rcpt_text, rcpt.fields, "Final-Recipient"), "rfc822; nobody@fake.test");
  EXPECT_EQ(mime::header_value(rcpt_text, rcpt.fields, "Action"), "failed");
  EXPECT_EQ(mime::header_value(rcpt_text, rcpt.fields, "Status"), "5.1.1");
  EXPECT_EQ(mime::header_value(rcpt_text, rcpt.fields, "Remote-MTA"), "dns; mx.fake.test");
  EXPECT_EQ(mime::header_value(rcpt_text, rcpt.fields, "Diagnostic-Code"), "smtp; 550 5.1.1 no such user");
  EXPECT_TRUE(mime::header_value(rcpt_text, rcpt.fields, "Last-Attempt-Date").has_value());
  EXPECT_FALSE(mime::header_value(rcpt_text, rcpt.fields, "Will-Retry-Until").has_value());

  const auto& returned = m.parts[root.children[2]];
  EXPECT_EQ(returned.type, "message");
  EXPECT_EQ(returned.subtype, "rfc822");
  ASSERT_TRUE(returned.embedded.has_value());
  EXPECT_EQ(field(dsn, m.parts[*returned.embedded], "Subject"), "hello");
  EXPECT_NE(body(dsn, returned).find("The body line."), std::string_view::npos);
}

TEST(Dsn, HeadersOnlyForRetHdrsAndLargeMessages) {
  auto e = failed_entry();
  e.dsn_ret = "HDRS";
  auto dsn = build_dsn(e, {1}, report_kind::failed, original, options(), 1'700'000'200);
  auto m = mime::parse(dsn);
  ASSERT_EQ(m.root().children.size(), 3u);
  auto* part = &m.parts[m.root().children[2]];
  EXPECT_EQ(part->type, "text");
  EXPECT_EQ(part->subtype, "rfc822-headers");
  EXPECT_NE(body(dsn, *part).find("Subject: hello"), std::string_view::npos);
  EXPECT_EQ(body(dsn, *part).find("The body line."), std::string_view::npos);

  e.dsn_ret = "FULL";
  auto o = options();
  o.max_returned_size = 20;
  dsn = build_dsn(e, {1}, report_kind::failed, original, o, 1'700'000'200);
  m = mime::parse(dsn);
  part = &m.parts[m.root().children[2]];
  EXPECT_EQ(part->subtype, "rfc822-headers");
  EXPECT_EQ(body(dsn, *part).find("The body line."), std::string_view::npos);
}

TEST(Dsn, InternationalisedMessageGetsGlobalReport) {
  // RFC 6533: an SMTPUTF8 message with a UTF-8 recipient.
  auto e = failed_entry();
  e.smtputf8 = true;
  e.recipients[1].address = "\xe7\x94\xa8\xe6\x88\xb7@fake.test";
  e.recipients[1].dsn_orcpt = "utf-8;\\x{7528}\\x{6237}@fake.test";
  const std::string utf8_original =
      "From: \xe5\xbc\xa0 <alice@a.test>\r\nSubject: \xe4\xbd\xa0\xe5\xa5\xbd\r\n\r\nbody\r\n";
  auto dsn = build_dsn(e, {1}, report_kind::failed, utf8_original, options(), 1'700'000'200);
  auto m = mime::parse(dsn);
  ASSERT_EQ(m.root().children.size(), 3u);
  EXPECT_EQ(m.root().type_param("report-type")->value, "global-delivery-status");
  const auto& report = m.parts[m.root().children[1]];
  EXPECT_EQ(report.subtype, "global-delivery-status");
  const auto fields = body(dsn, report);
  EXPECT_NE(fields.find("\r\nFinal-Recipient: utf-8; \xe7\x94\xa8\xe6\x88\xb7@fake.test\r\n"),
            std::string_view::npos) << fields;
  EXPECT_NE(fields.find("\r\nOriginal-Recipient: utf-8; \xe7\x94\xa8\xe6\x88\xb7@fake.test\r\n"),
            std::string_view::npos) << fields;
  const auto& returned = m.parts[m.root().children[2]];
  EXPECT_EQ(returned.type, "message");
  EXPECT_EQ(returned.subtype, "global");
  ASSERT_TRUE(returned.embedded.has_value());
  EXPECT_EQ(field(dsn, m.parts[*returned.embedded], "Subject"), "\xe4\xbd\xa0\xe5\xa5\xbd");

  e.dsn_ret = "HDRS";
  dsn = build_dsn(e, {1}, report_kind::failed, utf8_original, options(), 1'700'000'200);
  m = mime::parse(dsn);
  EXPECT_EQ(m.parts[m.root().children[2]].subtype, "global-headers");

  // Not SMTPUTF8 and all ASCII: RFC 3464 as before, even with a utf-8 ORCPT (kept
  // in its ASCII xtext form).
  auto plain = failed_entry();
  plain.recipients[1].dsn_orcpt = "utf-8;\\x{7528}@fake.test";
  dsn = build_dsn(plain, {1}, report_kind::failed, original, options(), 1'700'000'200);
  m = mime::parse(dsn);
  EXPECT_EQ(m.root().type_param("report-type")->value, "delivery-status");
  EXPECT_EQ(m.parts[m.root().children[1]].subtype, "delivery-status");
  EXPECT_EQ(m.parts[m.root().children[2]].subtype, "rfc822");
  EXPECT_NE(body(dsn, m.parts[m.root().children[1]]).find("Original-Recipient: utf-8; \\x{7528}@fake.test"),
            std::string_view::npos);
}

TEST(Dsn, ExpiryAndDelay) {
  auto e = failed_entry();
  auto& r = e.recipients[1];
  r.last_reply = "4.4.7 Delivery time expired; last error: 451 4.3.0 try later";
  auto dsn = build_dsn(e, {1}, report_kind::expired, original, options(), 1'700'000'200);
  EXPECT_NE(dsn.find("Action: failed\r\n"), std::string::npos);
  EXPECT_NE(dsn.find("Status: 4.4.7\r\n"), std::string::npos);
  EXPECT_NE(dsn.find("Diagnostic-Code: smtp; 451 4.3.0 try later\r\n"), std::string::npos);

  r.status = state::pending;
  r.last_reply = "451 4.3.0 try later";
  dsn = build_dsn(e, {1}, report_kind::delayed, original, options(), 1'700'000'200);
  EXPECT_NE(dsn.find("Action: delayed\r\n"), std::string::npos);
  EXPECT_NE(dsn.find("Status: 4.3.0\r\n"), std::string::npos);
  EXPECT_NE(dsn.find("Will-Retry-Until: Tue, 14 Nov 2023 23:13:20 +0000\r\n"), std::string::npos);
  EXPECT_NE(dsn.find("系统将持续重试至"), std::string::npos);
}

TEST(Dsn, StatusFallsBackToOurOwn) {
  store::queue_recipient r;
  r.last_reply = "554 transaction failed";
  EXPECT_EQ(dsn_status(r, report_kind::failed), "5.0.0");
  r.last_reply = "4.7.0 TLS with mx: handshake failed";
  EXPECT_EQ(dsn_status(r, report_kind::failed), "5.7.0");
  EXPECT_EQ(dsn_status(r, report_kind::delayed), "4.7.0");
  r.last_reply = "250 2.6.0 queued";
  EXPECT_EQ(dsn_status(r, report_kind::relayed), "2.6.0");
}

TEST(Dsn, NotifyDecidesWhichReports) {
  store::queue_recipient r;
  // RFC 3461 §4.1: without NOTIFY, failures and delays (FAILURE,DELAY), no successes.
  EXPECT_TRUE(wants_report(r, report_kind::failed));
  EXPECT_TRUE(wants_report(r, report_kind::expired));
  EXPECT_TRUE(wants_report(r, report_kind::delayed));
  EXPECT_FALSE(wants_report(r, report_kind::relayed));
  r.dsn_notify = "NEVER";
  for (auto k : {report_kind::failed, report_kind::expired, report_kind::delayed, report_kind::delivered}) {
    EXPECT_FALSE(wants_report(r, k));
  }
  r.dsn_notify = "success";
  EXPECT_FALSE(wants_report(r, report_kind::failed));
  EXPECT_FALSE(wants_report(r, report_kind::delayed));
  EXPECT_TRUE(wants_report(r, report_kind::relayed));
  r.dsn_notify = "FAILURE";
  EXPECT_TRUE(wants_report(r, report_kind::expired));
  EXPECT_FALSE(wants_report(r, report_kind::delayed));
  r.dsn_notify = "DELAY,FAILURE";
  EXPECT_TRUE(wants_report(r, report_kind::delayed));
}

}  // namespace
}  // namespace letterhead::delivery::outbound
