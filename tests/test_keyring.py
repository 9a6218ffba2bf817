"""Secret keys: the environment variable, the key file and its permissions, rotation helpers."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from everyday.errors import ConfigError
from everyday.keyring import (
    ENV_VAR,
    Key,
    KeyRing,
    add_key,
    describe_missing_key,
    drop_key,
    format_key,
    generate_key,
    key_file_path,
    load_keyring,
    next_key_id,
    parse_env_keys,
    parse_key,
    parse_key_file,
    read_key_file,
    write_key_file,
)

SECRET_A = bytes(range(32))
SECRET_B = bytes(range(200, 232))
A = base64.b64encode(SECRET_A).decode()
B = base64.b64encode(SECRET_B).decode()

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_env_entries_first_is_current() -> None:
    ring = parse_env_keys(f" new:{B} , old:{A} ")
    assert ring.ids == ("new", "old")
    assert ring.current == Key("new", SECRET_B)
    assert ring.get("old") == Key("old", SECRET_A)
    assert ring.get("missing") is None
    assert ring.origin == ENV_VAR


def test_urlsafe_base64_is_accepted() -> None:
    urlsafe = base64.urlsafe_b64encode(SECRET_B).decode()
    assert "-" in urlsafe or "_" in urlsafe  # the sample really exercises the other alphabet
    assert parse_key(f"k:{urlsafe}").secret == SECRET_B


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (f"k1{A}", "without ':'"),
        ("k1:not base64!", "not valid base64"),
        ("k1:" + base64.b64encode(bytes(16)).decode(), "16 bytes, want 32"),
        (f"bad id:{A}", "key id"),
        (f":{A}", "key id"),
        (f"k1:{A},k1:{B}", "duplicate key id"),
        (" , ", "no keys"),
    ],
)
def test_env_parsing_errors_are_config_errors(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_env_keys(value)


def test_errors_name_the_entry_and_never_the_secret() -> None:
    with pytest.raises(ConfigError) as info:
        parse_env_keys(f"k1:{A},k2:{A[:-8]}")
    assert f"{ENV_VAR} entry 2" in str(info.value)
    assert A[:-8] not in str(info.value)


def test_key_repr_hides_the_secret() -> None:
    assert A not in repr(Key("k1", SECRET_A))
    assert "0x" not in repr(Key("k1", SECRET_A)) and "\\x" not in repr(Key("k1", SECRET_A))


def test_format_and_parse_round_trip_in_standard_base64() -> None:
    key = generate_key("k7")
    entry = format_key(key)
    assert entry.startswith("k7:") and len(entry) == 3 + 44 and entry.endswith("=")
    assert parse_key(entry) == key
    assert generate_key("k7") != key  # random


def test_key_file_skips_comments_and_blank_lines() -> None:
    ring = parse_key_file(f"# header\n\nk2:{B}\n  # note\nk1:{A}\n", "f")
    assert ring.ids == ("k2", "k1")


def test_key_file_errors_name_the_line() -> None:
    with pytest.raises(ConfigError, match="f:3"):
        parse_key_file(f"# header\nk1:{A}\nk2:zz\n", "f")


def test_no_key_anywhere_is_none(tmp_path: Path) -> None:
    assert load_keyring(tmp_path, env={}) is None
    assert load_keyring(None, env={}) is None
    assert load_keyring(tmp_path, env={ENV_VAR: "  "}) is None


def test_env_wins_over_the_key_file(tmp_path: Path) -> None:
    write_key_file(key_file_path(tmp_path), [Key("file", SECRET_A)])
    assert load_keyring(tmp_path, env={ENV_VAR: f"env:{B}"}).ids == ("env",)  # type: ignore[union-attr]
    assert load_keyring(tmp_path, env={}).ids == ("file",)  # type: ignore[union-attr]


@posix_only
def test_written_key_file_is_private(tmp_path: Path) -> None:
    path = key_file_path(tmp_path)
    write_key_file(path, [Key("k1", SECRET_A)], replace=False)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert read_key_file(path).current.secret == SECRET_A
    with pytest.raises(ConfigError, match="already exists"):
        write_key_file(path, [Key("k2", SECRET_B)], replace=False)
    write_key_file(path, [Key("k2", SECRET_B), Key("k1", SECRET_A)])
    assert mode(path) == 0o600
    assert read_key_file(path).ids == ("k2", "k1")
    assert [p.name for p in path.parent.iterdir()] == ["secret.keys"]  # no temp file left


@posix_only
@pytest.mark.parametrize("bad_mode", [0o644, 0o640, 0o604, 0o620, 0o666])
def test_group_or_world_accessible_key_file_is_refused(tmp_path: Path, bad_mode: int) -> None:
    path = key_file_path(tmp_path)
    write_key_file(path, [Key("k1", SECRET_A)])
    path.chmod(bad_mode)
    with pytest.raises(ConfigError, match=f"mode {bad_mode:04o}.*chmod 600"):
        load_keyring(tmp_path, env={})
    path.chmod(0o400)  # read-only for the owner is fine
    assert load_keyring(tmp_path, env={}) is not None


def test_add_and_drop_keys() -> None:
    ring = KeyRing((Key("k1", SECRET_A),))
    assert next_key_id(ring) == "k2"
    assert next_key_id(None) == "k1"
    rotated = add_key(ring, Key(next_key_id(ring), SECRET_B))
    assert rotated.ids == ("k2", "k1") and rotated.current.id == "k2"
    assert drop_key(rotated, "k1").ids == ("k2",)
    with pytest.raises(ConfigError, match="current key"):
        drop_key(rotated, "k2")
    with pytest.raises(ConfigError, match="no key 'k9'"):
        drop_key(rotated, "k9")
    assert next_key_id(KeyRing((Key("k10", SECRET_A), Key("main", SECRET_B)))) == "k11"


def test_missing_key_message() -> None:
    assert describe_missing_key().startswith("no secret key: secured omitted")
