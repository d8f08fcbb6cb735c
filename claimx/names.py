"""Proper names in a text, found without a model, and which words are pronouns.

Used where a model must choose among names that really occur (the compact
schema of very small local models constrains speakers to these) and by the
non-LLM baseline extractor. Heuristic and language-light: runs of capitalised
words, minus sentence-initial common words, months and weekdays, plus the
trailing one or two words of long runs ("Alexander Timonin", "Timonin").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from claimx.document import Document

__all__ = ["PRONOUNS", "is_pronoun", "proper_names"]

PRONOUNS = frozenset(
    [
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "we",
        "us",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "it",
        "its",
        "itself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "one",
        "who",
        "whom",
        "whose",
        "this",
        "that",
        "these",
        "those",
    ]
)


def is_pronoun(words: str) -> bool:
    """True for pronouns, whose referent depends on where they stand."""
    return words.strip().lower() in PRONOUNS


_TOKEN = re.compile(r"[^\W\d_][\w'’\-\.]*", re.UNICODE)
#: A token and what follows it up to the next one (everything up to the next letter): the
#: tokens of :data:`_TOKEN` in one C-level pass, each with the gap after it.
_TOKEN_GAP = re.compile(r"([^\W\d_][\w'’\-\.]*)([\W\d_]*)")
_STOP = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "according",
        "following",
        "at",
        "the",
        "a",
        "an",
        "in",
        "on",
        "of",
        "for",
        "to",
        "and",
        "but",
        "or",
        "if",
        "as",
        "this",
        "that",
        "these",
        "those",
        "it",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "their",
        "our",
        "however",
        "meanwhile",
        "after",
        "before",
        "when",
        "while",
        "since",
        "although",
        "relations",
        "destabilizing",
    ]
)


def proper_names(
    document: Document, sentence_numbers: Sequence[int] | None = None, limit: int = 40
) -> list[str]:
    """Names in the chosen sentences (default all), most frequent first, at most ``limit``."""
    chosen = (
        document.sentences
        if sentence_numbers is None
        else [document.sentences[n - 1] for n in sentence_numbers]
    )
    return list(_ranked_names(document.text, tuple(s.text for s in chosen))[:limit])


@lru_cache(maxsize=4)
def _ranked_names(text: str, sentences: tuple[str, ...]) -> tuple[str, ...]:
    """Every name in ``sentences`` of ``text``, most frequent first.

    Kept for the last few articles: the offline extractor asks three times per article
    (speakers, entities, positions), with different limits, for the same list.
    """
    lowercase_words = {w for w in _TOKEN.findall(text) if w.islower()}
    counts: dict[str, int] = {}

    def flush(run: list[str]) -> None:
        if not run:
            return
        names = {" ".join(run)}
        if len(run) >= 3:
            names.add(" ".join(run[-2:]))  # "South Korea Alexander Timonin" → "Alexander Timonin"
        for name in names:
            counts[name] = counts.get(name, 0) + 1

    for sentence in sentences:
        run: list[str] = []
        joined = False  # the previous token ended at most one character before this one
        for i, (token, gap) in enumerate(_TOKEN_GAP.findall(sentence)):
            if token[0].isupper():  # (a token opens with a letter: the word's own first one)
                word = token.rstrip(".")
                low = word.lower()
                if low not in _STOP and not (i == 0 and low in lowercase_words):
                    if run and joined:
                        run.append(word)
                    else:
                        flush(run)
                        run = [word]
                    joined = len(gap) <= 1
                    continue
            if run:
                flush(run)
                run = []
            joined = len(gap) <= 1
        flush(run)
    ordered = sorted(counts, key=lambda n: (-counts[n], text.find(n)))
    return tuple(n for n in ordered if len(n) > 1)
