"""The trained tagger: tokens → source, cue and content spans.

A linear-chain CRF: each token's label scores are the sum of the weights of its
features, and the best label sequence is found with Viterbi over the label-to-label
transition weights. The weights ship in the package (``attribution.json.gz``,
exported by ``python -m claimx.offline.train`` from a model trained on PolNeAR's
training articles) and are loaded once per process. Decoding is plain Python, so
the default install needs no compiled package; only training uses python-crfsuite.
(Its own tagger is no quicker here: building the feature strings and its
``ItemSequence`` alone cost more than this whole decoder, see ``evals/README.md``.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby, islice, repeat
from operator import add, itemgetter, lshift, mod, mul, sub
from pathlib import Path
from typing import Any

from claimx.errors import ConfigError
from claimx.offline.features import (
    EDGE,
    NARROW_GROUPS,
    WORD_TEMPLATES,
    Column,
    context_columns,
    paragraphs,
    token_matches,
)
from claimx.offline.weightfile import load_weight_file

__all__ = ["MODEL_PATH", "TaggedSpan", "Weights", "emissions", "load_weights", "tag_text", "viterbi"]

MODEL_PATH = Path(__file__).with_name("attribution.json.gz")


@dataclass(frozen=True, slots=True)
class TaggedSpan:
    """A run of tokens with the same label: ``SRC``, ``CUE`` or ``CON``."""

    label: str
    start: int
    end: int
    paragraph: int

    def gap(self, other: TaggedSpan) -> int:
        """Characters between this span and ``other`` (0 when they touch or overlap)."""
        if self.end <= other.start:
            return other.start - self.end
        if other.end <= self.start:
            return self.start - other.end
        return 0


#: Weights are stored to four decimals, so as integers (×10⁴) they add up exactly; a token's
#: label scores are packed into one integer, ``_FIELD`` bits per label, and summed in one go.
_SCALE = 10_000
_FIELD = 40
_HALF = 1 << (_FIELD - 1)
_MASK = (1 << _FIELD) - 1


@dataclass(frozen=True)
class Weights:
    """A CRF's weights: per feature, one weight for each label; per label pair, a transition weight."""

    labels: tuple[str, ...]
    transitions: tuple[tuple[float, ...], ...]  # [previous label][label]
    features: dict[str, tuple[float, ...]]

    @cached_property
    def tables(self) -> dict[str, dict[str | None, int]]:
        """Template prefix → value → the feature's weights packed into one integer."""
        tables: dict[str, dict[str | None, int]] = {}
        # Label by label over all features at once (C-level passes), not feature by feature.
        packed: Iterable[int] = repeat(0)
        for shift, weights in zip(self.shifts, zip(*self.features.values(), strict=True), strict=False):
            scaled = map(round, map(mul, weights, repeat(_SCALE)))
            packed = list(map(add, packed, map(lshift, scaled, repeat(shift))))
        for name, value in zip(self.features, packed, strict=False):
            prefix, rest = _split_name(name)
            table = tables.get(prefix)
            if table is None:
                table = tables[prefix] = {}
            table[rest] = value
        return tables

    @cached_property
    def combined(self) -> dict[tuple[str, ...], dict[tuple[str | None, ...], int]]:
        """Per group of templates, each combination of values seen → their packed weights summed."""
        return {}

    @cached_property
    def by_word(self) -> _WordScores:
        """Word form → what it adds through the word templates (see :class:`_WordScores`)."""
        return _WordScores(self.tables)

    @cached_property
    def into(self) -> tuple[tuple[int, ...], ...]:
        """Per label, the scaled transition weight from each previous label."""
        return tuple(
            tuple(round(row[label] * _SCALE) for row in self.transitions) for label in range(len(self.labels))
        )

    @cached_property
    def into_tagged(self) -> tuple[tuple[int, ...], ...]:
        """:attr:`into` times the number of labels, plus the previous label (see :func:`_decode`)."""
        n = len(self.labels)
        return tuple(tuple(w * n + previous for previous, w in enumerate(row)) for row in self.into)

    @cached_property
    def shifts(self) -> tuple[int, ...]:
        """Where each label's field starts in a packed integer."""
        return tuple(_FIELD * k for k in range(len(self.labels)))

    @cached_property
    def bias(self) -> int:
        """Half a field in every field: added to every total, all fields read off without borrows."""
        return sum(_HALF << shift for shift in self.shifts)


#: The offsets of the :data:`~claimx.offline.features.WORD_TEMPLATES` (0: the token's own word).
_OFFSETS = tuple(sorted({offset for _, offset, _ in WORD_TEMPLATES}))
_REACH = max(abs(offset) for offset in _OFFSETS)
#: A word form table this large is emptied: a long-running process meets ever more words.
_MAX_WORDS = 1 << 18


class _WordScores(dict[str, tuple[int, ...]]):
    """Word form → per offset (:data:`_OFFSETS`), the packed weights of the word templates it feeds there.

    A word's own templates (the lower-cased word, its suffix, its shape) and the templates
    that read it as a neighbour depend on the word alone, so their weights are summed the
    first time a word form turns up, not looked up template by template for every token:
    one look-up per token where there were nine, over a table that stays small and warm.
    """

    def __init__(self, tables: dict[str, dict[str | None, int]]) -> None:
        super().__init__()
        empty: dict[str | None, int] = {}
        #: The templates' distinct value functions (most read the lower-cased word: one call).
        self.readers = tuple(dict.fromkeys(value for _, _, value in WORD_TEMPLATES))
        #: Per offset, each template's table and which of :attr:`readers` it reads.
        self.templates = tuple(
            tuple(
                (tables.get(prefix, empty), self.readers.index(value))
                for prefix, at, value in WORD_TEMPLATES
                if at == offset
            )
            for offset in _OFFSETS
        )
        #: What a neighbour past the paragraph's edge adds at each offset.
        self.edge = tuple(sum([table.get(EDGE, 0) for table, _ in templates]) for templates in self.templates)

    def __missing__(self, word: str) -> tuple[int, ...]:
        if len(self) >= _MAX_WORDS:
            self.clear()
        values = [value(word) for value in self.readers]
        scores = self[word] = tuple(
            [sum([table.get(values[k], 0) for table, k in templates]) for templates in self.templates]
        )
        return scores


def _word_scores(weights: Weights, words: list[str]) -> list[Iterable[int]]:
    """Per offset, each token's packed weights of the word templates (a paragraph's words)."""
    by_word = weights.by_word
    n = len(words)
    edge = [by_word.edge] * _REACH
    padded = [*edge, *map(by_word.__getitem__, words), *edge]
    return [map(itemgetter(k), padded[_REACH + d : _REACH + d + n]) for k, d in enumerate(_OFFSETS)]


def _split_name(name: str) -> tuple[str, str]:
    """A feature name's template prefix and value, as :func:`paragraph_columns` writes them."""
    if name.startswith("bg="):
        return name[:6], name[6:]
    prefix, equals, value = name.partition("=")
    return (prefix + "=", value) if equals else (name, "")


def load_weights(path: Path = MODEL_PATH) -> Weights:
    """The weights in ``path`` (the packaged model by default)."""
    weights = load_weight_file(path, _weights)
    if weights is None:
        raise ConfigError(
            f"the offline tagger's weights are missing ({path}); rebuild them with "
            "`python -m claimx.offline.train`"
        )
    return weights


def _weights(data: Any) -> Weights:
    return Weights(
        labels=tuple(data["labels"]),
        transitions=tuple(tuple(row) for row in data["transitions"]),
        features={name: tuple(w) for name, w in data["features"].items()},
    )


def _totals(weights: Weights, columns: list[Column], more: Iterable[Iterable[int]] = ()) -> list[int]:
    """Each token's packed label scores, biased by half a field (see :func:`emissions`).

    Column by column: one C-level pass of look-ups per template, and one pass summing
    each token's values (``more``: columns of packed weights already looked up, see
    :func:`_word_scores`). The templates of a :data:`~claimx.offline.features.NARROW_GROUPS`
    group are looked up together, by the tuple of their values, in a table filled as
    combinations turn up (integers: the same sums in any order).
    """
    tables = weights.tables
    empty: dict[str | None, int] = {}
    parts: list[Iterable[int]] = [repeat(weights.bias, len(columns[0][1]) if columns else 0)]
    grouped: list[list[Column]] = [[] for _ in NARROW_GROUPS]
    for column in columns:
        group = _GROUP_OF.get(column[0])
        if group is not None:
            grouped[group].append(column)
        else:
            prefix, values = column
            parts.append(map(tables.get(prefix, empty).get, values, repeat(0)))
    parts += [_group_scores(weights, members) for members in grouped if members]
    parts += more
    return list(map(sum, zip(*parts, strict=True)))


_GROUP_OF = {prefix: k for k, group in enumerate(NARROW_GROUPS) for prefix in group}


def _group_scores(weights: Weights, members: list[Column]) -> list[int]:
    """Per token, the packed weights of these templates' values, summed once per combination."""
    prefixes = tuple(prefix for prefix, _ in members)
    combined = weights.combined.setdefault(prefixes, {})
    keys = list(zip(*(values for _, values in members), strict=True))
    try:
        return list(map(combined.__getitem__, keys))
    except KeyError:  # a combination not seen before: sum it once
        tables = [weights.tables.get(prefix, {}) for prefix in prefixes]
        for key in keys:
            if key not in combined:
                combined[key] = sum(table.get(v, 0) for table, v in zip(tables, key, strict=True))
        return list(map(combined.__getitem__, keys))


def _label_scores(weights: Weights, totals: list[int], scale: int = 1) -> list[list[int]]:
    """Per label, every token's score (times ``scale``): one pass per label, not one list per token."""
    return [[(((total >> shift) & _MASK) - _HALF) * scale for total in totals] for shift in weights.shifts]


def emissions(weights: Weights, columns: list[Column]) -> list[list[int]]:
    """Each token's scaled label scores: the sum of its features' weights."""
    return [list(row) for row in zip(*_label_scores(weights, _totals(weights, columns)), strict=True)]


def viterbi(weights: Weights, scores: list[list[int]]) -> list[str]:
    """The best-scoring label sequence, given each token's label scores (:func:`emissions`)."""
    n_labels = len(weights.labels)
    return _decode(weights, [[score * n_labels for score in row] for row in scores])


def _decode(weights: Weights, scores: Iterable[Sequence[int]]) -> list[str]:
    """Viterbi over scores multiplied by the number of labels ``L``.

    A path's score times ``L`` plus its previous label is one integer, so the best previous
    label is one ``max`` of integers, ties going to the higher label as the ``max`` of
    ``(score, label)`` pairs this replaced did; ``x - x % L`` is the score times ``L`` again.
    """
    n_labels = len(weights.labels)
    rows = iter(scores)
    first = next(rows, None)
    if first is None:
        return []
    into = weights.into_tagged
    best = list(first)
    back: list[list[int]] = []
    for emit in rows:
        tops = [max(map(add, best, row)) for row in into]
        back.append(tops)
        best = list(map(add, map(sub, tops, map(mod, tops, repeat(n_labels))), emit))
    label = max(range(n_labels), key=best.__getitem__)
    path = [label]
    for tops in reversed(back):
        label = tops[label] % n_labels
        path.append(label)
    path.reverse()
    return [weights.labels[i] for i in path]


def _decode_four(weights: Weights, totals: list[int]) -> list[str]:
    """:func:`_decode` written out for four labels (the packaged model's: O, SRC, CUE, CON).

    Reads each token's scores, times four, straight off its packed total (:func:`_totals`):
    ``(total >> (field - 2)) & mask`` is the field times four. Without the half-field bias,
    which adds the same to every label's score of a token, so to every path's score alike,
    and compares the same integers in the same order as the general loop: the same labels,
    ties included. With the sixteen transition weights in local variables, a token costs
    four ``max`` calls of four sums where the general loop built and consumed five ``map``
    objects per label and the scores took four list passes and a ``zip``.
    """
    if not totals:
        return []
    into = weights.into_tagged
    (i00, i01, i02, i03), (i10, i11, i12, i13), (i20, i21, i22, i23), (i30, i31, i32, i33) = into
    m = _MASK << 2
    s1, s2, s3 = _FIELD - 2, 2 * _FIELD - 2, 3 * _FIELD - 2
    first = totals[0]
    b0, b1, b2, b3 = (first << 2) & m, (first >> s1) & m, (first >> s2) & m, (first >> s3) & m
    back: list[tuple[int, int, int, int]] = []
    for total in islice(totals, 1, None):
        t0 = max(b0 + i00, b1 + i01, b2 + i02, b3 + i03)
        t1 = max(b0 + i10, b1 + i11, b2 + i12, b3 + i13)
        t2 = max(b0 + i20, b1 + i21, b2 + i22, b3 + i23)
        t3 = max(b0 + i30, b1 + i31, b2 + i32, b3 + i33)
        back.append((t0, t1, t2, t3))
        b0 = t0 - t0 % 4 + ((total << 2) & m)
        b1 = t1 - t1 % 4 + ((total >> s1) & m)
        b2 = t2 - t2 % 4 + ((total >> s2) & m)
        b3 = t3 - t3 % 4 + ((total >> s3) & m)
    best = (b0, b1, b2, b3)
    label = max(range(4), key=best.__getitem__)
    path = [label]
    for tops in reversed(back):
        label = tops[label] % 4
        path.append(label)
    path.reverse()
    labels = weights.labels
    return [labels[i] for i in path]


def tag_text(text: str) -> list[TaggedSpan]:
    """Every labelled run in ``text``, in text order."""
    weights = load_weights(MODEL_PATH)
    spans: list[TaggedSpan] = []
    for number, (start, end) in enumerate(paragraphs(text)):
        tokens = token_matches(text, start, end)
        if tokens:
            words = list(map(_text, tokens))
            totals = _totals(weights, context_columns(words), _word_scores(weights, words))
            spans.extend(_runs(tokens, _labels(weights, totals), number))
    return spans


_text = re.Match.group


def _labels(weights: Weights, totals: list[int]) -> list[str]:
    """The best label sequence for a paragraph's packed totals."""
    n_labels = len(weights.labels)
    if n_labels == 4:
        return _decode_four(weights, totals)
    return _decode(weights, zip(*_label_scores(weights, totals, n_labels), strict=True))


def _runs(tokens: list[re.Match[str]], labels: list[str], paragraph: int) -> list[TaggedSpan]:
    """The runs of tokens with one label other than ``O``."""
    out: list[TaggedSpan] = []
    i = 0
    for label, run in groupby(labels):
        j = i + sum(1 for _ in run)
        if label != "O":
            out.append(TaggedSpan(label, tokens[i].start(), tokens[j - 1].end(), paragraph))
        i = j
    return out
