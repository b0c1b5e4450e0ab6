"""A scripted SMTP receiver for outbound tests: a threaded stdlib server on a free
loopback port whose EHLO keywords and replies a test chooses, so that it can
provoke what real peers do (4xx, 5xx for one recipient, no PIPELINING, CHUNKING,
hanging, slow replies). It records every connection, command line and accepted
message (envelope and the exact bytes after dot-unstuffing or BDAT).

    with FakeMx(ehlo=["PIPELINING", "8BITMIME"], rcpt=lambda addr: "550 5.1.1 no")
        as mx: ...

Hooks get counts so that they can change their answer over time; each returns a
reply line without CRLF, or None to hang (say nothing) until the client leaves."""

import socket
import socketserver
import ssl
import threading
import time

DEFAULT_EHLO = ("PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "SIZE 10000000")


class Message:
    def __init__(self, mail_from, rcpts, data, mail_line, rcpt_lines):
        self.mail_from = mail_from
        self.rcpts = rcpts
        self.data = data
        self.mail_line = mail_line
        self.rcpt_lines = rcpt_lines


class FakeMx:
    def __init__(self, ehlo=DEFAULT_EHLO, greeting=lambda n: "220 fake.test ESMTP",
                 rcpt=lambda addr: "250 2.1.5 ok", data=lambda n: "250 2.0.0 accepted",
                 data_delay=lambda n: 0, tls=None, ehlo_tls=(), drop_in_data=lambda n: False,
                 starttls_fails=lambda n: False):
        """greeting(n): n-th connection (1-based); data(n): n-th message body
        received; data_delay(n): seconds to wait before answering it; a client that
        has gone by then does not get the message counted. tls: a server-side
        ssl.SSLContext; STARTTLS is then offered (RFC 3207) and `tls_handshakes`
        counts the handshakes that completed. ehlo_tls: keywords added to the EHLO
        reply on a TLS session only (REQUIRETLS, RFC 8689 §2). drop_in_data(n): on the
        n-th DATA, close the connection after some of the body, without a reply.
        starttls_fails(n): on the n-th STARTTLS, say 220 and then answer the
        handshake with garbage (a broken TLS stack)."""
        self.tls = tls
        self.ehlo_tls = list(ehlo_tls)
        self.tls_handshakes = 0
        self.ehlo = list(ehlo)
        self.greeting = greeting
        self.rcpt = rcpt
        self.data = data
        self.data_delay = data_delay
        self.drop_in_data = drop_in_data
        self.starttls_fails = starttls_fails
        self.datas = 0
        self.starttls = 0
        self.lock = threading.Lock()
        self.connections = 0
        self.bodies_seen = 0
        self.messages = []
        self.lines = []
        # Lines that arrived while the previous reply was still unsent: pipelining.
        self.pipelined = 0
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                outer._session(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def wait_messages(self, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    # --- one connection ---
    def _session(self, sock):
        sock.settimeout(60)
        with self.lock:
            self.connections += 1
            n = self.connections
        buf = b""

        def say(line):
            if line is None:
                # Hang: read until the client gives up.
                try:
                    while sock.recv(65536):
                        pass
                except OSError:
                    pass
                raise ConnectionError("hung")
            sock.sendall(line.encode() + b"\r\n")

        def read_line():
            nonlocal buf
            while b"\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                buf += chunk
            line, buf = buf.split(b"\r\n", 1)
            return line.decode("utf-8", errors="replace")

        def read_exact(size):
            nonlocal buf
            while len(buf) < size:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                buf += chunk
            out, buf = buf[:size], buf[size:]
            return out

        try:
            say(self.greeting(n))
            mail_from, rcpts, mail_line, rcpt_lines, chunks = None, [], "", [], b""
            while True:
                line = read_line()
                with self.lock:
                    self.lines.append(line)
                    if buf:
                        self.pipelined += 1
                verb = line.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    words = ["fake.test"] + self.ehlo
                    if self.tls is not None and not isinstance(sock, ssl.SSLSocket):
                        words.append("STARTTLS")
                    if isinstance(sock, ssl.SSLSocket):
                        words += self.ehlo_tls
                    say("\r\n".join(f"250-{w}" for w in words[:-1]) + ("\r\n" if len(words) > 1 else "") +
                        f"250 {words[-1]}")
                elif verb == "HELO":
                    say("250 fake.test")
                elif verb == "MAIL":
                    mail_line = line
                    mail_from = line[line.index("<") + 1:line.index(">")]
                    rcpts, rcpt_lines, chunks = [], [], b""
                    say("250 2.1.0 ok")
                elif verb == "RCPT":
                    addr = line[line.index("<") + 1:line.index(">")]
                    reply = self.rcpt(addr)
                    if reply and reply.startswith("250"):
                        rcpts.append(addr)
                        rcpt_lines.append(line)
                    say(reply)
                elif verb == "DATA":
                    say("354 go ahead")
                    with self.lock:
                        self.datas += 1
                        drop = self.drop_in_data(self.datas)
                    if drop:
                        while len(buf) < 64:
                            chunk = sock.recv(65536)
                            if not chunk:
                                break
                            buf += chunk
                        sock.shutdown(socket.SHUT_RDWR)
                        return
                    body, buf = self._read_data(sock, buf)
                    self._finish(sock, say, mail_from, rcpts, body, mail_line, rcpt_lines)
                    mail_from, rcpts = None, []
                elif verb == "BDAT":
                    parts = line.split()
                    chunks += read_exact(int(parts[1]))
                    if len(parts) > 2 and parts[2].upper() == "LAST":
                        self._finish(sock, say, mail_from, rcpts, chunks, mail_line, rcpt_lines)
                        mail_from, rcpts, chunks = None, [], b""
                    else:
                        say("250 2.0.0 chunk ok")
                elif verb == "STARTTLS" and self.tls is not None and not isinstance(sock, ssl.SSLSocket):
                    say("220 2.0.0 ready to start TLS")
                    buf = b""
                    with self.lock:
                        self.starttls += 1
                        broken = self.starttls_fails(self.starttls)
                    if broken:
                        sock.recv(65536)  # the ClientHello
                        sock.sendall(b"this is not a TLS ServerHello\r\n")
                        sock.shutdown(socket.SHUT_RDWR)
                        return
                    sock = self.tls.wrap_socket(sock, server_side=True)
                    with self.lock:
                        self.tls_handshakes += 1
                elif verb == "RSET":
                    mail_from, rcpts, chunks = None, [], b""
                    say("250 2.0.0 ok")
                elif verb == "QUIT":
                    say("221 2.0.0 bye")
                    return
                else:
                    say("502 5.5.1 not implemented")
        except (ConnectionError, OSError):
            return
        finally:
            # The server closes the socket it accepted, not the TLS one made from it.
            if isinstance(sock, ssl.SSLSocket):
                sock.close()

    def _read_data(self, sock, buf):
        """Reads a DATA body up to CRLF.CRLF; returns (unstuffed bytes, rest)."""
        while True:
            if buf.startswith(b".\r\n"):
                return b"", buf[3:]
            end = buf.find(b"\r\n.\r\n")
            if end >= 0:
                body, rest = buf[:end + 2], buf[end + 5:]
                lines = body.split(b"\r\n")
                body = b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)
                return body, rest
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed in DATA")
            buf += chunk

    def _finish(self, sock, say, mail_from, rcpts, data, mail_line, rcpt_lines):
        with self.lock:
            self.bodies_seen += 1
            k = self.bodies_seen
        delay = self.data_delay(k)
        if delay:
            time.sleep(delay)
            # The client hung up while we made it wait: no message (RFC 5321 §4.1.1.4).
            try:
                sock.setblocking(False)
                peek = sock.recv(1, socket.MSG_PEEK)
                gone = peek == b""
            except BlockingIOError:
                gone = False
            except OSError:
                gone = True
            finally:
                sock.setblocking(True)
            if gone:
                raise ConnectionError("client gone")
        reply = self.data(k)
        if reply and reply.startswith("250"):
            with self.lock:
                self.messages.append(Message(mail_from, list(rcpts), data, mail_line, list(rcpt_lines)))
        say(reply)
