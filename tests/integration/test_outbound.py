"""Outbound delivery through the real thing: letterhead A sends to letterhead B (as
a smarthost, with and without AUTH, and as the MX of b.test found through a real
DNS server), and to scripted receivers (fakemx.py) that provoke what real peers
do: 4xx then success, 5xx for one recipient of several, no PIPELINING / 8BITMIME /
SMTPUTF8, CHUNKING, DSN, a hanging server, a sender killed with -9 mid-queue, and
connection reuse. Delivered bytes are compared exactly. Timeouts and retry
intervals are shortened so the whole file runs in well under a minute or two."""

import os
import re
import smtplib
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD  # noqa: E402
from fakemx import DEFAULT_EHLO, FakeMx  # noqa: E402

FAST_QUEUE = """
[queue]
retry_intervals = [1]
poll_interval = 1
lease = 4
connect_timeout = 2
greeting_timeout = 2
command_timeout = 2
mail_timeout = 2
rcpt_timeout = 2
data_init_timeout = 2
data_block_timeout = 2
data_end_timeout = 3
idle_connection = 5
"""

PLAINTEXT_AUTH = "[smtp]\nallow_plaintext_auth_on_loopback = true\n"


def message(subject, body="Hello from A.\r\n", extra=""):
    return (f"From: Alice <alice@a.test>\r\nTo: someone\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@a.test>\r\n{extra}\r\n").encode() + (
        body if isinstance(body, bytes) else body.encode())


TRACE = re.compile(rb"^((Received|DKIM-Signature|X-Spam-Flag|X-Spam-Score|X-Spam-Status): "
                   rb"[^\r]*\r\n([ \t][^\r]*\r\n)*)+")


def strip_trace(data):
    """The message without the fields servers put in front (Return-Path, Received,
    the DKIM-Signature fields A adds as it sends, the X-Spam fields B's MX adds):
    what the sender wrote."""
    if data.startswith(b"Return-Path:"):
        data = data.split(b"\r\n", 1)[1]
    m = TRACE.match(data)
    return data[m.end():] if m else data


def dkim_dns(server, domain):
    """A dnsfunc for dkimpy answering from `letterhead dns DOMAIN`'s DKIM records."""
    records = {}
    for line in server.cli("dns", domain).stdout.decode().splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[-2] == "TXT" and "._domainkey." in parts[0]:
            records[parts[0].encode()] = "".join(re.findall(r'"([^"]*)"', parts[-1])).encode()
    return lambda name, timeout=5: records.get(name if name.endswith(b".") else name + b".")


class Sender:
    """Letterhead A: submission for alice@a.test, outbound queue as configured."""

    def __init__(self, extra):
        self.server = harness.Server(PLAINTEXT_AUTH + FAST_QUEUE + extra, listen=("submission",))
        self.server.cli("domain", "add", "a.test")
        self.server.add_user("alice@a.test")
        self.server.start()

    def submit(self, rcpts, data, mail_options=(), rcpt_options=(), utf8=False):
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=30) as s:
            if utf8:
                s.command_encoding = "utf-8"
            s.ehlo("laptop.a.test")
            s.login("alice@a.test", PASSWORD)
            return s.sendmail("alice@a.test", rcpts, data, list(mail_options), list(rcpt_options))

    def queue(self):
        return self.server.cli("queue", "list").stdout.decode().splitlines()

    def wait_queue_empty(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.queue():
                return True
            time.sleep(0.2)
        return False

    def log(self):
        return self.server.read_log()



class PeerHelpers:
    """For test cases that send through Letterhead A to scripted receivers: each
    server and receiver made is stopped (cleanly, sanitizer-checked) after the test."""

    def sender(self, extra=""):
        a = Sender(extra)
        self.addCleanup(self.stop_clean, a.server)
        return a

    def fake(self, **kw):
        mx = FakeMx(**kw).__enter__()
        self.addCleanup(mx.__exit__, None, None, None)
        return mx

    def stop_clean(self, server):
        code = server.stop()
        log = server.read_log() if os.path.exists(server.log_path) else ""
        server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertIn(code, (0, None), "server did not exit cleanly:\n" + log[-3000:])


class OutboundTest(PeerHelpers, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        from dnsserver import DnsServer
        # fake.test's MX is 127.0.0.1; [queue] mx_port picks the scripted receiver.
        cls.dns = DnsServer({"fake.test": "@ MX 10 mx\nmx A 127.0.0.1\n"}).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)

    def sender_for(self, mx, **queue_keys):
        keys = "".join(f"{k} = {v}\n" for k, v in queue_keys.items())
        return self.sender(f'mx_port = {mx.port}\n{keys}[dns]\nservers = ["{self.dns.address}"]\n')

    # --- letterhead to letterhead ---

    def receiver(self, extra=""):
        b = harness.Server(PLAINTEXT_AUTH + extra, listen=("smtp", "submission"))
        b.cli("domain", "add", "b.test")
        b.add_user("bob@b.test")
        self.addCleanup(self.stop_clean, b)
        return b

    def test_smarthost_starttls_byte_exact(self):
        b = self.receiver()
        b.start()
        a = self.sender(f'[relay]\nhost = "127.0.0.1:{b.ports["smtp"]}"\ntls = "starttls"\n'
                        "verify_certificate = false\n")
        original = message("via smarthost", "Line one\r\n.starts with a dot\r\n..two dots\r\n\r\n.\r\nend\r\n")
        self.assertEqual(a.submit(["bob@b.test"], original), {})
        rows = b.wait_for_messages("bob@b.test", 1, timeout=20)
        self.assertEqual(len(rows), 1, a.log()[-2000:])
        stored = b.message_bytes("bob@b.test", rows[0]["uid"])
        self.assertEqual(strip_trace(stored), original)
        self.assertEqual(stored.count(b"\r\nReceived: ") + stored.startswith(b"Received: "), 2)
        self.assertIn(b"with ESMTPS", stored, "the hop from A to B used TLS")
        self.assertTrue(a.wait_queue_empty())

    def test_outgoing_mail_is_dkim_signed_and_verifies_with_dkimpy(self):
        import dkim
        b = self.receiver()
        b.start()
        a = self.sender(f'[relay]\nhost = "127.0.0.1:{b.ports["smtp"]}"\ntls = "starttls"\n'
                        "verify_certificate = false\n")
        original = message("signed", "Body line\r\n  with spaces  \r\n\r\n\r\n")
        self.assertEqual(a.submit(["bob@b.test"], original), {})
        rows = b.wait_for_messages("bob@b.test", 1, timeout=20)
        self.assertEqual(len(rows), 1, a.log()[-2000:])
        stored = b.message_bytes("bob@b.test", rows[0]["uid"])
        self.assertEqual(stored.count(b"DKIM-Signature:"), 2, stored[:2000])
        self.assertIn(b"a=rsa-sha256", stored)
        self.assertIn(b"a=ed25519-sha256", stored)
        # Without the receiver's own trace fields, as the verifier at B would see it.
        received_at_b = stored.split(b"\r\n", 1)[1]
        received_at_b = received_at_b[received_at_b.index(b"DKIM-Signature:"):]
        dnsfunc = dkim_dns(a.server, "a.test")
        d = dkim.DKIM(received_at_b)
        for i in range(2):
            self.assertTrue(d.verify(idx=i, dnsfunc=dnsfunc), f"signature {i} fails with dkimpy")
        # A changed body must not verify: the check can fail.
        tampered = received_at_b.replace(b"Body line", b"Body lime")
        try:
            ok = dkim.DKIM(tampered).verify(idx=0, dnsfunc=dnsfunc)
        except dkim.ValidationError:
            ok = False
        self.assertFalse(ok, "a changed body still verifies")

    def submission_receiver(self):
        """B, where alice@a.test also has an account: a smarthost she may log in to."""
        b = self.receiver()
        b.cli("domain", "add", "a.test")
        b.add_user("alice@a.test")
        b.start()
        return b

    def test_smarthost_auth(self):
        b = self.submission_receiver()
        a = self.sender(f'[relay]\nhost = "127.0.0.1:{b.ports["submission"]}"\ntls = "starttls"\n'
                        f'verify_certificate = false\nuser = "alice@a.test"\npassword = "{PASSWORD}"\n')
        original = message("authenticated relay")
        self.assertEqual(a.submit(["bob@b.test"], original), {})
        rows = b.wait_for_messages("bob@b.test", 1, timeout=20)
        self.assertEqual(len(rows), 1, a.log()[-2000:])
        stored = b.message_bytes("bob@b.test", rows[0]["uid"])
        self.assertIn(b"with ESMTPSA", stored)
        self.assertEqual(strip_trace(stored), original)
        self.assertNotIn(PASSWORD, a.log())

    def test_smarthost_that_refuses_auth_is_retried_not_bounced(self):
        b = self.submission_receiver()
        a = self.sender(f'[relay]\nhost = "127.0.0.1:{b.ports["submission"]}"\n'
                        f'verify_certificate = false\nuser = "alice@a.test"\npassword = "wrong-password-9"\n')
        self.assertEqual(a.submit(["bob@b.test"], message("bad login")), {})
        time.sleep(3)
        queued = a.queue()
        self.assertEqual(len(queued), 1, a.log()[-2000:])
        self.assertNotIn("attempts=0", queued[0])
        self.assertEqual(b.messages("bob@b.test"), [])

    def test_mx_found_in_dns(self):
        from dnsserver import DnsServer
        b = self.receiver()
        b.start()
        with DnsServer({"b.test": "@ MX 10 mx\nmx A 127.0.0.1\n",
                        "nomail.test": "@ MX 0 .\n"}) as dns:
            a = self.sender(f'mx_port = {b.ports["smtp"]}\n[dns]\nservers = ["{dns.address}"]\n')
            original = message("found by MX")
            self.assertEqual(a.submit(["bob@b.test", "user@nomail.test"], original), {})
            rows = b.wait_for_messages("bob@b.test", 1, timeout=20)
            self.assertEqual(len(rows), 1, a.log()[-3000:])
            self.assertEqual(strip_trace(b.message_bytes("bob@b.test", rows[0]["uid"])), original)
            self.assertTrue(a.wait_queue_empty(), a.queue())
            # RFC 7505: the null MX domain failed at once, permanently.
            self.assertRegex(a.log(), r"<user@nomail\.test> failed .*5\.1\.10")

    # --- scripted peers (fake.test, MX found in DNS) ---

    def test_4xx_then_success(self):
        mx = self.fake(data=lambda n: "451 4.3.0 try again later" if n == 1 else "250 2.0.0 ok")
        a = self.sender_for(mx)
        original = message("retry me")
        self.assertEqual(a.submit(["bob@fake.test"], original), {})
        got = mx.wait_messages(1)
        self.assertEqual(len(got), 1, a.log()[-2000:])
        self.assertEqual(mx.bodies_seen, 2)
        self.assertEqual(strip_trace(got[0].data), original)
        self.assertTrue(a.wait_queue_empty())

    def test_5xx_for_one_recipient_of_several(self):
        mx = self.fake(rcpt=lambda addr: "550 5.1.1 no such user" if addr.startswith("nobody") else "250 ok")
        a = self.sender_for(mx)
        rcpts = ["one@fake.test", "nobody@fake.test", "two@fake.test"]
        self.assertEqual(a.submit(rcpts, message("partial")), {})
        got = mx.wait_messages(1)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0].rcpts, ["one@fake.test", "two@fake.test"])
        self.assertTrue(a.wait_queue_empty())
        self.assertRegex(a.log(), r"<nobody@fake\.test> failed .*550 5\.1\.1 no such user")
        time.sleep(1.5)
        self.assertEqual(len(mx.messages), 1, "delivered recipients are not sent again")
        self.assertGreater(mx.pipelined, 0, "MAIL and RCPT were pipelined")

    def test_peer_without_pipelining_8bitmime_smtputf8(self):
        mx = self.fake(ehlo=["SIZE 1000000"])
        a = self.sender_for(mx)
        seven = message("seven bit")
        self.assertEqual(a.submit(["bob@fake.test"], seven), {})
        self.assertEqual(a.submit(["bob@fake.test"], message("eight bit", "caf\u00e9\r\n".encode())), {})
        self.assertEqual(a.submit(["\u7528\u6237@fake.test"], message("utf8 address"),
                                  mail_options=["SMTPUTF8"], utf8=True), {})
        mx.wait_messages(2)
        self.assertTrue(a.wait_queue_empty(), a.queue())
        time.sleep(1)
        self.assertEqual(len(mx.messages), 2)
        sent_seven, sent_eight = sorted(mx.messages, key=lambda m: b"eight bit" in m.data)
        self.assertEqual(strip_trace(sent_seven.data), seven)
        # RFC 6152 §3: the 8-bit message is converted to quoted-printable, not refused
        # (test_outbound_downgrade.py checks the conversion in depth).
        self.assertNotIn("BODY=", sent_eight.mail_line)
        self.assertTrue(all(b < 0x80 for b in sent_eight.data))
        self.assertIn(b"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n", sent_eight.data)
        self.assertEqual(mx.pipelined, 0, "no pipelining without PIPELINING")
        log = a.log()
        self.assertRegex(log, r"failed .*5\.6\.7 .*SMTPUTF8")
        self.assertEqual(sum(1 for l in mx.lines if l.startswith("MAIL")), 2, "refused before MAIL")

    def test_eight_bit_and_utf8_to_a_capable_peer(self):
        mx = self.fake()
        a = self.sender_for(mx)
        eight = message("eight bit ok", "caf\u00e9 \u4f60\u597d\r\n".encode())
        self.assertEqual(a.submit(["bob@fake.test"], eight), {})
        self.assertEqual(a.submit(["\u7528\u6237@fake.test"], message("utf8 ok"),
                                  mail_options=["SMTPUTF8"], utf8=True), {})
        got = mx.wait_messages(2)
        self.assertEqual(len(got), 2, a.log()[-2000:])
        # The two queue entries may leave in either order.
        first, second = sorted(got, key=lambda m: b"utf8 ok" in m.data)
        self.assertIn("BODY=8BITMIME", first.mail_line)
        self.assertEqual(strip_trace(first.data), eight)
        self.assertIn("SMTPUTF8", second.mail_line)
        self.assertEqual(second.rcpts, ["\u7528\u6237@fake.test"])

    def test_chunking_peer_gets_bdat(self):
        mx = self.fake(ehlo=list(DEFAULT_EHLO) + ["CHUNKING"])
        a = self.sender_for(mx)
        # Over 1 MiB: several chunks; lines with dots are not stuffed in BDAT.
        body = b"".join(b".line %d with a leading dot\r\n" % i for i in range(60000))
        original = message("chunked", body)
        self.assertEqual(a.submit(["bob@fake.test"], original), {})
        got = mx.wait_messages(1)
        self.assertEqual(len(got), 1, a.log()[-2000:])
        self.assertEqual(strip_trace(got[0].data), original)
        bdat = [l for l in mx.lines if l.startswith("BDAT")]
        self.assertGreater(len(bdat), 1)
        self.assertTrue(bdat[-1].endswith("LAST"))
        self.assertFalse(any(l == "DATA" for l in mx.lines))

    def test_dsn_parameters_are_passed_on(self):
        mx = self.fake(ehlo=list(DEFAULT_EHLO) + ["DSN"])
        a = self.sender_for(mx)
        self.assertEqual(a.submit(["bob@fake.test"], message("dsn"), mail_options=["RET=HDRS", "ENVID=env+2B1"],
                                  rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;orig+3Dx@a.test"]), {})
        got = mx.wait_messages(1)
        self.assertEqual(len(got), 1, a.log()[-2000:])
        self.assertIn("RET=HDRS", got[0].mail_line)
        self.assertIn("ENVID=env+2B1", got[0].mail_line)
        self.assertIn("NOTIFY=SUCCESS,FAILURE", got[0].rcpt_lines[0])
        self.assertIn("ORCPT=rfc822;orig+3Dx@a.test", got[0].rcpt_lines[0])

    def test_hanging_peer_times_out_and_is_retried(self):
        mx = self.fake(greeting=lambda n: None if n == 1 else "220 fake.test ESMTP")
        a = self.sender_for(mx)
        original = message("after a hang")
        start = time.time()
        self.assertEqual(a.submit(["bob@fake.test"], original), {})
        got = mx.wait_messages(1, timeout=30)
        self.assertEqual(len(got), 1, a.log()[-2000:])
        self.assertGreaterEqual(mx.connections, 2)
        self.assertGreater(time.time() - start, 1.5, "the greeting timeout was waited for")
        self.assertIn("no greeting", a.log())

    def test_connection_reuse(self):
        mx = self.fake()
        a = self.sender_for(mx, per_destination=1)
        sent = [message(f"reuse {i}") for i in range(4)]
        for m in sent:
            self.assertEqual(a.submit(["bob@fake.test"], m), {})
        got = mx.wait_messages(4)
        self.assertEqual(sorted(strip_trace(m.data) for m in got), sorted(sent))
        self.assertEqual(mx.connections, 1, "one connection carried every message")

    def test_kill_9_mid_queue_then_restart_delivers_exactly_once(self):
        # The first message's final reply is held back; A dies waiting for it.
        mx = self.fake(data_delay=lambda n: 4 if n == 1 else 0)
        a = self.sender_for(mx, per_destination=1)
        sent = [message(f"crash {i}") for i in range(5)]
        for m in sent:
            self.assertEqual(a.submit(["bob@fake.test"], m), {})
        deadline = time.time() + 20
        while mx.bodies_seen < 1 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(mx.bodies_seen, 1)
        a.server.kill9()
        time.sleep(0.5)
        a.server.start()
        got = mx.wait_messages(5, timeout=40)
        time.sleep(2)  # anything sent twice would arrive now
        subjects = sorted(strip_trace(m.data) for m in mx.messages)
        self.assertEqual(subjects, sorted(sent), a.log()[-3000:])
        self.assertTrue(a.wait_queue_empty())


if __name__ == "__main__":
    harness.main()
