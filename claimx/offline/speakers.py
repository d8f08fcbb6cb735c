"""Who a source span names: a name, the fuller name given earlier, or the actor a pronoun means.

For a pronoun or a description ("he", "the ambassador") that is the nearest compatible actor
named before it.

The linker then grounds the source words themselves as the speaker's mention at that statement,
so a resolved "he" becomes one of the actor's mentions.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cache

from claimx.document import Document
from claimx.names import is_pronoun, proper_names
from claimx.offline.features import words

__all__ = ["Resolver", "Speaker"]

_PERSONAL = frozenset({"he", "she", "him", "her", "i", "me"})
_PLURAL = frozenset({"they", "them", "we", "us"})
_DETERMINERS = frozenset({"the", "a", "an", "his", "her", "their", "its", "this", "that", "our", "one"})
_CAPITALISED = re.compile(r"[A-Z][\w'’\-]*\.?")
_NAME_RUN = re.compile(r"[A-Z][\w'’\-]*\.?(?:\s+[A-Z][\w'’\-]*\.?)*")
_TIME_WORDS = words(
    """
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december
    """
)
_RELATIVE = frozenset({"who", "which", "that"})
#: A "they" no earlier speaker fits is the plural subject opening a sentence before it.
PLURAL_SUBJECT = True
#: Words ending in "s" that are no plural noun: "was", "does", "always".
_NOT_PLURAL = words(
    "was has does goes says always perhaps sometimes news its this hers yours ours whereas besides"
)
_OPENS_THEY = re.compile(r"[“\"‘']?(?:(?:But|And|Yet|So|Still|Now|Meanwhile),?\s+)?[Tt]hey(?![\w’'])")
#: A sentence opening with a plural noun phrase: "Twenty-seven states", "Many Democrats",
#: "Republicans", "Both leaders", "But critics". At most three words before the plural noun.
_PLURAL_SUBJECT = re.compile(
    r"[“\"‘']?(?:(?:But|And|Yet|So|Still|Now|Meanwhile),?\s+)?"
    r"((?:(?!(?:[Ii]n|[Oo]n|[Aa]t|[Ff]or|[Ww]ith|[Bb]y|[Oo]f|[Tt]o|[Ii]f|[Ww]hen|[Aa]s|[Tt]his|[Tt]hat|[Ii]t|[Tt]here)\s)"
    r"[\w’'\-]+\s+){0,3}?[\w’'\-]*[a-z]s)(?![\w’'])(?=\s+[a-z])"
)
#: Words that start a capitalised run without being part of a name.
_TITLES = words(
    """
    mr mrs ms dr sen rep gov gen president senator governor secretary speaker chairman chairwoman former
    republican democratic democrat candidate nominee leader mayor minister ambassador spokesman
    spokeswoman adviser advisor aide attorney judge justice rev. sen. rep. gov. gen. dr. mr. mrs. ms.
    lt. col. vice
    """
)
#: Nouns naming a person's office or trade: "the mayor" may stand for the one "Mayor Tom Baker" of
#: the article, where "the poll" does not stand for a headline's "Poll Shows Minor Post-Debate".
_ROLE_HEADS = _TITLES | words(
    """
    general director chief commissioner sheriff representative officer professor chancellor premier
    treasurer prosecutor lawyer spokesperson strategist pollster analyst economist executive founder
    manager chair congressman congresswoman councilman councilwoman lieutenant captain sergeant colonel
    admiral host anchor editor columnist pastor bishop pope king queen prince princess
    """
)


@dataclass
class Speaker:
    """An actor as the response names it: its fullest name, the other ways it is written, a role."""

    name: str
    variants: set[str] = field(default_factory=set)
    role: str | None = None
    person: bool = True


def _name_in(words: str) -> tuple[str | None, str | None]:
    """The proper name in a source span and the role words before it.

    "Russian Ambassador to South Korea Alexander Timonin" → ("Alexander Timonin", "Russian
    Ambassador to South Korea"); "Spokeswoman Haley Morris" → ("Haley Morris", "Spokeswoman").
    """
    head = words.split(",")[0]
    if _CAPITALISED.search(head):  # "Angelique Brunner, a developer and spokeswoman for …": the name
        words = head
    tokens = words.split()
    while len(tokens) > 1 and tokens[-1].strip(",.;:").lower() in _TIME_WORDS:  # "David Axelrod on Wednesday"
        tokens = tokens[:-1]
        while len(tokens) > 1 and tokens[-1].islower():
            tokens = tokens[:-1]
    run: list[str] = []
    for token in reversed(tokens):
        clean = token.strip(",.;:’'\"“”")
        if clean.endswith(("’s", "'s")):
            if run:
                break
            continue
        if _CAPITALISED.fullmatch(clean) and clean.lower().rstrip(".") not in _TITLES:
            run.insert(0, clean)
            continue
        break
    if not run:
        return None, None
    kept = run[-2:] if len(run) >= 3 else run  # "South Korea Alexander Timonin": the last two
    name = " ".join(kept)
    role = " ".join(tokens[: len(tokens) - len(kept)]).strip(" ,") or None
    return name, role


def _is_title(words: str) -> bool:
    """Whether every word after the determiner is capitalised: a name with "The", not a description."""
    rest = [w for w in words.split()[1:] if w.lower() not in ("of", "for", "and", "the")]
    return bool(rest) and all(w[:1].isupper() for w in rest)


#: A subordinate clause opening the sentence: "As Republicans scrambled …, they proposed …".
_SUBORDINATE_OPENING = re.compile(
    r"[“\"‘']?(?:(?:But|And|Yet|So),?\s+)?(?:As|When|While|Unless|If|Because|After|Before|Although|Though|Since|Until|Once)\s+"
)


def _plural_head(phrase: str) -> bool:
    """Whether a phrase ends in a plural noun (not "was", "does", "business")."""
    head = phrase.split()[-1].lower()
    return head not in _NOT_PLURAL and not head.endswith(("ss", "us", "is")) and len(head) >= 4


class Resolver:
    """Resolves source spans to speakers in text order, remembering who has spoken."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.text = document.text
        self.body = document.metadata.header.end if document.metadata.header else 0
        self.names = [
            n
            for n in proper_names(document, limit=400)
            if not is_pronoun(n) and n in self.text and n.split()[0].lower().rstrip(".") not in _TITLES
        ]
        self.speakers: list[Speaker] = []
        self.history: list[tuple[int, Speaker]] = []  # (offset, speaker) of each resolved source
        # The speakers of ``history``, each once, the last resolved last (to look back by speaker
        # instead of by every source: a long paragraph of "the minister said" was quadratic).
        self._recent: dict[int, Speaker] = {}
        self._titles: dict[str, str | None] = {}
        self._firsts: dict[str, int] = {}

    def resolve(self, words: str, at: int) -> Speaker | None:
        """The speaker that ``words`` (found at offset ``at``) designate, or None."""
        words = " ".join(words.split())
        low = words.lower()
        first = low.split()[0] if low else ""
        if low in _RELATIVE:
            found = self._antecedent(at) or self._nearest_before(at, plural=False)
        elif is_pronoun(words) or low in _PERSONAL | _PLURAL:
            found = self._nearest_before(at, plural=low in _PLURAL)
            if found is None and low in ("they", "them") and PLURAL_SUBJECT:
                found = self._plural_subject(at)
        elif first in _DETERMINERS and _is_title(words):  # "The New York Times" is a name
            found = self._description(words)
        elif first in _DETERMINERS:
            found = self._described(words, at)
        else:
            name, role = _name_in(words)
            found = self._named(name, role) if name else self._description(words)
        if found is not None:
            self.history.append((at, found))
            self._recent.pop(id(found), None)
            self._recent[id(found)] = found
        return found

    def _plural_subject(self, at: int) -> Speaker | None:
        """For a "they" no earlier speaker fits: the plural subject opening a sentence before it.

        "Twenty-seven states led by … are challenging the rules …. They argue that …": the group
        the last sentence was about, when its first words name one ("Twenty-seven states",
        "Many Democrats", "Republicans"); past sentences that open with "they" again (the same
        group), at most three back. A "they" opening the main clause after a subordinate one
        takes that clause's plural subject ("As Republicans scrambled …, they proposed …").
        None when the words name none.
        """
        sentence = self.document.sentence_at(at)
        number = sentence.number - 1 if sentence is not None else 0
        if sentence is not None and sentence.start >= self.body:  # "As Republicans scrambled …, they"
            opening = _SUBORDINATE_OPENING.match(self.text, sentence.start, at)
            if opening is not None and self.text[max(0, at - 5) : at].rstrip().endswith(","):
                found = _PLURAL_SUBJECT.match(self.text, opening.end(), at)
                if found is not None and _plural_head(found.group(1)):
                    return self._description(found.group(1))
        for before in reversed(self.document.sentences[max(0, number - 3) : number]):
            if before.start < self.body:
                return None
            if _OPENS_THEY.match(self.text, before.start, before.end):
                continue  # "They dwell on …": the same group, named further back
            found = _PLURAL_SUBJECT.match(self.text, before.start, before.end)
            if found is None:
                return None
            phrase = found.group(1)
            return self._description(phrase) if _plural_head(phrase) else None
        return None

    def _antecedent(self, at: int) -> Speaker | None:
        """For "who" ("Mr. Obama, who understood …"): the name just before it, in its sentence."""
        window = self.text[max(0, at - 100) : at]
        window = re.split(r"[.!?;:]\s", window)[-1]
        names = _NAME_RUN.findall(window)
        names = [n for n in names if n.split()[0].lower().rstrip(".") not in _TITLES or len(n.split()) > 1]
        if not names:
            return None
        name, role = _name_in(names[-1])
        return self._named(name, role) if name else None

    def _named(self, name: str, role: str | None) -> Speaker:
        words = name.split()
        while len(words) > 1 and words[0].lower().rstrip(".") in _TITLES:
            role = role or words[0]
            words = words[1:]
        name = " ".join(words)
        if self._first(name) < 0:  # (a run read across a full stop, "Obama. Trump"): its last word
            name = words[-1]
        surname = name.split()[-1].lower()
        if len(name.split()) == 1:  # "Lopez": the full name the article gave, if any
            fuller = [n for n in self.names if len(n.split()) == 2 and n.split()[-1].lower() == surname]
            if fuller:
                name = min(fuller, key=self._first)
        for known in self.speakers:
            if known.person and known.name.split()[-1].lower() == surname:
                if len(name) > len(known.name):
                    known.variants.add(known.name)
                    known.name = name
                elif name != known.name:
                    known.variants.add(name)
                if role and not known.role:
                    known.role = role
                return known
        speaker = Speaker(name, role=role)
        self.speakers.append(speaker)
        return speaker

    def _first(self, words: str) -> int:
        """Where ``words`` first occur in the text, -1 nowhere (each searched once: the text is long)."""
        if words not in self._firsts:
            self._firsts[words] = self.text.find(words)
        return self._firsts[words]

    def _description(self, words: str) -> Speaker:
        """A speaker known only by a description ("officials", "Republican leaders")."""
        for known in self.speakers:
            if known.name.lower() == words.lower():
                return known
        speaker = Speaker(words, person=False)
        self.speakers.append(speaker)
        return speaker

    def _described(self, words: str, at: int) -> Speaker | None:
        """For "the ambassador": the last speaker whose role ends with that noun, else the words as such."""
        head = words.lower().split()[-1].strip(",.")
        last = words.split()[-1].strip(",.")
        # "the mayor" where the article names a "Mayor Tom Baker"; not "a spokeswoman for Hillary
        # Clinton", whose last word is a name, not a title.
        titled = self._titled(last) if last.islower() else None
        if titled is not None:  # "the mayor" where the article names one "Mayor Tom Baker"
            return self._named(titled, head)
        # (the last source whose speaker has that role: the test reads the speaker alone, the same at each)
        for known in reversed(self._recent.values()):
            if known.role and head in known.role.lower().replace(",", " ").split():
                known.variants.add(words)
                return known
        name, role = _name_in(words)
        if name and len(name.split()) >= 2:
            return self._named(name, role)
        return self._description(words)

    @cache  # noqa: B019  (one resolver per document: the cache lives as long as it does)
    def _occurrences(self) -> list[tuple[int, str]]:
        """Where each full name (two words or more) occurs in the body, in text order."""
        full = [n for n in self.names if len(n.split()) >= 2]
        if not full:
            return []
        pattern = re.compile(
            r"(?<!\w)(" + "|".join(re.escape(n) for n in sorted(full, key=len, reverse=True)) + r")(?!\w)"
        )
        return [(m.start(), m.group(1)) for m in pattern.finditer(self.text, self.body)]

    @cache  # noqa: B019  (as :meth:`_occurrences`)
    def _occurrence_starts(self) -> list[int]:
        """Where the full names of :meth:`_occurrences` start, in order (to bisect)."""
        return [start for start, _ in self._occurrences()]

    def _titled(self, head: str) -> str | None:
        """The one name the article writes after the title ``head`` ("Mayor Tom Baker"), if one.

        (Read once per title: a search of the whole text for each "the mayor" was quadratic.)
        """
        if not head.isalpha() or head.lower() not in _ROLE_HEADS:
            return None
        if head not in self._titles:
            name = r"((?:[A-Z][\w'’-]+)(?:\s+[A-Z][\w'’-]+){0,2})"
            pattern = re.compile(rf"\b(?i:{re.escape(head)})\s+" + name)
            names = {m.group(1) for m in pattern.finditer(self.text)}
            self._titles[head] = names.pop() if len(names) == 1 else None
        return self._titles[head]

    def _nearest_before(self, at: int, plural: bool) -> Speaker | None:
        """The last speaker before ``at`` (a person for he/she), else the last full name before it."""
        for offset, known in reversed(self.history):
            if offset < at and known.person != plural:
                return known
        occurrences = self._occurrences()
        before = bisect_left(self._occurrence_starts(), at)  # (those starting before ``at``)
        last = occurrences[before - 1][1] if before else None
        if last is not None and not plural:
            return self._named(last, None)
        return None
