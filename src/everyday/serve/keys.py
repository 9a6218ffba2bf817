"""API keys for ``everyday serve``: created by ``everyday keys create``, stored hashed.

A key reads ``evd_<id>_<secret>``: the 8-hex-digit id finds the row, the secret (32
random bytes, URL-safe base64) is checked against ``sha256(salt + secret)`` with
:func:`hmac.compare_digest`. The secret has 256 bits of entropy, so one fast salted hash
is enough (a slow KDF such as scrypt protects guessable passwords, and would cost every
request milliseconds). The secret is shown once, at creation; revoking keeps the row so
the admin log still names the key.

Scopes: ``read`` (private reads, unpublished records) and ``admin`` (everything).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..errors import StoreError
from ..store import codec

SCOPES = ("read", "admin")
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


def create_key(
    conn: sqlite3.Connection, name: str, scope: str, now: datetime
) -> tuple[str, ApiKey]:
    """Store a new key; returns the token (shown once) and the key.

    Raises:
        ValueError: unknown scope or empty name.
        StoreError: the database failed.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if not name.strip():
        raise ValueError("a key needs a name (who or what uses it)")
    key_id, secret, salt = secrets.token_hex(4), secrets.token_urlsafe(32), secrets.token_bytes(16)
    try:
        conn.execute(
            "INSERT INTO api_keys (id, name, scope, salt, hash, created_utc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key_id, name.strip(), scope, salt, _digest(salt, secret), codec.utc_key(now)),
        )
    except sqlite3.IntegrityError:  # 1 in 4 billion: draw again
        return create_key(conn, name, scope, now)
    except sqlite3.Error as e:
        raise StoreError(f"cannot store the key: {e}") from e
    return f"evd_{key_id}_{secret}", ApiKey(key_id, name.strip(), scope, now)


def _key(row: sqlite3.Row) -> ApiKey:
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
    return [_key(row) for row in rows]


def revoke_key(conn: sqlite3.Connection, key_id: str, now: datetime) -> bool:
    """Revoke a key by id (or by a whole token); False if unknown or already revoked."""
    match = _TOKEN.match(key_id)
    key_id = match.group(1) if match else key_id
    try:
        cursor = conn.execute(
            "UPDATE api_keys SET revoked_utc = ? WHERE id = ? AND revoked_utc IS NULL",
            (codec.utc_key(now), key_id),
        )
    except sqlite3.Error as e:
        raise StoreError(f"cannot revoke the key: {e}") from e
    return cursor.rowcount == 1


def check_token(conn: sqlite3.Connection, token: str) -> ApiKey | None:
    """The live key a token proves, or None (malformed, unknown, wrong secret, revoked)."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    key_id, secret = match.groups()
    try:
        row = conn.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
    except sqlite3.Error as e:
        raise StoreError(f"cannot read the keys: {e}") from e
    # Hash even for an unknown id, so timing does not tell which ids exist.
    salt, stored = (row["salt"], row["hash"]) if row is not None else (b"\0" * 16, b"\0" * 32)
    if not hmac.compare_digest(_digest(salt, secret), stored) or row is None:
        return None
    key = _key(row)
    return None if key.revoked is not None else key


def token_from_headers(authorization: str | None, api_key: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>`` or ``X-API-Key: <token>``."""
    if api_key:
        return api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None
