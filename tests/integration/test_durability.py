"""Durability and process lifecycle: kill -9 in the middle of a burst loses no
acknowledged message and shows no half message; SIGTERM drains; SIGHUP reloads
certificates."""

import os
import signal
import smtplib
import ssl
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import RawSmtp, Server  # noqa: E402


def body_for(token):
    # Large enough (about 20 KB) that a kill lands mid-write often.
    return ("Subject: %s\r\nMessage-ID: <%s@burst>\r\n\r\n" % (token, token)
            + ("%s line of the burst message body\r\n" % token) * 500
            + "END-%s\r\n" % token).encode()


class KillTest(unittest.TestCase):

    def test_kill9_during_burst_loses_nothing_acknowledged(self):
        server = Server()
        try:
            server.cli("domain", "add", "example.com")
            server.add_user("alice@example.com")
            server.start()
            acked = []
            lock = threading.Lock()
            stop = threading.Event()

            def sender(n):
                i = 0
                while not stop.is_set():
                    try:
                        with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
                            s.ehlo("burst.example")
                            while not stop.is_set():
                                token = "t%d-%d" % (n, i)
                                i += 1
                                s.sendmail("b@outside.example", ["alice@example.com"], body_for(token))
                                with lock:
                                    acked.append(token)
                    except (OSError, smtplib.SMTPException):
                        return

            threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
            for t in threads:
                t.start()
            deadline = time.time() + 30
            while len(acked) < 150 and time.time() < deadline:
                time.sleep(0.01)
            server.kill9()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            self.assertGreater(len(acked), 20, "burst too slow to be meaningful")

            # After the crash: the store opens (recovering its journal) and holds
            # every acknowledged message once, each whole.
            rows = server.messages("alice@example.com")
            seen = {}
            for row in rows:
                data = server.message_bytes("alice@example.com", row["uid"])
                subject = data.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0].decode()
                self.assertTrue(data.endswith(body_for(subject)), "half message for " + subject)
                self.assertEqual(len(data), row["size"])
                seen[subject] = seen.get(subject, 0) + 1
            missing = [t for t in acked if t not in seen]
            self.assertEqual(missing, [], "acknowledged but lost")
            self.assertEqual([t for t, c in seen.items() if c > 1], [], "stored twice")
            # And the server starts again on the same data.
            server.start()
            with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
                s.sendmail("b@outside.example", ["alice@example.com"], body_for("after"))
            self.assertEqual(len(server.messages("alice@example.com")), len(rows) + 1)
            self.assertEqual(server.stop(), 0)
        finally:
            server.cleanup()


class LifecycleTest(harness.ServerTest):

    def test_sigterm_tells_idle_clients_and_exits(self):
        raw = RawSmtp(self.port("smtp"))
        raw.reply()
        raw.cmd("EHLO c.example")
        self.server.proc.send_signal(signal.SIGTERM)
        code, text = raw.reply()
        self.assertEqual(code, 421)
        self.assertTrue(raw.closed())
        self.assertEqual(self.server.proc.wait(timeout=30), 0)

    def test_sigterm_lets_a_transaction_finish(self):
        raw = RawSmtp(self.port("smtp"))
        raw.reply()
        raw.cmd("EHLO c.example")
        raw.cmd("MAIL FROM:<x@outside.example>")
        raw.cmd("RCPT TO:<alice@example.com>")
        self.server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        self.assertEqual(raw.cmd("DATA")[0], 354)
        raw.send(b"Subject: last one\r\n\r\nbody\r\n.\r\n")
        self.assertEqual(raw.reply()[0], 250)
        self.assertEqual(raw.reply()[0], 421)
        self.assertEqual(self.server.proc.wait(timeout=30), 0)
        self.assertEqual(len(self.server.messages("alice@example.com")), 1)


class ReloadTest(unittest.TestCase):

    def make_cert(self, directory, name):
        cert, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=" + name, "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        return cert, key

    def peer_cn(self, port, sni="mx.example.com"):
        raw = RawSmtp(port)
        raw.reply()
        raw.cmd("EHLO c.example")
        raw.cmd("STARTTLS")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(raw.sock, server_hostname=sni)
        der = sock.getpeercert(binary_form=True)
        sock.close()
        out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"], input=der,
                             capture_output=True, check=True).stdout.decode()
        return out.strip().split("CN")[-1].strip(" =")

    def test_sighup_reloads_certificates(self):
        server = Server()
        try:
            cert, key = self.make_cert(server.dir, "first")
            with open(server.config) as f:
                text = f.read()
            with open(server.config, "w") as f:
                f.write(text.replace("[listen]", f'[tls]\ncert = "{cert}"\nkey = "{key}"\n[listen]'))
            server.start()
            self.assertEqual(self.peer_cn(server.ports["smtp"]), "first")
            new_cert, new_key = self.make_cert(server.dir, "second")
            os.replace(new_cert, cert)
            os.replace(new_key, key)
            server.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            while "TLS certificates reloaded" not in server.read_log() and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(self.peer_cn(server.ports["smtp"]), "second")
            self.assertEqual(server.stop(), 0)
        finally:
            server.cleanup()


    def test_sni_picks_the_domain_certificate(self):
        server = Server()
        try:
            main_cert, main_key = self.make_cert(server.dir, "main")
            org_cert, org_key = self.make_cert(server.dir, "org")
            wild_cert, wild_key = self.make_cert(server.dir, "wild")
            with open(server.config) as f:
                text = f.read()
            with open(server.config, "w") as f:
                f.write(text.replace("[listen]", f'[tls]\ncert = "{main_cert}"\nkey = "{main_key}"\n'
                                     f'[tls.sni."Mail.Example.ORG"]\ncert = "{org_cert}"\nkey = "{org_key}"\n'
                                     f'[tls.sni."*.example.net"]\ncert = "{wild_cert}"\nkey = "{wild_key}"\n'
                                     "[listen]"))
            server.start()
            port = server.ports["submissions"]
            implicit = lambda sni: self.implicit_cn(port, sni)  # noqa: E731
            self.assertEqual(implicit("mail.example.org"), "org")
            self.assertEqual(implicit("imap.example.net"), "wild")
            self.assertEqual(implicit("other.example"), "main")
            self.assertEqual(self.peer_cn(server.ports["smtp"], "mail.example.org"), "org")
            self.assertEqual(server.stop(), 0)
        finally:
            server.cleanup()

    def implicit_cn(self, port, sni):
        import socket
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                             server_hostname=sni) as sock:
            der = sock.getpeercert(binary_form=True)
        out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"], input=der,
                             capture_output=True, check=True).stdout.decode()
        return out.strip().split("CN")[-1].strip(" =")


if __name__ == "__main__":
    harness.main()
