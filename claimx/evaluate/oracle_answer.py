"""What a perfect model would answer about one stretch of a gold-labelled article.

The oracle writes the gold labels of a :class:`~claimx.evaluate.sample.Sample` in
the response schema (:mod:`claimx.response`), the way a good model follows the
prompt: quotes copied from the article (a discontinuous content as its pieces
joined by an ellipsis), the ids of the sentences they come from, each speaker by
the fullest name the article gives it within the stretch the model was shown,
the words that designate the speaker there, cues, modes, claims and positions
with their holders, targets and statement numbers.

Gold formats differ in what they know about speakers. The project's own gold
names real actors; PolNeAR has no coreference (its source "he" is a span, not a
person), so the speaker's name is found the way a reader finds it: inside the
source words ("Republican nominee Donald Trump"), the fuller form of a surname,
the speaker of the quote a first-person pronoun stands in, the name a relative
pronoun follows, or the last speaker named before a pronoun. Gold that names no
one a model could name is not answered, and the reason is kept (``skipped``) so
that what the pipeline loses can be told from what the oracle could not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from claimx.document import Document
from claimx.evaluate.sample import Layer, Sample
from claimx.link import is_pronoun
from claimx.response import AUTHOR
from claimx.schema import Actor, ActorKind, Attribution, Mode, Position, Span

__all__ = ["Answer", "GoldAnswers", "StatementNotes"]

#: Sentence ids one statement may cite (the response schema's limit).
MAX_CITED = 4
#: Mentions one actor may list (the response schema's limit).
MAX_MENTIONS = 8


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_TOKEN = re.compile(r"[^\W\d_][\w'’\-\.]*|\d[\w\-\.]*", re.UNICODE)
_TITLES = _word_set(
    "mr mrs ms dr sen senator rep representative gov governor president vice secretary gen general "
    "judge justice prof speaker chairman chairwoman leader minister ambassador former gop"
)
_SENTENCE_WORDS = _word_set(
    "the a an but and or so yet then this that these those it he she they we i you his her their "
    "our my in on at for of to as if when while after before since although however meanwhile "
    "still also there here what who which why how according"
)
_FIRST_PERSON = frozenset(["i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "ourselves"])
_RELATIVE = frozenset(["who", "whom", "whose", "that", "which"])
_GENDERED = frozenset(["he", "him", "his", "himself", "she", "her", "hers", "herself"])
_EDGE_MARKS = '"“”«»„ \t\r\n'
_ELLIPSIS = " ... "


@dataclass
class StatementNotes:
    """What the oracle knows about one statement it wrote, for the slips of :mod:`oracle_noise`."""

    key: str  # the gold item it answers (an attribution, claim or position-evidence id)
    surname: str | None = None  # the speaker by surname only, when the name has several words
    title: str | None = None  # the speaker by a description the article uses ("the ambassador")
    pronoun: str | None = None  # a pronoun the article uses for the speaker


@dataclass
class Answer:
    """One answer in the response schema, with the gold keys behind it."""

    actors: list[dict[str, Any]] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)
    notes: list[StatementNotes] = field(default_factory=list)  # one per statement
    position_keys: list[str] = field(default_factory=list)  # one per position
    #: Gold keys not answered in this stretch, with why ("content outside the stretch", …).
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def answered(self) -> set[str]:
        """The gold keys this answer carries (statements and positions)."""
        return {n.key for n in self.notes} | set(self.position_keys)

    def to_json(self) -> dict[str, Any]:
        """The answer as the model's JSON message content."""
        return {"actors": self.actors, "statements": self.statements, "positions": self.positions}


@dataclass(frozen=True)
class _Window:
    first: int
    last: int
    start: int
    end: int

    def holds(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end


@dataclass
class _Entity:
    name: str
    kind: ActorKind = ActorKind.OTHER
    role: str | None = None
    affiliation: str | None = None
    mentions: list[str] = field(default_factory=list)
    pronoun: str | None = None

    def add_mention(self, words: str) -> None:
        if words != self.name and words not in self.mentions and not is_pronoun(words):
            self.mentions.append(words)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text))


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _name_runs(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Runs of capitalised words (``Donald J. Trump``), as offsets; leading common words dropped."""
    runs: list[tuple[int, int]] = []
    current: list[re.Match[str]] = []

    def flush() -> None:
        words = list(current)
        while words and words[0].group().lower().rstrip(".") in _SENTENCE_WORDS:
            words.pop(0)
        if words:
            end = words[-1].end()
            last = words[-1].group()
            if last.endswith(("'s", "’s")):
                end -= 2
            elif last.endswith("."):
                end -= 1
            runs.append((offset + words[0].start(), offset + end))

    previous_end: int | None = None
    for match in _tokens(text):
        word = match.group()
        contiguous = previous_end is not None and match.start() - previous_end <= 1
        if current and _ends_sentence(current[-1].group()):
            contiguous = False  # "… the Senate. DEM AGs …": a name does not run across a full stop
        if _capitalised(word) and (contiguous or not current):
            current.append(match)
        elif _capitalised(word):
            flush()
            current = [match]
        else:
            flush()
            current = []
        previous_end = match.end()
    flush()
    return [(a, b) for a, b in runs if b > a]


_ORGANISATION_WORDS = _word_set(
    "house committee office agency university times journal post news party department court senate "
    "congress campaign foundation institute center centre council association bureau service commission "
    "group company inc corp network press street board administration ministry government bank fund "
    "organization union club church state states republic city county school college magazine"
)


def _person_like(name: str) -> bool:
    """A name of two to four capitalised words, none of which names an organisation ("Tim Kaine")."""
    words = name.split()
    return (
        2 <= len(words) <= 4
        and all(w[:1].isupper() for w in words)
        and not any(
            w.lower().strip(".,") in _ORGANISATION_WORDS or any(c.isdigit() for c in w) for w in words
        )
    )


def _ends_sentence(word: str) -> bool:
    """A word with a full stop that is no initial or title ("Senate." but not "J." or "Sen.")."""
    bare = word.rstrip(".")
    return word.endswith(".") and len(bare) > 3 and bare.lower() not in _TITLES and "." not in bare


def _strip_titles(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[0].lower().rstrip(".") in _TITLES:
        words.pop(0)
    return " ".join(words)


class GoldAnswers:
    """The oracle's answers for one sample: build once, ask for any stretch of sentences."""

    def __init__(self, sample: Sample, document: Document | None = None) -> None:
        self.sample = sample
        self.document = document or Document.from_text(sample.text, sample.id)
        self.text = self.sample.text
        gold = sample.gold
        self._actors = {a.id: a for a in gold.actors}
        self._claims = {c.id: c for c in gold.claims}
        self._attributions = sorted(gold.attributions, key=lambda a: (a.content.start, a.content.end, a.id))
        self._enclosing = self._enclosing_speakers()

    # ------------------------------------------------------------------ public

    def window(self, first: int, last: int) -> _Window:
        """Sentences ``first``…``last`` (1-based, inclusive) as a stretch of the text."""
        sentences = self.document.sentences
        return _Window(first, last, sentences[first - 1].start, sentences[last - 1].end)

    def answer(self, first: int, last: int) -> Answer:
        """The answer for sentences ``first``…``last``: everything the gold says wholly inside them."""
        window = self.window(first, last)
        out = Answer()
        entities: dict[str, _Entity] = {}
        by_claim: dict[str, list[int]] = {}
        by_evidence: dict[tuple[int, int], int] = {}
        for att in self._attributions:
            statement = self._statement(att, window, entities, out)
            if statement is None:
                continue
            by_claim.setdefault(att.claim_id, []).append(len(out.statements))
            by_evidence.setdefault((att.content.start, att.content.end), len(out.statements))
        if Layer.CLAIMS in self.sample.layers:
            said = {a.claim_id for a in self.sample.gold.attributions}
            for claim in self.sample.gold.claims:
                if claim.id in said or not claim.evidence:
                    continue
                number = self._evidence_statement(claim.id, claim.evidence[0], claim.text, window, out)
                if number is not None:
                    by_claim.setdefault(claim.id, []).append(number)
        for position in self.sample.gold.positions:
            self._position(position, window, entities, by_claim, by_evidence, out)
        out.actors = [self._actor_json(e) for e in entities.values()]
        return out

    # -------------------------------------------------------------- statements

    def _statement(
        self, att: Attribution, window: _Window, entities: dict[str, _Entity], out: Answer
    ) -> dict[str, Any] | None:
        key = att.id
        cited = self._cited(att.content, window)
        if isinstance(cited, str):
            out.skipped[key] = cited
            return None
        speaker: str | None
        notes = StatementNotes(key)
        mode = att.mode
        if att.speaker_id is None and att.speaker_mention is None:
            speaker = AUTHOR if mode is Mode.AUTHOR else None
        else:
            entity = self._speaker(att, window, entities)
            if entity is None:
                out.skipped[key] = "speaker not named within the stretch"
                return None
            speaker = entity.name
            words = entity.name.split()
            if len(words) > 1 and entity.kind is ActorKind.PERSON:
                notes.surname = words[-1]
            notes.title = next((m for m in entity.mentions if m.lower().startswith("the ")), None)
            notes.pronoun = entity.pronoun
        claim = self._claims.get(att.claim_id)
        claim_text = claim.text if claim is not None and claim.text.strip() else _collapse(att.content.text)
        if claim_text == self._joined(att, widen=False):
            claim_text = self._joined(att, widen=True)  # a claim that is the content: its whole words
        statement = {
            "sentences": cited,
            "quote": self._quote(att),
            "speaker": speaker,
            "speaker_words": _collapse(self._words(att.speaker_mention).text)
            if att.speaker_mention
            else None,
            "cue": _collapse(self._words(att.cue).text) if att.cue and mode is not Mode.AUTHOR else None,
            "mode": mode.value,
            "claim": claim_text,
            "kind": claim.kind.value if claim is not None else "other",
        }
        out.statements.append(statement)
        out.notes.append(notes)
        return statement

    def _evidence_statement(
        self, key: str, span: Span, claim: str, window: _Window, out: Answer
    ) -> int | None:
        """An author-voice statement quoting ``span``: a claim or position no one is said to make."""
        cited = self._cited(span, window)
        if isinstance(cited, str):
            out.skipped[key] = cited
            return None
        out.statements.append(
            {
                "sentences": cited,
                "quote": span.text.strip(_EDGE_MARKS),
                "speaker": AUTHOR,
                "speaker_words": None,
                "cue": None,
                "mode": Mode.AUTHOR.value,
                "claim": claim,
                "kind": "other",
            }
        )
        out.notes.append(StatementNotes(key))
        return len(out.statements)

    def _cited(self, span: Span, window: _Window) -> list[str] | str:
        """The sentence ids to cite for ``span`` (first, some middle ones, last), or why there are none."""
        sentences = self.document.sentences_overlapping(span.start, span.end)
        if not sentences:
            return "content outside every sentence (a header)"
        if sentences[0].number < window.first or sentences[-1].number > window.last:
            return "content outside the stretch"
        labels = [s.label for s in sentences]
        if len(labels) > MAX_CITED:
            labels = [*labels[: MAX_CITED - 1], labels[-1]]
        return labels

    def _whole(self, start: int, end: int) -> tuple[int, int]:
        """A gold span widened to whole words: annotators sometimes start a span inside a word."""
        text = self.text
        while 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum():
            start -= 1
        while 0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
            end += 1
        return start, end

    def _words(self, span: Span) -> Span:
        start, end = self._whole(span.start, span.end)
        return span if (start, end) == (span.start, span.end) else self.document.span(start, end)

    def _joined(self, att: Attribution, *, widen: bool) -> str:
        """The content's pieces joined by spaces (how PolNeAR's claims are made), whole words or not."""
        pieces = self.sample.content_segments.get(att.id) or [(att.content.start, att.content.end)]
        spans = [self._whole(a, b) if widen else (a, b) for a, b in sorted(pieces)]
        return _collapse(" ".join(self.text[a:b] for a, b in spans))

    def _quote(self, att: Attribution) -> str:
        pieces = self.sample.content_segments.get(att.id) or [(att.content.start, att.content.end)]
        spans: list[tuple[int, int]] = []
        for a, b in sorted(self._whole(a, b) for a, b in pieces):
            if not any(c.isalnum() for c in self.text[a:b]):
                continue  # a piece that is only punctuation (a closing comma) is no words to quote
            if spans and not self.text[spans[-1][1] : a].strip():
                spans[-1] = (spans[-1][0], max(b, spans[-1][1]))  # touching pieces are one stretch
            else:
                spans.append((a, b))
        words = [self.text[a:b].strip(_EDGE_MARKS) for a, b in spans]
        return _ELLIPSIS.join(w for w in words if w)

    # ---------------------------------------------------------------- speakers

    def _speaker(self, att: Attribution, window: _Window, entities: dict[str, _Entity]) -> _Entity | None:
        """The entity speaking in ``att``, named as the stretch names it (None: it names no one)."""
        gold_actor = self._actors.get(att.speaker_id or "")
        mention = self._words(att.speaker_mention) if att.speaker_mention else None
        name: str | None = None
        if gold_actor is not None and not is_pronoun(gold_actor.name) and self._is_real_actor(gold_actor):
            name = self._best_name([gold_actor.name, *(m.text for m in gold_actor.mentions)], window)
        if name is None and mention is not None:
            name = self._name_for(mention, att, window)
        if name is None:
            return None
        entity = entities.get(name)
        if entity is None:
            entity = entities[name] = _Entity(
                name, ActorKind.PERSON if _person_like(name) else ActorKind.OTHER
            )
            if gold_actor is not None and self._is_real_actor(gold_actor):
                entity.kind, entity.role, entity.affiliation = (
                    gold_actor.kind,
                    gold_actor.role,
                    gold_actor.affiliation,
                )
        if mention is not None:
            words = _collapse(mention.text)
            if is_pronoun(words) and words.lower() in _GENDERED:
                entity.pronoun = entity.pronoun or words.lower()
                if entity.kind is ActorKind.OTHER:
                    entity.kind = ActorKind.PERSON
            elif window.holds(mention.start, mention.end):
                entity.add_mention(words)
        if gold_actor is not None and self._is_real_actor(gold_actor):
            for m in gold_actor.mentions:
                if window.holds(m.start, m.end):
                    entity.add_mention(_collapse(m.text))
        return entity

    def _is_real_actor(self, actor: Actor) -> bool:
        """Whether a gold actor is an entity (the project's gold) or one source wording (PolNeAR's)."""
        return Layer.ATTRIBUTIONS not in self.sample.layers or self.sample.author_statements

    def _best_name(self, candidates: list[str], window: _Window) -> str | None:
        """The fullest of the actor's names that the stretch contains."""
        inside = [
            _collapse(c)
            for c in candidates
            if not is_pronoun(c) and self._occurs(_collapse(c), window) and _capitalised(c.strip())
        ]
        if not inside:
            inside = [
                _collapse(c) for c in candidates if not is_pronoun(c) and self._occurs(_collapse(c), window)
            ]
        if not inside:
            return None
        return max(inside, key=lambda n: (not n.lower().startswith("the "), len(n.split()), len(n)))

    def _name_for(self, mention: Span, att: Attribution, window: _Window) -> str | None:
        mention = self._words(mention)
        words = _collapse(mention.text)
        lowered = words.lower()
        if not is_pronoun(words):
            return self._name_in(mention, window)
        if lowered in _FIRST_PERSON:
            host = self._enclosing.get(att.id)
            if host is not None and host.speaker_mention is not None:
                named = self._name_for(host.speaker_mention, host, window)
                if named is not None:
                    return named
        if lowered in _RELATIVE:
            sentence = self.document.sentence_at(mention.start)
            lo = max(window.start, sentence.start if sentence else window.start)
            runs = [r for r in _name_runs(self.text[lo : mention.start], lo) if r[1] <= mention.start]
            if runs:
                return self._fuller(self.text[runs[-1][0] : runs[-1][1]], runs[-1][0], window)
        return self._antecedent(mention, window)

    def _name_in(self, mention: Span, window: _Window) -> str | None:
        """A name inside source words, or the words themselves.

        Their trailing name ("nominee Donald Trump"), or the name the article gives a
        description's title ("the mayor": "Mayor Bill de Blasio").
        """
        words = _collapse(mention.text)
        titled = self._titled(words, window)
        if titled is not None:
            return titled
        runs = _name_runs(mention.text, mention.start)
        if runs and runs[-1][1] >= mention.end - 2 and (len(runs) == 1 or not words[:1].islower()):
            start, end = runs[-1]
            run = _strip_titles(_collapse(self.text[start:end]))
            if self._occurs(run, window):
                return self._fuller(run, start, window)
        if self._occurs(words, window):
            return words
        return None

    def _titled(self, words: str, window: _Window) -> str | None:
        """The one name the stretch writes after a description's head noun, as a title."""
        tokens = words.split()
        if len(tokens) < 2 or tokens[0].lower() not in ("the", "this", "that") or tokens[-1][:1].isupper():
            return None
        head = re.escape(tokens[-1])
        pattern = re.compile(rf"\b(?i:{head})\s+((?:[A-Z][\w'’-]+)(?:\s+[A-Z][\w'’-]+){{0,2}})")
        names = {m.group(1) for m in pattern.finditer(self.text, window.start, window.end)}
        if len(names) != 1:
            return None
        name = names.pop()
        return name if self._occurs(name, window) else None

    def _fuller(self, name: str, near: int, window: _Window) -> str:
        """The fullest name in the stretch that ends with this one ("Trump" → "Donald Trump")."""
        last = name.split()[-1]
        best = name
        best_distance = 0
        for start, end in _name_runs(self.text[window.start : window.end], window.start):
            run = _strip_titles(_collapse(self.text[start:end]))
            words = run.split()
            if (
                len(words) > len(best.split())
                and len(words) <= 4
                and words[-1] == last
                and run.endswith(name)
                and self._occurs(run, window)
            ):
                distance = abs(start - near)
                if best == name or distance < best_distance:
                    best, best_distance = run, distance
        return best

    def _antecedent(self, mention: Span, window: _Window) -> str | None:
        """For "he", "they", "it": the speaker named last before it, else the last name before it."""
        gendered = mention.text.strip().lower() in _GENDERED
        before = [
            a
            for a in self._attributions
            if a.speaker_mention is not None
            and not is_pronoun(a.speaker_mention.text)
            and window.start <= a.speaker_mention.start < mention.start
        ]
        for att in sorted(before, key=lambda a: a.speaker_mention.start if a.speaker_mention else 0)[::-1]:
            assert att.speaker_mention is not None
            name = self._name_in(self._words(att.speaker_mention), window)
            if name is not None and (not gendered or _capitalised(name)):
                return name
        runs = _name_runs(self.text[window.start : mention.start], window.start)
        for start, end in reversed(runs):
            run = _strip_titles(_collapse(self.text[start:end]))
            if (not gendered or len(run.split()) >= 2) and self._occurs(run, window):
                return self._fuller(run, start, window)
        return None

    def _enclosing_speakers(self) -> dict[str, Attribution]:
        """For a first-person source inside another quote: that quote ("I" speaks for its speaker)."""
        out: dict[str, Attribution] = {}
        for att in self._attributions:
            mention = att.speaker_mention
            if mention is None or mention.text.strip().lower() not in _FIRST_PERSON:
                continue
            hosts = [
                other
                for other in self._attributions
                if other is not att
                and other.speaker_mention is not None
                and other.speaker_mention.text.strip().lower() not in _FIRST_PERSON
                and other.content.start <= mention.start
                and mention.end <= other.content.end
            ]
            if hosts:
                out[att.id] = min(hosts, key=lambda o: o.content.end - o.content.start)
        return out

    def _occurs(self, words: str, window: _Window) -> bool:
        """Whether ``words`` occur as whole words (whitespace aside) inside the stretch."""
        if not words.strip():
            return False
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words.split()) + r"(?!\w)"
        return re.search(pattern, self.text[window.start : window.end]) is not None

    # --------------------------------------------------------------- positions

    def _position(
        self,
        position: Position,
        window: _Window,
        entities: dict[str, _Entity],
        by_claim: dict[str, list[int]],
        by_evidence: dict[tuple[int, int], int],
        out: Answer,
    ) -> None:
        key = position.id
        numbers = [n for claim_id in position.claim_ids for n in by_claim.get(claim_id, [])]
        if not position.claim_ids:
            for span in position.evidence:
                number = by_evidence.get((span.start, span.end))
                if number is None:
                    number = self._evidence_statement(f"{key}@{span.start}", span, span.text, window, out)
                    if number is None:
                        continue
                    by_evidence[span.start, span.end] = number
                numbers.append(number)
        if not numbers:
            out.skipped.setdefault(key, "no statement of the position inside the stretch")
            return
        holder = AUTHOR
        if position.holder_id is not None:
            actor = self._actors.get(position.holder_id)
            name = self._holder_name(actor, window) if actor is not None else None
            if name is None:
                out.skipped[key] = "holder not named within the stretch"
                return
            entity = entities.get(name)
            if entity is None and actor is not None:
                entity = entities[name] = _Entity(name, actor.kind, actor.role, actor.affiliation)
            holder = name
        out.position_keys.append(key)
        out.positions.append(
            {
                "holder": holder,
                "target": position.target,
                "stance": position.stance.value,
                "statements": sorted(dict.fromkeys(numbers)),
            }
        )

    def _holder_name(self, actor: Actor, window: _Window) -> str | None:
        """The holder as the stretch names it: its name, a mention, its surname, or a shorter form."""
        name = self._best_name([actor.name, *(m.text for m in actor.mentions)], window)
        if name is not None:
            return name
        words = actor.name.split()
        if actor.kind is ActorKind.PERSON and len(words) > 1:
            surname = words[-1]
            if self._occurs(surname, window):
                return surname
        return self._alias(actor.name, window)

    def _alias(self, name: str, window: _Window) -> str | None:
        """How an article names an entity its gold names otherwise ("Democratic Party" → "Democrats")."""
        stretch = self.text[window.start : window.end]
        found = re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", stretch, re.IGNORECASE)
        if found:
            return found.group()
        words = [w for w in re.findall(r"\w+", name) if len(w) >= 4 and w.lower() not in _GENERIC]
        if not words:
            return None
        counts: dict[str, int] = {}
        for start, end in _name_runs(stretch, window.start):
            run = _strip_titles(_collapse(self.text[start:end]))
            run_words = [w.lower() for w in re.findall(r"\w+", run)]
            if any(r[:6] == w.lower()[:6] for w in words for r in run_words) and self._occurs(run, window):
                counts[run] = counts.get(run, 0) + 1
        if not counts:
            return None
        return max(counts, key=lambda r: (counts[r], -len(r)))

    # ------------------------------------------------------------------ actors

    @staticmethod
    def _actor_json(entity: _Entity) -> dict[str, Any]:
        return {
            "name": entity.name,
            "kind": entity.kind.value,
            "role": entity.role,
            "affiliation": entity.affiliation,
            "mentions": entity.mentions[:MAX_MENTIONS],
        }


_GENERIC = _word_set(
    "united states party department committee office the of and for america american national federal"
)
