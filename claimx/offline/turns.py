"""A transcript's turns: "WALLACE: …", "PENCE: …", "Q: …", "A: …", each said by the name before its colon.

An interview printed as a transcript gives each paragraph to the speaker named in capitals at
its start. PolNeAR marks the colon as the cue and the whole turn as the content, whatever
verbs the turn holds ("After the Clinton camp announced that …", "as the Journal wrote, it
shows …"); the tagger and the cue ranker, reading words, take such a verb as the cue and its
clause as the content, and they often tag the name itself as content ('"WALLACE: If I may
…' then has no cue at all). Only an article with two turns or more is read as a transcript: a
single "CLARIFICATION:" opening a paragraph names no one, nor does "UPDATE:" ever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from claimx.document import Document
from claimx.offline.features import paragraphs, words
from claimx.offline.tagger import TaggedSpan

__all__ = ["Turn", "transcript_turns"]

#: A speaker in capitals opening a line, then a colon: 'WALLACE:', '"PENCE:', 'JAKE TAPPER:', 'Q:'.
_MARKER = re.compile(r"[\s\"“]*([A-Z][A-Z.'’\-]*[A-Z](?:\s+[A-Z][A-Z.'’\-]*[A-Z]){0,2})(:)[ \t]*")
#: Labels in capitals that name no speaker ("UPDATE: The campaign said …").
_NOT_SPEAKERS = words(
    """
    update updated correction clarification editor's editors note breaking watch read related video
    photos photo advertisement source sources warning exclusive live transcript
    """
)
#: A transcript has at least this many turns.
MIN_TURNS = 2


@dataclass(frozen=True)
class Turn:
    """One speaker's turn: the name, its colon (the cue), where its words start, and its paragraph."""

    source: TaggedSpan
    cue: TaggedSpan
    start: int
    paragraph: int


def transcript_turns(document: Document) -> dict[int, Turn]:
    """The turns of a transcript by their paragraph number (nothing when the article is none).

    Paragraphs are numbered as the tagger numbers them (its non-blank lines).
    """
    text = document.text
    turns: dict[int, Turn] = {}
    for number, (start, end) in enumerate(paragraphs(text)):
        found = _MARKER.match(text, start, end)
        if found is None or found.end() >= end or found.group(1).split()[0].lower() in _NOT_SPEAKERS:
            continue
        turns[number] = Turn(
            source=TaggedSpan("SRC", found.start(1), found.end(1), number),
            cue=TaggedSpan("CUE", found.start(2), found.end(2), number),
            start=found.end(),
            paragraph=number,
        )
    return turns if len(turns) >= MIN_TURNS else {}
