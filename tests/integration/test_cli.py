"""The letterhead command line: quickstart, domains, users, aliases, and clear
errors for broken configs and unwritable data directories."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import BIN, Server  # noqa: E402


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


if __name__ == "__main__":
    harness.main()
