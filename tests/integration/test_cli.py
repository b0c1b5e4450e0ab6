"""The letterhead command line: quickstart, domains, users, aliases, and clear
errors for broken configs and unwritable data directories."""

import os
import re
import shutil
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import BIN, PASSWORD, Server  # noqa: E402


def run(*args, cwd=None, input=None, env=None):
    return subprocess.run([BIN, *args], capture_output=True, cwd=cwd, input=input, timeout=120, env=env)


class QuickstartTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="letterhead-qs-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_quickstart_sets_everything_up(self):
        r = run("quickstart", "admin@example.com", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertIn("example.com.\t\tMX\t10 mail.example.com.", out)
        self.assertIn('"v=spf1 mx -all"', out)
        self.assertIn("_dmarc.example.com.", out)
        self.assertIn("_submissions._tcp.example.com.\tSRV\t0 1 465 mail.example.com.", out)
        password = [l for l in out.splitlines() if "password / 密码" in l][0].split()[3]
        self.assertTrue(os.path.exists(os.path.join(self.dir, "letterhead.toml")))
        self.assertTrue(os.path.exists(os.path.join(self.dir, "data", "tls", "selfsigned.crt")))
        key = os.path.join(self.dir, "data", "tls", "selfsigned.key")
        self.assertEqual(os.stat(key).st_mode & 0o077, 0)
        # The config is found in the current directory; the admin exists.
        users = run("user", "list", cwd=self.dir)
        self.assertEqual(users.stdout.decode().split("\t")[0], "admin@example.com")
        # And it refuses to overwrite.
        again = run("quickstart", "admin@example.com", cwd=self.dir)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("exists already", again.stderr.decode())
        # The printed password works: check through $LETTERHEAD_CONFIG and the server.
        self.assertGreaterEqual(len(password), 20)

    def test_config_from_environment(self):
        cfg = os.path.join(self.dir, "elsewhere.toml")
        env = dict(os.environ, LETTERHEAD_CONFIG=cfg)
        r = run("quickstart", "root@example.org", "--password-stdin", input=b"A-long-enough-pw-9\n", env=env,
                cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("A-long-enough-pw-9", r.stdout.decode())
        r = run("domain", "list", env=env, cwd="/")
        self.assertEqual(r.stdout.decode().strip(), "example.org")


class AdminCommandsTest(unittest.TestCase):

    def setUp(self):
        self.server = Server()

    def tearDown(self):
        self.server.cleanup()

    def test_domain_user_alias_lifecycle(self):
        s = self.server
        s.cli("domain", "add", "Example.COM")
        self.assertEqual(s.cli("domain", "list").stdout.decode().strip(), "example.com")
        r = s.cli("domain", "add", "example.com", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1)
        r = s.cli("user", "add", "carol@nowhere.example", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("domain add", r.stderr.decode())
        s.add_user("carol@example.com", name="Carol 张")
        self.assertIn("carol@example.com\tCarol 张", s.cli("user", "list").stdout.decode())
        mailboxes = s.cli("mailbox", "list", "carol@example.com").stdout.decode()
        for name, role in (("INBOX", ""), ("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"),
                           ("Junk", "\\Junk"), ("Archive", "\\Archive")):
            self.assertIn(f"{name}\t{role}\t", mailboxes)
        r = s.cli("user", "add", "dave@example.com", "--password-stdin", input=b"short\n", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("password too short", r.stderr.decode())
        s.cli("alias", "add", "team@example.com", "carol@example.com", "ext@partner.example")
        self.assertEqual(s.cli("alias", "list").stdout.decode().strip(),
                         "team@example.com\tcarol@example.com ext@partner.example")
        r = s.cli("domain", "remove", "example.com", check=False)
        self.assertNotEqual(r.returncode, 0)
        s.cli("alias", "remove", "team@example.com")
        s.cli("user", "passwd", "carol@example.com", input=b"Another-Good-Pass-1\n")
        s.cli("user", "remove", "carol@example.com")
        self.assertEqual(s.cli("user", "list").stdout.decode(), "")
        s.cli("domain", "remove", "example.com")
        self.assertEqual(s.cli("domain", "list").stdout.decode(), "")

    def test_bad_config_names_the_key(self):
        with open(self.server.config, "a") as f:
            f.write("\n[limits]\nmesage_size = 10\n")
        r = self.server.cli("serve", check=False)
        self.assertNotEqual(r.returncode, 0)
        err = r.stderr.decode().strip()
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("unknown key 'limits.mesage_size'", err)

    def test_unwritable_data_dir_names_the_path(self):
        if os.geteuid() == 0:
            # root writes anywhere: use a path under a regular file instead.
            blocker = os.path.join(self.server.dir, "blocker")
            open(blocker, "w").close()
            bad = os.path.join(blocker, "data")
        else:
            bad = "/proc/letterhead-data"
        with open(self.server.config, "w") as f:
            f.write(f'data_dir = "{bad}"\n[listen]\nsmtp = "127.0.0.1:{harness.free_port()}"\n')
        r = self.server.cli("serve", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(bad, r.stderr.decode())

    def test_missing_config(self):
        r = run("--config", "/nonexistent/x.toml", "domain", "list")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent/x.toml", r.stderr.decode())
        self.assertIn("quickstart", r.stderr.decode())

    def test_port_in_use(self):
        import socket
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with open(self.server.config, "w") as f:
            f.write(f'data_dir = "{self.server.data}"\n[listen]\nsmtp = "127.0.0.1:{port}"\n')
        r = self.server.cli("serve", check=False)
        busy.close()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"127.0.0.1:{port}", r.stderr.decode())


def audit_actions(server):
    """The audit log's (actor, action, detail) rows, oldest first, read the way an
    admin would with the sqlite3 tool."""
    db = sqlite3.connect(f"file:{os.path.join(server.data, 'letterhead.db')}?mode=ro", uri=True)
    try:
        return db.execute("SELECT actor, action, detail FROM audit_log ORDER BY id").fetchall()
    finally:
        db.close()


class QuotaAndQueueCommandsTest(harness.ServerTest):
    """`user quota` and `queue hold|release|retry|remove` on mail that really
    arrived through the server. The server is stopped before the commands run, so
    no delivery attempt changes the entry under the test."""

    extra_config = "[smtp]\nallow_plaintext_auth_on_loopback = true\n"

    def send(self, recipients, body):
        msg = (b"From: alice@example.com\r\nTo: someone\r\nSubject: cli test\r\n\r\n" + body + b"\r\n")
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=30) as s:
            s.ehlo("t.example")
            s.login("alice@example.com", PASSWORD)
            self.assertEqual(s.sendmail("alice@example.com", recipients, msg), {})

    def test_user_quota(self):
        self.send(["bob@example.com"], b"x" * 3000)
        self.send(["bob@example.com"], b"y" * 100)
        self.assertEqual(self.server.stop(), 0)
        s = self.server
        sizes = [row["size"] for row in s.messages("bob@example.com")]
        self.assertEqual(len(sizes), 2)

        out = s.cli("user", "quota", "Bob@Example.com").stdout.decode().strip()
        self.assertEqual(out.split("\t")[0], "bob@example.com")
        self.assertIn(f"used {sum(sizes)} (", out)
        self.assertIn("\t2 messages\t", out)
        self.assertTrue(out.endswith("quota unlimited"), out)

        for size, expected in (("500M", 500 * 2**20), ("2G", 2 * 2**30), ("1536k", 1536 * 1024),
                               ("10MiB", 10 * 2**20), ("4096", 4096)):
            r = s.cli("user", "quota", "bob@example.com", size)
            self.assertIn("quota of bob@example.com set to", r.stdout.decode())
            out = s.cli("user", "quota", "bob@example.com").stdout.decode().strip()
            self.assertIn(f"quota {expected} (", out)
        self.assertIn("set to unlimited", s.cli("user", "quota", "bob@example.com", "0").stdout.decode())
        self.assertTrue(s.cli("user", "quota", "bob@example.com").stdout.decode().strip().endswith("unlimited"))
        self.assertIn(("cli", "user.quota", f"bob@example.com {500 * 2**20}"), audit_actions(s))
        self.assertIn(("cli", "user.quota", "bob@example.com 0"), audit_actions(s))
        # Alice's usage is her own (she sent, she received nothing).
        self.assertIn("used 0 (0 bytes)\t0 messages", s.cli("user", "quota", "alice@example.com").stdout.decode())

        for bad in ("12X", "M", "1.5G", "99999999999T", "5GB2"):
            r = s.cli("user", "quota", "bob@example.com", bad, check=False)
            self.assertEqual(r.returncode, 1, bad)
            err = r.stderr.decode().strip()
            self.assertEqual(len(err.splitlines()), 1, err)
            self.assertIn("is not a size", err)
        self.assertNotEqual(s.cli("user", "quota", "bob@example.com", "-5", check=False).returncode, 0)
        r = s.cli("user", "quota", "nobody@example.com", "1G", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("nobody@example.com", r.stderr.decode())
        s.start()  # tearDown checks a clean exit of a running server

    def test_queue_hold_release_retry_remove(self):
        self.send(["partner@customer.example"], b"first")
        self.send(["other@customer.example"], b"second")
        self.assertEqual(self.server.stop(), 0)
        s = self.server
        ids = [line.split("\t")[0] for line in s.cli("queue", "list").stdout.decode().splitlines()]
        self.assertEqual(len(ids), 2, ids)
        qid, other = ids

        def show(entry):
            return s.cli("queue", "show", entry).stdout.decode()

        r = s.cli("queue", "hold", qid)
        self.assertEqual(r.stdout.decode().strip(), f"queue entry {qid} held")
        self.assertIn("held: yes", show(qid))
        self.assertIn("held: no", show(other))
        self.assertRegex(s.cli("queue", "list").stdout.decode(), rf"(?m)^{qid}\t.*\theld$")

        s.cli("queue", "release", qid)
        self.assertIn("held: no", show(qid))

        s.cli("queue", "hold", qid)
        before = int(time.time())
        self.assertIn("scheduled for retry", s.cli("queue", "retry", qid).stdout.decode())
        text = show(qid)
        self.assertIn("held: no", text, "retry releases")
        next_attempt = int(re.search(r"next attempt: (\d+)", text).group(1))
        self.assertGreaterEqual(next_attempt, before)
        self.assertLessEqual(next_attempt, int(time.time()))

        self.assertIn("removed", s.cli("queue", "remove", qid).stdout.decode())
        remaining = s.cli("queue", "list").stdout.decode().splitlines()
        self.assertEqual([line.split("\t")[0] for line in remaining], [other])
        for action in ("hold", "release", "retry", "remove"):
            r = s.cli("queue", action, qid, check=False)
            self.assertEqual(r.returncode, 1, action)
            self.assertEqual(r.stderr.decode().strip(), f"letterhead: no queue entry {qid}")
        r = s.cli("queue", "hold", "not-a-number", check=False)
        self.assertNotEqual(r.returncode, 0)

        actions = [(a, d) for actor, a, d in audit_actions(s) if a.startswith("queue.")]
        self.assertEqual(actions, [("queue.hold", qid), ("queue.release", qid), ("queue.hold", qid),
                                   ("queue.retry", qid), ("queue.remove", qid)])
        # The other entry is untouched, and the server starts again on this data.
        self.assertIn("held: no", show(other))
        s.start()  # tearDown checks a clean exit of a running server


if __name__ == "__main__":
    harness.main()
