"""Offboarding is one store transaction (issue 6: "nothing half-applied"): the real
binary's `letterhead user offboard ... --transfer-mail` is killed with SIGKILL at
several moments while it moves a mailbox of thousands of messages, and each time
IMAP (Python's imaplib, not our client) must show the state fully before (the
leaver logs in and has every message, the successor has nothing of it) or fully
after (the leaver cannot log in, the successor has every message under
Offboarded/<address>/). A complete offboarding is then restored and everything
comes back."""

import imaplib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import BIN, PASSWORD  # noqa: E402

MESSAGES = int(os.environ.get("OFFBOARD_MESSAGES", "3000"))
CONFIG = ("[smtp]\nallow_plaintext_auth_on_loopback = true\n[security]\nmax_failures_per_ip = 100000\nmax_failures_per_account = 100000\n"
          "max_delay_ms = 0\n")
FOLDER = "Offboarded/alice@example.com/INBOX"


def fill(port, user, count, connections=4, batch=100):
    """Appends `count` small messages to INBOX with MULTIAPPEND (RFC 3502) and
    LITERAL+ (RFC 7888) over a few raw connections at once."""
    errors = []

    def worker(first, n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=120)
            f = s.makefile("rb")
            f.readline()
            s.sendall(f'a LOGIN "{user}" "{PASSWORD}"\r\n'.encode())
            while True:
                line = f.readline()
                if line.startswith(b"a "):
                    if not line.startswith(b"a OK"):
                        raise OSError(line.decode(errors="replace"))
                    break
            done = 0
            while done < n:
                k = min(batch, n - done)
                parts = []
                for i in range(first + done, first + done + k):
                    msg = (f"From: c{i}@other.example\r\nTo: {user}\r\nSubject: order {i}\r\n"
                           f"Message-ID: <{i}@other.example>\r\n\r\nline {i}\r\n").encode()
                    parts.append(b" {%d+}\r\n" % len(msg) + msg)
                s.sendall(b"b APPEND INBOX" + b"".join(parts) + b"\r\n")
                while True:
                    line = f.readline()
                    if not line:
                        raise OSError("connection closed")
                    if line.startswith(b"b "):
                        if not line.startswith(b"b OK"):
                            raise OSError(line.decode(errors="replace"))
                        break
                done += k
            s.close()
        except Exception as e:  # noqa: BLE001 - reported by the caller
            errors.append(e)

    share = count // connections
    threads = []
    for c in range(connections):
        n = share if c < connections - 1 else count - share * (connections - 1)
        t = threading.Thread(target=worker, args=(c * share, n))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


class OffboardAtomicTest(harness.ServerTest):
    extra_config = CONFIG
    listen = ("smtp", "imap")

    def login(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"], timeout=60)
        try:
            m.login(user, PASSWORD)
            return m
        except imaplib.IMAP4.error:
            m.shutdown()
            return None

    def count(self, session, mailbox):
        typ, data = session.status(f'"{mailbox}"', "(MESSAGES)")
        if typ != "OK":
            return None
        return int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))

    def state(self):
        """'before' or 'after', asserting that everything agrees with it."""
        bob = self.login("bob@example.com")
        self.assertIsNotNone(bob)
        moved = self.count(bob, FOLDER)
        alice = self.login("alice@example.com")
        if alice is not None:
            # Before: every message still the leaver's, nothing at the successor,
            # the leaver's mailboxes not shared.
            self.assertEqual(self.count(alice, "INBOX"), MESSAGES)
            alice.logout()
            self.assertIsNone(moved, "the successor has the folder while the leaver can log in")
            typ, data = bob.list('""', '"Offboarded*"')
            self.assertEqual([d for d in data if d], [])
            bob.logout()
            return "before"
        # After: the leaver cannot log in, the successor has every message.
        self.assertEqual(moved, MESSAGES, "the leaver is disabled but the mail did not all move")
        bob.logout()
        return "after"

    def offboard_argv(self):
        return [BIN, "--config", self.server.config, "user", "offboard", "alice@example.com",
                "--successor", "bob@example.com", "--transfer-mail", "--forward"]

    def test_kill_9_leaves_offboarding_whole_or_absent_and_restore_gives_everything_back(self):
        started = time.time()
        fill(self.server.ports["imap"], "alice@example.com", MESSAGES)
        filled = time.time() - started
        alice = self.login("alice@example.com")
        self.assertEqual(self.count(alice, "INBOX"), MESSAGES)
        alice.logout()

        # How long an offboarding takes here once the command has started it (its
        # line on stderr), to spread the kills over the store transaction itself
        # rather than over process start-up.
        proc = subprocess.Popen(self.offboard_argv(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        proc.stderr.readline()
        t0 = time.time()
        self.assertEqual(proc.wait(), 0)
        whole = time.time() - t0
        proc.stderr.close()
        self.assertEqual(self.state(), "after")
        self.server.cli("user", "restore", "alice@example.com")
        self.assertEqual(self.state(), "before")

        seen = {"before": 0, "after": 0}
        # Spread over the run, and a few past its end (a loaded machine makes a run
        # slower than the measured one), so that both outcomes occur.
        delays = [whole * f for f in (0.05, 0.15, 0.3, 0.45, 0.6, 0.7, 0.8, 0.9, 0.95, 1.1, 2.0, 4.0)]
        for delay in delays:
            proc = subprocess.Popen(self.offboard_argv(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.assertIn(b"offboarding", proc.stderr.readline())
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
            state = self.state()
            seen[state] += 1
            if state == "after":
                # Restore after a complete offboarding gives everything back.
                self.server.cli("user", "restore", "alice@example.com")
                self.assertEqual(self.state(), "before")
        print(f"\n{MESSAGES} messages appended in {filled:.1f} s; offboarding took {whole:.2f} s; "
              f"after kill -9: {seen}", file=sys.stderr)
        # The kills fell both before and after the commit, or the test proved little.
        self.assertGreater(seen["before"], 0)
        self.assertGreater(seen["after"], 0)

        # Mail to the leaver keeps working across all this, and the server is fine.
        alice = self.login("alice@example.com")
        self.assertEqual(self.count(alice, "INBOX"), MESSAGES)
        typ, data = alice.select("INBOX")
        self.assertEqual(typ, "OK")
        typ, data = alice.fetch(b"1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"order", data[0][1])
        alice.logout()


if __name__ == "__main__":
    unittest.main(verbosity=2)
