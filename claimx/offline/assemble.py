"""Tagged spans → the model-facing :class:`~claimx.response.Response`.

Each content run becomes a statement; its cue and its source (or nobody) are the ones the
trained ranker of :mod:`claimx.offline.pairing` scores best among the candidates listed
here (without its weights: the nearest cue run in the same paragraph, the same sentence
first, and the nearest source run to that cue). Content runs split only by a mis-tagged
comma or word are joined first.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from claimx.document import Document, Sentence
from claimx.offline.clauses import opens_sentence, shares_subject, subject_after, subject_start
from claimx.offline.features import CUE_WORDS, paragraphs, words
from claimx.offline.pairing import (
    PairWeights,
    Runs,
    SourceCandidate,
    cue_features,
    load_pair_weights,
    log_shares,
    source_features,
)
from claimx.offline.spanindex import SpanIndex
from claimx.offline.speakers import Resolver, Speaker
from claimx.offline.tagger import TaggedSpan
from claimx.offline.turns import Turn, transcript_turns
from claimx.response import AUTHOR, ActorItem, StatementItem
from claimx.schema import ActorKind, ClaimKind, Mode

__all__ = [
    "Attribution",
    "assemble",
    "cue_candidates",
    "find_attributions",
    "source_candidates",
    "tagged_runs",
]

#: How far (characters) a cue may lie from its content, and a source from its cue.
CUE_REACH = 250
SOURCE_REACH = 120
#: How far (characters) from its cue a source may lie to be one of the ranker's candidates.
RANKED_SOURCE_REACH = 250
#: Cues and sources chosen by the trained ranker (:mod:`claimx.offline.pairing`) when its weights ship.
USE_RANKER = True
#: The ranker also weighs every noun phrase before the cue in its sentence.
RANKED_PHRASES = True
#: A content the ranker gives to nobody is unnamed, not the paragraph's earlier speaker's.
NOBODY_UNNAMED = True
#: Added to the "nobody" candidate's score at decoding. The tags the ranker learns from are the
#: tagger's on its own training articles, cleaner than on new text; chosen on PolNeAR dev
#: (speaker accuracy 0.886 at 0, 0.888 at -0.5 and -1, 0.885 at +0.5).
NOBODY_BIAS = -0.5
#: A participle after a comma or a verb after "and"/"but" takes its clause's subject when one is found.
SHARED_SUBJECT = True
#: A relative clause chosen as the source ("X, who …, said") is taken with the subject it describes.
WITH_ANTECEDENT = True
#: A cue after "since X, <aside>," takes X, the subordinate clause's subject.
ASIDE_SUBJECT = True
#: A cue "to admit" after "forced X" takes X, the object that does it.
OBJECT_SUBJECT = True
#: A participle after "footage of X" takes X, its own subject.
GERUND_SUBJECT = True
#: A noun cue after a possessive ("Trump's claim") takes the possessor.
POSSESSOR = True
#: A participle cue after "X is" takes X, the progressive's subject.
PROGRESSIVE_SUBJECT = True
#: A cue "each touting" takes "each", the participle's own subject inside the cue.
QUANTIFIER_SUBJECT = True
OPENING_PARTICIPLE = True
NEW_SUBJECTS = True
#: How many of the likeliest cues the joint choice of cue and source weighs (1: the likeliest cue).
JOINT_CUES = 3
#: Content runs closer than this, with nothing tagged between them, are one run.
JOIN_GAP = 4
#: A content with a cue but no source takes the last speaker of its paragraph (else: the article's voice).
SPEAKERLESS_TO_PREVIOUS = True
SPEAKERLESS_ALL = True
PARAGRAPHS_BACK = 0
#: Contents on both sides of their cue and source are one statement.
MERGE_AROUND_CUE = True
#: A sentence closed by its own reporting frame (", sources said.") is that frame's statement.
CLOSING_FRAMES = True
#: A closing frame the tagger read as the end of the content (", the source added.") is its cue too.
SWALLOWED_FRAMES = True
#: "In a Washington Post-ABC News poll, 75 percent said …": the poll speaks, "In" is the cue.
POLL_FRAMES = True
#: A source run ending in its verb ("an angry Hollande retaliated.") gives the verb up as a cue.
VERBS_OUT_OF_SOURCES = True
#: A transcript's turn ("WALLACE: …") is its speaker's statement, its colon the cue.
TRANSCRIPT_TURNS = True
#: A paragraph announced by the one before ("The governor added:") is the announcer's statement.
ANNOUNCED_PARAGRAPHS = True
#: A paragraph quoted and signed after a dash ("“…” ― Veronica Cruz") is the signer's statement.
SIGNED_QUOTATIONS = True
#: '"A," X said, adding, "B."': the participle is B's cue, not a gap in one quotation.
ADDING_CUES = True
#: A headline "Pat Caddell: Democrat Voters Worried About …" is said by the name before its colon.
TITLED_SPEAKERS = True
#: A content with a cue but no source found is attributed to no one named (speaker null), not
#: to the article: PolNeAR dev F1 0.740 → 0.755, speaker accuracy on matches 0.886 → 0.860.
CUED_WITHOUT_SOURCE_UNNAMED = True
_OPENING = "“\"‘'«"
_CLOSING = "”\"’'»"


@dataclass
class Attribution:
    """One content run with the cue and source found for it."""

    content: TaggedSpan
    cue: TaggedSpan | None
    source: TaggedSpan | None
    #: The quotation's pieces when its source and cue stand inside it ("A," X said. "B.").
    pieces: tuple[TaggedSpan, ...] = ()
    #: The ranker found that nobody is named as its source ("is expected", "seems").
    nobody: bool = False


def _join(contents: list[TaggedSpan], others: list[TaggedSpan], text: str) -> list[TaggedSpan]:
    out: list[TaggedSpan] = []
    # (in text order, to look only at the runs that start in the gap: "any" does not care for order)
    index = SpanIndex(sorted(others, key=lambda o: o.start))
    for span in contents:
        if out:
            last = out[-1]
            gap = text[last.end : span.start]
            runs = index.starting(last.end, span.start)
            between = any(last.end <= o.start and o.end <= span.start for o in runs)
            if (
                last.paragraph == span.paragraph
                and not between
                and len(gap.strip()) <= JOIN_GAP
                and "\n" not in gap
            ):
                out[-1] = TaggedSpan("CON", last.start, span.end, span.paragraph)
                continue
        out.append(span)
    return out


def _according(text: str, cue: TaggedSpan) -> bool:
    """Whether the cue is "according to": it governs its sentence, whatever other verb is marked."""
    return text[cue.start : cue.end].lower().startswith("according to")


def find_attributions(spans: list[TaggedSpan], document: Document) -> list[Attribution]:
    """Pair each content run with a cue and a source (the trained ranker's, else the nearest)."""
    text = document.text
    where = tagged_runs(spans, document)
    if VERBS_OUT_OF_SOURCES:
        where = _verbs_out_of_sources(where)
    cues, sources, contents = where.cues, where.sources, where.contents
    weights = load_pair_weights() if USE_RANKER else None
    out: list[Attribution] = []
    for content in contents:
        # (only the cues that may lie within reach: cue_candidates keeps those that do, in order)
        reach = (content.start - CUE_REACH, content.end + CUE_REACH)
        near = where.index(cues, content.paragraph).touching(*reach)
        candidates = cue_candidates(content, near)
        cue: TaggedSpan | None
        source: TaggedSpan | None
        nobody = False
        if weights is not None and candidates:
            cue, source = _ranked(content, candidates, where, weights)
            framed = _closing_frame(content, cue, where) or _parenthetical_frame(content, cue, where)
            framed = framed or (_swallowed_frame(content, cue, where) if SWALLOWED_FRAMES else None)
            framed = framed if CLOSING_FRAMES else None
            if framed is not None:
                content, frame = framed
                cue, source = _ranked(content, [frame], where, weights)
            nobody = source is None and NOBODY_UNNAMED
        else:
            cue = _nearest_cue(content, candidates, where, text)
            anchor = cue or content
            near = where.index(sources, anchor.paragraph).touching(
                anchor.start - SOURCE_REACH, anchor.end + SOURCE_REACH
            )
            source = _nearest_source(content, cue, near, where)
            if source is None and cue is not None:
                source = _source_by_rule(text, cue, content) or _sentence_subject(document, cue, content)
        if source is None and cue is None:
            cue, source = _frame_by_rule(document, content)
        polled = _in_a_poll(content, cue, document) if POLL_FRAMES else None
        if polled is not None:
            (content, cue, source), nobody = polled, False
        out.append(Attribution(content, cue, source, nobody=nobody))
    if TRANSCRIPT_TURNS:
        turns = transcript_turns(document)
        if SIGNED_QUOTATIONS:
            turns = _signed(document) | turns
        if TITLED_SPEAKERS:
            turns = _titled(document) | turns
        if ANNOUNCED_PARAGRAPHS:
            # (only a paragraph of one content: a longer one holds reports of its own, "McCrummen reports:")
            runs = Counter(a.content.paragraph for a in out)
            turns = {n: t for n, t in _announced(document).items() if runs[n] == 1} | turns
        out = _in_turns(out, turns)
    return _around_their_cue(out, text) if MERGE_AROUND_CUE else out


def _in_turns(attributions: list[Attribution], turns: dict[int, Turn]) -> list[Attribution]:
    """The contents of a paragraph said as a whole as one statement, by the name that says it.

    A transcript's turn (:mod:`claimx.offline.turns`), a paragraph announced by the one before
    (:func:`_announced`), a quotation signed after a dash (:func:`_signed`): whatever cue the
    ranker chose inside ("After the Clinton camp announced that …") and whatever the tagger did
    with the name ('"WALLACE: If I may …' read as content), the paragraph is what the name says.
    """
    out: list[Attribution] = []
    for att in attributions:
        turn = turns.get(att.content.paragraph)
        if turn is None:
            out.append(att)
            continue
        last = out[-1] if out else None
        end = max(att.content.end, turn.start + 1)
        if turn.cue.start > turn.start:  # (a quotation signed after it: its words end before the dash)
            end = _before_signature(turn.cue.start, turn.start, end)
        merged = Attribution(TaggedSpan("CON", turn.start, end, turn.paragraph), turn.cue, turn.source)
        if last is not None and last.cue == turn.cue:
            merged.content = TaggedSpan("CON", turn.start, max(end, last.content.end), turn.paragraph)
            out[-1] = merged
            continue
        out.append(merged)
    return out


#: Between a content and the frame closing its sentence: a comma, then at most five words (the source).
_TO_FRAME = re.compile(r"[”\"’']?(,)?[”\"’']?\s+((?:[\w.’'-]+\s+){0,5})")
#: After a frame with its source before the verb ("…, sources said.", "…, he said Tuesday
#: night."): at most a day and a time of day, then the sentence's end.
_FRAME_END = re.compile(
    r"(?:\s+(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today)"
    r"(?:\s+(?:morning|afternoon|evening|night))?)?\s*[.!?]?[”\"’']?\s*$"
)
#: After a frame with its source after the verb: a name ("…, said Jeffrey N. Trimble, a …").
_NAME_AFTER = re.compile(r"\s+(?:[A-Z][\w.’'-]*\s+){0,3}[A-Z][\w’'-]*\.?\s*(?:[,.!?]|$)")


def _home_sentence(content: TaggedSpan, cue: TaggedSpan, document: Document) -> Sentence | None:
    """The sentence holding a content and, before it, its chosen cue (None when they lie apart)."""
    sentence = document.sentence_at(content.start)
    if sentence is None or cue.start < sentence.start or cue.end > content.start:
        return None
    return sentence if content.end <= sentence.end else None


def _reports(frame: str, chosen: str) -> bool:
    """Whether a frame's cue ends in a reporting word other than the chosen cue's ("X said …, she said").

    "According to" is left out: as often as not it vouches for the last clause alone ("…, and
    won 77 percent, according to exit polls").
    """
    said = frame.lower().split()
    verb = said[-1].strip(",:")
    return verb in CUE_WORDS and said[0] != "according" and verb != chosen.lower().split()[-1]


def _closing_frame(content: TaggedSpan, cue: TaggedSpan, where: Runs) -> tuple[TaggedSpan, TaggedSpan] | None:
    """A content whose sentence ends with a reporting frame of its own, taken whole with that frame.

    "Secret Service protocol called for [the nominee to be taken …], sources said.": the tagger
    reads the sentence's own verb as the cue and what follows it as the content, but the frame
    closing the sentence says who speaks, and what they say is the whole sentence before it
    (as PolNeAR marks it). Only when the ranker chose a cue before the content in its sentence,
    the sentence holds no other content and no colon before the frame (which opens a quotation
    of its own), and the frame is a tagged cue ending in a reporting word, after a comma: its
    source (at most five words) and the sentence's end ("…, police said."), or a name after it
    ("…, said Mr. Barrett, the lawyer …"). A frame repeating the chosen cue's verb ("X said …,
    she said") is the same report: the first stands. Returns the content from the sentence's
    start, and the frame's cue.
    """
    text = where.document.text
    sentence = _home_sentence(content, cue, where.document)
    if sentence is None:
        return None
    cues = where.index(where.cues, content.paragraph).starting(content.end, sentence.end)
    frame = next((c for c in cues if content.end <= c.start < sentence.end), None)
    if frame is None or frame.end > sentence.end or ":" in text[sentence.start : frame.start]:
        return None
    if not _reports(text[frame.start : frame.end], text[cue.start : cue.end]):
        return None
    between = _TO_FRAME.fullmatch(text, content.end, frame.start)
    if between is None:
        return None
    if not (between.group(1) or text[content.start : content.end].rstrip("”\"’'").endswith(",")):
        return None  # (the comma inside the content: "… at the top,'' Mr. Kamin said.")
    if between.group(2):
        rest = _FRAME_END.match(text, frame.end, sentence.end)
    else:
        rest = _NAME_AFTER.match(text, frame.end, sentence.end)
    others = where.index(where.contents, content.paragraph).starting(sentence.start, frame.start)
    if rest is None or any(o is not content and sentence.start <= o.start < frame.start for o in others):
        return None
    start = sentence.start
    while start < cue.start and text[start].isspace():
        start += 1
    return TaggedSpan("CON", start, content.end, content.paragraph), frame


#: The end of a content that is its sentence's closing frame: a comma, one to five words (the
#: source), the verb, at most a day, the sentence's end (", the source added.", ", Blackwell maintains.").
_SWALLOWED = re.compile(
    r",\s+((?:[\w.’'-]+\s+){0,4}[\w.’'-]+)\s+(?!(?:morning|afternoon|evening|night)\b)([a-z]+)"
    r"(?:\s+(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today)"
    r"(?:\s+(?:morning|afternoon|evening|night))?)?\W*$"
)


#: A closing frame's verb: in the past ("added", "said"), or a report in the present ("maintains");
#: not a noun that ends a sentence as well ("the state", "his comments", "a point").
_FRAME_VERBS = words(
    "said told wrote thought knew felt says tells writes adds notes maintains argues insists contends "
    "explains warns recalls concludes believes thinks knows"
)
#: Words that make the words before the verb something other than its subject ("is bleak and
#: seldom told", "given his previous comments", "who said").
_NOT_IN_SOURCE = words("is was are were be been has have had and but or given who which that as if when")


def _swallowed_frame(
    content: TaggedSpan, cue: TaggedSpan, where: Runs
) -> tuple[TaggedSpan, TaggedSpan] | None:
    """A content whose sentence closes with an untagged frame: that frame's sentence.

    "Clinton had told police officials that [she didn't want the escort …, the source added.]":
    the tagger ran the content on over the frame, or left the frame untagged after it ("…, a
    spokesman announced Monday morning."), so :func:`_closing_frame` finds no tagged cue. The
    same conditions (the chosen cue before the content in its sentence, a reporting verb other
    than the chosen one), and no quotation in the content: a quotation around its cue ('"A," he
    said. "B."') is one statement already.
    """
    text = where.document.text
    sentence = _home_sentence(content, cue, where.document)
    if sentence is None or any(q in text[content.start : content.end] for q in ("“", "”", '"', "''")):
        return None
    found = _SWALLOWED.search(text, content.start, sentence.end)
    if found is None or found.start() <= content.start:
        return None
    if any(
        c.start < found.end(2) and found.start(2) < c.end
        for c in where.index(where.cues, content.paragraph).touching(found.start(2), found.end(2))
    ):
        return None  # (a tagged frame is :func:`_closing_frame`'s to take or leave)
    verb = found.group(2)
    if not _reports(verb, text[cue.start : cue.end]) or not (verb.endswith("ed") or verb in _FRAME_VERBS):
        return None
    if any(w.lower() in _FRAME_VERBS or w.lower() in _NOT_IN_SOURCE for w in found.group(1).split()):
        return None
    start = sentence.start
    while start < cue.start and text[start].isspace():
        start += 1
    frame = TaggedSpan("CUE", found.start(2), found.end(2), content.paragraph)
    return TaggedSpan("CON", start, found.start(), content.paragraph), frame


#: A sentence opening with a poll or survey it reports: "In a September Washington Post-ABC News
#: poll, …", "In May's Washington Post-ABC News poll, …", "In the CBS poll, …" (one poll: "In
#: eight of nine states where exit polls were conducted" and "In a memo released as polls
#: closed" open no such report).
_POLL_OPENING = re.compile(
    r"(In)\s+((?:a|an|the|[A-Z][\w’'.-]*(?:’s|'s)?)\s+(?:[^\s,.;:]+\s+){0,6}?(?:poll|survey))\b[^,.;:]{0,60},\s*"
)


def _in_a_poll(
    content: TaggedSpan, cue: TaggedSpan | None, document: Document
) -> tuple[TaggedSpan, TaggedSpan, TaggedSpan] | None:
    """A content in a sentence opened by the poll that reports it: the clause after its comma, "In", the poll.

    PolNeAR marks "In" as the cue and the poll as the source of the whole clause ("In a
    September Washington Post-ABC News poll, [75 percent of Republicans said "most people in
    politics" can't be trusted]"); the ranker took the verb inside it ("said"), or the tagger
    left the clause in the article's voice. Only when the content and its chosen cue lie after
    the opening's comma, in its sentence, and no name stands before that cue.
    """
    sentence = document.sentence_at(content.start)
    if sentence is None or content.end > sentence.end:
        return None
    text = document.text
    start = sentence.start
    while start < sentence.end and not text[start].isalnum():
        start += 1
    found = _POLL_OPENING.match(text, start, sentence.end)
    if found is None or content.start < found.end() - 1 or (cue is not None and cue.start < found.end()):
        return None
    subject = text[found.end() : cue.start].rsplit(",", 1)[-1].split() if cue is not None else []
    if subject and all(w[0].isupper() for w in subject):
        return None  # (a name reports the poll: "In an online poll of 800 …, Democracy Corp found that …")
    return (
        TaggedSpan("CON", found.end(), content.end, content.paragraph),
        TaggedSpan("CUE", found.start(1), found.end(1), content.paragraph),
        TaggedSpan("SRC", found.start(2), found.end(2), content.paragraph),
    )


#: A frame set off by commas inside its sentence: a comma, at most five words (the source), the cue, a comma.
_BEFORE_ASIDE = re.compile(r",\s+(?:[\w.’'-]+\s+){0,4}[\w.’'-]+\s+$")


def _parenthetical_frame(
    content: TaggedSpan, cue: TaggedSpan, where: Runs
) -> tuple[TaggedSpan, TaggedSpan] | None:
    """A content whose sentence holds a reporting frame set off by commas, taken whole with it.

    "The museum, Mr. Bush said, celebrated [several of his heroes …]": the frame inside the
    sentence says who speaks, and the whole sentence is what they say. The same conditions as
    :func:`_closing_frame`, for a tagged cue before the chosen one, after a comma and its source
    (at most five words, something before them) and followed by a comma.
    """
    text = where.document.text
    sentence = _home_sentence(content, cue, where.document)
    if sentence is None:
        return None
    frame = next(
        (
            c
            for c in where.index(where.cues, content.paragraph).starting(sentence.start, cue.start)
            if sentence.start <= c.start and c.end <= cue.start and text[c.end : c.end + 1] == ","
        ),
        None,
    )
    chosen = text[cue.start : cue.end].lower().split()
    if frame is None or ":" in text[sentence.start : content.start] or chosen[0].endswith("ing"):
        return None
    if not _reports(text[frame.start : frame.end], text[cue.start : cue.end]):
        return None
    aside = _BEFORE_ASIDE.search(text, sentence.start, frame.start)
    if aside is None or not text[sentence.start : aside.start()].strip():
        return None
    others = where.index(where.contents, content.paragraph).starting(sentence.start, content.end)
    if any(o is not content and sentence.start <= o.start < content.end for o in others):
        return None
    start = frame.end + 1
    while start < cue.start and text[start].isspace():
        start += 1
    return TaggedSpan("CON", start, content.end, content.paragraph), frame


def _verbs_out_of_sources(where: Runs) -> Runs:
    """The runs with a verb the tagger read as the end of a source ("an angry Hollande retaliated") as a cue.

    '"…," an angry Hollande retaliated. "…"': the quotation after it then has no tagged cue
    near, and the ranker takes a verb inside it. Only a word in the past ("-ed") or a report in
    the present, after a name and before a stop, a comma or a colon.
    """
    text = where.document.text
    sources: list[TaggedSpan] = []
    cues = list(where.cues)
    for source in where.sources:
        words = text[source.start : source.end].split()
        verb = words[-1] if len(words) >= 2 else ""
        after = text[source.end : source.end + 1]
        if (
            after in (".", ",", ":")
            and verb.isalpha()
            and verb.islower()
            and verb not in _NOT_VERBS
            and (verb.endswith("ed") or verb in _FRAME_VERBS or verb in _PRESENT_REPORTS)
            and words[-2][:1].isupper()
        ):
            start = end = source.end - len(verb)
            while end > source.start and text[end - 1].isspace():
                end -= 1
            sources.append(TaggedSpan("SRC", source.start, end, source.paragraph))
            cues.append(TaggedSpan("CUE", start, source.end, source.paragraph))
            continue
        sources.append(source)
    if len(cues) == len(where.cues):
        return where
    cues.sort(key=lambda c: (c.start, c.end))
    return Runs(where.document, cues, sources, where.contents)


#: Words that end a source run after a name without being its verb ("the Sanders campaign's
#: statements", "Fox News sources").
_NOT_VERBS = words("states sources polls surveys remarks comments statements claims plans calls")
#: Reports in the present beside :data:`_FRAME_VERBS` ("Bozell answers.", "Prager continues,"); a
#: word in -s is as often a noun in the plural ("administrations", "caucus"), as "poll" is a noun.
_PRESENT_REPORTS = words(
    "answers continues replies responds counters quips retorts agrees reports states asks adds claims"
)


def tagged_runs(spans: list[TaggedSpan], document: Document) -> Runs:
    """The tagged cues and sources, and the contents joined across stray gaps and split at new quotes."""
    cues = [s for s in spans if s.label == "CUE"]
    sources = [s for s in spans if s.label == "SRC"]
    contents = _join([s for s in spans if s.label == "CON"], cues + sources, document.text)
    index = SpanIndex(cues)
    contents = [piece for content in contents for piece in _split(content, index, document)]
    return Runs(document, cues, sources, contents)


def _sentence_pieces(span: TaggedSpan, document: Document) -> list[TaggedSpan]:
    """A tagged run read across a sentence's end, cut at it (nothing when it lies in one sentence)."""
    sentences = document.sentences_overlapping(span.start, span.end)
    if len(sentences) < 2:
        return []
    text = document.text
    pieces = []
    for sentence in sentences:
        start, end = max(span.start, sentence.start), min(span.end, sentence.end)
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        if end > start:
            pieces.append(TaggedSpan(span.label, start, end, span.paragraph))
    return pieces


def _sentence_end(span: TaggedSpan, document: Document) -> int:
    sentence = document.sentence_at(span.start)
    return sentence.end if sentence is not None else span.end


def _ranked(
    content: TaggedSpan, candidates: list[TaggedSpan], where: Runs, weights: PairWeights
) -> tuple[TaggedSpan, TaggedSpan | None]:
    """The cue and source the rankers like best together: P(cue) × P(source | cue), over the likeliest cues.

    A cue whose source is plain can win over a slightly likelier cue whose source is not.
    """
    cue_shares = log_shares(weights.cue, [cue_features(c, content, candidates, where) for c in candidates])
    order = sorted(range(len(candidates)), key=lambda i: -cue_shares[i])[:JOINT_CUES]
    best: tuple[float, TaggedSpan, list[SourceCandidate], list[float], list[bool], int] | None = None
    for i in order:
        if best is not None and cue_shares[i] <= best[0]:
            break  # (a source's log share is at most 0: this cue and the rest cannot do better)
        cue = candidates[i]
        near = where.index(where.sources, cue.paragraph).touching(
            cue.start - RANKED_SOURCE_REACH, cue.end + RANKED_SOURCE_REACH
        )
        options = source_candidates(content, cue, near, where.document)
        described = [source_features(o, cue, content, options, where) for o in options]
        shares = log_shares(weights.source, described, NOBODY_BIAS)
        passive = _passive_report(where.document.text, cue)
        allowed = [_may_speak(o, cue, passive, where.document.text) for o in options]
        j = _best(shares, allowed)
        score = cue_shares[i] + shares[j]
        if best is None or score > best[0]:
            best = (score, cue, options, shares, allowed, j)
    assert best is not None
    _, cue, options, shares, allowed, j = best
    subject = _grammar_subject(options, allowed, cue, content, where)
    if subject is not None:
        return cue, subject
    if SHARED_SUBJECT:  # (once the cue is chosen: the rule picks among its sources, not between cues)
        allowed, subject = _to_shared_subject(options, allowed, cue, content, where)
        if subject is not None:
            return cue, subject
        j = _best(shares, allowed)
    chosen = options[j].span
    if chosen is not None and WITH_ANTECEDENT:
        chosen = _with_antecedent(chosen, cue, content, where)
    return cue, chosen


def _grammar_subject(
    options: list[SourceCandidate], allowed: list[bool], cue: TaggedSpan, content: TaggedSpan, where: Runs
) -> TaggedSpan | None:
    """The source the grammar around the chosen cue names; None when no rule applies.

    Where the ranker, reading the words near the cue, goes wrong. In order: a participle's own
    subject ("footage of Hillary Clinton asking"), a progressive's ("Fowler is calling for"),
    an "each" inside the cue ("each touting"), a possessor of a noun of saying ("Trump's
    claim"), the object of "forced X to admit", and a subordinate clause's subject across an
    aside ("since Clinton, at Monday's debate, cited"). Otherwise the ranker's choice stands.
    """
    text = where.document.text
    if GERUND_SUBJECT:
        found = _gerund_subject(options, allowed, cue, content, where)
        if found is not None:
            return found
    if PROGRESSIVE_SUBJECT:
        found = _progressive_subject(options, allowed, cue, content, where)
        if found is not None:
            return found
    if QUANTIFIER_SUBJECT:
        found = _quantifier_subject(cue, text)
        if found is not None:
            return found
    if POSSESSOR:
        found = _possessor(cue, content, where)
        if found is not None:
            return found
    if OBJECT_SUBJECT:
        found = _object_subject(options, allowed, cue, content, where)
        if found is not None:
            return found
    if ASIDE_SUBJECT:
        return _subordinate_subject(options, allowed, cue, content, where)
    return None


#: A subordinate clause's subject set off from its verb by an aside: "since Clinton, at Monday's
#: debate, cited", "while Mike Huckabee, the former Arkansas governor, proposed".
_ASIDE_SUBJECT = re.compile(
    r"(?<![\w’'])(?:as|since|when|after|because|while|before|although|though|until|once|where)\s+"
    r"((?:[Hh]e|[Ss]he|[Tt]hey|[A-Z][\w’'\-]*\.?(?:\s+[A-Z][\w’'\-]*\.?){0,3}))"
    r"\s*,[^,;:.“”\"]{1,80},\s*(?:\w+ly\s+)?$"
)


def _subordinate_subject(
    options: list[SourceCandidate], allowed: list[bool], cue: TaggedSpan, content: TaggedSpan, where: Runs
) -> TaggedSpan | None:
    """The subject of the subordinate clause a cue is the verb of, across an aside in commas.

    "Trump has been targeting Machado since Clinton, at Monday's debate, cited …": the cue's
    subject follows the conjunction, and the aside keeps the ranker from seeing it next to the
    cue (it took the main clause's "Trump"). The candidate there, else the name or pronoun.
    """
    text = where.document.text
    sentence = where.document.sentence_at(cue.start)
    if sentence is None:
        return None
    found = _ASIDE_SUBJECT.search(text, max(sentence.start, cue.start - 150), cue.start)
    return _source_at(found, options, allowed, cue, content)


#: A name right before a participle, after "of" or a verb of seeing: "footage of Trump saying",
#: "shows Hess talking about".
_GERUND_SUBJECT = re.compile(
    r"(?<![\w’'])(?:of|shows?|showed|showing|hear|heard|see|saw|seen|watch|watched|featur(?:e|es|ed|ing))\s+"
    r"((?:[A-Z][\w’'\-]*\.?\s+){0,3}[A-Z][\w’'\-]*)\s+$"
)


def _gerund_subject(
    options: list[SourceCandidate], allowed: list[bool], cue: TaggedSpan, content: TaggedSpan, where: Runs
) -> TaggedSpan | None:
    """The name before a participle cue after "of" or a verb of seeing: that name's words.

    "The ad uses footage of Hillary Clinton asking, “…”": the participle has its own subject
    right before it, no comma between (the ranker took the sentence's "The ad"). The candidate
    at that name, else the name.
    """
    text = where.document.text
    first = text[cue.start : cue.end].split()[0].lower()
    if not _is_participle_word(first):
        return None
    found = _GERUND_SUBJECT.search(text, max(0, cue.start - 80), cue.start)
    return _source_at(found, options, allowed, cue, content)


#: Words that stand for one or each of a group as a participle's subject: "each touting".
_QUANTIFIERS = words("each one both")


def _quantifier_subject(cue: TaggedSpan, text: str) -> TaggedSpan | None:
    """The "each" or "one" the tagger took into a participle cue: that word is its subject.

    "Donald Trump and Hillary Clinton vied for the title …, each touting their own experience"
    (cue "each touting"), "postings that included one saying that …" (cue "included one
    saying"): the participle's own subject stands in the cue; the ranker, which looks outside
    it, took the sentence's subject or the clause before.
    """
    said = text[cue.start : cue.end].split()
    if (
        len(said) < 2
        or said[-2].lower() not in _QUANTIFIERS
        or not _is_participle_word(said[-1].lower().strip(",.;:"))
    ):
        return None
    at = cue.start + text[cue.start : cue.end].rindex(said[-2])
    return TaggedSpan("SRC", at, at + len(said[-2]), cue.paragraph)


def _is_participle_word(low: str) -> bool:
    """Whether a lower-cased word is a participle ("touting", not "according" or "king")."""
    return low.endswith("ing") and len(low) > 4 and low not in ("according", "including", "during")


def _source_at(
    found: re.Match[str] | None,
    options: list[SourceCandidate],
    allowed: list[bool],
    cue: TaggedSpan,
    content: TaggedSpan,
) -> TaggedSpan | None:
    """The source a grammar rule's match names: the allowed candidate at its start, else its words.

    Nothing when the rule did not match or its words lie inside the content they would speak.
    """
    if found is None or content.start <= found.start(1) < content.end:
        return None
    start = found.start(1)
    for option, ok in zip(options, allowed, strict=True):
        if ok and option.span is not None and option.span.start <= start < option.span.end:
            return option.span
    return TaggedSpan("SRC", start, found.end(1), cue.paragraph)


#: Nouns of saying that a possessive before them names the sayer of: "Trump's claim", "her vow".
_NOUN_CUES = words(
    """
    claim claims report reports statement statements remark remarks comment comments assertion
    assertions promise promises pledge pledges plan plans proposal proposals call calls warning warnings
    estimate estimates view views argument arguments accusation accusations allegation allegations
    criticism insistence suggestion suggestions prediction predictions announcement description
    contention charge charges demand demands denial denials complaint complaints vow vows
    """
)
#: A possessive right before the cue: "Trump's ", "Mr. Trump's ", "his ".
_POSSESSOR = re.compile(
    r"(?<![\w’'])((?:[A-Z][\w\-.]*\s+){0,3}[A-Z][\w\-.]*[’']s|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts)\s$"
)


def _possessor(cue: TaggedSpan, content: TaggedSpan, where: Runs) -> TaggedSpan | None:
    """The possessive before a cue that is one noun of saying: whose claim, report or vow it is.

    "Politifact seized on Trump's claim that there have been …": Trump claims; the sentence's
    subject (the ranker's choice) only speaks of the claim. Only for a cue of one word among
    :data:`_NOUN_CUES` with the possessive right before it.
    """
    text = where.document.text
    said = text[cue.start : cue.end].split()
    if len(said) != 1 or said[0].lower() not in _NOUN_CUES:
        return None
    found = _POSSESSOR.search(text, max(0, cue.start - 60), cue.start)
    if found is None or content.start <= found.start(1) < content.end:
        return None
    start = found.start(1)
    for word in found.group(1).split()[:-1]:  # "On Trump's", "Despite Mr. Trump's": not the name's
        if word.lower() not in _NOT_SUBJECTS and word.lower() not in _NOT_PHRASES and not word.endswith("."):
            break
        if word.endswith(".") and word.lower() in (
            "mr.",
            "mrs.",
            "ms.",
            "dr.",
            "sen.",
            "gov.",
            "rep.",
            "gen.",
        ):
            break
        start = text.index(word, start) + len(word)
        while text[start].isspace():
            start += 1
    return TaggedSpan("SRC", start, found.end(1), cue.paragraph)


def _progressive_subject(
    options: list[SourceCandidate], allowed: list[bool], cue: TaggedSpan, content: TaggedSpan, where: Runs
) -> TaggedSpan | None:
    """The subject of "is"/"was" when the tagger left the auxiliary out of a participle cue.

    "The first sentence has been clarified to reflect that Fowler is calling for a process …,
    not that he is calling for …": the cue "calling for" has its subject before "is" (the ranker
    took the sentence's "The first sentence", or nobody). The candidate there, else the words.
    """
    text = where.document.text
    first = text[cue.start : cue.end].split()[0].lower()
    if not _is_participle_word(first):
        return None
    found = _PROGRESSIVE.search(text, max(0, cue.start - 80), cue.start)
    if found is not None and found.group(1).split()[0].lower() in _NOT_SUBJECTS:
        return None
    return _source_at(found, options, allowed, cue, content)


#: A verb whose object does what follows "to": "forced Stumpf to admit", "urged them to reject".
_OBJECT_CONTROL = re.compile(
    r"(?<![\w’'])(?:forc(?:e|es|ed|ing)|ask(?:s|ed|ing)?|urg(?:e|es|ed|ing)|press(?:es|ed|ing)?|tell(?:s|ing)?|told|"
    r"challeng(?:e|es|ed|ing)|invit(?:e|es|ed|ing)|encourag(?:e|es|ed|ing)|push(?:es|ed|ing)?|dar(?:e|es|ed|ing)|"
    r"implor(?:e|es|ed|ing)|begg?(?:s|ed|ing)?|prompt(?:s|ed|ing)?)\s+"
    r"((?:him|her|them|us|me|(?:[Tt]he|[Hh]is|[Hh]er|[Tt]heir)\s+[\w’'\-]+(?:\s+[\w’'\-]+)?|[A-Z][\w’'\-]*\.?(?:\s+[A-Z][\w’'\-]*\.?){0,3}))"
    r"(?:\s*,[^,;:.“”\"]{1,120},)?\s*(?:to\s+)?$"
)


def _object_subject(
    options: list[SourceCandidate], allowed: list[bool], cue: TaggedSpan, content: TaggedSpan, where: Runs
) -> TaggedSpan | None:
    """The object of a verb like "forced" or "urged" as the source of the cue after its "to".

    "The Democratic senator also forced Stumpf, who was under questioning …, to admit that …":
    Stumpf admits, not the senator (the ranker took the sentence's subject). The candidate at
    the object, else the object's words (a name, a pronoun, a short description).
    """
    text = where.document.text
    first = text[cue.start : cue.end].split()[0].lower()
    if first != "to" and not text[max(0, cue.start - 4) : cue.start].lower().endswith("to "):
        return None
    sentence = where.document.sentence_at(cue.start)
    if sentence is None:
        return None
    found = _OBJECT_CONTROL.search(text, max(sentence.start, cue.start - 200), cue.start)
    return _source_at(found, options, allowed, cue, content)


#: A relative clause's opening: "who watched …", "whose coalition includes …".
_RELATIVE_OPENING = re.compile(r"(?:who|which|whose)\s+\S", re.IGNORECASE)


def _with_antecedent(source: TaggedSpan, cue: TaggedSpan, content: TaggedSpan, where: Runs) -> TaggedSpan:
    """A relative clause chosen as the source, taken with the subject it describes.

    "Donna Sampson Rawlings, 59, of Ashton, Md., who watched the ceremony on a screen, said …":
    the ranker may take the clause ("who watched …,") for the source; the one who speaks is
    the subject it hangs on, which PolNeAR marks, often with the clause. Only for a clause after
    a comma that closes right before the cue (or with a comma), when the cue's clause subject
    (:func:`claimx.offline.clauses.subject_start`) starts before it outside the content.
    """
    text = where.document.text
    if not _RELATIVE_OPENING.match(text, source.start, source.end):
        return source
    closed = not text[source.end : cue.start].strip() or text[source.start : cue.start].rstrip().endswith(",")
    if not closed or not text[max(0, source.start - 5) : source.start].rstrip().endswith(","):
        return source
    start = subject_start(where.document, cue, _cues_before(cue, where))
    if start is None or start >= source.start or content.start <= start < content.end:
        return source
    if content.start < source.start and start < content.end:
        return source  # (the content lies between them)
    return TaggedSpan("SRC", start, source.end, source.paragraph)


def _cues_before(cue: TaggedSpan, where: Runs) -> list[TaggedSpan]:
    """The cues of a cue's paragraph that :func:`subject_start` may read: those from its sentence to it.

    (It passes over cues before the sentence or after the cue; the paragraph's others are not read.)
    """
    sentence = where.document.sentence_at(cue.start)
    if sentence is None:
        return []
    return where.index(where.cues, cue.paragraph).starting(sentence.start, cue.start)


def _best(shares: list[float], allowed: list[bool]) -> int:
    """The allowed candidate with the highest share (the first among equals)."""
    return max(range(len(shares)), key=lambda k: (shares[k] if allowed[k] else -math.inf, -k))


#: Words that open a sentence without naming anyone: a source candidate made of them alone
#: ("But don't expect", "Nor is it clear", "Rather than moralize", "Why", "Whatever",
#: "Similarly", "There's") is no one.
_NO_ONE = words(
    """
    but and nor or yet so still then now also rather than in after before since while when if though
    although however instead meanwhile indeed even just once
    why how what whatever whenever wherever whoever similarly likewise much there's it's that's here's
    what's
    """
)


#: "He has been harshly criticized for …", "Mr. Quiros was accused of …": a reporting or judging
#: verb in the passive. Its subject is who is spoken of; who speaks is named after it ("by some of
#: his rivals") or not at all (PolNeAR train and dev: 4 of 170 such cues have their source before
#: them). "Is quoted as saying" and "is reported to have called" are left out: their subject speaks.
_PASSIVE_REPORT = re.compile(
    r"\b(?:is|was|are|were|be|been|being)\s+(?:\w+ly\s+)?(?:criticized|criticised|accused|blamed|"
    r"mentioned|asked|questioned|described|considered|seen|viewed|credited|praised|condemned|attacked|"
    r"charged|cited|told|rumored|rumoured|thought|believed|known|deemed|regarded|labeled|labelled|"
    r"dubbed|touted|urged|pressed|faulted|slammed|lambasted|derided|ridiculed|mocked|warned|alleged|said)\b"
)


#: "Trump has faced questions about …", "came under withering criticism for …": the same, as a noun.
_FACED = re.compile(
    r"\b(?:fac(?:e|es|ed|ing)|c[oa]me\s+under|coming\s+under)\s+(?:[\w-]+\s+){0,2}(?:criticism|questions|"
    r"accusations|allegations|backlash|doubts|calls|attacks|scrutiny|pressure|complaints|charges|"
    r"condemnation|fire|ridicule)\b"
)


def _passive_report(text: str, cue: TaggedSpan) -> bool:
    """Whether the cue is (or ends) a reporting verb in the passive, or criticism its subject faces.

    The auxiliary ("has been") or the verb ("has faced") may lie before the tagged cue.
    """
    start = max(0, cue.start - 40)
    low = text[start : cue.end].lower()  # (the regexes' \b sees the window's edge as a word's)
    return any(
        m.end() > cue.start - start for pattern in (_PASSIVE_REPORT, _FACED) for m in pattern.finditer(low)
    )


def _may_speak(option: SourceCandidate, cue: TaggedSpan, passive: bool, text: str) -> bool:
    """Whether the ranker's candidate may be chosen: someone named, and not a passive cue's subject."""
    if option.span is not None and passive and option.span.end <= cue.start:
        return False
    return _names_someone(option, text)


def _shared_subject(cue: TaggedSpan, content: TaggedSpan, where: Runs) -> int | None:
    """Where the subject a participle or a joined verb shares begins (:mod:`claimx.offline.clauses`).

    ", saying …" and "and argued …" take the subject of the clause before them; "After blasting
    the report, Beck …" the subject of the clause after the comma. None: not such a cue, or the
    words do not tell.
    """
    start = None
    if shares_subject(where.document.text, cue):
        start = subject_start(where.document, cue, _cues_before(cue, where))
    if start is None and OPENING_PARTICIPLE and opens_sentence(where.document, cue):
        start = subject_after(where.document, cue, content)
    return start


def _to_shared_subject(
    options: list[SourceCandidate], allowed: list[bool], cue: TaggedSpan, content: TaggedSpan, where: Runs
) -> tuple[list[bool], TaggedSpan | None]:
    """The candidates at the subject a participle or a joined verb shares, when one is found.

    Such a cue has no subject of its own; the ranker would often take the object before it or a
    word of an opening adverbial. When no candidate starts there, the noun phrase there is returned.
    """
    start = _shared_subject(cue, content, where)
    if start is None:
        return allowed, None
    at_subject = [
        ok and o.span is not None and o.span.start <= start < o.span.end
        for o, ok in zip(options, allowed, strict=True)
    ]
    if any(at_subject):
        return at_subject, None
    found = _PHRASE.match(where.document.text, start)
    if NEW_SUBJECTS and found is not None and not (content.start <= start < content.end):
        span = TaggedSpan("SRC", found.start(), found.end(), cue.paragraph)
        passive = _passive_report(where.document.text, cue)
        if _may_speak(SourceCandidate(span, frozenset()), cue, passive, where.document.text):
            return allowed, span
    return allowed, None


def _names_someone(option: SourceCandidate, text: str) -> bool:
    """Whether a source candidate may name someone: "nobody", or words other than connectives alone."""
    if option.span is None:
        return True
    return any(
        w.strip(",.;:“”\"‘’'").lower() not in _NO_ONE
        for w in text[option.span.start : option.span.end].split()
    )


def cue_candidates(content: TaggedSpan, cues: list[TaggedSpan]) -> list[TaggedSpan]:
    """The cues that may be a content's: the tagged ones in its paragraph, within reach."""
    return [c for c in cues if c.paragraph == content.paragraph and c.gap(content) <= CUE_REACH]


def _nearest_cue(
    content: TaggedSpan, candidates: list[TaggedSpan], where: Runs, text: str
) -> TaggedSpan | None:
    """The rules' cue: the same sentence first, "according to" first, then the nearest."""
    home = {s.number for s in where.document.sentences_overlapping(content.start, content.end)}
    return min(
        candidates,
        key=lambda c: (where.sentence(c.start) not in home, not _according(text, c), c.gap(content)),
        default=None,
    )


def _nearest_source(
    content: TaggedSpan, cue: TaggedSpan | None, sources: list[TaggedSpan], where: Runs
) -> TaggedSpan | None:
    """The rules' source: the tagged source nearest the cue (or the content), its sentence first."""
    anchor = cue or content
    near = [
        s
        for s in sources
        if s.paragraph == anchor.paragraph
        and s.gap(anchor) <= SOURCE_REACH
        and not (content.start <= s.start < content.end)
    ]
    anchor_sentence = where.sentence(anchor.start)
    return min(
        near,
        key=lambda s: (
            where.sentence(s.start) != anchor_sentence,
            s.gap(anchor),
            s.start > anchor.start,
        ),
        default=None,
    )


def source_candidates(
    content: TaggedSpan, cue: TaggedSpan, sources: list[TaggedSpan], document: Document
) -> list[SourceCandidate]:
    """Who may speak at a cue: tagged sources within reach, the subjects the rules read, nobody."""
    kinds: dict[TaggedSpan, set[str]] = {}
    for s in sources:
        if (
            s.paragraph == cue.paragraph
            and s.gap(cue) <= RANKED_SOURCE_REACH
            and not (content.start <= s.start < content.end)
        ):
            kinds.setdefault(s, set()).add("tagged")
            for piece in _sentence_pieces(s, document):  # "show insiders. They": the part by the cue
                if piece.start <= cue.start < _sentence_end(piece, document) or piece.start >= cue.end:
                    kinds.setdefault(piece, set()).add("piece")
    by_rule = _source_by_rule(document.text, cue, content)
    if by_rule is not None:
        kinds.setdefault(by_rule, set()).add("before" if by_rule.end <= cue.start else "after")
    subject = _sentence_subject(document, cue, content)
    if subject is not None:
        kinds.setdefault(subject, set()).add("subject")
    sentence = document.sentence_at(cue.start)
    if sentence is not None and RANKED_PHRASES:
        first = True
        for found in _PHRASE.finditer(document.text, sentence.start, cue.start):
            head = found.group(0).split()[0]
            if head[0].isupper() and (head.lower() in _NOT_SUBJECTS or head.lower() in _NOT_PHRASES):
                continue
            span = TaggedSpan("SRC", found.start(), found.end(), cue.paragraph)
            if content.start <= span.start < content.end:
                continue
            kinds.setdefault(span, set()).update({"phrase", "first"} if first else {"phrase"})
            first = False
        # "Mook further asserted", "In a statement announcing": a name the tagger took into the cue.
        inside = _PHRASE.search(document.text, cue.start, cue.end)
        if inside is not None and inside.end() < cue.end:
            span = TaggedSpan("SRC", inside.start(), inside.end(), cue.paragraph)
            kinds.setdefault(span, set()).add("in_cue")
        # "…," said 9/11 widow Terry Strada: the name after the cue, even where the tagger saw content.
        end = min(sentence.end, cue.end + 60)
        after = _PHRASE.search(document.text, cue.end, end)
        if after is not None and not (content.start <= after.start() < content.end):
            span = TaggedSpan("SRC", after.start(), after.end(), cue.paragraph)
            kinds.setdefault(span, set()).add("next_phrase")
    ordered = sorted(kinds, key=lambda s: (s.start, s.end))
    return [SourceCandidate(s, frozenset(kinds[s])) for s in ordered] + [SourceCandidate(None, frozenset())]


def _opens_quotation(text: str, span: TaggedSpan) -> bool:
    """Whether a content begins a quotation (its mark inside it, or just before it)."""
    return (
        text[span.start : span.start + 1] in _OPENING or text[max(0, span.start - 1) : span.start] in _OPENING
    )


#: A reporting participle between a frame and the quotation it introduces (", adding later, ").
_ADDING = re.compile(
    r",\s+((?:adding|noting|saying|explaining|continuing|insisting|arguing|asking|warning)"
    r"(?:\s+(?:later|then|that|\w+ly))?)\s*[,:]?\s*[“\"‘']?$"
)


def _around_their_cue(attributions: list[Attribution], text: str) -> list[Attribution]:
    """Contents on both sides of one cue and source are one statement (`"A," X said. "B."`).

    Newspapers quote a speaker, name them, and go on quoting; PolNeAR (like readers) takes
    it as one attribution, whose content runs around the source and the cue. Not when a
    reporting participle introduces the second quotation ('"A," Trump said, adding later,
    "B."'): that is a second report, cued by the participle.
    """
    out: list[Attribution] = []
    for att in attributions:
        last = out[-1] if out else None
        adding = (
            _ADDING.search(text, att.cue.end, att.content.start)
            if ADDING_CUES and att.cue is not None and att.cue.end <= att.content.start
            else None
        )
        if adding is not None and last is not None and att.cue is last.cue:
            # ('"A," Trump said, adding later, "B."': "adding later" is B's own cue, as PolNeAR marks it)
            cue = TaggedSpan("CUE", adding.start(1), adding.end(1), att.content.paragraph)
            out.append(Attribution(att.content, cue, att.source, nobody=att.nobody))
            continue
        if (
            last is not None
            and att.cue is not None
            and att.cue is last.cue
            and att.source is last.source
            and att.content.paragraph == last.content.paragraph
            and last.content.end <= att.cue.start
            and att.cue.end <= att.content.start
            and _opens_quotation(text, att.content)
        ):
            pieces = (last.pieces or (last.content,)) + (att.content,)
            span = TaggedSpan("CON", pieces[0].start, att.content.end, att.content.paragraph)
            out[-1] = Attribution(span, att.cue, att.source, pieces, nobody=att.nobody)
            continue
        out.append(att)
    return out


_NAME = r"[A-Z][\w'’\-]*\.?(?:\s+[A-Z][\w'’\-]*\.?){0,3}"
_SUBJECT = r"(?:he|she|they|He|She|They|I|We|we|[Tt]he\s+[a-z]+(?:\s+[a-z]+)?|" + _NAME + ")"
#: The subject of a progressive before its participle: "Fowler is calling for", "he was still saying".
_PROGRESSIVE = re.compile(
    rf"(?<![\w’'])({_SUBJECT})\s+(?:is|was|are|were|has\s+been|have\s+been|had\s+been)\s+(?:(?:also|still|now|not|already|\w+ly)\s+)?$"
)


_BEFORE_CUE = re.compile(rf"(?<![\w’'])({_SUBJECT})\s+(?:has\s+|had\s+|have\s+|also\s+|later\s+|then\s+)?$")
_AFTER_CUE = re.compile(rf"^\s+({_SUBJECT})(?=[\s,.;:])")


def _source_by_rule(text: str, cue: TaggedSpan, content: TaggedSpan) -> TaggedSpan | None:
    """The subject right before the cue ("Smith said"), or right after it ("said Smith")."""
    before = _BEFORE_CUE.search(text, max(0, cue.start - 60), cue.start)
    if before is not None and not (content.start <= before.start(1) < content.end):
        return TaggedSpan("SRC", before.start(1), before.end(1), cue.paragraph)
    after = _AFTER_CUE.match(text[cue.end : cue.end + 60])
    if after is not None and not (content.start <= cue.end + after.start(1) < content.end):
        return TaggedSpan("SRC", cue.end + after.start(1), cue.end + after.end(1), cue.paragraph)
    return None


_OPENER = r"(?:(?:But|And|Yet|So|Still|Meanwhile|However|Instead|Now|Later|Then|Earlier),?\s+)?"
#: The subject opening a sentence, an appositive after it ("X, who …,"), then at most three
#: lower-case words (auxiliaries, adverbs) before the cue.
_SENTENCE_SUBJECT = re.compile(
    rf"\s*[“\"‘']?{_OPENER}({_SUBJECT})(?:\s*,\s*(?:who|a|an|the|which)\b[^.;:!?]*?,)?(?:\s+[a-z]+){{0,3}}\s*$"
)
#: Capitalised words that open sentences without naming anyone.
_NOT_SUBJECTS = words(
    """
    if in on at after before when while as it it's its here here's there there's this that these those
    nor yes no not what why how who where keeps for from with by of to during since until although though
    because once one some many most all both each every another other such despite under over
    """
)


#: A noun phrase that may name a speaker: a pronoun, a name, a short description.
_PHRASE = re.compile(
    r"(?<![\w’'])(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t|[Ww]e|I|who|which|"
    r"(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts|[Tt]wo|[Ss]everal|[Mm]any|[Ss]ome|[Aa]nother)"
    r"(?:\s+(?!(?:of|to|that|who|and|in|on|for|with|has|had|is|was)\b)[\w’'\-]+){1,3}|"
    + _NAME
    + r")(?![\w’'])"
)


#: Capitalised words opening a phrase that names no one: connectives, days and months.
_NOT_PHRASES = words(
    """
    but and yet so or still however meanwhile worse better instead indeed rather also even just
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december
    """
)


def _sentence_subject(document: Document, cue: TaggedSpan, content: TaggedSpan) -> TaggedSpan | None:
    """The subject opening the cue's sentence: "Christie, who …, blasted", "All agreed"."""
    sentence = document.sentence_at(cue.start)
    if sentence is None or sentence.start >= cue.start:
        return None
    found = _SENTENCE_SUBJECT.match(document.text, sentence.start, cue.start)
    if found is None or content.start <= found.start(1) < content.end:
        return None
    if found.group(1).split()[0].lower() in _NOT_SUBJECTS:
        return None
    return TaggedSpan("SRC", found.start(1), found.end(1), cue.paragraph)


#: "“…” ― Jorge Falcon": a dash after a quotation, then the name.
_DASH_NAME = re.compile(r"[\s,.”\"’]*([―—])\s*([A-Z][\w'’\-]*\.?(?:\s+[A-Z][\w'’\-]*\.?){0,3})")
#: "WALLACE: …": a transcript's speaker in capitals before a colon, opening the paragraph.
_TRANSCRIPT = re.compile(r"[\s\"“]*([A-Z][A-Z.'’\-]+(?:\s+[A-Z][A-Z.'’\-]+){0,2})(:)")
#: "Caddell continued:": a paragraph announcing the quotation of the next one.
_ANNOUNCING = re.compile(
    rf"\s*[“\"‘']?{_OPENER}({_SUBJECT})(?:\s*,[^.;:!?“”\"]*?,)?\s+((?:[a-z]+\s+){{0,2}}[a-z]+:)\s*$"
)


def _frame_by_rule(document: Document, content: TaggedSpan) -> tuple[TaggedSpan | None, TaggedSpan | None]:
    """A cue and source the tagger left out, from the layout around a content.

    A dash after the quotation, a transcript's "NAME:", or the paragraph before ending
    "X continued:".
    """
    text = document.text
    dash = _DASH_NAME.match(text, content.end, content.end + 80)
    if dash is not None and "\n" not in text[content.end : dash.start(1)]:
        return (
            TaggedSpan("CUE", dash.start(1), dash.end(1), content.paragraph),
            TaggedSpan("SRC", dash.start(2), dash.end(2), content.paragraph),
        )
    line_start = text.rfind("\n", 0, content.start) + 1
    said = _TRANSCRIPT.match(text, line_start, content.start)
    if said is not None:
        return (
            TaggedSpan("CUE", said.start(2), said.end(2), content.paragraph),
            TaggedSpan("SRC", said.start(1), said.end(1), content.paragraph),
        )
    if text[line_start : content.start].strip(" \"“‘'"):
        return None, None
    previous_end = line_start  # (the end of text[:line_start].rstrip(), without copying all before it)
    while previous_end > 0 and text[previous_end - 1].isspace():
        previous_end -= 1
    previous_start = text.rfind("\n", 0, previous_end) + 1
    sentence = document.sentence_at(max(previous_start, previous_end - 1))
    start = max(previous_start, sentence.start) if sentence is not None else previous_start
    announced = _ANNOUNCING.match(text, start, previous_end)
    if announced is not None:
        return (
            TaggedSpan("CUE", announced.start(2), announced.end(2), content.paragraph - 1),
            TaggedSpan("SRC", announced.start(1), announced.end(1), content.paragraph - 1),
        )
    return None, None


def _announced(document: Document) -> dict[int, Turn]:
    """The paragraphs announced by the one before ("The governor added:"), by their number.

    The tagger reads the verbs inside such a paragraph ("She knows nothing …") as its cues;
    PolNeAR, like a reader, has the announcer say it all. Only an announcing verb that reports
    (:data:`CUE_WORDS`): "Like the page:" announces nothing.
    """
    text = document.text
    found: dict[int, Turn] = {}
    lines = list(paragraphs(text))
    for number in range(1, len(lines)):
        previous_start, previous_end = lines[number - 1]
        while previous_end > previous_start and text[previous_end - 1].isspace():
            previous_end -= 1
        sentence = document.sentence_at(max(previous_start, previous_end - 1))
        start = max(previous_start, sentence.start) if sentence is not None else previous_start
        announced = _ANNOUNCING.match(text, start, previous_end)
        if announced is None or announced.group(2).split()[-1].rstrip(":") not in CUE_WORDS:
            continue
        line_start, line_end = lines[number]
        while line_start < line_end and text[line_start].isspace():
            line_start += 1
        found[number] = Turn(
            source=TaggedSpan("SRC", announced.start(1), announced.end(1), number - 1),
            cue=TaggedSpan("CUE", announced.start(2), announced.end(2), number - 1),
            start=line_start,
            paragraph=number,
        )
    return found


#: A paragraph that is a quotation signed after a dash: '“…” ― Veronica Cruz', '"…" — Jorge Falcon.'
#: (its opening mark may be a closing one, a slip of the keyboard: '”Mr. Trump's performance …')
_SIGNED = re.compile(
    r"[“”\"‘']\S.*[”\"’'][\s.,]*([―—])\s*([A-Z][\w'’\-]*\.?(?:\s+[A-Z][\w'’\-]*\.?){0,3})[\s.]*"
)


def _signed(document: Document) -> dict[int, Turn]:
    """The paragraphs that are one quotation signed after a dash, by their number.

    The tagger reads verbs inside such a quotation ("He is very confident of himself") as cues;
    :func:`_frame_by_rule` reads the signature only for a content with no cue.
    """
    text = document.text
    found: dict[int, Turn] = {}
    for number, (start, end) in enumerate(paragraphs(text)):
        while start < end and text[start].isspace():
            start += 1
        signed = _SIGNED.fullmatch(text, start, end)
        if signed is not None:
            found[number] = Turn(
                source=TaggedSpan("SRC", signed.start(2), signed.end(2), number),
                cue=TaggedSpan("CUE", signed.start(1), signed.end(1), number),
                start=start,
                paragraph=number,
            )
    return found


#: A headline opened by a name of two to four capitalised words and a colon ("Pat Caddell:",
#: "Wash Post Fact-Check:"; not "The Latest:", a label, or one word: "Obama: Families … Don't
#: Care About Politics" reports the families).
_TITLED = re.compile(r"(?!The\s)([A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){1,3})(:)\s+\S")


def _titled(document: Document) -> dict[int, Turn]:
    """The article's headline when a name opens it before a colon, as the turn of that name."""
    text = document.text
    first = next(paragraphs(text), None)
    found = _TITLED.match(text, *first) if first is not None else None
    if found is None or any(w.isupper() and len(w) > 2 for w in found.group(1).split()):
        return {}  # (words in capitals are a label: "FIX IS IN:", "HUFFPOLLSTER:")
    return {
        0: Turn(
            source=TaggedSpan("SRC", found.start(1), found.end(1), 0),
            cue=TaggedSpan("CUE", found.start(2), found.end(2), 0),
            start=found.end() - 1,
            paragraph=0,
        )
    }


def _before_signature(dash: int, start: int, end: int) -> int:
    """Where a signed quotation's content ends: at its own end, or before the dash when it ran on."""
    return end if end <= dash else max(start + 1, dash - 1)


def _split(content: TaggedSpan, cues: SpanIndex, document: Document) -> list[TaggedSpan]:
    """A content run cut where a new quotation opens a sentence with a cue of its own.

    That sentence is another statement: "… to resume dialogue. "We hope …," the ambassador said."
    """
    pieces = [content]
    for sentence in document.sentences_overlapping(content.start, content.end)[1:]:
        last = pieces[-1]
        if not (last.start < sentence.start < last.end):
            continue
        opens_quote = document.text[sentence.start : sentence.start + 1] in _OPENING
        own_cue = opens_quote and any(
            sentence.start <= c.start < sentence.end and not (content.start <= c.start < content.end)
            for c in cues.starting(sentence.start, sentence.end)
        )
        if own_cue:
            pieces[-1] = TaggedSpan("CON", last.start, sentence.start, last.paragraph)
            pieces.append(TaggedSpan("CON", sentence.start, last.end, last.paragraph))
    return [p for p in pieces if p.end > p.start]


def mode_of(quote: str) -> Mode:
    """Direct when the content is one quotation, mixed when it holds one, else indirect."""
    stripped = quote.strip().rstrip(".,;:")
    inner = stripped[1:-1]
    quoted = len(stripped) > 2 and stripped[0] in _OPENING and stripped[-1] in _CLOSING
    if quoted and not any(q in inner for q in '“”"'):
        return Mode.DIRECT
    if any(q in quote for q in '“”"'):
        return Mode.MIXED
    return Mode.INDIRECT


def _mode(quote: str, pieces: list[str]) -> Mode:
    """A statement's mode; quoted pieces around their cue are one direct quotation."""
    if pieces and all(mode_of(p) is Mode.DIRECT for p in pieces):
        return Mode.DIRECT
    return mode_of(quote)


class _Recent:
    """The speakers of the statements so far: the last one in a paragraph, or from a paragraph on.

    (Asked for each statement without a source: a scan of all statements before made a long
    paragraph quadratic.)
    """

    def __init__(self) -> None:
        self._in: dict[int, Speaker] = {}
        # The speakers no later one's paragraph reaches or passes: paragraphs fall toward the top.
        self._stack: list[tuple[int, Speaker]] = []

    def add(self, paragraph: int, speaker: Speaker) -> None:
        """A statement's speaker, in statement order."""
        self._in[paragraph] = speaker
        while self._stack and self._stack[-1][0] <= paragraph:
            self._stack.pop()  # (this one is later and reaches as far: it answers for them)
        self._stack.append((paragraph, speaker))

    def last_in(self, paragraph: int) -> Speaker | None:
        """The last speaker of a statement in ``paragraph``."""
        return self._in.get(paragraph)

    def last_from(self, paragraph: int) -> Speaker | None:
        """The last speaker of a statement in ``paragraph`` or a later one."""
        for number, speaker in reversed(self._stack):
            if number >= paragraph:
                return speaker
        return None


def assemble(
    attributions: list[Attribution], document: Document
) -> tuple[list[StatementItem], list[ActorItem], list[Speaker | None]]:
    """The statements and actors of a response, and each statement's speaker (None: the article)."""
    text = document.text
    resolver = Resolver(document)
    statements: list[StatementItem] = []
    speakers: list[Speaker | None] = []
    recent = _Recent()
    for att in attributions:
        content = att.content
        quote = text[content.start : content.end]
        pieces = [text[p.start : p.end] for p in att.pieces]
        if pieces:  # (the grounder reads an ellipsis as the gap that holds the source and cue)
            quote = " ... ".join(pieces)
        if not any(c.isalnum() for c in quote):  # a stray quotation mark tagged as content
            continue
        labels = [s.label for s in document.sentences_overlapping(content.start, content.end)]
        if not labels:
            continue
        speaker = None
        words = None
        if att.source is not None:
            words = text[att.source.start : att.source.end]
            speaker = resolver.resolve(words, att.source.start)
        elif att.nobody:
            pass  # the ranker's "nobody": no earlier speaker stands in
        elif SPEAKERLESS_TO_PREVIOUS and (att.cue is not None or SPEAKERLESS_ALL):
            # A cue with no source in reach: most often the speaker of the paragraph so far.
            speaker = recent.last_in(content.paragraph)
            if speaker is None and SPEAKERLESS_ALL:
                speaker = recent.last_from(content.paragraph - PARAGRAPHS_BACK)
        cue = text[att.cue.start : att.cue.end] if att.cue is not None else None
        # A cue whose source the rules cannot find: said by someone, not by the article.
        unnamed = speaker is None and att.cue is not None and CUED_WITHOUT_SOURCE_UNNAMED
        statements.append(
            StatementItem(
                sentences=labels,
                quote=quote,
                speaker=speaker.name if speaker else (None if unnamed else AUTHOR),
                speaker_words=words if speaker else None,
                cue=cue if speaker or unnamed else None,
                mode=_mode(quote, pieces) if speaker or unnamed else Mode.AUTHOR,
                claim="",
                kind=ClaimKind.OTHER,
            )
        )
        speakers.append(speaker)
        if speaker is not None:
            recent.add(content.paragraph, speaker)
    actors = [
        ActorItem(
            name=s.name,
            kind=ActorKind.PERSON if s.person and len(s.name.split()) >= 2 else ActorKind.OTHER,
            role=s.role,
            mentions=sorted(v for v in s.variants if v != s.name),
        )
        for s in resolver.speakers
    ]
    return statements, actors, speakers
