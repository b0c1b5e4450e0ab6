"""Outbound delivery against peers and DNS that misbehave (issue 4, "Bad input and
faults"): each case ends in the right retry-or-bounce state, visible in
`letterhead queue show` or in the DSN the sender gets. Scripted receivers
(fakemx.py) and Knot DNS on loopback:

- a greeting that is not SMTP and a connection dropped in the middle of DATA are
  temporary: the entry waits with the reason in `queue show`, and is delivered
  exactly once when the peer behaves; a STARTTLS whose handshake fails falls back
  to cleartext (opportunistic TLS);
- an MX that is a CNAME is followed to its address (RFC 5321 §5.1 forbids
  publishing it, every MTA copes with it);
- an MX host with no address, and a domain that does not exist (NXDOMAIN), fail
  permanently and bounce to the sender; a DNS server that does not answer is
  temporary and the entry stays queued with the reason."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dnsserver import DnsServer  # noqa: E402
from test_outbound import PeerHelpers, message  # noqa: E402
from tlsca import TestCa  # noqa: E402


class OutboundFaultTest(PeerHelpers, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dns = DnsServer({
            "fault.test": "@ MX 10 mx\nmx A 127.0.0.1\n",
            "cname.test": "@ MX 10 alias\nalias CNAME mx.fault.test.\n",
            "ghost.test": "@ MX 10 nowhere\n",  # the MX host has no address records
        }).__enter__()
        cls.ca = TestCa(["mx.fault.test"])

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)
        cls.ca.cleanup()

    def sender_via(self, mx_port, dns=None):
        return self.sender(f'mx_port = {mx_port}\n[dns]\nservers = ["{dns or self.dns.address}"]\ntimeout = 2\n')

    def queue_show(self, a):
        rows = a.queue()
        if not rows:
            return ""
        return a.server.cli("queue", "show", rows[0].split()[0]).stdout.decode()

    def wait_reason(self, a, pattern, timeout=20):
        deadline = time.time() + timeout
        shown = ""
        while time.time() < deadline:
            shown = self.queue_show(a)
            if re.search(pattern, shown):
                return shown
            time.sleep(0.2)
        self.fail(f"queue show never matched {pattern!r}:\n{shown}\n{a.log()[-2000:]}")

    def bounce_for(self, a, rcpt, timeout=30):
        rows = a.server.wait_for_messages("alice@a.test", 1, timeout=timeout)
        self.assertTrue(rows, a.log()[-3000:])
        raw = a.server.message_bytes("alice@a.test", rows[-1]["uid"])
        self.assertIn(b"multipart/report", raw)
        self.assertIn(rcpt.encode(), raw)
        return raw

    # --- temporary: retried, then delivered once ---

    def test_garbage_greeting_is_retried(self):
        mx = self.fake(greeting=lambda n: "hello, I am not an SMTP server" if n <= 2 else "220 fake.test ESMTP")
        a = self.sender_via(mx.port)
        self.assertEqual(a.submit(["bob@fault.test"], message("garbage greeting")), {})
        got = mx.wait_messages(1)
        self.assertEqual(len(got), 1, a.log()[-3000:])
        self.assertGreaterEqual(mx.connections, 3)
        self.assertTrue(a.wait_queue_empty())

    def test_connection_dropped_mid_data_is_retried_and_delivered_once(self):
        mx = self.fake(drop_in_data=lambda n: n <= 2)
        a = self.sender_via(mx.port)
        self.assertEqual(a.submit(["bob@fault.test"], message("dropped", body="x" * 5000 + "\r\n")), {})
        got = mx.wait_messages(1)
        self.assertEqual(len(got), 1, a.log()[-3000:])
        self.assertEqual(mx.datas, 3)
        self.assertTrue(a.wait_queue_empty())
        time.sleep(1.5)
        self.assertEqual(len(mx.messages), 1)  # not sent again

    def test_dropped_mid_data_shows_in_queue_show(self):
        mx = self.fake(drop_in_data=lambda n: True)
        a = self.sender_via(mx.port)
        self.assertEqual(a.submit(["bob@fault.test"], message("always dropped")), {})
        shown = self.wait_reason(a, r"bob@fault\.test.*(connection|closed|end of file|eof)" )
        self.assertRegex(shown, r"attempts: [1-9]")
        self.assertEqual(mx.messages, [])

    def test_starttls_handshake_failure_falls_back_to_cleartext(self):
        # Opportunistic TLS (RFC 7435 §6: never less than cleartext): a TLS stack that
        # breaks at the handshake does not hold mail; the client reconnects and sends
        # in the clear, as Postfix does at its "may" level. Under DANE or MTA-STS
        # enforce the same failure defers instead (test_outbound_tls.py).
        mx = self.fake(tls=self.ca.server_context(), starttls_fails=lambda n: True)
        a = self.sender_via(mx.port)
        self.assertEqual(a.submit(["bob@fault.test"], message("tls breaks")), {})
        got = mx.wait_messages(1)
        self.assertEqual(len(got), 1, a.log()[-3000:])
        self.assertEqual(mx.starttls, 1)
        self.assertEqual(mx.tls_handshakes, 0)
        self.assertRegex(a.log(), r"TLS handshake failed")
        self.assertTrue(a.wait_queue_empty())

    # --- DNS ---

    def test_mx_that_is_a_cname_is_followed(self):
        mx = self.fake()
        a = self.sender_via(mx.port)
        self.assertEqual(a.submit(["bob@cname.test"], message("via cname")), {})
        got = mx.wait_messages(1)
        self.assertEqual(len(got), 1, a.log()[-3000:])
        self.assertEqual(got[0].rcpts, ["bob@cname.test"])

    def test_mx_host_without_address_and_nxdomain_bounce(self):
        mx = self.fake()
        a = self.sender_via(mx.port)
        self.assertEqual(a.submit(["bob@ghost.test"], message("ghost mx")), {})
        raw = self.bounce_for(a, "bob@ghost.test")
        self.assertRegex(raw, rb"Status: 5\.")
        self.assertTrue(a.wait_queue_empty())
        self.assertEqual(a.submit(["bob@missing.fault.test"], message("no such domain")), {})
        deadline = time.time() + 30
        while time.time() < deadline and len(a.server.messages("alice@a.test")) < 2:
            time.sleep(0.2)
        rows = a.server.messages("alice@a.test")
        self.assertEqual(len(rows), 2, a.log()[-3000:])
        raw = a.server.message_bytes("alice@a.test", rows[-1]["uid"])
        self.assertIn(b"bob@missing.fault.test", raw)
        self.assertRegex(raw, rb"Status: 5\.1\.2")
        self.assertEqual(mx.messages, [])

    def test_dns_that_does_not_answer_is_temporary(self):
        mx = self.fake()
        a = self.sender_via(mx.port, dns="127.0.0.1:9")
        self.assertEqual(a.submit(["bob@fault.test"], message("dns down")), {})
        shown = self.wait_reason(a, r"(?i)bob@fault\.test.*(4\.4\.3|dns|timeout|temporar)")
        self.assertRegex(shown, r"attempts: [1-9]")
        self.assertEqual(a.server.messages("alice@a.test"), [])  # no bounce


if __name__ == "__main__":
    unittest.main(verbosity=2)
