"""Turn the model's answer into the public schema: ground every item, resolve actors, assign ids.

Grounding decides what is kept. A statement whose quote is not in the article,
whose speaker is never mentioned, or whose claim shares no words with the
article is dropped and reported in ``rejected``. An actor nobody can find in
the text is dropped. A position without a grounded statement is dropped.

Actors are merged when the model lists one actor twice ("Alexander Timonin" and
"Timonin"), and every mention is assigned to at most one actor, longest first.
Pronouns are only attached where a statement uses them for its speaker, since
"he" elsewhere may be someone else. Ids follow document order, so the same
answer always yields the same ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from claimx.document import Document
from claimx.ground import Aligner, is_word_char, normalize
from claimx.response import AUTHOR, Response, StatementItem
from claimx.schema import (
    Actor,
    ActorKind,
    Attribution,
    Claim,
    ClaimKind,
    Extraction,
    Meta,
    Mode,
    Position,
    Rejected,
    Span,
    Stance,
)

__all__ = ["Linked", "is_pronoun", "link"]

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
_AUTHOR_WORDS = frozenset({AUTHOR, "the author", "article", "the article", "narrator", "none", "null", ""})
_WORD = re.compile(r"\w+", re.UNICODE)


def is_pronoun(words: str) -> bool:
    """True for pronouns, whose referent depends on where they stand."""
    return words.strip().lower() in PRONOUNS


def _is_author(name: str | None) -> bool:
    return name is None or name.strip().lower() in _AUTHOR_WORDS


@dataclass
class _ActorDraft:
    names: list[str]
    kind: ActorKind
    role: str | None
    affiliation: str | None
    words: set[str] = field(default_factory=set)  # name and non-pronoun mentions, as written
    mentions: list[Span] = field(default_factory=list)
    source: list[dict[str, object]] = field(default_factory=list)
    _keys: tuple[int, frozenset[str]] | None = field(default=None, repr=False, compare=False)
    _name: tuple[int, str] | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        # ``names`` only ever grows, so its length tells whether the name chosen last still holds.
        if self._name is None or self._name[0] != len(self.names):
            proper = [n for n in self.names if _description_head(n) is None] or self.names
            self._name = (len(self.names), max(proper, key=lambda n: (len(n.split()), len(n))))
        return self._name[1]

    def match_keys(self) -> frozenset[str]:
        """Normalized names and mentions: two drafts sharing one are the same actor."""
        # ``words`` only ever grows, so its size tells whether the keys computed last still hold.
        if self._keys is None or self._keys[0] != len(self.words):
            self._keys = (len(self.words), frozenset(normalize(w) for w in self.words))
        return self._keys[1]


class _MentionIndex:
    """The mentions assigned so far, by stretch of text, to find the ones a span overlaps.

    Mentions are short, so each is filed under the fixed-size buckets it touches and a
    query looks only at the buckets of its own span: constant time however long the text.
    """

    _BUCKET = 128

    def __init__(self) -> None:
        self._buckets: dict[int, list[tuple[Span, _ActorDraft]]] = {}

    def _keys(self, span: Span) -> range:
        return range(span.start // self._BUCKET, (max(span.end, span.start + 1) - 1) // self._BUCKET + 1)

    def add(self, span: Span, actor: _ActorDraft) -> None:
        for key in self._keys(span):
            self._buckets.setdefault(key, []).append((span, actor))

    def remove(self, span: Span, actor: _ActorDraft) -> None:
        for key in self._keys(span):
            entries = self._buckets.get(key, [])
            self._buckets[key] = [(s, a) for s, a in entries if not (s is span and a is actor)]

    def overlapping(self, span: Span) -> list[tuple[Span, _ActorDraft]]:
        """Every (mention, actor) sharing at least one character with ``span``."""
        found: list[tuple[Span, _ActorDraft]] = []
        seen: set[int] = set()
        for key in self._keys(span):
            for entry in self._buckets.get(key, ()):
                if id(entry[0]) not in seen and entry[0].overlap(span):
                    seen.add(id(entry[0]))
                    found.append(entry)
        return found


@dataclass
class Linked:
    """The grounded, linked layers of one document (or one chunk)."""

    actors: list[Actor]
    claims: list[Claim]
    attributions: list[Attribution]
    positions: list[Position]
    rejected: list[Rejected]

    def to_extraction(self, document: Document, meta: Meta, *, include_text: bool = True) -> Extraction:
        """The public result for ``document``: these layers, its text and metadata, and ``meta``."""
        return Extraction(
            doc_id=document.doc_id,
            text_sha256=document.sha256,
            text=document.text if include_text else None,
            metadata=document.metadata,
            actors=self.actors,
            claims=self.claims,
            attributions=self.attributions,
            positions=self.positions,
            rejected=self.rejected,
            meta=meta,
        )


@dataclass(slots=True)
class _StatementDraft:
    """A grounded statement before ids are given: the makings of a Claim and its Attribution."""

    number: int  # 1-based, in the model's list
    text: str
    kind: ClaimKind
    evidence: list[Span]
    mode: Mode
    cue: Span | None
    content: Span
    mention: Span | None
    speaker: _ActorDraft | None


@dataclass(slots=True)
class _PositionDraft:
    """A position before ids are given; ``claim_ids`` are statement numbers until then."""

    target: str
    stance: Stance
    claim_ids: list[str]
    holder: _ActorDraft | None
    target_actor: _ActorDraft | None

    def unlinked(self) -> Position:
        """The position as it stands before linking (what a rejection reports)."""
        return Position(id="", target=self.target, stance=self.stance, claim_ids=self.claim_ids)


@lru_cache(maxsize=4096)
def _tokens(name: str) -> tuple[str, ...]:
    return tuple(t for t in _WORD.findall(normalize(name)) if t)


def _same_actor(a: _ActorDraft, b: _ActorDraft) -> bool:
    if a.match_keys() & b.match_keys():
        return True
    if a.kind != b.kind and ActorKind.OTHER not in (a.kind, b.kind):
        return False
    ta, tb = _tokens(a.name), _tokens(b.name)
    short, long_ = sorted((ta, tb), key=len)
    # "Timonin" and "Alexander Timonin": a surname (last tokens) of a person's fuller name.
    return (
        bool(short)
        and len(short) < len(long_)
        and long_[-len(short) :] == short
        and ActorKind.PERSON in (a.kind, b.kind)
    )


class _Linker:
    def __init__(self, document: Document, response: Response, aligner: Aligner) -> None:
        self.doc = document
        self.response = response
        self.aligner = aligner
        self.rejected: list[Rejected] = []
        self.actors: list[_ActorDraft] = []
        self.taken = _MentionIndex()  # every actor's mentions
        self._by_key: tuple[tuple[int, int], dict[str, _ActorDraft]] = ((-1, -1), {})

    def actor_with_key(self, key: str) -> _ActorDraft | None:
        """The first actor (in list order) with ``key`` among its match keys, if any.

        Asked for every statement and position, so the keys are indexed; actors are only ever
        added and their words only grow, so the counts of both tell when to index again.
        """
        version = (len(self.actors), sum(len(a.words) for a in self.actors))
        if self._by_key[0] != version:
            index: dict[str, _ActorDraft] = {}
            for actor in self.actors:
                for known in actor.match_keys():
                    index.setdefault(known, actor)
            self._by_key = (version, index)
        return self._by_key[1].get(key)

    # ------------------------------------------------------------------ actors

    def build_actors(self) -> None:
        drafts: list[_ActorDraft] = []
        for item in self.response.actors:
            if not item.name.strip():
                continue
            words = {w.strip() for w in [item.name, *item.mentions] if w.strip() and not is_pronoun(w)}
            drafts.append(
                _ActorDraft(
                    [item.name.strip()],
                    item.kind,
                    item.role,
                    item.affiliation,
                    words,
                    source=[item.model_dump(mode="json")],
                )
            )
        self.actors = _merge(drafts)

    def resolve(self, name: str | None, create_from: StatementItem | None = None) -> _ActorDraft | None:
        """The actor a name refers to, creating one when the name is in the text but not listed."""
        if name is None or not name.strip():
            return None
        known = self.actor_with_key(normalize(name))
        if known is not None:
            return known
        probe = _ActorDraft([name.strip()], ActorKind.OTHER, None, None, {name.strip()})
        matches = [a for a in self.actors if _same_actor(a, probe)]
        if len(matches) == 1:
            return matches[0]
        described = described_actor(name, self.actors)
        if described is not None:
            described.words.add(name.strip())  # so its occurrences become mentions
            return described
        if create_from is not None and not is_pronoun(name):
            probe.mentions = [
                span for span in self.aligner.locate_all(name) if not self.taken.overlapping(span)
            ]
            if probe.mentions:
                for span in probe.mentions:
                    self.taken.add(span, probe)
                self.actors.append(probe)
                return probe
        return None

    def ground_mentions(self) -> None:
        """Assign every occurrence of each actor's words, longest first, without overlaps."""
        candidates: list[tuple[int, int, Span, _ActorDraft]] = []
        for order, actor in enumerate(self.actors):
            for words in actor.words:
                for span in self.aligner.locate_all(words):
                    candidates.append((-(span.end - span.start), order, span, actor))
        candidates.sort(key=lambda c: (c[0], c[1], c[2].start))
        for _, _, span, actor in candidates:
            if self.taken.overlapping(span) or self._in_header(span):
                continue
            self.taken.add(span, actor)
            actor.mentions.append(span)

    def _in_header(self, span: Span) -> bool:
        header = self.doc.metadata.header
        return header is not None and span.overlap(header) > 0

    def near_outside(self, words: str, content: Span, window: int, quote: str = "") -> Span | None:
        """The occurrence of ``words`` nearest ``content``, outside it when there is one.

        A speaker or a cue is no part of its own quote, yet the nearest "he" or ":" is often
        inside it. Inside stays possible for a quote with an ellipsis, whose gap holds them.
        """
        span = self.aligner.locate_near(words, content.start, content.end, window=window)
        if span is None or not span.overlap(content) or _ELLIPSIS.search(quote):
            return span
        outside = [
            s
            for s in self.aligner.locate_all(words)
            if not s.overlap(content) and s.start >= content.start - window and s.end <= content.end + window
        ]
        return min(outside, key=lambda s: _gap(s, content)) if outside else span

    def attach(self, actor: _ActorDraft, words: str | None, near: Span, quote: str = "") -> Span | None:
        """Ground the words naming a speaker at one statement, and record them as a mention."""
        if not words or not words.strip():
            return None
        span = self.near_outside(words, near, 400, quote)
        if span is None or not _near(span, near):
            return None
        overlapping = self.taken.overlapping(span)
        if any(other is not actor for _, other in overlapping):
            return None  # the words belong to someone else here
        if not any(span == m for m, _ in overlapping):  # (an equal mention overlaps it)
            if overlapping:  # the actor's own mentions it overlaps make way for it
                for mention, _ in overlapping:
                    self.taken.remove(mention, actor)
                actor.mentions = [m for m in actor.mentions if not m.overlap(span)]
            actor.mentions.append(span)
            self.taken.add(span, actor)
        return span

    # -------------------------------------------------------------- statements

    def build_statements(self) -> list[_StatementDraft]:
        out: list[_StatementDraft] = []
        vocabulary = _vocabulary(self.doc.text)
        for number, st in enumerate(self.response.statements, 1):
            item = st  # dumped only if rejected
            cited = [s for s in st.sentences if self.doc.sentence(s) is not None]
            content = self.aligner.locate(st.quote, cited)
            if content is None:
                self._reject("attribution", item, "quote not found in the article")
                continue
            if _too_short(content.text):
                self._reject("attribution", item, "quote too short to carry a claim")
                continue
            if self._in_header(content):
                self._reject("attribution", item, "quote is the document's metadata header")
                continue
            claim_text = st.claim.strip() or content.text
            if not _supported(claim_text, vocabulary):
                self._reject("claim", item, "claim shares too few words with the article")
                continue
            speaker: _ActorDraft | None = None
            mode = st.mode
            if st.speaker is None and mode is not Mode.AUTHOR:
                pass  # attributed to no one named ("it was reported that"): no speaker, the mode stays
            elif _is_author(st.speaker) or mode is Mode.AUTHOR:
                mode = Mode.AUTHOR
            else:
                speaker = self.resolve(st.speaker, create_from=st)
                if speaker is None:
                    self._reject(
                        "attribution", item, f"speaker {st.speaker!r} never mentioned in the article"
                    )
                    continue
            cue = self._cue(st, content, item)
            mention = self.attach(speaker, st.speaker_words or None, content, st.quote) if speaker else None
            evidence = [
                self.doc.span(s.start, s.end)
                for s in self.doc.sentences_overlapping(content.start, content.end)
            ]
            out.append(
                _StatementDraft(number, claim_text, st.kind, evidence, mode, cue, content, mention, speaker)
            )
        return out

    def _cue(self, st: StatementItem, content: Span, item: BaseModel) -> Span | None:
        if not st.cue or not st.cue.strip() or st.mode is Mode.AUTHOR:
            return None
        span = self.near_outside(st.cue, content, 300, st.quote)
        inside = span is not None and span.overlap(content) and not _in_ellipsis_gap(st.quote, st.cue)
        if span is None or inside or not _near(span, content):
            self._reject("cue", item, f"cue {st.cue!r} not found next to its quote")
            return None
        return span

    def _reject(self, layer: str, item: BaseModel | dict[str, object], reason: str) -> None:
        dumped = item.model_dump(mode="json") if isinstance(item, BaseModel) else item
        self.rejected.append(Rejected(layer=layer, item=dumped, reason=reason))

    # --------------------------------------------------------------- positions

    def build_positions(self, statement_claims: dict[int, Claim]) -> list[_PositionDraft]:
        out: list[_PositionDraft] = []
        seen: dict[tuple[int, str, str], _PositionDraft] = {}
        for pos in self.response.positions:
            item = pos  # dumped only if rejected
            holder = None if _is_author(pos.holder) else self.resolve(pos.holder)
            if holder is None and not _is_author(pos.holder):
                self._reject("position", item, f"holder {pos.holder!r} never mentioned in the article")
                continue
            numbers = [n for n in dict.fromkeys(pos.statements) if n in statement_claims]
            if not numbers:
                self._reject("position", item, "no grounded statement shows this stance")
                continue
            if not pos.target.strip():
                self._reject("position", item, "position has no target")
                continue
            key = (id(holder), normalize(pos.target), pos.stance.value)
            if key in seen:  # the same stance listed twice: one position with both statements
                seen[key].claim_ids.extend(str(n) for n in numbers if str(n) not in seen[key].claim_ids)
                continue
            target_actor = self.actor_with_key(normalize(pos.target))
            position = _PositionDraft(
                pos.target.strip(), pos.stance, [str(n) for n in numbers], holder, target_actor
            )
            seen[key] = position
            out.append(position)
        return out


_DETERMINERS = frozenset(["the", "this", "that"])


@lru_cache(maxsize=4096)
def _description_head(name: str) -> str | None:
    """The head noun of a definite description ("the Russian ambassador" → "ambassador")."""
    tokens = _tokens(name)
    return tokens[-1] if len(tokens) >= 2 and tokens[0] in _DETERMINERS else None


def _description_heads(actor: _ActorDraft) -> set[str]:
    heads = {head for words in actor.words if (head := _description_head(words))}
    role = _tokens(actor.role or "")
    return heads | ({role[-1]} if role else set())


def described_actor(name: str, actors: list[_ActorDraft]) -> _ActorDraft | None:
    """The one named actor a description like "the ambassador" can refer to, if exactly one.

    Long articles are read in chunks: the chunk that says "the ambassador said" may never
    see his name. A description whose head noun is the role (or a described mention) of
    exactly one named actor is that actor; with two ambassadors it stays unresolved.
    """
    head = _description_head(name)
    if head is None:
        return None
    named = [a for a in actors if any(_description_head(n) is None for n in a.names)]
    matches = [a for a in named if head in _description_heads(a)]
    return matches[0] if len(matches) == 1 else None


def _merge(drafts: list[_ActorDraft]) -> list[_ActorDraft]:
    merged: list[_ActorDraft] = []
    for draft in drafts:
        target = next((m for m in merged if _same_actor(m, draft)), None)
        if target is None:
            merged.append(draft)
            continue
        _absorb(target, draft)
    # Then actors known only by a description ("the ambassador"), into the one named actor it fits.
    for draft in [d for d in merged if all(_description_head(n) for n in d.names)]:
        target = described_actor(draft.name, [m for m in merged if m is not draft])
        if target is not None:
            _absorb(target, draft)
            merged.remove(draft)
    return merged


def _absorb(target: _ActorDraft, draft: _ActorDraft) -> None:
    """Fold ``draft``'s names, mentions and details into ``target``."""
    target.names.extend(draft.names)
    target.words |= draft.words
    target.source.extend(draft.source)
    if target.kind is ActorKind.OTHER:
        target.kind = draft.kind
    target.role = target.role or draft.role
    target.affiliation = target.affiliation or draft.affiliation


def _near(span: Span, content: Span) -> bool:
    """True when ``span`` lies within 400 characters of ``content``: cues and speakers stay local."""
    return span.start >= content.start - 400 and span.end <= content.end + 400


def _gap(span: Span, content: Span) -> int:
    """Characters between a span and a content that does not contain it."""
    return content.start - span.end if span.end <= content.start else span.start - content.end


def _in_ellipsis_gap(quote: str, cue: str) -> bool:
    """True when the cue can only lie in a gap the quote skips with an ellipsis.

    ``"We will win," he said, "and soon."`` is quoted as ``We will win ... and soon``: its
    content runs across the cue, which is no part of the quote's own words.
    """
    return _ELLIPSIS.search(quote) is not None and normalize(cue) not in normalize(quote)


_ELLIPSIS = re.compile(r"\.{3}|…|\[\s*(?:\.\s*){3}\]")


def _too_short(text: str) -> bool:
    """One word cannot carry a claim (a run of CJK or Thai characters is many words, though)."""
    found = _WORD.finditer(text)  # (only the first two words matter)
    first, second = next(found, None), next(found, None)
    if first is None or second is not None:
        return first is None
    word = first.group()
    spaceless = any(c.isalnum() and not is_word_char(c) for c in word)
    return not (spaceless and len(word) >= 4)


#: The first five characters (four, in a four-letter word) of every word of four or more.
_STEM = re.compile(r"(\w{4,5})\w*", re.UNICODE)


def _vocabulary(text: str) -> set[str]:
    return set(_STEM.findall(text.lower()))


def _supported(claim: str, vocabulary: set[str]) -> bool:
    """At least a third of the claim's longer words occur in the article (in some form)."""
    words = _STEM.findall(claim.lower())
    if len(words) < 3:
        return True  # too short to judge, or a script without spaces
    return sum(w in vocabulary for w in words) / len(words) >= 1 / 3


def link(document: Document, response: Response, aligner: Aligner | None = None) -> Linked:
    """Ground and link one answer against its document."""
    linker = _Linker(document, response, aligner or Aligner(document))
    linker.build_actors()
    linker.ground_mentions()
    statements = linker.build_statements()

    # Deduplicate statements that ground to the same words with the same speaker.
    unique: list[_StatementDraft] = []
    alias: dict[int, int] = {}
    first_of: dict[tuple[int, int, int], int] = {}
    for draft in statements:
        key = (draft.content.start, draft.content.end, id(draft.speaker))
        if key in first_of:
            alias[draft.number] = first_of[key]
            continue
        first_of[key] = draft.number
        unique.append(draft)
        alias[draft.number] = draft.number

    # Actors that never appear in the text are dropped; the rest get ids in text order.
    live: list[_ActorDraft] = []
    for actor in linker.actors:
        if actor.mentions:
            live.append(actor)
        else:
            for src in actor.source or [{"name": actor.name}]:
                linker._reject("actor", dict(src), "actor never mentioned in the article")
    live.sort(key=lambda a: min(m.start for m in a.mentions))
    actor_ids = {id(a): f"A{i}" for i, a in enumerate(live, 1)}

    for draft in unique:
        if draft.speaker is not None and id(draft.speaker) not in actor_ids:
            item = linker.response.statements[draft.number - 1].model_dump(mode="json")
            linker._reject("attribution", item, "speaker never mentioned in the article")
    unique = [u for u in unique if u.speaker is None or id(u.speaker) in actor_ids]
    unique.sort(key=lambda u: (u.content.start, u.content.end))
    claims: list[Claim] = []
    attributions: list[Attribution] = []
    by_number_claim: dict[int, Claim] = {}
    by_number_att: dict[int, Attribution] = {}
    for i, draft in enumerate(unique, 1):
        claim = Claim(id=f"C{i}", text=draft.text, kind=draft.kind, evidence=draft.evidence)
        att = Attribution(
            id=f"Q{i}",
            claim_id=claim.id,
            speaker_id=actor_ids.get(id(draft.speaker)),
            mode=draft.mode,
            cue=draft.cue,
            content=draft.content,
            speaker_mention=draft.mention,
        )
        claims.append(claim)
        attributions.append(att)
        by_number_claim[draft.number] = claim
        by_number_att[draft.number] = att
    for number, target in alias.items():
        if target in by_number_claim:
            by_number_claim[number] = by_number_claim[target]
            by_number_att[number] = by_number_att[target]

    linked_positions: list[tuple[tuple[int, str], dict[str, Any]]] = []
    for pos in linker.build_positions(by_number_claim):
        holder = pos.holder
        if holder is not None and id(holder) not in actor_ids:
            linker._reject(
                "position", pos.unlinked().model_dump(mode="json"), "holder never mentioned in the article"
            )
            continue
        numbers = [int(n) for n in pos.claim_ids]
        fields: dict[str, Any] = {
            "holder_id": actor_ids.get(id(holder)) if holder else None,
            "target": pos.target,
            "target_actor_id": actor_ids.get(id(pos.target_actor)) if pos.target_actor else None,
            "stance": pos.stance,
            "claim_ids": list(dict.fromkeys(by_number_claim[n].id for n in numbers)),
            "evidence": _unique_spans(by_number_att[n].content for n in numbers),
        }
        order = (fields["evidence"][0].start if fields["evidence"] else 0, fields["holder_id"] or "")
        linked_positions.append((order, fields))
    linked_positions.sort(key=lambda p: p[0])
    positions = [Position(id=f"P{i}", **fields) for i, (_, fields) in enumerate(linked_positions, 1)]

    actors = [
        Actor(
            id=actor_ids[id(a)],
            name=a.name,
            kind=a.kind,
            role=a.role,
            affiliation=a.affiliation,
            mentions=sorted(_unique_spans(a.mentions), key=lambda s: s.start),
        )
        for a in live
    ]
    return Linked(actors, claims, attributions, positions, linker.rejected)


def _unique_spans(spans: Iterable[Span]) -> list[Span]:
    seen: dict[tuple[int, int], Span] = {}
    for span in spans:
        seen.setdefault((span.start, span.end), span)
    return list(seen.values())
