"""Outbound TLS policies with real parts on loopback: Knot serving DNSSEC-signed
zones (ldns-signzone) with TLSA records, a test CA made with the openssl command
line, and scripted receivers (fakemx.py) that offer STARTTLS with a certificate
from it. DANE (RFC 7672): a matching TLSA record (DANE-EE and DANE-TA) delivers;
a wrong one, or a receiver without STARTTLS, leaves the mail deferred with the
reason in `letterhead queue show`; TLSA records in an unsigned zone are ignored
(opportunistic TLS, delivered).

MTA-STS (RFC 8461): policies served over HTTPS by Python's http.server with a
certificate from the same CA (trusted through `[queue] tls_ca_file`): enforce
with a listed MX delivers over verified TLS; enforce with an MX not listed, or
with a certificate not valid for the MX name, stays deferred; testing delivers
and logs; the policy cached in the store still applies after a restart while the
HTTPS server is down. Our own policy, served by our HTTP listener, agrees with
`letterhead dns`."""

import http.server
import os
import re
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from dnsserver import DnsServer  # noqa: E402
from fakemx import FakeMx  # noqa: E402
import test_outbound as outbound  # noqa: E402  (a module: its tests are not run again here)
from tlsca import TestCa  # noqa: E402

WRONG_HASH = "00" * 32


class DaneTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.ca = TestCa(["mx.dane.test", "mx.ta.test", "mx.wrong.test", "mx.insecure.test", "mx.notls.test"])
        cls.tls_mx = FakeMx(tls=cls.ca.server_context()).__enter__()
        cls.plain_mx = FakeMx().__enter__()
        tp, pp = cls.tls_mx.port, cls.plain_mx.port
        ee = cls.ca.spki_sha256()

        def zone(tlsa):
            # The TLSA name carries the port we connect to ([queue] mx_port).
            return (f"@ MX 10 mx\nmx A 127.0.0.1\n"
                    f"_{tp}._tcp.mx TLSA {tlsa}\n_{pp}._tcp.mx TLSA {tlsa}\n")
        zones = {
            "dane.test": zone(f"3 1 1 {ee}"),
            "ta.test": zone(f"2 0 1 {cls.ca.cert_sha256(cls.ca.ca_file)}"),
            "wrong.test": zone(f"3 1 1 {WRONG_HASH}"),
            # Unsigned: its TLSA records must not count (RFC 7672 §2.2).
            "insecure.test": zone(f"3 1 1 {WRONG_HASH}"),
            "notls.test": zone(f"3 1 1 {ee}"),
        }
        cls.dns = DnsServer(zones, signed=["dane.test", "ta.test", "wrong.test", "notls.test"]).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)
        cls.tls_mx.__exit__(None, None, None)
        cls.plain_mx.__exit__(None, None, None)
        cls.ca.cleanup()

    def sender(self, mx):
        a = outbound.Sender(f"mx_port = {mx.port}\n[dns]\nservers = [\"{self.dns.address}\"]\n"
                   f"trust_anchor = \"{self.dns.trust_anchor_file}\"\n")
        self.addCleanup(outbound.OutboundTest.stop_clean, self, a.server)
        return a

    def delivered_to(self, mx, rcpt, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with mx.lock:
                if any(rcpt in m.rcpts for m in mx.messages):
                    return True
            time.sleep(0.1)
        return False

    def queue_show(self, a):
        ids = [line.split("\t")[0] for line in a.queue()]
        self.assertEqual(len(ids), 1, ids)
        return a.server.cli("queue", "show", ids[0]).stdout.decode()

    def wait_deferred(self, a, needle, timeout=20):
        deadline = time.time() + timeout
        shown = ""
        while time.time() < deadline:
            if a.queue():
                shown = self.queue_show(a)
                if needle in shown and "attempts: 0" not in shown:
                    return shown
            time.sleep(0.3)
        self.fail(f"no deferral with {needle!r}:\n{shown}\n{a.log()[-3000:]}")

    def test_dane_ee_match_delivers_over_tls(self):
        a = self.sender(self.tls_mx)
        before = self.tls_mx.tls_handshakes
        self.assertEqual(a.submit(["bob@dane.test"], outbound.message("dane ee")), {})
        self.assertTrue(self.delivered_to(self.tls_mx, "bob@dane.test"), a.log()[-3000:])
        self.assertGreater(self.tls_mx.tls_handshakes, before)
        self.assertTrue(a.wait_queue_empty(), a.queue())
        self.assertIn("mx.dane.test: DANE, 1 usable TLSA record(s)", a.log())

    def test_dane_ta_match_delivers(self):
        a = self.sender(self.tls_mx)
        self.assertEqual(a.submit(["bob@ta.test"], outbound.message("dane ta")), {})
        self.assertTrue(self.delivered_to(self.tls_mx, "bob@ta.test"), a.log()[-3000:])
        self.assertIn("mx.ta.test: DANE, 1 usable TLSA record(s)", a.log())

    def test_dane_mismatch_stays_deferred_with_reason(self):
        a = self.sender(self.tls_mx)
        self.assertEqual(a.submit(["bob@wrong.test"], outbound.message("dane wrong")), {})
        shown = self.wait_deferred(a, "4.7.5")
        self.assertIn("matches no TLSA record", shown)
        self.assertIn("pending", shown)
        self.assertFalse(self.delivered_to(self.tls_mx, "bob@wrong.test", timeout=1))

    def test_dane_without_starttls_is_deferred(self):
        a = self.sender(self.plain_mx)
        self.assertEqual(a.submit(["bob@notls.test"], outbound.message("dane no tls")), {})
        shown = self.wait_deferred(a, "does not offer STARTTLS")
        self.assertIn("4.7.0", shown)
        self.assertFalse(self.delivered_to(self.plain_mx, "bob@notls.test", timeout=1))

    def test_insecure_tlsa_is_ignored(self):
        a = self.sender(self.tls_mx)
        self.assertEqual(a.submit(["bob@insecure.test"], outbound.message("insecure zone")), {})
        self.assertTrue(self.delivered_to(self.tls_mx, "bob@insecure.test"), a.log()[-3000:])
        self.assertNotIn("mx.insecure.test: DANE", a.log())


class PolicyServer:
    """HTTPS on a loopback port answering /.well-known/mta-sts.txt by Host header."""

    def __init__(self, ca, policies):
        self.policies = dict(policies)  # "mta-sts.DOMAIN" -> policy text
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                host = (self.headers.get("Host") or "").split(":")[0]
                outer.requests += 1
                body = outer.policies.get(host)
                if self.path != "/.well-known/mta-sts.txt" or body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = ca.server_context().wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


def policy(mode, *mx):
    return "version: STSv1\n" f"mode: {mode}\n" + "".join(f"mx: {m}\n" for m in mx) + "max_age: 86400\n"


class MtaStsTest(unittest.TestCase):
    DOMAINS = {
        # domain: (policy mode, mx patterns, MX host name)
        "enf.test": ("enforce", ["mx.enf.test"], "mx"),
        "wild.test": ("enforce", ["*.wild.test"], "mx"),
        "notlisted.test": ("enforce", ["other.notlisted.test"], "mx"),
        "badname.test": ("enforce", ["mx.badname.test"], "mx"),
        "testing.test": ("testing", ["other.testing.test"], "mx"),
        "cached.test": ("enforce", ["other.cached.test"], "mx"),
    }

    @classmethod
    def setUpClass(cls):
        names = [f"mta-sts.{d}" for d in cls.DOMAINS] + [
            "mx.enf.test", "mx.wild.test", "mx.notlisted.test", "mx.testing.test", "mx.cached.test"]
        cls.ca = TestCa(names)  # mx.badname.test is left out on purpose
        cls.mx = FakeMx(tls=cls.ca.server_context()).__enter__()
        cls.https = PolicyServer(cls.ca, {f"mta-sts.{d}": policy(m, *mx) for d, (m, mx, _) in cls.DOMAINS.items()})
        zones = {d: f"@ MX 10 {h}\n{h} A 127.0.0.1\nmta-sts A 127.0.0.1\n"
                    f"_mta-sts TXT \"v=STSv1; id=1;\"\n" for d, (_, _, h) in cls.DOMAINS.items()}
        cls.dns = DnsServer(zones).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)
        cls.https.stop()
        cls.mx.__exit__(None, None, None)
        cls.ca.cleanup()

    def sender(self, ca=True):
        extra = f"mta_sts_port = {self.https.port}\n" + (f'tls_ca_file = "{self.ca.ca_file}"\n' if ca else "")
        a = outbound.Sender(f"mx_port = {self.mx.port}\n{extra}[dns]\nservers = [\"{self.dns.address}\"]\n")
        self.addCleanup(outbound.OutboundTest.stop_clean, self, a.server)
        return a

    delivered_to = DaneTest.delivered_to
    queue_show = DaneTest.queue_show
    wait_deferred = DaneTest.wait_deferred

    def test_enforce_listed_mx_delivers_over_verified_tls(self):
        a = self.sender()
        before = self.mx.tls_handshakes
        self.assertEqual(a.submit(["bob@enf.test", "carol@wild.test"], outbound.message("sts enforce")), {})
        self.assertTrue(self.delivered_to(self.mx, "bob@enf.test"), a.log()[-3000:])
        self.assertTrue(self.delivered_to(self.mx, "carol@wild.test"), a.log()[-3000:])
        self.assertGreater(self.mx.tls_handshakes, before)
        self.assertIn("MTA-STS enforce (fetched policy id 1)", a.log())

    def test_enforce_unlisted_mx_is_deferred(self):
        a = self.sender()
        self.assertEqual(a.submit(["bob@notlisted.test"], outbound.message("sts not listed")), {})
        shown = self.wait_deferred(a, "not in the enforced policy")
        self.assertIn("4.7.5", shown)
        self.assertFalse(self.delivered_to(self.mx, "bob@notlisted.test", timeout=1))

    def test_enforce_certificate_not_for_mx_is_deferred(self):
        a = self.sender()
        self.assertEqual(a.submit(["bob@badname.test"], outbound.message("sts bad name")), {})
        shown = self.wait_deferred(a, "certificate verify failed")
        self.assertIn("hostname mismatch", shown)
        self.assertIn("pending", shown)
        self.assertFalse(self.delivered_to(self.mx, "bob@badname.test", timeout=1))

    def test_testing_mode_delivers_and_logs(self):
        a = self.sender()
        self.assertEqual(a.submit(["bob@testing.test"], outbound.message("sts testing")), {})
        self.assertTrue(self.delivered_to(self.mx, "bob@testing.test"), a.log()[-3000:])
        self.assertIn("MTA-STS testing: MX host mx.testing.test is not in the policy", a.log())

    def test_policy_unverifiable_https_is_not_used(self):
        # Without our CA the policy host's certificate does not verify: no policy,
        # so the unlisted MX gets the mail (opportunistic TLS).
        a = self.sender(ca=False)
        self.assertEqual(a.submit(["dave@notlisted.test"], outbound.message("sts no ca")), {})
        self.assertTrue(self.delivered_to(self.mx, "dave@notlisted.test"), a.log()[-3000:])

    def test_cached_policy_applies_after_restart_with_https_down(self):
        a = self.sender()
        self.assertEqual(a.submit(["bob@cached.test"], outbound.message("sts cached")), {})
        self.wait_deferred(a, "not in the enforced policy")
        self.assertEqual(a.server.stop(), 0)
        saved, self.https.policies = self.https.policies, {}
        try:
            requests = self.https.requests
            a.server.start()
            a.server.cli("queue", "retry", a.queue()[0].split("\t")[0])
            deadline = time.time() + 20
            while time.time() < deadline and "MTA-STS enforce (cached policy" not in a.log():
                time.sleep(0.2)
            self.assertIn("MTA-STS enforce (cached policy id 1)", a.log())
            self.assertEqual(self.https.requests, requests, "the cached policy was fetched again")
            self.assertIn("not in the enforced policy", self.queue_show(a))
            self.assertFalse(self.delivered_to(self.mx, "bob@cached.test", timeout=1))
        finally:
            self.https.policies = saved


class OurPolicyTest(unittest.TestCase):

    def test_served_policy_agrees_with_dns_records(self):
        s = harness.Server("[http]\nmta_sts_mode = \"enforce\"\n", listen=("http",))
        s.cli("domain", "add", "ours.test")
        s.start()
        self.addCleanup(outbound.OutboundTest.stop_clean, self, s)
        url = f"http://127.0.0.1:{s.ports['http']}/.well-known/mta-sts.txt"
        req = urllib.request.Request(url, headers={"Host": "mta-sts.ours.test"})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
            served = r.read().decode()
        self.assertIn("mode: enforce\n", served)
        self.assertIn("mx: mx.example.com\n", served)
        records = s.cli("dns", "ours.test").stdout.decode()
        announced = [l[2:].strip() for l in records.splitlines() if l.startswith(";   ")]
        self.assertEqual(announced, served.strip().split("\n"))
        import hashlib
        ident = re.search(r'_mta-sts\.ours\.test\.\tTXT\t"v=STSv1; id=([0-9a-f]+)"', records).group(1)
        self.assertEqual(ident, hashlib.sha256(served.encode()).hexdigest()[:16])
        for host in ("mta-sts.other.test", "ours.test", "mta-sts."):
            req = urllib.request.Request(url, headers={"Host": host})
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=10)
            self.assertEqual(e.exception.code, 404, host)


if __name__ == "__main__":
    unittest.main()
