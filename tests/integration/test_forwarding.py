"""Forwarding to outside addresses (issue 4 item 6): SRS and ARC end to end.

Letterhead A hosts a.test, whose alias list@a.test forwards to bob@b.test. Letterhead
B hosts b.test and s.test (alice@s.test, the original sender) and is the MX of both;
Knot DNS (dnsserver.py) serves the zones: MX records, s.test's SPF record, and
a.test's DKIM keys as `letterhead dns a.test` prints them.

- Mail from alice@s.test to list@a.test reaches bob with an SRS0 envelope sender in
  a.test (Return-Path at B), and an ARC set (cv=none) that dkimpy's independent
  arc_verify accepts against the keys in Knot; a changed body fails it.
- A bounce (null sender) to that SRS address, given to A's MX, is relayed to
  alice@s.test and read from her INBOX over IMAP at B; the SRS address in another
  case is accepted too.
- Forged, altered and foreign SRS addresses are refused at A's MX (550 5.1.1 /
  relay denied); a null sender is forwarded as it is; SRS addresses stay valid
  after a restart."""

import imaplib
import os
import re
import smtplib
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD, RawSmtp  # noqa: E402
from test_outbound import FAST_QUEUE, PLAINTEXT_AUTH  # noqa: E402

SRS0 = re.compile(rb"SRS0=[a-z2-7]{8}=[A-Z2-7]{2}=s\.test=alice@a\.test", re.I)


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def dkim_records(server, domain):
    """(name relative to the zone, TXT text) of the DKIM keys `letterhead dns` prints."""
    out = []
    for line in server.cli("dns", domain).stdout.decode().splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[-2] == "TXT" and "._domainkey." in parts[0]:
            name = parts[0].rstrip(".")[: -len(domain) - 1]
            out.append((name, "".join(re.findall(r'"([^"]*)"', parts[-1]))))
    return out


def zone_txt(text):
    """A TXT rdata in zone-file syntax: strings of at most 255 bytes."""
    return " ".join(f'"{text[i:i + 200]}"' for i in range(0, len(text), 200))


class ForwardingTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        from dnsserver import DnsServer
        cls.b = harness.Server(PLAINTEXT_AUTH, listen=("smtp", "imaps"))
        for d in ("b.test", "s.test"):
            cls.b.cli("domain", "add", d)
        cls.b.add_user("bob@b.test")
        cls.b.add_user("alice@s.test")
        cls.b.start()
        # A judges loopback clients (trust_loopback = false) so that it has
        # Authentication-Results to seal; its MX deliveries go to B's port.
        cls.a = harness.Server(
            FAST_QUEUE + f'mx_port = {cls.b.ports["smtp"]}\n'
            '[auth]\ntrust_loopback = false\n[dns]\nservers = ["127.0.0.1:9"]\ntimeout = 2\n',
            listen=("smtp",))
        cls.a.cli("domain", "add", "a.test")
        cls.a.cli("alias", "add", "list@a.test", "bob@b.test")
        keys = dkim_records(cls.a, "a.test")
        assert keys, "a.test has no DKIM keys"
        mx = "@ MX 10 mx\nmx A 127.0.0.1\n"
        cls.dns = DnsServer({
            "a.test": mx + "".join(f"{n} TXT {zone_txt(t)}\n" for n, t in keys),
            "b.test": mx,
            "s.test": mx + '@ TXT "v=spf1 ip4:127.0.0.1 -all"\n',
        }).__enter__()
        with open(cls.a.config) as f:
            text = f.read()
        with open(cls.a.config, "w") as f:
            f.write(text.replace('servers = ["127.0.0.1:9"]', f'servers = ["{cls.dns.address}"]'))
        cls.a.start()

    @classmethod
    def tearDownClass(cls):
        for s in (cls.a, cls.b):
            code = s.stop()
            log = s.read_log()
            s.cleanup()
            assert "ERROR: AddressSanitizer" not in log and "runtime error:" not in log, log[-3000:]
            assert code in (0, None), log[-3000:]
        cls.dns.__exit__(None, None, None)

    # --- helpers ---

    def send_to_a(self, mail_from, rcpt, data):
        with smtplib.SMTP("127.0.0.1", self.a.ports["smtp"], timeout=30) as s:
            s.ehlo("mail.s.test")
            s.sendmail(mail_from, [rcpt], data)

    def wait_bob(self, count, timeout=40):
        rows = self.b.wait_for_messages("bob@b.test", count, timeout=timeout)
        self.assertGreaterEqual(len(rows), count, "forwarded mail did not arrive:\n" + self.a.read_log()[-3000:])
        return self.b.message_bytes("bob@b.test", rows[count - 1]["uid"])

    def alice_inbox(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.b.ports["imaps"], ssl_context=insecure(), timeout=30)
        try:
            m.login("alice@s.test", PASSWORD)
            m.select("INBOX", readonly=True)
            _, data = m.search(None, "ALL")
            return [m.fetch(n, "(RFC822)")[1][0][1] for n in data[0].split()]
        finally:
            m.logout()

    def forwarded_once(self):
        """Sends one message through list@a.test (once per class) and returns what bob got."""
        cls = type(self)
        if not hasattr(cls, "_forwarded"):
            msg = (b"From: Alice <alice@s.test>\r\nTo: list@a.test\r\nSubject: through the list\r\n"
                   b"Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <fwd-1@s.test>\r\n\r\n"
                   b"Hello Bob, via a.test.\r\n")
            self.send_to_a("alice@s.test", "list@a.test", msg)
            cls._forwarded = self.wait_bob(1)
        return cls._forwarded

    # --- tests ---

    def test_1_envelope_sender_is_srs0_in_the_forwarding_domain(self):
        got = self.forwarded_once()
        first = got.split(b"\r\n", 1)[0]
        self.assertTrue(first.startswith(b"Return-Path: <"), first)
        self.assertRegex(first, SRS0)

    def test_2_arc_set_verifies_with_dkimpy(self):
        import dkim
        got = self.forwarded_once()
        if got.startswith(b"Return-Path:"):
            got = got.split(b"\r\n", 1)[1]
        self.assertIn(b"ARC-Seal: i=1;", got)
        self.assertRegex(got, rb"ARC-Authentication-Results: i=1; mx\.example\.com;\s+spf=pass")
        cv, results, comment = dkim.arc_verify(got, dnsfunc=self.dns.txt)
        self.assertEqual(cv, dkim.CV_Pass, f"{comment} {results}")
        tampered = got.replace(b"Hello Bob", b"Hello Eve")
        cv, _, comment = dkim.arc_verify(tampered, dnsfunc=self.dns.txt)
        self.assertEqual(cv, dkim.CV_Fail, comment)

    def test_3_bounce_to_the_srs_address_reaches_the_original_sender(self):
        got = self.forwarded_once()
        srs = SRS0.search(got.split(b"\r\n", 1)[0]).group(0).decode()
        # A relay may change the case of the whole address: still ours.
        c = RawSmtp(self.a.ports["smtp"])
        c.reply()
        self.assertEqual(c.cmd("EHLO mx.b.test")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{srs.upper()}>")[0], 250)
        c.cmd("QUIT")
        c.close()
        bounce = (b"From: MAILER-DAEMON@b.test\r\nTo: " + srs.encode() + b"\r\nSubject: Undelivered: through the list\r\n"
                  b"Message-ID: <bounce-1@b.test>\r\n\r\nbob's mailbox is full.\r\n")
        with smtplib.SMTP("127.0.0.1", self.a.ports["smtp"], timeout=30) as s:
            s.ehlo("mx.b.test")
            s.sendmail("", [srs], bounce)
        deadline = time.time() + 40
        inbox = []
        while time.time() < deadline and not inbox:
            inbox = self.alice_inbox()
            time.sleep(0.3)
        self.assertEqual(len(inbox), 1, self.a.read_log()[-3000:])
        self.assertIn(b"Subject: Undelivered: through the list", inbox[0])
        self.assertTrue(inbox[0].startswith(b"Return-Path: <>"), inbox[0][:200])

    def test_4_forged_and_foreign_srs_addresses_are_refused(self):
        got = self.forwarded_once()
        srs = SRS0.search(got.split(b"\r\n", 1)[0]).group(0).decode()
        other_hash = srs[:5] + ("a" if srs[5].lower() != "a" else "b") + srs[6:]
        other_target = srs.replace("=alice@", "=mallory@")
        c = RawSmtp(self.a.ports["smtp"])
        c.reply()
        c.cmd("EHLO mx.evil.test")
        self.assertEqual(c.cmd("MAIL FROM:<>")[0], 250)
        for forged in ("SRS0=aaaaaaaa=AB=s.test=alice@a.test", other_hash, other_target,
                       "SRS1=aaaaaaaa=hop.test==x=AB=s.test=alice@a.test", "SRS0=x@a.test"):
            code, text = c.cmd(f"RCPT TO:<{forged}>")
            self.assertEqual(code, 550, forged)
            self.assertIn("5.1.1", text)
        # Our SRS address at another domain is not ours to relay.
        code, _ = c.cmd(f"RCPT TO:<{srs.replace('@a.test', '@s.test')}>")
        self.assertNotEqual(code, 250)
        c.cmd("QUIT")
        c.close()

    def test_4b_srs_address_takes_only_bounces(self):
        # A genuine SRS address with a real sender would relay anybody's mail to
        # alice: refused, whatever the case of the address.
        got = self.forwarded_once()
        srs = SRS0.search(got.split(b"\r\n", 1)[0]).group(0).decode()
        c = RawSmtp(self.a.ports["smtp"])
        c.reply()
        c.cmd("EHLO mx.evil.test")
        self.assertEqual(c.cmd("MAIL FROM:<mallory@evil.test>")[0], 250)
        for rcpt in (srs, srs.upper()):
            code, text = c.cmd(f"RCPT TO:<{rcpt}>")
            self.assertEqual(code, 550, rcpt)
            self.assertIn("5.7.1", text)
        c.cmd("RSET")
        self.assertEqual(c.cmd("MAIL FROM:<>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{srs}>")[0], 250)
        c.cmd("QUIT")
        c.close()

    def test_5_null_sender_is_forwarded_unchanged(self):
        self.forwarded_once()
        before = len(self.b.messages("bob@b.test"))
        msg = (b"From: MAILER-DAEMON@s.test\r\nTo: list@a.test\r\nSubject: a bounce for the list\r\n"
               b"Message-ID: <null-1@s.test>\r\n\r\nnothing\r\n")
        self.send_to_a("", "list@a.test", msg)
        got = self.wait_bob(before + 1)
        self.assertTrue(got.startswith(b"Return-Path: <>\r\n"), got[:100])

    def test_6_srs_addresses_survive_a_restart(self):
        # The MAC key is derived from the install's secret key file, not from memory.
        got = self.forwarded_once()
        srs = SRS0.search(got.split(b"\r\n", 1)[0]).group(0).decode()
        self.assertIn(self.a.stop(), (0, None))
        self.a.start()
        c = RawSmtp(self.a.ports["smtp"])
        c.reply()
        c.cmd("EHLO mx.b.test")
        self.assertEqual(c.cmd("MAIL FROM:<>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{srs}>")[0], 250)
        c.cmd("QUIT")
        c.close()

    def test_7_held_list_mail_approved_from_the_cli_leaves_with_srs(self):
        # `letterhead group approve` delivers in its own process: the outside member
        # must still get an SRS envelope sender, as with an approval by mail.
        self.a.add_user("owner@a.test")
        self.a.cli("group", "add", "team@a.test", "--moderated", "--owners", "owner@a.test")
        self.a.cli("group", "add-member", "team@a.test", "bob@b.test")
        before = len(self.b.messages("bob@b.test"))
        msg = (b"From: Alice <alice@s.test>\r\nTo: team@a.test\r\nSubject: for the team\r\n"
               b"Date: Sun, 29 Nov 2026 11:00:00 +0000\r\nMessage-ID: <held-1@s.test>\r\n\r\nHeld, then approved.\r\n")
        self.send_to_a("alice@s.test", "team@a.test", msg)
        held = re.search(r"held: (\d+)", self.a.cli("group", "show", "team@a.test").stdout.decode())
        self.assertIsNotNone(held, self.a.read_log()[-2000:])
        self.assertEqual(len(self.b.messages("bob@b.test")), before)
        self.a.cli("group", "approve", held.group(1))
        got = self.wait_bob(before + 1)
        self.assertIn(b"Subject: for the team", got)
        self.assertRegex(got.split(b"\r\n", 1)[0], SRS0)


if __name__ == "__main__":
    unittest.main()
