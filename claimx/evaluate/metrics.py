"""Precision, recall, F1 and accuracy over documents, with bootstrap intervals.

Counts are kept per document, so every figure can be computed micro (pool the
counts, then divide) or macro (divide per document, then average), and
resampled by document: a bootstrap interval says how much the figure would move
on another draw of articles like these. Resampling uses a seeded RNG, so the
same run always reports the same interval.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Accuracy",
    "Counts",
    "Interval",
    "accuracy_interval",
    "bootstrap",
    "macro",
    "micro",
    "paired_bootstrap",
    "prf",
]


class Counts(BaseModel):
    """Matched, predicted and gold item counts for one document and one criterion."""

    model_config = ConfigDict(extra="forbid")

    tp: int = 0
    n_pred: int = 0
    n_gold: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            tp=self.tp + other.tp, n_pred=self.n_pred + other.n_pred, n_gold=self.n_gold + other.n_gold
        )

    @property
    def precision(self) -> float:
        """Matched / predicted; 1.0 when nothing was predicted and nothing was there to find."""
        return _prf(self.tp, self.n_pred, self.n_gold)[0]

    @property
    def recall(self) -> float:
        """Matched / gold; 1.0 when the gold is empty and nothing was predicted."""
        return _prf(self.tp, self.n_pred, self.n_gold)[1]

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall (0 when both are 0)."""
        return _prf(self.tp, self.n_pred, self.n_gold)[2]


class Accuracy(BaseModel):
    """Right / judged, for a property judged on matched items only (speaker, cue, mode, stance)."""

    model_config = ConfigDict(extra="forbid")

    correct: int = 0
    total: int = 0

    def __add__(self, other: Accuracy) -> Accuracy:
        return Accuracy(correct=self.correct + other.correct, total=self.total + other.total)

    @property
    def value(self) -> float | None:
        """The accuracy, or None when nothing was judged."""
        return None if self.total == 0 else self.correct / self.total


def prf(counts: Counts) -> dict[str, float | int]:
    """Precision, recall, F1 and the counts behind them, as a JSON-able dict."""
    return {
        "precision": counts.precision,
        "recall": counts.recall,
        "f1": counts.f1,
        "tp": counts.tp,
        "n_pred": counts.n_pred,
        "n_gold": counts.n_gold,
    }


def micro(per_doc: Sequence[Counts]) -> Counts:
    """The pooled counts of all documents."""
    total = Counts()
    for counts in per_doc:
        total = total + counts
    return total


def macro(per_doc: Sequence[Counts]) -> dict[str, float | None]:
    """Precision, recall and F1 averaged over documents (None when there are none)."""
    if not per_doc:
        return {"precision": None, "recall": None, "f1": None}
    n = len(per_doc)
    return {
        "precision": sum(c.precision for c in per_doc) / n,
        "recall": sum(c.recall for c in per_doc) / n,
        "f1": sum(c.f1 for c in per_doc) / n,
    }


@dataclass(frozen=True)
class Interval:
    """A percentile bootstrap interval."""

    low: float
    high: float

    def as_list(self) -> list[float]:
        """``[low, high]`` rounded for reports."""
        return [round(self.low, 4), round(self.high, 4)]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = q * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    """:class:`Counts`' precision, recall and F1 from bare counts (the bootstrap's many resamples)."""
    p = (1.0 if n_gold == 0 else 0.0) if n_pred == 0 else tp / n_pred
    r = (1.0 if n_pred == 0 else 0.0) if n_gold == 0 else tp / n_gold
    return p, r, (0.0 if p + r == 0 else 2 * p * r / (p + r))


class _Packed:
    """Each item's counts packed in one integer: one sum of picks adds every column at once.

    A field holds any sum of ``len(items)`` picks without reaching the next (so the sums are
    exact), and with the fields this narrow the packed sums stay machine-sized integers,
    which ``sum`` adds fastest. (Counts are never negative; were one, its column is summed alone.)
    """

    def __init__(self, columns: Sequence[list[int]]) -> None:
        n = len(columns[0])
        self.columns = columns
        self.separate = any(min(c) < 0 for c in columns)
        self.width = max(1, (max(max(c) for c in columns) * n).bit_length())
        self.field = (1 << self.width) - 1
        self.packed = [0] * n
        for k, column in enumerate(columns):
            self.packed = [p | v << (k * self.width) for p, v in zip(self.packed, column, strict=True)]

    def sums(self, picks: Iterable[int]) -> list[int]:
        """Each column's sum over the picked items."""
        if self.separate:
            return [_picked_sum(column, picks) for column in self.columns]
        total = _picked_sum(self.packed, picks)
        return [total >> (k * self.width) & self.field for k in range(len(self.columns))]


def _draws(rng: random.Random, n: int) -> list[int]:
    """``[rng.randrange(n) for _ in range(n)]``: the same numbers from the same generator, faster.

    ``randrange(n)`` draws ``n.bit_length()`` random bits until they make a number below
    ``n``; drawing them here, a batch at a time, skips two Python calls per number (the
    bootstrap draws hundreds of thousands), and pins the draws to this documented rule.
    """
    bits = n.bit_length()
    getrandbits = rng.getrandbits
    picks: list[int] = []
    while len(picks) < n:  # each draw yields at most one pick: never a bit more than randrange takes
        picks += [r for r in [getrandbits(bits) for _ in range(n - len(picks))] if r < n]
    return picks


def _resamples(rng: random.Random, n: int, count: int) -> list[bytes] | list[list[int]]:
    """``[_draws(rng, n) for _ in range(count)]``, the same numbers: every resample's draws at once.

    ``getrandbits(k)`` for ``k`` ≤ 32 is the top ``k`` bits of the generator's next 32-bit word,
    and ``getrandbits(32 * m)`` is its next ``m`` words, the first lowest. For up to 255
    documents a draw is the top byte of a word shifted, so one call gives the words of every
    resample, and C-level byte passes pick the top bytes, drop those out of range and shift the
    rest (``bytes.translate``), where a Python call per draw was most of a summary's time. The
    generator is this function's alone: the words drawn past the last resample's are never used.
    """
    bits = n.bit_length()
    if bits > 8:  # (more than 255 documents): draw one by one
        return [_draws(rng, n) for _ in range(count)]
    shift = 8 - bits
    table = bytes((b >> shift) % 256 for b in range(256))
    out_of_range = bytes(b for b in range(256) if b >> shift >= n)
    need = n * count
    picks = b""
    while len(picks) < need:
        words = (need - len(picks)) * (1 << bits) // n + 16  # about 2**k / n words per accepted draw
        top = rng.getrandbits(32 * words).to_bytes(4 * words, "little")[3::4]
        picks += top.translate(table, out_of_range)
    return [picks[i : i + n] for i in range(0, need, n)]


def _picked_sum(values: list[int], picks: Iterable[int]) -> int:
    return sum(map(values.__getitem__, picks))


def bootstrap(
    items: Sequence[Counts], *, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> dict[str, Interval] | None:
    """Bootstrap intervals of micro precision, recall and F1, resampling documents; None if empty.

    Each resample draws as many documents as there are, with replacement, and
    pools their counts; the interval is the percentile range of the resampled figures.
    """
    n = len(items)
    if n == 0 or resamples <= 0:
        return None
    rng = random.Random(seed)
    values: dict[str, list[float]] = {"precision": [], "recall": [], "f1": []}
    counts = _Packed([[c.tp for c in items], [c.n_pred for c in items], [c.n_gold for c in items]])
    for picks in _resamples(rng, n, resamples):
        p, r, f = _prf(*counts.sums(picks))
        values["precision"].append(p)
        values["recall"].append(r)
        values["f1"].append(f)
    tail = (1 - level) / 2
    return {k: Interval(_percentile(v, tail), _percentile(v, 1 - tail)) for k, v in values.items()}


def accuracy_interval(
    items: Sequence[Accuracy], *, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> Interval | None:
    """A bootstrap interval of pooled accuracy, resampling documents; None when nothing was judged."""
    if not items or resamples <= 0 or sum(a.total for a in items) == 0:
        return None
    rng = random.Random(seed)
    n = len(items)
    values = []
    counts = _Packed([[a.total for a in items], [a.correct for a in items]])
    for picks in _resamples(rng, n, resamples):
        total, right = counts.sums(picks)
        values.append(right / total if total else 0.0)
    tail = (1 - level) / 2
    return Interval(_percentile(values, tail), _percentile(values, 1 - tail))


def paired_bootstrap(
    a: Sequence[Counts],
    b: Sequence[Counts],
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[Interval, float] | None:
    """An interval for micro F1 of B minus micro F1 of A, resampling the same documents for both.

    ``a[i]`` and ``b[i]`` must be the same document. Also returns the share of
    resamples in which B is not better than A (a one-sided bootstrap p-value for "B is better").
    """
    if len(a) != len(b):
        raise ValueError("paired bootstrap needs the same documents on both sides")
    n = len(a)
    if n == 0 or resamples <= 0:
        return None
    rng = random.Random(seed)
    deltas = []
    counts_a = _Packed([[c.tp for c in a], [c.n_pred for c in a], [c.n_gold for c in a]])
    counts_b = _Packed([[c.tp for c in b], [c.n_pred for c in b], [c.n_gold for c in b]])
    for picks in _resamples(rng, n, resamples):
        fa = _prf(*counts_a.sums(picks))[2]
        fb = _prf(*counts_b.sums(picks))[2]
        deltas.append(fb - fa)
    tail = (1 - level) / 2
    not_better = sum(1 for d in deltas if d <= 0) / resamples
    return Interval(_percentile(deltas, tail), _percentile(deltas, 1 - tail)), not_better
