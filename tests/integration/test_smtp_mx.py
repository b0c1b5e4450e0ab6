"""The MX listener with real clients: Python's smtplib, swaks, and raw sockets for
the cases a polite client never produces."""

import shutil
import smtplib
import subprocess
import sys
import os

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import RawSmtp  # noqa: E402

MESSAGE = (b"From: Sender <sender@outside.example>\r\n"
           b"To: Alice <alice@example.com>\r\n"
           b"Subject: =?UTF-8?B?5a2j5bqm5oql5ZGK?=\r\n"
           b"Message-ID: <1@outside.example>\r\n"
           b"\r\n"
           b"Hello Alice.\r\n"
           b".A line that starts with a dot.\r\n"
           b"..two dots\r\n"
           b"\xe4\xbd\xa0\xe5\xa5\xbd 8-bit UTF-8 text\r\n")


class MxTest(harness.ServerTest):
    # The SMTP dialogue and byte-exact storage: no spam scoring here, which would
    # file the malformed messages as junk with headers of its own (test_filter.py
    # covers scoring).
    extra_config = "[spam]\nenabled = false\n"

    def smtp(self):
        return smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30)

    def stored(self, address, uid=1):
        return self.server.message_bytes(address, uid)

    def test_delivers_byte_exact_with_trace_headers(self):
        with self.smtp() as s:
            code, _ = s.ehlo("client.outside.example")
            self.assertEqual(code, 250)
            self.assertNotIn("auth", s.esmtp_features)  # AUTH belongs to the submission ports
            for ext in ("pipelining", "size", "8bitmime", "smtputf8", "enhancedstatuscodes",
                        "chunking", "dsn", "starttls"):
                self.assertIn(ext, s.esmtp_features)
            refused = s.sendmail("sender@outside.example", ["alice@example.com"], MESSAGE,
                                 mail_options=["BODY=8BITMIME"])
            self.assertEqual(refused, {})
        rows = self.server.messages("alice@example.com")
        self.assertEqual(len(rows), 1)
        data = self.stored("alice@example.com")
        self.assertTrue(data.startswith(b"Return-Path: <sender@outside.example>\r\nReceived: from "
                                        b"client.outside.example ([127.0.0.1])\r\n\tby mx.example.com"))
        # After our two trace fields, the message exactly as sent (dots unstuffed).
        self.assertTrue(data.endswith(b"\r\n" + MESSAGE), data)
        self.assertIn(b"for <alice@example.com>;", data)
        self.assertEqual(rows[0]["size"], len(data))

    def test_one_blob_for_all_recipients_aliases_and_catch_all(self):
        self.server.cli("alias", "add", "sales@example.com", "alice@example.com", "bob@example.com")
        self.server.cli("domain", "catch-all", "example.com", "bob@example.com")
        with self.smtp() as s:
            s.ehlo("c.example")
            refused = s.sendmail("x@outside.example",
                                 ["alice@example.com", "SALES@Example.COM", "nobody-here@example.com"],
                                 MESSAGE)
            self.assertEqual(refused, {})
        alice = self.server.messages("alice@example.com")
        bob = self.server.messages("bob@example.com")
        # Alice is reached directly and through the alias: one copy. Bob through the
        # alias and the catch-all: one copy.
        self.assertEqual(len(alice), 1)
        self.assertEqual(len(bob), 1)
        self.assertEqual(alice[0]["blob"], bob[0]["blob"])
        blobs = []
        for root, _, files in os.walk(os.path.join(self.server.data, "blobs")):
            blobs += [f for f in files if len(f) == 64]
        self.assertEqual(blobs, [alice[0]["blob"]])

    def test_unknown_recipient_and_relay_are_refused(self):
        with self.smtp() as s:
            s.ehlo("c.example")
            s.mail("x@outside.example")
            code, msg = s.rcpt("nobody@example.com")
            self.assertEqual(code, 550)
            self.assertIn(b"5.1.1", msg)
            code, msg = s.rcpt("victim@elsewhere.example")
            self.assertEqual(code, 554)
            self.assertIn(b"5.7.1", msg)
            code, msg = s.rcpt("bob@example.com")
            self.assertEqual(code, 250)
            code, _ = s.data(MESSAGE)
            self.assertEqual(code, 250)
        self.assertEqual(len(self.server.messages("bob@example.com")), 1)

    def test_size_limits(self):
        with self.smtp() as s:
            s.ehlo("c.example")
            limit = int(s.esmtp_features["size"])
            code, msg = s.mail("x@outside.example", ["SIZE=%d" % (limit + 1)])
            self.assertEqual(code, 552)
            self.assertIn(b"5.3.4", msg)
        raw = RawSmtp(self.port("smtp"))
        raw.reply()
        raw.cmd("EHLO c.example")
        self.assertEqual(raw.cmd("MAIL FROM:<x@outside.example>")[0], 250)
        self.assertEqual(raw.cmd("RCPT TO:<alice@example.com>")[0], 250)
        self.assertEqual(raw.cmd("DATA")[0], 354)
        line = b"x" * 998 + b"\r\n"
        block = line * 1024
        sent = 0
        while sent <= limit:
            raw.send(block)
            sent += len(block)
        raw.send(b".\r\n")
        code, text = raw.reply()
        self.assertEqual(code, 552)
        self.assertIn("5.3.4", text)
        self.assertEqual(raw.cmd("QUIT")[0], 221)
        self.assertEqual(self.server.messages("alice@example.com"), [])

    def test_protocol_errors_get_clear_replies(self):
        raw = RawSmtp(self.port("smtp"))
        self.assertEqual(raw.reply()[0], 220)
        self.assertEqual(raw.cmd("MAIL FROM:<x@outside.example>")[0], 503)  # before EHLO
        self.assertEqual(raw.cmd("EHLO c.example")[0], 250)
        self.assertEqual(raw.cmd("RCPT TO:<alice@example.com>")[0], 503)    # before MAIL
        self.assertEqual(raw.cmd("DATA")[0], 503)
        code, text = raw.cmd("FROB")
        self.assertEqual((code, text[:5]), (500, "5.5.1"))
        code, text = raw.cmd("MAIL FROM:<not an address>")
        self.assertEqual(code, 501)
        code, text = raw.cmd("NOOP " + "x" * 2000)
        self.assertEqual((code, text[:5]), (500, "5.5.2"))
        self.assertEqual(raw.cmd("VRFY alice")[0], 252)  # never confirms an account
        self.assertEqual(raw.cmd("EXPN staff")[0], 502)
        self.assertEqual(raw.cmd("HELP")[0], 214)
        self.assertEqual(raw.cmd("RSET")[0], 250)
        self.assertEqual(raw.cmd("QUIT")[0], 221)
        self.assertTrue(raw.closed())

    def test_repeated_errors_disconnect(self):
        raw = RawSmtp(self.port("smtp"))
        raw.reply()
        codes = []
        for _ in range(12):
            try:
                codes.append(raw.cmd("BOGUS")[0])
            except ConnectionError:
                break
        self.assertIn(421, codes)
        self.assertTrue(raw.closed())

    def test_plus_addresses_are_not_invented(self):
        with self.smtp() as s:
            s.ehlo("c.example")
            s.mail("x@outside.example")
            codes = [s.rcpt("alice+%d@example.com" % i)[0] for i in range(3)]
            self.assertEqual(codes, [550, 550, 550])

    def test_bdat_chunking(self):
        raw = RawSmtp(self.port("smtp"))
        raw.reply()
        raw.cmd("EHLO c.example")
        self.assertEqual(raw.cmd("MAIL FROM:<x@outside.example> BODY=BINARYMIME")[0], 250)
        self.assertEqual(raw.cmd("RCPT TO:<alice@example.com>")[0], 250)
        first, second = MESSAGE[:50], MESSAGE[50:] + b"bare\nLF is data in BDAT\r\n"
        raw.send(b"BDAT %d\r\n" % len(first) + first)
        self.assertEqual(raw.reply()[0], 250)
        # Pipelined: the last chunk and a command right after its bytes.
        raw.send(b"BDAT %d LAST\r\n" % len(second) + second + b"NOOP\r\n")
        code, text = raw.reply()
        self.assertEqual(code, 250, text)
        self.assertEqual(raw.reply()[0], 250)  # the NOOP
        raw.cmd("QUIT")
        data = self.stored("alice@example.com")
        self.assertTrue(data.endswith(b"\r\n" + first + second))

    def test_smtputf8(self):
        self.server.add_user("张伟@example.com")
        with self.smtp() as s:
            s.ehlo("c.example")
            s.command_encoding = "utf-8"
            code, msg = s.mail("发件人@outside.example")
            self.assertEqual(code, 553)  # UTF-8 without SMTPUTF8
            s.rset()
            refused = s.sendmail("发件人@outside.example", ["张伟@example.com"],
                                 "Subject: 你好\r\n\r\n正文\r\n".encode(),
                                 mail_options=["SMTPUTF8", "BODY=8BITMIME"])
            self.assertEqual(refused, {})
        data = self.stored("张伟@example.com")
        self.assertIn("Return-Path: <发件人@outside.example>".encode(), data)
        self.assertIn(b"with UTF8SMTP", data)
        self.assertTrue(data.endswith("Subject: 你好\r\n\r\n正文\r\n".encode()))

    def test_dsn_parameters_accepted(self):
        with self.smtp() as s:
            s.ehlo("c.example")
            refused = s.sendmail("x@outside.example", ["alice@example.com"], MESSAGE,
                                 mail_options=["RET=HDRS", "ENVID=abc+2Bdef"],
                                 rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;alice@example.com"])
            self.assertEqual(refused, {})
            self.assertEqual(s.mail("x@outside.example", ["RET=MAYBE"])[0], 501)
            self.assertEqual(s.mail("x@outside.example", ["ENVID=bad+ZZ"])[0], 501)
            self.assertEqual(s.mail("x@outside.example")[0], 250)
            self.assertEqual(s.rcpt("alice@example.com", ["NOTIFY=NEVER,SUCCESS"])[0], 501)

    def test_malformed_mime_is_stored_byte_exact(self):
        deep = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
                        for i in range(1000))
        cases = {
            "unterminated": b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nno end\r\n",
            "deep": b"Subject: deep\r\n" + deep + b"bottom\r\n",
            "nul": b"Subject: nul\x00byte\r\n\r\nbody\x00with NUL\r\n",
            "bad-utf8": b"Subject: \xff\xfe\xc3\r\n\r\n\xc3\x28 invalid\r\n",
            "huge-header": b"X-Long: " + b"a" * 900 + b"".join(b"\r\n\t" + b"b" * 900 for _ in range(300)) + b"\r\n\r\nx\r\n",
            "no-header": b"\r\njust a body\r\n",
        }
        with self.smtp() as s:
            s.ehlo("c.example")
            for name, body in cases.items():
                self.assertEqual(s.sendmail("x@outside.example", ["alice@example.com"], body), {}, name)
        rows = self.server.messages("alice@example.com")
        self.assertEqual(len(rows), len(cases))
        for row, (name, body) in zip(rows, cases.items()):
            data = self.stored("alice@example.com", row["uid"])
            # Our two trace fields, then the bytes exactly as sent.
            self.assertTrue(data.endswith(body), name)
            self.assertTrue(data[:-len(body)].endswith(b" +0000\r\n"), name)
            self.assertEqual(data.count(b"\r\nReceived: "), 1, name)

    def test_mail_loop_refused(self):
        looped = b"".join(b"Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n" for _ in range(60))
        with self.smtp() as s:
            s.ehlo("c.example")
            with self.assertRaises(smtplib.SMTPDataError) as e:
                s.sendmail("x@outside.example", ["alice@example.com"], looped + MESSAGE)
            self.assertEqual(e.exception.smtp_code, 554)

    def test_swaks_with_starttls(self):
        swaks = shutil.which("swaks")
        if not swaks:
            self.skipTest("swaks not installed")
        r = subprocess.run([swaks, "--server", "127.0.0.1", "--port", str(self.port("smtp")),
                            "--from", "someone@outside.example", "--to", "bob@example.com",
                            "--tls", "--header", "Subject: via swaks",
                            "--body", "hello from swaks", "--helo", "swaks.example"],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        data = self.stored("bob@example.com")
        self.assertIn(b"with ESMTPS", data)
        self.assertIn(b"(using TLSv1.3", data)
        self.assertIn(b"Subject: via swaks", data)


class RecipientLimitTest(harness.ServerTest):
    extra_config = "[limits]\nrecipients = 3\n"

    def test_too_many_recipients_get_452(self):
        for i in range(4):
            self.server.cli("alias", "add", "r%d@example.com" % i, "alice@example.com")
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30) as s:
            s.ehlo("c.example")
            s.mail("x@outside.example")
            for i in range(3):
                self.assertEqual(s.rcpt("r%d@example.com" % i)[0], 250)
            self.assertEqual(s.rcpt("r2@example.com")[0], 250)  # a duplicate costs nothing
            code, msg = s.rcpt("r3@example.com")
            self.assertEqual(code, 452)
            self.assertIn(b"4.5.3", msg)
            self.assertEqual(s.data(MESSAGE)[0], 250)
        self.assertEqual(len(self.server.messages("alice@example.com")), 1)


if __name__ == "__main__":
    harness.main()
