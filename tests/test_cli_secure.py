"""``everyday secure``: init-key, add-key, decrypt, rotate and drop-key on a tmp hub."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from everyday.cli import cli, secure  # noqa: F401  (registers the commands)
from everyday.cli.secure import rotate_records
from everyday.enrich.secured import decrypt_secured, encrypt_secured, open_secured
from everyday.hub import init_hub
from everyday.keyring import (
    ENV_VAR,
    Key,
    KeyRing,
    format_key,
    key_file_path,
    parse_key,
    read_key_file,
)
from everyday.models import Provider, Record
from everyday.records.files import read_record, write_record

# An AES-CBC-shaped value from "another system": 32-byte body, 16-byte IV (invented bytes).
FOREIGN = base64.b64encode(bytes(range(32))).decode() + ";" + base64.b64encode(bytes(16)).decode()


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    env = {ENV_VAR: None, **(env or {})}  # never pick up the developer's own keys
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def make_record(i: int, secured: str | None) -> Record:
    return Record(
        title=f"Story number {i}",
        excerpt="An excerpt ...",
        published=datetime(2023, 11, 7, 8, i, tzinfo=UTC),
        web_url=f"https://example.com/story-{i}",
        original_url=f"https://example.com/story-{i}?utm_source=x",
        provider=Provider("Example", "example.com"),
        topics=("AI",),
        quality=70,
        heat=70,
        is_published=True,
        secured=secured,
    )


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    return init_hub(tmp_path / "hub", sources=[])


def file_ring(hub: Path) -> KeyRing:
    return read_key_file(key_file_path(hub))


def seal_records(hub: Path, ring: KeyRing, count: int = 3) -> list[Path]:
    """Write ``count`` records sealed with the ring's current key; return their paths."""
    news = hub / "_news"
    paths = []
    for i in range(count):
        payload = {"text": f"full text {i}", "originalUrl": f"https://e.x/{i}", "authors": []}
        write_record(
            news, f"2023-11-07-story-{i}.md", make_record(i, encrypt_secured(payload, ring.current))
        )
        paths.append(news / f"2023-11-07-story-{i}.md")
    return paths


def test_init_key_creates_a_private_key_file_and_refuses_to_overwrite(hub: Path) -> None:
    result = invoke("secure", "init-key", "--hub", str(hub))
    assert result.exit_code == 0, result.output
    path = key_file_path(hub)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = file_ring(hub)
    assert first.ids == ("k1",)
    assert format_key(first.current).split(":")[1] not in result.output  # secret not shown
    assert ".everyday/" in (hub / ".gitignore").read_text().splitlines()
    again = invoke("secure", "init-key", "--hub", str(hub))
    assert again.exit_code == 3 and "already exists" in again.output
    assert file_ring(hub) == first
    forced = invoke("secure", "init-key", "--hub", str(hub), "--force")
    assert forced.exit_code == 0
    assert file_ring(hub).current.secret != first.current.secret


def test_init_key_warns_when_gitignore_misses_the_private_folder(hub: Path) -> None:
    (hub / ".gitignore").write_text("*.log\n")
    result = invoke("secure", "init-key", "--hub", str(hub))
    assert result.exit_code == 0 and "does not ignore .everyday/" in result.output


def test_decrypt_prints_the_payload(hub: Path) -> None:
    invoke("secure", "init-key", "--hub", str(hub))
    path = seal_records(hub, file_ring(hub), count=1)[0]
    result = invoke("secure", "decrypt", str(path))  # finds the hub from the file
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "v": 1,
        "kid": "k1",
        "text": "full text 0",
        "originalUrl": "https://e.x/0",
        "authors": [],
    }


def test_decrypt_with_keys_from_the_environment(tmp_path: Path) -> None:
    key = Key("envkey", bytes(range(32)))
    path = tmp_path / "record.md"
    write_record(tmp_path, "record.md", make_record(1, encrypt_secured({"text": "t"}, key)))
    result = invoke("secure", "decrypt", str(path), env={ENV_VAR: format_key(key)})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["kid"] == "envkey"


def test_decrypt_failures_exit_1_with_a_reason(hub: Path) -> None:
    news = hub / "_news"
    write_record(news, "2023-11-07-foreign.md", make_record(1, FOREIGN))
    write_record(news, "2023-11-07-plain.md", make_record(2, None))
    no_key = invoke("secure", "decrypt", str(news / "2023-11-07-foreign.md"))
    assert no_key.exit_code == 1 and "no secret key configured" in no_key.output
    invoke("secure", "init-key", "--hub", str(hub))
    foreign = invoke("secure", "decrypt", str(news / "2023-11-07-foreign.md"))
    assert foreign.exit_code == 1 and "cannot decrypt" in foreign.output
    plain = invoke("secure", "decrypt", str(news / "2023-11-07-plain.md"))
    assert plain.exit_code == 1 and "no secured field" in plain.output
    (news / "2023-11-07-broken.md").write_text("not a record\n")
    broken = invoke("secure", "decrypt", str(news / "2023-11-07-broken.md"))
    assert broken.exit_code == 1 and "front matter" in broken.output
    missing = invoke("secure", "decrypt", str(news / "nope.md"))
    assert missing.exit_code == 2


def test_decrypt_refuses_a_tampered_record(hub: Path) -> None:
    invoke("secure", "init-key", "--hub", str(hub))
    path = seal_records(hub, file_ring(hub), count=1)[0]
    value = read_record(path).secured
    assert value is not None
    sealed = bytearray(base64.b64decode(value.split(";")[0]))
    sealed[3] ^= 0x80
    tampered = base64.b64encode(bytes(sealed)).decode() + ";" + value.split(";")[1]
    path.write_text(path.read_text().replace(value, tampered))
    result = invoke("secure", "decrypt", str(path))
    assert result.exit_code == 1 and "cannot decrypt" in result.output
    assert "full text" not in result.output


def test_rotate_re_encrypts_old_values_and_leaves_foreign_ones(hub: Path) -> None:
    invoke("secure", "init-key", "--hub", str(hub))
    paths = seal_records(hub, file_ring(hub))
    foreign = hub / "_news" / "2023-11-07-foreign.md"
    write_record(foreign.parent, foreign.name, make_record(9, FOREIGN))
    write_record(foreign.parent, "2023-11-07-plain.md", make_record(8, None))
    foreign_bytes = foreign.read_bytes()
    before = {p: p.read_text() for p in paths}

    added = invoke("secure", "add-key", "--hub", str(hub))
    assert added.exit_code == 0 and "added key k2" in added.output
    ring = file_ring(hub)
    assert ring.ids == ("k2", "k1")

    result = invoke("secure", "rotate", "--hub", str(hub))
    assert result.exit_code == 1  # the foreign value needs attention
    assert "3 re-encrypted with key k2, 0 already current, 1 without secured, 1 could not" in (
        " ".join(result.output.split())
    )
    assert "2023-11-07-foreign.md" in result.output
    assert foreign.read_bytes() == foreign_bytes
    only_new = KeyRing((ring.current,))
    for path in paths:
        new_value = read_record(path).secured
        assert new_value is not None
        assert open_secured(new_value, ring).key_id == "k2"
        assert decrypt_secured(new_value, only_new)["text"].startswith("full text")
        old_value = read_record_text_value(before[path])
        # Only the secured line changed: every other byte is kept.
        assert path.read_text() == before[path].replace(old_value, new_value)
    again = invoke("secure", "rotate", "--hub", str(hub))
    assert "0 re-encrypted with key k2, 3 already current" in " ".join(again.output.split())


def read_record_text_value(text: str) -> str:
    line = next(ln for ln in text.splitlines() if ln.startswith("secured: "))
    return line.removeprefix("secured: ").strip('"')


def test_rotate_without_a_key_is_a_config_error(hub: Path) -> None:
    result = invoke("secure", "rotate", "--hub", str(hub))
    assert result.exit_code == 3 and "no secret key configured" in result.output


def test_drop_key_only_when_no_record_needs_it(hub: Path) -> None:
    invoke("secure", "init-key", "--hub", str(hub))
    seal_records(hub, file_ring(hub), count=2)
    invoke("secure", "add-key", "--hub", str(hub), "--id", "fresh")
    assert file_ring(hub).ids == ("fresh", "k1")

    current = invoke("secure", "drop-key", "fresh", "--hub", str(hub))
    assert current.exit_code == 3 and "current key" in current.output
    needed = invoke("secure", "drop-key", "k1", "--hub", str(hub))
    assert needed.exit_code == 1 and "2 record(s) are still sealed with k1" in needed.output
    assert file_ring(hub).ids == ("fresh", "k1")

    assert invoke("secure", "rotate", "--hub", str(hub)).exit_code == 0
    dropped = invoke("secure", "drop-key", "k1", "--hub", str(hub))
    assert dropped.exit_code == 0, dropped.output
    assert file_ring(hub).ids == ("fresh",)
    assert stat.S_IMODE(key_file_path(hub).stat().st_mode) == 0o600


def test_drop_key_with_force_loses_the_old_records(hub: Path) -> None:
    invoke("secure", "init-key", "--hub", str(hub))
    path = seal_records(hub, file_ring(hub), count=1)[0]
    invoke("secure", "add-key", "--hub", str(hub))
    assert invoke("secure", "drop-key", "k1", "--hub", str(hub), "--force").exit_code == 0
    assert invoke("secure", "decrypt", str(path)).exit_code == 1


def test_key_commands_need_a_key_file(hub: Path) -> None:
    for args in (("add-key",), ("drop-key", "k1")):
        result = invoke("secure", *args, "--hub", str(hub))
        assert result.exit_code == 3 and "init-key" in result.output


def test_a_too_open_key_file_is_refused(hub: Path) -> None:
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    invoke("secure", "init-key", "--hub", str(hub))
    path = seal_records(hub, file_ring(hub), count=1)[0]
    key_file_path(hub).chmod(0o644)
    result = invoke("secure", "decrypt", str(path))
    assert result.exit_code == 3 and "chmod 600" in " ".join(result.output.split())


def test_new_key_prints_a_usable_entry() -> None:
    result = invoke("secure", "new-key", "--id", "k5")
    assert result.exit_code == 0
    key = parse_key(result.output.strip())
    assert key.id == "k5" and len(key.secret) == 32
    assert parse_key(invoke("secure", "new-key", "--id", "k5").output) != key


def test_rotate_keeps_the_record_valid_when_the_value_appears_twice(hub: Path) -> None:
    old = Key("k1", bytes(range(32)))
    value = encrypt_secured({"text": "t"}, old)
    record = replace(make_record(1, value), excerpt=f"quoting {value}")
    write_record(hub / "_news", "2023-11-07-twice.md", record)
    ring = KeyRing((Key("k2", bytes(range(1, 33))), old))
    result = rotate_records(hub / "_news", ring)
    assert len(result.rotated) == 1 and not result.failed
    after = read_record(hub / "_news" / "2023-11-07-twice.md")
    assert after.excerpt == f"quoting {value}"  # only the field changed, not the excerpt
    assert after.secured is not None and open_secured(after.secured, ring).key_id == "k2"


def test_usage_errors_exit_2(hub: Path) -> None:
    assert invoke("secure", "decrypt").exit_code == 2
    assert invoke("secure", "drop-key").exit_code == 2


def test_the_console_script_registers_secure(hub: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    result = subprocess.run(
        [sys.executable, "-m", "everyday", "secure", "init-key", "--hub", str(hub)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert key_file_path(hub).is_file()
