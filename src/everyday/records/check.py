"""Validate record files against the seed format and rewrite them in canonical layout.

Backs ``everyday records check DIR`` (:func:`check_tree`) and ``everyday records fmt [--check]
DIR`` (:func:`fmt_tree`). Validity and layout are separate questions: a legacy file with
unquoted URLs is *valid* (check passes) but not *canonical* (fmt rewrites it);
:func:`legacy_traits` names why a file is not in the current layout.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from everyday.errors import RecordError
from everyday.models import Image, Provider, Record, Related
from everyday.records.files import atomic_write, is_temp_file, iter_record_files
from everyday.records.frontmatter import FieldError, parse_record
from everyday.records.layout import format_record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record file; ``field`` is a dotted path like ``images[0].url``."""

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else self.path
        return f"{where}: {self.message}"


_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+[^\s]*", re.IGNORECASE)
_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+", re.IGNORECASE)
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_UTC_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
_DATE_LINE = re.compile(r"^( *)(?:- )?publishedDateTime: *(.*)$", re.MULTILINE)
_FILENAME = re.compile(r"(\d{4}-\d\d-\d\d)-[a-z0-9]+(-[a-z0-9]+)*\.md")
_URL_KEYS = "url|webUrl|originalUrl|ampWebUrl|cdnAmpWebUrl|sourceUrl|ampUrl|cdnAmpUrl"
_TRAITS = (
    ("unquoted URL", re.compile(rf"^ *(?:- )?(?:{_URL_KEYS}): [^\"\n]", re.MULTILINE)),
    ("unquoted text", re.compile(r"^ *(?:- )?(?:title|excerpt|secured): [^\"\n]", re.MULTILINE)),
    ("legacy key name", re.compile(r"^ *(?:- )?(?:sourceUrl|ampUrl|cdnAmpUrl):", re.MULTILINE)),
    ("image title", re.compile(r"^(?: {4}| {6}| {8})title:", re.MULTILINE)),
)


def legacy_traits(text: str) -> list[str]:
    """Name the detectable pre-2021 (or damaged) layout traits of a record file's text."""
    found = [name for name, pattern in _TRAITS if pattern.search(text)]
    if text.startswith("\ufeff"):
        found.append("byte order mark")
    if "\r\n" in text:
        found.append("CRLF line ends")
    if not text.endswith("\n---\n\n"):
        found.append("no '---' + blank line trailer")
    if any(not _UTC_Z.fullmatch(m.group(2)) for m in _DATE_LINE.finditer(text)):
        found.append("datetime not in UTC 'Z' form")
    return found


def is_current_format(text: str) -> bool:
    """Whether the text shows none of the legacy traits (so it should round-trip exactly)."""
    return not legacy_traits(text)


# --------------------------------------------------------------------------- validity


def _url(problems: list[Problem], path: str, field: str, value: str | None) -> None:
    if value is not None and not _URL.fullmatch(value):
        problems.append(Problem(path, field, f"not an absolute http(s) URL: {value[:80]!r}"))


def _images(out: list[Problem], path: str, where: str, images: tuple[Image, ...]) -> None:
    for i, img in enumerate(images):
        field = f"{where}[{i}]"
        if not img.url.startswith("/"):  # older logos use a site-relative URL
            _url(out, path, f"{field}.url", img.url)
        for name, size in (("width", img.width), ("height", img.height)):
            if size is None and img.is_cached is False:
                continue  # not fetched, so its real size is unknown: absent, not guessed
            if size is None or size <= 0:
                out.append(Problem(path, f"{field}.{name}", "must be a positive integer"))


def _provider(out: list[Problem], path: str, where: str, provider: Provider | None) -> None:
    if provider is None:
        out.append(Problem(path, where, "is required"))
        return
    if not provider.name.strip():
        out.append(Problem(path, f"{where}.name", "is empty"))
    if not _DOMAIN.fullmatch(provider.domain):
        out.append(Problem(path, f"{where}.domain", f"not a domain name: {provider.domain!r}"))
    _images(out, path, f"{where}.images", provider.images)


def _secured(out: list[Problem], path: str, value: str | None) -> None:
    if value is None:
        return
    parts = value.split(";")
    if len(parts) != 2 or not all(_B64.fullmatch(p) for p in parts):
        out.append(Problem(path, "secured", "must be '<base64>;<base64>'"))
        return
    try:
        body, iv = (base64.b64decode(p, validate=True) for p in parts)
    except (binascii.Error, ValueError):
        out.append(Problem(path, "secured", "not valid base64"))
        return
    if len(iv) != 16:
        out.append(Problem(path, "secured", f"IV part decodes to {len(iv)} bytes, want 16"))
    if not body or len(body) % 16:
        out.append(Problem(path, "secured", "cipher part is not a non-empty multiple of 16 bytes"))


def _related(out: list[Problem], path: str, i: int, rel: Related) -> None:
    where = f"related[{i}]"
    if not rel.title.strip():
        out.append(Problem(path, f"{where}.title", "is empty"))
    _url(out, path, f"{where}.webUrl", rel.web_url)
    _url(out, path, f"{where}.ampWebUrl", rel.amp_web_url)
    _url(out, path, f"{where}.cdnAmpWebUrl", rel.cdn_amp_web_url)
    _provider(out, path, f"{where}.provider", rel.provider)
    _images(out, path, f"{where}.images", rel.images)


def check_record(record: Record, path: str = "") -> list[Problem]:
    """Semantic checks on a parsed record (the parser already enforced keys and types)."""
    out: list[Problem] = []
    if record.category != "news":
        out.append(Problem(path, "category", f"must be 'news', not {record.category!r}"))
    if not record.title.strip():
        out.append(Problem(path, "title", "is empty"))
    for field, value in (
        ("originalUrl", record.original_url),
        ("webUrl", record.web_url or None),
        ("ampWebUrl", record.amp_web_url),
        ("cdnAmpWebUrl", record.cdn_amp_web_url),
        ("sourceUrl", record.source_url),
    ):
        _url(out, path, field, value)
    if record.cdn_amp_web_url is not None and record.amp_web_url is None:
        out.append(Problem(path, "cdnAmpWebUrl", "present without ampWebUrl"))
    if record.quality is not None and record.quality < 0:
        out.append(Problem(path, "quality", "must not be negative"))
    if record.heat is not None and record.heat < -1:
        out.append(Problem(path, "heat", "must be -1 (suppressed) or more"))
    _provider(out, path, "provider", record.provider)
    if not record.topics:
        out.append(Problem(path, "topics", "must be a non-empty list"))
    out += [Problem(path, f"topics[{i}]", "is empty") for i, t in enumerate(record.topics) if not t]
    _images(out, path, "images", record.images)
    for i, rel in enumerate(record.related or ()):
        _related(out, path, i, rel)
    _secured(out, path, record.secured)
    return out


def check_record_text(text: str, path: str = "") -> list[Problem]:
    """Every problem of one record file's text; an unparsable file gives one problem."""
    try:
        record = parse_record(text, path=path)
    except FieldError as e:
        return [Problem(path, e.field, e.reason)]
    except RecordError as e:
        return [Problem(path, "", str(e))]
    out = check_record(record, path)
    for m in _DATE_LINE.finditer(text):
        if not _UTC_Z.fullmatch(m.group(2)):
            field = "related.publishedDateTime" if m.group(1) else "publishedDateTime"
            out.append(Problem(path, field, f"not UTC with 'Z': {m.group(2)[:40]!r}"))
    return out


def _check_filename(path: Path) -> list[Problem]:
    m = _FILENAME.fullmatch(path.name)
    if m is None:
        return [Problem(str(path), "filename", "want YYYY-MM-DD-<slug>.md, slug in [a-z0-9-]")]
    try:
        date.fromisoformat(m.group(1))
    except ValueError:
        return [Problem(str(path), "filename", f"bad date {m.group(1)!r}")]
    return []


def _read_text(path: Path) -> str | Problem:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        return Problem(str(path), "", f"not UTF-8: {e}")
    except OSError as e:
        return Problem(str(path), "", f"cannot read: {e}")


def check_tree(directory: Path) -> list[Problem]:
    """Check every record file of ``directory`` (not recursive) and flag leftover temp files."""
    problems = [
        Problem(str(p), "", "leftover temp file of a killed writer")
        for p in sorted(directory.iterdir())
        if is_temp_file(p)
    ]
    for path in iter_record_files(directory):
        text = _read_text(path)
        if isinstance(text, Problem):
            problems.append(text)
            continue
        problems += _check_filename(path)
        problems += check_record_text(text, str(path))
    log.info("records checked dir=%s problems=%d", directory, len(problems))
    return problems


def fmt_tree(directory: Path, check_only: bool = False) -> list[Path]:
    """Return the files not in canonical layout, rewriting them atomically unless ``check_only``.

    Files that do not parse are skipped (``check_tree`` reports them): rewriting them could
    lose what the parser did not understand.
    """
    changed: list[Path] = []
    for path in iter_record_files(directory):
        text = _read_text(path)
        if isinstance(text, Problem):
            log.warning("record skipped path=%s reason=%s", path, text.message)
            continue
        try:
            canonical = format_record(parse_record(text, path=str(path)))
        except RecordError as e:
            log.warning("record skipped path=%s reason=%s", path, e)
            continue
        if canonical == text:
            continue
        changed.append(path)
        if not check_only:
            atomic_write(path, canonical)
            log.info("record reformatted path=%s", path)
    return changed
