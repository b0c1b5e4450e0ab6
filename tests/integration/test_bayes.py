"""The Bayesian classifier end to end, against the real binary: a fresh
installation is trained only through imaplib (UID MOVE and COPY into \\Junk, MOVE
back out), with small minimum counts; then new spam-like mail (Chinese and English)
sent over SMTP lands in Junk and ham-like mail in INBOX, for the user and (through
the company's tables) for a colleague who trained nothing; moving a message back out
of Junk reverses its effect; moving Junk to Trash is no verdict."""

import email.header
import email.utils
import imaplib
import os
import random
import re
import smtplib
import ssl
import sys
import time
import unittest
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD, Server  # noqa: E402

MIN = 6  # bayes_min_spam and bayes_min_ham

SPAM_WORDS = ("免费 发票 代开 优惠 中奖 点击 领取 现金 贷款 cheap pills viagra casino "
              "winner prize claim bitcoin offer discount unsubscribe urgent").split()
HAM_WORDS = ("meeting agenda quarterly report budget review project schedule minutes "
             "deadline draft customer contract invoice team lunch thanks regards").split()


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def message(subject, body, to="alice@example.com", frm="Sender <someone@partner.example>"):
    m = EmailMessage()
    m["From"] = frm
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate()
    m["Message-ID"] = email.utils.make_msgid(domain="partner.example")
    m.set_content(body)
    return m


def text(rng, words, n=25):
    return " ".join(rng.choice(words) for _ in range(n))


class BayesCase(unittest.TestCase):
    """A server whose spam score is Bayes alone, and the helpers the tests share."""

    def setUp(self):
        # Bayes alone decides: BAYES_95/99 reach the junk score, nothing else does.
        config = ('[smtp]\nallow_plaintext_auth_on_loopback = true\n'
                  f'[spam]\njunk_score = 4\nreject_score = 0\nbayes_min_spam = {MIN}\nbayes_min_ham = {MIN}\n'
                  '[spam.rules]\nBAYES_95 = 5\nBAYES_99 = 5\n')
        self.server = Server(config, listen=("smtp", "imaps"))
        self.server.cli("domain", "add", "example.com")
        self.server.add_user("alice@example.com")
        self.server.add_user("bob@example.com")
        self.server.start()
        self.rng = random.Random(5)

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])

    def send(self, msg, to=("alice@example.com",)):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=60) as s:
            s.ehlo("mail.partner.example")
            s.mail("someone@partner.example")
            for r in to:
                s.rcpt(r)
            code, reply = s.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
            self.assertEqual(code, 250, reply)

    def imap(self, user="alice@example.com"):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure(), timeout=30)
        m.login(user, PASSWORD)
        return m

    def subjects(self, mailbox, user="alice@example.com"):
        m = self.imap(user)
        try:
            typ, _ = m.select(mailbox, readonly=True)
            self.assertEqual(typ, "OK")
            typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            out = []
            for part in data:
                if isinstance(part, tuple):
                    raw = part[1].decode().split(":", 1)[1].strip()
                    out.append(str(email.header.make_header(email.header.decode_header(raw))))
            return out
        finally:
            m.logout()

    def uids_by_subject(self, m, prefix):
        typ, data = m.uid("SEARCH", "SUBJECT", prefix)
        self.assertEqual(typ, "OK")
        return data[0].decode().split()

    def trained(self):
        return len(re.findall(r"bayes: (?:re)?trained ", self.server.read_log()))

    def wait_trained(self, count, timeout=20):
        deadline = time.time() + timeout
        while self.trained() < count:
            if time.time() > deadline:
                self.fail(f"training did not reach {count}: {self.trained()}\n{self.server.read_log()[-3000:]}")
            time.sleep(0.1)

    def wait_inbox(self, user, count, timeout=20):
        deadline = time.time() + timeout
        while len(self.server.messages(user)) + len(self.server.messages(user, "Junk")) < count:
            if time.time() > deadline:
                self.fail("mail did not arrive")
            time.sleep(0.1)



class BayesTest(BayesCase):
    def test_train_through_imap_then_classify_and_reverse(self):
        rng = self.rng
        # Untrained, spam-like mail goes to INBOX: Bayes does not vote yet.
        self.send(message("probe0 特价优惠", text(rng, SPAM_WORDS)))
        # Training material arrives (all in INBOX).
        for i in range(MIN):
            self.send(message(f"spam{i} 免费领取", text(rng, SPAM_WORDS)))
        for i in range(MIN):
            self.send(message(f"ham{i} weekly", text(rng, HAM_WORDS)))
        self.wait_inbox("alice@example.com", 1 + 2 * MIN)
        self.assertEqual(len(self.server.messages("alice@example.com", "Junk")), 0)

        m = self.imap()
        try:
            self.assertEqual(m.select("INBOX")[0], "OK")
            spam = [u for i in range(MIN) for u in self.uids_by_subject(m, f"spam{i}")]
            ham = [u for i in range(MIN) for u in self.uids_by_subject(m, f"ham{i}")]
            self.assertEqual((len(spam), len(ham)), (MIN, MIN))
            # UID COPY of one, UID MOVE of the rest: both say spam.
            self.assertEqual(m.uid("COPY", spam[0], "Junk")[0], "OK")
            self.assertEqual(m.uid("MOVE", ",".join(spam[1:]), "Junk")[0], "OK")
            # Ham is learnt when it leaves Junk: filed there by mistake, then moved back.
            self.assertEqual(m.uid("MOVE", ",".join(ham), "Junk")[0], "OK")
            self.wait_trained(2 * MIN)
            self.assertEqual(m.select("Junk")[0], "OK")
            back = [u for i in range(MIN) for u in self.uids_by_subject(m, f"ham{i}")]
            self.assertEqual(len(back), MIN)
            self.assertEqual(m.uid("MOVE", ",".join(back), "INBOX")[0], "OK")
            self.wait_trained(3 * MIN)
        finally:
            m.logout()
        log = self.server.read_log()
        self.assertEqual(len(re.findall(r"bayes: retrained \S+ as ham for alice@example.com", log)), MIN, log[-3000:])

        # Trained: spam-like mail to Junk (Chinese-only too), ham-like mail to INBOX.
        self.send(message("probe1 限时优惠", text(rng, SPAM_WORDS)))
        self.send(message("probe2 中奖通知", "恭喜您中奖了！免费领取现金，点击链接领取优惠，代开发票，贷款"))
        self.send(message("probe3 status", text(rng, HAM_WORDS)))
        self.wait_inbox("alice@example.com", 1 + 2 * MIN + 3 + 1)  # +1: the COPY's original in INBOX
        junk = self.subjects("Junk")
        inbox = self.subjects("INBOX")
        self.assertTrue(any(s.startswith("probe1") for s in junk), (junk, inbox))
        self.assertTrue(any("probe2" in s for s in junk), (junk, inbox, self.server.read_log()[-2000:]))
        self.assertTrue(any(s.startswith("probe3") for s in inbox), (junk, inbox))
        data = [self.server.message_bytes("alice@example.com", r["uid"], "Junk")
                for r in self.server.messages("alice@example.com", "Junk")]
        self.assertTrue(any(b"BAYES_99" in d or b"BAYES_95" in d for d in data))

        # Bob trained nothing: the company's tables (alice's training) judge his mail.
        self.send(message("probe4 免费优惠", text(rng, SPAM_WORDS), to="bob@example.com"), to=("bob@example.com",))
        self.send(message("probe5 agenda", text(rng, HAM_WORDS), to="bob@example.com"), to=("bob@example.com",))
        self.wait_inbox("bob@example.com", 2)
        self.assertIn("probe4", " ".join(self.subjects("Junk", "bob@example.com")))
        self.assertIn("probe5", " ".join(self.subjects("INBOX", "bob@example.com")))

        # Moving Junk into Trash is no verdict; moving a spam back out of Junk is:
        # alice's spam count falls below the minimum and Bayes stops voting for her.
        m = self.imap()
        try:
            self.assertEqual(m.select("Junk")[0], "OK")
            p1 = self.uids_by_subject(m, "probe1")
            self.assertEqual(m.uid("MOVE", p1[0], "Trash")[0], "OK")
            s0 = self.uids_by_subject(m, "spam1")
            before = self.trained()
            self.assertEqual(m.uid("MOVE", s0[0], "INBOX")[0], "OK")
            self.wait_trained(before + 1)
            time.sleep(0.5)
            self.assertEqual(self.trained(), before + 1)  # the Trash move trained nothing
        finally:
            m.logout()
        self.assertEqual(len(re.findall(r"bayes: retrained \S+ as ham for alice@example.com",
                                        self.server.read_log())), MIN + 1)
        # Alice's and the company's spam totals are MIN-1 now: no table may vote, and
        # spam-like mail stays in INBOX again.
        self.send(message("probe6 免费中奖", text(rng, SPAM_WORDS)))
        deadline = time.time() + 20
        while not any("probe6" in s for s in self.subjects("INBOX") + self.subjects("Junk")):
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)
        self.assertIn("probe6", " ".join(self.subjects("INBOX")))


class CompanyShareTest(BayesCase):
    """One user's Junk moves count in the company's tables only up to their share
    ([spam] bayes_company_share and bayes_company_floor): a stolen or malicious
    account moving a customer's ordinary mail into Junk teaches its own tables all
    of it and the company's only its share. share = 1 lifts the limit (the control:
    the same moves all count)."""

    SHARE = None  # the server's default, 0.25
    # The company's spam total starts at 0: her first two moves are within the floor
    # (2); then she has 2 of its 2, more than a quarter, and the other six count for
    # her alone.
    COUNTED = 2

    def setUp(self):
        share = "" if self.SHARE is None else f"bayes_company_share = {self.SHARE}\n"
        config = ('[smtp]\nallow_plaintext_auth_on_loopback = true\n'
                  f'[spam]\njunk_score = 4\nreject_score = 0\nbayes_min_spam = {MIN}\nbayes_min_ham = {MIN}\n'
                  f'bayes_company_floor = 2\n{share}')
        self.server = Server(config, listen=("smtp", "imaps"))
        self.server.cli("domain", "add", "example.com")
        self.server.add_user("alice@example.com")
        self.server.start()
        self.rng = random.Random(7)

    def moves_counted_for_the_company(self):
        for i in range(8):
            self.send(message(f"order{i} confirmation", text(self.rng, HAM_WORDS)))
        self.wait_inbox("alice@example.com", 8)
        m = self.imap()
        try:
            self.assertEqual(m.select("INBOX")[0], "OK")
            uids = [u for i in range(8) for u in self.uids_by_subject(m, f"order{i}")]
            self.assertEqual(len(uids), 8)
            # One at a time, so that each move is one training in this order.
            for n, uid in enumerate(uids, 1):
                self.assertEqual(m.uid("MOVE", uid, "Junk")[0], "OK")
                self.wait_trained(n)
        finally:
            m.logout()
        log = self.server.read_log()
        self.assertEqual(len(re.findall(r"bayes: trained \S+ as spam for alice@example.com", log)), 8, log[-3000:])
        return 8 - len(re.findall(r"bayes: trained \S+ as spam for alice@example.com \(not for the company", log))

    def test_moves_count_for_the_company_up_to_the_share(self):
        self.assertEqual(self.moves_counted_for_the_company(), self.COUNTED)


class CompanyShareLiftedTest(CompanyShareTest):
    SHARE = 1
    COUNTED = 8


if __name__ == "__main__":
    harness.main()
