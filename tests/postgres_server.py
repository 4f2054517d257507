"""A real PostgreSQL server for the tests: a throwaway cluster on 127.0.0.1, or one named by the environment.

``KIOSK_TEST_POSTGRES_URL``: an existing server (a role that may CREATE DATABASE), used as is.
Otherwise a cluster is made with Debian's ``initdb``/``pg_ctl`` (``/usr/lib/postgresql/*/bin`` or on PATH) in a
temporary folder (``KIOSK_TEST_PG_DIR`` if set, so that ``scripts/test`` can clean up after a killed run), on a
free loopback port, password (scram) auth on TCP and no durability (fsync off: it is thrown away). As root it
runs as the ``postgres`` system user (the server refuses to run as root).

``KIOSK_TEST_POSTGRES``: ``require`` makes a missing server an error instead of a skip (``scripts/test`` sets
it); ``off`` skips the PostgreSQL variants.

Each test gets its own database, a file copy of a template (~20-50 ms), dropped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

USER = "kiosk"
startup_seconds: float | None = None  # how long the throwaway cluster took to start, for the summary


class Unavailable(Exception):
    """No PostgreSQL server can be used; the message says why."""


@dataclass(frozen=True)
class Server:
    """A reachable server; ``url`` names its maintenance database as a SQLAlchemy URL."""

    url: str

    def url_for(self, database: str) -> str:
        return make_url(self.url).set(database=database).render_as_string(hide_password=False)

    def _admin(self) -> psycopg.Connection:
        parsed = make_url(self.url)
        return psycopg.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname=parsed.database or "postgres",
            autocommit=True,
            connect_timeout=5,
        )

    def create_database(self, template: str = "template0") -> str:
        name = f"kiosk_test_{secrets.token_hex(6)}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" ENCODING \'UTF8\' STRATEGY file_copy')
        return name

    def drop_database(self, name: str) -> None:
        # WITH (FORCE) ends sessions a test left open (an engine not disposed, a killed worker's backend).
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    for folder in candidates:
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throwaway cluster; ``stop()`` shuts it down and removes its files."""

    def __init__(self, bindir: Path, base: Path) -> None:
        self.bindir = bindir
        self.base = base
        self.data = base / "data"
        self.port = 0
        self.password = secrets.token_hex(12)
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                raise Unavailable("running as root, and runuser is missing to start PostgreSQL as another user")
            try:
                import pwd

                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root, and there is no 'postgres' user to run the server as") from None
            os.chown(base, pw.pw_uid, pw.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
            self._owner = (pw.pw_uid, pw.pw_gid)
        else:
            self._owner = (os.getuid(), os.getgid())

    def _run(self, *argv: str | Path, timeout: float = 60) -> None:
        proc = subprocess.run(
            [*self._as_postgres, *map(str, argv)], capture_output=True, text=True, timeout=timeout, cwd=self.base
        )
        if proc.returncode != 0:
            log = (
                (self.base / "server.log").read_text(errors="replace")[-2000:]
                if (self.base / "server.log").exists()
                else ""
            )
            raise Unavailable(f"{Path(str(argv[0])).name} failed: {proc.stderr.strip() or proc.stdout.strip()}\n{log}")

    def start(self) -> Server:
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n")
        os.chown(pwfile, *self._owner)
        self._run(
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            USER,
            f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        pwfile.unlink()
        for attempt in range(3):  # a port picked free can be taken before the server binds it
            self.port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                self._run(
                    self.bindir / "pg_ctl",
                    "-D",
                    self.data,
                    "-l",
                    self.base / "server.log",
                    "-w",
                    "-o",
                    options,
                    "start",
                )
                break
            except Unavailable:
                if attempt == 2:
                    raise
        return Server(f"postgresql+psycopg://{USER}:{self.password}@127.0.0.1:{self.port}/postgres")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(Unavailable, subprocess.TimeoutExpired):
                self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", timeout=30)


def mode() -> str:
    return os.environ.get("KIOSK_TEST_POSTGRES", "auto").strip().lower() or "auto"


@contextlib.contextmanager
def server() -> Iterator[Server]:
    """A server for the test session; raises Unavailable with the reason when there is none."""
    if mode() == "off":
        raise Unavailable("KIOSK_TEST_POSTGRES=off")
    given = os.environ.get("KIOSK_TEST_POSTGRES_URL")
    if given:
        found = Server(given)
        try:
            found._admin().close()
        except psycopg.Error as exc:
            raise Unavailable(f"KIOSK_TEST_POSTGRES_URL cannot be reached: {exc}") from None
        yield found
        return
    bindir = _bindir()
    if bindir is None:
        raise Unavailable("no PostgreSQL server binaries (apt-get install postgresql) and no KIOSK_TEST_POSTGRES_URL")
    parent = os.environ.get("KIOSK_TEST_PG_DIR") or None
    base = Path(tempfile.mkdtemp(prefix="kiosk-pg-", dir=parent))
    base.chmod(0o700)
    try:
        cluster = Cluster(bindir, base)
        started = time.monotonic()
        running = cluster.start()
        try:
            running._admin().close()
            global startup_seconds
            startup_seconds = time.monotonic() - started
            yield running
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
