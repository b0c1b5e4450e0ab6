"""Bounces (RFC 3464 DSNs) from the outbound queue, end to end: alice@a.test submits
to a scripted receiver (fakemx.py) that refuses or defers recipients; the DSN must
land in alice's INBOX, read over IMAP with imaplib, and parse with Python's email
package as multipart/report (RFC 6522) with the right delivery-status fields and
the English and Chinese text. Also expiry (4.4.7), RET=HDRS, NOTIFY=NEVER and the
delay warning."""

import email
import email.policy
import imaplib
import os
import smtplib
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD  # noqa: E402
from fakemx import FakeMx  # noqa: E402
from test_outbound import FAST_QUEUE, PLAINTEXT_AUTH, message  # noqa: E402


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class BounceTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        from dnsserver import DnsServer
        cls.dns = DnsServer({"fake.test": "@ MX 10 mx\nmx A 127.0.0.1\n"}).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)

    def fake(self, **kw):
        mx = FakeMx(**kw).__enter__()
        self.addCleanup(mx.__exit__, None, None, None)
        return mx

    def sender(self, mx, **queue_keys):
        keys = "".join(f"{k} = {v}\n" for k, v in queue_keys.items())
        server = harness.Server(PLAINTEXT_AUTH + FAST_QUEUE + f'mx_port = {mx.port}\n{keys}'
                                f'[dns]\nservers = ["{self.dns.address}"]\n', listen=("submission", "imaps"))
        server.cli("domain", "add", "a.test")
        server.add_user("alice@a.test")
        server.start()
        self.addCleanup(self.stop_clean, server)
        return server

    def stop_clean(self, server):
        code = server.stop()
        log = server.read_log()
        server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertIn(code, (0, None), log[-3000:])

    def submit(self, server, rcpts, data, mail_options=(), rcpt_options=()):
        with smtplib.SMTP("127.0.0.1", server.ports["submission"], timeout=30) as s:
            s.ehlo("laptop.a.test")
            s.login("alice@a.test", PASSWORD)
            return s.sendmail("alice@a.test", rcpts, data, list(mail_options), list(rcpt_options))

    def inbox(self, server):
        """Every message in alice's INBOX, over IMAP."""
        m = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"], ssl_context=insecure(), timeout=30)
        try:
            m.login("alice@a.test", PASSWORD)
            m.select("INBOX", readonly=True)
            _, data = m.search(None, "ALL")
            out = []
            for num in data[0].split():
                _, got = m.fetch(num, "(RFC822)")
                out.append(got[0][1])
            return out
        finally:
            m.logout()

    def wait_inbox(self, server, count, timeout=30):
        deadline = time.time() + timeout
        got = []
        while time.time() < deadline:
            got = self.inbox(server)
            if len(got) >= count:
                return got
            time.sleep(0.3)
        self.fail(f"{len(got)} messages in INBOX, wanted {count}:\n" + server.read_log()[-3000:])

    def queue_empty(self, server, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not server.cli("queue", "list").stdout.decode().strip():
                return True
            time.sleep(0.2)
        return False

    def parse(self, raw):
        """(message, [per-message fields, per-recipient fields...], human text, returned part)."""
        self.assertTrue(raw.startswith(b"Return-Path: <>\r\n"), raw[:200])
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report")
        self.assertEqual(msg.get_param("report-type"), "delivery-status")
        self.assertEqual(msg["Auto-Submitted"], "auto-replied")
        self.assertEqual(msg["To"].addresses[0].addr_spec, "alice@a.test")
        self.assertTrue(msg["Message-ID"])
        self.assertTrue(msg["Date"].datetime)
        self.assertEqual(msg.defects, [])
        parts = msg.get_payload()
        self.assertEqual(len(parts), 3)
        self.assertEqual(parts[0].get_content_type(), "text/plain")
        self.assertEqual(parts[0].get_content_charset(), "utf-8")
        self.assertEqual(parts[1].get_content_type(), "message/delivery-status")
        # The email package parses message/delivery-status into header blocks.
        blocks = parts[1].get_payload()
        return msg, blocks, parts[0].get_content(), parts[2]

    def test_550_bounce_lands_in_senders_inbox(self):
        mx = self.fake(rcpt=lambda addr: "550 5.1.1 no such user" if addr.startswith("nobody") else "250 ok")
        a = self.sender(mx)
        original = message("partial")
        self.assertEqual(self.submit(a, ["one@fake.test", "nobody@fake.test"], original,
                                     mail_options=["ENVID=env+2B1"],
                                     rcpt_options=["ORCPT=rfc822;orig+3Dx@a.test"]), {})
        got = self.wait_inbox(a, 1)
        self.assertTrue(self.queue_empty(a))
        msg, blocks, text, returned = self.parse(got[0])
        self.assertEqual(msg["Subject"], "Undelivered Mail Returned to Sender / 退信通知")
        self.assertIn("could not be delivered", text)
        self.assertIn("无法投递", text)
        self.assertIn("<nobody@fake.test>", text)
        self.assertIn("550 5.1.1 no such user", text)
        self.assertNotIn("one@fake.test", text, "the delivered recipient is not reported")
        self.assertEqual(len(blocks), 2)
        self.assertEqual(blocks[0]["Reporting-MTA"], "dns; mx.example.com")
        self.assertEqual(blocks[0]["Original-Envelope-Id"], "env+1")
        self.assertTrue(blocks[0]["Arrival-Date"])
        r = blocks[1]
        self.assertEqual(r["Final-Recipient"], "rfc822; nobody@fake.test")
        self.assertEqual(r["Original-Recipient"], "rfc822; orig=x@a.test")
        self.assertEqual(r["Action"], "failed")
        self.assertEqual(r["Status"], "5.1.1")
        self.assertEqual(r["Diagnostic-Code"], "smtp; 550 5.1.1 no such user")
        self.assertEqual(r["Remote-MTA"], "dns; mx.fake.test")
        self.assertTrue(r["Last-Attempt-Date"])
        self.assertEqual(returned.get_content_type(), "message/rfc822")
        inner = returned.get_payload()[0]
        self.assertEqual(inner["Subject"], "partial")
        self.assertIn(b"Hello from A.", returned.as_bytes())
        # Nothing twice, nothing to the null sender.
        time.sleep(2)
        self.assertEqual(len(self.inbox(a)), 1)

    def test_expired_entry_fails_with_4_4_7(self):
        mx = self.fake(rcpt=lambda addr: "451 4.3.0 try again later")
        a = self.sender(mx, max_age=2)
        self.assertEqual(self.submit(a, ["late@fake.test"], message("too late"),
                                     rcpt_options=["NOTIFY=FAILURE"]), {})
        got = self.wait_inbox(a, 1)
        self.assertTrue(self.queue_empty(a))
        msg, blocks, text, _ = self.parse(got[0])
        self.assertIn("退信", msg["Subject"])
        self.assertIn("无法投递", text)
        self.assertEqual(blocks[1]["Final-Recipient"], "rfc822; late@fake.test")
        self.assertEqual(blocks[1]["Action"], "failed")
        self.assertEqual(blocks[1]["Status"], "4.4.7")
        self.assertEqual(blocks[1]["Diagnostic-Code"], "smtp; 451 4.3.0 try again later")

    def test_ret_hdrs_returns_only_the_header(self):
        mx = self.fake(rcpt=lambda addr: "550 5.7.1 go away")
        a = self.sender(mx)
        self.assertEqual(self.submit(a, ["x@fake.test"], message("headers only", body="SECRET BODY\r\n"),
                                     mail_options=["RET=HDRS"]), {})
        got = self.wait_inbox(a, 1)
        _, blocks, _, returned = self.parse(got[0])
        self.assertEqual(blocks[1]["Status"], "5.7.1")
        self.assertEqual(returned.get_content_type(), "text/rfc822-headers")
        self.assertIn("Subject: headers only", returned.get_content())
        self.assertNotIn(b"SECRET BODY", got[0])

    def test_notify_never_and_success_only_suppress_the_bounce(self):
        mx = self.fake(rcpt=lambda addr: "550 5.1.1 no such user")
        a = self.sender(mx)
        self.assertEqual(self.submit(a, ["never@fake.test"], message("quiet"), rcpt_options=["NOTIFY=NEVER"]), {})
        self.assertEqual(self.submit(a, ["success@fake.test"], message("quiet2"),
                                     rcpt_options=["NOTIFY=SUCCESS"]), {})
        self.assertTrue(self.queue_empty(a))
        time.sleep(1.5)
        self.assertEqual(self.inbox(a), [])

    def test_delay_warning(self):
        mx = self.fake(rcpt=lambda addr: "451 4.2.2 mailbox full")
        a = self.sender(mx, delay_warning=1, max_age=600)
        self.assertEqual(self.submit(a, ["slow@fake.test"], message("slow"),
                                     rcpt_options=["NOTIFY=DELAY,FAILURE"]), {})
        got = self.wait_inbox(a, 1)
        msg, blocks, text, _ = self.parse(got[0])
        self.assertIn("延迟投递通知", msg["Subject"])
        self.assertEqual(blocks[1]["Action"], "delayed")
        self.assertEqual(blocks[1]["Status"], "4.2.2")
        self.assertTrue(blocks[1]["Will-Retry-Until"])
        self.assertIn("继续重试", text)
        time.sleep(2.5)
        self.assertEqual(len(self.inbox(a)), 1, "one delay warning only")
        self.assertFalse(self.queue_empty(a, timeout=0.5), "still queued")


if __name__ == "__main__":
    unittest.main()
