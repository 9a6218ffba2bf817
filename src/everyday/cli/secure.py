"""``everyday secure``: keys for the ``secured`` field, decryption and key rotation.

The record walks (:func:`rotate_records`, :func:`key_usage`) are plain functions so the
commands stay thin; they hold the hub's pass lock so a pass cannot write a record between
our read and our rewrite.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn

import click

from ..enrich.secured import SecuredError, decrypt_secured, encrypt_secured, open_secured
from ..errors import ConfigError, RecordError
from ..hub import PRIVATE_DIR, find_hub
from ..keyring import (
    ENV_VAR,
    KeyRing,
    add_key,
    drop_key,
    format_key,
    generate_key,
    key_file_path,
    load_keyring,
    next_key_id,
    read_key_file,
    write_key_file,
)
from ..lock import pass_lock
from ..records.files import atomic_write, iter_record_files, read_record, write_record
from ..records.frontmatter import parse_record
from ..settings import load_settings
from . import EXIT_ATTENTION, cli
from .options import hub_option, resolve_hub
from .output import console

NO_KEY = f"no secret key configured: set {ENV_VAR} or run `everyday secure init-key`"


# --------------------------------------------------------------------------- library part


@dataclass(frozen=True)
class Rotation:
    """What :func:`rotate_records` did, file by file."""

    rotated: tuple[Path, ...] = ()
    current: int = 0  # already sealed with the current key: left as they are
    without: int = 0  # records with no secured field
    failed: tuple[tuple[Path, str], ...] = field(default_factory=tuple)


def rotate_records(news_dir: Path, ring: KeyRing) -> Rotation:
    """Re-encrypt every ``secured`` value not yet under ``ring.current``, atomically per file.

    Values no key of the ring can open (tampered, foreign such as the seed's AES-CBC ones)
    and unreadable records are reported in ``failed`` and left unchanged.
    """
    rotated: list[Path] = []
    failed: list[tuple[Path, str]] = []
    current = without = 0
    for path in iter_record_files(news_dir):
        try:
            secured = read_record(path).secured
            if secured is None:
                without += 1
                continue
            opened = open_secured(secured, ring)
            if opened.key_id == ring.current.id:
                current += 1
                continue
            rewrite_secured(path, secured, encrypt_secured(opened.payload, ring.current))
            rotated.append(path)
        except (SecuredError, RecordError) as e:
            failed.append((path, str(e)))
    return Rotation(tuple(rotated), current, without, tuple(failed))


def rewrite_secured(path: Path, old: str, new: str) -> None:
    """Swap one record's ``secured`` value, keeping every other byte of the file.

    Falls back to rewriting the whole record in canonical layout when the old value is not
    found exactly once in the text.
    """
    text = path.read_bytes().decode("utf-8")
    if text.count(old) == 1:
        updated = text.replace(old, new)
        if parse_record(updated, path=str(path)).secured == new:
            atomic_write(path, updated)
            return
    record = parse_record(text, path=str(path))
    write_record(path.parent, path.name, replace(record, secured=new))


def key_usage(news_dir: Path, ring: KeyRing) -> Counter[str | None]:
    """How many records each key sealed; ``None`` counts values no key opens."""
    usage: Counter[str | None] = Counter()
    for path in iter_record_files(news_dir):
        try:
            secured = read_record(path).secured
        except RecordError:
            continue
        if secured is None:
            continue
        try:
            usage[open_secured(secured, ring).key_id] += 1
        except SecuredError:
            usage[None] += 1
    return usage


def _news_dir(hub_dir: Path) -> Path:
    settings = load_settings(hub_dir)
    return settings.path(settings.storage.news_dir)


def _file_ring(hub_dir: Path) -> tuple[Path, KeyRing]:
    path = key_file_path(hub_dir)
    if not path.exists():
        raise ConfigError(f"{path}: no key file; create one with `everyday secure init-key`")
    return path, read_key_file(path)


def _warn_env_override() -> None:
    if os.environ.get(ENV_VAR, "").strip():
        console.print(
            f"[yellow]warning:[/] {ENV_VAR} is set and takes precedence over the key file",
            highlight=False,
        )


def _warn_gitignore(hub_dir: Path) -> None:
    gitignore = hub_dir / ".gitignore"
    lines = gitignore.read_text(encoding="utf-8").splitlines() if gitignore.exists() else []
    if PRIVATE_DIR not in lines and PRIVATE_DIR.rstrip("/") not in lines:
        console.print(
            f"[yellow]warning:[/] {gitignore} does not ignore {PRIVATE_DIR}: "
            "add it before committing the hub",
            highlight=False,
        )


def _attention(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(EXIT_ATTENTION)


# --------------------------------------------------------------------------- commands


@cli.group()
def secure() -> None:
    """Keys for the private `secured` field (AES-256-GCM), decryption and key rotation.

    Keys come from the EVERYDAY_SECRET_KEYS environment variable (comma-separated
    `id:base64key`, first = current) or the hub's .everyday/secret.keys (mode 0600).

    \b
    Examples:
        everyday secure init-key
        everyday secure decrypt _news/2023-11-07-some-title.md
        everyday secure add-key && everyday secure rotate
    """


@secure.command("init-key")
@hub_option
@click.option("--id", "key_id", default="k1", show_default=True, help="Id of the new key.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing key file (values sealed with its keys become unreadable).",
)
def init_key(hub_dir: Path | None, key_id: str, force: bool) -> None:
    """Create the hub's key file (.everyday/secret.keys, mode 0600) with one new key.

    \b
    Example:
        everyday secure init-key --hub myhub
    """
    hub = resolve_hub(hub_dir)
    path = key_file_path(hub)
    if path.exists() and not force:
        raise ConfigError(
            f"{path}: a key file already exists; use `everyday secure add-key` to rotate, "
            "or --force to replace it"
        )
    write_key_file(path, [generate_key(key_id)], replace=force)
    console.print(f"created {path} with key {key_id} (mode 0600)", markup=False)
    _warn_gitignore(hub)
    _warn_env_override()


@secure.command("add-key")
@hub_option
@click.option("--id", "key_id", default=None, help="Id of the new key (default: k<n+1>).")
def add_key_cmd(hub_dir: Path | None, key_id: str | None) -> None:
    """Add a new current key; the old ones stay for decrypting older values.

    \b
    Example:
        everyday secure add-key && everyday secure rotate
    """
    hub = resolve_hub(hub_dir)
    path, ring = _file_ring(hub)
    key_id = key_id or next_key_id(ring)
    if ring.get(key_id) is not None:
        raise ConfigError(f"{path}: a key {key_id!r} already exists")
    new_ring = add_key(ring, generate_key(key_id))
    write_key_file(path, new_ring.keys)
    old = ", ".join(new_ring.ids[1:])
    console.print(f"added key {key_id} (current); kept for decryption: {old}", markup=False)
    console.print("next: `everyday secure rotate` re-encrypts the records with it")
    _warn_env_override()


@secure.command("new-key")
@click.option("--id", "key_id", default="k1", show_default=True, help="Id of the new key.")
def new_key(key_id: str) -> None:
    """Print a new `id:base64key` entry for EVERYDAY_SECRET_KEYS (writes no file).

    \b
    Example:
        export EVERYDAY_SECRET_KEYS="$(everyday secure new-key --id k2),$EVERYDAY_SECRET_KEYS"
    """
    click.echo(format_key(generate_key(key_id)))


@secure.command("decrypt")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--hub",
    "hub_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Hub whose key file to use (default: the hub holding FILE).",
)
def decrypt(file: Path, hub_dir: Path | None) -> None:
    """Print the decrypted JSON payload of a record's `secured` field; exit 1 if it cannot.

    \b
    Example:
        everyday secure decrypt _news/2023-11-07-some-title.md
    """
    if hub_dir is None:
        try:
            hub_dir = find_hub(file)
        except ConfigError:
            hub_dir = None  # the environment may still hold the keys
    ring = load_keyring(hub_dir)
    if ring is None:
        _attention(NO_KEY)
    try:
        secured = read_record(file).secured
        if secured is None:
            _attention(f"{file}: the record has no secured field")
        payload = decrypt_secured(secured, ring)
    except (RecordError, SecuredError) as e:
        _attention(f"{file}: {e}")
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


@secure.command("rotate")
@hub_option
def rotate(hub_dir: Path | None) -> None:
    """Re-encrypt every record's `secured` value with the current key.

    Values sealed with an older key are decrypted and sealed again; those no known key
    opens (such as values imported from another system) are listed and left unchanged,
    and the exit code is then 1.

    \b
    Example:
        everyday secure add-key && everyday secure rotate
    """
    hub = resolve_hub(hub_dir)
    ring = load_keyring(hub)
    if ring is None:
        raise ConfigError(NO_KEY)
    with pass_lock(hub):
        result = rotate_records(_news_dir(hub), ring)
    for path, reason in result.failed:
        console.print(f"left unchanged: {path}: {reason}", markup=False, soft_wrap=True)
    console.print(
        f"{len(result.rotated)} re-encrypted with key {ring.current.id}, "
        f"{result.current} already current, {result.without} without secured, "
        f"{len(result.failed)} could not be decrypted",
        markup=False,
    )
    sys.exit(EXIT_ATTENTION if result.failed else 0)


@secure.command("drop-key")
@click.argument("key_id", metavar="ID")
@hub_option
@click.option("--force", is_flag=True, help="Drop it even if records are still sealed with it.")
def drop_key_cmd(key_id: str, hub_dir: Path | None, force: bool) -> None:
    """Remove an old key from the key file, once no record needs it any more.

    \b
    Example:
        everyday secure rotate && everyday secure drop-key k1
    """
    hub = resolve_hub(hub_dir)
    path, ring = _file_ring(hub)
    new_ring = drop_key(ring, key_id)
    if not force:
        needed = key_usage(_news_dir(hub), ring)[key_id]
        if needed:
            _attention(
                f"{needed} record(s) are still sealed with {key_id}: run "
                "`everyday secure rotate` first, or use --force to lose them"
            )
    write_key_file(path, new_ring.keys)
    console.print(f"dropped key {key_id}; keys now: {', '.join(new_ring.ids)}", markup=False)
    _warn_env_override()
