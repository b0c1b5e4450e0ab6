"""IMAP with Python's imaplib and raw sockets against the real binary: login rules,
mailboxes, FETCH byte-exact, STORE/COPY/MOVE/EXPUNGE seen from a second session,
APPEND, SEARCH on decoded Chinese text, IDLE wake-up on delivery."""

import base64
import imaplib
import os
import re
import smtplib
import socket
import ssl
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD, Server  # noqa: E402


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


PLAIN = (b"From: Zhang Wei <zhang@partner.example>\r\nTo: alice@example.com\r\n"
         b"Subject: =?GB2312?B?vL62yLGouOY=?=\r\nDate: Mon, 23 Nov 2026 10:00:00 +0800\r\n"
         b"Message-ID: <q3@partner.example>\r\nMIME-Version: 1.0\r\n"
         b"Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n"
         + base64.encodebytes("第三季度的销售报告已经完成。".encode("gbk")).replace(b"\n", b"\r\n"))


class ImapTest(unittest.TestCase):

    def setUp(self):
        self.server = Server(listen=("smtp", "imap", "imaps"))
        self.server.cli("domain", "add", "example.com")
        self.server.add_user("alice@example.com")
        self.server.add_user("bob@example.com")
        self.server.start()

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])

    def deliver(self, message, to="alice@example.com"):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=30) as s:
            s.sendmail("zhang@partner.example", [to], message)

    def login(self, user="alice@example.com"):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure(), timeout=30)
        m.login(user, PASSWORD)
        return m

    def test_login_needs_tls(self):
        m = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"], timeout=30)
        self.assertIn("LOGINDISABLED", m.capabilities)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login("alice@example.com", PASSWORD)
        m.starttls(ssl_context=insecure())
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        typ, _ = m.login("alice@example.com", PASSWORD)
        self.assertEqual(typ, "OK")
        m.logout()
        bad = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure(), timeout=30)
        with self.assertRaises(imaplib.IMAP4.error) as e:
            bad.login("alice@example.com", "wrong-password-1")
        self.assertIn("AUTHENTICATIONFAILED", str(e.exception))
        bad.logout()

    def test_list_select_and_fetch_byte_exact(self):
        self.deliver(PLAIN)
        m = self.login()
        typ, lines = m.list()
        listing = b"\n".join(lines).decode()
        for name, use in (("INBOX", None), ("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"),
                          ("Junk", "\\Junk"), ("Archive", "\\Archive")):
            self.assertRegex(listing, re.escape(f'"/" {name}') if name == "INBOX" else re.escape(use))
        typ, data = m.select("INBOX")
        self.assertEqual(data, [b"1"])
        typ, data = m.fetch("1", "(UID FLAGS RFC822.SIZE BODY.PEEK[])")
        stored = self.server.message_bytes("alice@example.com", 1)
        self.assertEqual(data[0][1], stored)
        self.assertIn(b"RFC822.SIZE %d" % len(stored), data[0][0])
        typ, data = m.fetch("1", "(ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        head = data[0][0]
        self.assertIn(b'"=?GB2312?B?vL62yLGouOY=?="', head)
        self.assertIn(b'"zhang" "partner.example"', head)
        self.assertIn(b'("TEXT" "PLAIN" ("CHARSET" "GBK") NIL NIL "BASE64"', head.upper())
        self.assertEqual(data[0][1], b"Subject: =?GB2312?B?vL62yLGouOY=?=\r\n\r\n")
        # PEEK left \Seen alone; BODY[TEXT] sets it.
        typ, data = m.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Seen", data[0])
        typ, data = m.fetch("1", "(BODY[TEXT])")
        self.assertIn(b"\\Seen", b"".join(x if isinstance(x, bytes) else x[0] for x in data))
        m.logout()

    def test_changes_reach_a_second_session(self):
        for i in range(3):
            self.deliver(b"Subject: n%d\r\n\r\nbody\r\n" % i)
        a, b = self.login(), self.login()
        a.select("INBOX")
        b.select("INBOX")
        a.store("2", "+FLAGS", "(\\Flagged $Work)")
        typ, data = b.noop()
        flags = b.untagged_responses.get("FETCH", [])
        self.assertTrue(any(b"\\Flagged" in f and b"$Work" in f for f in flags), flags)
        a.store("1", "+FLAGS", "(\\Deleted)")
        a.expunge()
        b.untagged_responses.clear()
        b.noop()
        self.assertEqual(b.untagged_responses.get("EXPUNGE"), [b"1"])
        self.deliver(b"Subject: n3\r\n\r\nbody\r\n")
        b.untagged_responses.clear()
        b.noop()
        self.assertEqual(b.untagged_responses.get("EXISTS"), [b"3"])
        a.logout()
        b.logout()

    def test_append_copy_move(self):
        m = self.login()
        broken = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nno end \xff\xfe\r\n"
        typ, data = m.append("Drafts", "(\\Draft $Todo)", imaplib.Time2Internaldate(1700000000), broken)
        self.assertEqual(typ, "OK")
        self.assertIn(b"APPENDUID", data[0])
        rows = self.server.messages("alice@example.com", "Drafts")
        self.assertEqual(self.server.message_bytes("alice@example.com", rows[0]["uid"], "Drafts"), broken)
        self.assertEqual(rows[0]["date"], "2023-11-14T22:13:20Z")
        self.assertIn("\\Draft", rows[0]["flags"])
        m.select("Drafts")
        typ, data = m.uid("COPY", str(rows[0]["uid"]), "Archive")
        self.assertEqual(typ, "OK")
        self.assertTrue(m.untagged_responses.pop("COPYUID", None))  # imaplib files response codes here
        typ, data = m.uid("MOVE", str(rows[0]["uid"]), "Trash")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.untagged_responses.get("EXPUNGE"), [b"1"])
        self.assertEqual(len(self.server.messages("alice@example.com", "Drafts")), 0)
        self.assertEqual(len(self.server.messages("alice@example.com", "Trash")), 1)
        self.assertEqual(len(self.server.messages("alice@example.com", "Archive")), 1)
        typ, data = m.append("Nowhere", None, None, b"Subject: x\r\n\r\ny\r\n")
        self.assertEqual(typ, "NO")
        self.assertIn(b"TRYCREATE", data[0])
        m.logout()

    def test_mailbox_management(self):
        m = self.login()
        self.assertEqual(m.create("Projects/&W6JmNw-")[0], "OK")  # 客户 in modified UTF-7
        typ, lines = m.list('""', "Projects/*")
        self.assertIn(b"&W6JmNw-", lines[0])  # modified UTF-7 of 客户
        self.assertEqual(m.rename("Projects", "Work")[0], "OK")
        typ, lines = m.list('""', "*")
        names = b"\n".join(lines)
        self.assertIn(b"Work/&W6JmNw-", names)
        self.assertNotIn(b"Projects", names)
        self.assertEqual(m.unsubscribe("Work")[0], "OK")
        typ, lines = m.lsub('""', "*")
        self.assertNotIn(b'"Work"', b"\n".join(x for x in lines if x))
        typ, data = m.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
        self.assertRegex(data[0].decode(), r"MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0")
        self.assertEqual(m.delete("INBOX")[0], "NO")
        self.assertEqual(m.delete("Work/&W6JmNw-")[0], "OK")
        m.logout()

    def test_search_decoded_chinese(self):
        self.deliver(PLAIN)
        self.deliver(b"Subject: other\r\n\r\nnothing to see\r\n")
        m = self.login()
        m.select("INBOX")
        m.literal = "季度".encode()
        typ, data = m.search("UTF-8", "SUBJECT")
        self.assertEqual(data, [b"1"])
        m.literal = "销售报告".encode()
        typ, data = m.search("UTF-8", "BODY")
        self.assertEqual(data, [b"1"])
        typ, data = m.uid("SEARCH", "NOT", "SUBJECT", "other")
        self.assertEqual(data, [b"1"])
        typ, data = m.search(None, "FROM", "zhang", "SINCE", "1-Jan-2020")
        self.assertEqual(data, [b"1"])
        typ, data = m._simple_command("SEARCH", "RETURN", "(COUNT MIN MAX)", "ALL")
        self.assertIn(b"COUNT 2", m.untagged_responses.get("ESEARCH", [b""])[0])
        m.logout()

    def test_sort_and_thread(self):
        self.deliver(b"Subject: banana\r\nFrom: b@x.example\r\nMessage-ID: <1@x>\r\n"
                     b"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nbb\r\n")
        self.deliver(b"Subject: Re: banana\r\nFrom: a@x.example\r\nMessage-ID: <2@x>\r\nIn-Reply-To: <1@x>\r\n"
                     b"References: <1@x>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nreply\r\n")
        self.deliver(b"Subject: apple\r\nFrom: c@x.example\r\nMessage-ID: <3@x>\r\n"
                     b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nlonger body here\r\n")
        m = self.login()
        m.select("INBOX")
        typ, data = m.sort("(SUBJECT)", "UTF-8", "ALL")
        self.assertEqual(data, [b"3 1 2"])  # apple, banana, Re: banana (base subject tie: seq)
        typ, data = m.sort("(REVERSE DATE)", "UTF-8", "ALL")
        self.assertEqual(data, [b"2 1 3"])
        typ, data = m.sort("(FROM)", "UTF-8", "ALL")
        self.assertEqual(data, [b"2 1 3"])
        typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual(data, [b"(3)(1 2)"])
        typ, data = m.uid("THREAD", "ORDEREDSUBJECT", "UTF-8", "ALL")
        self.assertEqual(data, [b"(3)(1 2)"])
        m.logout()

    def test_idle_wakes_on_delivery(self):
        m = self.login()
        m.select("INBOX")
        tag = m._new_tag()
        m.send(tag + b" IDLE\r\n")
        self.assertTrue(m.readline().startswith(b"+"))
        start = time.time()
        threading.Thread(target=self.deliver, args=(b"Subject: wake\r\n\r\nup\r\n",)).start()
        line = m.readline()
        elapsed = time.time() - start
        self.assertEqual(line.strip(), b"* 1 EXISTS")
        self.assertLess(elapsed, 1.0 + 0.5)  # delivery itself included
        m.send(b"DONE\r\n")
        self.assertIn(b"OK", m.readline())
        m.logout()

    def test_literal_limits_and_bad_input(self):
        raw = socket.create_connection(("127.0.0.1", self.server.ports["imaps"]), timeout=10)
        s = insecure().wrap_socket(raw, server_hostname="mx.example.com")
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"* OK"))
        s.sendall(b"a1 LOGIN {17}\r\n")
        self.assertTrue(f.readline().startswith(b"+"))
        s.sendall(b'alice@example.com "' + PASSWORD.encode() + b'"\r\n')
        self.assertIn(b"a1 OK", f.readline())
        s.sendall(b"a2 APPEND INBOX {999999999999}\r\n")
        line = f.readline()
        self.assertTrue(line.startswith(b"a2 NO [TOOBIG]"), line)
        s.sendall(b"a2b APPEND INBOX {5}\r\n")
        self.assertTrue(f.readline().startswith(b"+"))
        s.sendall(b"ab\x00cd\r\n")
        self.assertTrue(f.readline().startswith(b"a2b BAD"))  # NUL needs literal8 (RFC 9051 §4.3)
        s.sendall(b"a3 FROBNICATE\r\n")
        self.assertTrue(f.readline().startswith(b"a3 BAD"))
        s.sendall(b"a4 FETCH 1 FLAGS\r\n")
        self.assertTrue(f.readline().startswith(b"a4 BAD"))  # no mailbox selected
        s.sendall(b"a5 SELECT INBOX\r\n")
        while not (line := f.readline()).startswith(b"a5"):
            pass
        self.assertIn(b"OK", line)
        s.sendall(b"a6 SEARCH " + b"(" * 500 + b"ALL" + b")" * 500 + b"\r\n")
        self.assertTrue(f.readline().startswith(b"a6 BAD"))
        s.sendall(b"a7 FETCH 1:*,*:1,4294967295 (FLAGS)\r\n")
        self.assertTrue(f.readline().startswith(b"a7 OK"))
        s.sendall(b"a8 LOGOUT\r\n")
        self.assertTrue(f.readline().startswith(b"* BYE"))
        s.close()


if __name__ == "__main__":
    harness.main()
