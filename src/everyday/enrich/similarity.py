"""How alike two articles are: MinHash/LSH for copies, TF-IDF cosine for the same subject.

Two measures, because the seed's data shows two relations (``SCHEMA.md`` §i, §vi.4):

* **near-duplicates** (syndicated copies, light rewrites): Jaccard similarity of word
  3-shingles, estimated with a 128-permutation MinHash and found with LSH banding
  (32 bands × 4 rows: pairs at Jaccard 0.5 are found with probability ~0.87, at 0.6 ~0.99;
  every candidate is then checked on the full signature);
* **same subject** (related articles): cosine of sublinear TF-IDF vectors over title,
  excerpt and text, stop words removed, words hashed into 2**20 features (no vocabulary to
  grow or refit).

:class:`SimilarityIndex` is incremental. Adding an article updates the document frequencies
and stores its raw term counts; the IDF used for the stored weighted vectors is a snapshot
refreshed whenever the index has grown by ``refit_growth`` (20%) since the last refit —
between refits a new article is weighted with the current snapshot, which moves cosines by
a few hundredths at most. A query is one sparse matrix-vector product over the stored
vectors plus a time mask, so it costs milliseconds even at 100,000 articles, and
:meth:`SimilarityIndex.similar_pairs` computes every pair within the window in time-sorted
blocks for a from-scratch run. Texts are cut at ``max_words`` words (huge pages), empty
texts match nothing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.utils import murmurhash3_32

WEEK = timedelta(days=7)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_MASK32 = np.uint64(0xFFFFFFFF)
_TERM_BIT = 1 << 32
_EMPTY_KEY = np.uint64(0)  # band key of a document without shingles; never matched


@dataclass(frozen=True)
class SimilaritySettings:
    """Sizes and thresholds of the similarity measures; defaults suit news articles."""

    num_perm: int = 128
    bands: int = 32
    shingle_words: int = 3
    duplicate_jaccard: float = 0.5
    n_features: int = 2**20
    max_words: int = 20_000
    refit_growth: float = 0.2
    seed: int = 1


def normalise(text: str) -> str:
    """Fold width, compatibility forms and case so copies compare equal."""
    return unicodedata.normalize("NFKC", text or "").casefold().replace("’", "'")


def words(text: str, max_words: int = SimilaritySettings.max_words) -> list[str]:
    """The words of a text, normalised, at most ``max_words`` of them."""
    head = (text or "")[: max_words * 24]  # no need to normalise megabytes we will not read
    return _WORD.findall(normalise(head))[:max_words]


def document_text(title: str, excerpt: str = "", text: str = "") -> str:
    """The text an article is compared on: title, excerpt and body, once each."""
    body = text or ""
    if excerpt and excerpt[:80] in body:
        excerpt = ""  # the excerpt is the body's opening: do not count it twice
    return "\n".join(part for part in (title, excerpt, body) if part)


class MinHasher:
    """MinHash signatures with multiply-shift hashing in numpy (stable across processes)."""

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self._a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
        self._b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)

    def signature(self, shingle_hashes: np.ndarray) -> np.ndarray:
        """The ``num_perm`` minimum hash values of a set of 64-bit shingle hashes."""
        if shingle_hashes.size == 0:
            return np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        mixed = (self._a[:, None] * shingle_hashes[None, :] + self._b[:, None]) >> np.uint64(32)
        return mixed.min(axis=1).astype(np.uint32)


def shingle_hashes(tokens: np.ndarray | list[int], k: int = 3, cap: int = 5000) -> np.ndarray:
    """Unique 64-bit hashes of the word k-grams; a text shorter than k is one shingle.

    Over ``cap`` shingles only the ``cap`` smallest hashes are kept (a consistent sample,
    so copies keep agreeing).
    """
    ids = np.asarray(tokens, dtype=np.uint64)
    if ids.size == 0:
        return np.empty(0, dtype=np.uint64)
    if ids.size < k:
        k = int(ids.size)
    grams = np.zeros(ids.size - k + 1, dtype=np.uint64)
    for offset in range(k):
        grams = grams * np.uint64(0x100000001B3) + ids[offset : offset + grams.size]
    unique = np.unique(grams)
    return unique[:cap]


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal minima)."""
    return float(np.mean(sig_a == sig_b))


def band_keys(signatures: np.ndarray, bands: int) -> np.ndarray:
    """One 64-bit key per LSH band for each row of ``signatures`` (n × num_perm)."""
    n, num_perm = signatures.shape
    rows = num_perm // bands
    parts = signatures[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    keys = np.zeros((n, bands), dtype=np.uint64)
    for r in range(rows):
        keys = keys * np.uint64(0x9E3779B97F4A7C15) + parts[:, :, r] + np.uint64(1)
    return keys | np.uint64(1)  # never the empty key


class _Buffer:
    """A growable numpy array (amortised doubling) holding the index's columns."""

    def __init__(self, shape: tuple[int, ...], dtype: type, fill: float = 0) -> None:
        self.data: np.ndarray = np.full((64, *shape), fill, dtype=dtype)
        self.size = 0
        self._fill = fill

    def append(self, values: np.ndarray | float) -> None:
        values = np.asarray(values, dtype=self.data.dtype)
        count = 1 if values.ndim == self.data.ndim - 1 else len(values)
        if self.size + count > len(self.data):
            grown = max(len(self.data) * 3 // 2, self.size + count)
            extra = np.full((grown - len(self.data), *self.data.shape[1:]), self._fill)
            self.data = np.concatenate([self.data, extra.astype(self.data.dtype)])
        self.data[self.size : self.size + count] = values
        self.size += count

    @property
    def view(self) -> np.ndarray:
        return self.data[: self.size]


class SimilarityIndex:
    """An incremental index of articles: near-duplicates by MinHash, subjects by TF-IDF."""

    def __init__(self, settings: SimilaritySettings = SimilaritySettings()) -> None:
        self.settings = settings
        self._hasher = MinHasher(settings.num_perm, settings.seed)
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._alive = _Buffer((), np.bool_)
        self._times = _Buffer((), np.float64)
        self._sigs = _Buffer((settings.num_perm,), np.uint32)
        self._keys = _Buffer((settings.bands,), np.uint64)
        self._indptr = _Buffer((), np.int64)
        self._indptr.append(0)
        self._indices = _Buffer((), np.int32)
        self._tf = _Buffer((), np.float16)  # sublinear tf 1..~10: 3 digits are plenty
        self._weighted = _Buffer((), np.float32)
        self._df = np.zeros(settings.n_features, dtype=np.int32)
        self._idf = np.ones(settings.n_features, dtype=np.float32)
        self._fitted_at = 0
        self._alive_count = 0
        self._word_code: dict[str, int] = {}

    def __len__(self) -> int:
        return self._alive_count

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row

    @property
    def nbytes(self) -> int:
        """Bytes held by the index's arrays (capacity included; ids and caches not)."""
        buffers = (self._alive, self._times, self._sigs, self._keys, self._indptr)
        arrays = (*buffers, self._indices, self._tf, self._weighted)
        return sum(b.data.nbytes for b in arrays) + self._df.nbytes + self._idf.nbytes

    def add(self, doc_id: str, text: str, published: datetime) -> None:
        """Index (or re-index) one article; cheap enough to call per new article."""
        if doc_id in self._row:
            self._retire(self._row[doc_id])
        features, tf, signature, keys = self._encode(text)
        self._row[doc_id] = len(self._ids)
        self._ids.append(doc_id)
        self._alive.append(True)
        self._times.append(published.timestamp())
        self._sigs.append(signature)
        self._keys.append(keys)
        self._indices.append(features)
        self._tf.append(tf)
        self._weighted.append(_normalised(tf * self._idf[features]))
        self._indptr.append(self._indices.size)
        np.add.at(self._df, features, 1)
        self._alive_count += 1
        if self._alive_count > max(self._fitted_at * (1 + self.settings.refit_growth), 1):
            self.refit()

    def refit(self, block: int = 8192) -> None:
        """Re-weight every stored vector with the IDF of the documents indexed now.

        Done ``block`` rows at a time so the temporaries stay small at 100,000 articles.
        """
        n = self._alive_count
        self._idf = (np.log((1 + n) / (1 + self._df)) + 1).astype(np.float32)
        indptr = self._indptr.view
        for first in range(0, len(indptr) - 1, block):
            bounds = indptr[first : first + block + 1]
            start, stop = int(bounds[0]), int(bounds[-1])
            weighted = self._tf.data[start:stop] * self._idf[self._indices.data[start:stop]]
            lengths = np.diff(bounds)
            owner = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
            norms = np.sqrt(np.bincount(owner, weights=weighted**2, minlength=len(lengths)))
            norms[norms == 0] = 1.0
            weighted /= np.repeat(norms.astype(np.float32), lengths)
            self._weighted.data[start:stop] = weighted
        self._fitted_at = n

    def neighbours(
        self,
        doc: str,
        window: timedelta = WEEK,
        *,
        published: datetime | None = None,
        min_score: float = 0.0,
    ) -> list[tuple[str, float]]:
        """Indexed articles by TF-IDF cosine with ``doc``, best first, itself excluded.

        ``doc`` is an indexed id, or else a text (then ``published`` places it in time;
        without it the window is ignored). Only articles within ``window`` count.
        """
        row, vector, when = self._query(doc, published)
        scores = self._matrix() @ vector
        mask = self._window_mask(when, window, row) & (scores > 0) & (scores >= min_score)
        found = np.flatnonzero(mask)
        order = found[np.argsort(-scores[found], kind="stable")]
        return [(self._ids[i], round(float(scores[i]), 4)) for i in order]

    def duplicates(
        self,
        doc: str,
        window: timedelta = WEEK,
        *,
        published: datetime | None = None,
        min_jaccard: float | None = None,
    ) -> list[tuple[str, float]]:
        """Near-copies of ``doc`` (LSH candidates checked on the signature), best first."""
        bar = self.settings.duplicate_jaccard if min_jaccard is None else min_jaccard
        row, signature, keys, when = self._query_signature(doc, published)
        if np.all(keys == _EMPTY_KEY):
            return []
        hits = (self._keys.view == keys[None, :]).any(axis=1)
        mask = self._window_mask(when, window, row) & hits
        found = np.flatnonzero(mask)
        scores = (self._sigs.view[found] == signature[None, :]).mean(axis=1)
        keep = scores >= bar
        found, scores = found[keep], scores[keep]
        order = np.argsort(-scores, kind="stable")
        return [(self._ids[found[i]], round(float(scores[i]), 4)) for i in order]

    def similar_pairs(
        self, window: timedelta = WEEK, min_score: float = 0.2, block: int = 512
    ) -> list[tuple[str, str, float]]:
        """Every pair of articles within ``window`` with cosine >= ``min_score`` (batch)."""
        if self._alive_count > self._fitted_at:
            self.refit()
        rows = np.flatnonzero(self._alive.view)
        rows = rows[np.argsort(self._times.view[rows], kind="stable")]
        times = self._times.view[rows]
        matrix = self._matrix()[rows]
        span = window.total_seconds()
        pairs: list[tuple[str, str, float]] = []
        for start in range(0, len(rows), block):
            stop = min(start + block, len(rows))
            end = int(np.searchsorted(times, times[stop - 1] + span, side="right"))
            sims = (matrix[start:stop] @ matrix[start:end].T).toarray()
            i, j = np.nonzero(sims >= min_score)
            scores = sims[i, j]
            i, j = i + start, j + start
            keep = (j > i) & (np.abs(times[j] - times[i]) <= span)
            for a, b, score in zip(i[keep], j[keep], scores[keep], strict=True):
                pairs.append((self._ids[rows[a]], self._ids[rows[b]], round(float(score), 4)))
        return pairs

    def duplicate_pairs(
        self, window: timedelta = WEEK, min_jaccard: float | None = None, max_group: int = 200
    ) -> list[tuple[str, str, float]]:
        """Every near-duplicate pair within ``window`` (batch LSH: equal band keys)."""
        bar = self.settings.duplicate_jaccard if min_jaccard is None else min_jaccard
        rows = np.flatnonzero(self._alive.view)
        keys, times, sigs = self._keys.view[rows], self._times.view[rows], self._sigs.view[rows]
        candidates: set[tuple[int, int]] = set()
        for band in range(keys.shape[1]):
            column = keys[:, band]
            order = np.argsort(column, kind="stable")
            bounds = np.flatnonzero(np.diff(column[order])) + 1
            for group in np.split(order, bounds):
                if len(group) < 2 or column[group[0]] == _EMPTY_KEY:
                    continue
                members = sorted(group.tolist())[:max_group]
                candidates.update((a, b) for n, a in enumerate(members) for b in members[n + 1 :])
        span = window.total_seconds()
        pairs = []
        for a, b in sorted(candidates):
            if abs(times[a] - times[b]) > span:
                continue
            score = float(np.mean(sigs[a] == sigs[b]))
            if score >= bar:
                pairs.append((self._ids[rows[a]], self._ids[rows[b]], round(score, 4)))
        return pairs

    def _code(self, word: str) -> int:
        """The word's 32-bit hash, plus 2**32 when it counts as a TF-IDF term (cached)."""
        value = self._word_code.get(word)
        if value is None:
            value = murmurhash3_32(word, seed=self.settings.seed, positive=True)
            value |= _TERM_BIT if _is_term(word) else 0
            if len(self._word_code) < 2_000_000:  # bound the cache on endless vocabularies
                self._word_code[word] = value
        return value

    def _encode(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Term features, sublinear tf, MinHash signature and band keys of a text."""
        tokens = words(text, self.settings.max_words)
        position = {w: i for i, w in enumerate(dict.fromkeys(tokens))}
        codes = np.fromiter(map(self._code, position), np.uint64, len(position))
        unique = codes & _MASK32
        inverse = np.fromiter(map(position.__getitem__, tokens), np.int64, len(tokens))
        hashes = unique[inverse]
        signature = self._hasher.signature(shingle_hashes(hashes, self.settings.shingle_words))
        keys = band_keys(signature[None, :], self.settings.bands)[0]
        if not tokens:
            keys[:] = _EMPTY_KEY
        counts = np.bincount(inverse, minlength=len(position))
        kept = codes > _MASK32
        mask = np.uint64(self.settings.n_features - 1)
        features = (unique[kept] & mask).astype(np.int32)
        if features.size == 0:
            return np.empty(0, np.int32), np.empty(0, np.float32), signature, keys
        features, where = np.unique(features, return_inverse=True)  # hash collisions add up
        tf = np.bincount(where, weights=counts[kept], minlength=features.size)
        return features, (1.0 + np.log(tf)).astype(np.float32), signature, keys

    def _retire(self, row: int) -> None:
        start, stop = self._indptr.view[row], self._indptr.view[row + 1]
        np.subtract.at(self._df, self._indices.view[start:stop], 1)
        self._alive.data[row] = False
        self._alive_count -= 1

    def _matrix(self) -> sp.csr_matrix:
        n = len(self._ids)
        shape = (n, self.settings.n_features)
        size = self._indices.size
        return sp.csr_matrix(
            (self._weighted.data[:size], self._indices.data[:size], self._indptr.view), shape
        )

    def _query(self, doc: str, published: datetime | None) -> tuple[int, np.ndarray, float]:
        if doc in self._row:
            row = self._row[doc]
            vector = self._matrix()[row].toarray().ravel()
            return row, vector, float(self._times.view[row])
        features, tf, _, _ = self._encode(doc)
        vector = np.zeros(self.settings.n_features, dtype=np.float32)
        vector[features] = _normalised(tf * self._idf[features])
        return -1, vector, published.timestamp() if published else math.nan

    def _query_signature(
        self, doc: str, published: datetime | None
    ) -> tuple[int, np.ndarray, np.ndarray, float]:
        if doc in self._row:
            row = self._row[doc]
            return row, self._sigs.view[row], self._keys.view[row], float(self._times.view[row])
        _, _, signature, keys = self._encode(doc)
        return -1, signature, keys, published.timestamp() if published else math.nan

    def _window_mask(self, when: float, window: timedelta, row: int) -> np.ndarray:
        mask = self._alive.view.copy()
        if not math.isnan(when):
            mask &= np.abs(self._times.view - when) <= window.total_seconds()
        if row >= 0:
            mask[row] = False
        return mask


def _is_term(word: str) -> bool:
    return len(word) > 1 and word not in ENGLISH_STOP_WORDS and not word.isdigit()


def _normalised(values: np.ndarray) -> np.ndarray:
    norm = float(np.sqrt(np.dot(values, values))) if values.size else 0.0
    return (values / norm).astype(np.float32) if norm > 0 else values.astype(np.float32)
