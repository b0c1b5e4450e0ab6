"""8BITMIME downgrade (RFC 6152 §3) and internationalised DSNs (RFC 6533), through
the real binary: alice@a.test submits 8-bit mail for a scripted receiver
(fakemx.py) that does not offer 8BITMIME; what arrives must be 7-bit, decode with
Python's email package to the same text, headers and attachment as the original,
and carry DKIM signatures that dkimpy (python3-dkim) verifies, so the signing came
after the conversion. A message that cannot be converted (raw UTF-8 in an address
field) still fails with 5.6.3; a bounce for an SMTPUTF8 message is a
multipart/report with report-type=global-delivery-status (RFC 6533 §6, RFC 6522 §3)
read from alice's INBOX over IMAP."""

import email
import email.policy
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dkim  # noqa: E402  (python3-dkim)

from fakemx import FakeMx  # noqa: E402
import test_bounce  # noqa: E402
from test_outbound import dkim_dns  # noqa: E402

NO_8BITMIME = ["PIPELINING", "ENHANCEDSTATUSCODES", "SIZE 10000000"]

EIGHT_BIT = (
    "From: Alice <alice@a.test>\r\n"
    "To: bob@fake.test\r\n"
    "Subject: Caf\u00e9 r\u00e9sum\u00e9 \u5468\u62a5 weekly\r\n"
    "Message-ID: <downgrade@a.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
    "\r\n"
    "--alt\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Bonjour, \u00e7a va ? \u4f60\u597d\uff0c\u4e16\u754c\u3002\r\n"
    ".a line starting with a dot\r\n"
    "trailing space \r\n"
    + "long line " * 20 + "\u00e9\r\n"
    "--alt\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "<p>\u00e7a va ? \u4f60\u597d</p>\r\n"
    "--alt--\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "From: Carol <carol@a.test>\r\n"
    "Subject: inner \u00fcber\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "inner \u00fcber text\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream; name=\"blob.bin\"\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n").encode() + bytes(range(128, 256)) + b"\r\n--outer--\r\n"


def leaves(msg):
    """(content type, decoded bytes) of every leaf part, message/rfc822 descended."""
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        out.append((part.get_content_type(), part.get_payload(decode=True)))
    return out


def report_part(raw, content_type):
    """The body of the DSN part of this type, from the raw bytes: the email package
    parses message/* (other than delivery-status) as an encapsulated message."""
    m = re.search(rb"Content-Type: " + content_type.encode() + rb"\r\n(?:[^\r]+\r\n)*\r\n(.*?)\r\n--", raw, re.S)
    return m.group(1).decode("utf-8") if m else ""


class DowngradeTest(unittest.TestCase):
    # The senders, receivers and IMAP reading of test_bounce.py, not its tests.
    setUpClass = test_bounce.BounceTest.__dict__["setUpClass"]
    tearDownClass = test_bounce.BounceTest.__dict__["tearDownClass"]
    fake = test_bounce.BounceTest.fake
    sender = test_bounce.BounceTest.sender
    stop_clean = test_bounce.BounceTest.stop_clean
    submit = test_bounce.BounceTest.submit
    inbox = test_bounce.BounceTest.inbox
    wait_inbox = test_bounce.BounceTest.wait_inbox
    queue_empty = test_bounce.BounceTest.queue_empty

    def test_8bit_message_to_7bit_peer_is_converted_then_signed(self):
        mx = self.fake(ehlo=NO_8BITMIME)
        a = self.sender(mx)
        self.assertEqual(self.submit(a, ["bob@fake.test"], EIGHT_BIT), {})
        got = mx.wait_messages(1)
        self.assertEqual(len(got), 1, a.read_log()[-3000:])
        sent = got[0]
        self.assertNotIn("BODY=8BITMIME", sent.mail_line)
        self.assertTrue(all(b < 0x80 for b in sent.data), "7-bit clean")
        self.assertTrue(all(len(line) <= 998 for line in sent.data.split(b"\r\n")))
        self.assertRegex(a.read_log(), r"converted to 7-bit for a server without 8BITMIME")

        # The same text, headers and bytes once decoded (Python's email package).
        original = email.message_from_bytes(EIGHT_BIT, policy=email.policy.default)
        received = email.message_from_bytes(sent.data, policy=email.policy.default)
        self.assertEqual(received["Subject"], "Caf\u00e9 r\u00e9sum\u00e9 \u5468\u62a5 weekly")
        self.assertEqual(leaves(received), leaves(original))
        plain = next(p for p in received.walk() if p.get_content_type() == "text/plain")
        self.assertEqual(plain["Content-Transfer-Encoding"], "quoted-printable")
        self.assertEqual(plain.get_content(), next(
            p for p in original.walk() if p.get_content_type() == "text/plain").get_content())
        blob = next(p for p in received.walk() if p.get_content_type() == "application/octet-stream")
        self.assertEqual(blob["Content-Transfer-Encoding"], "base64")
        self.assertEqual(blob.get_payload(decode=True), bytes(range(128, 256)))
        # message/rfc822 is not base64'ed (RFC 2046 §5.2.1): converted inside.
        inner = next(p for p in received.walk() if p.get_content_type() == "message/rfc822")
        self.assertEqual(inner["Content-Transfer-Encoding"], "7bit")
        self.assertEqual(inner.get_payload()[0]["Subject"], "inner \u00fcber")
        self.assertEqual(received.defects, [])

        # Signed after the conversion: both signatures verify with dkimpy.
        self.assertEqual(len(re.findall(rb"(?m)^DKIM-Signature:", sent.data)), 2, sent.data[:1500])
        dnsfunc = dkim_dns(a, "a.test")
        d = dkim.DKIM(sent.data)
        for i in range(2):
            self.assertTrue(d.verify(idx=i, dnsfunc=dnsfunc), f"signature {i} fails with dkimpy")
        tampered = sent.data.replace(b"=C3=A7a va", b"=C3=A7a vA")
        self.assertNotEqual(tampered, sent.data)
        try:
            ok = dkim.DKIM(tampered).verify(idx=0, dnsfunc=dnsfunc)
        except dkim.ValidationError:
            ok = False
        self.assertFalse(ok, "the check can fail")
        self.assertTrue(self.queue_empty(a))

    def test_8bit_peer_still_gets_the_message_unchanged(self):
        mx = self.fake()
        a = self.sender(mx)
        self.assertEqual(self.submit(a, ["bob@fake.test"], EIGHT_BIT), {})
        got = mx.wait_messages(1)
        self.assertEqual(len(got), 1)
        self.assertIn("BODY=8BITMIME", got[0].mail_line)
        self.assertTrue(got[0].data.endswith(EIGHT_BIT))

    def test_unconvertible_header_still_fails_with_5_6_3(self):
        mx = self.fake(ehlo=NO_8BITMIME)
        a = self.sender(mx)
        data = "From: J\u00f6rg <alice@a.test>\r\nTo: bob@fake.test\r\nSubject: x\r\n\r\nhi\r\n".encode()
        self.assertEqual(self.submit(a, ["bob@fake.test"], data), {})
        got = self.wait_inbox(a, 1)
        self.assertTrue(self.queue_empty(a))
        msg = email.message_from_bytes(got[0], policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report")
        # Raw UTF-8 in the returned header section: an RFC 6533 report.
        self.assertEqual(msg.get_param("report-type"), "global-delivery-status")
        self.assertIn("\r\nStatus: 5.6.3\r\n", report_part(got[0], "message/global-delivery-status"))
        text = msg.get_payload()[0].get_content()
        self.assertIn("cannot be converted to 7-bit", text)
        self.assertIn("From header field", text)
        self.assertEqual(mx.messages, [])

    def test_bounce_for_smtputf8_message_is_global(self):
        mx = self.fake(rcpt=lambda addr: "550 5.1.1 no such user")
        a = self.sender(mx)
        rcpt = "\u7528\u6237@fake.test"
        data = ("From: \u5f20\u4f1f <alice@a.test>\r\nTo: " + rcpt + "\r\nSubject: \u4f60\u597d\r\n"
                "Message-ID: <utf8@a.test>\r\n\r\n\u6b63\u6587\r\n").encode()
        import smtplib
        from harness import PASSWORD
        with smtplib.SMTP("127.0.0.1", a.ports["submission"], timeout=30) as s:
            s.command_encoding = "utf-8"
            s.ehlo("laptop.a.test")
            s.login("alice@a.test", PASSWORD)
            self.assertEqual(s.sendmail("alice@a.test", [rcpt], data, ["SMTPUTF8"]), {})
        got = self.wait_inbox(a, 1)
        raw = got[0]
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report")
        self.assertEqual(msg.get_param("report-type"), "global-delivery-status")
        parts = msg.get_payload()
        self.assertEqual(len(parts), 3)
        self.assertEqual(parts[1].get_content_type(), "message/global-delivery-status")
        fields = report_part(raw, "message/global-delivery-status")
        self.assertIn("\r\nFinal-Recipient: utf-8; " + rcpt + "\r\n", fields)
        self.assertIn("\r\nStatus: 5.1.1\r\n", fields)
        self.assertEqual(parts[2].get_content_type(), "message/global")
        self.assertEqual(parts[2].get_payload()[0]["Subject"], "\u4f60\u597d")
        self.assertIn(rcpt, parts[0].get_content())
        time.sleep(1)
        self.assertEqual(len(self.inbox(a)), 1)


if __name__ == "__main__":
    unittest.main()
