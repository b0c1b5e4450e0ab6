"""A real authoritative DNS server for integration tests: Knot DNS (Debian `knot`)
on a free loopback port, serving the zones a test gives, optionally DNSSEC-signed
with a fresh key (ldns-keygen and ldns-signzone from Debian `ldnsutils`). Debian's
python3 standard library only. Usage:

    from dnsserver import DnsServer
    with DnsServer({"example.com": "@ MX 10 mx\\nmx A 127.0.0.1\\n"},
                   signed=["example.com"]) as dns:
        server = harness.Server(extra_config=f'[dns]\\nservers = ["{dns.address}"]\\n'
                                f'trust_anchor = "{dns.trust_anchor_file}"\\n')

Each zone gets an SOA and an NS (localhost.) added; its text is zone-file lines
relative to the zone's origin. Names the server has no zone for are REFUSED, which
a resolver reports as SERVFAIL. A resolver answers localhost and 127.in-addr.arpa
itself. `query(name, qtype)` asks the server directly (for a test's own checks).
The C++ twin is tests/unit/dns/dns_server.hpp."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
          "AAAA": 28, "TLSA": 52, "DNSKEY": 48}


def _free_port():
    """A port free for UDP and TCP on 127.0.0.1 right now."""
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


class DnsServer:
    def __init__(self, zones, signed=()):
        """zones: {"example.com": "zone-file lines"}; signed: names of zones to sign."""
        self.zones = dict(zones)
        self.signed = set(signed)
        unknown = self.signed - set(self.zones)
        if unknown:
            raise ValueError(f"signed zones not in zones: {sorted(unknown)}")
        self.dir = tempfile.mkdtemp(prefix="letterhead-dns-")
        self.trust_anchor_file = os.path.join(self.dir, "trust-anchors")
        self.port = None
        self.proc = None

    @property
    def address(self):
        """For `[dns] servers`."""
        return f"127.0.0.1:{self.port}"

    def _run(self, *args, stdout=subprocess.DEVNULL):
        r = subprocess.run(args, cwd=self.dir, stdout=stdout, stderr=subprocess.PIPE, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {r.stderr.decode(errors='replace')}")
        return r

    def _write_zones(self):
        open(self.trust_anchor_file, "w").close()
        for name, text in self.zones.items():
            path = os.path.join(self.dir, f"{name}.zone")
            with open(path, "w") as f:
                f.write(f"$ORIGIN {name}.\n$TTL 60\n"
                        "@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 60\n"
                        f"@ NS localhost.\n{text}\n")
            if name in self.signed:
                # One ECDSA P-256 key (RFC 6605) as both KSK and ZSK; NSEC.
                key = self._run("ldns-keygen", "-a", "ECDSAP256SHA256", "-k", name,
                                stdout=subprocess.PIPE).stdout.decode().strip()
                self._run("ldns-signzone", "-o", name, "-f", f"{name}.zone.signed",
                          f"{name}.zone", key)
                with open(os.path.join(self.dir, f"{key}.key")) as k, \
                        open(self.trust_anchor_file, "a") as ta:
                    ta.write(k.read())

    def _write_config(self):
        lines = ["server:", f"    listen: 127.0.0.1@{self.port}", f"    rundir: {self.dir}",
                 "    udp-workers: 1", "    tcp-workers: 1", "    background-workers: 1",
                 "log:", "  - target: stderr", "    any: info",
                 "database:", f"    storage: {self.dir}/db",
                 "template:", "  - id: default", f"    storage: {self.dir}",
                 "    zonefile-sync: -1", "    zonefile-load: whole", "    journal-content: none",
                 "zone:"]
        for name in self.zones:
            suffix = ".signed" if name in self.signed else ""
            lines += [f"  - domain: {name}", f"    file: {name}.zone{suffix}"]
        with open(os.path.join(self.dir, "knot.conf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, attempts=5):
        self._write_zones()
        for _ in range(attempts):
            self.port = _free_port()
            self._write_config()
            log = open(os.path.join(self.dir, "knot.log"), "ab")
            self.proc = subprocess.Popen(["knotd", "-c", os.path.join(self.dir, "knot.conf")],
                                         stdout=log, stderr=log)
            log.close()
            if self._wait_ready():
                return self
            self.stop()  # most likely the port was taken meanwhile: try another
        with open(os.path.join(self.dir, "knot.log"), errors="replace") as f:
            raise RuntimeError("knotd did not start:\n" + f.read())

    def _wait_ready(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if all(self.query(z, "SOA", timeout=0.2)[0] == 0 for z in self.zones):
                    return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def txt(self, name, timeout=5):
        """dkimpy's dnsfunc: the TXT records of `name` from this server, b"" for none."""
        import dns.resolver
        r = dns.resolver.Resolver(configure=False)
        r.nameservers = ["127.0.0.1"]
        r.port = self.port
        name = name.decode() if isinstance(name, bytes) else name
        try:
            answer = r.resolve(name, "TXT", lifetime=timeout)
        except Exception:  # noqa: BLE001 - dkimpy treats "" as no record
            return b""
        return b"".join(b"".join(rd.strings) for rd in answer)

    def query(self, name, qtype, timeout=2.0):
        """Asks the server once over UDP; returns (rcode, answer count). The answer must
        be authoritative (AA set), as it is for every zone served here."""
        qid = int.from_bytes(os.urandom(2), "big")
        packet = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
        for label in name.rstrip(".").split("."):
            packet += bytes([len(label)]) + label.encode("ascii")
        packet += b"\x00" + struct.pack(">HH", QTYPES[qtype], 1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(packet, ("127.0.0.1", self.port))
            while True:
                reply = s.recv(65535)
                if len(reply) >= 12 and int.from_bytes(reply[:2], "big") == qid:
                    break
        flags = int.from_bytes(reply[2:4], "big")
        rcode = flags & 0x000F
        if rcode == 0 and not flags & 0x0400:
            raise OSError("answer is not authoritative")
        return rcode, int.from_bytes(reply[6:8], "big")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
