"""The test DNS server helper (dnsserver.py) itself: it serves the zones it is given,
refuses others, signs what it is asked to sign, and stops. The resolver's own tests
are in tests/unit/dns; tests of letterhead's outbound mail use this helper with
`[dns] servers`."""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dnsserver import DnsServer  # noqa: E402


class DnsServerTest(unittest.TestCase):

    def test_serves_signs_and_stops(self):
        zones = {"example.test": "@ MX 10 mx\nmx A 192.0.2.1\n@ TXT \"a\" \"b\"\n",
                 "unsigned.test": "@ MX 0 .\n"}
        with DnsServer(zones, signed=["example.test"]) as dns:
            self.assertEqual(dns.query("example.test", "MX"), (0, 1))
            self.assertEqual(dns.query("mx.example.test", "A"), (0, 1))
            self.assertEqual(dns.query("nope.example.test", "A")[0], 3)  # NXDOMAIN
            self.assertEqual(dns.query("other.example", "A")[0], 5)  # REFUSED
            self.assertEqual(dns.query("example.test", "DNSKEY"), (0, 1))
            self.assertEqual(dns.query("unsigned.test", "DNSKEY"), (0, 0))
            with open(dns.trust_anchor_file) as f:
                anchors = f.read()
            self.assertIn("example.test.", anchors)
            self.assertIn("DNSKEY\t257 3 13", anchors)
            self.assertNotIn("unsigned.test", anchors)
            self.assertTrue(dns.address.startswith("127.0.0.1:"))
            port, directory = dns.port, dns.dir
        self.assertFalse(os.path.exists(directory))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", port))  # knotd has let go of its port

    def test_rejects_signing_unknown_zone(self):
        with self.assertRaises(ValueError):
            DnsServer({"a.test": ""}, signed=["b.test"])


if __name__ == "__main__":
    unittest.main()
