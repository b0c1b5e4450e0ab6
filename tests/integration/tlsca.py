"""A throwaway certificate authority for TLS tests, made with the openssl command
line: a CA and a server certificate for the given names, signed by it, and the
values DANE (RFC 6698) and MTA-STS tests need: TLSA association data and a
server-side ssl.SSLContext."""

import os
import shutil
import ssl
import subprocess
import tempfile


def _run(*args, cwd, input=None):
    return subprocess.run(args, cwd=cwd, input=input, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True, timeout=60).stdout


class TestCa:
    def __init__(self, names):
        """names: DNS names of the server certificate (subjectAltName)."""
        self.dir = tempfile.mkdtemp(prefix="letterhead-ca-")
        d = self.dir
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        _run("openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=Letterhead Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
        _run("openssl", "req", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", f"/CN={names[0]}", cwd=d)
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\n"
                    "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        _run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-out", "server.crt", "-extfile", "ext.cnf", cwd=d)
        self.ca_file = os.path.join(d, "ca.crt")
        self.cert_file = os.path.join(d, "server.crt")
        self.key_file = os.path.join(d, "server.key")
        # The chain a server sends: its certificate, then the CA (DANE-TA needs it sent).
        self.chain_file = os.path.join(d, "chain.crt")
        with open(self.chain_file, "w") as out:
            for p in (self.cert_file, self.ca_file):
                with open(p) as f:
                    out.write(f.read())

    def spki_sha256(self, cert=None):
        """TLSA 3 1 1 (DANE-EE, SPKI, SHA2-256) data in hex for a certificate."""
        pem = _run("openssl", "x509", "-in", cert or self.cert_file, "-pubkey", "-noout", cwd=self.dir)
        der = _run("openssl", "pkey", "-pubin", "-outform", "DER", cwd=self.dir, input=pem)
        return _run("openssl", "dgst", "-sha256", "-hex", "-r", cwd=self.dir, input=der).split()[0].decode()

    def cert_sha256(self, cert=None):
        """TLSA x 0 1 (full certificate, SHA2-256) data in hex."""
        der = _run("openssl", "x509", "-in", cert or self.cert_file, "-outform", "DER", cwd=self.dir)
        return _run("openssl", "dgst", "-sha256", "-hex", "-r", cwd=self.dir, input=der).split()[0].decode()

    def server_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.chain_file, self.key_file)
        return ctx

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
