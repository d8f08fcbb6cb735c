"""A non-LLM extractor: quotation marks, a cue-verb lexicon, and the nearest named speaker.

It sets the floor any prompt must beat, and runs through the same harness,
grounding and linking as the model: it writes the model-facing
:class:`~claimx.response.Response` (verbatim quotes, speaker names, cues,
sentence ids) and :func:`claimx.ground.ground` then :func:`claimx.link.link` turn that into an Extraction, so
whatever it finds is held to the same rules as a model's answer.

What it finds:

- direct quotes: text between quotation marks (four words or more) with a
  speaker and cue next to it (``"…," he said``; ``Timonin said: "…"``), or a
  quote in the same paragraph as one that has them;
- indirect speech: ``According to X, …``, ``X said (that) …``, ``…, X said.``;
- stances: ``X welcomed/criticized/… Y`` as a position of X on Y.

Pronouns and descriptions ("he", "the ambassador") are resolved to the nearest
name before them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from claimx.document import Document, Sentence
from claimx.names import is_pronoun, proper_names
from claimx.response import AUTHOR, ActorItem, PositionItem, Response, StatementItem
from claimx.rules import RuleExtractor
from claimx.schema import ActorKind, ClaimKind, Mode, Stance

__all__ = ["BASELINE", "BASELINE_ID", "baseline_response"]

BASELINE_ID = "baseline@v1"

CUE_VERBS = (
    "according to",
    "pointed out",
    "said",
    "says",
    "say",
    "told",
    "tells",
    "added",
    "adds",
    "noted",
    "stated",
    "explained",
    "explains",
    "argued",
    "argues",
    "claimed",
    "claims",
    "insisted",
    "insists",
    "warned",
    "warns",
    "wrote",
    "writes",
    "asked",
    "announced",
    "announces",
    "reported",
    "reports",
    "declared",
    "acknowledged",
    "admitted",
    "suggested",
    "suggests",
    "believes",
    "believed",
    "thinks",
    "replied",
    "responded",
    "recalled",
    "stressed",
    "emphasized",
    "emphasised",
    "tweeted",
    "predicted",
    "promised",
    "denied",
    "maintained",
    "contended",
    "conceded",
    "observed",
    "remarked",
    "confirmed",
    "concluded",
    "continued",
    "estimated",
    "vowed",
    "testified",
)
STANCE_VERBS: dict[Stance, tuple[str, ...]] = {
    Stance.SUPPORT: (
        "supports",
        "supported",
        "backs",
        "backed",
        "endorses",
        "endorsed",
        "welcomes",
        "welcomed",
        "praises",
        "praised",
        "applauds",
        "applauded",
        "defends",
        "defended",
        "hails",
        "hailed",
        "favors",
        "favored",
        "favours",
        "favoured",
        "championed",
        "champions",
    ),
    Stance.OPPOSE: (
        "opposes",
        "opposed",
        "criticizes",
        "criticized",
        "criticises",
        "criticised",
        "condemns",
        "condemned",
        "slams",
        "slammed",
        "blasts",
        "blasted",
        "attacks",
        "attacked",
        "accuses",
        "accused",
        "rejects",
        "rejected",
        "denounces",
        "denounced",
        "blames",
        "blamed",
        "mocks",
        "mocked",
        "rips",
        "ripped",
        "hammers",
        "hammered",
        "decries",
        "decried",
        "lambasts",
        "lambasted",
        "disputes",
        "disputed",
        "challenges",
        "challenged",
    ),
}
_LEXICON_SHA256 = hashlib.sha256(
    repr((BASELINE_ID, CUE_VERBS, sorted((k.value, v) for k, v in STANCE_VERBS.items()))).encode()
).hexdigest()

_CUE = "|".join(re.escape(c) for c in sorted(CUE_VERBS, key=len, reverse=True))
_STANCE = "|".join(v for verbs in STANCE_VERBS.values() for v in verbs)
_CAP = r"[A-Z][\w'’\-]*\.?"
_NAME = rf"{_CAP}(?:\s+(?:(?:of|to|for|the|de|van|von|bin)\s+)?{_CAP}){{0,6}}"
_GROUPS = (
    r"(?:experts|analysts|officials|lawmakers|sources|aides|critics|supporters|advocates|economists|"
    r"researchers|observers|leaders|voters|residents|members|strategists|activists|diplomats|"
    r"Republicans|Democrats|Conservatives|Liberals|officers|investigators|prosecutors|scientists|polls?)"
)
_SPEAKER = (
    rf"(?P<speaker>(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Oo]ne|[Aa]nother|[Ss]ome|[Mm]any|[Ss]everal|[Tt]wo|[Tt]hree)"
    rf"\s+(?:[\w\-’']+\s+){{0,3}}?[\w\-’']+"
    rf"|(?:[\w\-’']+\s+){{0,3}}?{_GROUPS}"
    rf"|[Hh]e|[Ss]he|[Tt]hey|{_NAME}(?:\s+and\s+{_NAME})?)"
)
_TOLD = r"(?:(?:(?<=told)|(?<=tells))\s+(?:reporters|journalists|the\s+\w+|\w+)(?=[\s,:]))?"
_SPEAKER_CUE = rf"(?:{_SPEAKER}\s+(?:has\s+|had\s+|also\s+|then\s+)?(?P<cue>{_CUE})\b{_TOLD})"
_CUE_SPEAKER = rf"(?:(?P<cue2>{_CUE})\s+{_SPEAKER.replace('speaker', 'speaker2')})"
_AFTER_QUOTE = re.compile(rf"[\s,.;:!?]*(?:{_SPEAKER_CUE}|{_CUE_SPEAKER})\b")
_BEFORE_QUOTE = re.compile(rf"(?:{_SPEAKER_CUE}|{_CUE_SPEAKER})\s*[:,]?\s*$")
_NOT_CLAUSE = (
    r"(?:at|in|on|during|after|before|last|this|on|to|in|from|with|about|of|for|Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday|yesterday|today|earlier|later|recently|previously|when|as|in)"
)
_ACCORDING = re.compile(rf"^(?P<cue>[Aa]ccording to)\s+{_SPEAKER},\s+(?P<content>.+?)[.!?]?$", re.S)
_TRAILING = re.compile(rf"^(?P<content>.{{20,}}?),\s+(?:{_SPEAKER_CUE}|{_CUE_SPEAKER})\b.*$", re.S)
_LEADING = re.compile(
    rf"(?:^|,\s+|\s)(?:{_SPEAKER_CUE})\s*(?:,\s*|:\s*|that\s+|(?!{_NOT_CLAUSE}\b))(?P<content>.{{15,}}?)[.!?]?$",
    re.S,
)
_STANCE_RE = re.compile(
    rf"(?:^|\s){_SPEAKER}\s+(?:has\s+|have\s+|also\s+)?(?P<verb>{_STANCE})\s+(?P<rest>.+?)[.!?]?$", re.S
)
_TARGET_END = re.compile(
    r"\s+(?:for|over|on|as|after|in|at|that|who|which|because|while|during|by|with|and)\s+|[,;:.!?—–(]"
)
_QUOTE = re.compile(r"“(?P<a>[^”]+)”|\"(?P<b>[^\"\n]+)\"|''(?P<c>[^'\n]+?)''")
_WORD = re.compile(r"\w+")


@dataclass
class _Statement:
    sentence: Sentence
    quote: str
    start: int
    speaker_words: str
    speaker_at: int
    cue: str
    mode: Mode


class _Finder:
    def __init__(self, document: Document) -> None:
        self.doc = document
        self.text = document.text
        body = document.metadata.header.end if document.metadata.header else 0
        self.names = [n for n in proper_names(document, limit=400) if not is_pronoun(n)]
        occurrences: list[tuple[int, str]] = []
        for name in self.names:
            occurrences += [
                (m.start(), name) for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", self.text)
            ]
        self.occurrences = sorted(o for o in occurrences if o[0] >= body)
        self.speakers: dict[str, str] = {}  # a name as written → the actor's fullest name
        self.statements: list[_Statement] = []
        self.taken: list[tuple[int, int]] = []

    # ----------------------------------------------------------------- names

    def canonical(self, words: str, at: int) -> str | None:
        """The actor a speaker's words name: a name as such, a pronoun or description by proximity."""
        words = " ".join(words.split())
        first = words.split()[0].lower()
        if is_pronoun(words) or first in {"the", "a", "an", "his", "her"}:
            return self._nearest_before(at)
        run = [w for w in words.split() if w[:1].isupper()]
        name = " ".join(run[-2:]) if len(run) >= 3 else " ".join(run)
        if not name or name.lower() in {"he", "she", "they"}:
            return self._nearest_before(at)
        surname = name.split()[-1].lower()
        if len(name.split()) == 1:  # "Lopez": the full name the article gave earlier, if any
            fuller = [n for n in self.names if len(n.split()) == 2 and n.split()[-1].lower() == surname]
            if fuller:
                name = min(fuller, key=lambda n: self.text.find(n))
        for known in list(self.speakers.values()):
            if known.split()[-1].lower() == surname:
                if len(name) > len(known):
                    self.speakers = {k: (name if v == known else v) for k, v in self.speakers.items()}
                    return name
                return known
        self.speakers[name] = name
        return name

    def _nearest_before(self, at: int) -> str | None:
        """The last speaker named before ``at``; failing that, the last name of two words or more."""
        speakers = set(self.speakers.values())
        speaker: str | None = None
        other: str | None = None
        for start, name in self.occurrences:
            if start >= at:
                break
            known = next((s for s in speakers if s.split()[-1] == name.split()[-1]), None)
            if known is not None:
                speaker = known
            elif len(name.split()) >= 2:
                other = name
        if speaker is not None:
            return speaker
        return self.canonical(other, at) if other is not None else None

    # ------------------------------------------------------------ statements

    def _overlaps_taken(self, start: int, end: int) -> bool:
        return any(start < b and a < end for a, b in self.taken)

    def _add(self, quote: str, start: int, words: str, speaker_at: int, cue: str, mode: Mode) -> None:
        quote = quote.strip().rstrip(",")
        if len(_WORD.findall(quote)) < 4 or self._overlaps_taken(start, start + len(quote)):
            return
        sentence = self.doc.sentence_at(start)
        if sentence is None:
            return
        self.taken.append((start, start + len(quote)))
        self.statements.append(_Statement(sentence, quote, start, words, speaker_at, cue, mode))

    def direct_quotes(self) -> None:
        for block in re.finditer(r"[^\n]+", self.text):
            pending: list[tuple[str, int]] = []
            speaker: tuple[str, int, str] | None = None
            for m in _QUOTE.finditer(block.group(0)):
                kind = "a" if m.group("a") is not None else "b" if m.group("b") is not None else "c"
                inner = m.group(kind)
                start = block.start() + m.start(kind)
                end = block.start() + m.end()
                after = _AFTER_QUOTE.match(self.text, end, min(len(self.text), end + 80))
                opening = block.start() + m.start()
                before = _BEFORE_QUOTE.search(self.text, max(block.start(), opening - 100), opening)
                found = after or before
                if found is not None:
                    words = found.group("speaker") or found.group("speaker2")
                    at = found.start("speaker") if found.group("speaker") else found.start("speaker2")
                    speaker = (words, at, found.group("cue") or found.group("cue2"))
                    for q, s in pending:
                        self._add(q, s, *speaker, Mode.DIRECT)
                    pending = []
                if speaker is None:
                    pending.append((inner, start))
                else:
                    self._add(inner, start, *speaker, Mode.DIRECT)

    def indirect(self) -> None:
        for sentence in self.doc.sentences:
            text = sentence.text
            for pattern in (_ACCORDING, _TRAILING, _LEADING):
                m = pattern.search(text)
                if m is None:
                    continue
                words = m.group("speaker") or (m.groupdict().get("speaker2") or "")
                if not words:
                    continue
                at = sentence.start + (m.start("speaker") if m.group("speaker") else m.start("speaker2"))
                cue = m.group("cue") or m.groupdict().get("cue2") or ""
                content = m.group("content")
                start = sentence.start + m.start("content")
                mode = Mode.MIXED if _QUOTE.search(content) else Mode.INDIRECT
                self._add(content, start, words, at, cue, mode)
                break

    def stances(self) -> list[tuple[int, str, int, str, Stance]]:
        """(statement number, holder words, holder offset, target, stance), adding their statements."""
        found = []
        for sentence in self.doc.sentences:
            for m in _STANCE_RE.finditer(sentence.text):
                rest = m.group("rest")
                cut = _TARGET_END.search(rest)
                target = rest[: cut.start()] if cut else rest
                target_words = target.split()[:8]
                if not target_words:
                    continue
                stance = next(s for s, verbs in STANCE_VERBS.items() if m.group("verb") in verbs)
                start = sentence.start + m.start("rest")
                before = len(self.statements)
                self._add(
                    rest,
                    start,
                    m.group("speaker"),
                    sentence.start + m.start("speaker"),
                    m.group("verb"),
                    Mode.INDIRECT,
                )
                number = len(self.statements) if len(self.statements) > before else self._statement_at(start)
                if number:
                    found.append(
                        (
                            number,
                            m.group("speaker"),
                            sentence.start + m.start("speaker"),
                            " ".join(target_words),
                            stance,
                        )
                    )
        return found

    def _statement_at(self, start: int) -> int:
        for i, st in enumerate(self.statements, 1):
            if st.start <= start < st.start + len(st.quote):
                return i
        return 0


def baseline_response(document: Document) -> Response:
    """What the baseline finds in a document, in the model-facing response schema."""
    finder = _Finder(document)
    finder.direct_quotes()
    finder.indirect()
    stances = finder.stances()
    order = sorted(range(len(finder.statements)), key=lambda i: finder.statements[i].start)
    renumber = {old + 1: new + 1 for new, old in enumerate(order)}
    statements: list[StatementItem] = []
    speakers: dict[int, str | None] = {}
    for i in order:
        st = finder.statements[i]
        speaker = finder.canonical(st.speaker_words, st.speaker_at)
        speakers[i + 1] = speaker
        statements.append(
            StatementItem(
                sentences=[st.sentence.label],
                quote=st.quote,
                speaker=speaker or AUTHOR,
                speaker_words=st.speaker_words if speaker else None,
                cue=st.cue or None,
                mode=st.mode if speaker else Mode.AUTHOR,
                claim=st.quote.strip("“”\"' "),
                kind=ClaimKind.OTHER,
            )
        )
    positions = []
    for number, _words, _at, target, stance in stances:
        holder = speakers.get(number)
        if holder:
            positions.append(
                PositionItem(holder=holder, target=target, stance=stance, statements=[renumber[number]])
            )
    names = sorted({s for s in speakers.values() if s})
    actors = []
    for name in names:
        variants = sorted({w for w, n in finder.speakers.items() if n == name and w != name})
        kind = ActorKind.PERSON if len(name.split()) >= 2 else ActorKind.OTHER
        actors.append(ActorItem(name=name, kind=kind, mentions=variants))
    return Response(actors=actors, statements=statements, positions=positions)


#: The baseline as a no-LLM extractor any command or the Python API can name as its model.
BASELINE = RuleExtractor(
    name="baseline",
    version=BASELINE_ID,
    sha256=_LEXICON_SHA256,
    read=baseline_response,
    note=(
        "it finds quoted words with a cue verb and the nearest named speaker, "
        "'according to X', 'X said (that) ...', and stances from verbs such as 'welcomed' or "
        "'criticized'. It misses unquoted statements without a cue verb, speakers named only "
        "far away, and most stances; claims are the quoted words, not rewritten sentences"
    ),
)
