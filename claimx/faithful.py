"""Does a copy say what its source says? Numbers, negations and content words, compared.

Character similarity cannot tell a typo from a fabrication: "2050" is 75% like
"2030", "likely" 86% like "unlikely", and "isn't" loses its negation to a
pattern that looks for a separate "n't". So wherever the words the model gave
are not exactly the article's, these checks decide whether they are the same
words, spelled, inflected, punctuated or spaced differently, or different
words:

- :func:`quote_alteration`: a quote matched approximately must keep every
  number (compared exactly, in order), every negation (``not``, ``never``,
  ``isn't``, ``cannot``…) and every content word; a negative prefix
  (``un``likely, ``il``legal, ``dis``agree) is a different word;
- :func:`claim_problem`: a claim rewritten by the model may rephrase its quote,
  but its numbers must be the evidence's, its negations the quote's, and its
  names must be in the article.

Each returns None when faithful, else a short reason for a person to read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from claimx.textnorm import normalize

__all__ = ["claim_problem", "negations", "numbers", "quote_alteration", "words"]

_WORD = re.compile(r"\w+(?:'\w+)*")
_NUMBER = re.compile(r"([$€£¥₹])?\s?(\d+(?:[.,]\d+)*)(\s?%|\s?per\s?cent\b|\s?percent\b)?")
_DIGIT = re.compile(r"\d")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")

_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "nowhere",
        "neither",
        "nor",
        "cannot",
        "without",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "cant",
        "couldnt",
        "wont",
        "wouldnt",
        "shouldnt",
        "mustnt",
        "hasnt",
        "havent",
        "hadnt",
        "aint",
        "neednt",
    ]
)
#: Words a copy may drop or add without changing what is said: articles, prepositions,
#: conjunctions and the forms of "be", "have" and "do". Negations, modals, quantifiers and
#: pronouns are not among them: each changes the meaning.
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "by",
        "with",
        "from",
        "into",
        "onto",
        "upon",
        "as",
        "and",
        "or",
        "but",
        "that",
        "which",
        "who",
        "whom",
        "whose",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "it",
        "its",
        "'s",
    ]
)


@lru_cache(maxsize=2048)
def words(text: str) -> tuple[str, ...]:
    """The words of ``text`` in normal form, contractions kept whole ("isn't")."""
    return tuple(_WORD.findall(normalize(text)))


def negations(tokens: Iterable[str]) -> int:
    """How many negations the words carry, contractions included ("isn't", "mustn't")."""
    return sum(1 for t in tokens if t in _NEGATIONS or t.endswith("n't"))


def numbers(text: str) -> list[str]:
    """The numbers of ``text`` in order, as canonical strings ("1,200" → "1200", "5 %" → "5%")."""
    normal = normalize(text)
    if not _DIGIT.search(normal):
        return []  # (every number has a digit: one scan for it is cheaper than the number pattern's)
    out: list[str] = []
    for match in _NUMBER.finditer(normal):
        currency, digits, percent = match.groups()
        if _THOUSANDS.fullmatch(digits):
            digits = digits.replace(",", "")
        elif "," in digits and "." not in digits:
            digits = digits.replace(",", ".")  # a decimal comma ("3,5")
        out.append(f"{currency or ''}{digits}{'%' if percent else ''}")
    return out


def _content(tokens: Iterable[str]) -> list[str]:
    """Words that carry meaning, less numbers and negations (compared on their own)."""
    return [
        t
        for t in tokens
        if t not in _FUNCTION_WORDS
        and t not in _NEGATIONS
        and not t.endswith("n't")
        # (a word of letters alone has no digit: most words, without running the regex)
        and (t.isalpha() or not _DIGIT.search(t))
    ]


def same_word(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are one word spelled or inflected differently.

    Words of three letters or fewer must be equal ("US" is not "UK"). Longer words must
    begin alike (so a negative prefix is a different word: unlikely, illegal, disagree)
    and then differ only in their endings (hope/hoped, agreement/agreements) or by a
    typo (one edit in words of five letters or more, two from eight).
    """
    if a == b:
        return True
    if min(len(a), len(b)) <= 3 or a[:2] != b[:2]:
        return False
    shorter = min(len(a), len(b))
    common = 0
    while common < shorter and a[common] == b[common]:
        common += 1
    if common >= 4 and common >= shorter - 1 and max(len(a), len(b)) - common <= 3:
        return True  # an inflection: only the ending differs
    allowed = 2 if shorter >= 8 else 1 if shorter >= 5 else 0
    return Levenshtein.distance(a, b, score_cutoff=allowed) <= allowed


def _unmatched(these: list[str], those: list[str]) -> list[str]:
    pool = set(those)
    return [w for w in these if w not in pool and not any(same_word(w, o) for o in those)]


def quote_alteration(quote: str, found: str) -> str | None:
    """Why ``found`` (the article's words) is not what ``quote`` says, or None when it is.

    Spelling, inflection, punctuation, case and whitespace may differ, and function words
    ("the", "that") may come or go; numbers, negations and content words may not.
    """
    if normalize(quote) == normalize(found):
        return None
    quoted, source = numbers(quote), numbers(found)
    if quoted != source:
        shown = [" ".join(found) or "none" for found in (quoted, source)]
        return f"numbers differ: {shown[0]} in the quote, {shown[1]} in the article"
    q, f = words(quote), words(found)
    if negations(q) != negations(f):
        return f"negation differs: {negations(q)} in the quote, {negations(f)} in the article"
    quoted_words, source_words = _content(q), _content(f)
    missing = _unmatched(quoted_words, source_words)
    if missing:
        return f"words not in the article's text: {' '.join(missing)}"
    extra = _unmatched(source_words, quoted_words)
    if extra:
        return f"article's words left out of the quote: {' '.join(extra)}"
    return None


_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {
    w: str(10 * i)
    for i, w in enumerate(["thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 3)
}
_CAPITALISED = re.compile(r"\b[^\W\d_][\w'’-]*", re.UNICODE)


def _values(text: str) -> set[str]:
    """Numbers of a text without their currency or percent signs, number words included."""
    found = {re.sub(r"[^\d.]", "", n) for n in numbers(text)}
    return found | {_NUMBER_WORDS[w] for w in words(text) if w in _NUMBER_WORDS}


def claim_problem(claim: str, quote: str, evidence: str, in_article: Callable[[str], bool]) -> str | None:
    """Why ``claim`` does not say what its evidence says, or None when it may.

    ``quote`` is the grounded content, ``evidence`` the sentences it stands in (plus any
    text the claim may draw on, such as the document's date); ``in_article`` says whether a
    word (in normal form) occurs in the article, in some form. A claim is free to rephrase;
    it may not bring in a number its evidence lacks, flip its quote's negation, or name what
    the article never names.
    """
    claimed = _values(claim)
    invented = sorted(claimed - _values(evidence)) if claimed else []
    if invented:
        return f"claim has numbers its evidence lacks: {' '.join(invented)}"
    if negations(words(claim)) % 2 != negations(words(quote)) % 2:
        return "claim flips the negation of its quote"
    for match in _CAPITALISED.finditer(claim):
        name = match.group()
        if not name[0].isupper():
            continue
        parts = [p for p in words(name) if p]
        unknown = [p for p in parts if not in_article(p)]
        if unknown:
            return f"claim names {name!r}, which the article does not"
    return None
