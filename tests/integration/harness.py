"""Starts the real letterhead binary on free loopback ports in a private data
directory, and drives its CLI. Used by every integration test; Debian's python3
standard library only."""

import mmap
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

BIN = os.environ.get("LETTERHEAD_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "letterhead")

PASSWORD = "Correct-Horse-42"


def built_with_asan():
    """Whether BIN is an AddressSanitizer build (its runtime is linked in statically)."""
    with open(BIN, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return m.find(b"__asan_init") != -1


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One letterhead installation: config, data directory, and (when started) a
    running `letterhead serve`."""

    def __init__(self, extra_config="", listen=("smtp", "submission", "submissions")):
        self.dir = tempfile.mkdtemp(prefix="letterhead-it-")
        self.data = os.path.join(self.dir, "data")
        self.config = os.path.join(self.dir, "letterhead.toml")
        self.ports = {name: free_port() for name in listen}
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None
        # Extra environment for `serve` (e.g. libfaketime's, for a node whose clock is off).
        self.env = {}
        listen_lines = "\n".join(f'{k} = "127.0.0.1:{v}"' for k, v in self.ports.items())
        if "[dns]" not in extra_config:
            # The outbound queue must never ask the machine's resolver (TOOLCHAIN.md):
            # without a test DNS server, lookups go to a closed loopback port and fail
            # as temporary, so queued mail stays queued.
            extra_config += '\n[dns]\nservers = ["127.0.0.1:9"]\ntimeout = 2\n'
        with open(self.config, "w") as f:
            f.write(f'hostname = "mx.example.com"\ndata_dir = "{self.data}"\n'
                    f"{extra_config}\n[listen]\n{listen_lines}\n")

    def cli(self, *args, input=None, check=True):
        r = subprocess.run([BIN, "--config", self.config, *args], input=input,
                           capture_output=True, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"letterhead {' '.join(args)} failed ({r.returncode}): "
                                 f"{r.stderr.decode(errors='replace')}")
        return r

    def add_user(self, address, password=PASSWORD, name=None):
        args = ["user", "add", address, "--password-stdin"]
        if name:
            args += ["--name", name]
        self.cli(*args, input=(password + "\n").encode())

    def start(self, attempts=5):
        """Starts `serve`. A free port picked earlier can be taken by another test
        running in parallel before the server binds it: then new ports are picked."""
        for attempt in range(attempts):
            log_size = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
            try:
                return self._start_once()
            except AssertionError:
                with open(self.log_path, "rb") as f:
                    f.seek(log_size)
                    tail = f.read().decode(errors="replace")
                if "Address already in use" not in tail or attempt == attempts - 1:
                    raise
                self.stop()
                self._new_ports()

    def _new_ports(self):
        with open(self.config) as f:
            text = f.read()
        for name, old in list(self.ports.items()):
            new = free_port()
            text = text.replace(f'{name} = "127.0.0.1:{old}"', f'{name} = "127.0.0.1:{new}"')
            self.ports[name] = new
        with open(self.config, "w") as f:
            f.write(text)

    def _start_once(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, "--config", self.config, "serve"],
                                     stdout=self.log, stderr=self.log, env={**os.environ, **self.env})
        deadline = time.time() + 60
        pending = dict(self.ports)
        while pending:
            if self.proc.poll() is not None:
                raise AssertionError("server exited at start:\n" + self.read_log())
            for name, port in list(pending.items()):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    del pending[name]
                except OSError:
                    pass
            if time.time() > deadline:
                raise AssertionError("server did not start listening:\n" + self.read_log())
            time.sleep(0.05)
        return self

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        self.log.close()
        return code

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- reading the store back through the CLI ---
    def messages(self, address, mailbox="INBOX"):
        out = self.cli("message", "list", address, "--mailbox", mailbox).stdout.decode()
        rows = []
        for line in out.splitlines():
            uid, size, date, blob, *flags = line.split("\t")
            rows.append({"uid": int(uid), "size": int(size), "date": date, "blob": blob,
                         "flags": flags[0] if flags else ""})
        return rows

    def message_bytes(self, address, uid, mailbox="INBOX"):
        return self.cli("message", "show", address, str(uid), "--mailbox", mailbox).stdout

    def wait_for_messages(self, address, count, timeout=10):
        deadline = time.time() + timeout
        while True:
            rows = self.messages(address)
            if len(rows) >= count or time.time() > deadline:
                return rows
            time.sleep(0.05)


DEFAULT_LISTEN = ("smtp", "submission", "submissions")


class ServerTest(unittest.TestCase):
    """A test case with a fresh server: domain example.com, users alice and bob."""

    extra_config = ""
    # The [listen] names that get a free port; e.g. POP3 tests add "pop3", "pop3s".
    listen = DEFAULT_LISTEN

    def setUp(self):
        self.server = Server(self.extra_config, listen=self.listen)
        self.server.cli("domain", "add", "example.com")
        self.server.add_user("alice@example.com", name="Alice")
        self.server.add_user("bob@example.com", name="Bob")
        self.server.start()

    def tearDown(self):
        code = self.server.stop()
        log = self.server.read_log()
        self.server.cleanup()
        # Sanitizer reports and crashes surface here even when the test passed.
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)
        self.assertEqual(code, 0, "server did not exit cleanly:\n" + log[-3000:])

    def port(self, name):
        return self.server.ports[name]


def main():
    unittest.main(verbosity=2)


class RawSmtp:
    """A deliberately dumb SMTP client for sending exactly the bytes a test wants."""

    def __init__(self, port, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        """Returns (code, text) of the next reply, joining continuation lines."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed; got " + repr(self.buf))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode(errors="replace"))
            if len(line) < 4 or line[3:4] != b"-":
                code = int(line[:3])
                return code, "\n".join(l[4:] for l in lines)

    def cmd(self, line):
        self.send(line.encode() + b"\r\n")
        return self.reply()

    def closed(self, timeout=5):
        """True when the server has closed the connection (after any pending bytes)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()
