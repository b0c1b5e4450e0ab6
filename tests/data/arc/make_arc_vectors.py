"""Regenerates the ARC test vectors with dkimpy (Debian python3-dkim, python3-authres):
a message sealed by two hops (i=1 cv=none, i=2 cv=pass), keys in key.pem / key.txt.
Run with /usr/bin/python3 from this directory; the C++ test reads the outputs."""
import base64
import os
import subprocess

import dkim

if not os.path.exists("key.pem"):
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", "key.pem", "1024"], check=True)
pub = subprocess.run(["openssl", "rsa", "-in", "key.pem", "-pubout", "-outform", "DER"], check=True,
                     capture_output=True).stdout
with open("key.txt", "w") as f:
    f.write("v=DKIM1; k=rsa; p=" + base64.b64encode(pub).decode() + "\n")
key = open("key.pem", "rb").read()
records = {b"arc._domainkey.hop1.test.": open("key.txt", "rb").read().strip(),
           b"arc._domainkey.hop2.test.": open("key.txt", "rb").read().strip()}

msg = (b"From: Alice <alice@origin.test>\r\nTo: list@hop1.test\r\nSubject: ARC vector\r\n"
       b"Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <arc@origin.test>\r\n\r\nHello through two hops.\r\n")
# Hop 1: its own Authentication-Results, then the seal (cv=none).
msg = b"Authentication-Results: hop1.test; spf=pass smtp.mailfrom=origin.test\r\n" + msg
msg = b"".join(dkim.arc_sign(msg, b"arc", b"hop1.test", key, b"hop1.test")) + msg
# Hop 2: verifies the chain (arc=pass) and seals again (cv=pass).
cv, _, why = dkim.arc_verify(msg, dnsfunc=lambda name, timeout=5: records.get(name))
assert cv == dkim.CV_Pass, (cv, why)
msg = b"Authentication-Results: hop2.test; arc=pass; spf=fail smtp.mailfrom=hop1.test\r\n" + msg
msg = b"".join(dkim.arc_sign(msg, b"arc", b"hop2.test", key, b"hop2.test")) + msg
cv, _, why = dkim.arc_verify(msg, dnsfunc=lambda name, timeout=5: records.get(name))
assert cv == dkim.CV_Pass, (cv, why)
with open("two-hops.eml", "wb") as f:
    f.write(msg)
