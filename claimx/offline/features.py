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
from itertools import compress, pairwise
from operator import and_, or_

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
    "token_matches",
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
_MARKS = _OPEN | _CLOSE | {'"'}


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
    return [Token(m.group(), m.start(), m.end()) for m in token_matches(text, start, end)]


def token_matches(text: str, start: int, end: int) -> list[re.Match[str]]:
    """The tokens of ``text[start:end]`` as matches (the tagger reads few offsets: no objects)."""
    return list(_TOKEN.finditer(text, start, end))


def _shape_of(word: str) -> str:
    if word.isdigit():
        return "d"
    if not word[0].isalnum():
        return "p"
    if word.isupper() and len(word) > 1:
        return "X"
    if word[0].isupper():
        return "Xx"
    return "x"


class _Shapes(dict[str, str]):
    """Word → shape, filled as words turn up: a dict look-up from ``map`` costs less than a call."""

    def __missing__(self, word: str) -> str:
        if len(self) >= 1 << 16:
            self.clear()
        shape = self[word] = _shape_of(word)
        return shape


#: A word's shape: ``d`` (digits), ``p`` (punctuation), ``X`` (capitals), ``Xx`` (capitalised), ``x``.
_shape: Callable[[str], str] = _Shapes().__getitem__


def _quote_states(words: list[str]) -> list[int]:
    """1 for words inside quotation marks (the marks themselves included), else 0."""
    if _MARKS.isdisjoint(words):
        return [0] * len(words)  # (no quotation mark: nothing quoted)
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


_BIT: dict[int, str] = {False: "0", True: "1"}  # (0 and 1 are the same keys)


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
    """The columns of every template but the :data:`WORD_TEMPLATES`, given a paragraph's words.

    Built sentence by sentence and cue by cue where values repeat along a run (a sentence's
    relative positions, the distances from a cue word), and with C-level passes elsewhere:
    tagging spends much of its time here.
    """
    n = len(words)
    lower = [w.lower() for w in words]
    quoted = _quote_states(words)
    opens_quoted = bool(quoted) and quoted[0] == 1  # a paragraph that opens a (continued) quotation
    cue = list(map(CUE_WORDS.__contains__, lower))  # ("according" is a cue word: so is "according to")
    shapes = list(map(_shape, words))
    qs = list(map(_BIT.__getitem__, quoted))
    capital = list(map(_CAPITAL.__contains__, shapes))
    first = True
    sf: list[str | None] = []
    rp: list[str | None] = []
    te: list[str | None] = []
    para0: list[str | None] = []
    hc: list[str | None] = []
    hq: list[str | None] = []
    cb: list[str | None] = []
    ca: list[str | None] = []
    pc: list[str | None] = []
    nc: list[str | None] = []
    between: list[str | None] = []
    for start, end in _sentences(words):
        length = end - start
        run = _sentence_runs(length)
        sf += run[0]
        rp += run[1]
        te += run[2]
        para0 += [_BIT[first]] * length
        first = False
        cues = list(compress(range(start, end), cue[start:end]))
        hc += [_BIT[bool(cues)]] * length
        hq += [_BIT[any(quoted[start:end])]] * length
        if not cues:
            cb += [_NONE] * length
            ca += [_NONE] * length
            pc += ["-"] * length
            nc += ["-"] * length
            between += [None] * length
            continue
        # Before the first cue (and at it): no cue behind; after the last (and at it): none ahead.
        lead = cues[0] - start + 1
        cb += [_NONE] * lead
        pc += ["-"] * lead
        previous = cues[0]
        for c in cues[1:]:
            m = c - previous
            cb += _distances(m)
            pc += [lower[previous]] * m
            previous = c
        m = end - 1 - previous
        cb += _distances(m)
        pc += [lower[previous]] * m
        following = cues[0]
        m = following - start
        ca += _distances(m)[::-1]
        nc += [lower[following]] * m
        for c in cues[1:]:
            m = c - following
            ca += _distances(m)[::-1]
            nc += [lower[c]] * m
            following = c
        tail = end - following
        ca += [_NONE] * tail
        nc += ["-"] * tail
        inner = max(0, cues[-1] - cues[0] - 1)
        between += [None] * (length - inner - (end - cues[-1])) + [""] * inner + [None] * (end - cues[-1])
    left = [False, *capital[:-1]]
    right = [*capital[1:], False]
    nm = list(map(_BIT.__getitem__, map(and_, capital, map(or_, left, right))))
    if "(" in words:
        depth = 0
        paren: list[str | None] = []
        for w in words:
            depth = depth + 1 if w == "(" else max(0, depth - 1) if w == ")" else depth
            paren.append(_BIT[depth > 0])
    else:
        paren = ["0"] * n  # (no opening parenthesis: never inside one)
    columns: list[Column] = [
        ("b", [""] * n),
        ("qp=", [_BIT[any(quoted)] + _BIT[opens_quoted]] * n),
        ("q=", qs),
        ("cue=", list(map(_BIT.__getitem__, cue))),
        ("pro=", list(map(_BIT.__getitem__, map(PRONOUN_WORDS.__contains__, lower)))),
        ("cb=", cb),
        ("ca=", ca),
        ("sf=", sf),
        ("rp=", rp),
        ("para0=", para0),
        ("hc=", hc),
        ("hq=", hq),
        # Which cue word comes next and which came last in the sentence (the verb that governs).
        ("nc=", nc),
        ("pc=", pc),
        # Part of a run of capitalised words (a name), inside parentheses, distance to the end.
        ("nm=", nm),
        ("par=", paren),
        ("te=", te),
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
    columns.append(("between_cues", between))
    return columns


_NONE = "none"  # (the bucket of no distance)
_CAPITAL = frozenset(["Xx", "X"])
_ENDS = _SENTENCE_END | _CLOSE


def _sentences(words: list[str]) -> list[tuple[int, int]]:
    """The ``[start, end)`` of each sentence: a new one after . ! ? unless a closing mark follows."""
    n = len(words)
    bounds = [0]
    for i in [i for i, w in enumerate(words) if w in _ENDS]:
        w = words[i]
        if (w in _SENTENCE_END and (i + 1 == n or words[i + 1] not in _CLOSE)) or (
            w in _CLOSE and i > 0 and words[i - 1] in _SENTENCE_END
        ):
            bounds.append(i + 1)
    if bounds[-1] != n:
        bounds.append(n)
    return list(pairwise(bounds))


@lru_cache(maxsize=1024)
def _sentence_runs(length: int) -> tuple[list[str | None], list[str | None], list[str | None]]:
    """A sentence of ``length`` tokens' ``sf``, ``rp`` and ``te`` values (they depend on nothing else)."""
    return (
        [_BIT[p == 0] for p in range(length)],
        [str(int(p / max(1, length) * 4)) for p in range(length)],
        [_bucket(length - p - 1) for p in range(length)],
    )


@lru_cache(maxsize=1024)
def _distances(m: int) -> list[str | None]:
    """The buckets of distances 1, 2, …, ``m``."""
    return [_bucket(d) for d in range(1, m + 1)]
