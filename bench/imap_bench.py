"""IMAP figures on a large mailbox and memory per idle connection.

Run by bench/run-imap.sh against a server it starts; prints one line per figure.
Timings are wall-clock for one command as a client sees it (median of 5)."""

import imaplib
import os
import socket
import ssl
import statistics
import sys
import time


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def timed(fn, rounds=5):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    port, user, password, pid, idle = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=insecure())
    m.login(user, password)
    typ, data = m.select("INBOX")
    count = int(data[0])
    print(f"mailbox_messages={count}")
    print(f"select_s={timed(lambda: m.select('INBOX')):.3f}")
    print(f"fetch_uid_flags_all_s={timed(lambda: m.fetch('1:*', '(UID FLAGS)')):.3f}")
    print(f"uid_search_header_s={timed(lambda: m.uid('SEARCH', 'HEADER', 'Subject', 'needle'), rounds=3):.3f}")
    print(f"uid_search_flags_s={timed(lambda: m.uid('SEARCH', 'UNSEEN')):.3f}")
    m.logout()

    before = rss_kib(pid)
    conns = []
    for _ in range(idle):
        c = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=insecure())
        c.login(user, password)
        conns.append(c)
    time.sleep(1)
    after = rss_kib(pid)
    print(f"idle_tls_connections={idle} rss_before_kib={before} rss_after_kib={after} "
          f"per_connection_kib={(after - before) / max(idle, 1):.1f}")
    for c in conns:
        try:
            c.logout()
        except Exception:
            pass


if __name__ == "__main__":
    main()
