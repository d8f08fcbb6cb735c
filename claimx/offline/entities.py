"""The named entities of an article, each with every sentence that mentions it.

Stances in news are taken by and toward the article's main actors, named again and
again in several forms ("President Donald Trump", "Trump"). This finds the capitalised
names (:func:`claimx.names.proper_names`), folds a short form into the longer name it
ends with or lies in, and records where each entity is mentioned, so stance pairs can be
read sentence by sentence. No model, no coreference beyond names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from claimx.document import Document
from claimx.names import proper_names

__all__ = ["Entity", "find_entities"]

#: Words before a name that are titles, not part of it ("President Donald Trump" → "Donald Trump").
_TITLES = frozenset(
    """
    President Vice Sen Senator Rep Representative Gov Governor Mr Mrs Ms Dr Former Secretary Speaker
    Chairman Chairwoman Attorney General Judge Justice Leader Majority Minority Prime Minister
    Mayor Gen Lt Col Adm Sgt Candidate Democratic Republican Pope King Queen Prince Rev House Senate
    Chief Director Commissioner Ambassador First Lady Presidential Acting Deputy Then Pres Said Says
    Special Counsel Lieutenant Colonel Army Navy Officer Spokesman Spokeswoman Press Adviser Advisor
    Aide Congressman Congresswoman Commander Lt Sergeant Captain Capt Major Admiral Agent Officer
    Assistant Associate Executive CEO Founder Chair Councilman Councilwoman Trustee Professor Prof
    Detective Sheriff Chancellor Minister Premier Senior Rapper Singer Actor Actress Coach
    """.split()  # noqa: SIM905  (a word list reads better as text)
)
#: Capitalised words that are not names of actors when they stand alone.
_NOT_ALONE = frozenset(
    """
    President Mr Mrs Ms Dr Sen Rep Gov Former Secretary Speaker Chairman Attorney General Judge Justice
    Leader Minister Mayor American Americans US U.S. Washington Sunday Monday Tuesday Wednesday Thursday
    Friday Saturday It Its He She They We I You His Her Their Our This That These Those There Here
    Some Many Most One Two Three Both All Any Each Other Another What When Where Why How Who
    Yes No Not Now Then So Still Also Even Just Only Last Next First New Today Tonight Later
    Earlier Instead Meanwhile Despite Under Over During Without With From By Into Through Among
    """.split()  # noqa: SIM905
)
#: Words that open a sentence before a name ("Yet Mr. Trump"); not "New" ("New York").
_OPENERS = _NOT_ALONE - {"New", "First", "Last", "Next", "American", "Americans", "US", "U.S.", "Washington"}
#: Heads shared by many organisations' names: "House" alone is not "White House".
_GENERIC_HEADS = frozenset(
    """
    House Committee Department Court Party Senate Congress Administration Office Council Agency Service
    Times Post News Act Bill Street State States University Fund Bank Commission Board Association
    Center Centre Institute Foundation Group Union Ministry Force Army Police Network Journal Press
    """.split()  # noqa: SIM905
)


@dataclass
class Entity:
    """One actor or organisation as the article names it."""

    name: str  # the fullest form, as written in the article
    variants: set[str] = field(default_factory=set)
    #: sentence number → character offsets (in the document) where it is mentioned
    places: dict[int, list[int]] = field(default_factory=dict)
    by_variant: dict[str, list[int]] = field(default_factory=dict)
    topic: bool = False  # a lower-case phrase, not a name
    party: bool = False  # a party's members as a group

    @property
    def count(self) -> int:
        """How many times the article mentions it."""
        return sum(len(v) for v in self.places.values())

    def places_of(self, variant: str) -> list[int]:
        """Where this variant (exactly) is mentioned: offsets recorded in ``by_variant``."""
        return self.by_variant.get(variant, [])

    @property
    def person(self) -> bool:
        """Named in two capitalised words or more (a person's first and last name, most often)."""
        return len(self.name.split()) >= 2 and not self.topic


#: The two parties' members, however the article names them.
_PARTIES: dict[str, list[str]] = {
    party: forms.split("|")
    for party, forms in {
        "Republicans": "Republicans|GOP|House Republicans|Senate Republicans|Republican lawmakers|"
        "Republican senators|Republican leaders|Republican members|GOP lawmakers|GOP senators|"
        "GOP leaders|Republican Party",
        "Democrats": "Democrats|House Democrats|Senate Democrats|Democratic lawmakers|"
        "Democratic senators|Democratic leaders|Democratic members|Democratic Party",
    }.items()
}
_WHOLE = {f: re.compile(rf"(?<![\w-]){re.escape(f)}(?![\w-])") for forms in _PARTIES.values() for f in forms}
_PARTY_WORDS = frozenset({"Republicans", "Republican", "GOP", "Democrats", "Democrat", "Democratic"})
#: "California Democrat", "North Carolina Republican": a description of a person, not an actor.
_DESCRIPTION = re.compile(r"(?:[A-Z][a-z]+\s+){1,2}(?:Republican|Democrat)")
_PHRASE = re.compile(r"(?<![\w-])([a-z]{4,})\s+([a-z]{4,})(?![\w-])")
_FUNCTION = frozenset(
    """
    that this there their they them then than what when where which while with without would could
    should about after before from have been were will into over under also just more most some such
    very said says told only other these those being does many much even because against since among
    each like make made last first year years time times week weeks told said people percent during
    according including through between still later
    """.split()  # noqa: SIM905
)


def _untitled(name: str) -> str:
    words = name.split()
    while len(words) > 1 and (words[0].rstrip(".") in _TITLES or words[0] in _OPENERS):
        words = words[1:]
    return " ".join(words)


def _clean(name: str) -> str | None:
    name = name.rstrip(".’'").removesuffix("’s").removesuffix("'s")
    name = _untitled(name)
    words = name.split()
    if not words or (len(words) == 1 and (words[0] in _NOT_ALONE or len(words[0]) < 2)):
        return None
    if len(words) > 4:  # a title-case headline, not a name
        return None
    return name


def _person_part(variant: str) -> str:
    """The words after the last title: "Intelligence Committee Chairman Adam Schiff" → "Adam Schiff"."""
    words = variant.split()
    cut = max((i + 1 for i, w in enumerate(words[:-1]) if w.rstrip(".") in _TITLES), default=0)
    return " ".join(words[cut:])


def _canonical(entity: Entity) -> str:
    """A first and last name when the article gives one ("Adam Schiff"), else the longest form."""
    if entity.topic or entity.party:
        return entity.name
    last = entity.name.split()[-1]
    forms = {_person_part(v): len(entity.places_of(v)) for v in entity.variants if v.split()[-1] == last}
    full = [f for f in forms if len(f.split()) >= 2 and all(len(w) > 1 for w in f.split())]
    if full:
        return max(full, key=lambda f: (forms[f], -abs(len(f.split()) - 2), f))
    if len(last) > 1 and any(len(w) == 1 for w in entity.name.split()):
        return last  # "Adam B. Schiff" is written with a dot the names here lack: the surname is exact
    return entity.name


def _topics(document: Document, minimum: int = 3) -> list[str]:
    """Lower-case phrases the article repeats ("impeachment inquiry", "health care"): what stances are on."""
    counts: dict[str, int] = {}
    for m in _PHRASE.finditer(document.text):
        first, second = m.group(1), m.group(2)
        if first in _FUNCTION or second in _FUNCTION:
            continue
        phrase = f"{first} {second}"
        counts[phrase] = counts.get(phrase, 0) + 1
    return [p for p, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n >= minimum][:8]


#: Where a word starts: the only places a variant opening with a letter can match.
_WORD_START = re.compile(r"(?<![\w-])\w")


class _Variants:
    r"""Finds each whole-word occurrence of the variants, the longest where several start at one place.

    What ``finditer`` of ``(?<![\w-])(v1|v2|…)(?![\w-])`` (the variants longest first) finds,
    without compiling that alternation for every article (a third of the entity finding's
    time): variants open with a letter, so they are looked up by their first character at each
    word start.
    """

    def __init__(self, variants: list[str]) -> None:
        longest_first = sorted(variants, key=len, reverse=True)
        self.pattern: re.Pattern[str] | None = None
        self.by_first: dict[str, list[str]] = {}
        if any(not _is_word(v[:1]) for v in longest_first):  # (none do: names open with a letter)
            alternatives = "|".join(re.escape(v) for v in longest_first)
            self.pattern = re.compile(rf"(?<![\w-])({alternatives})(?![\w-])")
            return
        for v in longest_first:
            self.by_first.setdefault(v[0], []).append(v)

    def find(self, text: str) -> list[tuple[int, str]]:
        """(offset, variant) of each occurrence in ``text``, in text order."""
        if self.pattern is not None:
            return [(m.start(), m.group(1)) for m in self.pattern.finditer(text)]
        found: list[tuple[int, str]] = []
        resume = 0
        end = len(text)
        by_first = self.by_first
        for start in _WORD_START.finditer(text):
            at = start.start()
            if at < resume:
                continue
            for v in by_first.get(text[at], ()):
                stop = at + len(v)
                if text.startswith(v, at) and (
                    stop == end or not (_is_word(text[stop]) or text[stop] == "-")
                ):
                    found.append((at, v))
                    resume = stop
                    break
        return found


def _is_word(char: str) -> bool:
    r"""Whether ``char`` is one ``\w`` matches (a letter, a digit or an underscore)."""
    return char.isalnum() or char == "_"


def find_entities(document: Document, limit: int = 60) -> list[Entity]:
    """The article's named entities, most mentioned first (at most ``limit`` names considered).

    The parties' members are one entity each ("House Republicans", "GOP", "Republican
    lawmakers" → "Republicans"), and lower-case phrases said three times or more are topics.
    """
    names = [n for n in (_clean(raw) for raw in proper_names(document, limit=limit)) if n]
    names = [n for n in names if not _DESCRIPTION.fullmatch(n)]
    entities: list[Entity] = []
    owner: dict[str, Entity] = {}
    for party, forms in _PARTIES.items():
        present = [f for f in forms if f in document.text and _WHOLE[f].search(document.text)]
        if present:
            entity = Entity(name=party, variants=set(present), party=True)
            entities.append(entity)
            owner.update((f, entity) for f in present)
    names = list(dict.fromkeys(n for n in names if n not in owner and n.split()[-1] not in _PARTY_WORDS))
    for topic in _topics(document):
        entity = Entity(name=topic, variants={topic}, topic=True)
        entities.append(entity)
        owner[topic] = entity
    named = [(e, e.name.split()) for e in entities]  # (each entity's words, split once: names stay)
    for name in sorted(names, key=lambda n: -len(n.split())):
        words = name.split()
        home = next(
            (
                e
                for e, own in named
                if own[-len(words) :] == words and (len(words) > 1 or words[0] not in _GENERIC_HEADS)
            ),
            None,
        )
        if home is None:
            home = Entity(name=name, variants={name})
            entities.append(home)
            named.append((home, words))
        home.variants.add(name)
        owner[name] = home
    if not entities:
        return []
    variants = _Variants(list(owner))
    for sentence in document.sentences:
        for at, variant in variants.find(sentence.text):
            entity = owner[variant]
            entity.places.setdefault(sentence.number, []).append(sentence.start + at)
            entity.by_variant.setdefault(variant, []).append(sentence.start + at)
    for entity in entities:
        entity.name = _canonical(entity)
    found = [e for e in entities if e.places]
    return sorted(found, key=lambda e: (-e.count, min(min(v) for v in e.places.values())))
