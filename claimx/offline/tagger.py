"""The trained tagger: tokens → source, cue and content spans.

A linear-chain CRF: each token's label scores are the sum of the weights of its
features, and the best label sequence is found with Viterbi over the label-to-label
transition weights. The weights ship in the package (``attribution.json.gz``,
exported by ``python -m claimx.offline.train`` from a model trained on PolNeAR's
training articles) and are loaded once per process. Decoding is plain Python, so
the default install needs no compiled package; only training uses python-crfsuite.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from operator import add
from pathlib import Path

from claimx.errors import ConfigError
from claimx.offline.features import Column, Token, paragraph_columns, paragraphs, tokenize

__all__ = ["MODEL_PATH", "TaggedSpan", "Weights", "emissions", "load_weights", "tag_text", "viterbi"]

MODEL_PATH = Path(__file__).with_name("attribution.json.gz")


@dataclass(frozen=True, slots=True)
class TaggedSpan:
    """A run of tokens with the same label: ``SRC``, ``CUE`` or ``CON``."""

    label: str
    start: int
    end: int
    paragraph: int


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
        for name, weights in self.features.items():
            prefix, value = _split_name(name)
            tables.setdefault(prefix, {})[value] = _pack(weights)
        return tables

    @cached_property
    def into(self) -> tuple[tuple[int, ...], ...]:
        """Per label, the scaled transition weight from each previous label."""
        return tuple(
            tuple(round(row[label] * _SCALE) for row in self.transitions) for label in range(len(self.labels))
        )


def _pack(weights: tuple[float, ...]) -> int:
    return sum(round(w * _SCALE) << (_FIELD * k) for k, w in enumerate(weights))


def _split_name(name: str) -> tuple[str, str]:
    """A feature name's template prefix and value, as :func:`paragraph_columns` writes them."""
    if name.startswith("bg="):
        return name[:6], name[6:]
    prefix, equals, value = name.partition("=")
    return (prefix + "=", value) if equals else (name, "")


@lru_cache(maxsize=1)
def load_weights(path: Path = MODEL_PATH) -> Weights:
    """The weights in ``path`` (the packaged model by default)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise ConfigError(
            f"the offline tagger's weights are missing ({path}); rebuild them with "
            "`python -m claimx.offline.train`"
        ) from None
    return Weights(
        labels=tuple(data["labels"]),
        transitions=tuple(tuple(row) for row in data["transitions"]),
        features={name: tuple(w) for name, w in data["features"].items()},
    )


def emissions(weights: Weights, columns: list[Column]) -> list[list[int]]:
    """Each token's scaled label scores: the sum of its features' weights."""
    tables = weights.tables
    empty: dict[str | None, int] = {}
    looked_up = [map(tables.get(prefix, empty).get, values) for prefix, values in columns]
    # Adding half a field to every field makes them all non-negative: each reads off without borrows.
    shifts = [_FIELD * k for k in range(len(weights.labels))]
    bias = sum(_HALF << shift for shift in shifts)
    totals = [sum(filter(None, row)) + bias for row in zip(*looked_up, strict=True)]
    return [[((total >> shift) & _MASK) - _HALF for shift in shifts] for total in totals]


def viterbi(weights: Weights, scores: list[list[int]]) -> list[str]:
    """The best-scoring label sequence, given each token's label scores (:func:`emissions`)."""
    if not scores:
        return []
    into = weights.into
    labels = range(len(weights.labels))
    best = scores[0]
    back: list[list[int]] = []
    for emit in scores[1:]:
        pointers: list[int] = []
        next_best: list[int] = []
        for label in labels:
            top, previous = max(zip(map(add, best, into[label]), labels, strict=True))
            pointers.append(previous)
            next_best.append(top + emit[label])
        back.append(pointers)
        best = next_best
    label = max(labels, key=best.__getitem__)
    path = [label]
    for pointers in reversed(back):
        label = pointers[label]
        path.append(label)
    path.reverse()
    return [weights.labels[i] for i in path]


def tag_text(text: str) -> list[TaggedSpan]:
    """Every labelled run in ``text``, in text order."""
    weights = load_weights(MODEL_PATH)
    spans: list[TaggedSpan] = []
    for number, (start, end) in enumerate(paragraphs(text)):
        tokens = tokenize(text, start, end)
        if tokens:
            labels = viterbi(weights, emissions(weights, paragraph_columns(tokens)))
            spans.extend(_runs(tokens, labels, number))
    return spans


def _runs(tokens: list[Token], labels: list[str], paragraph: int) -> list[TaggedSpan]:
    out: list[TaggedSpan] = []
    i = 0
    while i < len(tokens):
        label = labels[i]
        j = i
        while j + 1 < len(tokens) and labels[j + 1] == label:
            j += 1
        if label != "O":
            out.append(TaggedSpan(label, tokens[i].start, tokens[j].end, paragraph))
        i = j + 1
    return out
