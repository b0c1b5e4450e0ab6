#!/usr/bin/python3
"""Writes DKIM test vectors signed by dkimpy (Debian python3-dkim), an independent
implementation, into dkimpy/: NAME.eml (signed message) and keys.txt (the TXT
record of each selector). tests/unit/mailauth/dkimpy_vectors_test.cpp verifies them
with our verifier; expected.txt lists the result per signature.

Run once by hand (`/usr/bin/python3 make_dkimpy_vectors.py`); the output is committed
so unit tests need no Python. Each run makes new keys and signatures."""

import os
import subprocess
import tempfile

import dkim

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dkimpy")
DOMAIN = b"dkimpy.example"


def rsa_key():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "k.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", path], check=True, capture_output=True)
        pub = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        import base64
        return open(path, "rb").read(), base64.b64encode(pub).decode()


def ed_key():
    import base64
    import nacl.signing
    sk = nacl.signing.SigningKey.generate()
    return base64.b64encode(bytes(sk)), base64.b64encode(bytes(sk.verify_key)).decode()


MESSAGES = {
    "plain": b"From: Alice <alice@dkimpy.example>\r\nTo: bob@example.net\r\nSubject: plain\r\n"
             b"Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@dkimpy.example>\r\n\r\nHello Bob.\r\n",
    "folded": b"From: Alice <alice@dkimpy.example>\r\nTo: bob@example.net,\r\n\tcarol@example.net\r\n"
              b"Subject: a subject that is\r\n  folded   over lines \t \r\n\r\n  spaced   body \t\r\n\r\n\r\n",
    "nobody": b"From: alice@dkimpy.example\r\nSubject: no body\r\n\r\n",
    "utf8": "From: 张伟 <zhang.wei@dkimpy.example>\r\nSubject: 周报 weekly\r\n\r\n你好，世界\r\n".encode(),
    "trailing": b"From: alice@dkimpy.example\r\nSubject: trailing ws   \r\n\r\nline  \t\r\n \r\n\r\n",
}


def main():
    os.makedirs(HERE, exist_ok=True)
    rsa_priv, rsa_pub = rsa_key()
    ed_priv, ed_pub = ed_key()
    with open(os.path.join(HERE, "keys.txt"), "w") as f:
        f.write(f"rsa._domainkey.dkimpy.example v=DKIM1; k=rsa; p={rsa_pub}\n")
        f.write(f"ed._domainkey.dkimpy.example v=DKIM1; k=ed25519; p={ed_pub}\n")
    expected = []
    for name, msg in MESSAGES.items():
        for canon in ((b"simple", b"simple"), (b"relaxed", b"simple"), (b"simple", b"relaxed"),
                      (b"relaxed", b"relaxed")):
            tag = f"{name}-{canon[0].decode()}-{canon[1].decode()}"
            sig_ed = dkim.sign(msg, b"ed", DOMAIN, ed_priv, canonicalize=canon,
                               signature_algorithm=b"ed25519-sha256")
            sig_rsa = dkim.sign(msg, b"rsa", DOMAIN, rsa_priv, canonicalize=canon)
            signed = sig_ed + sig_rsa + msg
            with open(os.path.join(HERE, tag + ".eml"), "wb") as f:
                f.write(signed)
            expected.append(f"{tag}.eml pass pass")
    # l= over the whole body (dkimpy's length=True), then text appended after signing.
    msg = MESSAGES["plain"]
    sig = dkim.sign(msg, b"rsa", DOMAIN, rsa_priv, length=True)
    with open(os.path.join(HERE, "length.eml"), "wb") as f:
        f.write(sig + msg)
    with open(os.path.join(HERE, "length-appended.eml"), "wb") as f:
        f.write(sig + msg + b"Appended by someone else.\r\n")
    expected.append("length.eml pass")
    expected.append("length-appended.eml policy")
    # A body changed after signing.
    sig = dkim.sign(msg, b"ed", DOMAIN, ed_priv, signature_algorithm=b"ed25519-sha256")
    with open(os.path.join(HERE, "tampered.eml"), "wb") as f:
        f.write(sig + msg.replace(b"Hello", b"Jello"))
    expected.append("tampered.eml fail")
    with open(os.path.join(HERE, "expected.txt"), "w") as f:
        f.write("\n".join(expected) + "\n")


if __name__ == "__main__":
    main()
