"""Secret keys for the ``secured`` field: parsed from the environment or the hub's key file.

A key is 32 random bytes (AES-256) with a short id. Keys are written ``id:base64key``, the
key in *standard* base64 with padding (RFC 4648 §4, 44 characters); the URL-safe alphabet
(§5) is accepted on reading too, since the two alphabets cannot be confused.

Where keys come from, first match wins (``docs/secured.md``):

1. ``EVERYDAY_SECRET_KEYS``: comma-separated ``id:base64key`` entries;
2. ``.everyday/secret.keys`` in the hub: one entry per line, ``#`` comments allowed. The
   file must not be readable or writable by group or others (mode 0600), like ssh keys.

The first key is the *current* one (it encrypts); the others only decrypt, so values
written before a rotation stay readable until ``everyday secure rotate`` re-encrypts them.
No key anywhere means no ``secured`` field: :func:`load_keyring` returns ``None``.
Keys never go in the repo: ``.everyday/`` is in every hub's ``.gitignore``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

log = logging.getLogger(__name__)

ENV_VAR = "EVERYDAY_SECRET_KEYS"
KEY_FILE = Path(".everyday") / "secret.keys"
KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_FILE_HEADER = (
    "# everyday secret keys for the `secured` field: `id:base64key`, one per line.\n"
    "# The first key encrypts; the others only decrypt (rotation). Keep this file private\n"
    "# (mode 0600) and out of git; losing it makes every `secured` value unreadable.\n"
)


@dataclass(frozen=True)
class Key:
    """One AES-256 key and the id that names it in key files and payloads."""

    id: str
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _KEY_ID.fullmatch(self.id):
            raise ConfigError(f"key id {self.id!r}: use 1-64 letters, digits, '.', '_' or '-'")
        if len(self.secret) != KEY_BYTES:
            raise ConfigError(
                f"key {self.id!r}: {len(self.secret)} bytes, want {KEY_BYTES} (AES-256)"
            )


@dataclass(frozen=True)
class KeyRing:
    """The known keys, current (encrypting) key first; ``origin`` says where they came from."""

    keys: tuple[Key, ...]
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise ConfigError(f"{self.origin or 'key ring'}: no keys")
        ids = [k.id for k in self.keys]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ConfigError(f"{self.origin or 'key ring'}: duplicate key id(s) {duplicates}")

    @property
    def current(self) -> Key:
        """The key new values are encrypted with."""
        return self.keys[0]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self.keys)

    def get(self, key_id: str) -> Key | None:
        """The key with this id, or None."""
        return next((k for k in self.keys if k.id == key_id), None)


def describe_missing_key() -> str:
    """The line a run logs once when it leaves ``secured`` out for lack of a key."""
    return f"no secret key: secured omitted (set {ENV_VAR} or run `everyday secure init-key`)"


def generate_key(key_id: str) -> Key:
    """A new key of 32 bytes from the OS's cryptographic random source."""
    return Key(key_id, secrets.token_bytes(KEY_BYTES))


def format_key(key: Key) -> str:
    """``id:base64key``, standard base64 with padding."""
    return f"{key.id}:{base64.b64encode(key.secret).decode('ascii')}"


def parse_key(entry: str, where: str = "") -> Key:
    """Parse one ``id:base64key`` entry.

    Raises:
        ConfigError: no ``:``, a bad id, bad base64, or a key that is not 32 bytes.
    """
    prefix = f"{where}: " if where else ""
    key_id, sep, encoded = entry.strip().partition(":")
    if not sep:
        raise ConfigError(f"{prefix}expected 'id:base64key', got an entry without ':'")
    encoded = encoded.strip().replace("-", "+").replace("_", "/")
    try:
        secret = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ConfigError(f"{prefix}key {key_id.strip()!r} is not valid base64") from e
    try:
        return Key(key_id.strip(), secret)
    except ConfigError as e:
        raise ConfigError(f"{prefix}{e}") from None


def parse_env_keys(value: str) -> KeyRing:
    """Keys from the value of ``EVERYDAY_SECRET_KEYS`` (comma-separated entries)."""
    entries = [e for e in value.split(",") if e.strip()]
    keys = tuple(parse_key(e, f"{ENV_VAR} entry {i}") for i, e in enumerate(entries, 1))
    return KeyRing(keys, origin=ENV_VAR)


def parse_key_file(text: str, origin: str) -> KeyRing:
    """Keys from a key file's text: one entry per line; blank and ``#`` lines are skipped."""
    keys = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            keys.append(parse_key(line, f"{origin}:{number}"))
    return KeyRing(tuple(keys), origin=origin)


def key_file_path(hub_dir: Path) -> Path:
    return hub_dir / KEY_FILE


def check_permissions(path: Path) -> None:
    """Refuse a key file that group or others may read or write (POSIX only).

    Raises:
        ConfigError: the mode has any of the 0o077 bits; the message says how to fix it.
    """
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path}: key file is accessible to other users (mode {mode:04o}); "
            f"run `chmod 600 {path}`"
        )


def read_key_file(path: Path) -> KeyRing:
    """Read and check a key file.

    Raises:
        ConfigError: unreadable, too open (see :func:`check_permissions`), or malformed.
    """
    try:
        check_permissions(path)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read key file: {e}") from e
    return parse_key_file(text, str(path))


def load_keyring(hub_dir: Path | None, env: Mapping[str, str] | None = None) -> KeyRing | None:
    """The hub's keys: ``EVERYDAY_SECRET_KEYS`` if set and not blank, else the key file.

    Args:
        hub_dir: the hub whose ``.everyday/secret.keys`` to read; None to use only ``env``.
        env: environment to read (default ``os.environ``); tests pass a dict.

    Returns:
        The key ring, or None when no key is configured (callers omit ``secured``).

    Raises:
        ConfigError: a key source exists but is malformed or too open.
    """
    env = os.environ if env is None else env
    value = env.get(ENV_VAR, "")
    if value.strip():
        return parse_env_keys(value)
    if hub_dir is None:
        return None
    path = key_file_path(hub_dir)
    if not path.exists():
        return None
    return read_key_file(path)


def write_key_file(path: Path, keys: Iterable[Key], *, replace: bool = True) -> None:
    """Write a key file with mode 0600 from the start (never briefly readable), atomically.

    The folder is created with mode 0700. With ``replace`` false an existing file is an error.

    Raises:
        ConfigError: the file exists and ``replace`` is false, or it cannot be written.
    """
    text = _FILE_HEADER + "".join(format_key(k) + "\n" for k in keys)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not replace:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            return
        _replace_private(path, text)
    except FileExistsError as e:
        raise ConfigError(f"{path}: a key file already exists") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot write key file: {e}") from e


def _replace_private(path: Path, text: str) -> None:
    # mkstemp creates the file with mode 0600, so the key is never exposed mid-write.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-secret.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def next_key_id(ring: KeyRing | None) -> str:
    """``k1``, ``k2``...: one above the highest ``k<n>`` id in the ring."""
    numbers = [
        int(m.group(1)) for i in (ring.ids if ring else ()) if (m := re.fullmatch(r"k(\d+)", i))
    ]
    return f"k{max(numbers, default=0) + 1}"


def add_key(ring: KeyRing, key: Key) -> KeyRing:
    """A ring with ``key`` as the new current key and every old key kept for decryption."""
    return KeyRing((key, *ring.keys), origin=ring.origin)


def drop_key(ring: KeyRing, key_id: str) -> KeyRing:
    """A ring without ``key_id``.

    Raises:
        ConfigError: no such key, or it is the current key (add a new one first).
    """
    if ring.get(key_id) is None:
        raise ConfigError(f"no key {key_id!r} (known: {', '.join(ring.ids)})")
    if ring.current.id == key_id:
        raise ConfigError(
            f"{key_id!r} is the current key; `everyday secure add-key` a new one and "
            "`rotate` before dropping it"
        )
    return KeyRing(tuple(k for k in ring.keys if k.id != key_id), origin=ring.origin)
