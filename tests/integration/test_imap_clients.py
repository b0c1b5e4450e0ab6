"""IMAP with real mail clients against the real binary: mbsync (isync) syncing an
account of 500+ messages both ways with byte-exact comparisons, mutt driven in
batch through a pseudo-terminal, and curl's IMAP (LIST, FETCH, EXAMINE, SEARCH,
APPEND, STARTTLS). Each client is skipped when it is not installed; client quirks
are in docs/compatibility.md."""

import base64
import imaplib
import os
import random
import re
import shlex
import shutil
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD, Server  # noqa: E402

USER = "alice@example.com"


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def crlf(lines):
    return b"".join(line + b"\r\n" for line in lines)


def make_message(i, rng):
    """Message number i of the test account: deterministic, of one of five kinds
    (plain, large, multipart with a binary attachment, 8-bit GBK, long lines)."""
    head = [b"From: Sender %d <sender%d@partner.example>" % (i, i % 7),
            b"To: Alice <alice@example.com>",
            b"Date: Mon, 23 Nov 2026 10:%02d:%02d +0800" % (i // 60 % 60, i % 60),
            b"Message-ID: <m%d.%d@partner.example>" % (i, rng.randrange(10**9))]
    kind = i % 5
    words = [b"alpha", b"beta", b"gamma", b"delta", b"report", b"budget", b"meeting"]
    if kind == 0:
        body = [b" ".join(rng.choice(words) for _ in range(rng.randrange(1, 12))) for _ in range(rng.randrange(1, 30))]
        return crlf(head + [b"Subject: plain %d" % i, b""] + body)
    if kind == 1:
        n = rng.randrange(20, 2000)
        body = [b"line %d of message %d " % (k, i) + b"x" * rng.randrange(0, 70) for k in range(n)]
        return crlf(head + [b"Subject: large %d" % i, b""] + body)
    if kind == 2:
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(100, 20000)))
        att = base64.encodebytes(blob).rstrip(b"\n").split(b"\n")
        return crlf(head + [b"Subject: multipart %d" % i, b"MIME-Version: 1.0",
                            b'Content-Type: multipart/mixed; boundary="b%d"' % i, b"",
                            b"preamble", b"--b%d" % i, b"Content-Type: text/plain; charset=us-ascii", b"",
                            b"see the attachment %d" % i, b"--b%d" % i,
                            b"Content-Type: application/octet-stream; name=\"f%d.bin\"" % i,
                            b"Content-Transfer-Encoding: base64", b""] + att + [b"--b%d--" % i, b"epilogue"])
    if kind == 3:
        text = "第%d号通知：本季度的销售报告和预算会议安排如下。" % i
        body = [text.encode("gbk")] * rng.randrange(1, 20)
        subject = b"=?GBK?B?" + base64.b64encode(("通知 %d" % i).encode("gbk")) + b"?="
        return crlf(head + [b"Subject: " + subject, b"MIME-Version: 1.0",
                            b"Content-Type: text/plain; charset=GBK", b"Content-Transfer-Encoding: 8bit",
                            b""] + body)
    # RFC 5321 §4.5.3.1.6: 998 octets is the longest line SMTP must carry.
    body = [bytes([rng.randrange(0x21, 0x7f)]) * rng.randrange(700, 999) for _ in range(rng.randrange(1, 8))]
    return crlf(head + [b"Subject: long lines %d" % i, b""] + body)


def lf(data):
    return data.replace(b"\r\n", b"\n")


def without_tuid(data):
    """mbsync 1.4 adds "X-TUID: <12 chars>" as the last header field of every
    message it copies (its way to find the copy again after a crash); the rest
    must be byte-exact. Returns the data without that one line."""
    nl = b"\r\n" if b"\r\n" in data.split(b"\n", 1)[0] + b"\n" else b"\n"
    end = data.find(nl + nl)
    start = data.rfind(nl, 0, end) + len(nl)
    line = data[start:end + len(nl)]
    if not re.fullmatch(rb"X-TUID: [A-Za-z0-9+/]{12}" + nl, line):
        return data
    return data[:start] + data[end + len(nl):]


class ClientTest(unittest.TestCase):

    def setUp(self):
        self.server = Server(listen=("smtp", "imap", "imaps", "submissions"))
        self.server.cli("domain", "add", "example.com")
        self.server.add_user(USER)
        self.server.add_user("bob@example.com")
        self.server.start()
        self.tmp = tempfile.mkdtemp(prefix="letterhead-clients-")
        self.cert = os.path.join(self.server.data, "tls", "selfsigned.crt")

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])

    def deliver(self, messages, to=USER):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=60) as s:
            for m in messages:
                s.sendmail("sender@partner.example", [to], m)

    def login(self, user=USER):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure(), timeout=30)
        m.login(user, PASSWORD)
        return m

    def server_state(self, mailbox="INBOX"):
        """{uid: (flags, bytes)} of a mailbox, read with imaplib in one FETCH."""
        m = self.login()
        typ, data = m.select(mailbox, readonly=True)
        self.assertEqual(typ, "OK")
        out = {}
        if int(data[0]):
            typ, data = m.fetch("1:*", "(UID FLAGS BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            for item in data:
                if isinstance(item, tuple):
                    uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
                    flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split()
                    out[uid] = (frozenset(flags), item[1])
        m.logout()
        return out

    # --- mbsync -----------------------------------------------------------------

    def mbsync(self, rc):
        r = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, timeout=120,
                           env=dict(os.environ, HOME=self.tmp), cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace"))
        return r

    def maildir(self, path):
        """{name: bytes} of every message file in a maildir (cur and new)."""
        out = {}
        for sub in ("cur", "new"):
            d = os.path.join(path, sub)
            for name in os.listdir(d):
                with open(os.path.join(d, name), "rb") as f:
                    out[sub + "/" + name] = f.read()
        return out

    def by_server_uid(self, path):
        """{server UID: (file name, bytes)} of a synced maildir. The ",U=" in a file
        name is the maildir's own UID; mbsync's state file pairs it with the
        server's ("far near flags" lines)."""
        pairs = {}
        with open(os.path.join(path, ".mbsyncstate")) as f:
            for line in f:
                m = re.match(r"(\d+) (\d+) ", line)
                if m:
                    pairs[int(m.group(2))] = int(m.group(1))
        out = {}
        for name, data in self.maildir(path).items():
            near = int(re.search(r",U=(\d+)", name).group(1))
            out[pairs[near]] = (name, data)
        return out

    @staticmethod
    def maildir_flags(name):
        info = name.split(":2,", 1)
        letters = info[1] if len(info) == 2 else ""
        names = {"S": "\\Seen", "F": "\\Flagged", "R": "\\Answered", "D": "\\Draft", "T": "\\Deleted"}
        return frozenset(names[c] for c in letters if c in names)

    @unittest.skipUnless(shutil.which("mbsync"), "mbsync (isync) not installed")
    def test_mbsync_both_ways(self):
        rng = random.Random(20261123)
        sent = [make_message(i, rng) for i in range(520)]
        self.deliver(sent)
        self.assertEqual(len(self.server.wait_for_messages(USER, len(sent), timeout=60)), len(sent))

        local = os.path.join(self.tmp, "mail")
        os.makedirs(local)
        rc = os.path.join(self.tmp, "mbsyncrc")
        with open(rc, "w") as f:
            f.write(f"""IMAPAccount letterhead
Host 127.0.0.1
Port {self.server.ports["imaps"]}
User {USER}
Pass "{PASSWORD}"
SSLType IMAPS
SystemCertificates no
CertificateFile {self.cert}
Timeout 60

IMAPStore remote
Account letterhead

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel inbox
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync All
Expunge Both
SyncState *
CopyArrivalDate yes
""")
        self.mbsync(rc)

        # Down: every server message arrived once, byte-exact (maildir uses LF line
        # ends, so mbsync converts CRLF), and the download set no flag (BODY.PEEK).
        state = self.server_state()
        self.assertEqual(len(state), len(sent))
        by_uid = self.by_server_uid(os.path.join(local, "INBOX"))
        self.assertEqual(sorted(by_uid), sorted(state))
        for uid, (flags, data) in state.items():
            self.assertEqual(flags, frozenset(), uid)
            self.assertEqual(without_tuid(by_uid[uid][1]), lf(data), f"UID {uid} differs")
        # The stored bytes are what we sent behind the Received trace field; check a
        # sample against the store itself, not only through IMAP.
        dates = {r["uid"]: r["date"] for r in self.server.messages(USER)}
        for n, uid in enumerate(sorted(state)):
            # CopyArrivalDate: the file's mtime is the INTERNALDATE.
            mtime = os.stat(os.path.join(local, "INBOX", by_uid[uid][0])).st_mtime
            self.assertEqual(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime)), dates[uid], uid)
            self.assertTrue(state[uid][1].endswith(sent[n]), uid)
            if n % 97 == 0:
                self.assertEqual(self.server.message_bytes(USER, uid), state[uid][1])

        # Up: 20 new local messages (LF, some with lines far longer than SMTP allows),
        # flag changes and deletions; plus one change on each side at the server.
        inbox = os.path.join(local, "INBOX")
        added = {}
        for k in range(20):
            body = b"From: Alice <alice@example.com>\nTo: bob@example.com\nSubject: local draft %d\n" % k
            body += b"Date: Tue, 24 Nov 2026 09:00:%02d +0800\nMessage-ID: <local%d@example.com>\n\n" % (k, k)
            if k % 4 == 0:
                body += b"y" * 5000 + b"\n"
            if k % 4 == 1:
                body += ("本地草稿 %d\n" % k).encode("utf-8")
            body += b"line\n" * (k * 37 + 1)
            name = "1764000000.local%d.lhtest" % k
            with open(os.path.join(inbox, "new", name), "wb") as f:
                f.write(body)
            # CopyArrivalDate: the file's mtime becomes the APPEND date-time.
            os.utime(os.path.join(inbox, "new", name), (1764000000 + k * 3600, 1764000000 + k * 3600))
            added[k] = body
        uids = sorted(by_uid)
        names = [by_uid[u][0] for u in uids]
        seen = names[10:20]
        flagged = names[20:25]
        both = names[25:28]
        deleted = names[30:35]
        deleted_uids = set(uids[30:35])
        for group, suffix in ((seen, "S"), (flagged, "F"), (both, "FS")):
            for n in group:
                base = n.split(":2,", 1)[0].split("/", 1)[1]
                os.rename(os.path.join(inbox, n), os.path.join(inbox, "cur", base + ":2," + suffix))
        for n in deleted:
            os.remove(os.path.join(inbox, n))
        server_new = make_message(1000, rng)
        self.deliver([server_new])
        m = self.login()
        m.select("INBOX")
        flag_on_server = uids[40]
        self.assertEqual(m.uid("STORE", str(flag_on_server), "+FLAGS", "(\\Answered)")[0], "OK")
        m.logout()

        self.mbsync(rc)
        state = self.server_state()
        self.assertEqual(len(state), len(sent) + 20 + 1 - len(deleted))
        self.assertFalse(deleted_uids & set(state), "deleted messages are still on the server")
        bodies = {without_tuid(data): uid for uid, (_, data) in state.items()}
        dates = {r["uid"]: r["date"] for r in self.server.messages(USER)}
        for k, body in added.items():
            self.assertIn(body.replace(b"\n", b"\r\n"), bodies, f"local draft {k} not on the server byte-exact")
            self.assertEqual(dates[bodies[body.replace(b"\n", b"\r\n")]],
                             time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1764000000 + k * 3600)))
        for group, want in ((uids[10:20], {"\\Seen"}), (uids[20:25], {"\\Flagged"}),
                            (uids[25:28], {"\\Seen", "\\Flagged"})):
            for uid in group:
                self.assertEqual(state[uid][0], frozenset(want), uid)
        self.assertEqual(state[flag_on_server][0], frozenset({"\\Answered"}))
        by_uid = self.by_server_uid(inbox)
        self.assertEqual(sorted(by_uid), sorted(state), "local and server disagree after the second sync")
        for uid, (flags, data) in state.items():
            self.assertEqual(without_tuid(by_uid[uid][1]), lf(without_tuid(data)), uid)
            self.assertEqual(self.maildir_flags(by_uid[uid][0]), flags, uid)

        # A third run has nothing to do: nothing moves on either side.
        before_files = sorted(self.maildir(inbox))
        before_rows = self.server.messages(USER)
        self.mbsync(rc)
        self.assertEqual(sorted(self.maildir(inbox)), before_files)
        self.assertEqual(self.server.messages(USER), before_rows)

    # --- mutt ---------------------------------------------------------------------

    def muttrc(self):
        port = self.server.ports["imaps"]
        rc = os.path.join(self.tmp, "muttrc")
        with open(rc, "w") as f:
            f.write(f"""set imap_user="{USER}"
set imap_pass="{PASSWORD}"
set folder="imaps://127.0.0.1:{port}/"
set spoolfile="+INBOX"
set record="+Sent"
set postponed="+Drafts"
set certificate_file="{self.cert}"
set ssl_verify_host=no
set ssl_force_tls=yes
set ssl_starttls=no
set smtp_url="smtps://{USER.replace("@", "%40")}@127.0.0.1:{self.server.ports["submissions"]}/"
set smtp_pass="{PASSWORD}"
set from="Alice <{USER}>"
set use_from=yes
set realname="Alice"
set move=no
set quit=yes
set delete=yes
set confirmappend=no
set confirmcreate=no
set mark_old=no
set wait_key=no
set imap_passive=yes
set imap_check_subscribed=no
set header_cache=""
set message_cachedir=""
set timeout=5
set mail_check=60
set sort=date
set charset="utf-8"
set send_charset="utf-8"
set copy=yes
""")
        return rc

    def run_mutt_tty(self, rc, keys, timeout=60):
        """Runs mutt on a pseudo-terminal (mutt's index needs one) with the key
        sequence pushed at start-up; the sequence ends by quitting mutt."""
        cmd = shlex.join(["mutt", "-n", "-F", rc, "-e", f"push '{keys}'"])
        env = dict(os.environ, HOME=self.tmp, TERM="xterm", COLUMNS="200", LINES="50")
        r = subprocess.run(["script", "-qec", cmd, "/dev/null"], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, env=env, cwd=self.tmp)
        return r

    @unittest.skipUnless(shutil.which("mutt") and shutil.which("script"), "mutt or script not installed")
    def test_mutt_batch(self):
        msgs = [crlf([b"From: Zhang Wei <zhang@partner.example>", b"To: alice@example.com",
                      b"Subject: invoice %d" % i, b"Date: Mon, 23 Nov 2026 10:0%d:00 +0800" % i,
                      b"Message-ID: <inv%d@partner.example>" % i, b"", b"Amount due: %d" % (i * 100)])
                for i in range(1, 3)]
        msgs.append(crlf([b"From: Li Na <li@partner.example>", b"To: alice@example.com", b"Subject: hello",
                          b"Date: Mon, 23 Nov 2026 11:00:00 +0800", b"Message-ID: <hello@partner.example>",
                          b"", b"How are you?"]))
        self.deliver(msgs)
        self.server.wait_for_messages(USER, 3)
        rc = self.muttrc()

        # Batch send (no terminal needed): submission over TLS, and the copy goes to
        # the IMAP Sent folder with APPEND (the record).
        body = os.path.join(self.tmp, "body.txt")
        with open(body, "w") as f:
            f.write("第三季度报告见附件。\n")
        with open(body, "rb") as stdin:
            r = subprocess.run(["mutt", "-n", "-F", rc, "-s", "Quarterly report", "--", "bob@example.com"],
                               stdin=stdin, capture_output=True, timeout=60,
                               env=dict(os.environ, HOME=self.tmp), cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.server.wait_for_messages("bob@example.com", 1)), 1)
        sent = self.server.messages(USER, "Sent")
        self.assertEqual(len(sent), 1)
        copy = self.server.message_bytes(USER, sent[0]["uid"], "Sent")
        self.assertIn(b"Subject: Quarterly report", copy)
        self.assertIn("第三季度报告见附件。".encode(), copy)  # allow_8bit: sent as 8bit UTF-8

        # The index in a pseudo-terminal: find the invoices with a server-side body
        # search (=b is UID SEARCH BODY), move them to Archive, flag the other one,
        # sync (expunge) and quit.
        keys = ("<tag-pattern>=b Amount<enter><tag-prefix><save-message>=Archive<enter>"
                "<untag-pattern>~A<enter><tag-pattern>~s hello<enter><tag-prefix><flag-message><sync-mailbox><quit>")
        r = self.run_mutt_tty(rc, keys)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr)
        inbox = self.server_state()
        archive = self.server_state("Archive")
        self.assertEqual(len(inbox), 1, inbox)
        self.assertIn(b"Subject: hello", next(iter(inbox.values()))[1])
        self.assertIn("\\Flagged", next(iter(inbox.values()))[0])
        self.assertEqual(sorted(d[-len(msgs[0]):] for _, d in archive.values()), sorted(msgs[:2]))
        for _, data in archive.values():
            self.assertTrue(data.endswith(msgs[0]) or data.endswith(msgs[1]))

    def test_changedsince_reports_modseq(self):
        """mutt's header cache resyncs flags with UID FETCH (FLAGS) (CHANGEDSINCE n);
        RFC 7162 §3.1.4.1: CHANGEDSINCE implicitly adds MODSEQ to each FETCH response."""
        self.deliver([b"Subject: one\r\n\r\nx\r\n", b"Subject: two\r\n\r\ny\r\n"])
        self.server.wait_for_messages(USER, 2)
        m = self.login()
        self.assertEqual(m._simple_command("SELECT", "INBOX", "(CONDSTORE)")[0], "OK")
        m.state = "SELECTED"  # imaplib's select() cannot pass select parameters
        highest = int(re.search(rb"HIGHESTMODSEQ (\d+)", b" ".join(m.untagged_responses["OK"])).group(1))
        m.uid("STORE", "2", "+FLAGS.SILENT", "(\\Flagged)")
        typ, data = m.uid("FETCH", "1:*", "(FLAGS)", f"(CHANGEDSINCE {highest})")
        self.assertEqual(typ, "OK")
        self.assertEqual(len(data), 1, data)
        self.assertRegex(data[0].decode(), r"^2 \(UID 2 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$")
        m.logout()

    # --- curl ---------------------------------------------------------------------

    def curl(self, url, *extra, check=True):
        r = subprocess.run(["curl", "-sS", "--max-time", "30", "--cacert", self.cert, "-u", f"{USER}:{PASSWORD}",
                            *extra, url], capture_output=True, timeout=60)
        if check:
            self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return r

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_curl_imap(self):
        msgs = [make_message(i, random.Random(i)) for i in (2, 3)]
        self.deliver(msgs)
        self.server.wait_for_messages(USER, 2)
        port, plain = self.server.ports["imaps"], self.server.ports["imap"]
        # The certificate names mx.example.com: --resolve points that name at loopback.
        base = f"imaps://mx.example.com:{port}"
        resolve = ["--resolve", f"mx.example.com:{port}:127.0.0.1", "--resolve", f"mx.example.com:{plain}:127.0.0.1"]

        out = self.curl(base + "/", *resolve).stdout.decode()
        for name in ("INBOX", "Sent", "Drafts", "Archive"):
            self.assertRegex(out, rf'\* LIST \([^)]*\) "/" "?{name}"?\r?\n')

        stored = self.server.message_bytes(USER, 1)
        self.assertEqual(self.curl(base + "/INBOX;UID=1", *resolve).stdout, stored)
        self.assertEqual(self.curl(base + "/INBOX;MAILINDEX=2", *resolve).stdout,
                         self.server.message_bytes(USER, 2))
        text = stored.split(b"\r\n\r\n", 1)[1]
        self.assertEqual(self.curl(base + "/INBOX;UID=1/;SECTION=TEXT", *resolve).stdout, text)
        self.assertEqual(self.curl(base + "/INBOX;UID=1/;SECTION=TEXT;PARTIAL=0.10", *resolve).stdout,
                         text[:10])
        # A multipart message: section 2 is the attachment's encoded body.
        part2 = self.curl(base + "/INBOX;UID=1/;SECTION=2", *resolve).stdout
        self.assertTrue(part2 and part2 in stored)

        out = self.curl(base + "/INBOX?SUBJECT%20multipart", *resolve).stdout.decode()
        self.assertRegex(out, r"\* SEARCH 1\r?\n")
        out = self.curl(base + "/", *resolve, "-X", "EXAMINE INBOX").stdout.decode()
        self.assertIn("* 2 EXISTS", out)
        self.assertIn("UIDVALIDITY", out)
        out = self.curl(base + "/", *resolve, "-X", "STATUS INBOX (MESSAGES UNSEEN)").stdout.decode()
        self.assertIn("MESSAGES 2", out)

        # STARTTLS on the plain port, required by --ssl-reqd.
        self.assertEqual(self.curl(f"imap://mx.example.com:{plain}/INBOX;UID=2", *resolve, "--ssl-reqd").stdout,
                         self.server.message_bytes(USER, 2))
        # Without TLS the server offers no login at all (LOGINDISABLED).
        r = self.curl(f"imap://mx.example.com:{plain}/INBOX;UID=2", *resolve, check=False)
        self.assertEqual(r.returncode, 67, r.stderr)  # CURLE_LOGIN_DENIED: no mechanism offered

        # APPEND with -T: byte-exact in Drafts.
        draft = crlf([b"From: Alice <alice@example.com>", b"To: bob@example.com", b"Subject: curl draft",
                      b"", "草稿 draft".encode("utf-8"), b"z" * 3000])
        path = os.path.join(self.tmp, "draft.eml")
        with open(path, "wb") as f:
            f.write(draft)
        self.curl(base + "/Drafts", *resolve, "-T", path)
        rows = self.server.messages(USER, "Drafts")
        self.assertEqual(len(rows), 1)
        self.assertEqual(self.server.message_bytes(USER, rows[0]["uid"], "Drafts"), draft)


if __name__ == "__main__":
    harness.main()
