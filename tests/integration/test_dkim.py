"""DKIM through the real binary, cross-checked with dkimpy (Debian python3-dkim), an
independent implementation: keys made by `letterhead domain add` / `dkim generate`,
messages signed by `letterhead dkim sign` verified by dkimpy with the public keys
from `letterhead dkim list` and `letterhead dns`; dkimpy-signed messages verified by
`letterhead dkim verify --txt`; rotation; audit records."""

import base64
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server  # noqa: E402

import dkim  # noqa: E402  (python3-dkim; Ed25519 needs python3-nacl)
import nacl.signing  # noqa: E402

TRICKY = {
    "simple": b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: hello\r\n"
              b"Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHi Bob.\r\n",
    "folded": b"From: Alice <alice@example.com>\r\nTo: bob@example.net,\r\n\tcarol@example.net,\r\n"
              b"   dave@example.net\r\nSubject: a subject that is\r\n  folded   over \t lines\r\n"
              b"References: <a@x>\r\n <b@x>\r\n\r\nbody\r\n",
    "trailing-ws": b"From: alice@example.com\r\nSubject: trailing   \t\r\n\r\nline one   \r\n\t\r\n"
                   b"  indented \t text\r\n \r\n\r\n\r\n",
    "no-body": b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: no body\r\n\r\n",
    "no-separator": b"From: alice@example.com\r\nSubject: nothing after the header\r\n",
    "utf8": "From: 张伟 <zhang.wei@example.com>\r\nTo: 李娜 <li.na@example.net>\r\n"
            "Subject: 周报：第 48 周 weekly report\r\n\r\n你好，\r\n本周完成了 DKIM。\r\n".encode(),
    "lf-only": b"From: alice@example.com\nTo: bob@example.net\nSubject: written with LF\n\nline\n\n",
    "list-headers": b"From: list@example.com\r\nTo: members@example.com\r\nSubject: [list] news\r\n"
                    b"List-Id: <news.example.com>\r\nList-Unsubscribe: <mailto:leave@example.com>\r\n"
                    b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nMIME-Version: 1.0\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                    b"news\r\n",
    "already-signed": b"DKIM-Signature: v=1; a=rsa-sha256; d=other.example; s=x; h=from; bh=AAAA; b=AAAA\r\n"
                      b"From: alice@example.com\r\nSubject: resent\r\n\r\nbody\r\n",
}


def crlf(b):
    return re.sub(rb"(?<!\r)\n", b"\r\n", b)


class DkimTest(unittest.TestCase):

    def setUp(self):
        self.server = Server()
        r = self.server.cli("domain", "add", "example.com")
        self.assertIn(b"DKIM keys for example.com", r.stdout)

    def tearDown(self):
        self.server.cleanup()

    # --- helpers ---
    def keys(self):
        """Rows of `dkim list`: dicts with domain, selector, algorithm, status, record."""
        out = self.server.cli("dkim", "list").stdout.decode()
        rows = []
        for line in out.splitlines():
            domain, selector, algorithm, status, created, retired, record = line.split("\t")
            rows.append(dict(domain=domain, selector=selector, algorithm=algorithm, status=status,
                             created=created, retired=retired, record=record))
        return rows

    def dns_zone(self, domain="example.com"):
        """DKIM TXT records as printed by `letterhead dns`, character-strings joined."""
        out = self.server.cli("dns", domain).stdout.decode()
        zone = {}
        for line in out.splitlines():
            m = re.match(r"^(\S+\._domainkey\.\S+)\tTXT\t(.*?)(\t;.*)?$", line)
            if m:
                zone[m.group(1).encode()] = "".join(re.findall(r'"([^"]*)"', m.group(2))).encode()
        return zone

    def verify(self, *args, input):
        """`dkim verify`, which exits 1 when nothing passes: so does a sanitizer report,
        hence the check of stderr."""
        r = self.server.cli("dkim", "verify", *args, input=input, check=False)
        self.assertNotIn(b"Sanitizer", r.stderr)
        self.assertNotIn(b"runtime error", r.stderr)
        return r

    def sign(self, message, domain="example.com"):
        return self.server.cli("dkim", "sign", domain, input=message).stdout

    @staticmethod
    def dkimpy_results(message, zone):
        """dkimpy's verdict on each DKIM-Signature of the message, top down."""
        def dnsfunc(name, timeout=5):
            return zone.get(name)
        d = dkim.DKIM(message)
        count = len(re.findall(rb"(?im)^dkim-signature:", message.split(b"\r\n\r\n")[0]))
        results = []
        for i in range(count):
            try:
                results.append(d.verify(idx=i, dnsfunc=dnsfunc))
            except dkim.DKIMException:  # dkimpy raises for some failures (body hash)
                results.append(False)
        return results

    # --- tests ---
    def test_keys_from_domain_add(self):
        rows = self.keys()
        self.assertEqual(len(rows), 2)
        algs = {r["algorithm"]: r for r in rows}
        self.assertRegex(algs["rsa-sha256"]["selector"], r"^lh\d{6}r$")
        self.assertRegex(algs["ed25519-sha256"]["selector"], r"^lh\d{6}e$")
        self.assertTrue(all(r["status"] == "active" for r in rows))
        # The RSA key is 2048 bits, checked with openssl.
        p = algs["rsa-sha256"]["record"].split("p=")[1]
        der = base64.b64decode(p)
        with tempfile.NamedTemporaryFile(suffix=".der") as f:
            f.write(der)
            f.flush()
            text = subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-in", f.name, "-text", "-noout"],
                                  capture_output=True, check=True).stdout.decode()
        self.assertIn("2048 bit", text)
        self.assertEqual(len(base64.b64decode(algs["ed25519-sha256"]["record"].split("p=")[1])), 32)
        # `dns` prints the same records.
        zone = self.dns_zone()
        for r in rows:
            self.assertEqual(zone[f"{r['selector']}._domainkey.example.com.".encode()], r["record"].encode())

    def test_dkimpy_verifies_our_signatures(self):
        zone = self.dns_zone()
        self.assertEqual(len(zone), 2)
        for name, msg in TRICKY.items():
            with self.subTest(message=name):
                signed = self.sign(msg)
                head = signed[:len(signed) - len(msg)]
                self.assertEqual(signed[len(head):], msg, "message passed through unchanged")
                # Fields: two signatures, lines under 78 columns, From over-signed.
                sep = b"\n" if name == "lf-only" else b"\r\n"
                lines = head.split(sep)[:-1]
                self.assertEqual(sum(1 for l in lines if l.startswith(b"DKIM-Signature:")), 2)
                self.assertTrue(all(len(l) < 78 for l in lines), lines)
                self.assertIn(b"a=ed25519-sha256;", head)
                self.assertIn(b"a=rsa-sha256;", head)
                self.assertRegex(head, rb"t=\d+;")
                self.assertRegex(head.replace(sep + b" ", b""), rb"h=from:from:")
                results = self.dkimpy_results(crlf(signed), zone)
                self.assertEqual(results[:2], [True, True], name)

    def test_dkimpy_detects_tampering(self):
        zone = self.dns_zone()
        signed = self.sign(TRICKY["simple"])
        self.assertEqual(self.dkimpy_results(signed, zone), [True, True])
        self.assertEqual(self.dkimpy_results(signed.replace(b"Hi Bob", b"Hi Eve"), zone), [False, False])
        self.assertEqual(self.dkimpy_results(signed.replace(b"Subject: hello", b"Subject: HELLO"), zone),
                         [False, False])
        # A second From added after signing (From is over-signed).
        extra = signed.replace(b"To: bob", b"From: ceo@example.com\r\nTo: bob")
        self.assertEqual(self.dkimpy_results(extra, zone), [False, False])

    def test_we_verify_dkimpy_signatures(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "k.pem")
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                            "-out", path], check=True, capture_output=True)
            with open(path, "rb") as f:
                rsa_priv = f.read()
            rsa_pub = base64.b64encode(subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                                                      check=True, capture_output=True).stdout).decode()
        sk = nacl.signing.SigningKey.generate()
        ed_priv = base64.b64encode(bytes(sk))
        ed_pub = base64.b64encode(bytes(sk.verify_key)).decode()
        txt = ["--txt", f"rsa._domainkey.other.example=v=DKIM1; k=rsa; p={rsa_pub}",
               "--txt", f"ed._domainkey.other.example.=v=DKIM1; k=ed25519; p={ed_pub}"]
        for name, msg in TRICKY.items():
            msg = crlf(msg)
            for canon in ((b"simple", b"simple"), (b"relaxed", b"relaxed"), (b"relaxed", b"simple")):
                with self.subTest(message=name, canon=canon):
                    sig = dkim.sign(msg, b"rsa", b"other.example", rsa_priv, canonicalize=canon)
                    sig += dkim.sign(msg, b"ed", b"other.example", ed_priv, canonicalize=canon,
                                     signature_algorithm=b"ed25519-sha256")
                    r = self.verify(*txt, input=sig + msg)
                    out = r.stdout.decode()
                    self.assertEqual(r.returncode, 0, out + r.stderr.decode())
                    self.assertRegex(out, r"(?m)^dkim=pass \(2048-bit key\) header\.d=other\.example .*header\.s=rsa ")
                    self.assertRegex(out, r"(?m)^dkim=pass \(256-bit key\) header\.d=other\.example .*header\.s=ed ")
                    tampered = sig + msg.replace(b"From:", b"From: x", 1)
                    r = self.verify(*txt, input=tampered)
                    self.assertEqual(r.returncode, 1)
                    self.assertNotIn("dkim=pass", r.stdout.decode())
                    self.assertIn("dkim=fail (signature did not verify)", r.stdout.decode())
        # l= from dkimpy with text appended: reported as policy, not pass.
        msg = crlf(TRICKY["simple"])
        sig = dkim.sign(msg, b"rsa", b"other.example", rsa_priv, length=True)
        r = self.verify(*txt, input=sig + msg + b"appended\r\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("dkim=policy (l= signs only", r.stdout.decode())
        # Unknown selector: permerror; no signature: none.
        r = self.verify("--txt", "x._domainkey.nowhere=v=DKIM1; p=", input=sig + msg)
        self.assertIn("dkim=permerror (no key for signature)", r.stdout.decode())
        r = self.verify("--txt", "a=b", input=msg)
        self.assertEqual(r.stdout.decode(), "dkim=none\n")

    def test_our_signatures_verify_with_our_verifier(self):
        zone = self.dns_zone()
        txt = []
        for name, record in zone.items():
            txt += ["--txt", f"{name.decode()}={record.decode()}"]
        signed = self.sign(TRICKY["utf8"])
        r = self.verify(*txt, input=signed)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(r.stdout.decode().count("dkim=pass"), 2)

    def test_rotate_and_audit(self):
        zone_before = self.dns_zone()
        signed_before = self.sign(TRICKY["simple"])
        old = {r["selector"] for r in self.keys()}

        r = self.server.cli("dkim", "generate", "example.com", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"dkim rotate", r.stderr)
        r = self.server.cli("dkim", "generate", "unknown.example", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"not one of our domains", r.stderr)

        self.server.cli("dkim", "rotate", "example.com")
        rows = self.keys()
        self.assertEqual(len(rows), 4)
        active = {r["selector"] for r in rows if r["status"] == "active"}
        retired = {r["selector"] for r in rows if r["status"] == "retired"}
        self.assertEqual(retired, old)
        self.assertEqual(len(active), 2)
        self.assertTrue(all(r["retired"] != "-" for r in rows if r["status"] == "retired"))

        # New mail is signed with the new keys; `dns` still publishes the old ones, so
        # mail signed before the rotation keeps verifying.
        signed_after = self.sign(TRICKY["simple"])
        for s in active:
            self.assertIn(f"s={s};".encode(), signed_after)
        zone = self.dns_zone()
        self.assertEqual(len(zone), 4)
        self.assertEqual(self.dkimpy_results(signed_after, zone), [True, True])
        self.assertEqual(self.dkimpy_results(signed_before, zone), [True, True])
        self.assertEqual(self.dkimpy_results(signed_after, zone_before), [False, False])

        # Explicit selector prefix.
        r = self.server.cli("dkim", "rotate", "example.com", "--selector", "q1")
        self.assertIn(b"q1r", r.stdout)
        self.assertIn(b"q1e", r.stdout)

        # Every key change is in the audit log, and no private key is anywhere in it.
        db = sqlite3.connect(os.path.join(self.server.data, "letterhead.db"))
        rows = db.execute("SELECT actor, action, detail FROM audit_log WHERE action LIKE 'dkim.%' ORDER BY id").fetchall()
        db.close()
        self.assertEqual([a for _, a, _ in rows], ["dkim.generate", "dkim.rotate", "dkim.rotate"])
        self.assertTrue(all("PRIVATE" not in d for _, _, d in rows))
        self.assertIn("example.com", rows[0][2])

    def test_dns_command(self):
        out = self.server.cli("dns", "example.com").stdout.decode()
        for expect in ["example.com.\t\tMX\t10 mx.example.com.", '"v=spf1 mx -all"', "_dmarc.example.com.\tTXT",
                       "_mta-sts.example.com.\tTXT\t\"v=STSv1; id=", "mta-sts.example.com.\tCNAME",
                       "_smtp._tls.example.com.\tTXT\t\"v=TLSRPTv1; rua=mailto:",
                       "autoconfig.example.com.\tCNAME", "autodiscover.example.com.\tCNAME",
                       "_submissions._tcp.example.com.\tSRV\t0 1 465 mx.example.com.",
                       "_imaps._tcp.example.com.\tSRV"]:
            self.assertIn(expect, out)
        # Character-strings of at most 255 octets (RFC 1035 §3.3.14).
        for s in re.findall(r'"([^"]*)"', out):
            self.assertLessEqual(len(s), 255)
        r = self.server.cli("dns", "unknown.example", check=False)
        self.assertNotEqual(r.returncode, 0)

    def test_quickstart_prints_dkim_record(self):
        with tempfile.TemporaryDirectory() as d:
            from harness import BIN
            r = subprocess.run([BIN, "quickstart", "admin@example.org", "--password-stdin"], cwd=d,
                               input=b"Correct-Horse-42\n", capture_output=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            out = r.stdout.decode()
            self.assertRegex(out, r'lh\d{6}r\._domainkey\.example\.org\.\tTXT\t"v=DKIM1; k=rsa; p=')
            self.assertRegex(out, r'lh\d{6}e\._domainkey\.example\.org\.\tTXT\t"v=DKIM1; k=ed25519; p=')


if __name__ == "__main__":
    unittest.main(verbosity=2)
