"""Which cue and which source a content belongs to: candidates, their features, a trained ranker.

The tagger marks sources, cues and contents, but a paragraph often holds several of each
("X said Y told …", "A and B argued", a quotation nested in a report), and a cue may have
no source at all ("is expected", "seems"). For each content every cue within reach is a
candidate, described by where it lies (same sentence, before, after or inside the content,
how far, how many others are nearer), its words and what stands between. For a cue, every
source within reach, the subjects the rules read before or after it, the noun phrases of its
sentence, and "nobody" are candidates, described the same way (side, distance, rank, clause
breaks between, pronoun or name or description) plus the cue's words for "nobody". Each
score is a sum of feature weights: two conditional logit models fitted on PolNeAR's training
articles (:mod:`claimx.offline.train_pairing`) and shipped as ``pairing.json.gz``;
:mod:`claimx.offline.assemble` lists the candidates and takes the cue and source whose
probabilities multiply to the most. Without the file its nearest-first rules decide.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from claimx.document import Document
from claimx.offline.spanindex import SpanIndex
from claimx.offline.tagger import TaggedSpan
from claimx.offline.weightfile import load_weight_file

__all__ = [
    "MODEL_PATH",
    "PairWeights",
    "SourceCandidate",
    "cue_features",
    "load_pair_weights",
    "log_shares",
    "rank",
    "source_features",
]

MODEL_PATH = Path(__file__).with_name("pairing.json.gz")

_PRONOUNS = frozenset({"he", "she", "they", "it", "i", "we", "you", "who", "which", "that", "him", "her"})
_DETERMINERS = frozenset(
    {"the", "a", "an", "his", "her", "their", "its", "this", "that", "our", "one", "some"}
)
_AUXILIARY = re.compile(r"\b(?:is|was|are|were|be|been|being|has|have|had)\b")
_CLAUSE_BREAK = re.compile(r"[.;:!?]\s|[“”\"]")
_OPENING = "“\"‘'«"
_POSSESSIVE = ("’s", "'s")
_RELATIVES = frozenset({"who", "which", "whose", "whom"})
_PREPOSITION = re.compile(
    r"\b(?:[Ii]n|[Aa]t|[Oo]n|of|for|[Ff]rom|[Bb]y|[Ww]ith|to|about|into|over|[Aa]fter)\s+$"
)
_THAT = re.compile(r"\bthat\b")


@dataclass(frozen=True)
class PairWeights:
    """The two rankers' weights: feature → weight, for cues and for sources."""

    cue: dict[str, float]
    source: dict[str, float]


def load_pair_weights(path: Path = MODEL_PATH) -> PairWeights | None:
    """The shipped weights, or None when the file is absent (the rules decide then)."""
    return load_weight_file(path, _pair_weights)


def _pair_weights(data: Any) -> PairWeights:
    return PairWeights(cue=dict(data["cue"]), source=dict(data["source"]))


def rank(weights: dict[str, float], candidates: list[list[str]]) -> int:
    """The index of the best-scoring candidate (the first among equals)."""
    scores = [sum(weights.get(f, 0.0) for f in features) for features in candidates]
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def log_shares(weights: dict[str, float], candidates: list[list[str]], nobody: float = 0.0) -> list[float]:
    """Each candidate's log-probability under the ranker's softmax (``nobody``: added to "none"'s score)."""
    # (``map`` over ``weights.get``: the same terms summed in the same order, without a generator's frames)
    scores = [
        sum(map(weights.get, features, repeat(0.0))) + (nobody if features[:1] == ["none"] else 0.0)
        for features in candidates
    ]
    top = max(scores)
    total = top + math.log(sum(math.exp(s - top) for s in scores))
    return [s - total for s in scores]


def _bucket(n: int) -> str:
    for limit in (0, 2, 10, 30, 60, 120, 250):
        if n <= limit:
            return str(limit)
    return "far"


def _side(span: TaggedSpan, anchor: TaggedSpan) -> str:
    if span.end <= anchor.start:
        return "before"
    if span.start >= anchor.end:
        return "after"
    return "inside"


def _between(a: TaggedSpan, b: TaggedSpan) -> tuple[int, int]:
    return (a.end, b.start) if a.end <= b.start else (b.end, a.start)


def _first_word(text: str) -> str:
    found = re.search(r"[\w’']+|:|―|—|--", text)
    return found.group(0).lower() if found else ""


def _last_word(text: str) -> str:
    found = re.findall(r"[\w’']+|:|―|—|--", text)
    return found[-1].lower() if found else ""


@dataclass(frozen=True)
class _CueWords:
    """What every source candidate of one cue reads of it (worked out once per cue)."""

    words: str
    first: str
    last: str
    before: str  # the word (or comma) just before the cue
    spans: list[TaggedSpan]  # the candidates' spans


@dataclass
class Runs:
    """What the rankers read: the document, its tagged cues and sources, its content runs."""

    document: Document
    cues: list[TaggedSpan]
    sources: list[TaggedSpan]
    contents: list[TaggedSpan]
    _sentences: dict[int, int] = field(default_factory=dict)
    _groups: dict[int, dict[int, list[TaggedSpan]]] = field(default_factory=dict)
    _indexes: dict[tuple[int, int], SpanIndex] = field(default_factory=dict)
    _cue_words: dict[tuple[int, ...], _CueWords] = field(default_factory=dict)

    def sentence(self, offset: int) -> int:
        """The number of the sentence holding ``offset`` (-1 before the first)."""
        if offset not in self._sentences:
            found = self.document.sentence_at(offset)
            self._sentences[offset] = found.number if found else -1
        return self._sentences[offset]

    def in_paragraph(self, spans: list[TaggedSpan], paragraph: int) -> list[TaggedSpan]:
        """Those of ``spans`` (the cues, sources or contents) in one paragraph (grouped once)."""
        key = id(spans)
        if key not in self._groups:
            grouped: dict[int, list[TaggedSpan]] = {}
            for span in spans:
                grouped.setdefault(span.paragraph, []).append(span)
            self._groups[key] = grouped
        return self._groups[key].get(paragraph, [])

    def index(self, spans: list[TaggedSpan], paragraph: int) -> SpanIndex:
        """Those of ``spans`` in one paragraph, searchable by offset (built once).

        Every feature asks about the spans near two offsets; scanning the whole paragraph for
        each made a long paragraph quadratic.
        """
        key = (id(spans), paragraph)
        if key not in self._indexes:
            self._indexes[key] = SpanIndex(self.in_paragraph(spans, paragraph))
        return self._indexes[key]

    def any_between(self, spans: list[TaggedSpan], a: TaggedSpan, b: TaggedSpan) -> bool:
        """Whether one of ``spans`` (neither a nor b) lies wholly between a and b, in b's paragraph."""
        lo, hi = _between(a, b)
        return any(
            lo <= s.start and s.end <= hi and s is not a and s is not b
            for s in self.index(spans, b.paragraph).starting(lo, hi)
        )


def cue_features(cue: TaggedSpan, content: TaggedSpan, others: list[TaggedSpan], where: Runs) -> list[str]:
    """What says whether ``cue`` is the cue of ``content`` (``others``: the other candidates)."""
    text = where.document.text
    words = text[cue.start : cue.end]
    side = _side(cue, content)
    gap = cue.gap(content)
    home = {where.sentence(content.start), where.sentence(max(content.start, content.end - 1))}
    cue_sentence = where.sentence(cue.start)
    if cue_sentence in home:
        sentence = "same"
    elif cue_sentence < min(home):
        sentence = f"prev{min(3, min(home) - cue_sentence)}"
    else:
        sentence = f"next{min(3, cue_sentence - max(home))}"
    nearer = sum(1 for o in others if o is not cue and o.gap(content) < gap)
    nearer_side = sum(
        1 for o in others if o is not cue and _side(o, content) == side and o.gap(content) < gap
    )
    first, last = _first_word(words), _last_word(words)
    lo, hi = _between(cue, content)
    between = text[lo:hi]
    near = where.index(where.sources, cue.paragraph).touching(cue.start - 3, cue.end + 3)
    adjacent_source = any(s.gap(cue) <= 3 for s in near)
    features = [
        "bias",
        f"side={side}",
        f"sentence={sentence}",
        f"side={side}&sentence={sentence}",
        f"gap={_bucket(gap)}",
        f"side={side}&gap={_bucket(gap)}",
        f"nearer={min(nearer, 3)}",
        f"side={side}&nearer_side={min(nearer_side, 3)}",
        f"first={first}",
        f"last={last}",
        f"side={side}&last={last}",
        f"words={min(len(words.split()), 4)}",
        f"adjacent_source={adjacent_source}",
        f"side={side}&adjacent_source={adjacent_source}",
        f"content_between={where.any_between(where.contents, cue, content)}",
        f"cue_between={where.any_between(where.cues, cue, content)}",
        f"break_between={bool(_CLAUSE_BREAK.search(between))}",
        f"comma_between={',' in between}",
        f"that_between={bool(_THAT.search(between))}",
        f"opens_quote={text[content.start : content.start + 1] in _OPENING}",
        f"side={side}&opens_quote={text[content.start : content.start + 1] in _OPENING}",
        f"according={words.lower().startswith('according to')}",
        f"candidates={min(len(others), 4)}",
    ]
    if side == "inside":
        features.append(f"inside_at={_bucket(cue.start - content.start)}")
    return features


@dataclass(frozen=True)
class SourceCandidate:
    """A possible source: a tagged run or a subject the rules read; None for "nobody"."""

    span: TaggedSpan | None
    kinds: frozenset[str]


def source_features(
    candidate: SourceCandidate,
    cue: TaggedSpan,
    content: TaggedSpan,
    others: list[SourceCandidate],
    where: Runs,
) -> list[str]:
    """What says whether ``candidate`` names who speaks at ``cue`` (``others``: all candidates)."""
    text = where.document.text
    key = (cue.start, cue.end, content.start, content.end, len(others))
    if key not in where._cue_words:
        cue_words = text[cue.start : cue.end]
        before = text[max(0, cue.start - 5) : cue.start].rstrip()
        where._cue_words[key] = _CueWords(
            cue_words,
            _first_word(cue_words),
            _last_word(cue_words),
            "," if before.endswith(",") else (before.split() or [""])[-1],
            [o.span for o in others if o.span is not None],
        )
    said = where._cue_words[key]
    cue_words, cue_first, cue_last, before_cue, spans = (
        said.words,
        said.first,
        said.last,
        said.before,
        said.spans,
    )
    passive = bool(_AUXILIARY.search(cue_words.lower())) and cue_last.endswith("ed")
    if candidate.span is None:
        return [
            "none",
            f"none&cue_last={cue_last}",
            f"none&cue_first={cue_first}",
            f"none&passive={passive}",
            f"none&spans={min(len(spans), 3)}",
            f"none&cue_words={min(len(cue_words.split()), 4)}",
            f"none&according={cue_words.lower().startswith('according to')}",
            f"none&opens_quote={text[content.start : content.start + 1] in _OPENING}",
            f"none&cue_side={_side(cue, content)}",
        ]
    span = candidate.span
    words = " ".join(text[span.start : span.end].split())
    low = words.lower()
    first = low.split()[0] if low else ""
    side = _side(span, cue)
    gap = span.gap(cue)
    nearer = sum(1 for s in spans if s is not span and s.gap(cue) < gap)
    nearer_side = sum(1 for s in spans if s is not span and _side(s, cue) == side and s.gap(cue) < gap)
    same_sentence = where.sentence(span.start) == where.sentence(cue.start)
    lo, hi = _between(span, cue)
    between = text[lo:hi]
    if low in _PRONOUNS:
        shape = f"pronoun:{low}"
    elif first in _RELATIVES:  # "who watched the ceremony": the clause after the speaker's name
        shape = "relative"
    elif len(words) > 1 and words.replace(" ", "").isalpha() and words.isupper():
        shape = "capitals"  # "WASHINGTON": a dateline
    elif first in _DETERMINERS:
        shape = "description"
    elif words[:1].isupper():
        shape = "name"
    else:
        shape = "lower"
    sentence = where.sentence(span.start)
    sentence_start = where.document.sentences[sentence - 1].start if sentence >= 1 else 0
    opens = not text[sentence_start : span.start].strip(" \"“‘'")
    first_phrase = "first" in candidate.kinds
    preposition = _PREPOSITION.search(text, max(0, span.start - 6), span.start) is not None
    in_other = any(
        c.start <= span.start < c.end and c is not content
        for c in where.index(where.contents, content.paragraph).touching(span.start, span.start)
    )
    cue_between = where.any_between(where.cues, span, cue)
    features = [
        "bias",
        *(f"kind={k}" for k in sorted(candidate.kinds)),
        f"kinds={'+'.join(sorted(candidate.kinds))}",
        f"side={side}",
        f"same_sentence={same_sentence}",
        f"side={side}&same_sentence={same_sentence}",
        f"gap={_bucket(gap)}",
        f"side={side}&gap={_bucket(gap)}",
        f"nearer={min(nearer, 3)}",
        f"side={side}&nearer_side={min(nearer_side, 3)}",
        f"shape={shape}",
        f"side={side}&shape={shape}",
        f"words={min(len(words.split()), 6)}",
        f"possessive={low.endswith(_POSSESSIVE)}",
        f"comma={',' in words}",
        f"opens_sentence={opens}",
        f"in_content={_side(span, content) == 'inside'}",
        f"content_side={_side(span, content)}",
        f"cue_between={cue_between}",
        f"content_between={where.any_between(where.contents, span, cue)}",
        f"source_between={any(lo <= s.start and s.end <= hi for s in spans if s is not span)}",
        f"break_between={bool(_CLAUSE_BREAK.search(between))}",
        f"comma_between={',' in between}",
        f"that_between={bool(_THAT.search(between))}",
        f"side={side}&cue_first={cue_first}",
        f"shape={shape}&cue_last={cue_last}",
        f"according={cue_words.lower().startswith('according to')}&side={side}",
        # ", saying …", "and criticized …": a participle or a second verb takes the sentence's subject.
        f"participle={cue_first.endswith('ing')}&first={first_phrase}",
        f"comma_before_cue={before_cue == ','}&first={first_phrase}",
        f"and_before_cue={before_cue == 'and'}&first={first_phrase}",
        f"after_preposition={preposition}",
        f"comma_after={text[span.end : span.end + 1] == ','}&words={min(len(words.split()), 3)}",
        f"participle={cue_first.endswith('ing')}&cue_between={cue_between}",
        f"passive={passive}&side={side}",
        f"passive={passive}&tagged={'tagged' in candidate.kinds}",
        f"in_other_content={in_other}",
        f"in_other_content={in_other}&shape={shape}",
    ]
    return features
