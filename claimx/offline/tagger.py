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
from functools import lru_cache
from pathlib import Path

from claimx.errors import ConfigError
from claimx.offline.features import Token, paragraph_features, paragraphs, tokenize

__all__ = ["MODEL_PATH", "TaggedSpan", "Weights", "load_weights", "tag_text", "viterbi"]

MODEL_PATH = Path(__file__).with_name("attribution.json.gz")


@dataclass(frozen=True, slots=True)
class TaggedSpan:
    """A run of tokens with the same label: ``SRC``, ``CUE`` or ``CON``."""

    label: str
    start: int
    end: int
    paragraph: int


@dataclass(frozen=True)
class Weights:
    """A CRF's weights: per feature, one weight for each label; per label pair, a transition weight."""

    labels: tuple[str, ...]
    transitions: tuple[tuple[float, ...], ...]  # [previous label][label]
    features: dict[str, tuple[float, ...]]


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


def viterbi(weights: Weights, features: list[list[str]]) -> list[str]:
    """The best-scoring label sequence for one sequence of feature lists."""
    if not features:
        return []
    table = weights.features
    zero = (0.0,) * len(weights.labels)
    labels = range(len(weights.labels))
    into = [tuple(row[label] for row in weights.transitions) for label in labels]  # [label][previous]
    best: list[float] = []
    back: list[list[int]] = []
    for position, names in enumerate(features):
        rows = [w for w in map(table.get, names) if w is not None]
        emit = [sum(column) for column in zip(*rows, strict=True)] if rows else list(zero)
        if position == 0:
            best = emit
            continue
        pointers: list[int] = []
        scores: list[float] = []
        for label in labels:
            candidates = [b + t for b, t in zip(best, into[label], strict=True)]
            top = max(candidates)
            pointers.append(candidates.index(top))
            scores.append(top + emit[label])
        back.append(pointers)
        best = scores
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
            spans.extend(_runs(tokens, viterbi(weights, paragraph_features(tokens)), number))
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
