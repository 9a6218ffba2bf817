"""A topic model on disk: ``model.json`` plus ``arrays.npz``, data and never code.

``model.json`` holds the vocabulary, thresholds and the taxonomy's names, parents and
keywords; ``arrays.npz`` the idf, coefficients and intercepts, read with
``allow_pickle=False``. A pickle or joblib file runs arbitrary code when loaded, and a model
folder may come from someone else's hub; this format holds only numbers and text, and the
sklearn version that trained it does not matter: prediction is a few lines of numpy.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..records.files import atomic_write
from ..taxonomy import Taxonomy, Topic
from .classifier import TopicModel

log = logging.getLogger(__name__)

FORMAT = "everyday-topic-model/1"
MODEL_DIR = Path(".everyday") / "topics-model"  # in the hub: private, never published
MODEL_FILE, ARRAYS_FILE = "model.json", "arrays.npz"


def save(model: TopicModel, path: Path) -> None:
    """Write the model folder (``model.json`` + ``arrays.npz``), each file atomically."""
    path.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, idf=model.idf, coef=model.coef, intercept=model.intercept)
    arrays = buffer.getvalue()
    meta = {
        "format": FORMAT,
        "arrays_sha256": hashlib.sha256(arrays).hexdigest(),
        "root": model.root,
        "topics": [
            {"id": t.id, "name": t.name, "parent": t.parent, "keywords": list(t.keywords)}
            for t in model.taxonomy.topics
        ],
        "labels": list(model.labels),
        "thresholds": list(model.thresholds),
        "max_topics": model.max_topics,
        "uses_text": model.uses_text,
        "uses_keywords": model.uses_keywords,
        "examples": dict(model.examples),
        "validation_f1": dict(model.validation_f1),
        "skipped": dict(model.skipped),
        "vocabulary": list(model.vocabulary),
    }
    atomic_write(path / ARRAYS_FILE, arrays)
    atomic_write(path / MODEL_FILE, json.dumps(meta, ensure_ascii=False, indent=1) + "\n")
    log.info(
        "topic model saved path=%s labels=%d terms=%d",
        path,
        len(model.labels),
        len(model.vocabulary),
    )


def load_model(path: Path) -> TopicModel:
    """Read a model folder written by :func:`save`, checking every shape and type.

    Raises:
        ModelError: the folder or a file is missing, unreadable, or inconsistent.
    """
    if not (path / MODEL_FILE).is_file():
        raise ModelError(f"{path}: no topic model here; train one with `everyday topics train`")
    try:
        meta = json.loads((path / MODEL_FILE).read_text(encoding="utf-8"))
        raw = (path / ARRAYS_FILE).read_bytes()
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ModelError(f"{path}: not a {FORMAT} model")
        if hashlib.sha256(raw).hexdigest() != meta.get("arrays_sha256"):
            raise ModelError(f"{path}: {ARRAYS_FILE} does not belong to {MODEL_FILE}; retrain")
        with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
            idf, coef, intercept = (
                np.asarray(arrays[k], dtype=np.float64) for k in ("idf", "coef", "intercept")
            )
        model = _model_from(meta, idf, coef, intercept)
    except ModelError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ModelError(f"{path}: damaged topic model ({e}); retrain it") from e
    _check_shapes(path, model)
    return model


def _model_from(meta: dict, idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> TopicModel:
    topics = tuple(
        Topic(
            id=_str(t["id"]),
            name=_str(t["name"]),
            parent=None if t["parent"] is None else _str(t["parent"]),
            keywords=tuple(_str(k) for k in t["keywords"]),
        )
        for t in meta["topics"]
    )
    return TopicModel(
        taxonomy=Taxonomy(topics=topics, root=_str(meta["root"])),
        labels=tuple(_str(x) for x in meta["labels"]),
        thresholds=tuple(float(x) for x in meta["thresholds"]),
        vocabulary=tuple(_str(x) for x in meta["vocabulary"]),
        idf=idf,
        coef=coef,
        intercept=intercept,
        max_topics=int(meta["max_topics"]),
        uses_text=bool(meta["uses_text"]),
        uses_keywords=bool(meta["uses_keywords"]),
        examples={_str(k): int(v) for k, v in meta["examples"].items()},
        validation_f1={_str(k): float(v) for k, v in meta["validation_f1"].items()},
        skipped={_str(k): _str(v) for k, v in meta["skipped"].items()},
    )


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return value


def _check_shapes(path: Path, m: TopicModel) -> None:
    n_labels, n_terms = len(m.labels), len(m.vocabulary)
    n_features = n_terms + len(m.keyword_topics)
    problems = [
        m.idf.shape != (n_terms,) and "idf",
        m.coef.shape != (n_labels, n_features) and "coef",
        m.intercept.shape != (n_labels,) and "intercept",
        len(m.thresholds) != n_labels and "thresholds",
        len(set(m.vocabulary)) != n_terms and "vocabulary",
        not all(np.isfinite(a).all() for a in (m.idf, m.coef, m.intercept)) and "values",
    ]
    bad = [p for p in problems if p]
    if bad:
        raise ModelError(f"{path}: damaged topic model ({', '.join(bad)} do not fit); retrain it")
