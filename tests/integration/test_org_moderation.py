#!/usr/bin/python3
"""Moderated lists (issue 6): two approvals fired at once through the admin API
deliver one copy per member; approving or rejecting by replying to the notice, as
the owner through authenticated submission, works once and only with an explicit
word ("approve"/"批准", "reject"/"拒绝") on the first line or in the Subject; anybody else, and mail
from outside naming the owner, gets a 5.7.1 refusal. Every count is read over IMAP
with Python's imaplib."""

import base64
import email
import email.utils
import imaplib
import smtplib
import ssl
import threading
import unittest

import harness
from test_admin_api import Client, oathtool

PASSWORD = harness.PASSWORD
LISTEN = ("smtp", "submission", "imaps", "https")


def tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class ModerationTest(unittest.TestCase):

    def setUp(self):
        self.server = harness.Server("", listen=LISTEN)
        cli = self.server.cli
        cli("domain", "add", "example.com")
        for u in ("root", "owner", "alice", "bob", "mallory"):
            self.server.add_user(f"{u}@example.com")
        cli("role", "grant", "root@example.com", "super-admin")
        cli("group", "add", "board@example.com", "--moderated", "--owners", "owner@example.com")
        for m in ("alice@example.com", "bob@example.com"):
            cli("group", "add-member", "board@example.com", m)
        self.server.start()

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])

    def imap_messages(self, user):
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=tls())
        imap.login(user, PASSWORD)
        imap.select("INBOX", readonly=True)
        _, data = imap.search(None, "ALL")
        out = []
        for num in data[0].split():
            _, msg = imap.fetch(num, "(RFC822)")
            out.append(email.message_from_bytes(msg[0][1]))
        imap.logout()
        return out

    def post_from_outside(self, subject):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=20) as s:
            s.sendmail("investor@client.example", ["board@example.com"],
                       f"From: investor@client.example\r\nTo: board@example.com\r\nSubject: {subject}\r\n\r\n"
                       f"Hello board\r\n".encode())

    def submit(self, user, rcpts, body):
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=30) as s:
            s.starttls(context=tls())
            s.login(user, PASSWORD)
            return s.sendmail(user, rcpts, body)

    def notices(self, subject):
        """The owner's moderation notices about `subject`, newest last."""
        return [m for m in self.imap_messages("owner@example.com")
                if m["Subject"].startswith("Held for moderation") and subject in m.get_payload(decode=True).decode()]

    def copies(self, user, subject):
        return sum(1 for m in self.imap_messages(user) if m["Subject"] == subject)

    def test_two_concurrent_api_approvals_deliver_once(self):
        secret = self.server.cli("user", "totp", "enable", "root@example.com").stdout.decode()
        secret = [l.split(": ")[1] for l in secret.splitlines() if l.startswith("secret: ")][0]
        admin = Client(self)
        status, _, doc = admin.login("root@example.com", totp=oathtool(secret), bearer=True)
        self.assertEqual(status, 200, doc)
        self.post_from_outside("Q4 numbers")
        held = admin.request("GET", "/api/v1/held")[2]["held"]
        self.assertEqual(len(held), 1)
        results = []
        barrier = threading.Barrier(2)

        def approve():
            barrier.wait()
            results.append(admin.request("POST", f"/api/v1/held/{held[0]['id']}/approve")[0])
        threads = [threading.Thread(target=approve) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [200, 404])
        self.server.wait_for_messages("bob@example.com", 1)
        for user in ("alice@example.com", "bob@example.com"):
            self.assertEqual(self.copies(user, "Q4 numbers"), 1, user)

    def test_approve_and_reject_by_reply(self):
        self.post_from_outside("Merger")
        self.post_from_outside("Spam offer")
        merger, = self.notices("Merger")
        offer, = self.notices("Spam offer")
        approve_addr = email.utils.parseaddr(merger["Reply-To"])[1]
        self.assertRegex(approve_addr, r"^board\+approve-\d+-[a-z2-7]{26}@example\.com$")
        body = merger.get_payload(decode=True).decode()
        self.assertIn("批准", body)
        self.assertIn("Approve it", body)
        reject_addr = [w.strip("<>.") for w in body.split() if "+reject-" in w][0]
        offer_reject = [w.strip("<>.") for w in offer.get_payload(decode=True).decode().split()
                        if "+reject-" in w][0]

        # Not the owner: refused, though the address is right.
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
            self.submit("mallory@example.com", [approve_addr], b"Subject: Re: x\r\n\r\nok\r\n")
        code, text = refused.exception.recipients[approve_addr]
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith(b"5.7.1"), text)
        # From outside, naming the owner in From and envelope: refused.
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
            with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=20) as s:
                s.sendmail("owner@example.com", [approve_addr],
                           b"From: owner@example.com\r\nSubject: Re: x\r\n\r\nok\r\n")
        code, text = refused.exception.recipients[approve_addr]
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith(b"5.7.1"), text)
        # A forged token of the right shape: refused.
        forged = approve_addr[:-len("@example.com") - 4] + "aaaa@example.com"
        with self.assertRaises(smtplib.SMTPRecipientsRefused):
            self.submit("owner@example.com", [forged], b"Subject: Re: x\r\n\r\nok\r\n")
        self.assertEqual(self.copies("alice@example.com", "Merger"), 0)

        # A reply that asks rather than decides approves nothing: the owner is told so,
        # in English and Chinese, with the approve address as Reply-To again.
        self.assertEqual(self.submit("owner@example.com", [approve_addr],
                                     b"From: owner@example.com\r\nSubject: Re: Held for moderation\r\n\r\n"
                                     b"Is this spam?\r\n\r\n> Approve it: reply to this message\r\n"), {})
        undecided = [m for m in self.imap_messages("owner@example.com")
                     if m["Subject"].startswith("Nothing decided")]
        self.assertEqual(len(undecided), 1)
        text = undecided[0].get_payload(decode=True).decode()
        self.assertIn("批准", text)
        self.assertIn('"approve"', text)
        self.assertEqual(email.utils.parseaddr(undecided[0]["Reply-To"])[1], approve_addr)
        self.assertEqual(self.copies("alice@example.com", "Merger"), 0)
        out = self.server.cli("group", "show", "board@example.com").stdout.decode()
        self.assertIn("held:", out)

        # The owner decides, in Chinese, on the first line above the quote: the post
        # reaches every member once.
        self.assertEqual(self.submit("owner@example.com", [approve_addr],
                                     b"From: owner@example.com\r\nSubject: Re: Held\r\nMIME-Version: 1.0\r\n"
                                     b"Content-Type: text/plain; charset=utf-8\r\n"
                                     b"Content-Transfer-Encoding: base64\r\n\r\n" +
                                     base64.encodebytes("\r\n  批准，谢谢\r\n\r\n> Reject it: send\r\n"
                                                        .encode()).replace(b"\n", b"\r\n")), {})
        self.server.wait_for_messages("bob@example.com", 1)
        for user in ("alice@example.com", "bob@example.com"):
            self.assertEqual(self.copies(user, "Merger"), 1, user)
        # The reply itself went nowhere.
        self.assertEqual([m["Subject"] for m in self.imap_messages("alice@example.com")], ["Merger"])
        # Used once: the same token, and the reject token of the decided message, refused.
        for addr in (approve_addr, reject_addr):
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
                self.submit("owner@example.com", [addr], b"Subject: Re: x\r\n\r\nagain\r\n")
            code, text = refused.exception.recipients[addr]
            self.assertEqual(code, 550)
            self.assertTrue(text.startswith(b"5.7.1"), text)
        self.assertEqual(self.copies("alice@example.com", "Merger"), 1)

        # Rejecting by mail drops the other one.
        self.assertEqual(self.submit("owner@example.com", [offer_reject], b"Subject: no\r\n\r\nno\r\n"), {})
        out = self.server.cli("group", "show", "board@example.com").stdout.decode()
        self.assertNotIn("held:", out)
        self.assertEqual(self.copies("alice@example.com", "Spam offer"), 0)
        audit = self.server.cli("audit", "--action", "group.").stdout.decode()
        self.assertIn("group.approve", audit)
        self.assertIn("group.reject", audit)


if __name__ == "__main__":
    harness.main()
