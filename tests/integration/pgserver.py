"""A private PostgreSQL 15 server for integration tests (Debian's postgresql-15, which
scripts/install-deps.sh installs): a cluster in a fresh directory under /tmp, on a free
127.0.0.1 port, trust authentication for the superuser `letterhead`, fsync on. As
root, initdb and pg_ctl run as the `postgres` system user (initdb refuses root).
Debian's python3 standard library only; SQL goes through psql.

    with PgServer() as pg:
        db = pg.create_database()
        conninfo = pg.conninfo(db)      # for letterhead's configuration
        pg.psql(db, "SELECT count(*) FROM accounts")   # -> [["3"]]

Without the binaries, start() raises: PostgreSQL tests never skip silently.
"""

import os
import pwd
import subprocess
import tempfile

from harness import free_port

BINDIR = os.environ.get("LETTERHEAD_PG_BINDIR") or "/usr/lib/postgresql/15/bin"
SUPERUSER = "letterhead"


class PgServer:
    """One cluster; start() and stop(), or use it as a context manager."""

    def __init__(self):
        self.dir = None
        self.data = None
        self.port = None
        self._next_database = 1
        self._as_postgres = os.geteuid() == 0

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _command(self, args):
        if self._as_postgres:
            return ["/usr/sbin/runuser", "-u", "postgres", "--", *args]
        return args

    def _run(self, args, timeout=120):
        # cwd: the postgres user may be unable to enter the test's working directory.
        return subprocess.run(self._command(args), cwd=self.dir, capture_output=True,
                              timeout=timeout)

    def start(self):
        for program in ("initdb", "pg_ctl", "postgres", "psql"):
            path = os.path.join(BINDIR, program)
            if not os.access(path, os.X_OK):
                raise RuntimeError(
                    f"PostgreSQL is not installed: {path} is missing (install Debian's "
                    "postgresql-15 with scripts/install-deps.sh, or set LETTERHEAD_PG_BINDIR)")
        # /tmp rather than $TMPDIR: the postgres user must reach it, and a Unix socket
        # path is limited to 107 bytes.
        self.dir = tempfile.mkdtemp(prefix="letterhead-pg-", dir="/tmp")
        self.data = os.path.join(self.dir, "data")
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        try:
            # --no-sync: initdb's own flush of a throwaway cluster; the server keeps fsync on.
            r = self._run([os.path.join(BINDIR, "initdb"), "-D", self.data, "--auth=trust",
                           "-U", SUPERUSER, "--encoding=UTF8", "--locale=C", "--no-sync"])
            if r.returncode != 0:
                raise RuntimeError("initdb failed: " + r.stdout.decode(errors="replace") +
                                   r.stderr.decode(errors="replace"))
            for _ in range(3):  # another process may take the free port first
                self.port = free_port()
                r = self._pg_ctl_start()
                if r.returncode == 0:
                    return self
            self._start_failed(r)
        except BaseException:
            self.stop()
            raise

    def _pg_ctl_start(self):
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.dir} -c shared_buffers=32MB "
                   "-c max_connections=50")
        return self._run([os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "-l",
                          os.path.join(self.dir, "server.log"), "-w", "-t", "60", "-o", options,
                          "start"])

    def _start_failed(self, r):
        with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
            raise RuntimeError("pg_ctl start failed: " + r.stderr.decode(errors="replace") +
                               f.read())

    def stop_server(self):
        """Stops the server the way an administrator's restart does (fast shutdown:
        sessions are ended), keeping its data and port for start_server()."""
        r = self._run([os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "-m", "fast", "-w",
                       "stop"])
        if r.returncode != 0:
            raise RuntimeError("pg_ctl stop failed: " + r.stderr.decode(errors="replace"))

    def start_server(self):
        """Starts the stopped server again on the same port."""
        r = self._pg_ctl_start()
        if r.returncode != 0:
            self._start_failed(r)

    def stop(self):
        """Stops the server (immediately: its data is removed next) and removes the
        directory, in the background: unlinking a cluster's thousands of files can take
        many seconds here. Safe to call twice."""
        if self.dir is None:
            return
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run([os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "-m", "immediate",
                       "-w", "stop"])
        subprocess.Popen(["rm", "-rf", self.dir], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.dir = None

    def conninfo(self, dbname):
        """A libpq connection string for a database of this server."""
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname='{dbname}'"

    def create_database(self):
        """Creates an empty database with a name unique to this server; returns it."""
        name = f"letterhead_test_{self._next_database}"
        self._next_database += 1
        self.psql("postgres", f"CREATE DATABASE {name}")
        return name

    def psql(self, dbname, sql):
        """Runs SQL on a database; returns the rows of its last result as lists of
        strings (NULL as ""). Raises on an error."""
        r = subprocess.run(
            [os.path.join(BINDIR, "psql"), "-X", "-q", "-A", "-t", "-F", "\x1f",
             "-v", "ON_ERROR_STOP=1", "-d", self.conninfo(dbname), "-c", sql],
            capture_output=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed: {r.stderr.decode(errors='replace')}")
        out = r.stdout.decode()
        return [line.split("\x1f") for line in out.splitlines() if line != ""]


if __name__ == "__main__":
    # A self-check: python3 tests/integration/pgserver.py
    import time
    with PgServer() as pg:
        db = pg.create_database()
        pg.psql(db, "CREATE TABLE t (k BIGINT, s TEXT); INSERT INTO t VALUES (1, 'a'), (2, NULL)")
        rows = pg.psql(db, "SELECT k, s FROM t ORDER BY k")
        assert rows == [["1", "a"], ["2", ""]], rows
        assert pg.psql(db, "SHOW fsync") == [["on"]]
        start = time.monotonic()
        other = pg.create_database()
        print(f"ok: port {pg.port}, databases {db} and {other} "
              f"(CREATE DATABASE {time.monotonic() - start:.2f} s)")
        assert pg.psql(db, "SELECT 1") == [["1"]]
