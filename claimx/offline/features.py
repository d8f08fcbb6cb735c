"""Tokens and the hand-made features the attribution tagger reads.

One sequence per paragraph (a line of the text): attributions rarely cross one,
and short sequences keep the tagger fast. Features are those of Citron-style
taggers: the word and its shape, a lexicon of reporting verbs, whether the token
sits inside quotation marks, and where it lies relative to the nearest cue word
and the sentence's edges. Pure functions of the text, so training and tagging
cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

__all__ = [
    "CUE_WORDS",
    "EDGE",
    "NARROW_GROUPS",
    "TEMPLATES",
    "WORD_TEMPLATES",
    "Column",
    "Token",
    "context_columns",
    "paragraph_columns",
    "paragraph_features",
    "paragraphs",
    "tokenize",
    "words",
]


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``: word lists stay readable in the source."""
    return frozenset(text.split())


#: Reporting and cognition verbs (all forms), and the nouns and phrases that cue attributions.
CUE_WORDS = words(
    """
    say says said saying tell tells told telling add adds added adding note notes noted noting state
    states stated explain explains explained argue argues argued claim claims claimed insist insists
    insisted warn warns warned write writes wrote written ask asks asked announce announces announced
    report reports reported declare declares declared acknowledge acknowledges acknowledged admit admits
    admitted suggest suggests suggested believe believes believed think thinks thought reply replied
    respond responds responded recall recalls recalled stress stressed emphasize emphasized emphasise
    emphasised tweet tweets tweeted predict predicts predicted promise promises promised pledge pledged
    deny denies denied maintain maintains maintained contend contended concede conceded observe observed
    remark remarked confirm confirms confirmed conclude concluded continue continued estimate estimated
    vow vows vowed testify testified according accuse accused want wants wanted hope hopes hoped expect
    expects expected fear fears feared worry worries worried know knows knew feel feels felt agree
    agrees agreed disagree disagreed charge charged allege alleged assert asserted indicate indicated
    show shows showed found find finds reveal revealed describe described call calls called urge urged
    demand demanded propose proposed plan plans planned intend intended decide decided refuse refused
    question questioned wonder wondered blame blamed criticize criticized praise praised complain
    complained mention mentioned point argument statement interview speech remarks comments comment told
    poll polls survey surveys according_to believe sources spokesman spokeswoman spokesperson insisting
    telling asking noting arguing adding warning claiming explaining suggesting writing
    """
)
PRONOUN_WORDS = frozenset(["he", "she", "they", "i", "we", "it", "you", "him", "her", "them", "us"])
_TOKEN = re.compile(r"\w+(?:[’'.\-]\w+)*|[^\w\s]", re.UNICODE)
_OPEN = frozenset("“‘«")
_CLOSE = frozenset("”’»")
_SENTENCE_END = frozenset(".!?")


@dataclass(frozen=True, slots=True)
class Token:
    """A word or punctuation mark and where it lies in the text."""

    text: str
    start: int
    end: int


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """The ``[start, end)`` of each non-blank line."""
    for m in re.finditer(r"[^\n]+", text):
        if m.group().strip():
            yield m.start(), m.end()


def tokenize(text: str, start: int, end: int) -> list[Token]:
    """The tokens of ``text[start:end]``, offsets into ``text``."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text, start, end)]


@lru_cache(maxsize=1 << 16)
def _shape(word: str) -> str:
    if word.isdigit():
        return "d"
    if not word[0].isalnum():
        return "p"
    if word.isupper() and len(word) > 1:
        return "X"
    if word[0].isupper():
        return "Xx"
    return "x"


def _quote_states(words: list[str]) -> list[int]:
    """1 for words inside quotation marks (the marks themselves included), else 0."""
    inside = False
    states: list[int] = []
    for t in words:
        if t in _OPEN and not (t == "‘" and inside):
            states.append(1)
            inside = True
            continue
        if t == '"':
            states.append(1)
            inside = not inside
            continue
        if t in _CLOSE and inside and t != "’":
            states.append(1)
            inside = False
            continue
        states.append(int(inside))
    return states


_BIT = {False: "0", True: "1"}  # (0 and 1 are the same keys)


@lru_cache(maxsize=1024)
def _bucket(distance: int | None) -> str:
    if distance is None:
        return "none"
    if distance <= 3:
        return str(distance)
    if distance <= 6:
        return "4-6"
    if distance <= 12:
        return "7-12"
    return "far"


def _shifted(values: Sequence[str | None], d: int) -> list[str | None]:
    """``values[i + d]`` at each ``i``, None where ``i + d`` falls outside."""
    n = len(values)
    if d >= 0:
        return [*values[d:], *[None] * min(d, n)]
    return [*[None] * min(-d, n), *values[: max(0, n + d)]]


#: Templates with few values each, read together: a tagger can add up a group's weights once
#: per combination of its values (a few hundred to a few thousand on PolNeAR), not per token.
#: Word templates stay apart: their values are too many to combine.
NARROW_GROUPS: tuple[frozenset[str], ...] = (
    words("b qp= q= cue= pro= sf= para0= hc= hq= nm= par= between_cues"),
    words("cb= ca= rp= te="),
    words("sh-2= sh-1= sh1= sh2= q-2= q-1= q1= q2= cue-2 cue-1 cue1 cue2"),
)


#: A feature template: its name's prefix, and per token the value (None: the token has none).
Column = tuple[str, Sequence[str | None]]


def _suffix(word: str) -> str:
    return word.lower()[-3:]


#: A neighbour's value past the paragraph's edge.
EDGE = "<edge>"

#: Templates whose value is a function of one word alone, the token's or a neighbour's: the
#: prefix, the neighbour's offset (0: the token) and the value; past the paragraph's edge the
#: value is :data:`EDGE`. A tagger can add up their weights once per word form, not per token.
WORD_TEMPLATES: tuple[tuple[str, int, Callable[[str], str]], ...] = (
    ("w=", 0, str.lower),
    ("s3=", 0, _suffix),
    ("sh=", 0, _shape),
    *((f"w{d}=", d, str.lower) for d in (-3, -2, -1, 1, 2, 3)),
)


def _ordered(text: str) -> tuple[str, ...]:
    """The whitespace-separated names in ``text``, in order."""
    return tuple(text.split())


#: Every template, in the order training writes a token's features (:func:`paragraph_features`).
TEMPLATES = _ordered(
    """
    b qp= w= s3= sh= q= cue= pro= cb= ca= sf= rp= para0= hc= hq= nc= pc= nm= par= te=
    w-3= w-2= w-1= w1= w2= w3= sh-2= q-2= cue-2 sh-1= q-1= cue-1 sh1= q1= cue1 sh2= q2= cue2
    bg=-1: bg=+1: between_cues
    """
)


def paragraph_features(tokens: list[Token]) -> list[list[str]]:
    """The feature strings of each token of one paragraph: each column's prefix and value."""
    columns = paragraph_columns(tokens)
    return [
        [prefix + value for prefix, values in columns if (value := values[i]) is not None]
        for i in range(len(tokens))
    ]


def paragraph_columns(tokens: list[Token]) -> list[Column]:
    """The features of one paragraph, one column per template, in :data:`TEMPLATES` order.

    Columns, not strings: the tagger looks each value up in its template's table without
    building the feature's name (most of the time tagging took), and the same values read
    as ``prefix + value`` are what the model was trained on.
    """
    words = [t.text for t in tokens]
    columns = dict(context_columns(words))
    for prefix, offset, value in WORD_TEMPLATES:
        values = list(map(value, words))
        columns[prefix] = [EDGE if v is None else v for v in _shifted(values, offset)] if offset else values
    return [(prefix, columns[prefix]) for prefix in TEMPLATES]


def context_columns(words: list[str]) -> list[Column]:
    """The columns of every template but the :data:`WORD_TEMPLATES`, given a paragraph's words."""
    lower = [w.lower() for w in words]
    quoted = _quote_states(words)
    opens_quoted = bool(quoted) and quoted[0] == 1  # a paragraph that opens a (continued) quotation
    n = len(words)
    # Sentence index of each token (a new one after . ! ? unless inside a quote's closing marks).
    sentence: list[int] = []
    current = 0
    for i, w in enumerate(words):
        sentence.append(current)
        if (w in _SENTENCE_END and (i + 1 == n or words[i + 1] not in _CLOSE)) or (
            w in _CLOSE and i > 0 and words[i - 1] in _SENTENCE_END
        ):
            current += 1
    cue = [
        w in CUE_WORDS or (w == "according" and i + 1 < n and lower[i + 1] == "to")
        for i, w in enumerate(lower)
    ]
    # Distances to the nearest cue word before and after, within the sentence.
    before: list[int | None] = [None] * n
    after: list[int | None] = [None] * n
    last: int | None = None
    for i in range(n):
        if i and sentence[i] != sentence[i - 1]:
            last = None
        before[i] = None if last is None else i - last
        if cue[i]:
            last = i
    last = None
    for i in range(n - 1, -1, -1):
        if i + 1 < n and sentence[i] != sentence[i + 1]:
            last = None
        after[i] = None if last is None else last - i
        if cue[i]:
            last = i
    sentence_len: dict[int, int] = {}
    for k in sentence:
        sentence_len[k] = sentence_len.get(k, 0) + 1
    position = [0] * n
    seen: dict[int, int] = {}
    for i, k in enumerate(sentence):
        position[i] = seen.get(k, 0)
        seen[k] = position[i] + 1
    cue_sentences = {sentence[i] for i in range(n) if cue[i]}
    quote_sentences = {sentence[i] for i in range(n) if quoted[i]}
    shapes = list(map(_shape, words))
    qs = [_BIT[q == 1] for q in quoted]
    capital = [k in ("Xx", "X") for k in shapes]
    depth = 0
    paren: list[str | None] = []
    for w in words:
        depth = depth + 1 if w == "(" else max(0, depth - 1) if w == ")" else depth
        paren.append(_BIT[depth > 0])
    every = [""] * n
    columns: list[Column] = [
        ("b", list(every)),
        ("qp=", [_BIT[any(quoted)] + _BIT[opens_quoted]] * n),
        ("q=", list(qs)),
        ("cue=", [_BIT[c] for c in cue]),
        ("pro=", [_BIT[w in PRONOUN_WORDS] for w in lower]),
        ("cb=", list(map(_bucket, before))),
        ("ca=", list(map(_bucket, after))),
        ("sf=", [_BIT[i == 0 or sentence[i] != sentence[i - 1]] for i in range(n)]),
        ("rp=", [str(int(position[i] / max(1, sentence_len[sentence[i]]) * 4)) for i in range(n)]),
        ("para0=", [_BIT[k == 0] for k in sentence]),
        ("hc=", [_BIT[k in cue_sentences] for k in sentence]),
        ("hq=", [_BIT[k in quote_sentences] for k in sentence]),
        # Which cue word comes next and which came last in the sentence (the verb that governs).
        ("nc=", [lower[i + d] if d is not None else "-" for i, d in enumerate(after)]),
        ("pc=", [lower[i - d] if d is not None else "-" for i, d in enumerate(before)]),
        # Part of a run of capitalised words (a name), inside parentheses, distance to the end.
        (
            "nm=",
            [
                _BIT[capital[i] and ((i > 0 and capital[i - 1]) or (i + 1 < n and capital[i + 1]))]
                for i in range(n)
            ],
        ),
        ("par=", paren),
        ("te=", [_bucket(sentence_len[sentence[i]] - position[i] - 1) for i in range(n)]),
    ]
    cue_marks: list[str | None] = ["" if c else None for c in cue]
    for d in (-2, -1, 1, 2):
        # Each token's neighbour at d (None past the paragraph's edge): the list shifted by d.
        columns += [
            (f"sh{d}=", _shifted(shapes, d)),
            (f"q{d}=", _shifted(qs, d)),
            (f"cue{d}", _shifted(cue_marks, d)),
        ]
    bigrams = [f"{a}|{b}" for a, b in pairwise(lower)]
    columns.append(("bg=-1:", [None, *bigrams]))
    columns.append(("bg=+1:", [*bigrams, None]))
    columns.append(
        (
            "between_cues",
            ["" if b is not None and a is not None else None for b, a in zip(before, after, strict=True)],
        )
    )
    return columns
