"""Starts what bench/run-filter.sh needs for "all checks on", the way the
integration tests do: Knot DNS on loopback serving the sender's SPF and DMARC
records and (empty) DNS and URI blocklists, and clamd with a one-signature
database (not with NO_CLAMD=1) spooling to tmpfs (to /tmp with CLAMD_TMP=disk). bench/run-outbound.sh uses the DNS alone: the MX
of remote.example is 127.0.0.1. Writes shell assignments (DNS=..., CLAMD_PORT=...) to the file named
by argv[1], then runs until SIGTERM or SIGINT and stops both.

    /usr/bin/python3 bench/filter_helpers.py /tmp/helpers.env &
"""

import os
import shutil
import signal
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
from dnsserver import DnsServer  # noqa: E402
from test_filter import CLAMD, Clamd  # noqa: E402


def main():
    out = sys.argv[1]
    zones = {
        # smtp_load's senders: SPF passes for the loopback client, DMARC p=none.
        "bench.example": '@ TXT "v=spf1 ip4:127.0.0.1 -all"\n_dmarc TXT "v=DMARC1; p=none"\n',
        "dnsbl.test": "2.0.0.127 A 127.0.0.2\n",   # lists only the RFC 5782 test address
        "uribl.test": "test.uribl.test A 127.0.0.2\n",
        "remote.example": "@ MX 10 mx\nmx A 127.0.0.1\n",
    }
    dns = DnsServer(zones)
    dns.__enter__()
    # clamd writes every stream, and every part of a mail it unpacks, to a temporary
    # file: on tmpfs (docs/configuration.md recommends it) unless CLAMD_TMP=disk.
    tmp = None
    if os.environ.get("CLAMD_TMP", "tmpfs") == "tmpfs" and os.path.isdir("/dev/shm"):
        tmp = tempfile.mkdtemp(prefix="letterhead-clamd-tmp-", dir="/dev/shm")
    clamd = None
    if os.path.exists(CLAMD) and not os.environ.get("NO_CLAMD"):
        clamd = Clamd(temporary_directory=tmp).start()
    with open(out + ".tmp", "w") as f:
        f.write(f"DNS={dns.address}\nCLAMD_PORT={clamd.port if clamd else ''}\n")
    os.rename(out + ".tmp", out)

    def stop(*_):
        if clamd:
            clamd.cleanup()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        dns.__exit__(None, None, None)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
