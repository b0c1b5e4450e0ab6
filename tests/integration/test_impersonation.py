"""Impersonation defence at the MX (issue 5 §5), against the real binary: mail
from outside that uses a colleague's name (张伟, or its pinyin) or a lookalike of
our domain carries an X-Letterhead-Warning field (and, when configured, a banner
part); genuine internal mail does not. Sent with smtplib, read back over IMAP
with imaplib and parsed with Python's email package (an independent RFC 2047
decoder and MIME parser)."""

import email
import email.policy
import email.utils
import imaplib
import os
import smtplib
import ssl
import sys
import unittest
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(__file__))
from harness import PASSWORD, Server  # noqa: E402

WARNING = "X-Letterhead-Warning"


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def message(frm, subject="Urgent", body="Please pay the attached invoice today.", extra=None):
    m = EmailMessage()
    m["From"] = frm
    m["To"] = "alice@example.com"
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate()
    m["Message-ID"] = email.utils.make_msgid(domain="outside.example")
    for k, v in (extra or {}).items():
        m[k] = v
    m.set_content(body)
    return m


class ImpersonationBase(unittest.TestCase):
    extra = ""

    def setUp(self):
        config = "[smtp]\nallow_plaintext_auth_on_loopback = true\n" + self.extra
        self.server = Server(config, listen=("smtp", "submission", "imaps"))
        self.server.cli("domain", "add", "example.com")
        self.server.add_user("alice@example.com", name="Alice Martin")
        self.server.add_user("zhangwei@example.com", name="张伟")
        self.server.start()

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])

    def send_mx(self, msg, sender="someone@outside.example"):
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")) if isinstance(msg, EmailMessage) else msg
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=60) as s:
            s.ehlo("mail.outside.example")
            s.sendmail(sender, ["alice@example.com"], data)

    def fetch_all(self, user="alice@example.com", mailbox="INBOX"):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure(), timeout=30)
        try:
            m.login(user, PASSWORD)
            typ, _ = m.select(mailbox, readonly=True)
            self.assertEqual(typ, "OK")
            typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
            raws = [part[1] for part in data if isinstance(part, tuple)]
            out = []
            for r in raws:
                msg = email.message_from_bytes(r, policy=email.policy.default)
                msg.raw = r
                out.append(msg)
            return out
        finally:
            m.logout()

    def only(self, **kw):
        msgs = self.fetch_all(**kw)
        self.assertEqual(len(msgs), 1)
        return msgs[0]


class HeaderWarningTest(ImpersonationBase):
    def test_colleague_name_from_outside_carries_the_warning(self):
        # The test: "张伟 <zhangwei@evil.example>" when 张伟 is an employee.
        self.send_mx(message("张伟 <zhangwei@evil.example>"), sender="zhangwei@evil.example")
        got = self.only()
        warning = got[WARNING]
        self.assertIsNotNone(warning, str(got))
        self.assertIn("张伟", warning)
        self.assertIn("冒充", warning)            # Chinese
        self.assertIn("impersonation", warning)   # and English
        # The raw field is ASCII (RFC 2047 encoded-words), not 8-bit.
        self.assertIn(b"\r\nX-Letterhead-Warning: =?UTF-8?B?", b"\r\n" + got.raw)
        self.assertIn("IMPERSONATION_NAME", " ".join(got["X-Spam-Status"].split()))
        self.assertEqual(got.get_content().strip(), "Please pay the attached invoice today.")

    def test_pinyin_forms_and_encoded_names(self):
        self.send_mx(message("Zhang Wei <ceo@evil.example>", subject="one"))
        self.send_mx(message("\"Wei ZHANG\" <ceo@evil.example>", subject="two"))
        # RFC 2047 encoded name, as most mailers write it.
        self.send_mx(message("=?UTF-8?B?5byg5Lyf?= <ceo@evil.example>", subject="three"))
        msgs = self.fetch_all()
        self.assertEqual(len(msgs), 3)
        for m in msgs:
            self.assertIsNotNone(m[WARNING], m["Subject"])
            self.assertIn("张伟", m[WARNING])

    def test_lookalike_domains(self):
        self.send_mx(message("Payroll <payroll@examp1e.com>", subject="digit"), sender="payroll@examp1e.com")
        # An IDN homograph: Cyrillic а in "exаmple.com", sent as its A-label.
        homograph = "ex\u0430mple.com".encode("idna").decode()
        self.assertTrue(homograph.startswith("xn--"))
        self.send_mx(message(f"IT <it@{homograph}>", subject="idn"), sender=f"it@{homograph}")
        self.send_mx(message("News <news@unrelated.example>", subject="unrelated"))
        by_subject = {m["Subject"]: m for m in self.fetch_all()}
        for s in ("digit", "idn"):
            w = by_subject[s][WARNING]
            self.assertIsNotNone(w, s)
            self.assertIn("example.com", w)
            self.assertIn("相似", w)
            self.assertIn("LOOKALIKE_DOMAIN", " ".join(by_subject[s]["X-Spam-Status"].split()))
        self.assertIsNone(by_subject["unrelated"][WARNING])

    def test_genuine_internal_mail_has_no_warning(self):
        # Submitted by 张伟 himself (authenticated) ...
        m = message("张伟 <zhangwei@example.com>", subject="internal")
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=60) as s:
            s.login("zhangwei@example.com", PASSWORD)
            s.sendmail("zhangwei@example.com", ["alice@example.com"],
                       m.as_bytes(policy=m.policy.clone(linesep="\r\n")))
        # ... and an outside sender whose name is nobody's.
        self.send_mx(message("Bob Stone <bob@partner.example>", subject="partner"))
        for got in self.fetch_all():
            self.assertIsNone(got[WARNING], got["Subject"])
            self.assertNotIn("IMPERSONATION", str(got.get("X-Spam-Status", "")))

    def test_forged_warning_is_removed(self):
        self.send_mx(message("Bob Stone <bob@partner.example>", extra={WARNING: "fake, all good"}))
        got = self.only()
        self.assertIsNone(got[WARNING])

    def test_invalid_utf8_name_is_handled(self):
        raw = (b"From: \xff\xfe\xe5\xbc Zh\xc3ang <x@evil.example>\r\nTo: alice@example.com\r\n"
               b"Subject: bytes\r\nDate: " + email.utils.formatdate().encode() + b"\r\n"
               b"Message-ID: <b@evil.example>\r\n\r\nhi\r\n")
        self.send_mx(raw, sender="x@evil.example")
        self.assertEqual(len(self.fetch_all()), 1)


class BannerTest(ImpersonationBase):
    extra = "[impersonation]\nbanner = true\n"

    def test_banner_part_is_prepended(self):
        self.send_mx(message("张伟 <zhangwei@evil.example>", subject="banner"), sender="zhangwei@evil.example")
        got = self.only()
        self.assertIsNotNone(got[WARNING])
        self.assertEqual(got.get_content_type(), "multipart/mixed")
        self.assertEqual(got["Subject"], "banner")
        parts = list(got.iter_parts())
        self.assertEqual(len(parts), 2)
        banner = parts[0].get_content()
        self.assertEqual(parts[0].get_content_type(), "text/plain")
        self.assertIn("张伟", banner)
        self.assertIn("警告", banner)
        self.assertIn("Warning", banner)
        self.assertEqual(parts[1].get_content_type(), "text/plain")
        self.assertEqual(parts[1].get_content().strip(), "Please pay the attached invoice today.")

    def test_no_banner_without_a_match(self):
        self.send_mx(message("Bob Stone <bob@partner.example>", subject="plain"))
        got = self.only()
        self.assertFalse(got.is_multipart())
        self.assertIsNone(got[WARNING])


if __name__ == "__main__":
    unittest.main(verbosity=2)
