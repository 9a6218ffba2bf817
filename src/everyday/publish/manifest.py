"""What the previous build wrote: site-relative path -> size and SHA-256 of the bytes.

The manifest lets an unchanged file be recognised without reading it back and tells which
files a build produced, so that those no longer produced are removed. A file a build
creates (no row yet) is saved without its digest (a from-scratch build need not hash every
byte it writes); the first build that produces it again compares it on disk. Two stores:

- :class:`JsonManifest`: ``.everyday-build.json`` in the site folder, read and rewritten
  whole. Simple, and fine for a few thousand files.
- :class:`DbManifest`: an SQLite file outside the site folder (the hub's ``.everyday/``),
  read one path at a time and updated by difference, so a build that changes 40 files of
  200,000 does 40 row updates instead of rewriting a 30 MB JSON file. It also keeps the
  build's state blobs (:meth:`DbManifest.meta`) in the same transaction as the file rows.
  The site folder then holds only a small token (``{"build": "<id>"}``) naming the build
  the database describes; a deleted or restored folder no longer matches, and the database
  is then trusted for nothing (files are compared on disk instead).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath

from everyday.errors import PublishError, RecordError
from everyday.records.files import atomic_write

log = logging.getLogger(__name__)

Row = tuple[int, str]  # size, sha256 hex (or UNKNOWN)
UNKNOWN = ""  # the digest of a file first written by the previous build: compare on disk
PENDING = "pending"


_PLAIN_PATH = re.compile(r"(?:(?!\.\.?/)[\w.~+@=,-]+/)*(?!\.\.?$)[\w.~+@=,-]+")


def check_relative(path: str) -> str:
    """Return ``path`` if it is a plain site-relative POSIX path, else raise PublishError."""
    if _PLAIN_PATH.fullmatch(path):  # the usual case, without splitting the path up
        return path
    parts = PurePosixPath(path).parts
    if (
        not path
        or path.startswith("/")
        or "\\" in path
        or "\x00" in path
        or any(p in {"", ".", ".."} for p in parts)
        or path != "/".join(parts)
    ):
        raise PublishError(f"{path!r}: not a safe site-relative path")
    return path


def _paths_of(data: object) -> dict[str, Row]:
    """Entries of a JSON manifest; anything odd or unsafe is ignored."""
    known: dict[str, Row] = {}
    if isinstance(data, dict):
        for path, value in data.items():
            if isinstance(value, list) and len(value) == 2:
                with contextlib.suppress(PublishError, TypeError, ValueError):
                    known[check_relative(path)] = (int(value[0]), str(value[1]))
    return known


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        log.warning("build manifest unreadable, comparing on disk path=%s error=%s", path, e)
        return None


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
    except (OSError, RecordError) as e:
        raise PublishError(f"{path}: cannot write: {e}") from e


class JsonManifest:
    """The whole manifest as one JSON file in the site folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = _paths_of(_read_json(path))

    def get(self, path: str) -> Row | None:
        """The previous build's row of ``path``."""
        return self.rows.get(path)

    def all_paths(self) -> set[str]:
        """Every path the previous build produced."""
        return set(self.rows)

    def count(self) -> int:
        """How many files the previous build produced."""
        return len(self.rows)

    def meta(self, key: str) -> bytes | None:
        """JSON manifests keep no build state."""
        return None

    def metas(self, prefix: str) -> dict[str, bytes]:
        """JSON manifests keep no build state."""
        return {}

    def texts(self, kind: str) -> dict[str, tuple[int, str]]:
        """JSON manifests keep no texts."""
        return {}

    def text(self, kind: str, path: str) -> tuple[int, str] | None:
        """JSON manifests keep no texts."""
        return None

    def preload(self) -> None:
        """Already in memory."""

    def mark_pending(self) -> None:
        """Nothing to do: the JSON manifest is rewritten whole at the end."""

    def close(self) -> None:
        """Nothing to close."""

    def reader(self) -> Callable[[], set[str]]:
        """A function listing the manifest's paths later."""
        rows = self.rows
        return lambda: set(rows)

    def save(
        self,
        changed: Mapping[str, Row],
        removed: Iterable[str],
        meta: Mapping[str, bytes | None],
        texts: TextRows | None = None,
        clear_texts: bool = False,
    ) -> None:
        """Write the manifest with ``changed`` rows updated and ``removed`` paths dropped."""
        removed = [p for p in removed if p in self.rows]
        # A digest learned for a file with an unknown one is not worth rewriting this file
        # in the site folder (a sync would upload it): unknown only means "compare on disk".
        rows = self.rows
        changed = {
            p: r
            for p, r in changed.items()
            if (old := rows.get(p)) is None or old[1] != UNKNOWN or old[0] != r[0]
        }
        if not changed and not removed and self.path.is_file():
            return  # nothing changed: keep the file (and its mtime)
        self.rows.update(changed)
        for path in removed:
            self.rows.pop(path, None)
        body = json.dumps({p: list(v) for p, v in sorted(self.rows.items())}, indent=0)
        _write(self.path, body + "\n")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, digest TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS texts (  -- version: a 64-bit digest, as text (SQLite's are signed)
    kind TEXT NOT NULL, path TEXT NOT NULL, version TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (kind, path)
) WITHOUT ROWID;
"""

# (kind, record path) -> (version, text), or None to forget it
TextRows = Mapping[tuple[str, str], tuple[int, str] | None]


def _open(database: Path) -> sqlite3.Connection:
    """Open (or create) the database; a damaged file is replaced: it can be rebuilt."""
    for attempt in (1, 2):
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(database, isolation_level=None)
            try:
                # Rebuildable data: no fsync; a torn file fails here and is started afresh.
                conn.execute("PRAGMA journal_mode=MEMORY")
                conn.execute("PRAGMA synchronous=OFF")
                conn.executescript(_SCHEMA)
                conn.execute("SELECT count(*) FROM meta").fetchone()
            except sqlite3.DatabaseError:
                conn.close()
                raise
            return conn
        except sqlite3.DatabaseError as e:
            if attempt == 2:
                raise PublishError(f"{database}: cannot open the build manifest: {e}") from e
            log.warning("build manifest damaged, starting afresh path=%s error=%s", database, e)
            database.unlink(missing_ok=True)
        except (OSError, sqlite3.Error) as e:
            raise PublishError(f"{database}: cannot open the build manifest: {e}") from e
    raise AssertionError("unreachable")


class DbManifest:
    """The manifest in an SQLite file, tied to the site folder by a token file."""

    def __init__(self, database: Path, token: Path) -> None:
        self.database = database
        self.token = token
        self.conn = _open(database)
        self.build = self._meta_text("build")
        self.legacy: dict[str, Row] = {}
        data = _read_json(token)
        mine = isinstance(data, dict) and data.get("build") == self.build and self.build
        if not mine:
            # A folder deleted, restored, built by another tool or by an older everyday:
            # trust none of the database, but adopt a legacy JSON manifest's rows.
            self.legacy = _paths_of(data) if isinstance(data, dict) else {}
            self._reset()
        self._pending = False
        self._rows: dict[str, Row] | None = None
        self._pid = os.getpid()
        self._forked: tuple[int, sqlite3.Connection] | None = None

    def preload(self) -> None:
        """Read every row at once (a full build looks most of them up); once."""
        if self._rows is not None:
            return
        rows = self.conn.execute("SELECT path, size, digest FROM files")
        self._rows = {str(p): (int(s), str(d)) for p, s, d in rows}

    def _meta_text(self, key: str) -> str:
        raw = self.meta(key)
        return raw.decode("ascii", "replace") if raw else ""

    def _reset(self) -> None:
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM files")
            self.conn.execute("DELETE FROM meta")
            self.conn.execute("DELETE FROM texts")
            self.conn.executemany(
                "INSERT INTO files VALUES (?, ?, ?)",
                ((p, s, d) for p, (s, d) in self.legacy.items()),
            )
        self.build = ""

    def get(self, path: str) -> Row | None:
        """The previous build's row of ``path``."""
        if self._rows is not None:
            return self._rows.get(path)
        row = self.conn.execute("SELECT size, digest FROM files WHERE path = ?", (path,)).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def all_paths(self) -> set[str]:
        """Every path the previous build produced."""
        if self._rows is not None:
            return set(self._rows)
        return {str(r[0]) for r in self.conn.execute("SELECT path FROM files")}

    def count(self) -> int:
        """How many files the previous build produced."""
        if self._rows is not None:
            return len(self._rows)
        return int(self.conn.execute("SELECT count(*) FROM files").fetchone()[0])

    def meta(self, key: str) -> bytes | None:
        """A state blob saved by the previous build (None after a reset)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def metas(self, prefix: str) -> dict[str, bytes]:
        """Every state blob whose key starts with ``prefix`` (one query for all shards)."""
        rows = self.conn.execute(
            "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
        )
        return {str(k): bytes(v) for k, v in rows}

    def texts(self, kind: str) -> dict[str, tuple[int, str]]:
        """Texts of ``kind`` the previous builds kept: record path -> (version, text)."""
        rows = self._here().execute("SELECT path, version, text FROM texts WHERE kind = ?", (kind,))
        return {str(p): (int(v), str(t)) for p, v, t in rows}

    def text(self, kind: str, path: str) -> tuple[int, str] | None:
        """The kept text of one record (10 us; :meth:`texts` reads all, 0.3 s at 100,000)."""
        row = (
            self._here()
            .execute("SELECT version, text FROM texts WHERE kind = ? AND path = ?", (kind, path))
            .fetchone()
        )
        return None if row is None else (int(row[0]), str(row[1]))

    def _here(self) -> sqlite3.Connection:
        """A connection of this process: a forked worker reads through its own, since an
        SQLite connection must not be used on both sides of a fork."""
        if os.getpid() == self._pid:
            return self.conn
        if self._forked is None or self._forked[0] != os.getpid():
            uri = f"{self.database.resolve().as_uri()}?mode=ro"
            self._forked = (os.getpid(), sqlite3.connect(uri, uri=True))
        return self._forked[1]

    def mark_pending(self) -> None:
        """Before the first file changes: a crash from here on must not leave a valid token."""
        if not self._pending:
            self._pending = True
            _write(self.token, json.dumps({"build": PENDING}) + "\n")

    def save(
        self,
        changed: Mapping[str, Row],
        removed: Iterable[str],
        meta: Mapping[str, bytes | None],
        texts: TextRows | None = None,
        clear_texts: bool = False,
    ) -> None:
        """Apply the differences, store ``meta`` (deleting keys given None) and ``texts``
        (after forgetting every text with ``clear_texts``), then name the new build in the
        token."""
        build = secrets.token_hex(8) if (self._pending or not self.build) else self.build
        try:
            with self.conn:
                self.conn.execute("BEGIN")
                if clear_texts:
                    self.conn.execute("DELETE FROM texts")
                rows = (texts or {}).items()
                self.conn.executemany(
                    "INSERT OR REPLACE INTO texts VALUES (?, ?, ?, ?)",
                    ((k, p, str(row[0]), row[1]) for (k, p), row in rows if row is not None),
                )
                self.conn.executemany(
                    "DELETE FROM texts WHERE kind = ? AND path = ?",
                    (key for key, row in rows if row is None),
                )
                self.conn.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?)",
                    ((p, s, d) for p, (s, d) in changed.items()),
                )
                self.conn.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in removed))
                items = {**meta, "build": build.encode("ascii")}
                self.conn.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [(k, v) for k, v in items.items() if v is not None],
                )
                self.conn.executemany(
                    "DELETE FROM meta WHERE key = ?", [(k,) for k, v in items.items() if v is None]
                )
        except sqlite3.Error as e:
            raise PublishError(f"cannot save the build manifest: {e}") from e
        if build != self.build or self._pending:
            _write(self.token, json.dumps({"build": build}) + "\n")
        self.build = build
        self._pending = False
        if self._rows is not None:
            self._rows.update(changed)
            for path in removed:
                self._rows.pop(path, None)

    def close(self) -> None:
        """Close the database."""
        if self._forked is not None and self._forked[0] == os.getpid():
            self._forked[1].close()
        self._forked = None
        self.conn.close()

    def reader(self) -> Callable[[], set[str]]:
        """A function listing the manifest's paths later, on its own connection."""
        database = self.database

        def paths() -> set[str]:
            conn = sqlite3.connect(database)
            try:
                return {str(r[0]) for r in conn.execute("SELECT path FROM files")}
            finally:
                conn.close()

        return paths
