"""Two IMAP sessions on one account, with Python's imaplib against the real binary:
the two bugs bench/imap_mix found when clients share an account.

- STORE +FLAGS/-FLAGS from two sessions on the same messages at the same time: both
  changes stay (RFC 9051 §6.4.6 adds to or removes from the flags the message has),
  and the untagged FETCH shows the stored flags, the other session's included.
- FETCH, SEARCH, SORT, THREAD and STORE of a message that the other session expunged
  and that this session still lists (it has not been told): FETCH answers what it
  can and ends NO [EXPUNGEISSUED] (RFC 2180 §4.1.3, RFC 5530), SEARCH/SORT/THREAD
  leave the message out and end OK, COPY and MOVE copy nothing and end NO
  [EXPUNGEISSUED], never [SERVERBUG]."""

import imaplib
import os
import re
import smtplib
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD  # noqa: E402
from test_imap import insecure  # noqa: E402

USER = "alice@example.com"


def fetch_flags(lines):
    """{sequence number: set of flags} from untagged FETCH response data."""
    out = {}
    for line in lines:
        if isinstance(line, tuple):
            line = line[0]
        m = re.match(rb"(\d+) \(.*FLAGS \(([^)]*)\)", line)
        if m:
            out[int(m.group(1))] = set(m.group(2).split())
    return out


class ImapConcurrencyTest(harness.ServerTest):
    listen = ("smtp", "imaps")

    def deliver(self, count):
        """`count` messages with different bytes (so each has a blob of its own)."""
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=60) as s:
            for i in range(1, count + 1):
                s.sendmail("zhang@partner.example", [USER],
                           b"From: zhang@partner.example\r\nTo: alice@example.com\r\n"
                           b"Subject: m%03d\r\nMessage-ID: <m%d@partner.example>\r\n\r\nbody of %d\r\n" % (i, i, i))
        self.assertEqual(len(self.server.wait_for_messages(USER, count)), count)

    def login(self, enable=None):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure(), timeout=60)
        m.login(USER, PASSWORD)
        if enable:
            m.enable(enable)
        typ, _ = m.select("INBOX")
        self.assertEqual(typ, "OK")
        return m

    def test_concurrent_stores_on_the_same_messages_lose_nothing(self):
        n = 120
        self.deliver(n)
        a, b = self.login(), self.login()
        answers = {}
        errors = []

        def store(name, session, ops):
            try:
                for op, flag in ops:
                    session.untagged_responses.clear()
                    typ, data = session.store(f"1:{n}", op, f"({flag})")
                    if typ != "OK":
                        errors.append((name, typ, data))
                    answers[name] = fetch_flags(data)
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                errors.append((name, repr(e)))

        # Each session adds, removes and adds again its own flag over every message, at
        # the same time as the other: the old STORE wrote the whole flag set computed
        # from its cached copy and lost the other session's flag on most messages.
        ta = threading.Thread(target=store, args=("a", a, [("+FLAGS", "\\Seen"), ("-FLAGS", "\\Seen"),
                                                           ("+FLAGS", "\\Seen")]))
        tb = threading.Thread(target=store, args=("b", b, [("+FLAGS", "\\Deleted $Work"), ("-FLAGS", "\\Deleted"),
                                                           ("+FLAGS", "\\Deleted")]))
        ta.start()
        tb.start()
        ta.join()
        tb.join()
        self.assertEqual(errors, [])
        # Every message has both sessions' flags, as a third session reads them.
        c = self.login()
        typ, data = c.fetch(f"1:{n}", "(FLAGS)")
        final = fetch_flags(data)
        self.assertEqual(len(final), n)
        for seq, flags in final.items():
            self.assertEqual(flags, {b"\\Seen", b"\\Deleted", b"$Work"}, f"message {seq}")
        # The untagged FETCH of a STORE is the stored truth: for each message, the
        # session whose last STORE came second saw the other's flag too.
        self.assertEqual(len(answers["a"]), n)
        self.assertEqual(len(answers["b"]), n)
        for seq in range(1, n + 1):
            seen_both = [answers[s][seq] >= {b"\\Seen", b"\\Deleted"} for s in ("a", "b")]
            self.assertTrue(any(seen_both), f"message {seq}: {answers['a'][seq]} / {answers['b'][seq]}")
        for m in (a, b, c):
            m.logout()

    def test_store_modseq_and_unchangedsince(self):
        self.deliver(2)
        a, b = self.login(enable="CONDSTORE"), self.login()
        b.store("1", "+FLAGS", "(\\Answered)")
        # Message 1 has \Answered from b already: a's +FLAGS shows it and changes
        # nothing there; message 2 changes. Repeated, it changes neither MODSEQ
        # (RFC 7162 §3.1.3: no new MODSEQ for a message whose flags stay the same).
        typ, data = a.store("1:2", "+FLAGS", "(\\Answered)")
        self.assertEqual(typ, "OK")
        typ, data = a.fetch("1:2", "(FLAGS MODSEQ)")
        modseq = {int(m.group(1)): int(m.group(2))
                  for m in (re.match(rb"(\d+) \(FLAGS \(\\Answered\) MODSEQ \((\d+)\)\)", d) for d in data)}
        self.assertEqual(sorted(modseq), [1, 2], data)
        self.assertLess(modseq[1], modseq[2])
        a.store("1:2", "+FLAGS", "(\\Answered)")
        typ, again = a.fetch("1:2", "(FLAGS MODSEQ)")
        self.assertEqual(again, data)
        # UNCHANGEDSINCE message 1's MODSEQ: message 2 changed after it and fails alone;
        # .SILENT still gives message 1's new MODSEQ (RFC 7162 §3.1.3).
        a.untagged_responses.clear()
        typ, data = a._simple_command("STORE", "1:2", f"(UNCHANGEDSINCE {modseq[1]})", "+FLAGS.SILENT", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"[MODIFIED 2]", data[0])
        fetches = a.untagged_responses.get("FETCH", [])
        self.assertEqual(len(fetches), 1, fetches)
        self.assertRegex(fetches[0], rb"^1 \(MODSEQ \(\d+\)\)$")
        typ, data = a.fetch("1:2", "(FLAGS)")
        self.assertEqual(fetch_flags(data), {1: {b"\\Answered", b"\\Flagged"}, 2: {b"\\Answered"}})
        a.logout()
        b.logout()

    def test_commands_on_a_message_expunged_by_another_session(self):
        self.deliver(3)
        a, b = self.login(), self.login()
        typ, data = a.fetch("1:3", "(UID)")
        self.assertEqual(len(data), 3)
        # b expunges message 2: its row goes and its blob with it (no other copy).
        b.store("2", "+FLAGS", "(\\Deleted)")
        typ, data = b.expunge()
        self.assertEqual(typ, "OK")
        self.assertEqual(len(self.server.messages(USER)), 2)

        # a has not been told (no command of a may send EXPUNGE until one that allows it).
        a.untagged_responses.clear()
        typ, data = a.fetch("1:3", "(BODY.PEEK[])")
        self.assertEqual(typ, "NO", data)
        self.assertIn(b"[EXPUNGEISSUED]", data[0])
        bodies = {int(d[0].split()[0]): d[1] for d in a.untagged_responses.get("FETCH", []) if isinstance(d, tuple)}
        self.assertEqual(sorted(bodies), [1, 3])
        self.assertTrue(bodies[1].endswith(b"body of 1\r\n"))
        self.assertTrue(bodies[3].endswith(b"body of 3\r\n"))

        # ENVELOPE: the parse cache went with the blob, so this needs the bytes too.
        a.untagged_responses.clear()
        typ, data = a.fetch("2", "(ENVELOPE)")
        self.assertEqual(typ, "NO", data)
        self.assertIn(b"[EXPUNGEISSUED]", data[0])
        # FETCH that sets \Seen: the messages still there get it and their data.
        a.untagged_responses.clear()
        typ, data = a.fetch("1:3", "(BODY[TEXT])")
        self.assertEqual(typ, "NO", data)
        self.assertIn(b"[EXPUNGEISSUED]", data[0])

        # SEARCH, SORT and THREAD read bodies or keys of message 2: it matches nothing.
        typ, data = a.search(None, "BODY", "body")
        self.assertEqual((typ, data), ("OK", [b"1 3"]))
        typ, data = a.sort("(SUBJECT)", "UTF-8", "ALL")
        self.assertEqual((typ, data), ("OK", [b"1 3"]))
        typ, data = a.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        self.assertNotIn(b"2", data[0])
        # STORE skips it.
        a.untagged_responses.clear()
        typ, data = a.store("1:3", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        self.assertEqual(sorted(fetch_flags(data)), [1, 3])

        # COPY and MOVE of a set with message 2: all or nothing, so nothing, and the
        # reason is the expunge (RFC 5530), not a server bug. Message 1 alone copies.
        typ, _ = a.create("Kept")
        self.assertEqual(typ, "OK")
        for command in ("COPY", "MOVE"):
            typ, data = a._simple_command(command, "1:3", "Kept")
            self.assertEqual(typ, "NO", (command, data))
            self.assertIn(b"[EXPUNGEISSUED]", data[-1], command)
            self.assertEqual(b.status("Kept", "(MESSAGES)")[1], [b'Kept (MESSAGES 0)'])
        self.assertEqual(len(self.server.messages(USER)), 2)
        typ, data = a.copy("1", "Kept")
        self.assertEqual(typ, "OK", data)
        self.assertEqual(b.status("Kept", "(MESSAGES)")[1], [b'Kept (MESSAGES 1)'])

        # Now a may be told.
        a.untagged_responses.clear()
        a.noop()
        self.assertEqual(a.untagged_responses.get("EXPUNGE"), [b"2"])
        typ, data = a.fetch("1:2", "(FLAGS)")
        self.assertEqual(typ, "OK")
        for m in (a, b):
            m.logout()
        log = self.server.read_log()
        self.assertNotIn("cannot read message", log)
        self.assertNotIn("SERVERBUG", log)


if __name__ == "__main__":
    harness.main()
