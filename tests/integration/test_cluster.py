"""Two `letterhead serve` nodes on one real PostgreSQL (issue 7): the same accounts and
mail seen from both, a delivery on node A waking an IMAP IDLE client on node B within
a second (LISTEN/NOTIFY), SMTP answering 451 rather than a false 250 while the
database is down, and both nodes carrying on once it is back.

The nodes share the data directory, as nodes share a blob filesystem in production
(docs/cluster.md). PostgreSQL is Debian's postgresql-15, started in a temporary
directory by pgserver.py."""

import imaplib
import os
import smtplib
import ssl
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD, Server  # noqa: E402
from pgserver import PgServer  # noqa: E402


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = PgServer()
        cls.pg.start()

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    def setUp(self):
        self.db = self.pg.create_database()
        store = f'[store]\nbackend = "postgres"\nurl = "{self.pg.conninfo(self.db)}"\n'
        self.a = Server(store, listen=("smtp", "imaps"))
        self.b = Server(store, listen=("smtp", "imaps"))
        # Node B uses node A's data directory: the shared blob store (and TLS key).
        with open(self.b.config) as f:
            text = f.read()
        with open(self.b.config, "w") as f:
            f.write(text.replace(f'data_dir = "{self.b.data}"', f'data_dir = "{self.a.data}"'))
        self.a.cli("domain", "add", "example.com")
        self.a.add_user("alice@example.com")
        self.a.add_user("bob@example.com")
        self.a.start()
        self.b.start()

    def tearDown(self):
        logs = []
        for node in (self.b, self.a):
            code = node.stop()
            log = node.read_log()
            logs.append(log)
            self.assertNotIn("ERROR: AddressSanitizer", log)
            self.assertNotIn("runtime error:", log)
            self.assertEqual(code, 0, "node did not exit cleanly:\n" + log[-3000:])
        self.b.cleanup()
        self.a.cleanup()

    def deliver(self, node, subject, to="alice@example.com"):
        with smtplib.SMTP("127.0.0.1", node.ports["smtp"], timeout=30) as s:
            s.sendmail("partner@remote.example", [to],
                       f"From: partner@remote.example\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nbody\r\n")

    def login(self, node, user="alice@example.com"):
        m = imaplib.IMAP4_SSL("127.0.0.1", node.ports["imaps"], ssl_context=insecure(), timeout=30)
        m.login(user, PASSWORD)
        return m

    def test_1_both_nodes_see_one_store(self):
        # The account added through node A's CLI logs in on node B.
        self.deliver(self.a, "via A")
        self.deliver(self.b, "via B")
        for node in (self.a, self.b):
            m = self.login(node)
            typ, data = m.select("INBOX")
            self.assertEqual(data, [b"2"])
            typ, data = m.fetch("1:2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            subjects = sorted(part[1].strip() for part in data if isinstance(part, tuple))
            self.assertEqual(subjects, [b"Subject: via A", b"Subject: via B"])
            m.logout()
        # The rows are in PostgreSQL, counted there by psql, not by our code.
        rows = self.pg.psql(self.db, "SELECT count(*) FROM messages m JOIN accounts a"
                                     " ON a.id = m.account_id WHERE a.address = 'alice@example.com'")
        self.assertEqual(rows, [["2"]])

    def test_2_delivery_on_a_wakes_idle_on_b(self):
        m = self.login(self.b)
        m.select("INBOX")
        tag = m._new_tag()
        m.send(tag + b" IDLE\r\n")
        self.assertTrue(m.readline().startswith(b"+"))
        done = threading.Event()
        delivered_at = []

        def send():
            self.deliver(self.a, "wake up")
            delivered_at.append(time.time())
            done.set()

        threading.Thread(target=send).start()
        line = m.readline()
        woken_at = time.time()
        self.assertTrue(done.wait(30))
        self.assertEqual(line.strip(), b"* 1 EXISTS")
        # Woken within a second of node A's 250 (the slow re-check timer is far longer).
        self.assertLess(woken_at - delivered_at[0], 1.0)
        m.send(b"DONE\r\n")
        self.assertIn(b"OK", m.readline())
        m.logout()

    def test_3_database_restart(self):
        self.deliver(self.a, "before")
        self.pg.stop_server()
        try:
            # With the database gone, a message is refused for now, never accepted.
            with smtplib.SMTP("127.0.0.1", self.a.ports["smtp"], timeout=60) as s:
                s.ehlo()
                s.mail("partner@remote.example")
                code, _ = s.rcpt("alice@example.com")
                if code == 250:
                    code, msg = s.data(b"Subject: during\r\n\r\nbody\r\n")
                self.assertEqual(code // 100, 4, f"{code}")
        finally:
            self.pg.start_server()
        # Both nodes carry on without a restart.
        deadline = time.time() + 30
        while True:
            try:
                self.deliver(self.b, "after")
                break
            except (smtplib.SMTPException, OSError):
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        self.deliver(self.a, "after again")
        m = self.login(self.a)
        typ, data = m.select("INBOX")
        self.assertEqual(data, [b"3"])
        m.logout()


if __name__ == "__main__":
    harness.main()
