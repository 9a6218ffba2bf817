"""Console, logging and the progress bar shared by the commands."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..events import Events
from ..summary import RunSummary, is_filtered

if TYPE_CHECKING:
    from rich.console import Console
    from rich.logging import RichHandler
    from rich.progress import Progress, TaskID


class LazyConsole:
    """A rich ``Console`` made on first use: ``everyday build`` prints one plain line and
    logs nothing at the default level, so it need not import rich (30 ms of its start)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def real(self) -> Console:
        """The console itself, for rich objects that take one (progress bars, handlers)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


# Lines are not broken at the console width: a path or URL cut in two cannot be pasted
# or grepped, and a pipe has no width (rich would assume 80). Tables still fit the width.
console: Console = cast("Console", LazyConsole(stderr=False, highlight=False, soft_wrap=True))
err_console = LazyConsole(stderr=True, highlight=False, soft_wrap=True)


class _LogHandler(logging.Handler):
    """Rich's log handler, made on the first record that passes the level."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self._rich: RichHandler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._rich is None:
            from rich.logging import RichHandler

            self._rich = RichHandler(
                console=err_console.real, show_path=False, rich_tracebacks=False
            )
        self._rich.emit(record)


def setup_logging(verbose: int) -> None:
    """Errors only by default; ``-v`` shows info, ``-vv`` debug, on stderr."""
    level = {0: logging.ERROR, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler = _LogHandler(level)
    root = logging.getLogger("everyday")
    for old in root.handlers:
        old.close()
    root.handlers[:] = [handler]
    root.setLevel(min(level, logging.INFO))
    handler.setLevel(level)
    root.propagate = False


@contextmanager
def log_to_file(path: Path) -> Iterator[None]:
    """Keep an info-level log of every pass in the hub (``.everyday/everyday.log``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("everyday")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()


@contextmanager
def progress_events(enabled: bool = True) -> Iterator[Events]:
    """A progress bar with one row for sources and one for articles, fed by pass events."""
    if not enabled:
        yield lambda kind, data: None
        return
    with progress_bar("{task.description}") as bar:
        tasks: dict[str, TaskID] = {}

        def on_event(kind: str, data: dict[str, object]) -> None:
            if kind in ("sources", "articles"):
                tasks[kind] = bar.add_task(f"{kind:>8}", total=int(str(data["total"])))
            elif kind == "source_done" and "sources" in tasks:
                bar.advance(tasks["sources"])
            elif kind == "article_done" and "articles" in tasks:
                bar.advance(tasks["articles"])

        yield on_event


def progress_bar(label: str) -> Progress:
    """A transient progress bar on stderr: ``label``, the bar, done/total, time taken."""
    # Imported here, as Table below: light commands (build, --help) need neither.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=err_console.real, transient=True)


def print_problems(title: str, what: str, reasons: Mapping[str, str]) -> None:
    """Each problem once with its reason, in name order.

    On a terminal, a table whose cells wrap (never cut with an ellipsis); elsewhere (a
    pipe, cron's mail, a log file) one ``what URL: reason`` line each, so the URL or
    path stays whole for grep and for pasting.
    """
    if not reasons:
        return
    rows = sorted(reasons.items())
    if not console.is_terminal:
        console.print(f"{title}:", markup=False, highlight=False)
        for name, reason in rows:
            console.print(f"  {what} {name}: {reason}", markup=False, highlight=False)
        return
    from rich.table import Column, Table
    from rich.text import Text

    table = Table(
        Column(what, overflow="fold"),
        Column("reason", overflow="fold"),
        title=title,
        title_justify="left",
    )
    for name, reason in rows:
        table.add_row(Text(name), Text(reason))  # Text: a "[...]" in them is not markup
    console.print(table)


def print_summary(summary: RunSummary, news_dir: Path) -> None:
    """The end-of-pass report: numbers first, then each failure once with its reason."""
    c = summary.counts()
    console.print(
        f"[bold]{c['new']} new[/], {c['updated']} updated, {c['skipped']} skipped "
        f"from {c['sources_polled']} sources ({c['sources_unchanged']} unchanged, "
        f"{c['sources_failed']} failed)"
    )
    if c["rewritten"] or c["demoted"]:
        console.print(
            f"enrich: {c['rewritten']} records rewritten, {c['demoted']} no longer published"
        )
    print_problems("Sources that failed", "failed source", summary.sources_failed)
    own = Counter(
        why.split(":", 1)[0] for why in summary.skipped.values() if is_filtered(why)
    )  # the hub's own rules: counted, not listed (`everyday status` keeps the counts too)
    if own:
        kinds = ", ".join(f"{n} {kind}" for kind, n in own.most_common())
        line = f"left out by [collect] exclude / require_topic: {kinds}"
        console.print(line, markup=False, highlight=False)  # "[collect]" is not markup
    others = {url: why for url, why in summary.skipped.items() if not is_filtered(why)}
    print_problems("Articles skipped", "skipped article", others)
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"records: {news_dir}")
