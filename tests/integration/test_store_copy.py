"""`letterhead store copy` (issue 7): a whole installation from SQLite to PostgreSQL and
back, checked over IMAP by the real server on each copy (the same messages, flags,
UIDs and UIDVALIDITY, and a new delivery getting the next UID, which also shows that
the id counters moved past the copied ids), resumed after a copy that failed mid-way
and after one killed with SIGKILL, a difference found by the verification (counts and
hashes), and copies refused into a foreign target or across schema versions.

PostgreSQL is Debian's postgresql-15 (pgserver.py); SQLite files are read with
Python's sqlite3 module; everything else goes through the real binary."""

import fcntl
import imaplib
import os
import re
import smtplib
import sqlite3
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import BIN, PASSWORD, Server  # noqa: E402
from pgserver import PgServer  # noqa: E402

LISTEN = ("smtp", "submission", "imaps")


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def copy(source, target, *extra):
    r = subprocess.run([BIN, "store", "copy", "--from", source.config, "--to", target.config, *extra],
                       capture_output=True, timeout=300)
    for sanitizer in (b"ERROR: AddressSanitizer", b"runtime error:"):
        assert sanitizer not in r.stderr, r.stderr.decode(errors="replace")
    return r


class StoreCopyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = PgServer()
        cls.pg.start()

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            code = s.stop()
            log = s.read_log() if os.path.exists(s.log_path) else ""
            self.assertNotIn("ERROR: AddressSanitizer", log)
            self.assertNotIn("runtime error:", log)
            self.assertIn(code, (0, None), log[-3000:])
            s.cleanup()

    def sqlite_server(self):
        s = Server(listen=LISTEN)
        self.servers.append(s)
        return s

    def pg_server(self, blobs="directory"):
        self.db = self.pg.create_database()
        s = Server(f'[store]\nbackend = "postgres"\nurl = "{self.pg.conninfo(self.db)}"\nblobs = "{blobs}"\n',
                   listen=LISTEN)
        self.servers.append(s)
        return s

    def assert_copied(self, source, target, *extra):
        r = copy(source, target, *extra)
        out, err = r.stdout.decode(), r.stderr.decode()
        self.assertEqual(r.returncode, 0, out + err)
        self.assertNotIn("MISMATCH", out)
        self.assertIn("verified: OK", out)
        self.assertRegex(out, r"\nmessages\s+\d+\s+\d+\s+OK\n")
        self.assertIn("letterhead: store copy: messages:", err)
        return out, err

    # --- the installation, over the network ---
    def deliver(self, server, subject, to="alice@example.com"):
        with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=30) as s:
            s.sendmail("partner@remote.example", [to],
                       f"From: partner@remote.example\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n"
                       f"body of {subject}\r\n")

    def imap(self, server, user="alice@example.com"):
        m = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"], ssl_context=insecure(), timeout=30)
        m.login(user, PASSWORD)
        return m

    def mailbox_state(self, m, mailbox):
        typ, data = m.status(mailbox, "(UIDVALIDITY UIDNEXT MESSAGES)")
        self.assertEqual(typ, "OK")
        status = dict(re.findall(rb"(UIDVALIDITY|UIDNEXT|MESSAGES) (\d+)", data[0]))
        m.select(mailbox, readonly=True)
        typ, data = m.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        rows = []
        for part in data:
            if isinstance(part, tuple):
                uid = int(re.search(rb"UID (\d+)", part[0]).group(1))
                flags = sorted(re.search(rb"FLAGS \(([^)]*)\)", part[0]).group(1).split())
                rows.append((uid, flags, part[1].strip()))
        return {"status": status, "rows": sorted(rows)}

    def state(self, server):
        """What clients see: alice's and bob's mailboxes with UIDs and flags."""
        out = {}
        for user in ("alice@example.com", "bob@example.com"):
            m = self.imap(server, user)
            typ, names = m.list()
            for line in names:
                name = line.rsplit(b' "/" ', 1)[-1].strip().strip(b'"').decode()
                out[(user, name)] = self.mailbox_state(m, name)
            m.logout()
        return out

    def admin_state(self, server):
        """What the CLI shows (while no server runs, so that the queue stays as it
        was): the queue, DKIM keys, departments, groups and users."""
        return {args: server.cli(*args).stdout
                for args in (("queue", "list"), ("queue", "show", "1"), ("dkim", "list"), ("department", "list"),
                             ("group", "list"), ("user", "list", "example.com"))}

    def populate(self, a):
        a.cli("domain", "add", "example.com")
        a.add_user("alice@example.com")
        a.add_user("bob@example.com")
        self.assertTrue(a.cli("dkim", "list").stdout.strip())  # made by `domain add`
        a.cli("department", "add", "Sales")
        a.cli("department", "add", "East", "--parent", "Sales")
        # A row naming a later row of its own table: Sales (id 1) under World (id 3).
        a.cli("department", "add", "World")
        a.cli("department", "move", "Sales", "World")
        a.cli("group", "add", "team@example.com")
        a.cli("group", "add-member", "team@example.com", "alice@example.com", "bob@example.com")
        a.start()
        for i in range(1, 5):
            self.deliver(a, f"message {i}")
        self.deliver(a, "for the team", to="team@example.com")
        m = self.imap(a)
        m.create("Projects")
        m.append("Projects", r"(\Seen $Important)", None,
                 b"From: alice@example.com\r\nSubject: appended\r\n\r\nnotes\r\n")
        m.append("Projects", None, None, b"From: alice@example.com\r\nSubject: scratch\r\n\r\nx\r\n")
        m.select("INBOX")
        m.uid("STORE", "2", "+FLAGS", r"(\Flagged $Label1)")
        m.uid("STORE", "3", "+FLAGS", r"(\Seen)")
        m.uid("STORE", "5", "+FLAGS", r"(\Deleted)")
        m.expunge()
        # The last message row goes: its id is then above every row's, and the copy
        # must still never hand it out again.
        m.select("Projects")
        m.uid("STORE", "2", "+FLAGS", r"(\Deleted)")
        m.expunge()
        m.logout()
        # A queue entry: mail to a remote domain, which stays queued (no DNS in tests).
        with smtplib.SMTP("127.0.0.1", a.ports["submission"], timeout=30) as s:
            s.starttls(context=insecure())
            s.login("alice@example.com", PASSWORD)
            s.sendmail("alice@example.com", ["someone@remote.example"],
                       b"From: alice@example.com\r\nSubject: out\r\n\r\nhello\r\n")
        self.assertTrue(a.cli("queue", "list").stdout.strip())

    def check_next_uid(self, server, before):
        inbox = before[("alice@example.com", "INBOX")]
        uidnext = int(inbox["status"][b"UIDNEXT"])
        self.deliver(server, "after the copy")
        m = self.imap(server)
        after = self.mailbox_state(m, "INBOX")
        m.logout()
        self.assertEqual(after["status"][b"UIDVALIDITY"], inbox["status"][b"UIDVALIDITY"])
        self.assertEqual(after["rows"][-1][0], uidnext)
        self.assertEqual(after["rows"][-1][2], b"Subject: after the copy")
        # A new mailbox still gets a UIDVALIDITY of its own (the counter was copied).
        m = self.imap(server)
        m.create(f"New{uidnext}")
        new = self.mailbox_state(m, f"New{uidnext}")
        m.logout()
        self.assertNotIn(new["status"][b"UIDVALIDITY"], [v["status"][b"UIDVALIDITY"] for v in before.values()])

    def test_1_sqlite_to_postgres_and_back(self):
        a = self.sqlite_server()
        self.populate(a)
        before = self.state(a)
        self.assertEqual(len(before[("alice@example.com", "INBOX")]["rows"]), 4)
        self.assertEqual(len(before[("bob@example.com", "INBOX")]["rows"]), 1)
        a.stop()
        admin = self.admin_state(a)
        self.assertIn(b"someone@remote.example", admin[("queue", "show", "1")])
        self.assertIn(b"East", admin[("department", "list")])
        with sqlite3.connect(os.path.join(a.data, "letterhead.db")) as db:
            sqlite_seq = dict(db.execute("SELECT name, seq FROM sqlite_sequence"))
            max_message = db.execute("SELECT max(id) FROM messages").fetchone()[0]
            forward = db.execute("SELECT count(*) FROM departments WHERE parent_id > id").fetchone()[0]
        self.assertEqual(forward, 1)
        self.assertGreater(sqlite_seq["messages"], max_message)

        b = self.pg_server()
        out, err = self.assert_copied(a, b)
        self.assertRegex(out, r"blobs: [1-9]\d* copied, 0 present")
        # The identity sequence carries the source's counter, not just max(id).
        seq = self.pg.psql(self.db, "SELECT last_value FROM pg_sequences WHERE sequencename = "
                                    "'messages_id_seq'")
        self.assertEqual(int(seq[0][0]), sqlite_seq["messages"])
        self.assertEqual(self.pg.psql(self.db, "SELECT count(*) FROM store_counters WHERE name = 'copy_source'"),
                         [["0"]])
        self.assertEqual(self.admin_state(b), admin)
        b.start()
        self.assertEqual(self.state(b), before)
        self.check_next_uid(b, before)
        self.assertIn(b"store.copy", b.cli("audit", "--action", "store.").stdout)
        middle = self.state(b)
        b.stop()

        c = self.sqlite_server()
        self.assert_copied(b, c)
        self.assertEqual(self.admin_state(c)[("dkim", "list")], admin[("dkim", "list")])
        with sqlite3.connect(os.path.join(c.data, "letterhead.db")) as db:
            seq = dict(db.execute("SELECT name, seq FROM sqlite_sequence"))
        self.assertGreaterEqual(seq["messages"], sqlite_seq["messages"] + 1)
        c.start()
        self.assertEqual(self.state(c), middle)
        self.check_next_uid(c, middle)

        # A second run into a finished copy is refused: it is an installation now.
        c.stop()
        r = copy(b, c)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"not empty", r.stderr)

    def blob_files(self, server):
        root = os.path.join(server.data, "blobs")
        return sorted(name for _, _, names in os.walk(root) for name in names if not name.startswith("."))

    def test_6_sqlite_to_postgres_with_blobs_in_the_database_and_back(self):
        a = self.sqlite_server()
        self.populate(a)
        before = self.state(a)
        a.stop()
        files = self.blob_files(a)
        self.assertGreater(len(files), 3)

        b = self.pg_server(blobs="database")
        # A first run fails at the messages table, after the blobs: the rerun finds
        # them in the database, checks their hashes and sends none again.
        b.cli("domain", "list")
        self.pg.psql(self.db, """
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse();""")
        r = copy(a, b)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"refused for the test", r.stderr)
        self.assertEqual(self.pg.psql(self.db, "SELECT count(*) FROM blob_data"), [[str(len(files))]])
        self.pg.psql(self.db, "DROP TRIGGER refuse ON messages")
        out, err = self.assert_copied(a, b)
        self.assertIn(f"blobs: 0 copied, {len(files)} present", out)
        self.assertEqual(self.blob_files(b), [], "the target keeps its blobs in the database")
        # Checked by PostgreSQL's own sha256(): every row's bytes match their name, and
        # they are exactly the source's files.
        rows = self.pg.psql(self.db, "SELECT hash, encode(sha256(data), 'hex') = hash, size = length(data)"
                                     " FROM blob_data ORDER BY hash")
        self.assertEqual([r[0] for r in rows], files)
        self.assertTrue(all(r[1:] == ["t", "t"] for r in rows), rows)
        self.assertEqual(self.pg.psql(self.db, "SELECT count(*) FROM blobs b LEFT JOIN blob_data d USING (hash)"
                                               " WHERE d.hash IS NULL"), [["0"]])
        b.start()
        self.assertEqual(self.state(b), before)
        self.check_next_uid(b, before)
        m = self.imap(b)
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("1", "(BODY.PEEK[])")
        m.logout()
        self.assertIn(b"body of message 1", data[0][1])
        middle = self.state(b)
        b.stop()
        self.assertEqual(self.blob_files(b), [], "new mail went to the database too")
        in_database = [r[0] for r in self.pg.psql(self.db, "SELECT hash FROM blob_data ORDER BY hash")]
        self.assertEqual(len(in_database), len(files) + 1)

        # And back to files: a copy from the database into a blob directory.
        c = self.sqlite_server()
        out, err = self.assert_copied(b, c)
        self.assertRegex(out, r"blobs: [1-9]\d* copied, 0 present")
        self.assertEqual(self.blob_files(c), in_database)
        c.start()
        self.assertEqual(self.state(c), middle)

    def big_source(self, rows=20000):
        a = self.sqlite_server()
        a.cli("domain", "add", "example.com")
        a.add_user("alice@example.com")
        a.add_user("bob@example.com")
        a.start()
        for i in range(3):
            self.deliver(a, f"message {i}")
        a.stop()
        with sqlite3.connect(os.path.join(a.data, "letterhead.db")) as db:
            db.executemany("INSERT INTO audit_log (time, actor, action, detail) VALUES (?, 'test', 'bulk', ?)",
                           [(1764403200 + i, f"row {i} \u00e9\u4e2d") for i in range(rows)])
        return a

    def test_2_resume_after_failure(self):
        a = self.big_source()
        b = self.pg_server()
        b.cli("domain", "list")  # creates the schema, so that a trigger can go in
        self.pg.psql(self.db, """
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON audit_log FOR EACH ROW
              WHEN (NEW.id = 12345) EXECUTE FUNCTION refuse();""")
        r = copy(a, b)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"refused for the test", r.stderr)
        # Every batch before the failing one is there, none after it.
        copied = int(self.pg.psql(self.db, "SELECT count(*) FROM audit_log")[0][0])
        self.assertEqual(copied, 12000)
        self.pg.psql(self.db, "DROP TRIGGER refuse ON audit_log")
        out, err = self.assert_copied(a, b)
        self.assertRegex(err, r"audit_log: resuming after 12000 of 200\d\d rows")
        self.assertRegex(out, r"\naudit_log\s+(200\d\d)\s+\1\s+OK\n")
        b.start()
        m = self.imap(b)
        typ, data = m.select("INBOX")
        self.assertEqual(data, [b"3"])
        m.logout()

    def test_3_resume_after_kill(self):
        a = self.big_source()
        b = self.sqlite_server()
        proc = subprocess.Popen([BIN, "store", "copy", "--from", a.config, "--to", b.config, "--batch", "100"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.startswith(b"letterhead: store copy: audit_log: 1000/"):
                proc.kill()
                break
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        self.assertEqual(proc.returncode, -9, b"".join(seen))
        with sqlite3.connect(os.path.join(b.data, "letterhead.db")) as db:
            partial = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
            marker = db.execute("SELECT count(*) FROM store_counters WHERE name = 'copy_source'").fetchone()[0]
        self.assertLess(partial, 20000)
        self.assertEqual(marker, 1)
        out, err = self.assert_copied(a, b)
        self.assertRegex(out, r"\naudit_log\s+(200\d\d)\s+\1\s+OK\n")
        self.assertIn("audit_log: resuming after", err)
        b.start()
        m = self.imap(b)
        self.assertEqual(m.select("INBOX")[1], [b"3"])
        m.logout()

    def test_4_verification_finds_a_difference(self):
        a = self.big_source(rows=50)
        b = self.pg_server()
        b.cli("domain", "list")
        # The target changes one value on its way in: the counts match, the hashes not.
        self.pg.psql(self.db, """
            CREATE FUNCTION alter_row() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.detail := NEW.detail || '!'; RETURN NEW; END $$;
            CREATE TRIGGER alter_row BEFORE INSERT ON audit_log FOR EACH ROW
              WHEN (NEW.id = 20) EXECUTE FUNCTION alter_row();""")
        r = copy(a, b)
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 1, out + r.stderr.decode())
        self.assertRegex(out, r"\naudit_log\s+(\d+)\s+\1\s+MISMATCH\n")
        self.assertRegex(out, r"\nmessages\s+3\s+3\s+OK\n")
        self.assertNotIn("verified: OK", out)
        self.assertIn(b"verification failed", r.stderr)
        self.assertEqual(self.pg.psql(self.db, "SELECT count(*) FROM store_counters WHERE name = 'copy_source'"),
                         [["1"]])

    def test_5_refusals(self):
        a = self.sqlite_server()
        a.cli("domain", "add", "example.com")
        a.add_user("alice@example.com")
        # A target that holds data of its own.
        b = self.sqlite_server()
        b.cli("domain", "add", "other.example")
        r = copy(a, b)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"the target is not empty", r.stderr)
        self.assertEqual(b.cli("domain", "list").stdout.split(), [b"other.example"])
        # A target left by an unfinished copy from another source.
        c = self.pg_server()
        c.cli("domain", "list")
        self.pg.psql(self.db, "INSERT INTO store_counters (name, value) VALUES ('copy_source', 7)")
        r = copy(a, c)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"unfinished copy from another source", r.stderr)
        # The same store on both sides.
        r = copy(a, a)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"the same store", r.stderr)
        # A source that a running server still writes to, and no server starting on a
        # data directory while a copy holds it.
        e = self.sqlite_server()
        a.start()
        r = copy(a, e)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"letterhead serve is running on", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(e.data, "letterhead.db")), "nothing was copied")
        a.stop()
        with open(os.path.join(a.data, "serve.lock"), "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # as `store copy` holds it
            proc = subprocess.run([BIN, "--config", a.config, "serve"], capture_output=True, timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(b"a store copy is running on", proc.stderr)
        # A source one schema version behind (as an older program left it).
        with sqlite3.connect(os.path.join(a.data, "letterhead.db")) as db:
            db.execute("DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)")
        d = self.pg_server()
        r = copy(a, d)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, rb"the source is at schema version (\d+) and the target at (\d+)")
        self.assertEqual(self.pg.psql(self.db, "SELECT count(*) FROM domains"), [["0"]])


if __name__ == "__main__":
    harness.main()
