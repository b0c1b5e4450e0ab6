"""Authentication at the MX (issue 5) with the real binary against a real DNS server
(Knot, dnsserver.py) serving SPF, DKIM and DMARC records: mail signed by dkimpy
(Debian python3-dkim, an independent implementation) passes; unsigned and forged
mail gets the verdict its DMARC policy asks for (550 5.7.1 at DATA for p=reject,
the Junk mailbox for p=quarantine); mail claiming one of our own domains from
elsewhere is refused; a forged Authentication-Results with our authserv-id is
removed; a DNS failure is a 451, never a 5xx. Messages are read back over IMAP
(imaplib). A second loopback address, 127.0.0.2, plays the outside sender SPF does
not list."""

import base64
import email
import imaplib
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dnsserver import DnsServer  # noqa: E402
from harness import PASSWORD, Server  # noqa: E402

import dkim  # noqa: E402  (python3-dkim)

AUTHSERV = "mx.example.com"  # the harness's hostname


def rsa_key():
    """A fresh 2048-bit RSA key: (private PEM, base64 of the public SubjectPublicKeyInfo)."""
    with tempfile.TemporaryDirectory() as d:
        key = os.path.join(d, "key.pem")
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", key, "2048"], check=True, capture_output=True)
        pub = subprocess.run(["openssl", "rsa", "-in", key, "-pubout", "-outform", "DER"], check=True,
                             capture_output=True).stdout
        with open(key, "rb") as f:
            pem = f.read()
    return pem, base64.b64encode(pub).decode()


def txt(text):
    """A TXT record's zone-file form, split into 255-byte character-strings."""
    return " ".join('"' + text[i:i + 255] + '"' for i in range(0, len(text), 255))


def message(frm, subject, extra_headers=b"", body=b"Hello.\r\n"):
    return (extra_headers + f"From: {frm}\r\nTo: bob@example.com\r\nSubject: {subject}\r\n"
            f"Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{subject}@test>\r\n\r\n".encode() + body)


class InboundAuthTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.key_pem, pub = rsa_key()
        dkim_record = txt(f"v=DKIM1; k=rsa; p={pub}")
        cls.dns = DnsServer({
            # SPF lists 127.0.0.1 only; DKIM key sel; DMARC reject.
            "sender.test": "@ TXT \"v=spf1 ip4:127.0.0.1 -all\"\n"
                           f"sel._domainkey TXT {dkim_record}\n"
                           "_dmarc TXT \"v=DMARC1; p=reject\"\n"
                           "helo TXT \"v=spf1 ip4:127.0.0.1 -all\"\n",
            # Nothing passes SPF; DMARC quarantine.
            "quar.test": "@ TXT \"v=spf1 -all\"\n_dmarc TXT \"v=DMARC1; p=quarantine\"\n",
            # SPF lists 127.0.0.2 only; no DMARC record.
            "none.test": "@ TXT \"v=spf1 ip4:127.0.0.2 -all\"\n",
            # Our own domain: its SPF lists 127.0.0.1.
            "example.com": "@ TXT \"v=spf1 ip4:127.0.0.1 -all\"\n",
        })
        cls.dns.start()

    @classmethod
    def tearDownClass(cls):
        cls.dns.cleanup()

    def setUp(self):
        self.server = Server(f'[dns]\nservers = ["{self.dns.address}"]\ntimeout = 3\n'
                             '[auth]\ntrust_loopback = false\n',
                             listen=("smtp", "submission", "imaps"))
        self.server.cli("domain", "add", "example.com")
        self.server.add_user("bob@example.com", name="Bob")
        self.server.start()

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])

    # --- helpers ---
    def send(self, mail_from, msg, source="127.0.0.1", helo="client.test"):
        """Sends over the MX; returns (code, text) of the reply to the end of DATA."""
        s = smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=30, source_address=(source, 0),
                         local_hostname=helo)
        try:
            s.ehlo(helo)
            code, _ = s.mail(mail_from)
            self.assertEqual(code, 250)
            code, _ = s.rcpt("bob@example.com")
            self.assertEqual(code, 250)
            code, text = s.data(msg)
            return code, text.decode()
        finally:
            s.quit()

    def sign(self, msg, domain=b"sender.test"):
        sig = dkim.sign(msg, b"sel", domain, self.key_pem,
                        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        return sig + msg

    def fetch(self, mailbox="INBOX"):
        """Every message of bob's mailbox as bytes, over IMAP."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=ctx, timeout=30)
        try:
            m.login("bob@example.com", PASSWORD)
            typ, _ = m.select(mailbox, readonly=True)
            if typ != "OK":
                return []
            typ, data = m.search(None, "ALL")
            out = []
            for num in data[0].split():
                typ, parts = m.fetch(num, "(BODY.PEEK[])")
                out.append(parts[0][1])
            return out
        finally:
            m.logout()

    def results(self, raw):
        """The Authentication-Results fields of a stored message, unfolded."""
        msg = email.message_from_bytes(raw)
        return [" ".join(str(v).split()) for v in msg.get_all("Authentication-Results", [])]

    # --- tests ---
    def test_signed_mail_passes_and_forged_results_are_removed(self):
        forged = b"Authentication-Results: mx.example.com; dkim=pass header.d=bank.test; dmarc=pass\r\n"
        other = b"Authentication-Results: elsewhere.test; spf=fail\r\n"
        msg = self.sign(message("Alice <alice@sender.test>", "signed", extra_headers=forged + other))
        code, text = self.send("alice@sender.test", msg)
        self.assertEqual(code, 250, text)
        stored = self.fetch()
        self.assertEqual(len(stored), 1)
        ar = self.results(stored[0])
        ours = [a for a in ar if a.lower().startswith(AUTHSERV)]
        self.assertEqual(len(ours), 1, ar)  # the forged one is gone, ours is there
        self.assertNotIn("bank.test", stored[0].decode(errors="replace"))
        self.assertIn("elsewhere.test; spf=fail", ar)  # someone else's stays
        a = ours[0]
        self.assertIn("spf=pass", a)
        self.assertIn("smtp.mailfrom=alice@sender.test", a)
        self.assertIn("dkim=pass", a)
        self.assertIn("header.d=sender.test", a)
        self.assertIn("header.s=sel", a)
        self.assertIn("header.b=", a)
        self.assertIn("dmarc=pass", a)
        self.assertIn("header.from=sender.test", a)

    def test_dmarc_reject_is_refused_at_data(self):
        # SPF passes for none.test (127.0.0.2), but From is sender.test: not aligned.
        code, text = self.send("x@none.test", message("ceo@sender.test", "spoof"), source="127.0.0.2")
        self.assertEqual(code, 550, text)
        self.assertTrue(text.startswith("5.7.1"), text)
        self.assertIn("DMARC", text)
        # A tampered signed message fails DKIM too.
        signed = self.sign(message("ceo@sender.test", "tampered"))
        tampered = signed.replace(b"Hello.", b"Pay me.")
        code, text = self.send("x@none.test", tampered, source="127.0.0.2")
        self.assertEqual(code, 550, text)
        self.assertEqual(self.fetch(), [])
        self.assertEqual(self.fetch("Junk"), [])

    def test_dmarc_quarantine_goes_to_junk(self):
        code, text = self.send("x@quar.test", message("x@quar.test", "quarantined"))
        self.assertEqual(code, 250, text)
        self.assertEqual(self.fetch(), [])
        junk = self.fetch("Junk")
        self.assertEqual(len(junk), 1)
        a = [r for r in self.results(junk[0]) if r.startswith(AUTHSERV)][0]
        self.assertIn("spf=fail", a)
        self.assertIn("dmarc=fail (p=quarantine dis=quarantine)", a)

    def test_own_domain_from_outside_is_refused(self):
        code, text = self.send("x@none.test", message("ceo@example.com", "boss"), source="127.0.0.2")
        self.assertEqual(code, 550, text)
        self.assertTrue(text.startswith("5.7.1"), text)
        # From our SPF-listed address it is aligned and accepted.
        code, text = self.send("alice@example.com", message("alice@example.com", "colleague"))
        self.assertEqual(code, 250, text)
        self.assertEqual(len(self.fetch()), 1)

    def test_spf_fail_alone_does_not_refuse(self):
        code, text = self.send("x@none.test", message("x@none.test", "spffail"))
        self.assertEqual(code, 250, text)
        [raw] = self.fetch()
        a = [r for r in self.results(raw) if r.startswith(AUTHSERV)][0]
        self.assertIn("spf=fail", a)
        self.assertIn("dkim=none", a)
        self.assertIn("dmarc=none", a)

    def test_null_sender_checks_helo(self):
        code, text = self.send("<>", message("x@none.test", "bounce"), helo="helo.sender.test")
        self.assertEqual(code, 250, text)
        [raw] = self.fetch()
        a = [r for r in self.results(raw) if r.startswith(AUTHSERV)][0]
        self.assertIn("spf=pass", a)
        self.assertIn("smtp.helo=helo.sender.test", a)

    def test_arc_chain_is_verified(self):
        # A forwarder (lists.sender.test) sealed the message with dkimpy's arc_sign.
        msg = (b"Authentication-Results: lists.sender.test; spf=pass smtp.mailfrom=x@none.test\r\n"
               + message("x@none.test", "arc"))
        sealed = b"".join(dkim.arc_sign(msg, b"sel", b"sender.test", self.key_pem, b"lists.sender.test")) + msg
        self.assertIn(b"ARC-Seal: i=1", sealed)
        code, text = self.send("x@none.test", sealed, source="127.0.0.2")
        self.assertEqual(code, 250, text)
        code, text = self.send("x@none.test", sealed.replace(b"Hello.", b"Changed."), source="127.0.0.2")
        self.assertEqual(code, 250, text)
        first, second = self.fetch()
        a = [r for r in self.results(first) if r.startswith(AUTHSERV)][0]
        self.assertIn("arc=pass (i=1)", a)
        b = [r for r in self.results(second) if r.startswith(AUTHSERV)][0]
        self.assertIn("arc=fail", b)

    def test_dns_failure_is_temporary(self):
        # The DNS server has no zone for unserved.example: REFUSED, a temporary error.
        code, text = self.send("x@unserved.example", message("x@unserved.example", "dnsfail"))
        self.assertEqual(code, 451, text)
        self.assertTrue(text.startswith("4.4.3"), text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
