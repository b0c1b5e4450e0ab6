#!/usr/bin/python3
"""The admin API over HTTPS (issue 6): admin logins with password and TOTP (codes
from Debian's oathtool), the session cookie's flags, CSRF tokens, bearer tokens,
scoping by role (a department admin sees only their department), bounded JSON,
the audit log through the API and `letterhead audit`, and the effects of API
operations proved over the mail protocols (a user made through the API logs in
over IMAP; an offboarded user cannot, while their mail still arrives)."""

import imaplib
import json
import re
import smtplib
import ssl
import subprocess
import time
import unittest

import harness

LISTEN = ("smtp", "submission", "imaps", "http", "https")
PASSWORD = harness.PASSWORD


def oathtool(secret, offset=0):
    args = ["oathtool", "--totp", "-b", secret]
    if offset:
        args += ["-N", f"now + {offset} seconds"]
    return subprocess.run(args, capture_output=True, check=True, timeout=10).stdout.decode().strip()


class Client:
    """A browser-like client: keeps the session cookie and the CSRF token."""

    def __init__(self, test, scheme="https"):
        self.test = test
        self.scheme = scheme
        self.cookie = None
        self.csrf = None
        self.bearer = None

    def request(self, method, path, body=None, raw=None, csrf=True, headers=None):
        import http.client
        port = self.test.server.ports[self.scheme]
        if self.scheme == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        h = dict(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            h["Content-Type"] = "application/json"
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.bearer:
            h["Authorization"] = "Bearer " + self.bearer
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        payload = r.read()
        status, hdrs = r.status, r.getheaders()
        conn.close()
        try:
            doc = json.loads(payload) if payload else None
        except ValueError:
            doc = payload
        return status, dict((k.lower(), v) for k, v in hdrs), doc

    def login(self, address, password=PASSWORD, totp=None, bearer=False):
        body = {"address": address, "password": password}
        if totp is not None:
            body["totp"] = totp
        if bearer:
            body["bearer"] = True
        status, headers, doc = self.request("POST", "/api/v1/session", body)
        if status == 200:
            if bearer:
                self.bearer = doc["token"]
            else:
                self.cookie = headers["set-cookie"].split(";")[0]
                self.csrf = doc["csrf_token"]
        return status, headers, doc


class AdminApiTest(unittest.TestCase):

    def setUp(self):
        config = "[security]\nmax_failures_per_account = 5\nmax_delay_ms = 1000\n"
        if self._testMethodName == "test_login_delays_hold_no_worker_thread":
            # Long delays, no blocks, and a blocking pool that sleeping threads would fill.
            config = ("[security]\nmax_failures_per_account = 100\nmax_failures_per_ip = 100\n"
                      "max_delay_ms = 4000\n[runtime]\nblocking_threads = 2\n")
        if self._testMethodName == "test_queue_entries_through_the_api":
            # Outside mail that cannot leave: no DNS answers (a discard port), long retries.
            config += ("[smtp]\nallow_plaintext_auth_on_loopback = true\n[dns]\nservers = [\"127.0.0.1:9\"]\n"
                       "timeout = 1\n[queue]\nretry_intervals = [\"1h\"]\n")
        self.server = harness.Server(config, listen=LISTEN)
        cli = self.server.cli
        cli("domain", "add", "example.com")
        cli("domain", "add", "other.org")
        for u in ("root", "alice", "bob", "carol", "dave"):
            self.server.add_user(f"{u}@example.com")
        self.server.add_user("erin@other.org")
        cli("role", "grant", "root@example.com", "super-admin")
        cli("department", "add", "Sales")
        cli("department", "add", "East", "--parent", "Sales")
        cli("department", "add", "HR")
        cli("user", "set", "bob@example.com", "--department", "Sales/East")
        cli("user", "set", "carol@example.com", "--department", "HR")
        cli("user", "set", "dave@example.com", "--department", "Sales")
        self.server.start()
        self.secrets = {}

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, log[-3000:])
        # No secret ever reaches the log.
        self.assertNotIn(PASSWORD, log)
        for s in self.secrets.values():
            self.assertNotIn(s, log)

    def enrol(self, address):
        out = self.server.cli("user", "totp", "enable", address).stdout.decode()
        self.secrets[address] = re.search(r"^secret: ([A-Z2-7]+)$", out, re.M).group(1)
        return self.secrets[address]

    def admin(self, address="root@example.com", bearer=False):
        secret = self.secrets.get(address) or self.enrol(address)
        c = Client(self)
        status, _, doc = c.login(address, totp=oathtool(secret), bearer=bearer)
        if status != 200:
            # The code of this 30 s step was used by an earlier login: the next step's
            # code is inside the accepted window and fresh.
            status, _, doc = c.login(address, totp=oathtool(secret, 30), bearer=bearer)
        self.assertEqual(status, 200, doc)
        return c

    def test_queue_entries_through_the_api(self):
        """`letterhead queue show|hold|release|retry|remove` as admin API calls: the
        entry's details, each change visible in the CLI's view and in the audit log,
        404 for an unknown entry, and nothing for a non-super admin."""
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=30) as smtp:
            smtp.login("alice@example.com", PASSWORD)
            smtp.sendmail("alice@example.com", ["someone@remote.test"],
                          "From: alice@example.com\r\nTo: someone@remote.test\r\nSubject: q\r\n\r\nhi\r\n")
        c = self.admin()
        deadline = time.time() + 20
        queue = []
        while time.time() < deadline:
            status, _, doc = c.request("GET", "/api/v1/queue")
            self.assertEqual(status, 200, doc)
            queue = doc["queue"]
            if queue and queue[0]["attempts"] > 0:
                break
            time.sleep(0.3)
        self.assertEqual(len(queue), 1, queue)
        eid = queue[0]["id"]
        status, _, entry = c.request("GET", f"/api/v1/queue/{eid}")
        self.assertEqual(status, 200, entry)
        self.assertEqual(entry["mail_from"], "alice@example.com")
        self.assertEqual(entry["auth_account"], "alice@example.com")
        self.assertEqual(entry["recipients"][0]["address"], "someone@remote.test")
        self.assertEqual(entry["recipients"][0]["state"], "pending")
        self.assertTrue(entry["recipients"][0]["last_reply"], entry)  # why it waits
        self.assertGreater(entry["size"], 0)

        def cli_held():
            out = self.server.cli("queue", "show", str(eid)).stdout.decode()
            return re.search(r"held:\s*(\S+)", out).group(1)

        self.assertEqual(c.request("POST", f"/api/v1/queue/{eid}/hold")[0], 200)
        self.assertTrue(c.request("GET", f"/api/v1/queue/{eid}")[2]["held"])
        self.assertIn(cli_held(), ("yes", "true", "1"))
        self.assertEqual(c.request("POST", f"/api/v1/queue/{eid}/release")[0], 200)
        self.assertFalse(c.request("GET", f"/api/v1/queue/{eid}")[2]["held"])
        before = c.request("GET", f"/api/v1/queue/{eid}")[2]["next_attempt"]
        self.assertEqual(c.request("POST", f"/api/v1/queue/{eid}/retry")[0], 200)
        self.assertLessEqual(c.request("GET", f"/api/v1/queue/{eid}")[2]["next_attempt"], before)
        self.assertEqual(c.request("POST", f"/api/v1/queue/{eid}/bounce")[0], 404)
        self.assertEqual(c.request("GET", "/api/v1/queue/abc")[0], 404)
        self.assertEqual(c.request("GET", f"/api/v1/queue/{eid + 1000}")[0], 404)

        # Not a super admin: refused, the entry untouched.
        self.server.cli("role", "grant", "bob@example.com", "domain-admin", "--domain", "example.com")
        bob = self.admin("bob@example.com")
        self.assertEqual(bob.request("DELETE", f"/api/v1/queue/{eid}")[0], 403)

        self.assertEqual(c.request("DELETE", f"/api/v1/queue/{eid}")[0], 200)
        self.assertEqual(c.request("GET", f"/api/v1/queue/{eid}")[0], 404)
        self.assertEqual(c.request("GET", "/api/v1/queue")[2]["queue"], [])
        audit = self.server.cli("audit").stdout.decode()
        for action in ("queue.hold", "queue.release", "queue.retry", "queue.remove"):
            self.assertRegex(audit, rf"root@example\.com\s.*{action}\s.*{eid}")

    def test_openapi_document_matches_the_routes(self):
        """docs/admin-api.yaml is valid YAML of OpenAPI 3 shape, and every path and
        method it documents is served (401 without a session, not 404 or 405)."""
        import os
        import yaml
        doc_path = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "admin-api.yaml")
        with open(doc_path) as f:
            spec = yaml.safe_load(f)
        self.assertTrue(spec["openapi"].startswith("3."))
        self.assertIn("title", spec["info"])
        samples = {"{address}": "alice@example.com", "{name}": "example.com", "{department}": "Sales",
                   "{group}": "board@example.com", "{member}": "bob@example.com", "{id}": "1",
                   "{ip}": "192.0.2.1", "{alias}": "sales@example.com"}
        c = Client(self)
        checked = 0
        for path, ops in spec["paths"].items():
            url = path
            for k, v in samples.items():
                url = url.replace(k, v)
            self.assertNotIn("{", url, path)
            for method in ops:
                if method not in ("get", "post", "put", "delete"):
                    continue
                status, _, _ = c.request(method.upper(), url)
                expected = 400 if (path, method) == ("/api/v1/session", "post") else 401
                self.assertEqual(status, expected, f"{method.upper()} {path}")
                checked += 1
        self.assertGreater(checked, 40)

    def test_login_needs_admin_role_password_and_totp(self):
        c = Client(self)
        status, _, doc = c.login("alice@example.com")
        self.assertEqual(status, 401)
        # Said like a wrong password: the answer does not confirm a right one.
        self.assertEqual(doc["error"]["message"], "invalid credentials")
        # A super admin without TOTP is told to enrol; with TOTP, a code is needed.
        status, _, doc = c.login("root@example.com")
        self.assertEqual(status, 401)
        self.assertIn("two-factor", doc["error"]["message"])
        secret = self.enrol("root@example.com")
        status, _, doc = c.login("root@example.com")
        self.assertEqual(status, 401)
        status, _, _ = c.login("root@example.com", password="wrong password", totp=oathtool(secret))
        self.assertEqual(status, 401)
        status, _, _ = c.login("root@example.com", totp="000000" if oathtool(secret) != "000000" else "111111")
        self.assertEqual(status, 401)
        # One code for the login and its replay: computed twice, the two calls could
        # fall on both sides of a 30 s step and the "replay" be a fresh code.
        code = oathtool(secret)
        status, headers, doc = c.login("root@example.com", totp=code)
        self.assertEqual(status, 200, doc)
        cookie = headers["set-cookie"]
        self.assertTrue(cookie.startswith("__Host-lh_admin="), cookie)
        for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/;"):
            self.assertIn(flag, cookie)
        self.assertNotIn("token", doc)  # a cookie session does not show its token to scripts
        self.assertEqual(doc["account"], "root@example.com")
        self.assertEqual(doc["roles"], [{"role": "super-admin"}])
        # The same code cannot log in twice (RFC 6238 §5.2).
        replay = Client(self)
        status, _, _ = replay.login("root@example.com", totp=code)
        self.assertEqual(status, 401)
        status, _, doc = c.request("GET", "/api/v1/session")
        self.assertEqual((status, doc["account"]), (200, "root@example.com"))
        self.assertEqual(doc["csrf_token"], c.csrf)
        # Logging out ends the session.
        status, _, _ = c.request("DELETE", "/api/v1/session")
        self.assertEqual(status, 200)
        status, _, _ = c.request("GET", "/api/v1/session")
        self.assertEqual(status, 401)

    def test_https_only_forged_sessions_and_csrf(self):
        plain = Client(self, scheme="http")
        status, _, doc = plain.request("POST", "/api/v1/session", {"address": "root@example.com",
                                                                    "password": PASSWORD})
        self.assertEqual(status, 403)
        self.assertIn("HTTPS", doc["error"]["message"])
        forged = Client(self)
        forged.cookie = "__Host-lh_admin=" + "A" * 43
        self.assertEqual(forged.request("GET", "/api/v1/users")[0], 401)
        forged.cookie = "__Host-lh_admin=garbage"
        self.assertEqual(forged.request("GET", "/api/v1/users")[0], 401)
        self.assertEqual(Client(self).request("GET", "/api/v1/users")[0], 401)

        c = self.admin()
        new_user = {"address": "frank@example.com", "password": "Correct-Horse-42", "display_name": "Frank"}
        status, _, doc = c.request("POST", "/api/v1/users", new_user, csrf=False)
        self.assertEqual(status, 403)
        self.assertIn("CSRF", doc["error"]["message"])
        status, _, doc = c.request("POST", "/api/v1/users", new_user, csrf=False,
                                   headers={"X-CSRF-Token": "x" * 43})
        self.assertEqual(status, 403)
        status, _, doc = c.request("POST", "/api/v1/users", new_user)
        self.assertEqual(status, 201, doc)
        self.assertEqual(doc["address"], "frank@example.com")
        # The account made through the API is a real account: IMAP login works.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=ctx)
        imap.login("frank@example.com", "Correct-Horse-42")
        imap.logout()
        # A weak password is refused by the domain's policy, the same as in the CLI.
        status, _, doc = c.request("POST", "/api/v1/users", {"address": "gina@example.com", "password": "123456"})
        self.assertEqual(status, 400, doc)

    def test_bearer_token_needs_no_csrf(self):
        c = self.admin(bearer=True)
        self.assertIsNone(c.cookie)
        status, _, doc = c.request("PUT", "/api/v1/users/alice@example.com/quota", {"bytes": 1048576})
        self.assertEqual(status, 200, doc)
        out = self.server.cli("user", "quota", "alice@example.com").stdout.decode()
        self.assertIn("quota 1048576", out)

    def test_bad_json_is_refused_with_clear_errors(self):
        c = self.admin()
        status, _, doc = c.request("POST", "/api/v1/users", raw=b"{not json")
        self.assertEqual(status, 400)
        self.assertIn("malformed", doc["error"]["message"])
        status, _, doc = c.request("POST", "/api/v1/users", raw=b"[" * 50 + b"]" * 50)
        self.assertEqual(status, 400)
        status, _, doc = c.request("POST", "/api/v1/users", raw=b'{"address": "' + b"a" * 70000 + b'"}')
        self.assertIn(status, (413,))
        status, _, doc = c.request("POST", "/api/v1/users", {"address": 7})
        self.assertEqual(status, 400)
        self.assertIn("address", doc["error"]["message"])
        status, _, doc = c.request("POST", "/api/v1/users", {"address": "bad\u0001name@example.com",
                                                            "password": "Correct-Horse-42"})
        self.assertEqual(status, 400)
        status, _, _ = c.request("GET", "/api/v1/users/nobody@example.com")
        self.assertEqual(status, 404)
        status, _, _ = c.request("POST", "/api/v1/departments", {"name": "East", "parent": "Sales"})
        self.assertEqual(status, 409)
        # Nothing half-applied: the failed requests left no account behind.
        status, _, doc = c.request("GET", "/api/v1/users?domain=example.com")
        self.assertEqual(sorted(u["address"] for u in doc["users"]),
                         [f"{u}@example.com" for u in ("alice", "bob", "carol", "dave", "root")])

    def test_department_admin_is_scoped_to_their_department(self):
        self.server.cli("role", "grant", "alice@example.com", "department-admin", "--department", "Sales")
        c = self.admin("alice@example.com")
        status, _, doc = c.request("GET", "/api/v1/users")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(u["address"] for u in doc["users"]), ["bob@example.com", "dave@example.com"])
        status, _, doc = c.request("GET", "/api/v1/users/bob@example.com")
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["address"], "bob@example.com")
        # Outside her department an account is answered exactly as a missing one.
        missing = c.request("GET", "/api/v1/users/nobody@example.com")
        self.assertEqual(missing[0], 404)
        for method, path in (("GET", ""), ("POST", "/freeze"), ("DELETE", "")):
            status, _, doc = c.request(method, "/api/v1/users/carol@example.com" + path)
            self.assertEqual((status, doc), (404, missing[2]), (method, path))
        status, _, _ = c.request("PUT", "/api/v1/users/bob@example.com/profile", {"title": "销售代表"})
        self.assertEqual(status, 200)
        out = self.server.cli("directory", "search", "bob").stdout.decode()
        self.assertIn("销售代表", out)
        # Moving someone into their department from outside it is refused.
        status, _, _ = c.request("PUT", "/api/v1/users/carol@example.com/profile", {"department": "Sales"})
        self.assertEqual(status, 404)
        # They cannot create accounts, domains or grant themselves more.
        self.assertEqual(c.request("POST", "/api/v1/users", {"address": "x@example.com"})[0], 403)
        self.assertEqual(c.request("POST", "/api/v1/domains", {"name": "evil.example"})[0], 403)
        status, _, _ = c.request("POST", "/api/v1/roles/grant", {"account": "alice@example.com",
                                                                 "role": "super-admin"})
        self.assertEqual(status, 403)
        self.assertEqual(c.request("GET", "/api/v1/audit")[0], 403)
        # A sub-department below their own is theirs to make.
        status, _, doc = c.request("POST", "/api/v1/departments", {"name": "West", "parent": "Sales"})
        self.assertEqual(status, 201, doc)
        status, _, _ = c.request("POST", "/api/v1/departments", {"name": "Legal", "parent": "HR"})
        self.assertEqual(status, 403)

    def test_domain_admin_and_audit_log(self):
        self.server.cli("role", "grant", "erin@other.org", "domain-admin", "--domain", "other.org")
        root = self.admin()
        status, _, doc = root.request("POST", "/api/v1/users", {"address": "henry@other.org",
                                                               "password": "Correct-Horse-42"})
        self.assertEqual(status, 201, doc)
        status, _, _ = root.request("POST", "/api/v1/users/alice@example.com/freeze")
        self.assertEqual(status, 200)
        erin = self.admin("erin@other.org")
        status, _, doc = erin.request("GET", "/api/v1/domains")
        self.assertEqual([d["name"] for d in doc["domains"]], ["other.org"])
        status, _, doc = erin.request("GET", "/api/v1/users")
        self.assertEqual(sorted(u["address"] for u in doc["users"]), ["erin@other.org", "henry@other.org"])
        # Another domain's account is answered exactly as a missing one.
        missing = erin.request("GET", "/api/v1/users/nobody@example.com")
        self.assertEqual(missing[0], 404)
        self.assertEqual(erin.request("GET", "/api/v1/users/alice@example.com")[::2], missing[::2])
        # The audit log: the root admin sees everything, erin only her domain.
        status, _, doc = root.request("GET", "/api/v1/audit?action=user.")
        self.assertEqual(status, 200)
        actions = [(r["actor"], r["action"]) for r in doc["records"]]
        self.assertIn(("root@example.com", "user.add"), actions)
        self.assertIn(("root@example.com", "user.freeze"), actions)
        status, _, doc = erin.request("GET", "/api/v1/audit")
        self.assertEqual(status, 200)
        self.assertTrue(doc["records"])
        for r in doc["records"]:
            self.assertIn("@other.org", r["actor"] + r["detail"])
        self.assertEqual(erin.request("GET", "/api/v1/audit?account=alice@example.com")[0], 403)
        status, _, doc = root.request("GET", "/api/v1/audit?account=henry@other.org&limit=1")
        self.assertEqual(len(doc["records"]), 1)
        self.assertEqual(doc["records"][0]["action"], "user.add")
        # The CLI runs the same query.
        out = self.server.cli("audit", "--actor", "root@example.com", "--action", "user.", "--since", "1h").stdout
        lines = out.decode().strip().split("\n")
        self.assertEqual([l.split("\t")[3] for l in lines], ["user.freeze", "user.add"])
        out = self.server.cli("audit", "--since", "2999-01-01").stdout
        self.assertEqual(out, b"")
        self.assertNotEqual(self.server.cli("audit", "--since", "yesterday", check=False).returncode, 0)

    def test_offboarding_through_the_api(self):
        c = self.admin()
        status, _, doc = c.request("POST", "/api/v1/users/bob@example.com/offboard",
                                   {"successor": "dave@example.com", "auto_reply": "Bob has left; write to Dave."})
        self.assertEqual(status, 200, doc)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=ctx)
        with self.assertRaises(imaplib.IMAP4.error):
            imap.login("bob@example.com", PASSWORD)
        imap.logout()
        # Mail to the leaver still arrives.
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=20) as s:
            s.sendmail("customer@client.example", ["bob@example.com"],
                       b"From: customer@client.example\r\nTo: bob@example.com\r\nSubject: order\r\n\r\nHi\r\n")
        self.server.wait_for_messages("bob@example.com", 1)
        status, _, doc = c.request("GET", "/api/v1/audit?action=user.offboard&actor=root@example.com")
        steps = {r["action"]: r["detail"] for r in doc["records"]}
        self.assertIn("dave@example.com", steps["user.offboard"])
        self.assertIn("user.offboard.disable", steps)
        status, _, doc = c.request("POST", "/api/v1/users/bob@example.com/restore")
        self.assertEqual(status, 200, doc)
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=ctx)
        imap.login("bob@example.com", PASSWORD)
        imap.logout()

    def submit(self, user, rcpts, body=b"Subject: hi\r\n\r\nhello\r\n"):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=30) as s:
            s.starttls(context=ctx)
            s.login(user, PASSWORD)
            return s.sendmail(user, rcpts, b"From: " + user.encode() + b"\r\n" + body)

    def test_rules_moderation_aliases_and_directory(self):
        c = self.admin()
        # An internal-only rule set through the API is enforced at submission.
        status, _, doc = c.request("PUT", "/api/v1/rules", {"account": "carol@example.com", "internal_only": True})
        self.assertEqual((status, doc.get("internal_only")), (200, True), doc)
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
            self.submit("carol@example.com", ["someone@outside.example"])
        code, text = refused.exception.recipients["someone@outside.example"]
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith(b"5.7."), text)
        self.submit("carol@example.com", ["alice@example.com"])
        status, _, doc = c.request("GET", "/api/v1/rules")
        self.assertIn({"account": "carol@example.com", "internal_only": True}, doc["rules"])
        status, _, _ = c.request("DELETE", "/api/v1/rules?account=carol@example.com")
        self.assertEqual(status, 200)
        self.assertEqual(c.request("GET", "/api/v1/rules")[2]["rules"], [])
        self.assertEqual(c.request("PUT", "/api/v1/rules", {"internal_only": True})[0], 400)

        # A moderated list: mail waits until an owner approves it through the API.
        status, _, doc = c.request("POST", "/api/v1/groups", {"address": "board@example.com", "name": "Board",
                                                             "moderated": True, "owners": ["dave@example.com"]})
        self.assertEqual(status, 201, doc)
        for m in ("alice@example.com", "bob@example.com"):
            self.assertEqual(c.request("POST", "/api/v1/groups/board@example.com/members", {"member": m})[0], 200)
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=20) as s:
            s.sendmail("investor@client.example", ["board@example.com"],
                       b"From: investor@client.example\r\nTo: board@example.com\r\nSubject: Q4\r\n\r\nHi\r\n")
        status, _, doc = c.request("GET", "/api/v1/held?group=board@example.com")
        self.assertEqual(len(doc["held"]), 1, doc)
        held = doc["held"][0]
        self.assertEqual(held["mail_from"], "investor@client.example")
        status, _, doc = c.request("POST", f"/api/v1/held/{held['id']}/approve")
        self.assertEqual((status, doc.get("local_copies")), (200, 2), doc)
        self.server.wait_for_messages("bob@example.com", 1)
        self.assertEqual(c.request("GET", "/api/v1/held")[2]["held"], [])
        self.assertEqual(c.request("POST", f"/api/v1/held/{held['id']}/approve")[0], 404)

        # An alias made through the API delivers.
        status, _, doc = c.request("POST", "/api/v1/aliases", {"address": "sales@example.com",
                                                              "targets": ["dave@example.com"]})
        self.assertEqual(status, 201, doc)
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=20) as s:
            s.sendmail("buyer@client.example", ["sales@example.com"],
                       b"From: buyer@client.example\r\nSubject: quote\r\n\r\nHi\r\n")
        self.server.wait_for_messages("dave@example.com", 1)
        status, _, doc = c.request("GET", "/api/v1/aliases?domain=example.com")
        self.assertEqual(doc["aliases"], [{"address": "sales@example.com", "targets": ["dave@example.com"]}])
        self.assertEqual(c.request("DELETE", "/api/v1/aliases/sales@example.com")[0], 200)

        # App passwords: listed and revoked by the admin; the revoked one stops working.
        out = self.server.cli("user", "app-password", "add", "bob@example.com", "phone", "--protocols", "imap")
        app_pw = out.stdout.decode().strip()
        self.assertRegex(app_pw, r"^[a-z]{4}-[a-z]{4}-[a-z]{4}-[a-z]{4}$")
        status, _, doc = c.request("GET", "/api/v1/app-passwords/bob@example.com")
        self.assertEqual([p["name"] for p in doc["app_passwords"]], ["phone"])
        self.assertEqual(c.request("DELETE", "/api/v1/app-passwords/bob@example.com/phone")[0], 200)
        self.assertEqual(c.request("GET", "/api/v1/app-passwords/bob@example.com")[2]["app_passwords"], [])
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=ctx)
        with self.assertRaises(imaplib.IMAP4.error):
            imap.login("bob@example.com", app_pw)
        imap.logout()

        # The address list.
        self.server.cli("user", "set", "alice@example.com", "--name", "张伟")
        status, _, doc = c.request("GET", "/api/v1/directory?q=zw")
        self.assertIn("alice@example.com", [e["address"] for e in doc["entries"]])
        self.assertEqual(c.request("GET", "/api/v1/directory")[0], 400)

    def test_lower_admins_cannot_act_on_higher_ones_or_themselves(self):
        self.server.cli("role", "grant", "alice@example.com", "domain-admin", "--domain", "example.com")
        self.server.cli("role", "grant", "dave@example.com", "domain-admin", "--domain", "example.com")
        alice = self.admin("alice@example.com")
        # The super admin and a peer domain admin in her domain are out of reach.
        for target in ("root@example.com", "dave@example.com"):
            self.assertEqual(alice.request("POST", f"/api/v1/users/{target}/password",
                                           {"password": "Correct-Horse-42"})[0], 403, target)
            self.assertEqual(alice.request("DELETE", f"/api/v1/users/{target}/totp")[0], 403, target)
            self.assertEqual(alice.request("POST", f"/api/v1/users/{target}/freeze")[0], 403, target)
        # So is her own account (she may not lift her own rules).
        self.assertEqual(alice.request("PUT", "/api/v1/rules", {"account": "alice@example.com",
                                                                "internal_only": False})[0], 403)
        # Ordinary users of her domain are hers to manage.
        self.assertEqual(alice.request("POST", "/api/v1/users/bob@example.com/freeze")[0], 200)

    def test_sessions_end_when_credentials_or_roles_change(self):
        c = self.admin()
        self.assertEqual(c.request("GET", "/api/v1/session")[0], 200)
        self.server.cli("user", "passwd", "root@example.com", input=b"Another-Horse-43\n")
        self.assertEqual(c.request("GET", "/api/v1/session")[0], 401)
        self.server.cli("role", "grant", "alice@example.com", "domain-admin", "--domain", "example.com")
        a = self.admin("alice@example.com")
        self.assertEqual(a.request("GET", "/api/v1/users")[0], 200)
        self.server.cli("role", "revoke", "alice@example.com", "domain-admin", "--domain", "example.com")
        self.assertEqual(a.request("GET", "/api/v1/users")[0], 401)

    def test_wrong_totp_codes_count_towards_the_block(self):
        """A right password must not reset the count of wrong codes: otherwise six
        digits fall to patience."""
        secret = self.enrol("root@example.com")
        right = oathtool(secret)
        c = Client(self)
        for _ in range(5):
            wrong = "123456" if right != "123456" else "654321"
            status, _, _ = c.login("root@example.com", totp=wrong)
            self.assertEqual(status, 401)
        status, _, doc = c.login("root@example.com", totp=right)
        self.assertEqual(status, 429, doc)

    def test_repeated_bad_passwords_block_the_ip_account_pair(self):
        self.enrol("root@example.com")
        c = Client(self)
        for _ in range(5):
            status, _, _ = c.login("root@example.com", password="wrong password", totp="123456")
            self.assertEqual(status, 401)
        # Blocked now, even with the right password and code: 429 with the reason.
        status, _, doc = c.login("root@example.com", totp=oathtool(self.secrets["root@example.com"]))
        self.assertEqual(status, 429, doc)
        self.assertIn("Too many failed logins", doc["error"]["message"])
        status, _, doc = c.request("GET", "/api/v1/session")
        self.assertEqual(status, 401)


    def test_scope_answers_404_and_manager_stays_in_domain_and_scope(self):
        root = self.admin()
        self.assertEqual(root.request("POST", "/api/v1/groups", {"address": "board@example.com",
                                                                 "owners": ["dave@example.com"]})[0], 201)
        self.server.cli("role", "grant", "erin@other.org", "domain-admin", "--domain", "other.org")
        erin = self.admin("erin@other.org")
        missing = erin.request("GET", "/api/v1/groups/nothing@example.com")
        self.assertEqual(missing[0], 404)
        for method, path in (("GET", ""), ("PUT", ""), ("DELETE", "")):
            status, _, doc = erin.request(method, "/api/v1/groups/board@example.com" + path,
                                          {"name": "x"} if method == "PUT" else None)
            self.assertEqual((status, doc), (404, missing[2]), method)
        self.assertEqual(erin.request("GET", "/api/v1/app-passwords/alice@example.com")[::2],
                         erin.request("GET", "/api/v1/app-passwords/nobody@example.com")[::2])
        # A manager is an account of the same domain.
        status, _, doc = root.request("PUT", "/api/v1/users/bob@example.com/profile", {"manager": "erin@other.org"})
        self.assertEqual(status, 400, doc)
        self.assertIn("same domain", doc["error"]["message"])
        self.assertEqual(root.request("PUT", "/api/v1/users/bob@example.com/profile",
                                      {"manager": "dave@example.com"})[0], 200)
        # ... and one the admin can see: carol (HR) is not visible to Sales' admin.
        self.server.cli("role", "grant", "alice@example.com", "department-admin", "--department", "Sales")
        alice = self.admin("alice@example.com")
        gone = alice.request("PUT", "/api/v1/users/bob@example.com/profile", {"manager": "nobody@example.com"})
        self.assertEqual(gone[0], 404)
        self.assertEqual(alice.request("PUT", "/api/v1/users/bob@example.com/profile",
                                       {"manager": "carol@example.com"})[::2], gone[::2])
        self.assertEqual(alice.request("PUT", "/api/v1/users/bob@example.com/profile",
                                       {"manager": "dave@example.com"})[0], 200)
        # Departments: a department admin sees its subtree only.
        status, _, doc = alice.request("GET", "/api/v1/departments")
        self.assertEqual(sorted(d["path"] for d in doc["departments"]), ["Sales", "Sales/East"])
        self.assertEqual(alice.request("DELETE", "/api/v1/departments/HR")[::2],
                         alice.request("DELETE", "/api/v1/departments/Nowhere")[::2])

    def test_departments_by_encoded_path_and_removal_moves_contents_up(self):
        root = self.admin()
        status, _, doc = root.request("GET", "/api/v1/departments")
        ids = {d["path"]: d["id"] for d in doc["departments"]}
        self.assertEqual(root.request("POST", "/api/v1/departments", {"name": "North", "parent": "Sales/East"})[0],
                         201)
        # "Sales/East" with its '/' encoded names the sub-department in a URL.
        status, _, doc = root.request("POST", "/api/v1/departments/Sales%2FEast%2FNorth/move",
                                      {"parent": "Sales"})
        self.assertEqual(status, 200, doc)
        # Removing a department without reparent_to moves its people up to the parent.
        status, _, doc = root.request("DELETE", "/api/v1/departments/Sales%2FEast")
        self.assertEqual(status, 200, doc)
        status, _, doc = root.request("GET", "/api/v1/users/bob@example.com")
        self.assertEqual(doc["profile"]["department_id"], ids["Sales"])
        # By id works too; a top-level department with people has no parent to take
        # them: refused, and nothing changes.
        status, _, doc = root.request("DELETE", f"/api/v1/departments/{ids['HR']}")
        self.assertEqual(status, 403, doc)
        self.assertIn("HR", [d["path"] for d in root.request("GET", "/api/v1/departments")[2]["departments"]])
        status, _, doc = root.request("DELETE", f"/api/v1/departments/{ids['HR']}?reparent_to=Sales")
        self.assertEqual(status, 200, doc)

    def test_department_admin_offboarding_moves_only_lists_in_scope(self):
        root = self.admin()
        self.assertEqual(root.request("POST", "/api/v1/groups", {"address": "board@example.com",
                                                                 "owners": ["dave@example.com"]})[0], 201)
        self.server.cli("role", "grant", "alice@example.com", "department-admin", "--department", "Sales")
        alice = self.admin("alice@example.com")
        # Naming herself successor is refused (she may not act on her own account).
        status, _, _ = alice.request("POST", "/api/v1/users/dave@example.com/offboard",
                                     {"successor": "alice@example.com"})
        self.assertEqual(status, 403)
        status, _, doc = alice.request("POST", "/api/v1/users/dave@example.com/offboard",
                                       {"successor": "bob@example.com"})
        self.assertEqual(status, 200, doc)
        self.assertEqual((doc["groups_moved"], doc["groups_kept"]), (0, ["board@example.com"]))
        status, _, doc = root.request("GET", "/api/v1/groups/board@example.com")
        self.assertEqual(doc["owners"], ["dave@example.com"])
        status, _, doc = root.request("GET", "/api/v1/audit?action=user.offboard.group_kept")
        self.assertEqual(len(doc["records"]), 1, doc)

    def test_login_delays_hold_no_worker_thread(self):
        """Failed logins wait on a timer: while several clients are being delayed,
        another client's request is answered at once."""
        root = self.admin(bearer=True)
        for _ in range(5):  # 250 ms, 500 ms, 1 s, 2 s, then the cap
            Client(self).login("carol@example.com", password="wrong password")
        import threading
        results = []

        def bad_login():
            t0 = time.monotonic()
            status = Client(self).login("carol@example.com", password="wrong password")[0]
            results.append((status, time.monotonic() - t0))
        threads = [threading.Thread(target=bad_login) for _ in range(6)]
        for t in threads:
            t.start()
        time.sleep(1.0)  # every bad login is now in its delay
        t0 = time.monotonic()
        status, _, _ = root.request("GET", "/api/v1/session")
        answered = time.monotonic() - t0
        for t in threads:
            t.join()
        self.assertEqual(status, 200)
        # With the delay slept on the 2-thread blocking pool this took 4 s or more.
        self.assertLess(answered, 2.5)
        self.assertEqual([s for s, _ in results], [401] * 6)
        self.assertTrue(all(d >= 3.0 for _, d in results), results)  # the delay itself stays

if __name__ == "__main__":
    harness.main()
