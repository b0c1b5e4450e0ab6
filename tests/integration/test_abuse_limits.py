"""Abuse limits (issue 5 §6) against the real binary with smtplib and a raw SMTP
client: connections per IP per minute (421 4.7.0), recipients per message (452
4.5.3, RFC 5321 §4.5.3.1.8), messages per hour per account to outside recipients
on submission (451 4.7.1, one alert to the admins, an audit record; 550 5.7.1 and
a frozen account with freeze_on_limit), and greylisting at RCPT (RFC 6647) kept
in the store across a restart."""

import os
import smtplib
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import PASSWORD, RawSmtp, Server  # noqa: E402


def text_message(subject, frm="alice@example.com", to="someone@outside.example"):
    return (f"From: {frm}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '.')}@t>\r\n\r\n"
            f"body\r\n").encode()


class LimitsBase(unittest.TestCase):
    extra = ""

    def setUp(self):
        self.server = Server("[smtp]\nallow_plaintext_auth_on_loopback = true\n" + self.extra,
                             listen=("smtp", "submission"))
        self.server.cli("domain", "add", "example.com")
        self.server.add_user("alice@example.com", name="Alice")
        self.server.add_user("bob@example.com", name="Bob")
        self.server.add_user("admin@example.com", name="Admin")
        self.server.cli("role", "grant", "admin@example.com", "super-admin")
        self.server.start()

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])

    def submit(self, rcpts, subject):
        """Returns the RCPT replies, and the DATA reply when any RCPT was accepted."""
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=60) as s:
            s.login("alice@example.com", PASSWORD)
            s.mail("alice@example.com")
            replies = [s.rcpt(r) for r in rcpts]
            final = None
            if any(code == 250 for code, _ in replies):
                final = s.data(text_message(subject))
            return replies, final


class ConnectionRateTest(LimitsBase):
    extra = "[limits]\nsmtp_connections_per_minute_per_ip = 4\n"

    def test_fifth_connection_in_a_minute_gets_421(self):
        # The harness's start-up probe was the first connection of the minute.
        for _ in range(3):
            c = RawSmtp(self.server.ports["smtp"])
            code, _ = c.reply()
            self.assertEqual(code, 220)
            c.cmd("QUIT")
            c.close()
        c = RawSmtp(self.server.ports["smtp"])
        code, text = c.reply()
        self.assertEqual(code, 421)
        self.assertTrue(text.startswith("4.7.0 "), text)
        self.assertIn("Too many connections from 127.0.0.1", text)
        self.assertTrue(c.closed())
        c.close()
        # The submission listener counts on its own.
        c = RawSmtp(self.server.ports["submission"])
        self.assertEqual(c.reply()[0], 220)
        c.close()


class RecipientsPerMessageTest(LimitsBase):
    extra = "[limits]\nrecipients = 3\n"

    def test_recipient_over_the_limit_gets_452_and_the_rest_is_delivered(self):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=60) as s:
            s.ehlo("mail.outside.example")
            s.mail("x@outside.example")
            for r in ("alice@example.com", "bob@example.com", "admin@example.com"):
                self.assertEqual(s.rcpt(r)[0], 250)
            # A duplicate is acknowledged and delivered once; it does not count.
            self.assertEqual(s.rcpt("alice@example.com")[0], 250)
            code, text = s.rcpt("carol@example.com")
            # RFC 5321 §4.5.3.1.8: 452 (not 552) so that the client sends the rest later.
            self.assertEqual(code, 452)
            self.assertTrue(text.startswith(b"4.5.3 "), text)
            code, _ = s.data(text_message("three", frm="x@outside.example", to="alice@example.com"))
            self.assertEqual(code, 250)
        self.assertEqual(len(self.server.wait_for_messages("bob@example.com", 1)), 1)


class SubmissionRateTest(LimitsBase):
    # No DNS: mail to outside recipients stays queued, which is all this needs.
    extra = "[limits]\nsubmission_external_per_hour = 2\n"

    def test_spraying_account_is_stopped_and_admins_alerted_once(self):
        for i in range(2):
            replies, final = self.submit(["someone@outside.example"], f"ok {i}")
            self.assertEqual(replies[0][0], 250, replies)
            self.assertEqual(final[0], 250, final)
        for i in range(3):
            replies, final = self.submit(["someone@outside.example", "other@elsewhere.example"], f"refused {i}")
            for code, text in replies:
                self.assertEqual(code, 451, text)
                self.assertTrue(text.startswith(b"4.7.1 "), text)
                self.assertIn(b"at most 2 an hour", text)
            self.assertIsNone(final)
        # Colleagues can still be reached.
        replies, final = self.submit(["bob@example.com", "someone@outside.example"], "mixed")
        self.assertEqual(replies[0][0], 250)
        self.assertEqual(replies[1][0], 451)
        self.assertEqual(final[0], 250)

        # One alert, in Chinese and English, however many messages were refused.
        rows = self.server.wait_for_messages("admin@example.com", 1)
        time.sleep(0.5)
        rows = self.server.messages("admin@example.com")
        self.assertEqual(len(rows), 1)
        alert = self.server.message_bytes("admin@example.com", rows[0]["uid"])
        import email
        import email.policy
        m = email.message_from_bytes(alert, policy=email.policy.default)
        self.assertIn("alice@example.com", m["Subject"])
        body = m.get_content()
        self.assertIn("外部收件人", body)
        self.assertIn("outside recipients", body)
        audit = self.server.cli("audit", "--action", "submission.limit").stdout.decode()
        self.assertIn("alice@example.com", audit)
        self.assertEqual(audit.count("submission.limit"), 1, audit)

    def test_the_limit_counts_recipients_not_messages(self):
        # One message to three outside addresses: the third RCPT is over the limit of
        # two, so a single message cannot spray past it.
        replies, final = self.submit(["a@outside.example", "b@outside.example", "c@outside.example"], "many")
        self.assertEqual([code for code, _ in replies], [250, 250, 451], replies)
        self.assertEqual(final[0], 250, final)
        replies, final = self.submit(["d@outside.example"], "after")
        self.assertEqual(replies[0][0], 451, replies)


class FreezeOnLimitTest(LimitsBase):
    extra = "[limits]\nsubmission_external_per_hour = 1\nfreeze_on_limit = true\n"

    def test_account_is_frozen(self):
        replies, final = self.submit(["someone@outside.example"], "first")
        self.assertEqual(final[0], 250)
        replies, _ = self.submit(["someone@outside.example"], "second")
        self.assertEqual(replies[0][0], 550)
        self.assertTrue(replies[0][1].startswith(b"5.7.1 "), replies)
        with self.assertRaises(smtplib.SMTPAuthenticationError):
            with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=60) as s:
                s.login("alice@example.com", PASSWORD)


class GreylistTest(LimitsBase):
    # Authentication is off so that the loopback client is judged like any other.
    extra = ("[greylist]\nenabled = true\ndelay = 2\n"
             "[auth]\nenabled = false\ntrust_loopback = false\n")

    def attempt(self, sender="x@outside.example", rcpt="alice@example.com"):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=60) as s:
            s.ehlo("mail.outside.example")
            s.mail(sender)
            code, text = s.rcpt(rcpt)
            if code == 250:
                self.assertEqual(s.data(text_message("grey", frm=sender, to=rcpt))[0], 250)
            return code, text

    def test_first_attempt_deferred_then_accepted_and_remembered(self):
        code, text = self.attempt()
        self.assertEqual(code, 451)
        self.assertTrue(text.startswith(b"4.7.1 "), text)
        self.assertIn(b"Greylisted", text)
        self.assertEqual(self.attempt()[0], 451)  # too early
        time.sleep(2.5)
        self.assertEqual(self.attempt()[0], 250)
        self.assertEqual(self.attempt()[0], 250)  # remembered
        # Another sender or recipient is another triplet.
        self.assertEqual(self.attempt(sender="y@outside.example")[0], 451)
        self.assertEqual(self.attempt(rcpt="bob@example.com")[0], 451)
        # Durable: the store keeps the triplet across a restart.
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        self.assertEqual(self.attempt()[0], 250)
        # Authenticated submission skips greylisting.
        replies, final = self.submit(["bob@example.com"], "internal")
        self.assertEqual(replies[0][0], 250)
        self.assertEqual(final[0], 250)
        self.assertEqual(len(self.server.messages("alice@example.com")), 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
