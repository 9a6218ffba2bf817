"""The build state kept between builds: every record's summary, keyed by its file's stat.

Parsing a record costs about 0.1 ms, so a 100,000-record hub cannot be re-read on every
build. The state remembers, per record file, its stat key (size, mtime, inode) and its
:class:`~everyday.publish.catalog.Brief`; a build stats every file and re-reads only those
whose key changed (a file only touched keeps its brief). It also remembers what
the previous build rendered (clusters, cached images, page keys, search rows), which is how
:mod:`.plan` knows what changed. The state is stored with :mod:`marshal` in the build's
manifest database (:mod:`.manifest`), in the same transaction as the file rows, so the two
never disagree; a state from another everyday version or other settings is ignored.

The records' part (stat keys and briefs, most of the state) is cut into :data:`SHARDS`
blobs by a hash of the path, and a build rewrites only the shards holding a record whose
file changed: one new article re-encodes 1/64 of it, not tens of megabytes.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import marshal
import os
import stat
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from everyday.errors import EverydayError, RecordError
from everyday.models import Record
from everyday.records.frontmatter import parse_record

from .catalog import Brief, brief_of
from .entries import Entry
from .parallel import map_all
from .quickread import quick_record

log = logging.getLogger(__name__)

STATE_VERSION = 9  # 9: a shard is (stat keys, brief rows), two dicts
STATE_KEY = "state"
SHARDS = 64
_HEAD_FIELDS = ("config", "problems", "pins", "cache_key")  # small: rewritten every build
_PART_FIELDS = ("clusters", "local", "stems", "cache_files", "assets")  # own blob each

StatKey = tuple[int, int, int]


@dataclass
class BuildState:
    """What the previous build knew; an empty state means "build everything"."""

    config: str = ""
    files: dict[str, StatKey] = field(default_factory=dict)  # record path -> stat key
    briefs: dict[str, Brief] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # unreadable record -> reason
    clusters: dict[str, str] = field(default_factory=dict)
    local: dict[str, str] = field(default_factory=dict)  # image URL -> cached copy
    stems: dict[str, str] = field(default_factory=dict)  # image URL -> cache file stem
    cache_files: tuple[str, ...] = ()  # names in the hub's image cache
    cache_key: tuple[int, int, int] | None = None  # that folder's key (build.folder_key)
    assets: dict[str, StatKey] = field(default_factory=dict)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # group -> unit -> key
    pins: dict[str, str] = field(default_factory=dict)  # record path -> when pinned

    members: list[frozenset[str]] | None = field(default=None, repr=False)  # shard -> paths
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # warm builds only

    def dump(
        self, dirty: Collection[str] | None = None, before: BuildState | None = None
    ) -> dict[str, bytes | None]:
        """The state as meta blobs: the head, the record shards holding a ``dirty`` path
        (every shard if None), and each other part unless it equals ``before``'s (the state
        this build started from, still stored). None marks a blob to delete. Briefs are
        stored as plain tuples: marshal knows no classes."""
        same = before is not None and before.config == self.config and dirty is not None
        head = {k: getattr(self, k) for k in _HEAD_FIELDS}
        head["groups"] = sorted(self.keys)
        blobs: dict[str, bytes | None] = {STATE_KEY: marshal.dumps((STATE_VERSION, head))}
        for name in _PART_FIELDS:
            value = getattr(self, name)
            if not same or not _same(value, getattr(before, name)):
                blobs[f"{STATE_KEY}.{name}"] = marshal.dumps(value)
        old_keys = before.keys if same and before is not None else {}
        for group, units in self.keys.items():
            if not _same(units, old_keys.get(group)):
                blobs[f"{STATE_KEY}.keys:{group}"] = marshal.dumps(units)
        for group in old_keys.keys() - self.keys.keys():
            blobs[f"{STATE_KEY}.keys:{group}"] = None
        if self.members is None or dirty is None:
            self.members = _members(self.files)
            shards: Collection[int] = range(SHARDS)
        else:
            shards = {shard_of(p) for p in dirty}
            members = list(self.members)
            for n in shards:  # copies: the previous state may still be in use
                members[n] = frozenset(p for p in _moved(members[n], dirty, n) if p in self.files)
            self.members = members
        files, briefs = self.files, self.briefs
        for n in shards:
            paths = self.members[n]
            keys = {p: files[p] for p in paths}
            rows = {p: tuple(briefs[p]) for p in paths & briefs.keys()}
            blobs[f"{STATE_KEY}:{n}"] = marshal.dumps((keys, rows))
        return blobs

    @classmethod
    def load(cls, blobs: Mapping[str, bytes], config: str) -> BuildState:
        """The saved state if it is whole, readable and made with the same ``config``."""
        raw = blobs.get(STATE_KEY)
        if not raw:
            return cls()
        try:
            version, data = marshal.loads(raw)
            if version != STATE_VERSION or data.get("config") != config:
                return cls()
            groups = data.pop("groups")
            parts = {name: marshal.loads(blobs[f"{STATE_KEY}.{name}"]) for name in _PART_FIELDS}
            keys = {g: marshal.loads(blobs[f"{STATE_KEY}.keys:{g}"]) for g in groups}
            files: dict[str, StatKey] = {}
            briefs: dict[str, Brief] = {}
            members = []
            for n in range(SHARDS):  # C-level steps only: 100,000 records in ~0.1 s
                shard_keys, rows = marshal.loads(blobs[f"{STATE_KEY}:{n}"])
                members.append(frozenset(shard_keys))
                files.update(shard_keys)
                briefs.update(zip(rows, map(_BRIEF, rows.values()), strict=True))
            return cls(**data, **parts, keys=keys, files=files, briefs=briefs, members=members)
        except (ValueError, TypeError, EOFError, KeyError) as e:
            log.warning("build state unreadable, building everything error=%s", e)
            return cls()


def _same(a: object, b: object) -> bool:
    """Equal parts (the same object, as carried over, needs no comparison)."""
    return a is b or a == b


def shard_of(path: str) -> int:
    """The record shard of a path (stable across processes, unlike ``hash``)."""
    return zlib.crc32(path.encode("utf-8")) % SHARDS


def _members(files: Mapping[str, StatKey]) -> list[frozenset[str]]:
    shards: list[set[str]] = [set() for _ in range(SHARDS)]
    for path in files:
        shards[shard_of(path)].add(path)
    return [frozenset(s) for s in shards]


def _moved(members: frozenset[str], dirty: Collection[str], n: int) -> frozenset[str]:
    return members.union(p for p in dirty if shard_of(p) == n)


_BRIEF = functools.partial(tuple.__new__, Brief)  # Brief.of_row without a Python frame


def scan_records(news_dir: Path, prefix: str) -> dict[str, StatKey]:
    """Stat every record file: hub-relative path -> (size, mtime_ns, inode).

    Same files as :func:`everyday.records.files.iter_record_files`: ``*.md``, no dotfiles,
    no temp files, regular files only.
    """
    try:
        names = os.listdir(news_dir)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    found: dict[str, StatKey] = {}
    fd = os.open(news_dir, os.O_RDONLY)
    try:
        for name in sorted(names):
            if name.startswith(".") or not name.endswith(".md"):  # temp files start with "."
                continue
            try:
                st = os.stat(name, dir_fd=fd)
            except FileNotFoundError:
                continue
            if stat.S_ISREG(st.st_mode):
                found[f"{prefix}/{name}"] = (st.st_size, st.st_mtime_ns, st.st_ino)
    finally:
        os.close(fd)
    return found


@dataclass
class Records:
    """This build's records: briefs for all, full entries for those read this time."""

    briefs: dict[str, Brief]
    files: dict[str, StatKey]
    problems: dict[str, str]
    changed: set[str]  # paths whose bytes differ from the previous build's (or new, or gone)
    entries: dict[str, Entry]
    restat: set[str] = field(default_factory=set)  # paths whose stat key changed, or gone

    def loader(self, hub_dir: Path) -> Any:
        """A function returning the full entry of a path, parsing it on first use."""

        def load(path: str) -> Entry:
            if path not in self.entries:
                file = hub_dir / path
                try:
                    text = _text(file.read_bytes(), path)
                except OSError as e:
                    raise RecordError(f"{file}: cannot read: {e}") from e
                self.entries[path] = Entry(path, parse_text(text, str(file)))
            return self.entries[path]

        return load


def read_records(
    hub_dir: Path, news_dir: str, state: BuildState, names: Collection[str] | None = None
) -> Records:
    """Brief every record file, re-reading only those whose stat key changed.

    The comparison with the previous stat keys is one dict look-up per path, 10 ms at
    100,000 records (a set difference of the dicts' items hashed every key tuple: 3x
    slower); most builds then re-read a few.
    ``names``: the only file names that may have changed since ``state`` (from a
    :class:`~.watch.RecordWatch`); then no other file is stat'ed.
    """
    prefix = news_dir.strip("/")
    if names is not None and state.config:
        files, gone, restat = _restat(hub_dir / news_dir, prefix, state, names)
    else:
        files = scan_records(hub_dir / news_dir, prefix)
        gone = state.files.keys() - files.keys()
        known = state.files.get
        restat = {p for p, key in files.items() if known(p) != key} | gone
        # Same stat key but nothing known of it (a state without it): read it again.
        restat |= files.keys() - state.briefs.keys() - state.problems.keys()
    changed: set[str] = state.briefs.keys() - files.keys()
    briefs = dict(state.briefs)
    problems = {p: why for p, why in state.problems.items() if p in files}
    for path in changed:
        del briefs[path]
    entries: dict[str, Entry] = {}
    paths = sorted(restat - gone)
    results = map_all(paths, functools.partial(_read, hub_dir))  # big batches: every CPU
    for path, (version, got, brief) in zip(paths, results, strict=True):
        old = state.briefs.get(path)
        problems.pop(path, None)
        if old is not None and old.version == version:
            continue  # touched, not edited: the brief stands
        if isinstance(got, str) or brief is None:
            problems[path] = str(got)
            if old is not None:
                del briefs[path]
                changed.add(path)
            continue
        briefs[path] = brief
        entries[path] = got
        changed.add(path)
    log.info("records read files=%d parsed=%d changed=%d", len(files), len(entries), len(changed))
    return Records(briefs, files, problems, changed, entries, restat)


def _restat(
    folder: Path, prefix: str, state: BuildState, names: Collection[str]
) -> tuple[dict[str, StatKey], set[str], set[str]]:
    """The previous stat keys updated for ``names`` only: (files, gone, restat)."""
    files = dict(state.files)
    gone: set[str] = set()
    restat: set[str] = set()
    for name in names:
        if name.startswith(".") or not name.endswith(".md") or "/" in name:
            continue
        path = f"{prefix}/{name}"
        key = _stat_key(folder / name)
        if key is None:
            if files.pop(path, None) is not None:
                gone.add(path)
                restat.add(path)
        elif files.get(path) != key or (path not in state.briefs and path not in state.problems):
            files[path] = key
            restat.add(path)
    return files, gone, restat


def _stat_key(file: Path) -> StatKey | None:
    """A record file's stat key, None if it is not a regular file (any more)."""
    try:
        st = os.stat(file)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _read(hub_dir: Path, path: str) -> tuple[int, Entry | str, Brief | None]:
    """One record file: (digest, entry, brief), or (digest or -1, why it cannot be read,
    None).

    A file whose digest shows it was only touched is parsed too (the caller then keeps
    its brief): on a big batch this runs in worker processes, without the old briefs.
    The brief is made here too, so the workers share that work as well.
    """
    file = f"{hub_dir}/{path}"  # a string: 10^5 of these per full build of a big hub
    try:
        with open(file, "rb") as handle:
            raw = handle.read()
    except OSError as e:
        return -1, f"{file}: {e}", None
    version = _digest(raw)
    try:
        entry = Entry(path, parse_text(_text(raw, path), file))
    except EverydayError as e:
        return version, f"{file}: {e}", None
    return version, entry, brief_of(entry, version)


def _digest(raw: bytes) -> int:
    """64 bits of BLAKE2b: tells an edited file from a touched one (stored compactly)."""
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


def parse_text(text: str, path: str) -> Record:
    """A record file's text: the quick reader when it can, else the YAML parser."""
    return quick_record(text) or parse_record(text, path=path)


def _text(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RecordError(f"not UTF-8: {e}") from e
