"""POP3 (RFC 1939) on the pop3 port with STLS (RFC 2595) and on pop3s with implicit
TLS (RFC 8314), driven by Python's poplib, curl and fetchmail against mail delivered
through the MX port; what POP3 deletes is checked through `letterhead message list`."""

import os
import poplib
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD  # noqa: E402

MESSAGES = [
    (b"From: Sender <sender@outside.example>\r\n"
     b"To: Alice <alice@example.com>\r\n"
     b"Subject: first\r\n"
     b"\r\n"
     b"Hello Alice.\r\n"
     b".A line that starts with a dot.\r\n"
     b"..two dots\r\n"
     b"\xe4\xbd\xa0\xe5\xa5\xbd 8-bit UTF-8 text\r\n"
     b"last line\r\n"),
    (b"From: Sender <sender@outside.example>\r\n"
     b"To: Alice <alice@example.com>\r\n"
     b"Subject: second\r\n"
     b"\r\n"
     b"one\r\ntwo\r\nthree\r\n"),
]


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Pop3Test(harness.ServerTest):
    listen = harness.DEFAULT_LISTEN + ("pop3", "pop3s")

    def setUp(self):
        super().setUp()
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30) as s:
            s.ehlo("client.outside.example")
            for m in MESSAGES:
                self.assertEqual(s.sendmail("sender@outside.example", ["alice@example.com"], m), {})
        self.rows = self.server.wait_for_messages("alice@example.com", len(MESSAGES))
        self.assertEqual(len(self.rows), len(MESSAGES))
        self.stored = [self.server.message_bytes("alice@example.com", r["uid"]) for r in self.rows]

    def pop3(self):
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=30)
        p.stls(context=insecure())
        return p

    def pop3s(self):
        return poplib.POP3_SSL("127.0.0.1", self.port("pop3s"), timeout=30, context=insecure())

    def login(self, p, password=PASSWORD):
        p.user("alice@example.com")
        p.pass_(password)
        return p

    def uids(self):
        return [r["uid"] for r in self.server.messages("alice@example.com")]

    def test_stls_list_uidl_retr_byte_exact(self):
        p = self.login(self.pop3())
        count, size = p.stat()
        self.assertEqual(count, 2)
        self.assertEqual(size, sum(len(b) for b in self.stored))
        _, listing, _ = p.list()
        self.assertEqual(listing, [f"{i + 1} {len(b)}".encode() for i, b in enumerate(self.stored)])
        # Sizes are those of the stored messages, which have CRLF line ends.
        self.assertEqual([r["size"] for r in self.rows], [len(b) for b in self.stored])
        _, uidl, _ = p.uidl()
        ids = [line.split()[1].decode() for line in uidl]
        for i, uid in enumerate(ids):
            self.assertRegex(uid, r"^[0-9]+\.[0-9]+$")
            self.assertEqual(int(uid.split(".")[1]), self.rows[i]["uid"])
        for i, stored in enumerate(self.stored):
            _, lines, octets = p.retr(i + 1)
            data = b"\r\n".join(lines) + b"\r\n"
            self.assertEqual(data, stored)
            self.assertTrue(data.endswith(MESSAGES[i]))
        p.quit()
        # UIDL is stable across sessions (RFC 1939 §7).
        p = self.login(self.pop3s())
        _, again, _ = p.uidl()
        self.assertEqual([line.split()[1].decode() for line in again], ids)
        p.quit()
        self.assertEqual(len(self.uids()), 2)

    def test_pop3s_top_dele_quit_removes_the_message(self):
        p = self.login(self.pop3s())
        _, lines, _ = p.top(2, 1)
        header_end = self.stored[1].index(b"\r\n\r\n")
        self.assertEqual(b"\r\n".join(lines) + b"\r\n", self.stored[1][:header_end + 4] + b"one\r\n")
        _, lines, _ = p.top(1, 0)
        self.assertEqual(lines[-1], b"")
        self.assertEqual(p.dele(1)[:3], b"+OK")
        with self.assertRaises(poplib.error_proto):
            p.retr(1)
        self.assertEqual(p.stat(), (1, len(self.stored[1])))
        self.assertIn(b"1 messages deleted", p.quit())
        self.assertEqual(self.uids(), [self.rows[1]["uid"]])

    def test_rset_and_a_dropped_connection_delete_nothing(self):
        p = self.login(self.pop3())
        p.dele(1)
        p.dele(2)
        p.rset()
        self.assertIn(b"0 messages deleted", p.quit())
        self.assertEqual(len(self.uids()), 2)
        # RFC 1939 §6: no QUIT, no UPDATE state.
        p = self.login(self.pop3s())
        p.dele(1)
        p.dele(2)
        p.close()
        time.sleep(0.3)
        self.assertEqual(len(self.uids()), 2)
        p = self.login(self.pop3s())
        self.assertEqual(p.stat()[0], 2)
        p.quit()

    def test_wrong_password_is_auth_error_and_not_logged(self):
        p = self.pop3()
        p.user("alice@example.com")
        with self.assertRaises(poplib.error_proto) as wrong:
            p.pass_("not-the-password-1")
        self.assertTrue(wrong.exception.args[0].startswith(b"-ERR [AUTH]"), wrong.exception.args)
        p.user("nobody@example.com")
        with self.assertRaises(poplib.error_proto) as unknown:
            p.pass_("not-the-password-1")
        self.assertEqual(wrong.exception.args, unknown.exception.args)
        p.close()
        self.assertNotIn("not-the-password-1", self.server.read_log())

    def test_no_plaintext_login_before_stls(self):
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=30)
        caps = p.capa()
        self.assertIn("STLS", caps)
        self.assertNotIn("USER", caps)
        self.assertNotIn("SASL", caps)
        with self.assertRaises(poplib.error_proto):
            p.user("alice@example.com")
        p.stls(context=insecure())
        caps = p.capa()
        self.assertNotIn("STLS", caps)
        self.assertIn("USER", caps)
        self.assertEqual(caps["SASL"], ["PLAIN", "SCRAM-SHA-256"])
        for c in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"):
            self.assertIn(c, caps)
        self.login(p)
        p.quit()

    def test_stls_discards_pipelined_commands(self):
        with socket.create_connection(("127.0.0.1", self.port("pop3")), timeout=10) as s:
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"+OK"))
            s.sendall(b"STLS\r\nCAPA\r\n")
            self.assertTrue(f.readline().startswith(b"+OK"))
            tls = insecure().wrap_socket(s, server_hostname="mx.example.com")
            tls.sendall(b"NOOP\r\n")
            reply = tls.recv(1000)
            # The injected CAPA got no reply; NOOP in AUTHORIZATION is -ERR.
            self.assertTrue(reply.startswith(b"-ERR"), reply)
            tls.close()

    def curl(self, url, *extra):
        return subprocess.run(["curl", "-sS", "-k", "--max-time", "30", "-u", f"alice@example.com:{PASSWORD}",
                               *extra, url], capture_output=True, timeout=60)

    def test_curl_list_and_retr(self):
        if not shutil.which("curl"):
            self.skipTest("curl not installed")
        r = self.curl(f"pop3://127.0.0.1:{self.port('pop3')}/", "--ssl-reqd")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"".join(f"{i + 1} {len(b)}\r\n".encode() for i, b in enumerate(self.stored)))
        for url in (f"pop3://127.0.0.1:{self.port('pop3')}/1", f"pop3s://127.0.0.1:{self.port('pop3s')}/1"):
            r = self.curl(url, "--ssl-reqd")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, self.stored[0])
        # curl logs in with AUTH PLAIN when SASL is offered.
        self.assertIn("AUTH PLAIN login as alice@example.com", self.server.read_log())
        self.assertEqual(len(self.uids()), 2)

    def test_fetchmail_retrieves_and_deletes(self):
        if not shutil.which("fetchmail"):
            self.skipTest("fetchmail not installed")
        home = tempfile.mkdtemp(prefix="letterhead-fetchmail-")
        try:
            out = os.path.join(home, "mbox")
            rc = os.path.join(home, ".fetchmailrc")
            with open(rc, "w") as f:
                f.write(f'poll 127.0.0.1 service {self.port("pop3s")} protocol POP3 auth password\n'
                        f'  user "alice@example.com" there with password "{PASSWORD}"\n'
                        f'  ssl no sslcertck\n'
                        f'  mda "/bin/sh -c \'cat >> {out}; echo ===END=== >> {out}\'"\n')
            os.chmod(rc, 0o600)
            env = dict(os.environ, HOME=home)
            r = subprocess.run(["fetchmail", "-f", rc, "--nosyslog", "--nodetach", "-v",
                                "--pidfile", os.path.join(home, "pid"), "-i", os.path.join(home, "ids")],
                               capture_output=True, timeout=120, env=env)
            self.assertEqual(r.returncode, 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace"))
            with open(out, "rb") as f:
                got = f.read().replace(b"\r\n", b"\n")
            self.assertEqual(got.count(b"===END==="), 2)
            for m in MESSAGES:
                body = m.split(b"\r\n\r\n", 1)[1].replace(b"\r\n", b"\n")
                self.assertIn(body, got)
            # fetchmail deletes what it retrieved (no `keep`): QUIT expunged both.
            self.assertEqual(self.uids(), [])
        finally:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    harness.main()
