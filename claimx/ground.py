"""The ground stage: a model's answer → what of it is in the article, with spans, and what is not.

Every piece of text the model gave is looked up in the article here, once:
quotes (with :class:`~claimx.align.Aligner`), cues and the words naming a
speaker next to their quote, actor names and mentions, speakers' and holders'
names. What cannot be found, or was found only as an altered copy, is dropped
and reported as a :class:`~claimx.schema.Rejected` item with a
:class:`~claimx.schema.RejectionCode`, so prompt work can count the reasons.

The rules, so nothing invented passes as found:

- a quote must be in the article; a near match must keep every number,
  negation and content word (else ``quote_altered``);
- an actor whose name is not in the article is rejected
  (``actor_not_in_article``); its role and affiliation are kept only when the
  article's words support them;
- a statement's speaker must be named in the article, or else a grounded
  mention next to the quote stands in for it (never a pronoun alone);
- a claim may rephrase its quote, but its numbers, negations and names must
  agree with its evidence (``claim_unfaithful``).

Which actor a name or mention refers to is the next stage's business
(:mod:`claimx.link`); this one never decides it, and that one never searches
the text again.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any

from pydantic import BaseModel

from claimx.align import Aligner, Located, is_word_char, normalize
from claimx.document import Document
from claimx.faithful import claim_problem
from claimx.names import is_pronoun
from claimx.response import AUTHOR, ActorItem, PositionItem, Response, StatementItem
from claimx.schema import ActorKind, ClaimKind, Mode, Rejected, RejectionCode, Span, Stance

__all__ = [
    "Aligner",
    "Grounded",
    "GroundedActor",
    "GroundedName",
    "GroundedPosition",
    "GroundedStatement",
    "ground",
    "is_author",
    "is_word_char",
    "normalize",
]

_AUTHOR_WORDS = frozenset({AUTHOR, "the author", "article", "the article", "narrator", "none", "null", ""})
_WORD = re.compile(r"\w+", re.UNICODE)
#: (A module constant: on Python 3.11 ``Mode.AUTHOR`` is a descriptor call, ~0.2 µs, per statement.)
_AUTHOR_MODE = Mode.AUTHOR


def is_author(name: str | None) -> bool:
    """True for the words a model uses for the article's own voice ("author", "none", …)."""
    return name is None or name.strip().lower() in _AUTHOR_WORDS


@dataclass(frozen=True, slots=True)
class GroundedName:
    """Words naming someone, as written, and every whole-word occurrence of them in the article."""

    words: str
    spans: tuple[Span, ...]


@dataclass(slots=True)
class GroundedActor:
    """An actor the model listed whose name is in the article."""

    name: GroundedName
    kind: ActorKind
    role: str | None
    affiliation: str | None
    mentions: tuple[GroundedName, ...]  # the listed mentions found in the article (no pronouns)
    source: dict[str, Any]  # what the model said, for reports


@dataclass(slots=True)
class GroundedStatement:
    """A statement whose quote, cue and speaker words are in the article."""

    number: int  # 1-based, in the model's list (chunks' lists one after another)
    claim: str
    kind: ClaimKind
    mode: Mode
    content: Span
    evidence: tuple[Span, ...]
    cue: Span | None
    #: Who speaks: a name in the article, or the grounded mention standing in for a name that is
    #: not; None for the article's own voice.
    speaker: GroundedName | None
    speaker_mention: Span | None  # the words naming the speaker at this statement
    source: StatementItem
    chunk: int = 0  # which answer (chunk) it came from, in order


@dataclass(slots=True)
class GroundedPosition:
    """A stance whose holder is named in the article and which a grounded statement shows."""

    holder: GroundedName | None  # None: the article's own voice
    target: str
    stance: Stance
    statements: tuple[int, ...]  # numbers of grounded statements
    source: PositionItem


@dataclass
class Grounded:
    """What of one document's answer (all its chunks') is in the article, and what was rejected."""

    document: Document
    actors: list[GroundedActor] = field(default_factory=list)
    statements: list[GroundedStatement] = field(default_factory=list)
    positions: list[GroundedPosition] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def ground(
    document: Document, responses: Response | Sequence[Response], aligner: Aligner | None = None
) -> Grounded:
    """Ground one document's answer (or its chunks' answers, in order) against the document."""
    grounder = _Grounder(document, aligner or Aligner(document))
    for response in [responses] if isinstance(responses, Response) else responses:
        grounder.add(response)
    return grounder.grounded


class _Grounder:
    def __init__(self, document: Document, aligner: Aligner) -> None:
        self.doc = document
        self.aligner = aligner
        self.grounded = Grounded(document)
        self._numbers = 0  # statements seen in earlier chunks
        self._chunk = -1
        self._kept: set[int] = set()
        self._names: dict[str, GroundedName] = {}
        self._vocabulary: set[str] | None = None
        self._article_words: frozenset[str] | None = None
        self._titles: dict[str, str | None] = {}
        self._everywhere: dict[str, list[Span]] = {}

    def add(self, response: Response) -> None:
        offset = self._numbers
        self._chunk += 1
        for actor in response.actors:
            self._actor(actor)
        for n, statement in enumerate(response.statements, offset + 1):
            self._statement(n, statement)
        self._numbers += len(response.statements)
        for pos in response.positions:
            self._position(pos, offset)

    # ------------------------------------------------------------------ helpers

    def reject(self, layer: str, item: BaseModel | dict[str, Any], code: RejectionCode, reason: str) -> None:
        dumped = item.model_dump(mode="json") if isinstance(item, BaseModel) else item
        self.grounded.rejected.append(Rejected(layer=layer, item=dumped, reason=reason, code=code))

    def name(self, words: str) -> GroundedName:
        """``words`` with every whole-word occurrence (none for a pronoun: it names no one alone)."""
        words = words.strip()
        known = self._names.get(words)
        if known is None:
            found = () if is_pronoun(words) or not words else tuple(self.aligner.locate_all(words))
            if not found and _ABBREVIATED.search(words):
                # "Mr Trump" and "D Ryan" are the article's "Mr. Trump" and "D. Ryan".
                found = tuple(self.aligner.locate_all(_ABBREVIATED.sub(r"\1.", words)))
            if not found and len(words) >= 8 and not is_pronoun(words):
                # Grounded like a quote, every word kept.
                near = self.aligner.locate(words)
                found = tuple(self.aligner.locate_all(near.text)) if near is not None else ()
            # (one object per words: names come back for every statement and position)
            known = self._names[words] = GroundedName(
                words, tuple(s for s in found if not self._in_header(s))
            )
        return known

    def _in_header(self, span: Span) -> bool:
        header = self.doc.metadata.header
        return header is not None and span.overlap(header) > 0

    def article_words(self) -> frozenset[str]:
        if self._article_words is None:
            self._article_words = frozenset(re.findall(r"\w+(?:'\w+)*", self.aligner.normal_text))
        return self._article_words

    def supported_detail(self, detail: str) -> bool:
        """Every longer word of a role or affiliation is in the article, in some form."""
        if self._vocabulary is None:
            self._vocabulary = _vocabulary(self.aligner.normal_text)
        stems = _STEM.findall(normalize(detail))
        return all(stem in self._vocabulary for stem in stems)

    # ------------------------------------------------------------------ actors

    def _actor(self, item: ActorItem) -> None:
        if not item.name.strip():
            return
        name = self.name(item.name)
        if not name.spans:
            self.reject(
                "actor",
                item,
                RejectionCode.ACTOR_NOT_IN_ARTICLE,
                f"actor {item.name!r} is not named in the article",
            )
            return
        mentions = tuple(
            m for m in (self.name(w) for w in item.mentions if w.strip() and not is_pronoun(w)) if m.spans
        )
        details: dict[str, str | None] = {"role": item.role, "affiliation": item.affiliation}
        for key, value in details.items():
            if value and value.strip() and not self.supported_detail(value):
                self.reject(
                    "actor",
                    {"name": item.name, key: value},
                    RejectionCode.DETAIL_NOT_IN_ARTICLE,
                    f"{key} {value!r} of {item.name!r} is not in the article",
                )
                details[key] = None
        self.grounded.actors.append(
            GroundedActor(
                name,
                item.kind,
                details["role"],
                details["affiliation"],
                mentions,
                item.model_dump(mode="json"),
            )
        )

    # -------------------------------------------------------------- statements

    def _statement(self, number: int, st: StatementItem) -> None:
        cited = [s for s in st.sentences if self.doc.sentence(s) is not None]
        located: Located = self.aligner.locate_checked(st.quote, cited)
        content = located.span
        if content is None:
            if located.altered:
                code, reason = RejectionCode.QUOTE_ALTERED, f"quote altered: {located.altered}"
            elif st.sentences and not cited:
                code = RejectionCode.SENTENCE_OUT_OF_RANGE
                reason = f"quote not found, and sentences {', '.join(st.sentences)} are not in the article"
            else:
                code, reason = RejectionCode.QUOTE_NOT_FOUND, "quote not found in the article"
            self.reject("attribution", st, code, reason)
            return
        if _too_short(content.text):
            self.reject("attribution", st, RejectionCode.QUOTE_TOO_SHORT, "quote too short to carry a claim")
            return
        if self._in_header(content):
            self.reject(
                "attribution", st, RejectionCode.QUOTE_IN_HEADER, "quote is the document's metadata header"
            )
            return
        evidence = tuple(
            self.doc.span(s.start, s.end) for s in self.doc.sentences_overlapping(content.start, content.end)
        )
        claim = st.claim.strip() or content.text
        problem = self._claim_problem(claim, content, evidence)
        if problem is not None:
            self.reject("claim", st, RejectionCode.CLAIM_UNFAITHFUL, problem)
            return
        # (each field read once: a pydantic model's attribute costs several times a local's)
        mode, quote, cue_words, said_by, speaker_words = (
            st.mode,
            st.quote,
            st.cue,
            st.speaker,
            st.speaker_words,
        )
        authored = mode is _AUTHOR_MODE
        speaker: GroundedName | None = None
        mention: Span | None = None
        # (located once: the speaker is looked for at it, and it is kept below)
        cue_at = None if authored else self._near(cue_words, content, window=300, quote=quote)
        if said_by is None and not authored:
            pass  # attributed to no one named ("it was reported that"): no speaker, the mode stays
        elif said_by is None or is_author(said_by) or authored:
            mode = _AUTHOR_MODE
        else:
            mention = self._near(speaker_words, content, window=400, quote=quote)
            if mention is not None and cue_at is not None and speaker_words:
                mention = self._by_cue(speaker_words, mention, cue_at, content)
            speaker = self.name(said_by)
            if not speaker.spans:
                # A name the article never uses: only a grounded mention here can say who speaks.
                words = mention.text if mention is not None else ""
                speaker = self.name(words) if words and not is_pronoun(words) else None
            if speaker is None or not speaker.spans:
                self.reject(
                    "attribution",
                    st,
                    RejectionCode.SPEAKER_NOT_MENTIONED,
                    f"speaker {said_by!r} never mentioned in the article",
                )
                return
            # "the mayor" credited to someone the article titles otherwise, and names only later
            # (a description points back to a name already given): the article contradicts it.
            titled = self._titled(mention.text) if mention is not None else None
            if (
                titled is not None
                and not set(_name_words(titled)) & set(_name_words(speaker.words))
                and not any(s.start < content.start for s in speaker.spans)
            ):
                reason = f"the article gives the title of {speaker_words!r} to {titled!r}, not {said_by!r}"
                self.reject("attribution", st, RejectionCode.SPEAKER_MISMATCH, reason)
                return
        cue = None
        if cue_words and cue_words.strip() and not authored:
            cue = cue_at
            skipped = cue is not None and (
                _in_ellipsis_gap(quote, cue_words) or self._in_gap(cue, quote, content)
            )
            if cue is None or (cue.overlap(content) and not skipped):
                self.reject(
                    "cue",
                    st,
                    RejectionCode.CUE_NOT_NEAR_QUOTE,
                    f"cue {cue_words!r} not found next to its quote",
                )
                cue = None
        self._kept.add(number)
        self.grounded.statements.append(
            GroundedStatement(
                number, claim, st.kind, mode, content, evidence, cue, speaker, mention, st, self._chunk
            )
        )

    def _by_cue(self, words: str, mention: Span, cue: Span, content: Span) -> Span:
        """The occurrence of the speaker's words in their cue's sentence nearest the cue, else ``mention``.

        "While he invoked the rising seas …, he did not have …": the "he" of "he invoked" speaks,
        not the "he" nearest the quote. Only when the cue is found next to its quote, outside it.
        """
        if cue.overlap(content) or cue.overlap(mention):
            return mention
        sentence = self.doc.sentence_at(cue.start)
        if sentence is None:
            return mention
        found = self._occurrences(words)  # (in text order: the sentence's are one slice of them)
        first = bisect_left(found, sentence.start, key=_start)
        last = bisect_left(found, sentence.end, lo=first, key=_start)
        near = [s for s in found[first:last] if not s.overlap(content) and not s.overlap(cue)]
        return min(near, key=lambda s: _gap(s, cue), default=mention)

    def _titled(self, words: str) -> str | None:
        """The one name the article gives the title of a description ("the mayor": "Mayor Tom Baker").

        A model that credits "the mayor"'s words to someone else (as an article's planted
        instructions may ask it to) contradicts the article; the name settles it. None when the
        words are no description, or the article titles no name, or several, with its head noun.
        """
        tokens = words.split()
        if len(tokens) < 2 or tokens[0].lower() not in ("the", "this", "that"):
            return None
        if not all(t.islower() for t in tokens[1:]) or tokens[-1] not in _TITLES:
            return None  # "The New York Times" is a name; "the website" no title
        head = tokens[-1]
        if head not in self._titles:  # (one search of the text per head noun, not per statement)
            # A title is capitalised before the name it belongs to: "Mayor Tom Baker".
            names = set(_titled_names(self.doc.text, head[:1].upper() + head[1:]))
            self._titles[head] = names.pop() if len(names) == 1 else None
        return self._titles[head]

    def _occurrences(self, words: str) -> list[Span]:
        """Every occurrence of ``words`` in the article, found once per article ("he" is asked often)."""
        found = self._everywhere.get(words)
        if found is None:
            found = self._everywhere[words] = self.aligner.locate_all(words)
        return found

    def _near(self, words: str | None, content: Span, window: int, quote: str = "") -> Span | None:
        """The occurrence of ``words`` next to ``content`` (within 400 characters of it), if any.

        Outside the content when there is one: a speaker or a cue is no part of its own quote,
        yet the nearest "he" or ":" is often inside it. Inside stays possible for a quote with
        an ellipsis, whose gap holds them.
        """
        if not words or not words.strip():
            return None
        start, end = content.start, content.end
        span = self.aligner.locate_near(words, start, end, window=window)
        if span is not None and span.overlap(content) and _ELLIPSIS.search(quote):
            # ("… he also said …," Flynn said. "…": the "said" in the gap, not the quote's own)
            skipped = [s for s in self._occurrences(words) if self._in_gap(s, quote, content)]
            span = skipped[0] if skipped else span
        if span is not None and span.overlap(content) and not _ELLIPSIS.search(quote):
            outside = [
                s
                for s in self._occurrences(words)
                if not s.overlap(content) and s.start >= start - window and s.end <= end + window
            ]
            span = min(outside, key=lambda s: _gap(s, content)) if outside else span
        if span is None or not (span.start >= start - 400 and span.end <= end + 400):
            return None
        return span

    def _in_gap(self, span: Span, quote: str, content: Span) -> bool:
        """Whether ``span`` lies between two pieces of a quote with an ellipsis, in the text it skips.

        ``"We will win," he said, "and soon."`` quoted as ``We will win ... and soon``: its
        content runs across the cue, which lies between the located pieces.
        """
        if not (content.start <= span.start and span.end <= content.end):
            return False
        pieces = [p for p in _ELLIPSIS.split(quote) if p.strip(" \"“”'‘’")]
        found = [self.aligner.locate_near(p, content.start, content.end, window=0) for p in pieces]
        return any(
            a is not None and b is not None and a.end <= span.start and span.end <= b.start
            for a, b in pairwise(found)
        )

    def _claim_problem(self, claim: str, content: Span, evidence: tuple[Span, ...]) -> str | None:
        if normalize(claim).rstrip(".") == normalize(content.text).rstrip("."):
            return None  # the quote itself, as a sentence
        if self._vocabulary is None:
            self._vocabulary = _vocabulary(self.aligner.normal_text)
        if not _supported(claim, self._vocabulary):
            return "claim shares too few words with the article"
        context = " ".join(s.text for s in evidence) + " " + (self.doc.metadata.date or "")
        return claim_problem(claim, content.text, context, self._in_article)

    def _in_article(self, word: str) -> bool:
        """The word is in the article in some form: itself, its first five letters, or its first four.

        "Russia" is in an article that says "Russian", "Stays" in one that says "stay".
        """
        vocabulary = self._vocabulary if self._vocabulary is not None else set()
        stem = _STEM.match(word)
        return (
            word in self.article_words()
            or word[:4] in vocabulary
            or (stem is not None and stem.group(1) in vocabulary)
        )

    # --------------------------------------------------------------- positions

    def _position(self, pos: PositionItem, offset: int) -> None:
        holder: GroundedName | None = None
        if not is_author(pos.holder):
            holder = self.name(pos.holder)
            if not holder.spans:
                self.reject(
                    "position",
                    pos,
                    RejectionCode.HOLDER_NOT_MENTIONED,
                    f"holder {pos.holder!r} never mentioned in the article",
                )
                return
        numbers = tuple(
            n + offset for n in dict.fromkeys(pos.statements) if n >= 1 and n + offset in self._kept
        )
        if not numbers:
            self.reject(
                "position", pos, RejectionCode.POSITION_UNSUPPORTED, "no grounded statement shows this stance"
            )
            return
        if not pos.target.strip():
            self.reject("position", pos, RejectionCode.POSITION_NO_TARGET, "position has no target")
            return
        self.grounded.positions.append(GroundedPosition(holder, pos.target.strip(), pos.stance, numbers, pos))


_ABBREVIATED = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Sen|Rep|Gov|Lt|Col|Capt|Prof|[A-Z])(?=\s)")
#: Titles written before a name ("Mayor Tom Baker"), which tell whom "the mayor" is.
_TITLES = frozenset(
    [
        "mayor",
        "president",
        "minister",
        "senator",
        "governor",
        "ambassador",
        "secretary",
        "chancellor",
        "judge",
        "general",
        "chief",
        "director",
        "chairman",
        "chairwoman",
        "chair",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "representative",
        "congressman",
        "congresswoman",
        "premier",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "sheriff",
        "commissioner",
        "prosecutor",
        "attorney",
        "detective",
        "coach",
        "professor",
        "doctor",
        "reverend",
        "councillor",
        "councilman",
        "councilwoman",
        "lawmaker",
        "treasurer",
        "superintendent",
        "commander",
        "admiral",
        "captain",
        "colonel",
        "lieutenant",
        "sergeant",
        "inspector",
    ]
)
#: Lower-case words inside names ("Bill de Blasio", "Osama bin Laden").
_PARTICLES = "de|del|della|der|di|da|du|le|la|van|von|bin|ibn|al|el|ben|dos|das"


@lru_cache(maxsize=64)
def _title_pattern(title: str) -> re.Pattern[str]:
    return re.compile(
        rf"\b{re.escape(title)}\s+([A-Z][\w'’-]+(?:\s+(?:(?:{_PARTICLES})\s+)?[A-Z][\w'’-]+){{0,2}})"
    )


def _titled_names(text: str, title: str) -> Iterator[str]:
    r"""The names after each whole-word ``title`` ("Mayor" → "Tom Baker"), as ``finditer`` finds them.

    A match can only start where the title itself does, so only those places are tried
    (``str.find``), not every character of the text as a pattern starting with ``\b`` is:
    the same matches, without overlap, in the same order, at a fraction of the cost.
    """
    pattern = _title_pattern(title)
    end = 0
    start = text.find(title)
    while start != -1:
        if start >= end:
            found = pattern.match(text, start)
            if found is not None:
                end = found.end()
                yield found.group(1)
        start = text.find(title, start + 1)


def _gap(span: Span, content: Span) -> int:
    """Characters between a span and a content that does not contain it."""
    return content.start - span.end if span.end <= content.start else span.start - content.end


_ELLIPSIS = re.compile(r"\.{3}|…|\[\s*(?:\.\s*){3}\]")


def _in_ellipsis_gap(quote: str, cue: str) -> bool:
    """True when the cue can only lie in a gap the quote skips with an ellipsis.

    ``"We will win," he said, "and soon."`` is quoted as ``We will win ... and soon``: its
    content runs across the cue, which is no part of the quote's own words.
    """
    return _ELLIPSIS.search(quote) is not None and normalize(cue) not in normalize(quote)


def _name_words(name: str) -> list[str]:
    """The capitalised words of a name, in normal form ("President Smith" → president, smith)."""
    return [normalize(w) for w in re.findall(r"[\w'’-]+", name) if w[:1].isupper()]


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


def _vocabulary(normal_text: str) -> set[str]:
    r"""What ``_STEM.findall`` finds in the text, as a set, read off its distinct words.

    A run of ``\w`` never holds whitespace (no character is both), so each run lies whole
    inside one of the text's whitespace-separated pieces: a set of those (built in C) and a
    loop over its few hundred members give the same stems as the regex run over every
    character of the text, at a fraction of the cost. A piece of letters and digits alone is
    one run; only the others (punctuation, apostrophes, underscores) go through the regex.
    """
    stems: set[str] = set()
    for piece in set(normal_text.split()):
        if piece.isalnum():
            if len(piece) >= 4:
                stems.add(piece[:5])
        else:
            stems.update(_STEM.findall(piece))
    return stems


def _supported(claim: str, vocabulary: set[str]) -> bool:
    """At least a third of the claim's longer words occur in the article (in some form)."""
    words = _STEM.findall(normalize(claim))
    if len(words) < 3:
        return True  # too short to judge, or a script without spaces
    return sum(w in vocabulary for w in words) / len(words) >= 1 / 3


def _start(span: Span) -> int:
    return span.start
