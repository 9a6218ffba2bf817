"""API keys and the admin log on the PostgreSQL index: :mod:`.keys`' functions, twinned.

Tables from migrations 6 and 7 (:mod:`everyday.store.postgres_migrations`). Times are
stored as the same ISO text as on SQLite, so keys and log rows read back alike.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg

from ..errors import StoreError
from ..store import codec
from ..store.postgres_database import POSTGRES, Connection, one_line
from . import keys
from .keys import ApiKey, key_of_row, new_key


def create_key(conn: Connection, name: str, scope: str, now: datetime) -> tuple[str, ApiKey]:
    """Store a new key; returns the token (shown once) and the key.

    Raises:
        ValueError: unknown scope or empty name.
        StoreError: the database failed.
    """
    key = new_key(name, scope)
    try:
        cursor = conn.execute(
            "INSERT INTO api_keys (id, name, scope, salt, hash, created_utc) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (key.id, key.name, scope, key.salt, key.hash, codec.utc_key(now)),
        )
    except psycopg.Error as e:
        raise StoreError(f"cannot store the key: {one_line(e)}") from e
    if cursor.rowcount != 1:  # 1 in 4 billion: draw again
        return create_key(conn, name, scope, now)
    return key.token, ApiKey(key.id, key.name, scope, now)


def list_keys(conn: Connection) -> list[ApiKey]:
    """Every key, oldest first (revoked ones too)."""
    try:
        rows = conn.execute(
            'SELECT * FROM api_keys ORDER BY created_utc COLLATE "C", id COLLATE "C"'
        ).fetchall()
    except psycopg.Error as e:
        raise StoreError(f"cannot read the keys: {one_line(e)}") from e
    return [key_of_row(row) for row in rows]


def revoke_key(conn: Connection, key_id: str, now: datetime) -> bool:
    """Revoke a key by id (or by a whole token); False if unknown or already revoked."""
    return keys.revoke_key(conn, key_id, now, POSTGRES)


def check_token(conn: Connection, token: str) -> ApiKey | None:
    """The live key a token proves, or None (malformed, unknown, wrong secret, revoked)."""
    return keys.check_token(conn, token, POSTGRES)


def add_log_row(conn: Connection, values: tuple[Any, ...]) -> None:
    """One row of ``admin_log``: (at_utc, key_id, client, action, target, status, detail)."""
    try:
        conn.execute(
            "INSERT INTO admin_log (at_utc, key_id, client, action, target, status, detail) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s::json)",
            values,
        )
    except psycopg.Error as e:
        raise StoreError(f"cannot write the admin log: {one_line(e)}") from e


def log_rows(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """The latest ``limit`` rows of ``admin_log``, newest first, ``detail`` decoded."""
    try:
        rows = conn.execute(
            "SELECT id, at_utc, key_id, client, action, target, status, detail::text AS detail "
            "FROM admin_log ORDER BY id DESC LIMIT %s",
            (limit,),
        ).fetchall()
    except psycopg.Error as e:
        raise StoreError(f"cannot read the admin log: {one_line(e)}") from e
    return [{**row, "detail": json.loads(row["detail"])} for row in rows]
