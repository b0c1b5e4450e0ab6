"""The [spam] rspamd option against a real rspamd (Debian's package), started here
in the foreground on a loopback port with a minimal configuration of our own in a
temporary directory (no redis, no Lua rules, a three-entry TLD list so that it
starts in seconds): rspamd detects GTUBE itself and answers "reject" with score 15.
Our own GTUBE rule is weighed 0 here, so whatever happens is rspamd's doing."""

import email.utils
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import Server  # noqa: E402

RSPAMD = "/usr/bin/rspamd"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


class Rspamd:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="letterhead-rspamd-")
        os.chmod(self.dir, 0o755)
        self.port = harness.free_port()
        self.proc = None
        with open(os.path.join(self.dir, "tld.dat"), "w") as f:
            f.write("com\norg\nexample\n")
        self.conf = os.path.join(self.dir, "rspamd.conf")
        with open(self.conf, "w") as f:
            f.write(f'options {{\n  pidfile = "{self.dir}/rspamd.pid";\n  dbdir = "{self.dir}";\n'
                    f'  tempdir = "{self.dir}";\n  filters = "";\n  url_tld = "{self.dir}/tld.dat";\n'
                    f'  dns {{ nameserver = ["127.0.0.1:9"]; timeout = 1s; retransmits = 1; }}\n}}\n'
                    f'logging {{ type = "file"; filename = "{self.dir}/rspamd.log"; level = "info"; }}\n'
                    f'worker "normal" {{ bind_socket = "127.0.0.1:{self.port}"; count = 1; }}\n'
                    f'actions {{ reject = 15; add_header = 6; greylist = 4; }}\n')

    def start(self):
        # -i: we may be root here; the workers then keep our (test) privileges.
        self.proc = subprocess.Popen([RSPAMD, "-f", "-i", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 180
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("rspamd exited:\n" + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise AssertionError("rspamd did not listen:\n" + self.log())
            time.sleep(0.2)
        return self

    def check(self, data):
        """Our own request with urllib: rspamd really scores GTUBE."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/checkv2", data=data, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            import json
            return json.load(r)

    def log(self):
        try:
            with open(os.path.join(self.dir, "rspamd.log")) as f:
                return f.read()[-4000:]
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


def message(subject, body):
    m = EmailMessage()
    m["From"] = "Zhang Wei <zhang@partner.example>"
    m["To"] = "alice@example.com"
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate()
    m["Message-ID"] = email.utils.make_msgid(domain="partner.example")
    m.set_content(body)
    return m.as_bytes(policy=m.policy.clone(linesep="\r\n"))


class RspamdBase(unittest.TestCase):
    spam_config = ""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(RSPAMD):
            raise unittest.SkipTest("rspamd is not installed")
        cls.rspamd = Rspamd().start()

    @classmethod
    def tearDownClass(cls):
        cls.rspamd.cleanup()

    def setUp(self):
        if self.rspamd.proc is None:
            self.rspamd.start()
        config = (f'[spam]\nrspamd = "http://127.0.0.1:{self.rspamd.port}"\nrspamd_timeout = "20s"\n'
                  f'{self.spam_config}\n[spam.rules]\nGTUBE = 0\n')
        self.server = Server(config, listen=("smtp",))
        self.server.cli("domain", "add", "example.com")
        self.server.add_user("alice@example.com")
        self.server.start()

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])

    def send(self, data):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=60) as s:
            s.ehlo("mail.partner.example")
            s.mail("zhang@partner.example")
            s.rcpt("alice@example.com")
            return s.data(data)


class RspamdScoreTest(RspamdBase):
    spam_config = "reject_score = 0\n"

    def test_rspamd_itself_sees_gtube(self):
        r = self.rspamd.check(message("gtube", GTUBE))
        self.assertEqual(r["action"], "reject")
        self.assertIn("GTUBE", r["symbols"])

    def test_rspamd_score_files_into_junk(self):
        code, text = self.send(message("gtube", GTUBE))
        self.assertEqual(code, 250, text)
        code, text = self.send(message("clean", "Lunch tomorrow?"))
        self.assertEqual(code, 250, text)
        deadline = time.time() + 20
        while len(self.server.messages("alice@example.com")) + \
                len(self.server.messages("alice@example.com", "Junk")) < 2:
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)
        junk = self.server.messages("alice@example.com", "Junk")
        inbox = self.server.messages("alice@example.com")
        self.assertEqual((len(junk), len(inbox)), (1, 1))
        spam = self.server.message_bytes("alice@example.com", junk[0]["uid"], "Junk").decode()
        self.assertIn("X-Spam-Status: Yes, score=", spam)
        self.assertRegex(spam, r"RSPAMD=15(\.0+)?\[score=15\.00_action=reject\]")
        ham = self.server.message_bytes("alice@example.com", inbox[0]["uid"]).decode()
        self.assertNotIn("RSPAMD", ham)
        # rspamd saw our envelope (IP, From and Rcpt request headers) in its task log.
        deadline = time.time() + 10
        while "rcpts: <alice@example.com" not in self.rspamd.log():
            self.assertLess(time.time(), deadline, self.rspamd.log())
            time.sleep(0.2)
        self.assertIn("from: <zhang@partner.example>", self.rspamd.log())
        self.assertIn("ip: 127.0.0.1", self.rspamd.log())

    def test_rspamd_down_mail_goes_on_and_is_logged_once(self):
        self.rspamd.stop()
        try:
            for i in range(3):
                code, text = self.send(message(f"m{i}", "Hello."))
                self.assertEqual(code, 250, text)
            log = self.server.read_log()
            self.assertEqual(len(re.findall(r"rspamd: .*scoring goes on without it", log)), 1, log[-3000:])
        finally:
            self.rspamd.start()
        code, text = self.send(message("back", "Hello again."))
        self.assertEqual(code, 250, text)
        self.assertIn("rspamd answers again", self.server.read_log())


class RspamdRejectTest(RspamdBase):
    spam_config = "rspamd_reject = true\n"

    def test_rspamd_reject_refuses_at_data(self):
        code, text = self.send(message("gtube", GTUBE))
        self.assertEqual(code, 550, text)
        self.assertIn(b"RSPAMD_REJECT", text)
        code, text = self.send(message("clean", "Lunch tomorrow?"))
        self.assertEqual(code, 250, text)


if __name__ == "__main__":
    harness.main()
