"""The slips real models make, injected into the oracle's answers at known, seeded rates.

Seven are normalisation slips: the statement is still true to the article, and
the pipeline should keep it (straight quotes for curly ones, collapsed
whitespace, an ellipsis inside a quote, a neighbouring sentence id, the speaker
by surname or title only, a pronoun as ``speaker_words``, a dropped cue). Two
are fabrications, which the pipeline must reject: a changed number and a
dropped "not".

Whether a slip hits a statement is decided by a random generator seeded with
the run's seed, the document, the gold item and the slip, so the same item gets
the same slips in every chunk that shows it and in every run with that seed,
whatever order the requests arrive in. ``rate`` is the chance of each slip on
each statement it can apply to (a quote without a number cannot have one
changed); a fabricated statement gets no other slip, so its fate is its own.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from claimx.errors import ConfigError
from claimx.evaluate.oracle_answer import Answer, StatementNotes
from claimx.link import is_pronoun

__all__ = ["FABRICATIONS", "Injected", "Noise", "Slip", "add_slips"]


class Slip(StrEnum):
    """One kind of slip."""

    STRAIGHT_QUOTES = "straight_quotes"
    COLLAPSED_WHITESPACE = "collapsed_whitespace"
    ELLIPSIS = "ellipsis"
    NEIGHBOUR_SENTENCE = "neighbour_sentence"
    SURNAME_OR_TITLE = "surname_or_title"
    PRONOUN_SPEAKER_WORDS = "pronoun_speaker_words"
    DROPPED_CUE = "dropped_cue"
    CHANGED_NUMBER = "changed_number"
    DROPPED_NOT = "dropped_not"


FABRICATIONS = frozenset({Slip.CHANGED_NUMBER, Slip.DROPPED_NOT})
NORMALISATIONS = frozenset(Slip) - FABRICATIONS
_GROUPS = {"all": frozenset(Slip), "normalisation": NORMALISATIONS, "fabrication": FABRICATIONS}


@dataclass(frozen=True)
class Noise:
    """Which slips, how often, from which seed."""

    seed: int = 0
    rate: float = 0.1
    slips: frozenset[Slip] = frozenset(Slip)

    @classmethod
    def from_options(cls, options: dict[str, str]) -> Noise:
        """From ``seed``, ``rate`` and ``slips`` (kinds or groups: all, normalisation, fabrication)."""
        unknown = set(options) - {"seed", "rate", "slips"}
        if unknown:
            raise ConfigError(f"unknown oracle:noisy option(s) {sorted(unknown)}: use seed, rate, slips")
        try:
            seed = int(options.get("seed", 0))
            rate = float(options.get("rate", 0.1))
        except ValueError as exc:
            raise ConfigError(f"oracle:noisy: seed must be an integer and rate a number ({exc})") from exc
        if not 0 <= rate <= 1:
            raise ConfigError(f"oracle:noisy: rate must lie in [0, 1], not {rate}")
        slips: set[Slip] = set()
        for name in (options.get("slips") or "all").split(","):
            name = name.strip()
            if name in _GROUPS:
                slips |= _GROUPS[name]
                continue
            try:
                slips.add(Slip(name))
            except ValueError as exc:
                known = ", ".join([*_GROUPS, *(s.value for s in Slip)])
                raise ConfigError(f"oracle:noisy: unknown slip {name!r} (known: {known})") from exc
        return cls(seed, rate, frozenset(slips))


@dataclass
class Injected:
    """The slips one statement received; for a fabrication, the claim it now makes."""

    key: str
    slips: list[Slip] = field(default_factory=list)
    quote: str = ""
    claim: str | None = None  # set for fabrications: the fabricated claim text


def add_slips(answer: Answer, doc_id: str, noise: Noise, first: int, last: int) -> list[Injected]:
    """Put slips into ``answer``'s statements (in place); return what each statement received."""
    out: list[Injected] = []
    for statement, notes in zip(answer.statements, answer.notes, strict=True):
        record = Injected(notes.key)
        _slip_statement(statement, notes, _Dice(noise, doc_id, notes.key), first, last, record)
        record.quote = statement["quote"]
        if record.slips:
            out.append(record)
    return out


class _Dice:
    def __init__(self, noise: Noise, doc_id: str, key: str) -> None:
        self.noise = noise
        self.doc_id = doc_id
        self.key = key

    def rng(self, slip: Slip) -> random.Random:
        return random.Random(f"{self.noise.seed}\0{self.doc_id}\0{self.key}\0{slip.value}")

    def hits(self, slip: Slip) -> bool:
        return slip in self.noise.slips and self.rng(slip).random() < self.noise.rate


def _slip_statement(
    st: dict[str, Any], notes: StatementNotes, dice: _Dice, first: int, last: int, record: Injected
) -> None:
    for slip, fabricate in ((Slip.CHANGED_NUMBER, _change_number), (Slip.DROPPED_NOT, _drop_not)):
        if not dice.hits(slip):
            continue
        changed = fabricate(st["quote"], dice.rng(slip))
        if changed is None:
            continue
        original, st["quote"] = st["quote"], changed
        claim = fabricate(st["claim"], dice.rng(slip)) if st["claim"] != original else changed
        st["claim"] = claim if claim is not None and claim != st["claim"] else changed
        record.slips.append(slip)
        record.claim = st["claim"]
        return  # a fabrication stands alone
    quote = st["quote"]
    if dice.hits(Slip.STRAIGHT_QUOTES) and re.search("[“”‘’]", quote):
        quote = quote.translate(_STRAIGHT)
        record.slips.append(Slip.STRAIGHT_QUOTES)
    if dice.hits(Slip.COLLAPSED_WHITESPACE) and re.search(r"\s{2,}|[^\S ]", quote):
        quote = " ".join(quote.split())
        record.slips.append(Slip.COLLAPSED_WHITESPACE)
    if dice.hits(Slip.ELLIPSIS):
        shortened = _ellipsis(quote, dice.rng(Slip.ELLIPSIS))
        if shortened is not None:
            quote = shortened
            record.slips.append(Slip.ELLIPSIS)
    st["quote"] = quote
    if dice.hits(Slip.NEIGHBOUR_SENTENCE):
        shifted = _neighbour(st["sentences"], first, last, dice.rng(Slip.NEIGHBOUR_SENTENCE))
        if shifted is not None:
            st["sentences"] = shifted
            record.slips.append(Slip.NEIGHBOUR_SENTENCE)
    if dice.hits(Slip.SURNAME_OR_TITLE):
        options = [o for o in (notes.surname, notes.title) if o and o != st["speaker"]]
        if options:
            st["speaker"] = dice.rng(Slip.SURNAME_OR_TITLE).choice(options)
            record.slips.append(Slip.SURNAME_OR_TITLE)
    words = st.get("speaker_words")
    if dice.hits(Slip.PRONOUN_SPEAKER_WORDS) and words and not is_pronoun(words) and st["speaker"]:
        st["speaker_words"] = notes.pronoun or "they"
        record.slips.append(Slip.PRONOUN_SPEAKER_WORDS)
    if dice.hits(Slip.DROPPED_CUE) and st.get("cue"):
        st["cue"] = None
        record.slips.append(Slip.DROPPED_CUE)


_STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(?:not|never) |\b(?:can|won|ca|wo)n['’]t\b|\bcannot\b|n['’]t\b", re.IGNORECASE)
_CONTRACTIONS = {"can't": "can", "can’t": "can", "won't": "will", "won’t": "will", "cannot": "can"}
_NUMERIC = re.compile(r"\d")


def _change_number(text: str, rng: random.Random) -> str | None:
    """One number with its last digit changed ("12" → "13")."""
    found = list(_NUMBER.finditer(text))
    if not found:
        return None
    match = rng.choice(found)
    number = match.group()
    digit = int(number[-1])
    changed = number[:-1] + str((digit + rng.randint(1, 8)) % 10)
    return text[: match.start()] + changed + text[match.end() :]


def _drop_not(text: str, rng: random.Random) -> str | None:
    """One negation taken out ("does not support" → "does support", "isn't" → "is")."""
    found = list(_NEGATION.finditer(text))
    if not found:
        return None
    match = rng.choice(found)
    word = match.group()
    replacement = _CONTRACTIONS.get(word.lower(), "")
    return text[: match.start()] + replacement + text[match.end() :]


def _ellipsis(quote: str, rng: random.Random) -> str | None:
    """A stretch of two to four words in the middle replaced by "…" (never a number or a negation)."""
    if "..." in quote or "…" in quote:
        return None
    words = quote.split(" ")
    if len(words) < 8:
        return None
    size = rng.randint(2, min(4, len(words) - 6))  # three words kept on either side
    start = rng.randint(3, len(words) - size - 3)
    skipped = " ".join(words[start : start + size])
    if _NUMERIC.search(skipped) or _NEGATION.search(skipped + " ") or "\n" in skipped:
        return None
    return " ".join([*words[:start], "...", *words[start + size :]])


def _neighbour(cited: list[str], first: int, last: int, rng: random.Random) -> list[str] | None:
    """The cited sentence ids moved one sentence up or down (within the stretch shown)."""
    numbers = [int(label[1:]) for label in cited]
    for step in rng.sample([-1, 1], 2):
        moved = [n + step for n in numbers]
        if all(first <= n <= last for n in moved):
            return [f"S{n}" for n in moved]
    return None
