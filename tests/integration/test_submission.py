"""Submission on 587 (STARTTLS) and 465 (implicit TLS): authentication, sender
ownership, local and remote recipients."""

import os
import shutil
import smtplib
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD  # noqa: E402

MESSAGE = b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nhello\r\n"


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class SubmissionTest(harness.ServerTest):

    def starttls(self):
        s = smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=30)
        s.ehlo("laptop.example")
        s.starttls(context=insecure())
        s.ehlo("laptop.example")
        return s

    def test_plain_and_login_after_starttls(self):
        for mechanism in ("PLAIN", "LOGIN"):
            with self.subTest(mechanism=mechanism), self.starttls() as s:
                self.assertIn("PLAIN", s.esmtp_features["auth"])
                s.user, s.password = "alice@example.com", PASSWORD
                code, _ = s.auth(mechanism, getattr(s, "auth_" + mechanism.lower()),
                                 initial_response_ok=(mechanism == "PLAIN"))
                self.assertEqual(code, 235)
                self.assertEqual(s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE), {})
        rows = self.server.messages("bob@example.com")
        self.assertEqual(len(rows), 2)
        data = self.server.message_bytes("bob@example.com", rows[0]["uid"])
        self.assertIn(b"with ESMTPSA", data)

    def test_wrong_password_and_unknown_user_look_the_same(self):
        with self.starttls() as s:
            with self.assertRaises(smtplib.SMTPAuthenticationError) as wrong:
                s.login("alice@example.com", "not-the-password-1")
            with self.assertRaises(smtplib.SMTPAuthenticationError) as unknown:
                s.login("nobody@example.com", "not-the-password-1")
            self.assertEqual(wrong.exception.smtp_code, 535)
            self.assertEqual(wrong.exception.smtp_error, unknown.exception.smtp_error)
        self.assertNotIn("not-the-password-1", self.server.read_log())

    def test_sender_must_belong_to_the_user(self):
        self.server.cli("alias", "add", "sales@example.com", "alice@example.com")
        with self.starttls() as s:
            s.login("alice@example.com", PASSWORD)
            code, msg = s.mail("bob@example.com")
            self.assertEqual(code, 553)
            s.rset()
            self.assertEqual(s.mail("<>")[0], 553)
            s.rset()
            # An alias that delivers to the user is hers to send from.
            self.assertEqual(s.sendmail("sales@example.com", ["bob@example.com"], MESSAGE), {})

    def test_mail_needs_auth(self):
        with self.starttls() as s:
            code, msg = s.mail("alice@example.com")
            self.assertEqual(code, 530)

    def test_remote_recipient_is_queued(self):
        with self.starttls() as s:
            s.login("alice@example.com", PASSWORD)
            refused = s.sendmail("alice@example.com", ["partner@customer.example", "bob@example.com"],
                                 MESSAGE, rcpt_options=["NOTIFY=FAILURE"])
            self.assertEqual(refused, {})
        self.assertEqual(len(self.server.messages("bob@example.com")), 1)
        queue = self.server.cli("queue", "list").stdout.decode()
        self.assertEqual(len(queue.splitlines()), 1, queue)
        qid = queue.split("\t")[0]
        shown = self.server.cli("queue", "show", qid).stdout.decode()
        self.assertIn("to: <partner@customer.example>\tpending", shown)
        self.assertIn("submitted by: alice@example.com", shown)

    def test_implicit_tls_465(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.port("submissions"), context=insecure(), timeout=30) as s:
            s.ehlo("phone.example")
            s.login("bob@example.com", PASSWORD)
            self.assertEqual(s.sendmail("bob@example.com", ["alice@example.com"], MESSAGE), {})
        self.assertEqual(len(self.server.messages("alice@example.com")), 1)

    def test_swaks_auth(self):
        swaks = shutil.which("swaks")
        if not swaks:
            self.skipTest("swaks not installed")
        r = subprocess.run([swaks, "--server", "127.0.0.1", "--port", str(self.port("submission")),
                            "--from", "bob@example.com", "--to", "alice@example.com", "--tls",
                            "--auth", "LOGIN", "--auth-user", "bob@example.com",
                            "--auth-password", PASSWORD, "--helo", "swaks.example"],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertEqual(len(self.server.messages("alice@example.com")), 1)


class LoopbackPlaintextTest(harness.ServerTest):
    extra_config = "[smtp]\nallow_plaintext_auth_on_loopback = true\n"

    def test_test_setting_allows_plaintext_auth_on_loopback(self):
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=30) as s:
            s.ehlo("t.example")
            s.login("alice@example.com", PASSWORD)
            self.assertEqual(s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE), {})


if __name__ == "__main__":
    harness.main()
