"""The PROXY protocol (v1 and v2) on chosen listeners, with raw sockets and with a
real HAProxy in front: sessions see the client the header names (log, Received
header), untrusted peers and malformed headers are closed, and a listener without
PROXY treats the line as a command."""

import os
import shutil
import smtplib
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import RawSmtp  # noqa: E402

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"

MESSAGE = (b"From: <sender@outside.example>\r\nTo: <alice@example.com>\r\n"
           b"Subject: proxied\r\nMessage-ID: <p@outside.example>\r\n\r\nHello.\r\n")


def v1(src, dst="127.0.0.1", sport=51234, dport=25):
    proto = "TCP6" if ":" in src else "TCP4"
    return f"PROXY {proto} {src} {dst} {sport} {dport}\r\n".encode()


def v2(src, dst, sport=51234, dport=25, command=0x21, tlvs=b""):
    """A v2 header for INET or INET6 over STREAM, built with the stdlib only."""
    if ":" in src:
        fam = 0x21
        addrs = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
    else:
        fam = 0x11
        addrs = socket.inet_pton(socket.AF_INET, src) + socket.inet_pton(socket.AF_INET, dst)
    body = addrs + struct.pack("!HH", sport, dport) + tlvs
    return V2_SIG + bytes([command, fam]) + struct.pack("!H", len(body)) + body


def connect(port, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(15)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def raw_smtp(sock):
    r = RawSmtp.__new__(RawSmtp)
    r.sock = sock
    r.buf = b""
    return r


class ProxyProtocolTest(harness.ServerTest):
    # Inbound SPF/DKIM and spam scoring would ask DNS for the made-up client
    # addresses: off, this test is about addresses, not verdicts.
    extra_config = ("[spam]\nenabled = false\n[auth]\nenabled = false\n"
                    "[smtp]\nallow_plaintext_auth_on_loopback = true\n"
                    '[proxy]\nlisteners = ["smtp", "submissions", "imap"]\n'
                    'trusted = ["127.0.0.1/32"]\ntimeout = 2\n')
    listen = ("smtp", "submission", "submissions", "imap")

    def wait_log(self, text, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.server.read_log():
                return True
            time.sleep(0.05)
        return False

    def deliver(self, s, helo="client.example"):
        self.assertEqual(s.reply()[0], 220)
        self.assertEqual(s.cmd(f"EHLO {helo}")[0], 250)
        self.assertEqual(s.cmd("MAIL FROM:<sender@outside.example>")[0], 250)
        self.assertEqual(s.cmd("RCPT TO:<alice@example.com>")[0], 250)
        self.assertEqual(s.cmd("DATA")[0], 354)
        s.send(MESSAGE + b".\r\n")
        self.assertEqual(s.reply()[0], 250)
        self.assertEqual(s.cmd("QUIT")[0], 221)
        s.close()

    def test_v1_client_address_in_received_header(self):
        sock = connect(self.port("smtp"))
        sock.sendall(v1("192.0.2.7", dport=self.port("smtp")))
        self.deliver(raw_smtp(sock))
        rows = self.server.wait_for_messages("alice@example.com", 1)
        self.assertEqual(len(rows), 1)
        data = self.server.message_bytes("alice@example.com", rows[0]["uid"])
        self.assertIn(b"Received: from client.example ([192.0.2.7])", data)
        self.assertNotIn(b"[127.0.0.1]", data)
        self.assertTrue(self.wait_log("connect from 192.0.2.7"))

    def test_v2_sent_in_pieces_with_tlvs(self):
        # The header arrives in three segments.
        header = v2("2001:db8::7", "2001:db8::1", tlvs=b"\x01\x00\x04smtp" + b"\x04\x00\x02xx")
        sock = connect(self.port("smtp"))
        sock.sendall(header[:5])
        time.sleep(0.2)
        sock.sendall(header[5:20])
        time.sleep(0.2)
        sock.sendall(header[20:])
        s = raw_smtp(sock)
        self.deliver(s, helo="v6.example")
        rows = self.server.wait_for_messages("alice@example.com", 1)
        data = self.server.message_bytes("alice@example.com", rows[0]["uid"])
        self.assertIn(b"Received: from v6.example ([2001:db8::7])", data)

    def imap_capability(self, header):
        # The command comes in the same segment as the header: the listener must
        # take exactly the header's bytes and leave the command to the session.
        sock = connect(self.port("imap"))
        sock.sendall(header + b"a CAPABILITY\r\n")
        f = sock.makefile("rb")
        self.assertTrue(f.readline().startswith(b"* OK"))
        caps = f.readline()
        self.assertTrue(f.readline().startswith(b"a OK"))
        sock.close()
        return caps

    def test_v2_imap_client_is_not_loopback(self):
        # allow_plaintext_auth_on_loopback is on: a remote client relayed by a proxy
        # on loopback must not get it, the proxy's own LOCAL connection does.
        caps = self.imap_capability(v2("198.51.100.23", "127.0.0.1", dport=143))
        self.assertIn(b"LOGINDISABLED", caps)
        self.assertTrue(self.wait_log("connect from 198.51.100.23"), self.server.read_log()[-2000:])
        caps = self.imap_capability(V2_SIG + b"\x20\x00\x00\x00")
        self.assertNotIn(b"LOGINDISABLED", caps)
        self.assertIn(b"AUTH=PLAIN", caps)
        caps = self.imap_capability(b"PROXY UNKNOWN\r\n")
        self.assertIn(b"AUTH=PLAIN", caps)

    def test_implicit_tls_header_before_handshake(self):
        sock = connect(self.port("submissions"))
        sock.sendall(v1("203.0.113.5", dport=465))
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(sock, server_hostname="mx.example.com") as tls:
            self.assertTrue(tls.makefile("rb").readline().startswith(b"220 "))
        self.assertTrue(self.wait_log("connect from 203.0.113.5"))

    def test_untrusted_source_is_closed(self):
        sock = connect(self.port("smtp"), source="127.0.0.2")
        sock.sendall(v1("192.0.2.66"))
        s = raw_smtp(sock)
        self.assertTrue(s.closed())
        self.assertEqual(s.buf, b"")
        sock.close()
        self.assertTrue(self.wait_log("closed connection from 127.0.0.2: not a trusted proxy"))
        self.assertNotIn("192.0.2.66", self.server.read_log())

    def test_garbage_or_silence_closes_without_crash(self):
        for junk in (b"EHLO client.example\r\n", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
                     b"PROXY TCP4 " + b"9" * 200 + b"\r\n", V2_SIG + b"\x21\x11\xff\xff",
                     V2_SIG + b"\x21\x11\x00\x05abcde", bytes(range(256)) * 4):
            sock = connect(self.port("smtp"))
            sock.sendall(junk)
            s = raw_smtp(sock)
            self.assertTrue(s.closed(), junk)
            self.assertEqual(s.buf, b"", junk)
            sock.close()
        self.assertTrue(self.wait_log("bad PROXY header"))
        # Silence: closed once [proxy] timeout (2 s) passed.
        sock = connect(self.port("smtp"))
        start = time.time()
        self.assertTrue(raw_smtp(sock).closed(timeout=6))
        self.assertLess(time.time() - start, 5)
        sock.close()
        self.assertTrue(self.wait_log("no PROXY header in time"))
        # Still serving.
        sock = connect(self.port("smtp"))
        sock.sendall(v1("192.0.2.8"))
        self.assertEqual(raw_smtp(sock).reply()[0], 220)
        sock.close()
        self.assertTrue(self.wait_log("connect from 192.0.2.8"))

    def test_listener_without_proxy_takes_the_line_as_a_command(self):
        s = RawSmtp(self.port("submission"))
        self.assertEqual(s.reply()[0], 220)
        code, _ = s.cmd(v1("192.0.2.9").decode().rstrip("\r\n"))
        self.assertGreaterEqual(code, 500)
        self.assertEqual(s.cmd("QUIT")[0], 221)
        s.close()
        self.assertNotIn("192.0.2.9", self.server.read_log())


HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)


@unittest.skipUnless(HAPROXY, "haproxy is not installed (Debian package haproxy; scripts/install-deps.sh)")
class HaproxyTest(harness.ServerTest):
    """A real HAProxy in TCP mode with send-proxy-v2 in front of the MX listener."""

    extra_config = ProxyProtocolTest.extra_config
    listen = ("smtp",)

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="letterhead-haproxy-")
        self.front = harness.free_port()
        self.front_v1 = harness.free_port()
        cfg = os.path.join(self.dir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write("global\n  log stderr format raw local0 err\n"
                    "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n"
                    "  timeout server 30s\n"
                    f"frontend mx\n  bind 127.0.0.1:{self.front}\n  default_backend letterhead\n"
                    f"backend letterhead\n  server node1 127.0.0.1:{self.port('smtp')} send-proxy-v2\n"
                    f"frontend mx_v1\n  bind 127.0.0.1:{self.front_v1}\n  default_backend letterhead_v1\n"
                    f"backend letterhead_v1\n  server node1 127.0.0.1:{self.port('smtp')} send-proxy\n")
        self.haproxy = subprocess.Popen([HAPROXY, "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.front), timeout=1).close()
                break
            except OSError:
                if self.haproxy.poll() is not None or time.time() > deadline:
                    raise AssertionError("haproxy did not start: " + self.haproxy.stderr.read().decode())
                time.sleep(0.05)

    def tearDown(self):
        self.haproxy.terminate()
        self.haproxy.wait(timeout=10)
        self.haproxy.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        super().tearDown()

    def test_smtp_through_haproxy_v2_and_v1(self):
        # The client comes from 127.0.0.5 (then .6); HAProxy connects from 127.0.0.1
        # (trusted) and names the client in its header, binary then text.
        for n, (port, source) in enumerate(((self.front, "127.0.0.5"), (self.front_v1, "127.0.0.6")), 1):
            with smtplib.SMTP("127.0.0.1", port, timeout=30, source_address=(source, 0)) as s:
                self.assertEqual(s.ehlo("haproxied.example")[0], 250)
                self.assertEqual(s.sendmail("sender@outside.example", ["alice@example.com"], MESSAGE), {})
            rows = self.server.wait_for_messages("alice@example.com", n)
            self.assertEqual(len(rows), n)
            data = self.server.message_bytes("alice@example.com", rows[-1]["uid"])
            self.assertIn(f"Received: from haproxied.example ([{source}])".encode(), data)


if __name__ == "__main__":
    harness.main()
