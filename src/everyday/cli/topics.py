"""``everyday topics``: train, evaluate and try the hub's own topic classifier."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ..enrich.classifier import train
from ..enrich.classifier_eval import Agreement, evaluate, kfold_splits, time_split
from ..enrich.classifier_files import MODEL_DIR, load_model, save
from ..enrich.topics import assign_topics
from ..errors import ModelError, RecordError
from ..models import Record
from ..records.files import iter_record_files, read_record
from ..settings import load_settings
from ..taxonomy import Taxonomy, load_taxonomy
from . import EXIT_ATTENTION, cli
from .options import hub_option, resolve_hub
from .output import console

log = logging.getLogger(__name__)

_MIN_EXAMPLES = click.option(
    "--min-examples",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Skip topics with fewer labelled records than this.",
)


@cli.group()
def topics() -> None:
    """Train and use a topic classifier learned from the hub's own labelled records.

    \b
    Example:
        everyday topics train && everyday topics show "Nvidia unveils a new GPU"
    """


@topics.command("train")
@hub_option
@_MIN_EXAMPLES
def train_command(hub_dir: Path | None, min_examples: int) -> None:
    """Learn topics from the hub's records and save the model in .everyday/topics-model/.

    Prints each topic's examples, threshold and validation F1, the topics skipped and why,
    and the micro-F1 on the newest 30% of records for a model trained on the oldest 70%.

    \b
    Example:
        everyday topics train --hub myhub --min-examples 5
    """
    hub, taxonomy, records = _load(hub_dir)
    with _model_errors():
        model = train(records, taxonomy, min_examples=min_examples)
    save(model, hub / MODEL_DIR)
    table = Table("topic", "examples", "threshold", "validation F1", title_justify="left")
    for label, threshold in zip(model.labels, model.thresholds, strict=True):
        f1 = model.validation_f1.get(label, 0.0)
        table.add_row(label, str(model.examples[label]), f"{threshold:.2f}", f"{f1:.3f}")
    console.print(table)
    for label, reason in model.skipped.items():
        console.print(f"skipped {label}: {reason} (its keywords still decide)", markup=False)
    try:
        held = evaluate(records, taxonomy, time_split(records), min_examples=min_examples)
    except ModelError as e:
        console.print(f"held-out micro-F1: not measured ({e})", markup=False)
    else:
        console.print(
            f"held-out micro-F1 (newest 30%, {held['model'].records} records): "
            f"model {held['model'].micro_f1:.3f}, keywords {held['keywords'].micro_f1:.3f}, "
            f"union {held['union'].micro_f1:.3f}"
        )
    console.print(f"model saved: {hub / MODEL_DIR}", markup=False)


@topics.command("eval")
@hub_option
@_MIN_EXAMPLES
def eval_command(hub_dir: Path | None, min_examples: int) -> None:
    """Compare keywords, model and union against the records' own topics.

    Two ways: train on the oldest 70% and test on the newest 30%, and 5-fold cross-validation.
    Agreement is an exact match of the non-root topics; micro-F1 counts each topic.

    \b
    Example:
        everyday topics eval --hub myhub
    """
    _, taxonomy, records = _load(hub_dir)
    table = Table("split", "mode", "records", "agreement", "micro-F1", title_justify="left")
    with _model_errors():
        for name, splits in (
            ("time 70/30", time_split(records)),
            ("5-fold", kfold_splits(records, 5)),
        ):
            results: dict[str, Agreement] = evaluate(
                records, taxonomy, splits, min_examples=min_examples
            )
            for mode, a in results.items():
                table.add_row(name, mode, str(a.records), f"{a.agreement:.3f}", f"{a.micro_f1:.3f}")
    console.print(table)


@topics.command("show")
@click.argument("title")
@click.option("--excerpt", default="", help="The article's summary.")
@click.option("--text", default="", help="The article's body text.")
@hub_option
def show_command(title: str, excerpt: str, text: str, hub_dir: Path | None) -> None:
    """Show the topics the model predicts for an article, with scores and the words behind them.

    \b
    Example:
        everyday topics show "Waymo expands driverless taxis" --excerpt "Two more cities."
    """
    hub = resolve_hub(hub_dir)
    settings = load_settings(hub)
    with _model_errors():
        model = load_model(hub / MODEL_DIR)
    taxonomy = load_taxonomy(hub, settings.site.topic)
    console.print(f"model:    {', '.join(model.predict(title, excerpt, text))}", markup=False)
    keywords = assign_topics(title, excerpt, text, taxonomy)
    console.print(f"keywords: {', '.join(keywords)}", markup=False)
    table = Table("topic", "score", "threshold", "chosen", "because of", title_justify="left")
    for s in model.explain(title, excerpt, text):
        table.add_row(
            s.topic,
            f"{s.score:.3f}",
            f"{s.threshold:.2f}",
            "yes" if s.chosen else "",
            ", ".join(s.top_terms),
        )
    console.print(table)


def _load(hub_dir: Path | None) -> tuple[Path, Taxonomy, list[Record]]:
    """The hub, its taxonomy and its readable records (unreadable ones are reported, skipped)."""
    hub = resolve_hub(hub_dir)
    settings = load_settings(hub)
    taxonomy = load_taxonomy(hub, settings.site.topic)
    records: list[Record] = []
    bad = 0
    for path in iter_record_files(settings.path(settings.storage.news_dir)):
        try:
            records.append(read_record(path))
        except RecordError as e:
            bad += 1
            log.warning("record skipped path=%s error=%s", path, e)
    if bad:
        console.print(f"{bad} unreadable record file(s) skipped (see `everyday records check`)")
    return hub, taxonomy, records


@contextmanager
def _model_errors() -> Iterator[None]:
    """Too little data or no model is something to fix, not a crash: one line and exit 1."""
    try:
        yield
    except ModelError as e:
        console.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
        sys.exit(EXIT_ATTENTION)
