"""Two `letterhead serve` nodes on one real PostgreSQL (issue 7): the same accounts and
mail seen from both, a delivery on node A waking an IMAP IDLE client on node B within
a second (LISTEN/NOTIFY), SMTP answering 451 rather than a false 250 while the
database is down, and both nodes carrying on once it is back.

The outbound queue is worked by both nodes: with node A killed (-9) while it sends,
node B finishes A's work once A's leases run out, and a receiving MTA (fakemx.py)
counts every message exactly once.

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
from fakemx import FakeMx  # noqa: E402
from pgserver import PgServer  # noqa: E402

# Loopback AUTH for the submission test; a fast queue working through a smarthost.
QUEUE = """
[smtp]
allow_plaintext_auth_on_loopback = true
[queue]
retry_intervals = [1]
poll_interval = 1
lease = 6
"""


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

    extra_config = ""

    def setUp(self):
        self.db = self.pg.create_database()
        store = f'[store]\nbackend = "postgres"\nurl = "{self.pg.conninfo(self.db)}"\n'
        listen = ("smtp", "submission", "imaps")
        self.a = Server(store + self.extra_config, listen=listen)
        self.b = Server(store + self.extra_config, listen=listen)
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
            if node.proc is None:  # killed by the test
                continue
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


    def test_5_serve_waits_for_an_unreachable_database(self):
        self.b.stop()
        self.pg.stop_server()
        try:
            starter = threading.Timer(3.0, self.pg.start_server)
            starter.start()
            self.b.start()  # listening only once the database answered
            starter.join()
        finally:
            if self.pg_stopped():
                self.pg.start_server()
        self.assertIn("the store is unavailable, retrying", self.b.read_log())
        self.deliver(self.b, "after the wait")
        m = self.login(self.b)
        typ, data = m.select("INBOX")
        self.assertEqual(data, [b"1"])
        m.logout()

    def test_6_imap_sessions_across_a_database_restart(self):
        self.deliver(self.a, "before")
        m = self.login(self.a)
        m.select("INBOX")
        self.pg.stop_server()
        try:
            # While the database is down a command fails cleanly or ends the session:
            # a tagged NO or BAD, or BYE; never a hang (imaplib's timeout) or a crash.
            try:
                typ, data = m.fetch("1", "(FLAGS)")
                survived = True
            except imaplib.IMAP4.abort:
                survived = False
            except imaplib.IMAP4.error:
                survived = True
        finally:
            self.pg.start_server()
        if survived:
            # The same session works again once the database is back.
            deadline = time.time() + 30
            while True:
                try:
                    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
                    if typ == "OK":
                        break
                except imaplib.IMAP4.error:
                    pass
                self.assertLess(time.time(), deadline, "the session never recovered")
                time.sleep(0.5)
            self.assertIn(b"Subject: before", data[0][1])
            m.logout()
        # A new session works, and the node is still running (tearDown checks its exit).
        self.deliver(self.a, "after")
        m2 = self.login(self.a)
        typ, data = m2.select("INBOX")
        self.assertEqual(data, [b"2"])
        m2.logout()

    def pg_stopped(self):
        try:
            self.pg.psql("postgres", "SELECT 1")
            return False
        except RuntimeError:
            return True


class ClusterQueueTest(ClusterTest):
    """The outbound queue across nodes (runs ClusterTest's setup with a relay)."""

    def setUp(self):
        # Each DATA is answered after a second, so node A is caught in mid-send.
        self.mx = FakeMx(data_delay=lambda n: 1.0).__enter__()
        self.extra_config = QUEUE + f'[relay]\nhost = "127.0.0.1:{self.mx.port}"\ntls = "none"\n'
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.mx.__exit__(None, None, None)

    # ClusterTest's own cases are not run again here.
    test_1_both_nodes_see_one_store = None
    test_2_delivery_on_a_wakes_idle_on_b = None
    test_3_database_restart = None
    test_5_serve_waits_for_an_unreachable_database = None
    test_6_imap_sessions_across_a_database_restart = None

    def test_4_a_killed_node_leaves_no_message_unsent_or_sent_twice(self):
        count = 12
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=30) as s:
            s.login("alice@example.com", PASSWORD)
            for i in range(count):
                s.sendmail("alice@example.com", [f"r{i}@remote.example"],
                           f"From: alice@example.com\r\nTo: r{i}@remote.example\r\n"
                           f"Subject: queued {i}\r\nMessage-ID: <q{i}@example.com>\r\n\r\nbody {i}\r\n")
        # Node A (and B) start sending; A dies in the middle of a DATA.
        deadline = time.time() + 30
        while self.mx.bodies_seen < 2 and time.time() < deadline:
            time.sleep(0.05)
        self.assertGreaterEqual(self.mx.bodies_seen, 2, self.a.read_log()[-2000:])
        self.a.kill9()
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.pg.psql(self.db, "SELECT count(*) FROM queue") == [["0"]]:
                break
            time.sleep(0.5)
        self.assertEqual(self.pg.psql(self.db, "SELECT count(*) FROM queue"), [["0"]],
                         self.b.read_log()[-3000:])
        with self.mx.lock:
            ids = sorted(m.data.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()
                         for m in self.mx.messages)
        # Every message exactly once: none lost with node A, none sent twice.
        self.assertEqual(ids, sorted(f"q{i}@example.com" for i in range(count)))


if __name__ == "__main__":
    harness.main()
