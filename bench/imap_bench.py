"""IMAP figures on a large mailbox and memory per idle connection.

Run by bench/run-imap.sh against a server it starts; prints one line per figure.
Timings are wall-clock for one command as a client sees it (median of 5)."""

import imaplib
import os
import re
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


def connect(port, mode):
    if mode == "plain":
        return imaplib.IMAP4("127.0.0.1", port)
    return imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=insecure())


def qresync(port, mode, user, password, rounds=5):
    """RFC 7162 §3.2.5: a client that knew the mailbox at some MODSEQ reselects after
    another session changed the flags of 100 messages; the time of that SELECT."""
    m = connect(port, mode)
    m.login(user, password)
    typ, _ = m.enable("QRESYNC")
    other = connect(port, mode)
    other.login(user, password)
    other.select("INBOX")
    samples = []
    for r in range(rounds):
        typ, data = m._simple_command("SELECT", "INBOX", "(CONDSTORE)")
        text = " ".join(str(x) for x in m.untagged_responses.get("OK", []))
        validity = re.search(r"UIDVALIDITY (\d+)", text).group(1)
        modseq = re.search(r"HIGHESTMODSEQ (\d+)", text).group(1)
        m.untagged_responses.clear()
        other.store("1:100", "+FLAGS" if r % 2 == 0 else "-FLAGS", "(\\Flagged)")
        start = time.perf_counter()
        typ, data = m._simple_command("SELECT", "INBOX", f"(QRESYNC ({validity} {modseq}))")
        samples.append(time.perf_counter() - start)
        assert typ == "OK", data
        fetched = len(m.untagged_responses.get("FETCH", []))
        assert fetched == 100, fetched
        m.untagged_responses.clear()
    other.logout()
    m.logout()
    return statistics.median(samples)


def main():
    port, user, password, pid, idle = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    mode = sys.argv[6] if len(sys.argv) > 6 else "tls"
    m = connect(port, mode)
    m.login(user, password)
    typ, data = m.select("INBOX")
    count = int(data[0])
    print(f"mailbox_messages={count}")
    print(f"select_s={timed(lambda: m.select('INBOX')):.3f}")
    print(f"fetch_uid_flags_all_s={timed(lambda: m.fetch('1:*', '(UID FLAGS)')):.3f}")
    print(f"uid_search_header_s={timed(lambda: m.uid('SEARCH', 'HEADER', 'Subject', 'needle'), rounds=3):.3f}")
    print(f"uid_search_from_s={timed(lambda: m.uid('SEARCH', 'FROM', 'sender7@'), rounds=3):.3f}")
    print(f"uid_search_flags_s={timed(lambda: m.uid('SEARCH', 'UNSEEN')):.3f}")
    print(f"fetch_envelope_100_s={timed(lambda: m.fetch('1:100', '(ENVELOPE)')):.3f}")
    print(f"sort_subject_all_s={timed(lambda: m.uid('SORT', '(SUBJECT)', 'UTF-8', 'ALL'), rounds=3):.3f}")
    print(f"thread_references_all_s={timed(lambda: m.uid('THREAD', 'REFERENCES', 'UTF-8', 'ALL'), rounds=3):.3f}")
    print(f"qresync_after_100_changes_s={qresync(port, mode, user, password):.3f}")
    m.logout()

    if idle <= 0:
        return
    before = rss_kib(pid)
    conns = []
    for _ in range(idle):
        c = connect(port, mode)
        c.login(user, password)
        conns.append(c)
    time.sleep(1)
    after = rss_kib(pid)
    print(f"idle_{mode}_connections={idle} rss_before_kib={before} rss_after_kib={after} "
          f"per_connection_kib={(after - before) / max(idle, 1):.1f}")
    for c in conns:
        try:
            c.logout()
        except Exception:
            pass


if __name__ == "__main__":
    main()
