"""The organisation (issue 6 part A) end to end: the CLI sets up departments,
groups, roles and mail rules, then smtplib proves the effect on the wire and the
CLI reads the store back."""

import os
import smtplib
import ssl
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import PASSWORD  # noqa: E402


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def message(sender, to, subject="hi", body="hello"):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}\r\n").encode()


class OrgTest(harness.ServerTest):

    def setUp(self):
        super().setUp()
        cli = self.server.cli
        cli("department", "add", "Sales")
        cli("department", "add", "East", "--parent", "Sales")
        cli("department", "add", "HR")
        self.server.add_user("carol@example.com", name="Carol")
        self.server.add_user("dave@example.com", name="Dave")
        cli("user", "set", "alice@example.com", "--department", "Sales", "--title", "Head of Sales")
        cli("user", "set", "bob@example.com", "--department", "Sales/East", "--manager", "alice@example.com")
        cli("user", "set", "carol@example.com", "--department", "Sales/East")
        cli("user", "set", "dave@example.com", "--department", "HR")

    def submit(self, user=None):
        s = smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=30)
        s.ehlo("laptop.example")
        s.starttls(context=insecure())
        s.ehlo("laptop.example")
        if user:
            s.login(user, PASSWORD)
        return s

    def mx(self):
        s = smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30)
        s.ehlo("mx.other.example")
        return s

    def blob_files(self):
        root = os.path.join(self.server.data, "blobs")
        return sum(len(files) for _, _, files in os.walk(root))

    def test_department_list_reaches_sub_departments_with_one_blob(self):
        self.server.cli("group", "add", "sales@example.com", "--name", "销售部")
        self.server.cli("group", "add-member", "sales@example.com", "department:Sales")
        show = self.server.cli("group", "show", "sales@example.com").stdout.decode()
        for who in ("alice", "bob", "carol"):
            self.assertIn(f"reaches: {who}@example.com", show)
        self.assertNotIn("dave@example.com", show)
        before = self.blob_files()
        with self.mx() as s:
            self.assertEqual(s.sendmail("partner@other.example", ["sales@example.com"],
                                        message("partner@other.example", "sales@example.com")), {})
        blobs = set()
        for who in ("alice", "bob", "carol"):
            rows = self.server.wait_for_messages(f"{who}@example.com", 1)
            self.assertEqual(len(rows), 1, who)
            blobs.add(rows[0]["blob"])
        self.assertEqual(len(blobs), 1, "every member's copy names the same blob")
        self.assertEqual(self.blob_files() - before, 1, "one blob file for the whole list")
        self.assertEqual(self.server.messages("dave@example.com"), [])
        # A new member of a sub-department is on the list without touching it.
        self.server.cli("user", "set", "dave@example.com", "--department", "Sales/East")
        with self.mx() as s:
            s.sendmail("partner@other.example", ["sales@example.com"],
                       message("partner@other.example", "sales@example.com", "again"))
        self.assertEqual(len(self.server.wait_for_messages("dave@example.com", 1)), 1)

    def test_list_restricted_to_managers_refuses_others(self):
        self.server.cli("group", "add", "managers@example.com", "--policy", "roles", "--allow", "manager")
        self.server.cli("group", "add-member", "managers@example.com", "department:Sales", "dave@example.com")
        # Bob reports to Alice, so Alice is a manager; Carol is not.
        with self.submit("carol@example.com") as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
                s.sendmail("carol@example.com", ["managers@example.com"],
                           message("carol@example.com", "managers@example.com"))
            code, text = refused.exception.recipients["managers@example.com"]
            self.assertEqual(code, 550)
            self.assertTrue(text.startswith(b"5.7."), text)
            self.assertIn(b"not allowed to send to <managers@example.com>", text)
        with self.mx() as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused):
                s.sendmail("outsider@other.example", ["managers@example.com"], b"Subject: x\r\n\r\nx\r\n")
        with self.submit("alice@example.com") as s:
            self.assertEqual(s.sendmail("alice@example.com", ["managers@example.com"],
                                        message("alice@example.com", "managers@example.com")), {})
        self.assertEqual(len(self.server.wait_for_messages("dave@example.com", 1)), 1)

    def test_internal_only_account(self):
        self.server.cli("rule", "set", "carol@example.com", "--internal-only")
        self.assertIn("internal-only=yes", self.server.cli("rule", "list").stdout.decode())
        with self.submit("carol@example.com") as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
                s.sendmail("carol@example.com", ["someone@other.example"],
                           message("carol@example.com", "someone@other.example"))
            code, text = refused.exception.recipients["someone@other.example"]
            self.assertEqual(code, 550)
            self.assertTrue(text.startswith(b"5.7.1"), text)
            self.assertIn(b"only send mail inside the organisation", text)
            # Inside is fine.
            self.assertEqual(s.sendmail("carol@example.com", ["bob@example.com"],
                                        message("carol@example.com", "bob@example.com")), {})
        # And it receives nothing from outside.
        with self.mx() as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
                s.sendmail("x@other.example", ["carol@example.com"], b"Subject: x\r\n\r\nx\r\n")
            self.assertEqual(refused.exception.recipients["carol@example.com"][0], 550)
        # Allowed domains open a door.
        self.server.cli("rule", "set", "carol@example.com", "--allowed-domains", "partner.example")
        with self.submit("carol@example.com") as s:
            self.assertEqual(s.sendmail("carol@example.com", ["p@partner.example"],
                                        message("carol@example.com", "p@partner.example")), {})

    def test_role_rules_limit_recipients_and_size(self):
        self.server.cli("role", "grant", "bob@example.com", "intern")
        self.server.cli("rule", "set", "role:intern", "--max-recipients", "2", "--max-size", "2K")
        with self.submit("bob@example.com") as s:
            s.mail("bob@example.com")
            self.assertEqual(s.rcpt("alice@example.com")[0], 250)
            self.assertEqual(s.rcpt("carol@example.com")[0], 250)
            code, text = s.rcpt("dave@example.com")
            self.assertEqual(code, 452)
            self.assertTrue(text.startswith(b"4.5.3"), text)
            code, text = s.data(message("bob@example.com", "alice@example.com", body="x" * 4000))
            self.assertEqual(code, 552)
            self.assertTrue(text.startswith(b"5.3.4"), text)
            code, text = s.mail("bob@example.com", ["SIZE=5000"])
            self.assertEqual(code, 552)
        # Alice holds no such role.
        with self.submit("alice@example.com") as s:
            self.assertEqual(s.sendmail("alice@example.com", ["bob@example.com", "carol@example.com",
                                                              "dave@example.com"],
                                        message("alice@example.com", "all", body="x" * 4000)), {})

    def test_moderated_list_holds_until_approved(self):
        self.server.cli("group", "add", "announce@example.com", "--moderated", "--owners", "alice@example.com")
        self.server.cli("group", "add-member", "announce@example.com", "bob@example.com", "dave@example.com")
        with self.mx() as s:
            self.assertEqual(s.sendmail("news@other.example", ["announce@example.com"],
                                        message("news@other.example", "announce@example.com", "Big news")), {})
        self.assertEqual(self.server.messages("bob@example.com"), [])
        held = self.server.cli("group", "held").stdout.decode().strip().splitlines()
        self.assertEqual(len(held), 1)
        held_id = held[0].split("\t")[0]
        # The owner was told, with the command to approve.
        notice_rows = self.server.wait_for_messages("alice@example.com", 1)
        notice = self.server.message_bytes("alice@example.com", notice_rows[0]["uid"])
        self.assertIn(f"letterhead group approve {held_id}".encode(), notice)
        self.assertIn(b"Big news", notice)
        self.server.cli("group", "approve", held_id)
        for who in ("bob", "dave"):
            rows = self.server.wait_for_messages(f"{who}@example.com", 1)
            self.assertEqual(len(rows), 1)
            self.assertIn(b"Subject: Big news", self.server.message_bytes(f"{who}@example.com", rows[0]["uid"]))
        self.assertEqual(self.server.cli("group", "held").stdout.strip(), b"")
        # Rejected mail goes nowhere.
        with self.mx() as s:
            s.sendmail("spam@other.example", ["announce@example.com"],
                       message("spam@other.example", "announce@example.com", "Buy now"))
        held_id = self.server.cli("group", "held").stdout.decode().split("\t")[0]
        self.server.cli("group", "reject", held_id)
        self.assertEqual(len(self.server.messages("bob@example.com")), 1)
        audit = self.server.cli("group", "approve", held_id, check=False)
        self.assertNotEqual(audit.returncode, 0)

    def test_address_format_and_pinyin_search(self):
        cli = self.server.cli
        cli("domain", "set", "example.com", "--address-format", "first.last")
        out = cli("user", "add", "@example.com", "--name", "张伟", "--password-stdin",
                  input=(PASSWORD + "\n").encode()).stdout
        self.assertIn(b"zhang.wei@example.com", out)
        out = cli("user", "add", "@example.com", "--name", "张伟", "--password-stdin",
                  input=(PASSWORD + "\n").encode()).stdout
        self.assertIn(b"zhang.wei2@example.com", out)
        cli("user", "set", "zhang.wei@example.com", "--title", "销售经理", "--department", "Sales")
        for query in ("张伟", "zhangwei", "zw", "Zhang Wei"):
            found = cli("directory", "search", query).stdout.decode()
            self.assertIn("zhang.wei@example.com", found, query)
            self.assertIn("zhang.wei2@example.com", found, query)
        self.assertIn("销售经理", cli("directory", "search", "zw").stdout.decode())
        self.assertNotIn("zhang.wei", cli("directory", "search", "carol").stdout.decode())
        # The generated address receives mail.
        with self.submit("zhang.wei2@example.com") as s:
            self.assertEqual(s.sendmail("zhang.wei2@example.com", ["alice@example.com"],
                                        message("zhang.wei2@example.com", "alice@example.com")), {})

    def test_bad_input_and_audit(self):
        cli = self.server.cli
        r = cli("department", "move", "Sales", "Sales/East", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"cannot move under itself", r.stderr)
        r = cli("department", "remove", "Sales", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"sub-department", r.stderr)
        cli("group", "add", "a@example.com")
        cli("group", "add", "b@example.com")
        cli("group", "add-member", "a@example.com", "b@example.com")
        r = cli("group", "add-member", "b@example.com", "a@example.com", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"loop", r.stderr)
        r = cli("user", "set", "alice@example.com", "--name", "Ali\x1bce", check=False)
        self.assertNotEqual(r.returncode, 0)
        r = cli("user", "set", "alice@example.com", "--manager", "bob@example.com", check=False)
        self.assertNotEqual(r.returncode, 0)  # bob reports to alice
        r = cli("role", "grant", "alice@example.com", "department-admin", check=False)
        self.assertNotEqual(r.returncode, 0)
        cli("role", "grant", "alice@example.com", "department-admin", "--department", "Sales")
        self.assertIn("department-admin", cli("role", "list").stdout.decode())
        cli("department", "remove", "HR", "--move-to", "Sales")
        self.assertNotIn("HR", cli("department", "list").stdout.decode())


if __name__ == "__main__":
    harness.main()
