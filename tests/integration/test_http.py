"""The HTTP listener against the real binary with curl: Thunderbird autoconfig at both
URLs, Outlook autodiscover (POX), the Apple profile, /metrics in the Prometheus text
format, and the listener's limits (404, 405, 413, 431, slow loris)."""

import os
import plistlib
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

LISTEN = ("smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s", "http", "https")
AD_RESPONSE = "{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}"
AD_OUTLOOK = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"

AD_REQUEST = """<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>{}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>
"""

# One line of the Prometheus text exposition format 0.0.4.
METRIC_LINE = re.compile(
    r'^(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*'
    r'|# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)'
    r'|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? '
    r'(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf))$')


class HttpTest(unittest.TestCase):

    def setUp(self):
        self.server = harness.Server(
            "[http]\nrequest_timeout = 2\nidle_timeout = 2\n", listen=LISTEN)
        self.server.cli("domain", "add", "example.com")
        self.server.add_user("alice@example.com")
        self.server.add_user("bob@example.com")
        self.server.start()
        self.tmp = tempfile.mkdtemp(prefix="letterhead-curl-")

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])

    def url(self, path, scheme="http"):
        return f"{scheme}://127.0.0.1:{self.server.ports[scheme]}{path}"

    def curl(self, path, *args, scheme="http", data=None):
        """Runs curl -s; returns (status, {lower-case header: value}, body bytes)."""
        headers_path = os.path.join(self.tmp, "headers")
        body_path = os.path.join(self.tmp, "body")
        cmd = ["curl", "-s", "-k", "--max-time", "20", "-D", headers_path, "-o", body_path,
               "-w", "%{http_code}", *args, self.url(path, scheme)]
        r = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
        status = int(r.stdout.decode() or 0)
        if status == 0:
            raise AssertionError(f"curl {path} failed ({r.returncode}): {r.stderr.decode(errors='replace')}\n"
                                 + self.server.read_log()[-1500:])
        headers = {}
        with open(headers_path, "rb") as f:
            for line in f.read().decode("latin-1").split("\r\n"):
                if ":" in line and not line.startswith("HTTP/"):
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
        with open(body_path, "rb") as f:
            body = f.read()
        return status, headers, body

    def raw(self, data, timeout=10):
        """Sends bytes on a fresh connection; returns everything until the server closes."""
        with socket.create_connection(("127.0.0.1", self.server.ports["http"]), timeout=timeout) as s:
            s.sendall(data)
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
            return out

    # --- Thunderbird ---

    def check_client_config(self, body):
        root = ET.fromstring(body)
        self.assertEqual(root.tag, "clientConfig")
        self.assertEqual(root.get("version"), "1.1")
        provider = root.find("emailProvider")
        self.assertEqual(provider.get("id"), "example.com")
        self.assertEqual(provider.findtext("domain"), "example.com")
        self.assertTrue(provider.findtext("displayName"))
        incoming = [(s.get("type"), s.findtext("hostname"), int(s.findtext("port")), s.findtext("socketType"))
                    for s in provider.findall("incomingServer")]
        self.assertEqual(incoming, [("imap", "mx.example.com", 993, "SSL"),
                                    ("imap", "mx.example.com", 143, "STARTTLS"),
                                    ("pop3", "mx.example.com", 995, "SSL"),
                                    ("pop3", "mx.example.com", 110, "STARTTLS")])
        outgoing = [(s.get("type"), int(s.findtext("port")), s.findtext("socketType"))
                    for s in provider.findall("outgoingServer")]
        self.assertEqual(outgoing, [("smtp", 465, "SSL"), ("smtp", 587, "STARTTLS")])
        for s in provider.findall("incomingServer") + provider.findall("outgoingServer"):
            self.assertEqual(s.findtext("username"), "%EMAILADDRESS%")
            self.assertEqual(s.findtext("authentication"), "password-cleartext")
            # Only the elements of the clientConfig 1.1 server shape.
            self.assertEqual({c.tag for c in s}, {"hostname", "port", "socketType", "username", "authentication"})

    def test_thunderbird_autoconfig_at_both_urls(self):
        for path in ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml"):
            status, headers, body = self.curl(path + "?emailaddress=alice%40example.com")
            self.assertEqual(status, 200, body)
            self.assertTrue(headers["content-type"].startswith("application/xml"))
            self.check_client_config(body)
        # Over TLS too, and with the Host Thunderbird uses when the parameter is absent.
        status, _, body = self.curl("/mail/config-v1.1.xml?emailaddress=bob@example.com", scheme="https")
        self.assertEqual(status, 200)
        self.check_client_config(body)
        status, _, body = self.curl("/mail/config-v1.1.xml", "-H", "Host: autoconfig.example.com")
        self.assertEqual(status, 200)
        self.check_client_config(body)
        log = self.server.read_log()
        self.assertIn("GET /mail/config-v1.1.xml 200", log)
        self.assertNotIn("emailaddress", log)  # the query string is never logged

    def test_foreign_domain_and_bad_address(self):
        status, _, body = self.curl("/mail/config-v1.1.xml?emailaddress=eve%40foreign.example")
        self.assertEqual(status, 404)
        self.assertIn("未找到", body.decode())
        status, _, _ = self.curl("/apple/mobileconfig?emailaddress=eve@foreign.example")
        self.assertEqual(status, 404)
        status, _, _ = self.curl("/mail/config-v1.1.xml?emailaddress=nonsense")
        self.assertEqual(status, 400)

    # --- Outlook ---

    def test_outlook_autodiscover(self):
        for path in ("/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"):
            status, headers, body = self.curl(
                path, "-X", "POST", "-H", "Content-Type: text/xml", "--data-binary", "@-",
                data=AD_REQUEST.format("alice@example.com").encode())
            self.assertEqual(status, 200, body)
            root = ET.fromstring(body)
            self.assertEqual(root.tag, AD_RESPONSE + "Autodiscover")
            response = root.find(AD_OUTLOOK + "Response")
            self.assertIsNotNone(response)
            account = response.find(AD_OUTLOOK + "Account")
            self.assertEqual(account.findtext(AD_OUTLOOK + "AccountType"), "email")
            self.assertEqual(account.findtext(AD_OUTLOOK + "Action"), "settings")
            protocols = {p.findtext(AD_OUTLOOK + "Type"): p for p in account.findall(AD_OUTLOOK + "Protocol")}
            self.assertEqual(set(protocols), {"IMAP", "POP3", "SMTP"})
            for kind, port in (("IMAP", 993), ("POP3", 995), ("SMTP", 465)):
                p = protocols[kind]
                self.assertEqual(p.findtext(AD_OUTLOOK + "Server"), "mx.example.com")
                self.assertEqual(int(p.findtext(AD_OUTLOOK + "Port")), port)
                self.assertEqual(p.findtext(AD_OUTLOOK + "SSL"), "on")
                self.assertEqual(p.findtext(AD_OUTLOOK + "LoginName"), "alice@example.com")
                self.assertEqual(p.findtext(AD_OUTLOOK + "AuthRequired"), "on")
        status, _, body = self.curl("/autodiscover/autodiscover.xml", "-X", "POST", "--data-binary", "@-",
                                    data=AD_REQUEST.format("x@foreign.example").encode())
        self.assertEqual(status, 404)
        status, _, body = self.curl("/autodiscover/autodiscover.xml", "-X", "POST", "--data-binary", "@-",
                                    data=b"<Autodiscover/>")
        self.assertEqual(status, 400)
        self.assertIn(b"<ErrorCode>600</ErrorCode>", body)

    # --- Apple ---

    def test_apple_mobileconfig(self):
        status, headers, body = self.curl("/apple/mobileconfig?emailaddress=alice@example.com")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/x-apple-aspen-config")
        self.assertIn("example.com.mobileconfig", headers["content-disposition"])
        profile = plistlib.loads(body)
        self.assertEqual(profile["PayloadType"], "Configuration")
        self.assertEqual(profile["PayloadVersion"], 1)
        self.assertTrue(profile["PayloadIdentifier"].startswith("com.example.mx."))
        mail = profile["PayloadContent"][0]
        self.assertEqual(mail["PayloadType"], "com.apple.mail.managed")
        self.assertEqual(mail["EmailAccountType"], "EmailTypeIMAP")
        self.assertEqual(mail["EmailAddress"], "alice@example.com")
        self.assertEqual(mail["IncomingMailServerHostName"], "mx.example.com")
        self.assertEqual(mail["IncomingMailServerPortNumber"], 993)
        self.assertIs(mail["IncomingMailServerUseSSL"], True)
        self.assertEqual(mail["IncomingMailServerUsername"], "alice@example.com")
        self.assertEqual(mail["OutgoingMailServerHostName"], "mx.example.com")
        self.assertEqual(mail["OutgoingMailServerPortNumber"], 465)
        self.assertIs(mail["OutgoingMailServerUseSSL"], True)
        self.assertIs(mail["OutgoingPasswordSameAsIncomingPassword"], True)
        uuid_re = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
        self.assertRegex(profile["PayloadUUID"], uuid_re)
        self.assertRegex(mail["PayloadUUID"], uuid_re)
        self.assertNotEqual(profile["PayloadUUID"], mail["PayloadUUID"])
        # Deterministic per address.
        again = plistlib.loads(self.curl("/apple/mobileconfig?emailaddress=alice@example.com")[2])
        self.assertEqual(again["PayloadUUID"], profile["PayloadUUID"])
        bob = plistlib.loads(self.curl("/apple/mobileconfig?emailaddress=bob@example.com")[2])
        self.assertNotEqual(bob["PayloadUUID"], profile["PayloadUUID"])

    # --- the listener ---

    def test_metrics_text_format(self):
        self.curl("/healthz")
        self.curl("/nothing-here")
        status, headers, body = self.curl("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        text = body.decode()
        self.assertTrue(text.endswith("\n"))
        typed = set()
        helped = set()
        samples = {}
        for line in text.splitlines():
            self.assertRegex(line, METRIC_LINE)
            if line.startswith("# TYPE "):
                typed.add(line.split()[2])
            elif line.startswith("# HELP "):
                helped.add(line.split()[2])
            else:
                name_labels, value = line.rsplit(" ", 1)
                samples[name_labels] = float(value)
                self.assertIn(re.split(r"[{ ]", name_labels)[0], typed)  # TYPE comes first
        for name in ("letterhead_up", "letterhead_build_info", "letterhead_connections_total",
                     "letterhead_commands_total", "letterhead_http_responses_total",
                     "letterhead_queue_length", "process_start_time_seconds"):
            self.assertIn(name, typed)
            self.assertIn(name, helped)
        self.assertEqual(samples["letterhead_up"], 1)
        self.assertEqual(samples["letterhead_queue_length"], 0)
        self.assertGreaterEqual(samples['letterhead_connections_total{protocol="http"}'], 3)
        self.assertGreaterEqual(samples['letterhead_http_responses_total{code="4xx"}'], 1)
        self.assertGreaterEqual(samples['letterhead_http_responses_total{code="2xx"}'], 1)

    def test_root_health_and_security_headers(self):
        status, headers, body = self.curl("/")
        self.assertEqual(status, 200)
        self.assertIn("Letterhead", body.decode())
        self.assertIn("邮件", body.decode())
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertNotIn("server", headers)
        status, headers, body = self.curl("/healthz", scheme="https")
        self.assertEqual((status, body), (200, b"ok\n"))
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        status, headers, _ = self.curl("/healthz", "-I")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-length"], "3")

    def test_method_not_allowed(self):
        status, headers, body = self.curl("/autodiscover/autodiscover.xml")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "POST")
        status, headers, _ = self.curl("/healthz", "-X", "DELETE")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")

    def test_body_too_large(self):
        big = b"x" * (2 * 1024 * 1024)
        status, _, body = self.curl("/autodiscover/autodiscover.xml", "-X", "POST", "--data-binary", "@-",
                                    data=big)
        self.assertEqual(status, 413)
        self.assertIn("Content Too Large", body.decode())
        # Announced by Content-Length: refused before the body is sent.
        out = self.raw(b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 5000000\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 413 Content Too Large\r\n"), out)
        self.assertIn(b"Connection: close", out)

    def test_header_too_large(self):
        out = self.raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * 20000 + b"\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 431 "), out[:200])
        out = self.raw(b"GET / HTTP/1.1\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400 "), out[:200])

    def test_keep_alive_and_pipelining(self):
        out = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                       b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                       b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(out.count(b"HTTP/1.1 200 OK\r\n"), 3, out)
        self.assertEqual(out.count(b"Connection: close"), 1)

    def test_slow_loris_is_cut_off_without_hurting_others(self):
        port = self.server.ports["http"]
        slow = socket.create_connection(("127.0.0.1", port), timeout=10)
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.time()
        closed_after = []

        def dribble():
            try:
                for _ in range(40):
                    slow.sendall(b"X-a: b\r\n")
                    time.sleep(0.25)
            except OSError:
                pass
            try:
                while slow.recv(4096):
                    pass
            except OSError:
                pass
            closed_after.append(time.time() - started)

        t = threading.Thread(target=dribble)
        t.start()
        # Meanwhile others are served promptly.
        for _ in range(5):
            t0 = time.time()
            status, _, body = self.curl("/healthz")
            self.assertEqual((status, body), (200, b"ok\n"))
            self.assertLess(time.time() - t0, 1.5)
            time.sleep(0.1)
        t.join(timeout=20)
        slow.close()
        self.assertEqual(len(closed_after), 1)
        # request_timeout is 2 s; the dribble alone would last 10 s.
        self.assertLess(closed_after[0], 6)
        self.assertIn("request not received in time", self.server.read_log())


if __name__ == "__main__":
    harness.main()
