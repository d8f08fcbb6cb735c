"""The subject a participle or a second verb shares with its clause: ", saying …", "and argued …".

"Trump returned the compliment to Adelson, telling Reuters …", "Earlier Wednesday, Schilling
appeared on a show and defended himself …": a cue that opens a participle clause after a comma,
or a verb joined to the one before it by "and" or "but", has no subject of its own; it takes the
subject of the clause it hangs on. The ranker, reading words near the cue, often takes an
object ("the compliment", "Adelson") or a word of an opening adverbial ("Earlier Wednesday",
"Speaking", "Ultimately") instead. This module finds that subject from the words alone: the
start of the clause (after a quotation or a reporting frame before the cue, a dateline,
connectives and an opening adverbial up to its comma), where the subject begins. A participle
that opens its sentence ("After blasting the report for its errors, Glenn Beck doubled down")
takes the subject after its comma. No parser: word lists and punctuation, so a clause read
wrong gives None and the ranker decides.
"""

from __future__ import annotations

import re

from claimx.document import Document
from claimx.offline.features import words
from claimx.offline.tagger import TaggedSpan

__all__ = ["opens_sentence", "shares_subject", "subject_after", "subject_start"]

#: A participle after a comma (", saying", ", calling him") or a verb after "and"/"but"
#: ("and said", "but also contended"), what stands just before the cue.
_COMMA = re.compile(r",\s*$")
#: "before claiming", "while insisting", "by calling": a participle after a linking preposition.
_LINKING = words("before after while by without when since despite instead")
_LINKED = re.compile(r"(?<![\w’'])(?:before|after|while|by|without|when|since|despite)\s+$")
_JOINED = re.compile(r"(?<![\w’'])(?:and|but)\s+(?:(?:also|then|later|still|now|even|\w+ly)\s+)?$")
#: Words ending in -ing that do not open a participle clause.
_NOT_PARTICIPLES = words(
    "according including during regarding concerning nothing something anything thing king"
)

#: First words of an opening adverbial ("In an interview Thursday,", "When Mr. Rubio did take
#: Mr. Trump on,", "Earlier Wednesday,", "Ultimately,"): the clause's subject follows its comma.
_ADVERBIAL = words(
    """
    in at on after before during since following with without from for by under over inside outside
    alongside amid amidst among despite throughout within across behind beyond near through until upon
    like unlike as when while if although though because once whereas where whether unless
    earlier later now then still yesterday today tonight meanwhile instead likewise essentially
    ultimately again here there more most last next this hours days weeks months years minutes moments
    shortly soon recently previously finally first second third separately similarly indeed however
    moreover nonetheless nevertheless also yet so thus therefore overall afterward afterwards back
    late early along absent about around toward towards against besides per via given even just only
    already long never often sometimes perhaps maybe
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december
    """
)
#: Connectives before a subject ("But Trump said"): skipped, with a comma after them.
_CONNECTIVES = words("but and yet so or nor still however meanwhile then now also")
#: Words that cannot open a subject: the clause was read wrong.
_NOT_SUBJECT = words("of to in on at for with by from and or but that which who whom whose than as")
_RELATIVE = re.compile(r"(?<![\w’'])(?:who|which|whom)(?![\w’'])")
#: "WASHINGTON —", "PARIS, Aug 31 (Reuters) -", "Washington (AFP) –": where the story was filed.
_DATELINE = re.compile(r"[A-Z][\w.'’ ,]{0,40}?(?:\s*\([A-Za-z]+\))?\s+[—–-]{1,2}\s+")
#: A subordinate clause and its subject: "when he brought up …", "even as he defended …". PolNeAR
#: names the nearest clause's subject as the source of a verb joined to that clause.
_SUBORDINATE = re.compile(
    r"(?<![\w’'])(?:when|as|while|because|since|after|before|though|although|until|whereas|once)\s+"
    r"((?:he|she|they|we|I|[A-Z][\w’'\-]*\.?(?:\s+[A-Z][\w’'\-]*\.?){0,3}))(?<![’']s)\s+[a-z]"
)
#: The subject of the last subordinate clause before the cue, rather than the main clause's
#: (PolNeAR train: 4 more right, dev unchanged).
SUBORDINATE = True
#: An opening of a few words that ends in a time word: "A few minutes later,", "Eight years ago,".
_TIME_PHRASE = re.compile(r"(?:[\w’'\-]+\s+){0,5}(?:later|ago|before|earlier|afterward|afterwards|since)\s*,")
#: A comma inside an opening adverbial: "in Ames, Iowa, on Sunday,", "in Green Bay, Wis.,",
#: "by the analyses, as well as complaints over the plan's costs,".
_PLACE_COMMA = re.compile(
    r",\s*(?:[A-Z][\w.’'\-]*(?:\s+[A-Z][\w.’'\-]*)?|on\s+\w+|last\s+\w+|this\s+\w+"
    r"|(?:as\s+well\s+as|including|along\s+with)\s[^,.;:]*)\s*,"
)
#: What lies between a reporting cue and the participle that goes on with it: "said, adding",
#: "said in June 2012, citing".
_FRAME_SHAPE = re.compile(r"[^,.;:!?“”\"]{0,25},\s*")
_WORD = re.compile(r"[A-Za-z][\w’'\-.]*")
_QUOTES = "“\"‘'«"


def shares_subject(text: str, cue: TaggedSpan) -> bool:
    """Whether ``cue`` opens a participle clause after a comma or is a verb joined by "and"/"but"."""
    before = text[max(0, cue.start - 30) : cue.start]
    first = cue.start + len(text[cue.start : cue.end]) - len(text[cue.start : cue.end].lstrip())
    head = _WORD.match(text, first)
    if head is None:
        return False
    word = head.group(0).lower()
    if word in _LINKING or _LINKED.search(before):  # "… on Twitter before claiming …"
        if word in _LINKING:
            head = _WORD.match(text, _skip_space(text, head.end(), len(text)))
            word = head.group(0).lower() if head is not None else ""
        return _is_participle(word) and bool(before.strip())
    if _COMMA.search(before):
        return _is_participle(word)
    return _JOINED.search(before) is not None and word.isalpha() and not word[:1].isupper()


def _is_participle(word: str) -> bool:
    return word.endswith("ing") and word not in _NOT_PARTICIPLES and len(word) > 4


def _skip_space(text: str, at: int, end: int) -> int:
    while at < end and text[at] in " \t\n":
        at += 1
    return at


def _opens_adverbial(text: str, at: int, end: int) -> bool:
    """Whether the words at ``at`` open an adverbial ("Speaking at …", "In a statement", "Hours later")."""
    found = _WORD.match(text, at, end)
    if found is None:
        return False
    word = found.group(0).lower().rstrip(".")
    if word in _ADVERBIAL or (word.endswith("ly") and len(word) > 4):
        return True
    if word[:1].isdigit():
        return True
    # "Speaking at a town hall,", "Asked about the poll,": a participle followed by a lower-case word.
    following = _WORD.match(text, _skip_space(text, found.end(), end), end)
    participle = word.endswith(("ing", "ed")) and len(word) > 4
    return participle and following is not None and following.group(0)[:1].islower()


def _last_closing_quote(text: str, start: int, end: int) -> int | None:
    """Where the last quotation closed between ``start`` and ``end`` ends, if one did."""
    curly = text.rfind("”", start, end)
    straight = text.rfind('"', start, end)
    if straight > curly and straight > 0 and not text[straight - 1].isspace():
        return straight  # (a straight mark closes where it follows a word or a comma)
    return curly if curly >= 0 else None


def subject_start(document: Document, cue: TaggedSpan, cues: list[TaggedSpan]) -> int | None:
    """Where the subject of the cue's clause begins, or None when the words do not say.

    The clause starts at its sentence, after a semicolon, or with the reporting frame the cue
    goes on from ("… growth, a Chinese official said, adding …"; ``cues``: the tagged cues of
    the paragraph); a quotation before it is passed over ("“They stole the country,” the man
    shouted, using …"), then a dateline, connectives, and an opening adverbial up to its comma.
    Within it, the subject of the last subordinate clause ("… when Mr. Sanders took issue … and
    assailed …").
    """
    text = document.text
    sentence = document.sentence_at(cue.start)
    if sentence is None:
        return None
    at = sentence.start
    end = cue.start
    for other in cues:  # "… growth, a Chinese official said, adding …": the clause of the frame before
        if at <= other.start and _FRAME_SHAPE.fullmatch(text, other.end, end):
            at = max(at, text.rfind(",", at, other.start) + 1)
    at = max(at, text.rfind(";", at, end) + 1)
    closing = _last_closing_quote(text, at, end)
    if closing is not None and (text[closing - 1] in ",.!?" or text[closing + 1 : closing + 2] == ","):
        at = closing + 1  # "“…,” the mayor said, adding": the clause is the frame after the quotation
    at = _skip_space(text, at, end)
    while at < end and text[at] in "”’»,":
        at = _skip_space(text, at + 1, end)
    if at < end and text[at] in _QUOTES:
        return None  # (a quotation still open before the cue)
    dateline = _DATELINE.match(text, at, end)
    if dateline is not None:
        at = dateline.end()
    for _ in range(3):
        found = _WORD.match(text, at, end)
        if found is None or found.group(0).lower().rstrip(",") not in _CONNECTIVES:
            break
        at = _skip_space(text, found.end(), end)
        if at < end and text[at] == ",":
            at = _skip_space(text, at + 1, end)
    if _opens_adverbial(text, at, end) or _TIME_PHRASE.match(text, at, end):
        comma = text.find(",", at, end)
        while comma >= 0 and (place := _PLACE_COMMA.match(text, comma, end)) is not None:
            comma = place.end() - 1
        if comma < 0:
            return None
        at = _skip_space(text, comma + 1, end)
    if at >= end or not text[at].isalpha() or text[at:end].split()[0].lower() in _NOT_SUBJECT:
        return None
    if not _COMMA.search(text, max(0, end - 30), end) and _RELATIVE.search(text, at, end):
        return None  # "a book which explored … and discussed": the relative clause's own verbs
    subordinate = list(_SUBORDINATE.finditer(text, at, end)) if SUBORDINATE else []
    return subordinate[-1].start(1) if subordinate else at


#: What may stand before a participle that opens its sentence: "After", "But while", "Yet by",
#: "Nearly six months after", "After months of".
_BEFORE_OPENING = re.compile(
    r"[“\"‘'\s]*(?:(?:but|and|yet|so)\s+)?(?:(?:[\w’'\-]+\s+){0,3}?"
    r"(?:after|before|while|when|in|by|since|upon|on|of|without|despite|through)\s+)?",
    re.IGNORECASE,
)


def opens_sentence(document: Document, cue: TaggedSpan) -> bool:
    """Whether ``cue`` is a participle opening its sentence ("After blasting the report, Beck …")."""
    text = document.text
    sentence = document.sentence_at(cue.start)
    if sentence is None or _BEFORE_OPENING.fullmatch(text, sentence.start, cue.start) is None:
        return False
    head = _WORD.match(text, cue.start)
    return _is_participle(head.group(0).lower() if head is not None else "")


def subject_after(document: Document, cue: TaggedSpan, content: TaggedSpan) -> int | None:
    """Where the subject after an opening participle clause begins: past its comma (and its content)."""
    text = document.text
    sentence = document.sentence_at(cue.start)
    if sentence is None:
        return None
    end = sentence.end
    at = content.end if cue.end <= content.start < cue.end + 40 and content.end < end else cue.end
    comma = text.find(",", at, end)
    while comma >= 0 and (place := _PLACE_COMMA.match(text, comma, end)) is not None:
        comma = place.end() - 1
    if comma < 0:
        return None
    at = comma + 1
    while at < end and (text[at].isspace() or text[at] in "”’\"'»"):
        at += 1
    if at >= end or not text[at].isalpha():
        return None
    return at
