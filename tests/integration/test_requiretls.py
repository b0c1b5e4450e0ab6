"""REQUIRETLS and TLS-Required (RFC 8689) end to end with real parts on loopback:
alice@a.test submits with Python's smtplib over STARTTLS; Knot serves DNSSEC-signed
zones (ldns-signzone) with TLSA records, and unsigned ones; scripted receivers
(fakemx.py) with a certificate from a test CA (openssl) offer REQUIRETLS after
STARTTLS, or do not; an MTA-STS policy is served over HTTPS.

- REQUIRETLS to a DANE-secured MX that offers it: delivered, the receiver saw
  REQUIRETLS on MAIL FROM; over PKIX (signed zone without TLSA, our CA) and with an
  MX listed in an MTA-STS testing policy (unsigned zone) too.
- The same MX without REQUIRETLS: 5.7.30 in `letterhead queue show`, and alice gets
  a DSN with the headers only (§5), never the body.
- An unsigned zone without MTA-STS: not delivered, 5.7.30.
- REQUIRETLS on a cleartext session: 530 5.7.10.
- TLS-Required: No to an MX with a wrong TLSA record: delivered (opportunistic TLS;
  without the field test_outbound_tls.py shows the same MX deferring it).
- Smarthost: REQUIRETLS needs a verified certificate and REQUIRETLS at the relay."""

import os
import smtplib
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD  # noqa: E402
from dnsserver import DnsServer  # noqa: E402
from fakemx import FakeMx  # noqa: E402
import test_outbound as outbound  # noqa: E402  (a module: its tests are not run again here)
import test_outbound_tls as outbound_tls  # noqa: E402  (a module, as above)
from tlsca import TestCa  # noqa: E402

WRONG_HASH = "00" * 32
SECRET = "The secret body line."


def submit_tls(a, rcpts, data, mail_options=("REQUIRETLS",)):
    """Submits as alice over STARTTLS (our self-signed certificate is not checked)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", a.server.ports["submission"], timeout=30) as s:
        s.ehlo("laptop.a.test")
        s.starttls(context=ctx)
        s.ehlo("laptop.a.test")
        assert s.has_extn("requiretls"), s.esmtp_features
        s.login("alice@a.test", PASSWORD)
        return s.sendmail("alice@a.test", rcpts, data, list(mail_options))


class RequireTlsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.ca = TestCa(["mx.dane.test", "mx.pkix.test", "mx.insecure.test", "mx.wrong.test", "mx.sts.test",
                         "mta-sts.sts.test", "localhost"])
        # Both offer STARTTLS; only rq_mx offers REQUIRETLS, and only after it.
        cls.rq_mx = FakeMx(tls=cls.ca.server_context(), ehlo_tls=["REQUIRETLS"]).__enter__()
        cls.plain_mx = FakeMx(tls=cls.ca.server_context()).__enter__()
        ee = cls.ca.spki_sha256()

        def zone(tlsa=None):
            z = "@ MX 10 mx\nmx A 127.0.0.1\n"
            if tlsa:
                # The TLSA name carries the port we connect to ([queue] mx_port).
                z += "".join(f"_{m.port}._tcp.mx TLSA {tlsa}\n" for m in (cls.rq_mx, cls.plain_mx))
            return z
        zones = {
            "dane.test": zone(f"3 1 1 {ee}"),
            "pkix.test": zone(),
            "wrong.test": zone(f"3 1 1 {WRONG_HASH}"),
            "insecure.test": zone(),
            "sts.test": zone() + "mta-sts A 127.0.0.1\n_mta-sts TXT \"v=STSv1; id=1;\"\n",
        }
        cls.https = outbound_tls.PolicyServer(cls.ca, {"mta-sts.sts.test": outbound_tls.policy("testing", "mx.sts.test")})
        cls.dns = DnsServer(zones, signed=["dane.test", "pkix.test", "wrong.test"]).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)
        cls.https.stop()
        cls.rq_mx.__exit__(None, None, None)
        cls.plain_mx.__exit__(None, None, None)
        cls.ca.cleanup()

    def sender(self, mx, extra=""):
        a = outbound.Sender(f"mx_port = {mx.port}\nmta_sts_port = {self.https.port}\n"
                            f"tls_ca_file = \"{self.ca.ca_file}\"\n{extra}"
                            f"[dns]\nservers = [\"{self.dns.address}\"]\n"
                            f"trust_anchor = \"{self.dns.trust_anchor_file}\"\n")
        self.addCleanup(outbound.OutboundTest.stop_clean, self, a.server)
        return a

    delivered_to = outbound_tls.DaneTest.delivered_to
    queue_show = outbound_tls.DaneTest.queue_show
    wait_deferred = outbound_tls.DaneTest.wait_deferred

    def mail_line(self, mx, rcpt):
        with mx.lock:
            return next(m.mail_line for m in mx.messages if rcpt in m.rcpts)

    def send_and_expect_requiretls(self, a, mx, rcpt, data):
        """Submits with REQUIRETLS; `mx` must get it with REQUIRETLS on MAIL FROM."""
        self.assertEqual(submit_tls(a, [rcpt], data), {})
        self.assertTrue(self.delivered_to(mx, rcpt), a.log()[-3000:])
        line = self.mail_line(mx, rcpt)
        self.assertTrue(line.upper().endswith(" REQUIRETLS"), line)

    def wait_bounce(self, a, timeout=20):
        """alice's DSN, once the queue has dropped the failed entry."""
        rows = a.server.wait_for_messages("alice@a.test", 1, timeout=timeout)
        self.assertEqual(len(rows), 1, a.log()[-3000:])
        return a.server.message_bytes("alice@a.test", rows[0]["uid"]).decode("utf-8", "replace")

    def assert_not_sent(self, rcpt):
        for mx in (self.rq_mx, self.plain_mx):
            self.assertFalse(self.delivered_to(mx, rcpt, timeout=0.5), rcpt)

    # --- REQUIRETLS delivered ---

    def test_dane_mx_with_requiretls_delivers_with_the_parameter(self):
        a = self.sender(self.rq_mx)
        before = self.rq_mx.tls_handshakes
        self.send_and_expect_requiretls(a, self.rq_mx, "bob@dane.test", outbound.message("rq dane", SECRET))
        self.assertGreater(self.rq_mx.tls_handshakes, before)
        self.assertIn("mx.dane.test: DANE, 1 usable TLSA record(s)", a.log())
        self.assertIn("REQUIRETLS (RFC 8689)", a.log())
        self.assertTrue(a.wait_queue_empty(), a.queue())

    def test_pkix_verified_mx_in_signed_zone_delivers(self):
        a = self.sender(self.rq_mx)
        self.send_and_expect_requiretls(a, self.rq_mx, "bob@pkix.test", outbound.message("rq pkix"))
        self.assertNotIn("mx.pkix.test: DANE", a.log())

    def test_mx_listed_in_mta_sts_testing_policy_delivers(self):
        # Unsigned zone: the MTA-STS policy (testing mode) vouches for the MX host.
        a = self.sender(self.rq_mx)
        self.send_and_expect_requiretls(a, self.rq_mx, "bob@sts.test", outbound.message("rq sts"))
        self.assertIn("MTA-STS testing", a.log())

    # --- REQUIRETLS refused ---

    def test_mx_without_requiretls_fails_with_5_7_30_and_bounces_headers_only(self):
        a = self.sender(self.plain_mx)
        before = self.plain_mx.tls_handshakes
        self.assertEqual(submit_tls(a, ["bob@dane.test"], outbound.message("rq none", SECRET)), {})
        dsn = self.wait_bounce(a)
        self.assertIn("Status: 5.7.30", dsn)
        self.assertIn("does not offer REQUIRETLS", dsn)
        self.assertIn("text/rfc822-headers", dsn)
        self.assertIn("Subject: rq none", dsn)
        self.assertNotIn(SECRET, dsn, "RFC 8689 §5: no body in the report")
        self.assertGreater(self.plain_mx.tls_handshakes, before, "TLS was set up before the check")
        self.assertFalse(self.delivered_to(self.plain_mx, "bob@dane.test", timeout=0.5))
        self.assertIn("REQUIRETLS support required", a.log())
        self.assertTrue(a.wait_queue_empty(), a.queue())

    def test_unsigned_zone_without_mta_sts_is_not_delivered(self):
        a = self.sender(self.rq_mx)
        self.assertEqual(submit_tls(a, ["bob@insecure.test"], outbound.message("rq insecure")), {})
        dsn = self.wait_bounce(a)
        self.assertIn("Status: 5.7.30", dsn)
        self.assertIn("neither DNSSEC-validated nor listed in an MTA-STS policy", dsn)
        self.assert_not_sent("bob@insecure.test")

    def test_failure_reason_is_in_queue_show(self):
        # A second recipient that waits keeps the entry (and the failed one's reason).
        hang = FakeMx(tls=self.ca.server_context(), ehlo_tls=["REQUIRETLS"],
                      rcpt=lambda addr: "451 4.3.0 later" if addr.startswith("wait") else "250 2.1.5 ok")
        with hang:
            a = self.sender(hang)
            self.assertEqual(submit_tls(a, ["bob@insecure.test", "wait@dane.test"],
                                        outbound.message("rq show")), {})
            shown = self.wait_deferred(a, "5.7.30")
        self.assertIn("neither DNSSEC-validated", shown)
        self.assertIn("failed", shown)

    def test_requiretls_in_cleartext_is_refused(self):
        a = self.sender(self.rq_mx)
        with smtplib.SMTP("127.0.0.1", a.server.ports["submission"], timeout=30) as s:
            s.ehlo("laptop.a.test")
            self.assertFalse(s.has_extn("requiretls"), "offered before TLS")
            s.login("alice@a.test", PASSWORD)
            code, reply = s.mail("alice@a.test", ["REQUIRETLS"])
            self.assertEqual(code, 530, reply)
            self.assertIn(b"5.7.10", reply)
        self.assertEqual(a.queue(), [])

    # --- TLS-Required: No ---

    def test_tls_required_no_ignores_a_wrong_tlsa_record(self):
        a = self.sender(self.plain_mx)
        data = outbound.message("tls optional", extra="TLS-Required: No\r\n")
        self.assertEqual(a.submit(["bob@wrong.test"], data), {})
        self.assertTrue(self.delivered_to(self.plain_mx, "bob@wrong.test"), a.log()[-3000:])
        self.assertNotIn("mx.wrong.test: DANE", a.log())
        self.assertIn("TLS-Required: No", a.log())
        with self.plain_mx.lock:
            got = next(m.data for m in self.plain_mx.messages if "bob@wrong.test" in m.rcpts)
        self.assertIn(b"TLS-Required: No\r\n", got)

    # --- smarthost ---

    def relay_sender(self, mx):
        return self.sender(mx, f'[relay]\nhost = "localhost:{mx.port}"\ntls = "starttls"\n'
                               "verify_certificate = true\n")

    def test_smarthost_with_requiretls_delivers(self):
        a = self.relay_sender(self.rq_mx)
        self.send_and_expect_requiretls(a, self.rq_mx, "dave@anywhere.test", outbound.message("rq relay"))

    def test_smarthost_without_requiretls_fails(self):
        a = self.relay_sender(self.plain_mx)
        self.assertEqual(submit_tls(a, ["erin@anywhere.test"], outbound.message("rq relay none")), {})
        dsn = self.wait_bounce(a)
        self.assertIn("Status: 5.7.30", dsn)
        self.assertFalse(self.delivered_to(self.plain_mx, "erin@anywhere.test", timeout=0.5))


if __name__ == "__main__":
    unittest.main()
