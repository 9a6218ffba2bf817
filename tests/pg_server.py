"""A throwaway PostgreSQL server for the tests: ``initdb`` and ``pg_ctl`` in a temp folder.

It listens on 127.0.0.1 only, on a free port, with password (SCRAM) logins over TCP, and
is tuned for speed, not durability (no fsync). The server refuses to run as root, so
as root its commands run as the ``postgres`` system user that Debian's ``postgresql``
package creates, in a folder that user owns. Each test gets its own database, copied
from a migrated template (``CREATE DATABASE ... TEMPLATE`` is a file copy, ~20 ms).
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

USER = "everyday"
# Distinctive, so a test can check that no message or log ever shows it.
PASSWORD = "pg-Secret-4711"
TEMPLATE = "everyday_template"
RUN_AS = "postgres"


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian keeps them off the PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_reason() -> str | None:
    """Why no server can be started here, or None when one can."""
    if importlib.util.find_spec("psycopg") is None:
        return "psycopg is not installed (pip install -e '.[test]')"
    if find_bindir() is None:
        return (
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
            "apt-get install postgresql"
        )
    if os.geteuid() == 0:
        try:
            subprocess.run(["id", "-u", RUN_AS], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            return f"running as root and there is no {RUN_AS!r} user to run the server as"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """One running server; :meth:`stop` removes it and its folder."""

    bindir: Path
    root: Path
    port: int = 0
    _names: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @classmethod
    def start(cls) -> PgServer:
        """initdb, start on a free 127.0.0.1 port, and create the migrated template."""
        bindir = find_bindir()
        assert bindir is not None, missing_reason()
        server = cls(bindir, Path(tempfile.mkdtemp(prefix="everyday-pg-")))
        try:
            server._initdb()
            server._start()
            server._make_template()
        except BaseException:
            server.stop()
            raise
        return server

    def _command(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / name), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)

    def _initdb(self) -> None:
        password_file = self.root / "password"
        password_file.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, RUN_AS)
            shutil.chown(password_file, RUN_AS)
        self._command(
            "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={password_file}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
            "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip

    def _start(self, port: int = 0) -> None:
        for attempt in range(3):  # a free port may be taken between probe and start
            self.port = port or free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                "-c fsync=off -c full_page_writes=off"
            )
            try:
                self._command(
                    "pg_ctl", "start", "-D", str(self.data), "-w", "-t", "30",
                    "-l", str(self.root / "server.log"), "-o", options,
                )  # fmt: skip
                return
            except subprocess.CalledProcessError:
                if attempt == 2 or port:
                    raise RuntimeError(f"postgres did not start: {self.log_tail()}") from None

    def crash(self) -> None:
        """Stop at once, as a crash looks to clients (sessions cut, no clean shutdown)."""
        self._command("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")

    def restart(self) -> None:
        """Start again on the same port after :meth:`crash` (crash recovery runs)."""
        self._start(self.port)

    def log_tail(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def dsn(self, dbname: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{dbname}"

    def admin(self) -> Any:
        """An autocommit connection to the ``postgres`` database, as the superuser."""
        import psycopg

        return psycopg.connect(self.dsn(), autocommit=True)

    def _make_template(self) -> None:
        from everyday.store.postgres import PostgresStore

        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        PostgresStore(self.dsn(TEMPLATE)).close()  # migrated once; copies need not be

    def create_database(self, *, migrated: bool = True) -> tuple[str, str]:
        """A new database (a copy of the migrated template, or empty): (name, dsn)."""
        name = f"test_{next(self._names)}"
        template = TEMPLATE if migrated else "template0"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return name, self.dsn(name)

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        """Stop the server at once (its data is thrown away) and remove the folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._command("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
