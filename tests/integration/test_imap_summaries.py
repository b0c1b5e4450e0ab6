"""Cached message summaries (issue 3): FETCH ENVELOPE/BODYSTRUCTURE/BODY/header
sections, SEARCH on header fields, SORT, THREAD and THREADID answered from the
store's parse cache must be byte for byte what the server answers by parsing the
messages. Messages arrive by SMTP (delivery stores the summary) and by APPEND
(verbatim bytes, also LF-only and broken MIME); the same commands run with the cache
filled at delivery, with the cache emptied behind the server's back (sqlite3, as an
admin would), after the server wrote it back, and with entries of an old version."""

import glob
import os
import smtplib
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_imap_sync import USER, SyncBase  # noqa: E402

CORPUS = os.path.join(os.path.dirname(__file__), "..", "data", "mime")


def made_up():
    """Hard cases beside the corpus, encoded with Python's codecs."""
    import base64
    b = lambda text, cs: "=?%s?B?%s?=" % (cs, base64.b64encode(text.encode(cs)).decode())  # noqa: E731
    out = []
    out.append(("From: %s <zhang@example.cn>\r\nTo: %s <li@example.tw>, Bob <bob@example.com>\r\n"
                "Cc: team: a@example.com, b@example.com;\r\nSubject: %s Re: plan\r\n"
                "Date: Sun, 29 Nov 2026 10:00:00 +0800\r\nMessage-ID: <start@example.cn>\r\n\r\nbody\r\n"
                % (b("张三", "gb18030"), b("李四", "big5"), b("会议通知", "gb18030"))).encode())
    out.append(b"From: " + "王五".encode("gbk") + b" <wang@example.cn>\r\nTo: alice@example.com\r\n"
               b"Subject: Re: " + "会议通知".encode("gbk") + b"\r\nContent-Type: text/plain; charset=gbk\r\n"
               b"X-Note: " + "季度报告".encode("gbk") + b"\r\nIn-Reply-To: <start@example.cn>\r\n"
               b"Message-ID: <reply@example.cn>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0800\r\n\r\n"
               + "正文".encode("gbk") + b"\r\n")
    out.append(b"From: a@example.tw\r\nSubject: " + "會議".encode("big5") + b"\r\nContent-Type: text/plain; "
               b"charset=big5\r\nReferences: <start@example.cn> <reply@example.cn>\r\n"
               b"Date: 1 Dec 2026 00:00 -0500\r\n\r\nx\r\n")
    out.append(b"From: a@example.com\r\nSubject: broken\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
               b"boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: "
               b"multipart/alternative; boundary=c\r\n\r\n--c\r\nno end\r\n")
    out.append(b"Subject: header only, no blank line\r\nFrom: x@example.com\r\nX-Empty:")
    huge = b"Subject: big header\r\nFrom: big@example.com\r\n" + b"".join(
        b"X-Filler-%d: %s\r\n" % (i, b"x" * 40) for i in range(500))
    out.append(huge + b"\r\nbody\r\n")
    return out


COMMANDS = [
    "FETCH 1:* (UID ENVELOPE)",
    "FETCH 1:* (BODYSTRUCTURE)",
    "FETCH 1:* (BODY)",
    "FETCH 1:* (RFC822.HEADER)",
    "FETCH 1:* (BODY.PEEK[HEADER])",
    "FETCH 1:* (BODY.PEEK[HEADER]<5.40>)",
    "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (From Subject Date X-Note)])",
    "FETCH 1:* (BODY.PEEK[HEADER.FIELDS.NOT (Received Return-Path)])",
    "FETCH 1:* (UID THREADID ENVELOPE BODY.PEEK[1] RFC822.SIZE)",
    "UID SEARCH SUBJECT \"会议\"",
    "UID SEARCH FROM zhang",
    "UID SEARCH FROM \"王五\"",
    "UID SEARCH TO bob",
    "UID SEARCH CC b@example",
    "UID SEARCH BCC x",
    "UID SEARCH HEADER Subject broken",
    "UID SEARCH HEADER X-Note \"报告\"",
    "UID SEARCH HEADER X-Empty \"\"",
    "UID SEARCH HEADER Subject \"\"",
    "UID SEARCH SENTSINCE 30-Nov-2026",
    "UID SEARCH SENTON 1-Dec-2026",
    "UID SEARCH OR SUBJECT \"會議\" NOT FROM example.com",
    "UID SEARCH UNSEEN SUBJECT re",
    "UID SORT (SUBJECT) UTF-8 ALL",
    "UID SORT (REVERSE DATE) UTF-8 ALL",
    "SORT (FROM CC TO) UTF-8 ALL",
    "SORT (DISPLAYFROM REVERSE DISPLAYTO) UTF-8 SUBJECT re",
    "UID THREAD REFERENCES UTF-8 ALL",
    "THREAD ORDEREDSUBJECT UTF-8 ALL",
]


class SummariesTest(SyncBase):
    # The made-up mail comes from example.cn and example.tw, which the MX rightly takes
    # for lookalikes of our example.com and may file as junk; this test is about what
    # IMAP answers from INBOX, not about filtering.
    extra_config = "[impersonation]\nenabled = false\n"

    def fill(self):
        corpus = sorted(glob.glob(os.path.join(CORPUS, "*.eml")))
        self.assertGreater(len(corpus), 10)
        messages = []
        for path in corpus:
            with open(path, "rb") as f:
                messages.append(f.read())
        messages += made_up()
        r = self.raw()
        for i, data in enumerate(messages):
            # RFC 3516 §4.4: literal8 for a message with NUL.
            literal = b"~{%d+}" if b"\0" in data else b"{%d+}"
            _, done = r.command(f"A{i}", b"APPEND INBOX " + literal % len(data) + b"\r\n" + data)
            self.assertIn(b"OK", done)
        # And through SMTP, where local delivery stores the summary.
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=60) as s:
            for data in made_up()[:3]:
                s.sendmail("sender@partner.example", [USER], data)
        total = len(messages) + 3
        self.assertEqual(len(self.server.wait_for_messages(USER, total)), total)
        return total

    def db(self):
        return sqlite3.connect(os.path.join(self.server.data, "letterhead.db"), timeout=30)

    def cached(self):
        with self.db() as db:
            return db.execute("SELECT count(*) FROM blob_meta").fetchone()[0]

    def keyed(self):
        """Messages with search keys (store migration v9, one entry per message row)."""
        with self.db() as db:
            return db.execute("SELECT count(*) FROM message_keys").fetchone()[0]

    def answers(self):
        out = {}
        for utf8 in (False, True):
            r = self.raw()
            if utf8:
                r.command("E1", "ENABLE UTF8=ACCEPT")
            r.command("S1", "EXAMINE INBOX")
            for i, cmd in enumerate(COMMANDS):
                lines, done = r.command(f"C{i}", cmd)
                self.assertTrue(done.startswith(f"C{i} OK".encode()), (cmd, done))
                out[(utf8, cmd)] = lines
            r.close()
        return out

    def test_cached_and_parsed_answers_are_identical(self):
        total = self.fill()
        blobs = len({row["blob"] for row in self.server.messages(USER)})
        # Every message got its summary when it was stored, and every row its keys.
        self.assertEqual(self.cached(), blobs)
        self.assertEqual(self.keyed(), total)
        from_delivery = self.answers()
        # Sanity: the answers say something (not all empty), THREADID links the reply.
        self.assertEqual(len(from_delivery[(False, "FETCH 1:* (UID ENVELOPE)")]), total)
        self.assertTrue(from_delivery[(False, "UID SEARCH SUBJECT \"会议\"")][0].split()[2:])
        threads = from_delivery[(False, "UID THREAD REFERENCES UTF-8 ALL")][0]
        # The start, its reply (In-Reply-To) and the Big5 one (References): one thread.
        start = len(glob.glob(os.path.join(CORPUS, "*.eml"))) + 1
        self.assertIn(b"(%d (%d (%d)" % (start, start + 1, start + 2), threads)

        # Keys gone, whole summaries kept: keys come from the summaries, written back.
        with self.db() as db:
            db.execute("DELETE FROM message_keys")
        from_summaries = self.answers()
        for key in from_delivery:
            self.assertEqual(from_delivery[key], from_summaries[key], key)
        self.assertEqual(self.keyed(), total)

        with self.db() as db:
            db.execute("DELETE FROM blob_meta")
            db.execute("DELETE FROM message_keys")
        self.assertEqual(self.cached(), 0)
        parsed = self.answers()
        for key in from_delivery:
            self.assertEqual(from_delivery[key], parsed[key], key)
        # The parse path wrote the summaries and keys back.
        self.assertEqual(self.cached(), blobs)
        self.assertEqual(self.keyed(), total)
        written_back = self.answers()
        for key in from_delivery:
            self.assertEqual(from_delivery[key], written_back[key], key)

        # Entries of another version or damaged bytes are recomputed, never misread.
        with self.db() as db:
            db.execute("UPDATE blob_meta SET version = 1 WHERE substr(hash, 1, 1) < '8'")
            db.execute("UPDATE blob_meta SET data = x'4c534d01ffff' WHERE substr(hash, 1, 1) >= '8'")
            db.execute("UPDATE message_keys SET version = 1 WHERE id % 2 = 0")
            db.execute("UPDATE message_keys SET data = x'4c534b01ffff' WHERE id % 2 = 1")
        stale = self.answers()
        for key in from_delivery:
            self.assertEqual(from_delivery[key], stale[key], key)

        # A copy has its original's keys; an expunged message's keys go with it.
        m = self.login()
        m.create("Copies")
        m.select("INBOX")
        typ, _ = m.copy("1:5", "Copies")
        self.assertEqual(typ, "OK")
        self.assertEqual(self.keyed(), total + 5)
        m.select("Copies")
        m.store("1:2", "+FLAGS", "\\Deleted")
        m.expunge()
        self.assertEqual(self.keyed(), total + 3)
        m.logout()


if __name__ == "__main__":
    unittest.main(verbosity=2)
