"""The ``secured`` field: the private part of an article, sealed with AES-256-GCM (pure).

A hub publishes its records but keeps some fields private: the full extracted text, the
original URL and the authors. ``secured`` carries them as a JSON payload, encrypted and
authenticated, in the seed's shape (``SCHEMA.md`` §i)::

    base64(ciphertext + 16-byte GCM tag) ";" base64(16-byte nonce)

Design (``docs/secured.md``):

* **Fresh nonce.** Each encryption draws 16 random bytes from the OS. GCM accepts nonces of
  any length (a 16-byte one is hashed to the counter block), so the seed's 16-byte IV part
  keeps its meaning without a nonce counter to store.
* **Key id without a third part.** The shape has two parts, so the key id is bound, not
  shown: the associated data is ``everyday-secured/1:<key id>`` and the payload repeats
  ``kid``. Decryption tries the ring's keys, current first; a key only opens a value whose
  associated data names *that* key, so a match identifies the key with certainty. Rings
  hold a few keys (rotation drops old ones), and a failed GCM check is a microsecond.
* **Padding.** The JSON is padded with spaces to a multiple of 16 bytes (JSON ignores
  trailing whitespace), so the cipher part is a multiple of 16 bytes like the seed's
  AES-CBC values and ``everyday records check`` accepts it; lengths leak only to 16 bytes.
* **Errors, never garbage.** A malformed, truncated, tampered or wrongly keyed value raises
  :class:`SecuredError`; the seed's own values (AES-CBC from another system) do too.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from everyday.errors import SecuredError
from everyday.keyring import Key, KeyRing
from everyday.models import Article

FORMAT_VERSION = 1
NONCE_BYTES = 16
TAG_BYTES = 16
BLOCK = 16
_AAD_PREFIX = b"everyday-secured/1:"


@dataclass(frozen=True)
class Opened:
    """A decrypted value and the id of the key that opened it (rotation needs both)."""

    payload: dict[str, Any]
    key_id: str


def secured_payload(article: Article) -> dict[str, Any]:
    """The private fields of an article, as the JSON object ``secured`` seals."""
    record = article.record
    return {
        "text": article.text,
        "originalUrl": record.original_url or record.web_url or None,
        "authors": list(article.authors),
    }


def encrypt_secured(payload: dict[str, Any], key: Key, nonce: bytes | None = None) -> str:
    """Seal ``payload`` under ``key`` in the seed's ``base64;base64`` shape.

    Args:
        payload: a JSON-serialisable object; ``v`` and ``kid`` are set (overwritten) here.
        key: the key to encrypt with (normally ``ring.current``).
        nonce: 16 bytes; only tests pass one. Never reuse a nonce with the same key.

    Raises:
        SecuredError: the payload is not JSON-serialisable, or the nonce is not 16 bytes.
    """
    if nonce is None:
        nonce = os.urandom(NONCE_BYTES)
    elif len(nonce) != NONCE_BYTES:
        raise SecuredError(f"nonce is {len(nonce)} bytes, want {NONCE_BYTES}")
    body = {"v": FORMAT_VERSION, "kid": key.id}
    body.update((k, v) for k, v in payload.items() if k not in body)
    try:
        plain = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise SecuredError(f"secured payload is not JSON-serialisable: {e}") from e
    data = plain.encode("utf-8")
    data += b" " * (-len(data) % BLOCK)
    sealed = AESGCM(key.secret).encrypt(nonce, data, _aad(key.id))
    return f"{_b64(sealed)};{_b64(nonce)}"


def decrypt_secured(value: str, keys: KeyRing) -> dict[str, Any]:
    """Open a ``secured`` value with whichever key of the ring sealed it.

    Returns:
        The payload, including ``v`` (format version) and ``kid`` (key id).

    Raises:
        SecuredError: the value is malformed, tampered with, or sealed by no key of ``keys``.
    """
    return open_secured(value, keys).payload


def open_secured(value: str, keys: KeyRing) -> Opened:
    """Like :func:`decrypt_secured`, and also say which key opened the value."""
    sealed, nonce = split_secured(value)
    for key in keys.keys:
        try:
            data = AESGCM(key.secret).decrypt(nonce, sealed, _aad(key.id))
        except InvalidTag:
            continue
        return Opened(_payload(data, key.id), key.id)
    raise SecuredError(
        f"cannot decrypt secured: tampered, or sealed by a key not in {keys.origin or 'the ring'} "
        f"(tried {', '.join(keys.ids)})"
    )


def split_secured(value: str) -> tuple[bytes, bytes]:
    """Decode ``base64;base64`` into (ciphertext + tag, nonce), checking the sizes.

    Raises:
        SecuredError: not two parts, bad base64, a nonce that is not 16 bytes, or a cipher
            part too short to hold the GCM tag.
    """
    if not isinstance(value, str):
        raise SecuredError(f"secured must be text, got {type(value).__name__}")
    parts = value.strip().split(";")
    if len(parts) != 2:
        raise SecuredError(f"secured must be '<base64>;<base64>', got {len(parts)} part(s)")
    try:
        sealed, nonce = (base64.b64decode(p, validate=True) for p in parts)
    except (binascii.Error, ValueError) as e:
        raise SecuredError(f"secured is not valid base64: {e}") from e
    if len(nonce) != NONCE_BYTES:
        raise SecuredError(f"secured nonce is {len(nonce)} bytes, want {NONCE_BYTES}")
    if len(sealed) < TAG_BYTES + 1:
        raise SecuredError(f"secured cipher part is {len(sealed)} bytes: truncated")
    return sealed, nonce


def _payload(data: bytes, key_id: str) -> dict[str, Any]:
    # The tag already proved these bytes are ours; these checks catch our own future
    # format changes, not attackers.
    try:
        payload = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise SecuredError(f"decrypted secured payload is not JSON: {e}") from e
    if not isinstance(payload, dict):
        raise SecuredError("decrypted secured payload is not a JSON object")
    if payload.get("v") != FORMAT_VERSION:
        raise SecuredError(f"secured payload format {payload.get('v')!r} is not supported")
    if payload.get("kid") != key_id:
        raise SecuredError(f"secured payload names key {payload.get('kid')!r}, not {key_id!r}")
    return payload


def _aad(key_id: str) -> bytes:
    return _AAD_PREFIX + key_id.encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
