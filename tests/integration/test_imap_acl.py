"""IMAP ACL (RFC 4314) with the other users namespace (RFC 2342) and QUOTA
(RFC 9208) against the real binary, with Python's imaplib as the client (plus raw
lines for IDLE): an owner grants another account rights, the grantee lists,
selects, fetches and stores exactly as far as the rights go ([NOPERM], RFC 5530),
revocation reaches a live session, owner and grantee sessions see each other's
changes, quota figures match the stored sizes and the CLI's quota is enforced for
APPEND and COPY ([OVERQUOTA]), and an offboarded account's mailboxes reach the
successor through the shared namespace."""

import imaplib
import os
import re
import shutil
import smtplib
import socket
import ssl
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD, Server  # noqa: E402

# imaplib knows the other RFC 4314 commands but not this one.
imaplib.Commands.setdefault("LISTRIGHTS", ("AUTH", "SELECTED"))

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
SHARED_INBOX = '"Other Users/alice@example.com/INBOX"'
SHARED_WORK = '"Other Users/alice@example.com/Work"'


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def text(data):
    """imaplib's response data as one string."""
    out = []
    for d in data:
        if isinstance(d, tuple):
            out.append(b" ".join(x for x in d if isinstance(x, bytes)).decode(errors="replace"))
        elif d is not None:
            out.append(d.decode(errors="replace") if isinstance(d, bytes) else str(d))
    return "\n".join(out)


def msg(subject, body="hello"):
    return (f"From: sender@partner.example\r\nTo: alice@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@partner.example>\r\n\r\n{body}\r\n").encode()


class AclBase(unittest.TestCase):
    def setUp(self):
        self.server = Server(listen=("smtp", "imaps"))
        self.server.cli("domain", "add", "example.com")
        for u in (ALICE, BOB, CAROL):
            self.server.add_user(u)
        self.server.start()
        self.clients = []
        self.socks = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.logout()
            except Exception:
                pass
        for s in self.socks:
            s.close()
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])

    def login(self, user):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure(), timeout=60)
        m.login(user, PASSWORD)
        self.clients.append(m)
        return m

    def deliver(self, messages, to=ALICE):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=60) as s:
            for m in messages:
                s.sendmail("sender@partner.example", [to], m)
        self.server.wait_for_messages(to, len(messages))

    def assertNo(self, result, code):
        typ, data = result
        self.assertEqual(typ, "NO", data)
        self.assertTrue(text(data).startswith(f"[{code}]"), data)

    def assertOk(self, result):
        typ, data = result
        self.assertEqual(typ, "OK", data)
        return data

    def listed(self, m, pattern="*"):
        m.untagged_responses.pop("LIST", None)   # SELECT's LIST line (RFC 9051 §7.3.1)
        typ, data = m.list('""', pattern)
        self.assertEqual(typ, "OK", data)
        names = []
        for line in data:
            if line is None:
                continue
            mm = re.match(rb'\((.*?)\) "/" (.*)$', line)
            self.assertIsNotNone(mm, line)
            name = mm.group(2).decode()
            names.append((name.strip('"'), mm.group(1).decode()))
        return dict(names)

    def flags(self, m, seq):
        typ, data = m.fetch(seq, "(FLAGS)")
        self.assertEqual(typ, "OK", data)
        return set(re.search(r"FLAGS \((.*?)\)", text(data)).group(1).split())


class AclTest(AclBase):

    def test_capabilities_and_namespace(self):
        m = self.login(BOB)
        caps = m.capabilities
        for c in ("ACL", "RIGHTS=TEXK", "QUOTA", "QUOTA=RES-STORAGE"):
            self.assertIn(c, caps)
        self.assertNotIn("QUOTA=RES-MESSAGE", caps)
        typ, data = m.namespace()
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0], b'(("" "/")) (("Other Users/" "/")) NIL')

    def test_grantee_rights_are_enforced(self):
        self.deliver([msg("one"), msg("two")])
        alice = self.login(ALICE)
        bob = self.login(BOB)
        # Nothing shared yet: invisible, and no hint that it exists.
        self.assertNotIn("Other Users/alice@example.com/INBOX", self.listed(bob))
        self.assertNo(bob.select(SHARED_INBOX), "NONEXISTENT")
        self.assertNo(bob.myrights(SHARED_INBOX), "NONEXISTENT")

        # Identifiers and rights are checked.
        self.assertNo(alice.setacl("INBOX", "nobody@example.com", "lr"), "NONEXISTENT")
        self.assertNo(alice.setacl("INBOX", "anyone", "lr"), "CANNOT")
        self.assertNo(alice.setacl("INBOX", BOB, "lrz"), "CANNOT")
        self.assertNo(alice.setacl("INBOX", ALICE, "lr"), "CANNOT")
        self.assertOk(alice.setacl("INBOX", BOB, "lr"))
        data = self.assertOk(alice.getacl("INBOX"))
        self.assertEqual(text(data), f"INBOX {ALICE} lrswipkxtea {BOB} lr")
        self.assertOk(alice.setacl("INBOX", BOB, "+c"))   # obsolete "c" is "kx" (RFC 4314 §2.1.1)
        self.assertIn(f"{BOB} lrkx", text(self.assertOk(alice.getacl("INBOX"))))
        self.assertOk(alice.setacl("INBOX", BOB, "-kx"))
        data = self.assertOk(alice.myrights("INBOX"))
        self.assertEqual(text(data), "INBOX lrswipkxtea")
        typ, data = alice._simple_command("LISTRIGHTS", "INBOX", BOB)
        self.assertEqual(typ, "OK")
        self.assertEqual(text(alice._untagged_response(typ, data, "LISTRIGHTS")[1]),
                         f'INBOX {BOB} "" l r s w i p k x t e a')

        # The grantee sees the mailbox under the other users namespace.
        boxes = self.listed(bob)
        self.assertIn("Other Users/alice@example.com/INBOX", boxes)
        self.assertIn("\\Noselect", boxes["Other Users"])
        self.assertIn("\\Noselect", boxes["Other Users/alice@example.com"])
        self.assertNotIn("Other Users/alice@example.com/Sent", boxes)
        self.assertIn("Other Users/alice@example.com/INBOX", self.listed(bob, '"Other Users/%/%"'))
        self.assertEqual(text(self.assertOk(bob.myrights(SHARED_INBOX))),
                         "\"Other Users/alice@example.com/INBOX\" lr")
        # Only "a" shows or changes the ACL.
        self.assertNo(bob.getacl(SHARED_INBOX), "NOPERM")
        self.assertNo(bob.setacl(SHARED_INBOX, CAROL, "lr"), "NOPERM")

        # RFC 4314 §4: without "w", "s" and "t" SELECT is READ-ONLY (imaplib raises).
        with self.assertRaises(imaplib.IMAP4.readonly):
            bob.select(SHARED_INBOX)
        self.assertEqual(bob.untagged_responses.get("EXISTS"), [b"2"])
        bob.untagged_responses.pop("READ-ONLY")   # else imaplib refuses every later command
        typ, data = bob.fetch("1", "(BODY[])")
        self.assertEqual(typ, "OK")
        self.assertIn(b"Subject: one", data[0][1])
        # No "s": reading did not set \Seen, and flags cannot be stored.
        self.assertOk(alice_select(alice))
        self.assertEqual(self.flags(alice, "1"), set())
        self.assertNo(bob.store("1", "+FLAGS", "(\\Seen)"), "NOPERM")
        self.assertNo(bob.store("1", "+FLAGS", "(\\Flagged)"), "NOPERM")
        self.assertNo(bob.expunge(), "NOPERM")
        self.assertNo(bob.copy("1", SHARED_INBOX), "NOPERM")
        self.assertNo(bob.append(SHARED_INBOX, None, None, msg("from-bob")), "NOPERM")
        self.assertNo(bob.create('"Other Users/alice@example.com/INBOX/sub"'), "NOPERM")
        self.assertNo(bob.delete(SHARED_INBOX), "NOPERM")
        self.assertNo(bob.create('"Other Users/alice@example.com/New"'), "NOPERM")

        # More rights reach the live session at its next command.
        self.assertOk(alice.setacl("INBOX", BOB, "+swi"))
        self.assertOk(bob.store("1", "+FLAGS", "(\\Seen \\Flagged)"))
        self.assertEqual(self.flags(alice, "1"), {"\\Seen", "\\Flagged"})
        self.assertNo(bob.store("2", "+FLAGS", "(\\Deleted)"), "NOPERM")   # no "t"
        typ, data = bob.fetch("2", "(BODY[])")                              # "s": sets \Seen now
        self.assertEqual(typ, "OK")
        self.assertIn("\\Seen", self.flags(alice, "2"))
        # "i": APPEND and COPY into the shared mailbox; the owner's account holds them.
        typ, data = bob.append(SHARED_INBOX, None, None, msg("from-bob"))
        self.assertEqual(typ, "OK", data)
        self.assertRegex(text(data), r"^\[APPENDUID \d+ 3\]")
        bob.select("INBOX")
        self.assertOk(bob.append("INBOX", None, None, msg("bobs-own")))
        typ, data = bob.copy("1", SHARED_INBOX)
        self.assertEqual(typ, "OK", data)
        self.assertRegex(text(data), r"^\[COPYUID \d+ 1 4\]")
        subjects = [self.server.message_bytes(ALICE, r["uid"]).split(b"Subject: ")[1].split(b"\r\n")[0]
                    for r in self.server.messages(ALICE)]
        self.assertEqual(subjects, [b"one", b"two", b"from-bob", b"bobs-own"])
        # COPY out of the shared mailbox into our own (another account) works too.
        self.assertOk(bob.select(SHARED_INBOX))
        self.assertOk(bob.copy("2", "INBOX"))
        self.assertEqual(len(self.server.messages(BOB)), 2)
        # A mailbox shared with "l" but not "r" is listed, not readable.
        self.assertOk(alice.create("Work"))
        self.assertOk(alice.setacl("Work", BOB, "l"))
        self.assertIn("Other Users/alice@example.com/Work", self.listed(bob))
        self.assertNo(bob.select(SHARED_WORK), "NOPERM")
        self.assertNo(bob.status(SHARED_WORK, "(MESSAGES)"), "NOPERM")
        # LIST-STATUS (RFC 5819) gives counts only where "r" allows STATUS.
        bob.untagged_responses.pop("STATUS", None)
        typ, _ = bob._simple_command("LIST", '""', '"Other Users/*"', "RETURN", "(STATUS", "(MESSAGES))")
        self.assertEqual(typ, "OK")
        statuses = text(bob.untagged_responses.pop("STATUS", []))
        self.assertIn('"Other Users/alice@example.com/INBOX" (MESSAGES 4)', statuses)
        self.assertNotIn("Work", statuses)
        # "k" on a shared mailbox: create below it; the child inherits the ACL.
        self.assertOk(alice.setacl("Work", BOB, "lrkx"))
        self.assertOk(bob.create('"Other Users/alice@example.com/Work/Plans"'))
        self.assertIn("Other Users/alice@example.com/Work/Plans", self.listed(bob))
        self.assertIn("Work/Plans", self.listed(alice))
        self.assertIn(f"{BOB} lrkx", text(self.assertOk(alice.getacl("Work/Plans"))))
        self.assertOk(bob.delete('"Other Users/alice@example.com/Work/Plans"'))
        self.assertNotIn("Work/Plans", self.listed(alice))
        # Carol has nothing.
        carol = self.login(CAROL)
        self.assertNotIn("Other Users", self.listed(carol))
        self.assertNo(carol.select(SHARED_INBOX), "NONEXISTENT")

    def test_examine_and_read_only_select(self):
        self.deliver([msg("one")])
        alice = self.login(ALICE)
        bob = self.login(BOB)
        self.assertOk(alice.setacl("INBOX", BOB, "lr"))
        with self.assertRaises(imaplib.IMAP4.readonly):
            bob.select(SHARED_INBOX)
        self.assertEqual(bob.untagged_responses.get("READ-ONLY"), [b""])
        self.assertOk(alice.setacl("INBOX", BOB, "lrw"))
        bob.select(SHARED_INBOX)
        self.assertIn("READ-WRITE", bob.untagged_responses)
        # PERMANENTFLAGS lists what "w" allows, without \Seen and \Deleted.
        pf = text(bob.untagged_responses["PERMANENTFLAGS"])
        self.assertIn("\\Flagged", pf)
        self.assertNotIn("\\Seen", pf)
        self.assertNotIn("\\Deleted", pf)
        self.assertOk(bob.store("1", "+FLAGS", "($Label1)"))
        self.assertNo(bob.store("1", "FLAGS", "(\\Seen)"), "NOPERM")
        # A replacement keeps the flags we may not change.
        self.assertOk(alice_select(alice))
        self.assertOk(alice.store("1", "+FLAGS", "(\\Seen)"))
        self.assertOk(bob.store("1", "FLAGS", "(\\Answered)"))
        self.assertEqual(self.flags(alice, "1"), {"\\Seen", "\\Answered"})

    def test_revocation_reaches_a_live_session(self):
        self.deliver([msg("one")])
        alice = self.login(ALICE)
        bob = self.login(BOB)
        self.assertOk(alice.setacl("INBOX", BOB, "lrs"))
        self.assertOk(bob.select(SHARED_INBOX))
        self.assertEqual(self.assertOk(bob.fetch("1", "(FLAGS)"))[0].decode()[:1], "1")
        self.assertOk(alice.deleteacl("INBOX", BOB))
        self.assertEqual(text(self.assertOk(alice.getacl("INBOX"))), f"INBOX {ALICE} lrswipkxtea")
        self.assertNo(bob.fetch("1", "(FLAGS)"), "NOPERM")
        self.assertNo(bob.store("1", "+FLAGS", "(\\Seen)"), "NOPERM")
        self.assertNo(bob.uid("SEARCH", "ALL"), "NOPERM")
        self.assertOk(bob.close())
        self.assertNotIn("Other Users/alice@example.com/INBOX", self.listed(bob))
        self.assertNo(bob.select(SHARED_INBOX), "NONEXISTENT")
        # A partial revocation: "s" taken away, the next STORE of \Seen fails.
        self.assertOk(alice.setacl("INBOX", BOB, "lrs"))
        self.assertOk(bob.select(SHARED_INBOX))
        self.assertOk(bob.store("1", "+FLAGS", "(\\Seen)"))
        self.assertOk(alice.setacl("INBOX", BOB, "-s"))
        self.assertNo(bob.store("1", "-FLAGS", "(\\Seen)"), "NOPERM")

    def test_owner_and_grantee_see_each_others_changes(self):
        self.deliver([msg("one"), msg("two"), msg("three")])
        alice = self.login(ALICE)
        bob = self.login(BOB)
        self.assertOk(alice.setacl("INBOX", BOB, "lrswte"))
        self.assertOk(alice_select(alice))
        self.assertOk(bob.select(SHARED_INBOX))
        # Owner flags a message: the grantee's NOOP reports it.
        self.assertOk(alice.store("1", "+FLAGS.SILENT", "(\\Flagged)"))
        bob.noop()
        self.assertIn(b"1 (UID 1 FLAGS (\\Flagged))", bob.untagged_responses.pop("FETCH", []))
        # Grantee deletes and expunges: the owner's NOOP reports the expunge.
        self.assertOk(bob.store("2", "+FLAGS", "(\\Deleted)"))
        typ, data = bob.expunge()
        self.assertEqual((typ, data), ("OK", [b"2"]))
        alice.noop()
        self.assertEqual(alice.untagged_responses.pop("EXPUNGE", []), [b"2"])
        # New mail for the owner reaches the grantee.
        self.deliver([msg("four")])
        deadline = time.time() + 10
        exists = []
        while not exists and time.time() < deadline:
            bob.noop()
            exists = bob.untagged_responses.pop("EXISTS", [])
        self.assertEqual(exists[-1:], [b"3"])
        # An IDLE grantee is woken by the owner's change at once (the owner's notifier).
        raw = self.raw_login(BOB)
        self.raw_cmd(raw, b"S1 SELECT " + SHARED_INBOX.encode())
        raw.sendall(b"I1 IDLE\r\n")
        self.assertTrue(self.raw_line(raw).startswith(b"+"))
        start = time.time()
        self.assertOk(alice.store("1", "+FLAGS.SILENT", "(\\Answered)"))
        line = self.raw_line(raw)
        self.assertRegex(line, rb"^\* 1 FETCH \(UID 1 FLAGS \((\\Answered \\Flagged|\\Flagged \\Answered)\)\)")
        self.assertLess(time.time() - start, 10)   # the slow poll is 20 s
        raw.sendall(b"DONE\r\n")
        self.assertTrue(self.raw_line(raw).startswith(b"I1 OK"))

    # --- raw lines for IDLE ---
    def raw_login(self, user):
        s = insecure().wrap_socket(socket.create_connection(("127.0.0.1", self.server.ports["imaps"]), timeout=15),
                                   server_hostname="mx.example.com")
        self.socks.append(s)
        self.raw_line(s)
        self.raw_cmd(s, f"L1 LOGIN {user} {PASSWORD}".encode())
        return s

    def raw_line(self, s):
        buf = getattr(s, "acl_buffer", b"")
        while b"\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError(buf)
            buf += chunk
        line, s.acl_buffer = buf.split(b"\r\n", 1)
        return line

    def raw_cmd(self, s, line):
        tag = line.split(b" ")[0]
        s.sendall(line + b"\r\n")
        while True:
            got = self.raw_line(s)
            if got.startswith(tag + b" "):
                self.assertIn(b" OK", got)
                return got


class QuotaTest(AclBase):

    def quota(self, m, mailbox="INBOX"):
        typ, data = m.getquotaroot(mailbox)
        self.assertEqual(typ, "OK", data)
        roots, quotas = data
        return text(roots), text(quotas)

    def test_quota_figures_and_enforcement(self):
        alice = self.login(ALICE)
        # Without a limit there is no quota root.
        self.assertEqual(self.quota(alice), ("INBOX", ""))
        self.assertNo(alice.getquota('""'), "NONEXISTENT")
        self.server.cli("user", "quota", ALICE, "40K")
        sizes = []
        for i in range(3):
            m = msg(f"q{i}", "x" * 5000)
            self.assertOk(alice.append("INBOX", None, None, m))
            sizes.append(len(m))
        self.deliver([msg("delivered", "y" * 3000)])
        rows = self.server.messages(ALICE)
        self.assertEqual([r["size"] for r in rows[:3]], sizes)
        used = sum(r["size"] for r in rows)
        roots, quotas = self.quota(alice)
        self.assertEqual(roots, 'INBOX ""')
        self.assertEqual(quotas, f'"" (STORAGE {(used + 1023) // 1024} 40)')
        typ, data = alice.getquota('""')
        self.assertEqual((typ, text(data)), ("OK", f'"" (STORAGE {(used + 1023) // 1024} 40)'))
        self.assertNo(alice.getquota('"someone"'), "NONEXISTENT")
        # An ordinary user may not change quotas, not even raise their own.
        self.assertNo(alice.setquota('""', "(STORAGE 100000)"), "NOPERM")
        # APPEND beyond the limit.
        big = msg("big", "z" * (40 * 1024 - used))
        self.assertNo(alice.append("INBOX", None, None, big), "OVERQUOTA")
        # COPY beyond the limit: 3 x 5 KB fits once more, 4 messages do not.
        self.assertOk(alice_select(alice))
        self.assertOk(alice.copy("1:3", "Archive"))
        self.assertNo(alice.copy("1:4", "Archive"), "OVERQUOTA")
        self.assertEqual(len(self.server.messages(ALICE, "Archive")), 3)
        # MOVE within the account needs no room.
        self.assertOk(alice.uid("MOVE", "1:3", "Trash"))
        # The quota grows with the CLI and is seen at once.
        self.server.cli("user", "quota", ALICE, "1M")
        self.assertOk(alice.append("INBOX", None, None, big))
        roots, quotas = self.quota(alice)
        used = sum(r["size"] for box in ("INBOX", "Archive", "Trash") for r in self.server.messages(ALICE, box))
        self.assertEqual(quotas, f'"" (STORAGE {(used + 1023) // 1024} 1024)')

    def test_shared_mailbox_quota_is_the_owners(self):
        self.deliver([msg("one", "x" * 4000)])
        alice = self.login(ALICE)
        bob = self.login(BOB)
        self.server.cli("user", "quota", ALICE, "8K")
        self.server.cli("user", "quota", BOB, "5K")
        self.assertOk(alice.setacl("INBOX", BOB, "lri"))
        roots, quotas = self.quota(bob, SHARED_INBOX)
        self.assertEqual(roots, f'{SHARED_INBOX} "Other Users/alice@example.com"')
        self.assertRegex(quotas, r'^"Other Users/alice@example.com" \(STORAGE \d+ 8\)$')
        # Bob's APPEND into alice's mailbox is counted against alice.
        self.assertOk(bob.append(SHARED_INBOX, None, None, msg("two", "x" * 3000)))
        self.assertNo(bob.append(SHARED_INBOX, None, None, msg("three", "x" * 3000)), "OVERQUOTA")
        # Copying alice's messages into bob's own mailbox is counted against bob.
        self.assertOk(bob.select(SHARED_INBOX, readonly=True))
        self.assertOk(bob.copy("1", "INBOX"))
        self.assertNo(bob.copy("2", "INBOX"), "OVERQUOTA")
        self.assertEqual(len(self.server.messages(BOB)), 1)


class OffboardTest(AclBase):

    def test_successor_sees_the_leavers_inbox(self):
        self.deliver([msg("handover")])
        self.server.cli("user", "offboard", ALICE, "--successor", BOB)
        bob = self.login(BOB)
        boxes = self.listed(bob)
        self.assertIn("Other Users/alice@example.com/INBOX", boxes)
        self.assertIn("Other Users/alice@example.com/Sent", boxes)
        self.assertEqual(text(self.assertOk(bob.myrights(SHARED_INBOX))), f"{SHARED_INBOX} lrs")
        typ, data = bob.select(SHARED_INBOX)
        self.assertEqual((typ, data), ("OK", [b"1"]))
        typ, data = bob.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"Subject: handover", data[0][1])
        self.assertIn("\\Seen", self.flags(bob, "1"))       # "s": reading marks it read
        self.assertNo(bob.store("1", "+FLAGS", "(\\Flagged)"), "NOPERM")
        self.assertNo(bob.store("1", "+FLAGS", "(\\Deleted)"), "NOPERM")
        self.assertNo(bob.append(SHARED_INBOX, None, None, msg("x")), "NOPERM")


def alice_select(m):
    return m.select("INBOX")


if __name__ == "__main__":
    harness.main()
