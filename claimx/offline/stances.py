"""Positions: who takes a side on whom.

With the packaged weights (the default), every pair of the article's entities is scored by
the two small models of :mod:`claimx.offline.stance_pairs` (trained on SEESAW train): is it
a position, and is it opposition or support. Without them, the earlier rules run: stance
verbs with the name before and after them ("X welcomed / opposed / criticised Y"), the tone
of what a speaker says about the names in it, and the tone of a sentence naming two actors.
What neither finds: stances carried by irony or a whole quotation with no name in it, a side
named only by a description, a holder and target that never meet within two sentences.

A position must point at a statement: the one already covering the sentence
when there is one, else a statement in the article's own voice (the sentence
reports the stance) is added for it.
"""

from __future__ import annotations

import re
from collections import Counter

from claimx.document import Document, Sentence
from claimx.names import proper_names
from claimx.offline.features import words
from claimx.offline.speakers import Speaker
from claimx.offline.stance_lexicon import tone
from claimx.offline.stance_pairs import (
    StanceWeights,
    candidates,
    entity_of,
    load_stance_weights,
    probability,
    stance_of,
)
from claimx.response import AUTHOR, PositionItem, StatementItem
from claimx.schema import ClaimKind, Mode, Stance

__all__ = ["STANCE_VERBS", "find_positions"]

STANCE_VERBS: dict[Stance, tuple[str, ...]] = {
    Stance.SUPPORT: tuple(
        """
        support supports supported backs backed endorse endorses endorsed welcome welcomes welcomed
        praise praises praised applaud applauds applauded defend defends defended hail hails hailed
        favor favors favored favour favours favoured champion champions championed thanked thanks
        congratulated congratulates embraced embraces lauded lauds commended commends
        """.split()  # noqa: SIM905  (a word list reads better as text)
    ),
    Stance.OPPOSE: tuple(
        """
        oppose opposes opposed criticize criticizes criticized criticise criticises criticised condemn
        condemns condemned slams slammed blast blasts blasted attack attacks attacked accuse accuses
        accused reject rejects rejected denounce denounces denounced blame blames blamed mock mocks
        mocked rips ripped hammers hammered decries decried lambasts lambasted disputes disputed
        challenges challenged sued sues targeted targets warned warns threatened threatens ridiculed
        ridicules berated berates scolded scolds questioned questions fired fires sanctioned sanctions
        boycotted boycotts protested protests assailed assails insulted insults vetoed vetoes impeached
        banned bans arrested charged indicted investigated
        """.split()  # noqa: SIM905  (a word list reads better as text)
    ),
}
#: Positions from the trained pair models (when their file is there) rather than the rules alone.
MODEL_POSITIONS = True
_VERB_STANCE = {verb: stance for stance, verbs in STANCE_VERBS.items() for verb in verbs}
_VERB = re.compile(r"\b(" + "|".join(sorted(_VERB_STANCE, key=len, reverse=True)) + r")\b")
_NAME = re.compile(r"(?:[A-Z][\w'’\-]*\.?)(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'’\-]*\.?)*")
_PRONOUN_SUBJECT = re.compile(r"\b(he|she|they)\s+(?:has\s+|have\s+|had\s+|also\s+|publicly\s+)*$", re.I)
_SUBJECT = re.compile(
    r"((?:[A-Z][\w'’\-]*\.?)(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'’\-]*\.?)*)(?:’s|'s)?"
    r"(?:\s*,[^,]{1,60},)?\s+(?:has\s+|have\s+|had\s+|also\s+|publicly\s+|repeatedly\s+|strongly\s+)*$"
)
_LEADING_WORDS = words(
    """
    The A An But And In On At As After When While If However Meanwhile
    """
)


def _strip_leading(name: str) -> str:
    words = name.split()
    while words and words[0] in _LEADING_WORDS:
        words = words[1:]
    return " ".join(words)


def _target(rest: str) -> str | None:
    """The name right after the verb ("the", "President" allowed before it), else a short phrase."""
    m = re.match(r"\s*(?:the\s+|President\s+|Sen\.\s+|Gov\.\s+)?", rest)
    after = rest[m.end() if m else 0 :]
    name = _NAME.match(after)
    if name:
        return _strip_leading(name.group(0)).rstrip(".") or None
    words = re.split(
        r"[,;:.!?—–(]|\s(?:for|over|on|as|after|in|at|that|who|which|because|while|by|with)\s", rest
    )
    phrase = " ".join(words[0].split()[:6]) if words else ""
    return phrase or None


def _sentiment(text: str) -> Stance | None:
    """The tone of ``text`` as a stance, by the lexicon the pair model's features use."""
    positive, negative = tone(text)
    if negative > positive:
        return Stance.OPPOSE
    if positive > negative:
        return Stance.SUPPORT
    return None


def find_positions(
    document: Document, statements: list[StatementItem], speakers: list[Speaker | None]
) -> list[PositionItem]:
    """Positions in the document; statements (and their speakers) are appended as positions need them.

    The trained pair models when their weights are there; otherwise three readings, each cheap
    and none complete: stance verbs with their subject and object;
    the tone of what a speaker says about the names in it; and the tone of a sentence naming
    two actors or more, read as the first one's stance toward the others.
    """
    weights = load_stance_weights()
    if weights is not None and MODEL_POSITIONS:
        return _model_positions(document, weights, statements, speakers)
    positions: list[PositionItem] = []
    for sentence in document.sentences:
        for m in _VERB.finditer(sentence.text):
            found = _position(sentence, m, statements, speakers)
            if found is not None:
                positions.append(found)
    names = _salient_names(document)
    if names is not None:
        positions += _spoken_positions(names, statements, speakers)
        positions += _sentence_positions(document, names, statements, speakers)
    return positions


def _model_positions(
    document: Document,
    weights: StanceWeights,
    statements: list[StatementItem],
    speakers: list[Speaker | None],
) -> list[PositionItem]:
    """The candidate pairs the trained models call positions."""
    out: list[PositionItem] = []
    by_number = {s.number: s for s in document.sentences}
    found = candidates(document, statements, speakers)
    targets = list({id(c.target): c.target for c in found}.values())
    spoken: dict[int, str] = {}  # entity → the name of the last speaker it is
    seen: set[int] = set()
    for speaker in reversed(speakers):
        if speaker is not None and id(speaker) not in seen:
            seen.add(id(speaker))
            entity = entity_of(speaker, targets)
            if entity is not None:
                spoken.setdefault(id(entity), speaker.name)
    for c in found:
        if not c.sentences or probability(weights.pair, c.features) < weights.threshold:
            continue
        number = _statement_number(by_number[c.sentences[0]], statements, speakers)
        holder = AUTHOR if c.holder is None else spoken.get(id(c.holder), c.holder.name)
        out.append(
            PositionItem(
                holder=holder,
                target=c.target.name,
                stance=stance_of(weights, c),
                statements=[number],
            )
        )
    return out


def _salient_names(document: Document) -> re.Pattern[str] | None:
    """The names the article uses twice or more, as one pattern (longest first); None if none."""
    candidates = [n for n in proper_names(document, limit=60) if len(n) > 2 and not n.endswith(("’s", "'s"))]
    if not candidates:
        return None
    every = _alternation(candidates)
    counts = Counter(m.group(1) for m in every.finditer(document.text))
    names = [n for n in candidates if counts[n] >= 2]
    return _alternation(names) if names else None


def _alternation(names: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)")


def _sentence_positions(
    document: Document,
    names: re.Pattern[str],
    statements: list[StatementItem],
    speakers: list[Speaker | None],
) -> list[PositionItem]:
    out: list[PositionItem] = []
    for sentence in document.sentences:
        stance = _sentiment(sentence.text)
        if stance is None:
            continue
        found = list(dict.fromkeys(m.group(1) for m in names.finditer(sentence.text)))
        if len(found) < 2:
            continue
        holder = found[0]
        number = _statement_number(sentence, statements, speakers)
        for target in found[1:]:
            if holder.split()[-1] != target.split()[-1]:
                out.append(PositionItem(holder=holder, target=target, stance=stance, statements=[number]))
    return out


def _spoken_positions(
    names: re.Pattern[str], statements: list[StatementItem], speakers: list[Speaker | None]
) -> list[PositionItem]:
    """A speaker's stance toward each name in what they said, from the words' tone."""
    out: list[PositionItem] = []
    for number, (st, speaker) in enumerate(zip(statements, speakers, strict=False), 1):
        if speaker is None:
            continue
        stance = _sentiment(st.quote)
        if stance is None:
            continue
        own = {w.lower() for w in speaker.name.split()}
        found = list(dict.fromkeys(m.group(1) for m in names.finditer(st.quote)))
        for name in found:
            if name.lower().split()[-1] in own or any(name != other and name in other for other in found):
                continue  # the speaker, or "Trump" inside "Donald Trump"
            out.append(PositionItem(holder=speaker.name, target=name, stance=stance, statements=[number]))
    return out


def _position(
    sentence: Sentence,
    m: re.Match[str],
    statements: list[StatementItem],
    speakers: list[Speaker | None],
) -> PositionItem | None:
    before = sentence.text[: m.start()]
    target = _target(sentence.text[m.end() :])
    if not target:
        return None
    subject = _SUBJECT.search(before)
    holder: str | None = None
    if subject:
        holder = _strip_leading(subject.group(1)) or None
    elif _PRONOUN_SUBJECT.search(before):
        holder = _last_speaker(sentence, statements, speakers)
    if not holder or holder == target:
        return None
    number = _statement_number(sentence, statements, speakers)
    return PositionItem(holder=holder, target=target, stance=_VERB_STANCE[m.group(1)], statements=[number])


def _statement_number(
    sentence: Sentence, statements: list[StatementItem], speakers: list[Speaker | None]
) -> int:
    """The statement covering the sentence, else a new one in the article's voice reporting it."""
    for number, st in enumerate(statements, 1):
        if sentence.label in st.sentences:
            return number
    statements.append(
        StatementItem(
            sentences=[sentence.label],
            quote=sentence.text,
            speaker=AUTHOR,
            mode=Mode.AUTHOR,
            kind=ClaimKind.OTHER,
        )
    )
    speakers.append(None)
    return len(statements)


def _last_speaker(
    sentence: Sentence, statements: list[StatementItem], speakers: list[Speaker | None]
) -> str | None:
    last: str | None = None
    for st, speaker in zip(statements, speakers, strict=True):
        if speaker is not None and int(st.sentences[0][1:]) <= sentence.number:
            last = speaker.name
    return last
