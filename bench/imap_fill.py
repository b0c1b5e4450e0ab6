"""Fills a mailbox through SMTP from parallel connections with the messages
`smtp_load --vary` sends (each with its own Message-ID, Date, From and numbered
Subject; every tenth starts a thread, the others reply to the one before; every
1000th has "needle" in its Subject), for when smtp_load is not built. Messages count
only when their 250 arrived, as with smtp_load.

    /usr/bin/python3 bench/imap_fill.py SMTP_PORT MESSAGES [CONNECTIONS] [RCPT]"""

import smtplib
import sys
import threading
import time

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
LINE = b"The quick brown fox jumps over the lazy dog 0123456789 abcdefghij\r\n"


def message(n, size=4096):
    h = f"From: Sender {n % 50} <sender{n % 50}@bench.example>\r\nTo: alice@example.com\r\n"
    h += (f"Date: {DAYS[n % 7]}, {1 + n % 28} Nov 2026 {n // 3600 % 24:02}:{n // 60 % 60:02}:{n % 60:02}"
          " +0800\r\n")
    h += f"Message-ID: <{n}.bench@bench.example>\r\n"
    reply = n % 10 != 0
    if reply:
        h += f"In-Reply-To: <{n - 1}.bench@bench.example>\r\n"
    h += (f"Subject: {'Re: ' if reply else ''}bench message {n // 10} of topic {n // 10 % 97}"
          f"{' needle' if n % 1000 == 0 else ''}\r\n\r\n")
    # The body smtp_load sends: lines after a 66-byte header, up to `size` bytes.
    body = b""
    while 66 + len(body) + len(LINE) < size:
        body += LINE
    return h.encode() + body


def main():
    port, total = int(sys.argv[1]), int(sys.argv[2])
    conns = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    rcpt = sys.argv[4] if len(sys.argv) > 4 else "alice@example.com"
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "failed": 0}

    def worker():
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as s:
            while True:
                with lock:
                    n = state["next"]
                    state["next"] += 1
                if n >= total:
                    return
                try:
                    s.sendmail("load@bench.example", [rcpt], message(n))
                    key = "ok"
                except smtplib.SMTPException:
                    key = "failed"
                with lock:
                    state[key] += 1

    start = time.time()
    threads = [threading.Thread(target=worker) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.time() - start
    print(f"accepted={state['ok']} failed={state['failed']} seconds={secs:.1f} msgs_per_s={state['ok'] / secs:.0f}")
    sys.exit(0 if state["failed"] == 0 else 1)


if __name__ == "__main__":
    main()
