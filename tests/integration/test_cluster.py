"""Two `letterhead serve` nodes on one real PostgreSQL (issue 7): the same accounts and
mail seen from both, a delivery on node A waking an IMAP IDLE client on node B within
a second (LISTEN/NOTIFY), SMTP answering 451 rather than a false 250 while the
database is down, and both nodes carrying on once it is back.

The outbound queue is worked by both nodes: with node A killed (-9) while it sends,
node B finishes A's work once A's leases run out, and a receiving MTA (fakemx.py)
counts every message exactly once.

The nodes share the data directory, as nodes share a blob filesystem in production
(docs/cluster.md); with [store] blobs = "database" (ClusterDatabaseBlobsTest) each has
its own, and a message delivered on one is fetched from the other byte for byte.
PostgreSQL is Debian's postgresql-15, started in a temporary
directory by pgserver.py."""

import hashlib
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
lease = 12
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
    # "database": blobs in PostgreSQL, and each node has a data directory of its own.
    blobs = "directory"

    def setUp(self):
        self.db = self.pg.create_database()
        store = f'[store]\nbackend = "postgres"\nurl = "{self.pg.conninfo(self.db)}"\nblobs = "{self.blobs}"\n'
        listen = ("smtp", "submission", "imaps")
        self.a = Server(store + self.extra_config, listen=listen)
        self.b = Server(store + self.extra_config, listen=listen)
        if self.blobs == "directory":
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


# Shared limits: connections per client address per minute, and messages to outside
# recipients per account per hour, counted by both nodes together.
LIMITS = """
[smtp]
allow_plaintext_auth_on_loopback = true
[limits]
smtp_connections_per_minute_per_ip = 4
rate_limit_loopback = true
submission_external_per_hour = 3
"""

# libfaketime puts a node's clock minutes behind the others' (and PostgreSQL's).
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def clock_behind(seconds):
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": f"-{seconds}", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            # ASan wants to be the first library loaded; libfaketime only wraps the clock.
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}


class ClusterLimitsTest(ClusterTest):
    """Rate limits shared by the nodes (issue 7 §3): one count for both."""

    extra_config = LIMITS

    test_1_both_nodes_see_one_store = None
    test_2_delivery_on_a_wakes_idle_on_b = None
    test_3_database_restart = None
    test_5_serve_waits_for_an_unreachable_database = None
    test_6_imap_sessions_across_a_database_restart = None

    def greeting(self, node, source):
        # Another loopback address than the harness's readiness probes (127.0.0.1),
        # so that only this test's connections count for it.
        with smtplib.SMTP(timeout=30, source_address=(source, 0)) as s:
            code, msg = s.connect("127.0.0.1", node.ports["smtp"])
            if code == 220:
                s.quit()
            return code

    def test_7_connection_rate_counts_both_nodes(self):
        codes = [self.greeting(node, "127.0.0.2") for node in (self.a, self.b, self.a, self.b)]
        self.assertEqual(codes, [220] * 4)
        # Each node has seen only two, but the address has made four: the fifth waits
        # (421 instead of the greeting, RFC 5321 §3.1), on either node.
        self.assertEqual(self.greeting(self.a, "127.0.0.2"), 421)
        self.assertEqual(self.greeting(self.b, "127.0.0.2"), 421)
        # Another address is not affected.
        self.assertEqual(self.greeting(self.b, "127.0.0.4"), 220)

    def send_outside(self, s, i):
        return s.sendmail("alice@example.com", [f"r{i}@remote.example"],
                          f"From: alice@example.com\r\nTo: r{i}@remote.example\r\n"
                          f"Subject: outside {i}\r\n\r\nbody\r\n")

    def test_8_submission_limit_counts_both_nodes(self):
        with smtplib.SMTP(timeout=30, source_address=("127.0.0.3", 0)) as s:
            s.connect("127.0.0.1", self.a.ports["submission"])
            s.login("alice@example.com", PASSWORD)
            self.send_outside(s, 1)
            self.send_outside(s, 2)
        with smtplib.SMTP(timeout=30, source_address=("127.0.0.3", 0)) as s:
            s.connect("127.0.0.1", self.b.ports["submission"])
            s.login("alice@example.com", PASSWORD)
            self.send_outside(s, 3)
            # The limit is 3 an hour for the account, whichever node took the others.
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
                self.send_outside(s, 4)
            code, msg = refused.exception.recipients["r4@remote.example"]
            self.assertEqual(code, 451, msg)
            self.assertIn(b"4.7.1", msg)
        rows = self.pg.psql(self.db, "SELECT events FROM rate_counters WHERE key LIKE 'submission:%'")
        self.assertEqual(sum(int(r[0]) for r in rows), 3)


class ClusterQueueTest(ClusterTest):
    """The outbound queue across nodes (runs ClusterTest's setup with a relay)."""

    def setUp(self):
        # Each DATA is answered after two seconds, so node A is caught in mid-send: it
        # is killed as soon as the second body arrives, before the first one's reply.
        # (A node killed after the remote 250 and before it recorded it would send that
        # message again: SMTP's own duplicate window, RFC 1047.) The lease is long
        # enough for a slow (sanitizer) build to finish a delivery inside it.
        self.mx = FakeMx(data_delay=lambda n: 2.0).__enter__()
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

    def submit_numbered(self, node, prefix, count):
        """count messages from alice to outside recipients, Message-IDs <prefix{i}@example.com>."""
        with smtplib.SMTP("127.0.0.1", node.ports["submission"], timeout=30) as s:
            s.login("alice@example.com", PASSWORD)
            for i in range(count):
                s.sendmail("alice@example.com", [f"r{i}@remote.example"],
                           f"From: alice@example.com\r\nTo: r{i}@remote.example\r\n"
                           f"Subject: {prefix} {i}\r\nMessage-ID: <{prefix}{i}@example.com>\r\n\r\nbody {i}\r\n")

    def wait_queue_empty(self, log_node):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.pg.psql(self.db, "SELECT count(*) FROM queue") == [["0"]]:
                break
            time.sleep(0.5)
        self.assertEqual(self.pg.psql(self.db, "SELECT count(*) FROM queue"), [["0"]],
                         log_node.read_log()[-3000:])

    def received_ids(self):
        """The Message-IDs the receiving MTA accepted, sorted, duplicates kept."""
        with self.mx.lock:
            return sorted(m.data.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()
                          for m in self.mx.messages)

    def test_4_a_killed_node_leaves_no_message_unsent_or_sent_twice(self):
        count = 12
        self.submit_numbered(self.a, "q", count)
        # Node A (and B) start sending; A dies in the middle of a DATA.
        deadline = time.time() + 30
        while self.mx.bodies_seen < 2 and time.time() < deadline:
            time.sleep(0.05)
        self.assertGreaterEqual(self.mx.bodies_seen, 2, self.a.read_log()[-2000:])
        self.a.kill9()
        self.wait_queue_empty(self.b)
        # Every message exactly once: none lost with node A, none sent twice.
        self.assertEqual(self.received_ids(), sorted(f"q{i}@example.com" for i in range(count)))

    @unittest.skipIf(harness.built_with_asan(),
                     "libfaketime's allocations clash with ASan's allocator (a double free at start)")
    def test_9_a_node_whose_clock_is_behind_keeps_its_leases(self):
        # Node A's clock is five minutes behind. Leases on its own clock would look
        # expired to node B at once, and B would send A's messages a second time.
        self.a.stop()
        self.a.env = clock_behind(300)
        self.a.start()
        count = 8
        self.submit_numbered(self.a, "s", count)
        self.wait_queue_empty(self.a)
        time.sleep(3)  # a duplicate still in its 2 s DATA would arrive now
        self.assertEqual(self.received_ids(), sorted(f"s{i}@example.com" for i in range(count)))
        # Node A did send (it took the entries it queued), so its leases were tested.
        self.assertIn("done after", self.a.read_log())


class ClusterDatabaseBlobsTest(ClusterTest):
    """[store] blobs = "database": the nodes share no directory at all (issue 7 §1)."""

    blobs = "database"

    test_2_delivery_on_a_wakes_idle_on_b = None
    test_3_database_restart = None
    test_5_serve_waits_for_an_unreachable_database = None
    test_6_imap_sessions_across_a_database_restart = None

    def fetch_all(self, node):
        m = self.login(node)
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("1:*", "(BODY.PEEK[])")
        m.logout()
        return [part[1] for part in data if isinstance(part, tuple)]

    def test_10_bytes_delivered_on_a_are_fetched_from_b(self):
        self.assertNotEqual(self.a.data, self.b.data)
        # Large enough to be stored out of line (TOAST) and to span many TLS records.
        body = "".join(f"line {i:06d} {hashlib.sha256(str(i).encode()).hexdigest()}\r\n" for i in range(4000))
        message = (f"From: partner@remote.example\r\nTo: alice@example.com\r\nSubject: big\r\n\r\n"
                   f"{body}").encode()
        with smtplib.SMTP("127.0.0.1", self.a.ports["smtp"], timeout=30) as s:
            s.sendmail("partner@remote.example", ["alice@example.com"], message)
        self.deliver(self.b, "small via B")
        on_a = self.fetch_all(self.a)
        on_b = self.fetch_all(self.b)
        self.assertEqual(len(on_b), 2)
        self.assertEqual(on_a, on_b, "the identical bytes from either node")
        self.assertTrue(on_b[0].endswith(message.split(b"\r\n\r\n", 1)[1]))
        # The bytes are rows, checked by PostgreSQL's own sha256(); no node wrote a file.
        rows = self.pg.psql(self.db, "SELECT hash, encode(sha256(data), 'hex') = hash FROM blob_data ORDER BY hash")
        self.assertEqual(sorted(r[0] for r in rows), sorted(hashlib.sha256(b).hexdigest() for b in on_b))
        self.assertTrue(all(r[1] == "t" for r in rows), rows)
        for node in (self.a, self.b):
            root = os.path.join(node.data, "blobs")
            self.assertEqual([n for _, _, names in os.walk(root) for n in names], [])
        # Expunged on B, the last reference takes the bytes along, for A as well.
        m = self.login(self.b)
        m.select("INBOX")
        m.store("1:*", "+FLAGS", r"(\Deleted)")
        m.expunge()
        m.logout()
        self.assertEqual(self.pg.psql(self.db, "SELECT count(*) FROM blob_data"), [["0"]])
        m = self.login(self.a)
        self.assertEqual(m.select("INBOX")[1], [b"0"])
        m.logout()


if __name__ == "__main__":
    harness.main()
