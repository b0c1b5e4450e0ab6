"""SMTP smuggling (2023), STARTTLS command injection (CVE-2011-0411) and AUTH
exposure, with raw bytes on real connections."""

import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import RawSmtp  # noqa: E402

# Each variant tries to end DATA early so that what follows is read as a second,
# smuggled transaction (SEC Consult, "SMTP Smuggling", December 2023).
VARIANTS = {
    "lf.lf": b"\n.\n",
    "cr.cr": b"\r.\r",
    "lf.crlf": b"\n.\r\n",
    "crlf.lf": b"\r\n.\n",
    "cr.crlf": b"\r.\r\n",
    "lf.cr": b"\n.\r",
    "crlf.cr": b"\r\n.\r",
}


class SmugglingTest(harness.ServerTest):

    def attempt(self, end):
        raw = RawSmtp(self.port("smtp"))
        raw.reply()
        raw.cmd("EHLO attacker.example")
        self.assertEqual(raw.cmd("MAIL FROM:<a@attacker.example>")[0], 250)
        self.assertEqual(raw.cmd("RCPT TO:<alice@example.com>")[0], 250)
        self.assertEqual(raw.cmd("DATA")[0], 354)
        raw.send(b"Subject: first\r\n\r\nfirst body" + end +
                 b"MAIL FROM:<ceo@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n"
                 b"Subject: smuggled\r\n\r\nsmuggled body\r\n.\r\n")
        code, text = raw.reply()
        # Whatever the reply, there must be no further reply: the smuggled commands
        # were data, not commands.
        self.assertEqual(raw.cmd("NOOP")[0], 250)
        raw.cmd("QUIT")
        return code, text

    def test_no_variant_smuggles_a_second_message(self):
        for name, end in VARIANTS.items():
            with self.subTest(variant=name):
                code, text = self.attempt(end)
                # Bare CR/LF: the whole message is refused (RFC 5321 §2.3.8).
                self.assertEqual(code, 550, text)
                self.assertIn("5.6.0", text)
        self.assertEqual(self.server.messages("bob@example.com"), [])
        self.assertEqual(self.server.messages("alice@example.com"), [])

    def test_proper_end_still_works_with_pipelining(self):
        raw = RawSmtp(self.port("smtp"))
        raw.reply()
        raw.cmd("EHLO c.example")
        # RFC 2920: the whole transaction in one write.
        raw.send(b"MAIL FROM:<a@outside.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n")
        self.assertEqual([raw.reply()[0] for _ in range(3)], [250, 250, 354])
        raw.send(b"Subject: ok\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@outside.example>\r\n"
                 b"RCPT TO:<bob@example.com>\r\nDATA\r\n")
        self.assertEqual([raw.reply()[0] for _ in range(4)], [250, 250, 250, 354])
        raw.send(b"Subject: second\r\n\r\n.\r\n")
        self.assertEqual(raw.reply()[0], 250)
        raw.cmd("QUIT")
        self.assertEqual(len(self.server.messages("alice@example.com")), 1)
        self.assertEqual(len(self.server.messages("bob@example.com")), 1)


class StartTlsTest(harness.ServerTest):

    def tls(self, raw):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw.sock = ctx.wrap_socket(raw.sock, server_hostname="mx.example.com")

    def test_pipelined_plaintext_after_starttls_is_discarded(self):
        raw = RawSmtp(self.port("submission"))
        raw.reply()
        raw.cmd("EHLO c.example")
        # The injected RSET/NOOP travel in the same packet as STARTTLS.
        raw.send(b"STARTTLS\r\nRSET\r\nNOOP\r\n")
        code, _ = raw.reply()
        self.assertEqual(code, 220)
        self.assertEqual(raw.buf, b"")
        self.tls(raw)
        # The first reply inside TLS must belong to our EHLO, not to the injected RSET.
        code, text = raw.cmd("EHLO c.example")
        self.assertEqual(code, 250)
        self.assertIn("AUTH PLAIN LOGIN", text)
        self.assertEqual(raw.cmd("QUIT")[0], 221)
        self.assertIn("discarding plaintext pipelined after STARTTLS", self.server.read_log())

    def test_auth_needs_tls(self):
        raw = RawSmtp(self.port("submission"))
        raw.reply()
        code, text = raw.cmd("EHLO c.example")
        self.assertNotIn("AUTH", text)
        code, text = raw.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAENvcnJlY3QtSG9yc2UtNDI=")
        self.assertEqual(code, 538)
        self.assertEqual(raw.cmd("MAIL FROM:<alice@example.com>")[0], 530)
        raw.cmd("QUIT")

    def test_tls_versions(self):
        raw = RawSmtp(self.port("smtp"))
        raw.reply()
        raw.cmd("EHLO c.example")
        self.assertEqual(raw.cmd("STARTTLS")[0], 220)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        try:
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        except ssl.SSLError:
            pass
        with self.assertRaises((ssl.SSLError, OSError)):
            ctx.wrap_socket(raw.sock, server_hostname="mx.example.com")
        raw.close()
        # TLS 1.2 is accepted.
        raw = RawSmtp(self.port("smtp"))
        raw.reply()
        raw.cmd("EHLO c.example")
        raw.cmd("STARTTLS")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        raw.sock = ctx.wrap_socket(raw.sock, server_hostname="mx.example.com")
        self.assertEqual(raw.sock.version(), "TLSv1.2")
        cipher = raw.sock.cipher()[0]
        self.assertTrue("GCM" in cipher or "CHACHA20" in cipher, cipher)  # AEAD only
        self.assertEqual(raw.cmd("EHLO c.example")[0], 250)
        raw.cmd("QUIT")


if __name__ == "__main__":
    harness.main()
