"""The link stage: grounded items → actors, ids and the public objects.

:mod:`claimx.ground` has found every name, mention, quote and cue in the
article; this stage decides who is who, and never searches the text again.

- Actors the model listed twice ("Alexander Timonin" and "Timonin") are merged
  when their proper names agree: the same name, or a person's surname. A
  description or title ("the minister") never merges two named actors.
- A name or mention that fits several actors (an ambiguous surname, a
  description two actors share) is **unresolved**, the same rule wherever it is
  met: it merges into no one, its occurrences become no one's mention, and a
  statement whose speaker it is gets an actor of its own.
- Every occurrence is assigned to at most one actor, longest first. Pronouns
  are only attached where a statement uses them for its speaker.
- Chunks of a long article overlap, so the same words may come twice with
  slightly different extents: statements of one speaker from different chunks
  whose contents overlap by half or more are one statement (the longer kept), and positions of one
  holder with the same stance on similar targets are one position.
- Ids follow document order, so the same answer always yields the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from claimx.document import Document
from claimx.ground import Aligner, Grounded, GroundedName, GroundedStatement, ground, normalize
from claimx.names import PRONOUNS, is_pronoun
from claimx.response import Response
from claimx.schema import (
    Actor,
    ActorKind,
    Attribution,
    Claim,
    Extraction,
    Meta,
    Position,
    Rejected,
    RejectionCode,
    Span,
    Stance,
)

__all__ = ["PRONOUNS", "Linked", "is_pronoun", "link"]


@dataclass
class Linked:
    """The grounded, linked layers of one document."""

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


_DETERMINERS = frozenset(["the", "this", "that"])
#: (Module constants: on Python 3.11 ``ActorKind.PERSON`` is a descriptor call, ~0.2 µs, and the
#: surname rule reads them for every actor at every name.)
_PERSON, _OTHER = ActorKind.PERSON, ActorKind.OTHER


@lru_cache(maxsize=4096)
def _tokens(name: str) -> tuple[str, ...]:
    return tuple(t for t in normalize(name).replace("-", " ").split() if t)


@lru_cache(maxsize=4096)
def _description_head(name: str) -> str | None:
    """The head noun of a definite description ("the Russian ambassador" → "ambassador")."""
    tokens = _tokens(name)
    return tokens[-1].strip(".,;:") if len(tokens) >= 2 and tokens[0] in _DETERMINERS else None


@dataclass(frozen=True, slots=True)
class _Derived:
    """An actor draft's names as the matching rules read them (see ``_ActorDraft._derive``)."""

    version: tuple[int, int, str | None]
    named: bool  # some name is a proper name, not only a description ("the ambassador")
    proper_keys: set[str]  # normalized names and mentions that are not descriptions: its identity
    all_keys: set[str]  # every name and mention, normalized
    proper_tokens: tuple[tuple[str, ...], ...]  # the tokens of each proper name or mention, in order
    heads: set[str]  # the head nouns of its descriptions and of its role


@dataclass(eq=False)
class _ActorDraft:
    names: list[str]
    kind: ActorKind
    role: str | None
    affiliation: str | None
    #: Names and mentions (no pronouns) as written, each with its occurrences in the article.
    words: dict[str, tuple[Span, ...]] = field(default_factory=dict)
    mentions: list[Span] = field(default_factory=list)
    source: list[dict[str, Any]] = field(default_factory=list)
    _derived: _Derived | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        proper = [n for n in self.names if _description_head(n) is None] or self.names
        return max(proper, key=lambda n: (len(n.split()), len(n)))

    @property
    def named(self) -> bool:
        """True when some name is a proper name, not only a description ("the ambassador")."""
        return self._derive().named

    def _derive(self) -> _Derived:
        """What the matching rules read of the actor, computed again only when it has changed.

        Looked up for every actor at every name being matched. ``names`` and ``words`` only
        ever grow (``absorb`` adds at least one name; ``resolve`` adds words), and the role is
        only ever set once: their sizes and the role tell whether what was derived still holds.
        """
        version = (len(self.names), len(self.words), self.role)
        derived = self._derived
        if derived is None or derived.version != version:
            proper = [w for w in self.words if _description_head(w) is None]
            heads = {head for w in self.words if (head := _description_head(w))}
            role = _tokens(self.role or "")
            derived = self._derived = _Derived(
                version,
                named=any(_description_head(n) is None for n in self.names),
                proper_keys={normalize(w) for w in proper},
                all_keys={normalize(w) for w in self.words},
                proper_tokens=tuple(_tokens(w) for w in proper),
                heads=heads | ({role[-1]} if role else set()),
            )
        return derived

    def absorb(self, other: _ActorDraft) -> None:
        """Fold ``other``'s names, words and details into this actor."""
        self.names.extend(other.names)
        for words, spans in other.words.items():
            self.words.setdefault(words, spans)
        self.source.extend(other.source)
        if self.kind is ActorKind.OTHER:
            self.kind = other.kind
        self.role = self.role or other.role
        self.affiliation = self.affiliation or other.affiliation


def _surname_of(short: tuple[str, ...], long_: tuple[str, ...]) -> bool:
    """True when ``short`` is the last word(s) of ``long_`` ("Timonin" of "Alexander Timonin")."""
    return bool(short) and len(short) < len(long_) and long_[-len(short) :] == short


def _candidates(
    name: str, actors: Sequence[_ActorDraft], kind: ActorKind = ActorKind.OTHER
) -> list[_ActorDraft]:
    """Every actor ``name`` may refer to: by a proper name, a person's surname, or a description.

    One candidate is an answer; several are an ambiguity, which callers leave unresolved.
    """
    key = normalize(name)
    if not key:
        return []
    head = _description_head(name)
    # (``_derive()`` read directly, not through the accessors: this runs for every actor at
    # every name linked, and a call less per actor is a good part of its cost)
    if head is None:
        exact = [a for a in actors if key in a._derive().proper_keys]
        if exact:
            return exact
        tokens = _tokens(name)
        return [
            a
            for a in actors
            if (a.kind is _PERSON or kind is _PERSON)
            and (a.kind is kind or _OTHER in (a.kind, kind))
            and any(_surname_of(tokens, proper) for proper in a._derive().proper_tokens)
        ]
    holders = [a for a in actors if key in a._derive().all_keys]
    if holders:
        return holders
    # Long articles are read in chunks: the chunk that says "the ambassador said" may never see
    # his name. A description whose head is the role (or a described mention) of a named actor.
    return [a for a in actors if (derived := a._derive()).named and head in derived.heads]


def _one(candidates: list[_ActorDraft]) -> _ActorDraft | None:
    return candidates[0] if len(candidates) == 1 else None


def _merge(drafts: list[_ActorDraft]) -> list[_ActorDraft]:
    """One draft per actor: each draft joins the one earlier actor its name fits, if only one."""
    merged: list[_ActorDraft] = []
    for draft in drafts:
        if not draft.named:
            merged.append(draft)  # descriptions go last, below
            continue
        fits: list[_ActorDraft] = []
        named = [m for m in merged if m.named]  # (merged only changes below, once fits are known)
        for words in [w for w in draft.words if _description_head(w) is None]:
            for candidate in _candidates(words, named, draft.kind):
                if candidate not in fits:
                    fits.append(candidate)
        target = _one(fits)
        if target is None:
            merged.append(draft)  # new, or ambiguous: then it stays apart (unresolved)
        else:
            target.absorb(draft)
    # Actors known only by a description ("the ambassador"), into the one named actor it fits.
    for draft in [d for d in merged if not d.named]:
        target = _one(_candidates(draft.name, [m for m in merged if m is not draft and m.named]))
        if target is not None:
            target.absorb(draft)
            merged.remove(draft)
    return merged


def _within(inner: Span, outer: Span) -> bool:
    """Whether ``inner`` lies inside ``outer`` and is shorter: a name inside longer words."""
    return (
        outer.start <= inner.start
        and inner.end <= outer.end
        and inner.end - inner.start < outer.end - outer.start
    )


class _MentionIndex:
    """The mentions assigned so far, by stretch of text, to find the ones a span overlaps.

    Mentions are short, so each is filed under the fixed-size buckets it touches and a
    query looks only at the buckets of its own span: constant time however long the text.
    """

    _BUCKET = 128

    def __init__(self) -> None:
        self._buckets: dict[int, list[tuple[Span, _ActorDraft]]] = {}

    def _keys(self, span: Span) -> range:
        start, end = span.start, span.end  # (read once: a pydantic model's attributes cost more)
        return range(start // self._BUCKET, ((end if end > start else start + 1) - 1) // self._BUCKET + 1)

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


@dataclass(slots=True)
class _StatementDraft:
    grounded: GroundedStatement
    speaker: _ActorDraft | None
    mention: Span | None


class _Linker:
    def __init__(self, grounded: Grounded) -> None:
        self.grounded = grounded
        self.rejected: list[Rejected] = list(grounded.rejected)
        self.actors: list[_ActorDraft] = []
        self.taken = _MentionIndex()
        #: Bumped whenever an actor is added or gains words after the merge (only ``resolve``
        #: does either), so remembered candidates are forgotten exactly when they may change.
        self._grown = 0
        self._version: tuple[int, int] = (-1, -1)
        self._found: dict[str, list[_ActorDraft]] = {}

    # ------------------------------------------------------------------ actors

    def build_actors(self) -> None:
        drafts = []
        for item in self.grounded.actors:
            words = {item.name.words: item.name.spans} | {m.words: m.spans for m in item.mentions}
            drafts.append(
                _ActorDraft(
                    [item.name.words], item.kind, item.role, item.affiliation, words, source=[item.source]
                )
            )
        self.actors = _merge(drafts)

    def assign_mentions(self) -> None:
        """Give every occurrence of an actor's words to it, longest first, without overlaps.

        An occurrence whose words belong to several actors (a description two share, an
        ambiguous surname) is nobody's.
        """
        claims: dict[tuple[int, int], list[_ActorDraft]] = {}
        spans: dict[tuple[int, int], Span] = {}
        for actor in self.actors:
            for occurrences in actor.words.values():
                for span in occurrences:
                    owners = claims.setdefault((span.start, span.end), [])
                    if actor not in owners:
                        owners.append(actor)
                    spans[span.start, span.end] = span
        order = sorted(spans, key=lambda k: (k[0] - k[1], k[0]))
        for key in order:
            owners = claims[key]
            span = spans[key]
            if len(owners) != 1 or self.taken.overlapping(span):
                continue
            self.taken.add(span, owners[0])
            owners[0].mentions.append(span)

    def resolve(self, name: GroundedName) -> _ActorDraft | None:
        """The actor ``name`` refers to; a name fitting none or several gets an actor of its own."""
        found = self.candidates(name.words)
        if len(found) == 1:
            actor = found[0]
            if _description_head(name.words) is not None and name.words not in actor.words:
                actor.words[name.words] = name.spans  # (a description of it, now known)
                self._grown += 1
            return actor
        for actor in self.actors:  # a name this very rule gave an actor of its own before
            if not actor.source and name.words in actor.words:
                return actor
        free = [span for span in name.spans if not self.taken.overlapping(span)]
        if not free:
            return None
        actor = _ActorDraft([name.words], ActorKind.OTHER, None, None, {name.words: name.spans})
        for span in free:
            self.taken.add(span, actor)
            actor.mentions.append(span)
        self.actors.append(actor)
        self._grown += 1
        return actor

    def attach(self, actor: _ActorDraft, span: Span | None) -> Span | None:
        """Record the words naming a speaker at one statement as its mention, unless someone else's.

        Words that hold another actor's mention inside them still name the speaker ("The New
        York state attorney general" around "New York", "the Times" around a "Times" of its
        own): the inner name stays the other's, the whole words are the speaker's. Only for a
        speaker the article names elsewhere on its own (an actor known only inside someone
        else's words is no one, as before).
        """
        if span is None:
            return None
        overlapping = self.taken.overlapping(span)
        if any(other is not actor and not (actor.mentions and _within(m, span)) for m, other in overlapping):
            return None  # the words belong to someone else here
        overlapping = [(m, other) for m, other in overlapping if other is actor]
        # (an equal mention overlaps it: usually the very object, spans being shared, which
        # ``is`` tells without pydantic's field-by-field comparison)
        if not any(span is m or span == m for m, _ in overlapping):
            if overlapping:  # the actor's own mentions it overlaps make way for it
                for mention, _ in overlapping:
                    self.taken.remove(mention, actor)
                actor.mentions = [m for m in actor.mentions if not m.overlap(span)]
            actor.mentions.append(span)
            self.taken.add(span, actor)
        return span

    def candidates(self, name: str) -> list[_ActorDraft]:
        """:func:`_candidates` among the linker's actors, remembered while the actors stay the same.

        Asked for every statement and position, mostly with the same few names; actors are only
        ever added and their words only grow, and after the merge only :meth:`resolve` does
        either (counting it in ``_grown``): the actors and that count tell when to ask again.
        """
        version = (len(self.actors), self._grown)
        if version != self._version:
            self._version, self._found = version, {}
        found = self._found.get(name)
        if found is None:
            found = self._found[name] = _candidates(name, self.actors)
        return found

    def reject(self, layer: str, item: dict[str, Any], code: RejectionCode, reason: str) -> None:
        self.rejected.append(Rejected(layer=layer, item=item, reason=reason, code=code))

    # -------------------------------------------------------------- statements

    def statements(self) -> list[_StatementDraft]:
        out: list[_StatementDraft] = []
        for st in self.grounded.statements:
            speaker = self.resolve(st.speaker) if st.speaker is not None else None
            if st.speaker is not None and speaker is None:
                self.reject(
                    "attribution",
                    st.source.model_dump(mode="json"),
                    RejectionCode.SPEAKER_NOT_MENTIONED,
                    f"speaker {st.source.speaker!r} never mentioned in the article",
                )
                continue
            mention = self.attach(speaker, st.speaker_mention) if speaker is not None else None
            out.append(_StatementDraft(st, speaker, mention))
        return out


def _twins(a: _StatementDraft, b: _StatementDraft) -> bool:
    """One statement twice: one speaker, and the same words, or half of them from another chunk."""
    if a.speaker is not b.speaker:
        return False
    x, y = a.grounded.content, b.grounded.content
    if (x.start, x.end) == (y.start, y.end):
        return True
    return a.grounded.chunk != b.grounded.chunk and 2 * x.overlap(y) >= min(len(x.text), len(y.text))


def _deduplicate(drafts: list[_StatementDraft]) -> tuple[list[_StatementDraft], dict[int, int]]:
    """One statement per speaker and stretch of text; ``alias`` maps every number to the kept one.

    Overlapping chunks quote the same sentence twice, with slightly different extents: two
    statements of one speaker from different chunks whose contents overlap by half the shorter
    or more are one (the longer kept); within one answer, only the very same words are. Sorted
    by start, only the statements still open are compared.
    """
    ordered = sorted(drafts, key=lambda d: (d.grounded.content.start, -d.grounded.content.end))
    kept: list[_StatementDraft] = []
    open_: list[_StatementDraft] = []
    alias: dict[int, int] = {}
    for draft in ordered:
        content = draft.grounded.content
        open_ = [k for k in open_ if k.grounded.content.end > content.start]
        twin = next((k for k in open_ if _twins(k, draft)), None)
        if twin is None:
            kept.append(draft)
            open_.append(draft)
            alias[draft.grounded.number] = draft.grounded.number
            continue
        longer, shorter = (
            (draft, twin) if len(content.text) > len(twin.grounded.content.text) else (twin, draft)
        )
        if longer is draft:
            kept[kept.index(twin)] = draft
            open_[open_.index(twin)] = draft
            for number, target in alias.items():
                if target == twin.grounded.number:
                    alias[number] = draft.grounded.number
        alias[shorter.grounded.number] = longer.grounded.number
        alias[longer.grounded.number] = longer.grounded.number
    kept.sort(key=lambda d: (d.grounded.content.start, d.grounded.content.end))
    return kept, alias


def _similar_target(a: str, b: str) -> bool:
    """Two targets of one holder's stance are one when their words agree (one within the other)."""
    na, nb = normalize(a), normalize(b)
    return na == nb or fuzz.token_set_ratio(na, nb) >= 90


def link(
    grounded: Grounded | Document,
    response: Response | Sequence[Response] | None = None,
    aligner: Aligner | None = None,
) -> Linked:
    """Link one document's grounded answer into the public layers.

    ``link(document, response)`` (a model's answer not yet grounded) grounds it first:
    ``ground`` then ``link``, as :class:`~claimx.extract.Extractor` does.
    """
    if isinstance(grounded, Document):
        grounded = ground(grounded, response if response is not None else Response(), aligner)
    linker = _Linker(grounded)
    linker.build_actors()
    linker.assign_mentions()
    drafts = linker.statements()
    unique, alias = _deduplicate(drafts)

    # Actors that never appear in the text are dropped; the rest get ids in text order.
    live = [a for a in linker.actors if a.mentions]
    for actor in linker.actors:
        if not actor.mentions:
            for src in actor.source or [{"name": actor.name}]:
                linker.reject(
                    "actor",
                    dict(src),
                    RejectionCode.ACTOR_NOT_IN_ARTICLE,
                    "actor's every mention is someone else's",
                )
    live.sort(key=lambda a: min(m.start for m in a.mentions))
    actor_ids = {id(a): f"A{i}" for i, a in enumerate(live, 1)}
    for draft in unique:
        if draft.speaker is not None and id(draft.speaker) not in actor_ids:
            linker.reject(
                "attribution",
                draft.grounded.source.model_dump(mode="json"),
                RejectionCode.SPEAKER_NOT_MENTIONED,
                "speaker never mentioned in the article",
            )
    unique = [u for u in unique if u.speaker is None or id(u.speaker) in actor_ids]

    claims: list[Claim] = []
    attributions: list[Attribution] = []
    by_number: dict[int, tuple[Claim, Attribution]] = {}
    for i, draft in enumerate(unique, 1):
        st = draft.grounded
        claim = Claim(id=f"C{i}", text=st.claim, kind=st.kind, evidence=list(st.evidence))
        att = Attribution(
            id=f"Q{i}",
            claim_id=claim.id,
            speaker_id=actor_ids.get(id(draft.speaker)),
            mode=st.mode,
            cue=st.cue,
            content=st.content,
            speaker_mention=draft.mention,
        )
        claims.append(claim)
        attributions.append(att)
        by_number[st.number] = (claim, att)
    for number, target in alias.items():
        if target in by_number:
            by_number[number] = by_number[target]

    positions = _positions(linker, by_number, actor_ids)
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


@dataclass
class _PositionDraft:
    holder_id: str | None
    target: str
    target_actor_id: str | None
    stance: Stance
    numbers: list[int]


def _positions(
    linker: _Linker, by_number: dict[int, tuple[Claim, Attribution]], actor_ids: dict[int, str]
) -> list[Position]:
    drafts: list[_PositionDraft] = []
    for pos in linker.grounded.positions:
        holder_id: str | None = None
        if pos.holder is not None:
            holder = linker.resolve(pos.holder)
            holder_id = actor_ids.get(id(holder)) if holder is not None else None
            if holder_id is None:
                linker.reject(
                    "position",
                    pos.source.model_dump(mode="json"),
                    RejectionCode.HOLDER_NOT_MENTIONED,
                    f"holder {pos.source.holder!r} never mentioned in the article",
                )
                continue
        numbers = [n for n in pos.statements if n in by_number]
        if not numbers:
            linker.reject(
                "position",
                pos.source.model_dump(mode="json"),
                RejectionCode.POSITION_UNSUPPORTED,
                "no grounded statement shows this stance",
            )
            continue
        same = next(
            (
                d
                for d in drafts
                if d.holder_id == holder_id
                and d.stance is pos.stance
                and _similar_target(d.target, pos.target)
            ),
            None,
        )
        if same is not None:  # the same stance listed twice, or by two chunks: one position
            same.numbers.extend(n for n in numbers if n not in same.numbers)
            continue
        target_actor = _one([a for a in linker.candidates(pos.target) if id(a) in actor_ids])
        drafts.append(
            _PositionDraft(
                holder_id,
                pos.target,
                actor_ids.get(id(target_actor)) if target_actor else None,
                pos.stance,
                numbers,
            )
        )
    placed: list[tuple[tuple[int, str], dict[str, Any]]] = []
    for d in drafts:
        evidence = _unique_spans(by_number[n][1].content for n in d.numbers)
        fields: dict[str, Any] = {
            "holder_id": d.holder_id,
            "target": d.target,
            "target_actor_id": d.target_actor_id,
            "stance": d.stance,
            "claim_ids": list(dict.fromkeys(by_number[n][0].id for n in d.numbers)),
            "evidence": evidence,
        }
        placed.append(((min(s.start for s in evidence) if evidence else 0, d.holder_id or ""), fields))
    placed.sort(key=lambda p: p[0])
    return [Position(id=f"P{i}", **fields) for i, (_, fields) in enumerate(placed, 1)]


def _unique_spans(spans: Iterable[Span]) -> list[Span]:
    seen: dict[tuple[int, int], Span] = {}
    for span in spans:
        seen.setdefault((span.start, span.end), span)
    return list(seen.values())
