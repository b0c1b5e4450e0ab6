"""Outbound delivery to a real receiving MTA: Debian's Postfix (tests/integration/
postfix.py) as remote.test's MX, found through Knot DNS on loopback, with STARTTLS
offered under a certificate from the test CA. Employees submit to Letterhead, whose
queue delivers:

- an ASCII message, an 8-bit UTF-8 one (Postfix offers 8BITMIME: sent as it is) and
  one to 25 recipients arrive in Postfix's maildirs, each over TLS (Postfix's own
  Received field says so), the 25 recipients in one transaction (Postfix logs
  nrcpt=25), and both DKIM signatures (RSA and Ed25519) of each verify with dkimpy
  against the keys `letterhead dns` prints, published in Knot;
- a recipient Postfix does not know is refused by it (550 5.1.1), and the sender
  gets a DSN in her INBOX that Python's email package reads as multipart/report
  naming that recipient with status 5.1.1.

Skipped, with the reason, where Postfix is missing or cannot run (it needs root)."""

import email
import email.policy
import os
import smtplib
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import postfix  # noqa: E402
from dnsserver import DnsServer  # noqa: E402
from harness import PASSWORD  # noqa: E402
from test_forwarding import dkim_records, zone_txt  # noqa: E402
from test_outbound import FAST_QUEUE, PLAINTEXT_AUTH  # noqa: E402
from tlsca import TestCa  # noqa: E402

import dkim  # noqa: E402  (python3-dkim)

CROWD = [f"r{i}@remote.test" for i in range(23)]
MAILBOXES = ["bob@remote.test", "carol@remote.test"] + CROWD


@unittest.skipIf(postfix.available(), postfix.available() or "")
class PostfixReceiverTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.ca = TestCa(["mx.remote.test"])
        cls.pf = postfix.Postfix(MAILBOXES, cert=cls.ca.chain_file, key=cls.ca.key_file).__enter__()
        cls.a = harness.Server(
            PLAINTEXT_AUTH + FAST_QUEUE + f"mx_port = {cls.pf.port}\n"
            '[limits]\nsubmission_external_per_hour = 0\n[dns]\nservers = ["127.0.0.1:9"]\ntimeout = 2\n',
            listen=("submission",))
        cls.a.cli("domain", "add", "example.com")
        cls.a.add_user("alice@example.com", name="Alice")
        keys = dkim_records(cls.a, "example.com")
        assert len(keys) == 2, keys  # RSA and Ed25519
        cls.dns = DnsServer({
            "remote.test": "@ MX 10 mx\nmx A 127.0.0.1\n",
            "example.com": "".join(f"{n} TXT {zone_txt(t)}\n" for n, t in keys),
        }).__enter__()
        with open(cls.a.config) as f:
            text = f.read()
        with open(cls.a.config, "w") as f:
            f.write(text.replace('servers = ["127.0.0.1:9"]', f'servers = ["{cls.dns.address}"]'))
        cls.a.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.a.stop()
        log = cls.a.read_log()
        cls.a.cleanup()
        cls.dns.__exit__(None, None, None)
        cls.pf.__exit__(None, None, None)
        cls.ca.cleanup()
        assert "ERROR: AddressSanitizer" not in log and "runtime error:" not in log, log[-3000:]
        assert code in (0, None), log[-3000:]

    def submit(self, rcpts, msg):
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=30) as s:
            s.login("alice@example.com", PASSWORD)
            s.sendmail("alice@example.com", rcpts, msg)

    def received(self, address, message_id, timeout=40):
        """The message with `message_id` in the Postfix mailbox of `address`, or None."""
        deadline = time.time() + timeout
        while True:
            got = [m for m in self.pf.messages(address) if message_id in m]
            if got or time.time() > deadline:
                return got[0] if got else None
            time.sleep(0.2)

    def assert_signed_and_over_tls(self, raw):
        # Postfix put its Received field (with the TLS it saw) on top of ours.
        self.assertRegex(raw, rb"Received: from [^\r\n]*\r?\n\s+\(using TLSv1\.[23] ")
        sigs = [h for h in email.message_from_bytes(raw).get_all("DKIM-Signature") or []]
        self.assertEqual(len(sigs), 2, raw[:1500])
        self.assertTrue(any("a=rsa-sha256" in s for s in sigs))
        self.assertTrue(any("a=ed25519-sha256" in s for s in sigs))
        d = dkim.DKIM(raw.replace(b"\n", b"\r\n") if b"\r\n" not in raw else raw)
        for i in range(2):
            self.assertTrue(d.verify(idx=i, dnsfunc=self.dns.txt), f"signature {i} does not verify: {sigs[i][:80]}")

    def test_ascii_and_8bit_messages_arrive_signed_over_tls(self):
        ascii_msg = (b"From: Alice <alice@example.com>\r\nTo: bob@remote.test\r\nSubject: quarterly report\r\n"
                     b"Date: Sun, 29 Nov 2026 10:00:00 +0800\r\nMessage-ID: <pf-1@example.com>\r\n\r\n"
                     b"The figures are attached tomorrow.\r\n")
        utf8_body = "您好，附件是本季度的报告。\r\n".encode()
        utf8_msg = (b"From: Alice <alice@example.com>\r\nTo: carol@remote.test\r\nSubject: =?UTF-8?B?5oql5ZGK?=\r\n"
                    b"Date: Sun, 29 Nov 2026 10:01:00 +0800\r\nMessage-ID: <pf-2@example.com>\r\nMIME-Version: 1.0\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + utf8_body)
        self.submit(["bob@remote.test"], ascii_msg)
        self.submit(["carol@remote.test"], utf8_msg)
        bob = self.received("bob@remote.test", b"<pf-1@example.com>")
        carol = self.received("carol@remote.test", b"<pf-2@example.com>")
        self.assertIsNotNone(bob, self.pf.read_log()[-3000:] + self.a.read_log()[-2000:])
        self.assertIsNotNone(carol, self.pf.read_log()[-3000:])
        bob, carol = [bob], [carol]
        self.assertIn(b"The figures are attached tomorrow.", bob[0])
        self.assert_signed_and_over_tls(bob[0])
        self.assert_signed_and_over_tls(carol[0])
        got = email.message_from_bytes(carol[0], policy=email.policy.default)
        self.assertEqual(got.get_content(), utf8_body.decode().replace("\r\n", "\n"))
        self.assertIn(utf8_body.replace(b"\r\n", b"\n"), carol[0])  # 8BITMIME offered: not re-encoded (maildir: LF)

    def test_25_recipients_in_one_transaction(self):
        msg = (b"From: Alice <alice@example.com>\r\nTo: undisclosed-recipients:;\r\nSubject: all hands\r\n"
               b"Date: Sun, 29 Nov 2026 11:00:00 +0800\r\nMessage-ID: <pf-3@example.com>\r\n\r\nMeeting at 3.\r\n")
        self.submit(["bob@remote.test", "carol@remote.test"] + CROWD, msg)
        for r in ["bob@remote.test", "carol@remote.test"] + CROWD:
            got = [self.received(r, b"<pf-3@example.com>")]
            self.assertIsNotNone(got[0], f"{r}: {self.pf.read_log()[-2000:]}")
        self.assert_signed_and_over_tls(got[0])
        self.assertRegex(self.pf.read_log(), r"from=<alice@example\.com>, size=\d+, nrcpt=25 ")

    def test_unknown_recipient_bounces_to_the_sender(self):
        msg = (b"From: Alice <alice@example.com>\r\nTo: nobody@remote.test\r\nSubject: anyone there?\r\n"
               b"Date: Sun, 29 Nov 2026 12:00:00 +0800\r\nMessage-ID: <pf-4@example.com>\r\n\r\nHello?\r\n")
        before = len(self.a.messages("alice@example.com"))
        self.submit(["nobody@remote.test"], msg)
        rows = self.a.wait_for_messages("alice@example.com", before + 1, timeout=40)
        self.assertGreater(len(rows), before, self.a.read_log()[-3000:])
        raw = self.a.message_bytes("alice@example.com", rows[-1]["uid"])
        report = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(report.get_content_type(), "multipart/report")
        self.assertEqual(report.get_param("report-type"), "delivery-status")
        status = [p for p in report.walk() if p.get_content_type() == "message/delivery-status"]
        self.assertEqual(len(status), 1)
        text = status[0].as_string()
        self.assertIn("nobody@remote.test", text)
        self.assertRegex(text, r"Status: 5\.1\.1")
        self.assertRegex(text, r"Remote-MTA: dns; ?mx\.remote\.test")
        self.assertIn("pf-4@example.com", raw.decode(errors="replace"))  # the original is attached


if __name__ == "__main__":
    unittest.main(verbosity=2)
