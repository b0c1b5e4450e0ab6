"""Spam, virus and attachment filtering at the MX and on submission, against the
real binary with real helpers: Debian's clamd (clamav-daemon) started here in the
foreground with a one-signature database of our own (an EICAR body signature:
freshclam has no network), Knot DNS serving a DNS blocklist, smtplib for SMTP and
imaplib to see where mail landed (INBOX or \\Junk)."""

import base64
import binascii
import email
import imaplib
import io
import os
import shutil
import smtplib
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zipfile
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD, Server  # noqa: E402
from dnsserver import DnsServer  # noqa: E402

CLAMD = "/usr/sbin/clamd"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
MAIL_MARKER = b"LETTERHEAD-WHOLE-MAIL-MARKER"


class Clamd:
    """clamd on a free loopback TCP port, with its own config and database."""

    def __init__(self, temporary_directory=None, stream_max="20M"):
        """temporary_directory: where clamd spools each stream (clamd.conf's
        TemporaryDirectory; /tmp by default); stream_max: its StreamMaxLength."""
        self.dir = tempfile.mkdtemp(prefix="letterhead-clamd-")
        self.port = harness.free_port()
        self.proc = None
        db = os.path.join(self.dir, "db")
        os.mkdir(db)
        # A body signature (ClamAV .ndb: Name:TargetType:Offset:HexSignature), and one
        # of target type 4, which ClamAV matches only against a mail file as a whole:
        # it tells whether clamd was sent the message or its parts.
        with open(os.path.join(db, "letterhead.ndb"), "w") as f:
            f.write(f"Letterhead.Test.EICAR:0:*:{EICAR.hex()}\n")
            f.write(f"Letterhead.Test.MailOnly:4:*:{MAIL_MARKER.hex()}\n")
        self.conf = os.path.join(self.dir, "clamd.conf")
        with open(self.conf, "w") as f:
            f.write(f"Foreground yes\nTCPSocket {self.port}\nTCPAddr 127.0.0.1\n"
                    f"DatabaseDirectory {db}\nLogFile {self.dir}/clamd.log\n"
                    f"StreamMaxLength {stream_max}\nMaxThreads 4\n")
            if temporary_directory:
                f.write(f"TemporaryDirectory {temporary_directory}\n")

    def start(self):
        self.proc = subprocess.Popen([CLAMD, "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("clamd exited:\n" + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"zPING\0")
                    if s.recv(100).startswith(b"PONG"):
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise AssertionError("clamd did not answer:\n" + self.log())
            time.sleep(0.2)
        return self

    def instream(self, data):
        """Our own INSTREAM client, to check that clamd really has the signature."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=20) as s:
            s.sendall(b"zINSTREAM\0" + struct.pack(">I", len(data)) + data + struct.pack(">I", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                chunk = s.recv(1000)
                if not chunk:
                    break
                reply += chunk
            return reply.rstrip(b"\0").decode()

    def log(self):
        try:
            with open(os.path.join(self.dir, "clamd.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def message(subject, body="Hello there.", frm="Zhang Wei <zhang@partner.example>", extra=None):
    m = EmailMessage()
    m["From"] = frm
    m["To"] = "alice@example.com"
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate()
    m["Message-ID"] = email.utils.make_msgid(domain="partner.example")
    for k, v in (extra or {}).items():
        m[k] = v
    m.set_content(body)
    return m


def with_attachment(subject, filename, data, maintype="application", subtype="octet-stream"):
    m = message(subject)
    m.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return m


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


class FilterBase(unittest.TestCase):
    """A server with clamd and a DNS blocklist that lists 127.0.0.1 (every test
    client), users alice and bob."""

    spam_config = ""
    antivirus_on_failure = "tempfail"
    antivirus_scan = "attachments"  # the default
    clamd_stream_max = "20M"

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(CLAMD):
            raise unittest.SkipTest("clamav-daemon is not installed")
        cls.clamd = Clamd(stream_max=cls.clamd_stream_max).start()
        # RFC 5782 §5: 127.0.0.2 is the conventional test listing; here the zone
        # lists the loopback client itself so that every test message carries it.
        cls.dns = DnsServer({"dnsbl.test": "1.0.0.127 A 127.0.0.2\n2.0.0.127 A 127.0.0.2\n"})
        cls.dns.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.clamd.cleanup()
        cls.dns.__exit__(None, None, None)

    def setUp(self):
        if self.clamd.proc is None:
            self.clamd.start()
        config = (f'[dns]\nservers = ["{self.dns.address}"]\ntimeout = 3\n'
                  f'[smtp]\nallow_plaintext_auth_on_loopback = true\n'
                  f'[spam]\ndnsbl = ["dnsbl.test"]\n{self.spam_config}\n'
                  f'[antivirus]\nclamd = "tcp://127.0.0.1:{self.clamd.port}"\n'
                  f'on_failure = "{self.antivirus_on_failure}"\ntimeout = "10s"\n'
                  f'scan = "{self.antivirus_scan}"\n')
        self.server = Server(config, listen=("smtp", "submission", "imaps"))
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

    def send_mx(self, msg, to=("alice@example.com",), sender="zhang@partner.example"):
        """Returns (code, text) of the end of DATA."""
        data = msg if isinstance(msg, bytes) else msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=60) as s:
            s.ehlo("mail.partner.example")
            s.mail(sender)
            for r in to:
                code, text = s.rcpt(r)
                self.assertEqual(code, 250, text)
            return self.finish(s, data)

    @staticmethod
    def finish(s, data):
        # smtplib's data() returns the final reply instead of raising.
        code, text = s.data(data)
        if code != 250:
            raise smtplib.SMTPDataError(code, text)
        return code, text

    def send_submission(self, msg, to=("bob@example.com",)):
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=60) as s:
            s.login("alice@example.com", PASSWORD)
            s.mail("alice@example.com")
            for r in to:
                s.rcpt(r)
            return self.finish(s, data)

    def imap(self, user="alice@example.com"):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure(), timeout=30)
        m.login(user, PASSWORD)
        return m

    def fetch_all(self, mailbox, user="alice@example.com"):
        m = self.imap(user)
        try:
            typ, _ = m.select(mailbox, readonly=True)
            if typ != "OK":
                return None
            typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
            return [part[1] for part in data if isinstance(part, tuple)]
        finally:
            m.logout()


class SpamJunkTest(FilterBase):
    """Scores file GTUBE into Junk: reject_score = 0 never refuses."""

    spam_config = "junk_score = 5.0\nreject_score = 0\n"

    def test_gtube_goes_to_junk_and_clean_mail_to_inbox(self):
        code, text = self.send_mx(message("clean", "Lunch tomorrow?"))
        self.assertEqual(code, 250, text)
        code, text = self.send_mx(message("buy now", f"Cheap pills\n{GTUBE}\n"))
        self.assertEqual(code, 250, text)

        inbox = self.fetch_all("INBOX")
        self.assertEqual(len(inbox), 1)
        clean = email.message_from_bytes(inbox[0])
        self.assertEqual(clean["Subject"], "clean")
        self.assertEqual(clean["X-Spam-Flag"], "NO")
        self.assertIsNotNone(clean["X-Spam-Score"])
        status = " ".join(clean["X-Spam-Status"].split())
        self.assertTrue(status.startswith("No, score="), status)
        # The DNSBL lists the loopback client: the rule, its zone and answer are shown.
        self.assertIn("RCVD_IN_DNSBL=4.0[dnsbl.test:127.0.0.1=127.0.0.2]", status)
        # Nothing but inline plain text: clamd is not asked ([antivirus] scan).
        self.assertEqual(clean["X-Virus-Scanned"], "not needed (plain text only)")

        junk = self.fetch_all("Junk")
        self.assertEqual(len(junk), 1)
        spam = email.message_from_bytes(junk[0])
        self.assertEqual(spam["Subject"], "buy now")
        self.assertEqual(spam["X-Spam-Flag"], "YES")
        self.assertIn("GTUBE=1000.0", " ".join(spam["X-Spam-Status"].split()))

        # The Junk mailbox was created with the \Junk special-use attribute (RFC 6154).
        m = self.imap()
        typ, boxes = m.list()
        m.logout()
        junk_line = [b for b in boxes if b.endswith(b'"Junk"') or b.endswith(b" Junk")]
        self.assertTrue(junk_line and b"\\Junk" in junk_line[0], boxes)

    def test_forged_verdict_fields_are_removed(self):
        msg = message("forged", "hi", extra={"X-Spam-Flag": "NO", "X-Spam-Status": "No, score=-100"})
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        data = data.replace(b"\r\n\r\n", f"\r\n\r\n{GTUBE}\r\n".encode(), 1)
        code, text = self.send_mx(data)
        self.assertEqual(code, 250, text)
        junk = self.fetch_all("Junk")
        self.assertEqual(len(junk), 1)
        self.assertNotIn(b"score=-100", junk[0])
        self.assertEqual(junk[0].count(b"X-Spam-Flag:"), 1)

    def test_group_members_get_junk_too(self):
        self.server.cli("group", "add", "team@example.com")
        self.server.cli("group", "add-member", "team@example.com", "alice@example.com", "bob@example.com")
        code, text = self.send_mx(message("to the team", GTUBE), to=("team@example.com",))
        self.assertEqual(code, 250, text)
        for user in ("alice@example.com", "bob@example.com"):
            self.assertEqual(len(self.fetch_all("Junk", user)), 1, user)
            self.assertEqual(self.fetch_all("INBOX", user), [], user)

    def test_submission_is_not_spam_scored(self):
        code, text = self.send_submission(message("from alice", GTUBE, frm="alice@example.com"))
        self.assertEqual(code, 250, text)
        inbox = self.server.wait_for_messages("bob@example.com", 1)
        self.assertEqual(len(inbox), 1)
        data = self.server.message_bytes("bob@example.com", inbox[0]["uid"])
        self.assertNotIn(b"X-Spam-", data)


class SpamRejectTest(FilterBase):
    """Default thresholds: GTUBE (1000) is refused at DATA."""

    def test_gtube_is_refused(self):
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_mx(message("buy now", GTUBE))
        self.assertEqual(cm.exception.smtp_code, 550)
        text = cm.exception.smtp_error.decode()
        self.assertIn("5.7.1", text)
        self.assertIn("spam", text)
        self.assertIn("GTUBE", text)
        self.assertEqual(self.server.messages("alice@example.com"), [])
        # Clean mail still passes, with the DNSBL hit below the junk threshold.
        code, _ = self.send_mx(message("clean"))
        self.assertEqual(code, 250)


class VirusAndAttachmentTest(FilterBase):

    def test_clamd_has_our_signature(self):
        self.assertIn("Letterhead.Test.EICAR", self.clamd.instream(b"x " + EICAR))
        self.assertEqual(self.clamd.instream(b"nothing here"), "stream: OK")

    def test_eicar_refused_on_mx_and_submission(self):
        # As a base64 attachment: sent to clamd decoded, as a stream of its own.
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_mx(with_attachment("eicar file", "eicar.com.txt", EICAR))
        self.assertEqual(cm.exception.smtp_code, 554)
        self.assertIn(b"5.7.0", cm.exception.smtp_error)
        self.assertIn("Letterhead.Test.EICAR.UNOFFICIAL in message (part 2)", self.server.read_log())
        self.assertIn(b"Letterhead.Test.EICAR", cm.exception.smtp_error)
        # A uuencoded file inside plain text too.
        lines = [binascii.b2a_uu(EICAR[i:i + 45]).decode() for i in range(0, len(EICAR), 45)]
        uu = "see below\nbegin 644 eicar.com\n" + "".join(lines) + "`\nend\n"
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_mx(message("uuencoded", uu))
        self.assertEqual(cm.exception.smtp_code, 554)
        # A compromised account must not send malware out either.
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_submission(with_attachment("eicar file", "eicar.com.txt", EICAR))
        self.assertEqual(cm.exception.smtp_code, 554)
        self.assertEqual(self.server.messages("alice@example.com"), [])
        self.assertEqual(self.server.messages("bob@example.com"), [])
        # HTML goes to clamd (its phishing and script signatures; clamd normalises
        # HTML, so our raw-byte test signature does not match there).
        html = message("html")
        html.set_content("<html><body><p>Quarterly report</p></body></html>", subtype="html")
        self.assertEqual(self.send_mx(html)[0], 250)
        # Inline plain text alone is not sent to clamd under the default scan =
        # "attachments" (see VirusScanAllTest for "all").
        code, _ = self.send_mx(message("eicar as text", EICAR.decode()))
        self.assertEqual(code, 250)
        rows = self.server.wait_for_messages("alice@example.com", 2)
        verdicts = {}
        for row in rows:
            msg = email.message_from_bytes(self.server.message_bytes("alice@example.com", row["uid"]))
            verdicts[msg["Subject"]] = msg["X-Virus-Scanned"]
        self.assertEqual(verdicts, {"html": "clean (ClamAV)", "eicar as text": "not needed (plain text only)"})

    def test_clean_attachments_go_as_parts_and_the_rest_whole(self):
        """The mail-only signature matches the Subject only when clamd is sent the
        whole message: so a refusal says "whole", an acceptance "parts"."""
        subject = MAIL_MARKER.decode()
        # Plain text and a regular base64 attachment: only the attachment is sent.
        code, _ = self.send_mx(with_attachment(subject, "report.pdf", b"%PDF-1.4 quarterly"))
        self.assertEqual(code, 250)
        rows = self.server.wait_for_messages("alice@example.com", 1)
        data = self.server.message_bytes("alice@example.com", rows[0]["uid"])
        self.assertIn(b"X-Virus-Scanned: clean (ClamAV)\r\n", data)
        whole = {}
        # HTML beside the attachment: ClamAV's phishing checks need the mail.
        html = with_attachment(subject, "report.pdf", b"%PDF-1.4")
        html.get_payload()[0].set_content("<p>Quarterly report</p>", subtype="html")
        whole["html"] = html
        # Base64 with padding in the middle, which readers decode differently.
        odd = with_attachment(subject, "report.pdf", b"%PDF-1.4").as_bytes(policy=html.policy.clone(linesep="\r\n"))
        encoded = base64.b64encode(b"%PDF-1.4")
        self.assertIn(encoded, odd)
        whole["padding inside base64"] = odd.replace(encoded, b"JVBERg==" + base64.b64encode(b"MZ"))
        # A quoted-printable attachment.
        qp = message(subject)
        qp.add_attachment("plain words", subtype="csv", filename="list.csv", cte="quoted-printable")
        whole["quoted-printable"] = qp
        for name, msg in whole.items():
            with self.subTest(name):
                with self.assertRaises(smtplib.SMTPDataError) as cm:
                    self.send_mx(msg)
                self.assertEqual(cm.exception.smtp_code, 554)
                self.assertIn(b"Letterhead.Test.MailOnly", cm.exception.smtp_error)

    def test_clamd_stopped_gives_451(self):
        self.clamd.stop()
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_mx(with_attachment("while clamd is down", "report.pdf", b"%PDF-1.4"))
        self.assertEqual(cm.exception.smtp_code, 451)
        self.assertIn(b"4.7.0", cm.exception.smtp_error)
        self.clamd.start()
        code, _ = self.send_mx(with_attachment("after restart", "report.pdf", b"%PDF-1.4"))
        self.assertEqual(code, 250)

    def test_blocked_attachments(self):
        cases = {
            "exe": with_attachment("exe", "setup.exe", b"MZ\x90\x00"),
            "double": with_attachment("double", "invoice.pdf.exe", b"MZ\x90\x00"),
            "zip": with_attachment("zip", "documents.zip", zip_of({"readme.txt": b"hi", "bin/run.exe": b"MZ"}),
                                   "application", "zip"),
            "nested": with_attachment("nested", "outer.zip", zip_of({"inner.zip": zip_of({"x.scr": b"MZ"})}),
                                      "application", "zip"),
        }
        for name, msg in cases.items():
            with self.subTest(name):
                with self.assertRaises(smtplib.SMTPDataError) as cm:
                    self.send_mx(msg)
                self.assertEqual(cm.exception.smtp_code, 554)
                text = cm.exception.smtp_error.decode()
                self.assertIn("5.7.1", text)
                self.assertIn(msg.get_payload()[1].get_filename() if name != "zip" else "run.exe", text)
        # RFC 2231 name (non-ASCII): Python writes filename*=utf-8''...
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_mx(with_attachment("utf8", "发票.pdf.exe", b"MZ"))
        self.assertEqual(cm.exception.smtp_code, 554)
        self.assertIn(b"double extension", cm.exception.smtp_error)
        # On submission too.
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_submission(with_attachment("exe", "tool.exe", b"MZ"))
        self.assertEqual(cm.exception.smtp_code, 554)
        # Harmless files pass.
        code, _ = self.send_mx(with_attachment("fine", "report.pdf", b"%PDF-1.4"))
        self.assertEqual(code, 250)
        code, _ = self.send_mx(with_attachment("fine zip", "docs.zip", zip_of({"a.txt": b"a"}), "application", "zip"))
        self.assertEqual(code, 250)
        self.assertEqual(len(self.server.messages("alice@example.com")), 2)


class VirusAcceptOnFailureTest(FilterBase):
    antivirus_on_failure = "accept"

    def test_clamd_stopped_accepts_with_header(self):
        self.clamd.stop()
        code, text = self.send_mx(with_attachment("unscanned", "report.pdf", b"%PDF-1.4"))
        self.assertEqual(code, 250, text)
        rows = self.server.wait_for_messages("alice@example.com", 1)
        data = self.server.message_bytes("alice@example.com", rows[0]["uid"])
        self.assertIn(b"X-Virus-Scanned: no (scanner unavailable)\r\n", data)


class VirusSizeLimitTest(FilterBase):
    """clamd with StreamMaxLength 1M: what is larger cannot be scanned, and no retry
    would change that. Under the default on_failure it is refused for good."""

    clamd_stream_max = "1M"

    def padded(self, subject, html=False, qp=False):
        m = with_attachment(subject, "archive.bin", os.urandom(1536 * 1024))
        if html:
            m.get_payload()[0].set_content("<p>see the files</p>", subtype="html")
        if qp:
            m.add_attachment("a,b\n", subtype="csv", filename="list.csv", cte="quoted-printable")
        m.add_attachment(EICAR, maintype="application", subtype="octet-stream", filename="eicar.com.txt")
        return m

    def test_too_large_is_refused_and_small_files_beside_it_still_scanned(self):
        # One file over the limit: 552 5.3.4, not 451 for ever.
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_mx(with_attachment("big", "archive.bin", os.urandom(1536 * 1024)))
        self.assertEqual(cm.exception.smtp_code, 552)
        self.assertIn(b"5.3.4", cm.exception.smtp_error)
        self.assertIn("too large to scan: clamd: larger than its StreamMaxLength", self.server.read_log())
        # A large file as padding in front of a small infected one: the virus is what
        # the sender hears of, as parts, and with HTML (whole first, then leaf by leaf).
        for name, msg in {"parts": self.padded("padded"), "whole then parts": self.padded("html", html=True)}.items():
            with self.subTest(name):
                with self.assertRaises(smtplib.SMTPDataError) as cm:
                    self.send_mx(msg)
                self.assertEqual(cm.exception.smtp_code, 554)
                self.assertIn(b"Letterhead.Test.EICAR", cm.exception.smtp_error)
        # Not read plainly (a quoted-printable file): not split, so not scanned at all.
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_mx(self.padded("qp", qp=True))
        self.assertEqual(cm.exception.smtp_code, 552)
        self.assertEqual(self.server.messages("alice@example.com"), [])


class VirusSizeLimitAcceptTest(FilterBase):
    """The same clamd with on_failure = "accept": too large is accepted and says so."""

    clamd_stream_max = "1M"
    antivirus_on_failure = "accept"

    def test_too_large_is_tagged(self):
        code, _ = self.send_mx(with_attachment("big", "archive.bin", os.urandom(1536 * 1024)))
        self.assertEqual(code, 250)
        rows = self.server.wait_for_messages("alice@example.com", 1)
        data = self.server.message_bytes("alice@example.com", rows[0]["uid"])
        self.assertIn(b"X-Virus-Scanned: no (too large for the scanner)\r\n", data)
        # The virus behind a large file is still found.
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_mx(VirusSizeLimitTest.padded(self, "padded"))
        self.assertEqual(cm.exception.smtp_code, 554)


class VirusScanAllTest(FilterBase):
    antivirus_scan = "all"

    def test_plain_text_is_scanned_too(self):
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_mx(message("eicar", EICAR.decode()))
        self.assertEqual(cm.exception.smtp_code, 554)
        self.assertIn(b"Letterhead.Test.EICAR", cm.exception.smtp_error)
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_submission(message("eicar", EICAR.decode(), frm="alice@example.com"))
        self.assertEqual(cm.exception.smtp_code, 554)
        code, text = self.send_mx(message("clean", "Lunch tomorrow?"))
        self.assertEqual(code, 250, text)
        rows = self.server.wait_for_messages("alice@example.com", 1)
        data = self.server.message_bytes("alice@example.com", rows[0]["uid"])
        self.assertIn(b"X-Virus-Scanned: clean (ClamAV)\r\n", data)

    def test_messages_with_attachments_go_whole(self):
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_mx(with_attachment(MAIL_MARKER.decode(), "report.pdf", b"%PDF-1.4"))
        self.assertEqual(cm.exception.smtp_code, 554)
        self.assertIn(b"Letterhead.Test.MailOnly", cm.exception.smtp_error)


if __name__ == "__main__":
    harness.main()
