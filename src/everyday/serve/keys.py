"""API keys for ``everyday serve``: created by ``everyday keys create``, stored hashed.

A key reads ``evd_<id>_<secret>``: the 8-hex-digit id finds the row, the secret (32
random bytes, URL-safe base64) is checked against ``sha256(salt + secret)`` with
:func:`hmac.compare_digest`. The secret has 256 bits of entropy, so one fast salted hash
is enough (a slow KDF such as scrypt protects guessable passwords, and would cost every
request milliseconds). The secret is shown once, at creation; revoking keeps the row so
the admin log still names the key.

Scopes: ``read`` (private reads, unpublished records) and ``admin`` (everything).

The functions taking a connection are SQLite's; :mod:`.keys_postgres` has the same for
PostgreSQL. Drawing a key (:func:`new_key`) and checking one (:func:`verify`) are shared,
and so are :func:`check_token` and :func:`revoke_key`, given the backend's
:class:`~everyday.store.sql.Dialect` (SQLite's by default).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..errors import StoreError
from ..store import codec
from ..store.database import SQLITE
from ..store.sql import Connection, Dialect

SCOPES = ("read", "admin")


class Row(Protocol):
    """A row of ``api_keys`` by column name (``sqlite3.Row``, a psycopg dict row)."""

    def __getitem__(self, key: str, /) -> Any: ...


_TOKEN = re.compile(r"^evd_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    name: str
    scope: str
    created: datetime
    revoked: datetime | None = None

    def allows(self, scope: str) -> bool:
        """Whether this key may do what ``scope`` needs (admin implies read)."""
        return self.revoked is None and (self.scope == "admin" or self.scope == scope)


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode("ascii")).digest()


@dataclass(frozen=True)
class NewKey:
    """A key about to be stored: the row's values, and the token shown once."""

    id: str
    name: str
    scope: str
    salt: bytes
    hash: bytes
    token: str


def new_key(name: str, scope: str) -> NewKey:
    """Draw a key: id, secret, salt (every backend stores the same values).

    Raises:
        ValueError: unknown scope or empty name.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if not name.strip():
        raise ValueError("a key needs a name (who or what uses it)")
    key_id, secret, salt = secrets.token_hex(4), secrets.token_urlsafe(32), secrets.token_bytes(16)
    return NewKey(
        key_id, name.strip(), scope, salt, _digest(salt, secret), f"evd_{key_id}_{secret}"
    )


def create_key(
    conn: sqlite3.Connection, name: str, scope: str, now: datetime
) -> tuple[str, ApiKey]:
    """Store a new key; returns the token (shown once) and the key.

    Raises:
        ValueError: unknown scope or empty name.
        StoreError: the database failed.
    """
    key = new_key(name, scope)
    try:
        conn.execute(
            "INSERT INTO api_keys (id, name, scope, salt, hash, created_utc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key.id, key.name, scope, key.salt, key.hash, codec.utc_key(now)),
        )
    except sqlite3.IntegrityError:  # 1 in 4 billion: draw again
        return create_key(conn, name, scope, now)
    except sqlite3.Error as e:
        raise StoreError(f"cannot store the key: {e}") from e
    return key.token, ApiKey(key.id, key.name, scope, now)


def key_of_row(row: Row) -> ApiKey:
    """The key a row of ``api_keys`` holds (either backend)."""
    revoked = row["revoked_utc"]
    return ApiKey(
        id=row["id"],
        name=row["name"],
        scope=row["scope"],
        created=datetime.fromisoformat(row["created_utc"]),
        revoked=None if revoked is None else datetime.fromisoformat(revoked),
    )


def list_keys(conn: sqlite3.Connection) -> list[ApiKey]:
    """Every key, oldest first (revoked ones too)."""
    try:
        rows = conn.execute("SELECT * FROM api_keys ORDER BY created_utc, id").fetchall()
    except sqlite3.Error as e:
        raise StoreError(f"cannot read the keys: {e}") from e
    return [key_of_row(row) for row in rows]


def key_id_of(key_id: str) -> str:
    """The id to revoke: given as is, or inside a whole token."""
    match = _TOKEN.match(key_id)
    return match.group(1) if match else key_id


def revoke_key(conn: Connection, key_id: str, now: datetime, dialect: Dialect = SQLITE) -> bool:
    """Revoke a key by id (or by a whole token); False if unknown or already revoked."""
    m = dialect.mark
    try:
        cursor = conn.execute(
            f"UPDATE api_keys SET revoked_utc = {m} WHERE id = {m} AND revoked_utc IS NULL",
            (codec.utc_key(now), key_id_of(key_id)),
        )
    except dialect.error as e:
        raise StoreError(f"cannot revoke the key: {dialect.message(e)}") from e
    return cursor.rowcount == 1


def parse_token(token: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a well-formed token, else None."""
    match = _TOKEN.match(token)
    return None if match is None else (match.group(1), match.group(2))


def verify(row: Row | None, secret: str) -> ApiKey | None:
    """The live key of ``row`` if ``secret`` is its secret (``row`` None: unknown id)."""
    # Hash even for an unknown id, so timing does not tell which ids exist.
    salt, stored = (row["salt"], row["hash"]) if row is not None else (b"\0" * 16, b"\0" * 32)
    if not hmac.compare_digest(_digest(bytes(salt), secret), bytes(stored)) or row is None:
        return None
    key = key_of_row(row)
    return None if key.revoked is not None else key


def check_token(conn: Connection, token: str, dialect: Dialect = SQLITE) -> ApiKey | None:
    """The live key a token proves, or None (malformed, unknown, wrong secret, revoked)."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    key_id, secret = parsed
    m = dialect.mark
    try:
        row = conn.execute(f"SELECT * FROM api_keys WHERE id = {m}", (key_id,)).fetchone()
    except dialect.error as e:
        raise StoreError(f"cannot read the keys: {dialect.message(e)}") from e
    return verify(row, secret)


def token_from_headers(authorization: str | None, api_key: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>`` or ``X-API-Key: <token>``."""
    if api_key:
        return api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None
