"""The ``secured`` field: AES-256-GCM sealing in the seed's shape, and every way to fail."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from everyday.enrich.secured import (
    SecuredError,
    decrypt_secured,
    encrypt_secured,
    open_secured,
    secured_payload,
)
from everyday.errors import EverydayError
from everyday.keyring import Key, KeyRing
from everyday.models import Article, Provider, Record
from everyday.records.check import check_tree
from everyday.records.files import iter_record_files, read_record, write_record

SEED_SHAPE = re.compile(r"^[A-Za-z0-9+/=]+;[A-Za-z0-9+/=]+$")
K1 = Key("k1", bytes(range(32)))
K2 = Key("k2", bytes(range(100, 132)))
RING = KeyRing((K1,))
PAYLOAD = {"text": "Robots fold laundry.\n\nSecond paragraph.", "originalUrl": "https://e.x/a"}


def make_article(text: str = "Full text here.", authors: tuple[str, ...] = ("Ada",)) -> Article:
    record = Record(
        title="Robots fold laundry",
        excerpt="A lab shows a robot folding shirts ...",
        published=datetime(2023, 11, 7, 8, 14, tzinfo=UTC),
        web_url="https://example.com/robots/laundry",
        original_url="https://example.com/robots/laundry?utm_source=feed",
        provider=Provider("Example News", "example.com"),
        topics=("AI",),
    )
    return Article(record=record, path="_news/2023-11-07-robots.md", text=text, authors=authors)


def flip(value: str, part: int, index: int) -> str:
    """The value with one byte of one part changed."""
    parts = [bytearray(base64.b64decode(p)) for p in value.split(";")]
    parts[part][index] ^= 0x01
    return ";".join(base64.b64encode(bytes(p)).decode() for p in parts)


def test_round_trip_of_an_article_payload() -> None:
    article = make_article(text="Ünïcode text — with “quotes” and 中文.", authors=("Ada", "Bo"))
    value = encrypt_secured(secured_payload(article), K1)
    payload = decrypt_secured(value, RING)
    assert payload == {
        "v": 1,
        "kid": "k1",
        "text": "Ünïcode text — with “quotes” and 中文.",
        "originalUrl": "https://example.com/robots/laundry?utm_source=feed",
        "authors": ["Ada", "Bo"],
    }


def test_payload_falls_back_to_web_url_without_original_url() -> None:
    article = make_article()
    bare = replace(article, record=replace(article.record, original_url=None))
    assert secured_payload(bare)["originalUrl"] == "https://example.com/robots/laundry"


def test_empty_and_large_texts_round_trip() -> None:
    for text in ("", "x" * 1_000_000):
        value = encrypt_secured({"text": text}, K1)
        assert decrypt_secured(value, RING)["text"] == text


def test_each_encryption_uses_a_fresh_nonce() -> None:
    first, second = encrypt_secured(PAYLOAD, K1), encrypt_secured(PAYLOAD, K1)
    assert first != second
    assert first.split(";")[1] != second.split(";")[1]
    assert decrypt_secured(first, RING) == decrypt_secured(second, RING)


def test_a_given_nonce_is_used_as_is() -> None:
    nonce = bytes(16)
    value = encrypt_secured(PAYLOAD, K1, nonce=nonce)
    assert value.split(";")[1] == base64.b64encode(nonce).decode()
    assert value == encrypt_secured(PAYLOAD, K1, nonce=nonce)


def test_shape_matches_the_seed() -> None:
    for payload in ({}, PAYLOAD, {"text": "a" * 37}):
        value = encrypt_secured(payload, K1)
        assert SEED_SHAPE.fullmatch(value)
        sealed, nonce = (base64.b64decode(p, validate=True) for p in value.split(";"))
        assert len(nonce) == 16
        # Padded so the cipher part is a multiple of 16 bytes, like the seed's AES-CBC values.
        assert len(sealed) % 16 == 0 and len(sealed) >= 32


def test_records_with_our_values_pass_records_check(tmp_path: Path) -> None:
    article = make_article()
    for i, text in enumerate(("", "short", "a longer text " * 11)):
        secured = encrypt_secured(secured_payload(make_article(text=text)), K1)
        record = replace(article.record, secured=secured)
        write_record(tmp_path, f"2023-11-07-r{i}.md", record)
    assert check_tree(tmp_path) == []
    for path in iter_record_files(tmp_path):
        value = read_record(path).secured
        assert value is not None
        assert decrypt_secured(value, RING)["kid"] == "k1"


@pytest.mark.parametrize(("part", "index"), [(0, 0), (0, -1), (0, 20), (1, 0), (1, 15)], ids=str)
def test_a_tampered_byte_is_an_error(part: int, index: int) -> None:
    value = encrypt_secured(PAYLOAD, K1)
    with pytest.raises(SecuredError, match="cannot decrypt"):
        decrypt_secured(flip(value, part, index), RING)


def test_wrong_key_is_an_error_naming_the_keys_tried() -> None:
    value = encrypt_secured(PAYLOAD, K1)
    with pytest.raises(SecuredError, match="tried k2"):
        decrypt_secured(value, KeyRing((K2,)))


def test_the_key_id_is_authenticated() -> None:
    # Same secret under another id: the associated data differs, so it must not open.
    value = encrypt_secured(PAYLOAD, K1)
    renamed = Key("other", K1.secret)
    with pytest.raises(SecuredError):
        decrypt_secured(value, KeyRing((renamed,)))


def test_an_old_key_still_opens_and_is_identified() -> None:
    old_value = encrypt_secured(PAYLOAD, K1)
    ring = KeyRing((K2, K1))
    opened = open_secured(old_value, ring)
    assert opened.key_id == "k1"
    assert opened.payload["text"] == PAYLOAD["text"]
    assert open_secured(encrypt_secured(PAYLOAD, ring.current), ring).key_id == "k2"


def test_version_and_key_id_cannot_be_overridden_by_the_payload() -> None:
    value = encrypt_secured({"v": 99, "kid": "k9", "text": "t"}, K2)
    payload = decrypt_secured(value, KeyRing((K2,)))
    assert (payload["v"], payload["kid"], payload["text"]) == (1, "k2", "t")


IV = base64.b64encode(bytes(16)).decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "not valid base64|truncated|part"),
        ("QUJD", "1 part"),
        (f"QUJD;{IV};QUJD", "3 part"),
        (f"!!!;{IV}", "not valid base64"),
        (f"QUJD;{IV[:-4]}", "not valid base64|nonce"),
        ("QUJDREVGR0hJSktMTU5PUFFSU1RVVldY;" + base64.b64encode(bytes(12)).decode(), "nonce"),
        (base64.b64encode(bytes(16)).decode() + ";" + IV, "truncated"),
        (";" + IV, "truncated"),
    ],
)
def test_malformed_values_are_clear_errors(value: str, message: str) -> None:
    with pytest.raises(SecuredError, match=message):
        decrypt_secured(value, RING)


def test_a_truncated_value_is_an_error() -> None:
    value = encrypt_secured(PAYLOAD, K1)
    sealed, nonce = value.split(";")
    shorter = base64.b64encode(base64.b64decode(sealed)[:-1]).decode()
    with pytest.raises(SecuredError):
        decrypt_secured(f"{shorter};{nonce}", RING)


def test_not_text_is_an_error() -> None:
    with pytest.raises(SecuredError, match="must be text"):
        decrypt_secured(b"abc;def", RING)  # type: ignore[arg-type]


def test_bad_inputs_to_encrypt_are_errors() -> None:
    with pytest.raises(SecuredError, match="nonce"):
        encrypt_secured(PAYLOAD, K1, nonce=bytes(12))
    with pytest.raises(SecuredError, match="JSON"):
        encrypt_secured({"when": datetime.now(UTC)}, K1)


def test_secured_error_is_an_everyday_error() -> None:
    assert issubclass(SecuredError, EverydayError)


def test_the_seeds_own_values_are_an_error_not_garbage(corpus: Path) -> None:
    paths = sorted((corpus / "powerapps" / "_news").glob("*.md"))[:20]
    if not paths:
        pytest.skip("no powerapps records in the corpus")
    ring = KeyRing((K1, K2))
    for path in paths:
        value = read_record(path).secured
        assert value is not None and SEED_SHAPE.fullmatch(value)
        with pytest.raises(SecuredError, match="cannot decrypt"):
            decrypt_secured(value, ring)
