"""Debian's Postfix as a receiving MTA for tests: its own config, queue and
maildirs in a temporary directory, one smtpd on a free loopback port, virtual
mailboxes for the addresses a test names, STARTTLS with a given certificate, and
its log in a file (not syslog). Needs root, as Postfix's master does.

    with Postfix(["bob@remote.test"], cert=ca.chain_file, key=ca.key_file) as pf:
        ... deliver to 127.0.0.1:pf.port ...
        pf.wait_messages("bob@remote.test", 1)
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

POSTFIX = "/usr/sbin/postfix"


def available():
    """None when Postfix can run here, else why not."""
    if not os.path.exists(POSTFIX):
        return "postfix is not installed (scripts/install-deps.sh installs it)"
    if os.geteuid() != 0:
        return "Postfix's master needs root"
    return None


class Postfix:
    def __init__(self, mailboxes, hostname="mx.remote.test", cert=None, key=None):
        self.dir = tempfile.mkdtemp(prefix="letterhead-postfix-")
        os.chmod(self.dir, 0o755)  # Postfix's daemons run as postfix and nobody
        self.mailboxes = mailboxes
        self.hostname = hostname
        self.cert, self.key = cert, key
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.conf = os.path.join(self.dir, "conf")
        self.log = os.path.join(self.dir, "maillog")
        self.mail = os.path.join(self.dir, "mail")

    def _write_config(self):
        for sub in ("conf", "queue", "data", "mail"):
            os.makedirs(os.path.join(self.dir, sub))
        shutil.chown(os.path.join(self.dir, "data"), user="postfix")
        shutil.chown(self.mail, user="nobody", group="nogroup")
        for name in ("dynamicmaps.cf", "dynamicmaps.cf.d"):
            src = os.path.join("/etc/postfix", name)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(self.conf, name))
            elif os.path.exists(src):
                shutil.copy(src, self.conf)
        boxes = ", ".join(f"{a}={a.split('@')[0]}/" for a in self.mailboxes)
        domains = sorted({a.split("@")[1] for a in self.mailboxes})
        main = [
            "compatibility_level = 3.6",
            f"queue_directory = {self.dir}/queue",
            f"data_directory = {self.dir}/data",
            "meta_directory = /etc/postfix",
            "mail_owner = postfix",
            "setgid_group = postdrop",
            f"myhostname = {self.hostname}",
            "mydestination =",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mynetworks = 127.0.0.0/8",
            f"virtual_mailbox_domains = {' '.join(domains)}",
            f"virtual_mailbox_base = {self.mail}",
            f"virtual_mailbox_maps = inline:{{ {boxes} }}",
            "virtual_uid_maps = static:65534",
            "virtual_gid_maps = static:65534",
            "maillog_file_prefixes = /tmp",
            f"maillog_file = {self.log}",
            # The client's TLS is what is looked at: say so in Received.
            "smtpd_tls_received_header = yes",
            "smtpd_tls_loglevel = 1",
        ]
        if self.cert:
            main += ["smtpd_tls_security_level = may", f"smtpd_tls_cert_file = {self.cert}",
                     f"smtpd_tls_key_file = {self.key}"]
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write("\n".join(main) + "\n")
        with open("/etc/postfix/master.cf") as f:
            lines = [line for line in f.read().splitlines()
                     if not line.startswith("smtp ") or "unix" in line]
        lines = [line for line in lines if not line.startswith("postlog")]
        lines.append(f"127.0.0.1:{self.port} inet n - n - - smtpd")
        lines.append("postlog   unix-dgram n  -       n       -       1       postlogd")
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def postfix(self, *args):
        return subprocess.run([POSTFIX, "-c", self.conf, *args], capture_output=True, timeout=60)

    def __enter__(self):
        self._write_config()
        r = self.postfix("start")
        if r.returncode != 0:
            raise RuntimeError(f"postfix start failed: {r.stderr.decode()} {self.read_log()[-2000:]}")
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("postfix did not listen: " + self.read_log()[-2000:])

    def __exit__(self, *exc):
        self.postfix("stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def messages(self, address):
        """The raw messages in the mailbox of `address` (maildir new/), oldest first."""
        box = os.path.join(self.mail, address.split("@")[0], "new")
        if not os.path.isdir(box):
            return []
        names = sorted(os.listdir(box), key=lambda n: os.path.getmtime(os.path.join(box, n)))
        out = []
        for n in names:
            with open(os.path.join(box, n), "rb") as f:
                out.append(f.read())
        return out

    def wait_messages(self, address, count, timeout=40):
        deadline = time.time() + timeout
        got = []
        while time.time() < deadline:
            got = self.messages(address)
            if len(got) >= count:
                break
            time.sleep(0.2)
        return got
