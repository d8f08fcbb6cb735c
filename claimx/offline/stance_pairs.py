"""Who takes a side on whom: every pair of the article's entities, read and scored.

SEESAW-style stances ("Obama opposed the Republicans") are held between the article's
main actors and are told across many sentences in many words, few of them stance verbs.
So rather than one pattern per sentence, every ordered pair (holder, target) of entities
named in one sentence (or a speaker and an entity named in their quote, or the article
itself and an entity) is described by what the article says around them: how often they
meet, who comes first and is the sentence's subject, whether the holder is the one
speaking, the stance verbs and the tone of the words between them. Two small logistic
models, trained on SEESAW's training articles (:mod:`claimx.offline.train_stances`),
score whether the pair is a position and, if so, whether it is opposition or support.
The weights ship in ``stances.json.gz``; reading them needs no package.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import mul
from pathlib import Path
from typing import Any

from claimx.document import Document, Sentence
from claimx.offline.entities import Entity, find_entities
from claimx.offline.speakers import Speaker
from claimx.offline.stance_lexicon import NEGATIONS, NEGATIVE, POSITIVE, SAY_VERBS, VERB_STANCE
from claimx.offline.weightfile import load_weight_file
from claimx.response import StatementItem
from claimx.schema import Stance

__all__ = [
    "MODEL_PATH",
    "Candidate",
    "StanceWeights",
    "candidates",
    "entity_of",
    "load_stance_weights",
    "probability",
]

MODEL_PATH = Path(__file__).with_name("stances.json.gz")
#: At most this many entities (the most mentioned) are paired: the rest are rarely sides.
TOP_ENTITIES = 45
_TOKEN = re.compile(r"[a-z]+(?:'t)?")
#: A sentence whose subject is a pronoun: "He also criticized …" is the last person's.
_PRONOUN_SUBJECT = re.compile(r"^\W*(?:\w+\s+){0,3}?(He|She|he|she)\b")


@dataclass
class Candidate:
    """A possible position: ``holder`` None is the article's own voice."""

    holder: Entity | None
    target: Entity
    features: dict[str, float] = field(default_factory=dict)
    sentences: list[int] = field(default_factory=list)  # where the two meet, first first

    def add(self, name: str, value: float = 1.0) -> None:
        """Count one more observation of a feature."""
        self.features[name] = self.features.get(name, 0.0) + value


@dataclass(frozen=True)
class StanceWeights:
    """The two models: is the pair a position, and is it opposition (else support)."""

    pair: dict[str, float]
    oppose: dict[str, float]
    threshold: float


def load_stance_weights(path: Path = MODEL_PATH) -> StanceWeights | None:
    """The packaged weights, or None when the file is missing (the rules still run)."""
    return load_weight_file(path, _stance_weights)


def _stance_weights(data: Any) -> StanceWeights:
    return StanceWeights(pair=data["pair"], oppose=data["oppose"], threshold=float(data["threshold"]))


def probability(weights: dict[str, float], features: dict[str, float]) -> float:
    """A logistic model's probability for the features (``bias`` is the intercept)."""
    # (the same products summed in the same order as a generator would, without its frames)
    z = weights.get("bias", 0.0) + sum(map(mul, map(weights.get, features, repeat(0.0)), features.values()))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _words(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _rank(n: int) -> str:
    return str(n) if n < 4 else ("4-6" if n < 7 else ("7-10" if n < 11 else ("11-20" if n < 21 else "21+")))


def _coarse(n: int) -> str:
    return "a" if n <= 3 else ("b" if n <= 10 else "c")


def _quotes(
    document: Document, statements: list[StatementItem], speakers: list[Speaker | None]
) -> list[tuple[int, int, Speaker]]:
    """Where each spoken statement's quote lies, with its speaker."""
    out: list[tuple[int, int, Speaker]] = []
    for st, speaker in zip(statements, speakers, strict=False):
        if speaker is None or not st.sentences:
            continue
        first = document.sentence(st.sentences[0])
        start = document.text.find(st.quote, first.start if first else 0)
        if start >= 0:
            out.append((start, start + len(st.quote), speaker))
    return out


def entity_of(speaker: Speaker, entities: list[Entity]) -> Entity | None:
    """The entity a speaker is (a shared name, or the same surname)."""
    names = {speaker.name, *speaker.variants}
    last = {n.split()[-1] for n in names if n.split()}
    for entity in entities:
        if names & entity.variants or entity.name.split()[-1] in last:
            return entity
    return None


@dataclass(frozen=True)
class _Tone:
    """A sentence's words of praise and blame, counted once for all its pairs."""

    positive: int
    negative: int
    negated: bool
    supports: int = 0  # stance verbs of support anywhere in the sentence
    opposes: int = 0

    @classmethod
    def of(cls, text: str) -> _Tone:
        words = _words(text)
        verbs = [VERB_STANCE[w] for w in words if w in VERB_STANCE]
        return cls(
            sum(map(POSITIVE.__contains__, words)),  # (the counts a generator would give, quicker)
            sum(map(NEGATIVE.__contains__, words)),
            not NEGATIONS.isdisjoint(words),
            verbs.count(Stance.SUPPORT),
            verbs.count(Stance.OPPOSE),
        )

    def add_to(self, c: Candidate, prefix: str) -> None:
        """The sentence's leaning as features: more praise or more blame, and its stance verbs."""
        c.add(prefix + "pos", float(self.positive > self.negative))
        c.add(prefix + "neg", float(self.negative > self.positive))
        c.add(prefix + "verbs_support", float(self.supports))
        c.add(prefix + "verbs_oppose", float(self.opposes))


class _SentencePairs:
    """One sentence's share of its pairs' features, worked out once for all its pairs.

    What depends on the sentence alone, or on one offset or two, is shared by the pairs that
    need it: a sentence naming k entities has k(k-1) pairs.
    """

    def __init__(self, sentence: Sentence, tone: _Tone) -> None:
        self.text = sentence.text
        self.start = sentence.start
        self.title = float(sentence.number == 1)
        self.tone = (
            float(tone.positive > tone.negative),
            float(tone.negative > tone.positive),
            float(tone.negated),
            float(tone.supports),
            float(tone.opposes),
        )
        self._says: dict[int, float] = {}
        self._between: dict[tuple[int, int], list[str]] = {}

    def says(self, rel_h: int) -> float:
        """Whether a say verb is among the three words after the holder's first."""
        found = self._says.get(rel_h)
        if found is None:
            after_h = _words(self.text[rel_h : rel_h + 60])[1:4]
            found = self._says[rel_h] = float(any(w in SAY_VERBS for w in after_h))
        return found

    def between(self, a: int, b: int) -> list[str]:
        """The words between two mentions (offsets in the sentence, ``a`` < ``b``), neither's own."""
        found = self._between.get((a, b))
        if found is None:
            found = self._between[(a, b)] = _words(self.text[a:b])[1:-1]
        return found


def _pair_features(
    c: Candidate, sentence: _SentencePairs, h: int, t: int, mentions: list[tuple[int, Entity]]
) -> None:
    """What one sentence says about holder (mentioned at offset h) and target (at offset t).

    The features are added in a fixed order (the model's sums follow the dict's order).
    """
    f = c.features
    get = f.get
    rel_h, rel_t = h - sentence.start, t - sentence.start
    f["co"] = get("co", 0.0) + 1.0
    f["h_first"] = get("h_first", 0.0) + float(rel_h < rel_t)
    f["h_subject"] = get("h_subject", 0.0) + float(mentions[0][0] == h)
    f["title"] = get("title", 0.0) + sentence.title
    f["h_says"] = get("h_says", 0.0) + sentence.says(rel_h)
    if rel_h < rel_t:
        between = sentence.between(rel_h, rel_t)
    elif rel_h > rel_t:
        between = sentence.between(rel_t, rel_h)
    else:
        between = []
    f["near"] = get("near", 0.0) + float(len(between) <= 8)
    if rel_h < rel_t:
        for w in between[:25]:
            stance = VERB_STANCE.get(w)
            if stance is not None:
                name = "verb_" + stance.value
                f[name] = get(name, 0.0) + 1.0
    pos, neg, negation, supports, opposes = sentence.tone
    f["s_pos"] = get("s_pos", 0.0) + pos
    f["s_neg"] = get("s_neg", 0.0) + neg
    f["s_negation"] = get("s_negation", 0.0) + negation
    f["s_verbs_support"] = get("s_verbs_support", 0.0) + supports
    f["s_verbs_oppose"] = get("s_verbs_oppose", 0.0) + opposes


def candidates(
    document: Document, statements: list[StatementItem], speakers: list[Speaker | None]
) -> list[Candidate]:
    """Every pair worth scoring, with its features (counts summed over the article, then squashed)."""
    entities = find_entities(document)[:TOP_ENTITIES]
    if not entities:
        return []
    rank = {id(e): i for i, e in enumerate(entities, 1)}
    quotes = _quotes(document, statements, speakers)
    spans = sorted((a, b) for a, b, _ in quotes)
    quote_starts = [a for a, _ in spans]
    quote_reach = list(accumulate((b for _, b in spans), max))  # the furthest end up to each quote
    pairs: dict[tuple[int, int], Candidate] = {}

    def pair(holder: Entity | None, target: Entity) -> Candidate:
        key = (id(holder) if holder else 0, id(target))
        if key not in pairs:
            pairs[key] = Candidate(holder, target)
        return pairs[key]

    # Each sentence's entities by first mention, from one pass over the entities' places.
    first_mentions: dict[int, list[tuple[int, Entity]]] = {}
    for e in entities:
        for number, offsets in e.places.items():
            first_mentions.setdefault(number, []).append((min(offsets), e))
    last_person: Entity | None = None
    previous: list[tuple[int, Entity]] = []
    for sentence in document.sentences:
        mentions = sorted(first_mentions.get(sentence.number, ()))
        pronoun = _PRONOUN_SUBJECT.match(sentence.text)
        if pronoun and last_person is not None and all(e is not last_person for _, e in mentions):
            mentions.insert(0, (sentence.start + pronoun.start(1), last_person))
            pronoun_of = last_person
        else:
            pronoun_of = None
        people = [e for _, e in mentions if e.person]
        if people:
            last_person = people[0]
        for _, holder in previous:
            for _, target in mentions:
                if holder is not target:
                    c = pair(holder, target)
                    c.add("next_sentence")
                    if sentence.number not in c.sentences:
                        c.sentences.append(sentence.number)
        previous = mentions
        if not mentions:
            continue
        tone = _Tone.of(sentence.text)
        shared = _SentencePairs(sentence, tone)
        for t, target in mentions:
            own = pair(None, target)
            own.sentences.append(sentence.number)
            own.add("a_mention")
            before = bisect_right(quote_starts, t)  # (a quote starting at or before t reaching past it)
            own.add("a_quoted", float(before > 0 and quote_reach[before - 1] > t))
            own.add("a_pos", shared.tone[0])
            own.add("a_neg", shared.tone[1])
            own.add("a_title", shared.title)
            for h, holder in mentions:
                if holder is target:
                    continue
                c = pair(holder, target)
                c.sentences.append(sentence.number)
                _pair_features(c, shared, h, t, mentions)
                c.add("by_pronoun", float(holder is pronoun_of))
    everywhere = sorted((o, i) for i, e in enumerate(entities) for v in e.places.values() for o in v)
    offsets = [o for o, _ in everywhere]
    who_is: dict[int, Entity | None] = {}
    speaking: dict[int, int] = {}
    for a, b, speaker in quotes:
        if id(speaker) not in who_is:
            who_is[id(speaker)] = entity_of(speaker, entities)
        said_by = who_is[id(speaker)]
        if said_by is None:
            continue
        speaking[id(said_by)] = speaking.get(id(said_by), 0) + 1
        hits: dict[int, list[int]] = {}
        for o, i in everywhere[bisect_left(offsets, a) : bisect_left(offsets, b)]:
            hits.setdefault(i, []).append(o)
        for i, found in sorted(hits.items()):
            named = entities[i]
            if named is said_by:
                continue
            c = pair(said_by, named)
            c.add("spoken", float(len(found)))
            home = document.sentence_at(found[0])
            if home is not None:
                _Tone.of(document.text[max(a, home.start) : min(b, home.end)]).add_to(c, "q_")
                if home.number not in c.sentences:
                    c.sentences.append(home.number)
    count = {id(e): e.count for e in entities}
    out: list[Candidate] = []
    for c in pairs.values():
        squashed = {k: math.log1p(v) for k, v in c.features.items()}
        t_rank = rank[id(c.target)]
        squashed["t_rank_" + _rank(t_rank)] = 1.0
        squashed["t_count"] = math.log1p(count[id(c.target)])
        squashed["t_person"] = float(c.target.person)
        squashed["t_topic"] = float(c.target.topic)
        squashed["t_party"] = float(c.target.party)
        squashed["t_speaks"] = math.log1p(speaking.get(id(c.target), 0))
        if c.holder is None:
            squashed = {"a:" + k: v for k, v in squashed.items()}
            squashed["author"] = 1.0
        else:
            squashed["h_rank_" + _rank(rank[id(c.holder)])] = 1.0
            squashed["h_count"] = math.log1p(count[id(c.holder)])
            squashed["h_person"] = float(c.holder.person)
            squashed["h_topic"] = float(c.holder.topic)
            squashed["h_party"] = float(c.holder.party)
            squashed["parties"] = float(c.holder.party and c.target.party)
            squashed["h_speaks"] = math.log1p(speaking.get(id(c.holder), 0))
            squashed[f"ranks_{_coarse(rank[id(c.holder)])}_{_coarse(t_rank)}"] = 1.0
        c.features = squashed
        c.sentences.sort()
        out.append(c)
    return out


def stance_of(weights: StanceWeights, c: Candidate) -> Stance:
    """Opposition or support, by the second model."""
    return Stance.OPPOSE if probability(weights.oppose, c.features) >= 0.5 else Stance.SUPPORT
