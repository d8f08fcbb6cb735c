"""The document: the user's text, its sentences with offsets, and its metadata.

Offsets always index the caller's original string. Nothing here rewrites the
text; sentence boundaries and metadata are found on the original string.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from claimx.errors import InputError
from claimx.htmltext import PageText, main_text
from claimx.schema import DocumentMetadata, Span

__all__ = ["Document", "Sentence", "segment"]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its 1-based number as shown to the model, and where it lies."""

    number: int
    start: int
    end: int
    text: str

    @property
    def label(self) -> str:
        """The id the model cites, e.g. ``S3``."""
        return f"S{self.number}"


# Words that end with a period without ending a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "sen",
        "rep",
        "gov",
        "lt",
        "col",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "vs",
        "etc",
        "al",
        "approx",
        "dept",
        "est",
        "govt",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        "a.m",
        "p.m",
        "i.e",
        "e.g",
        "ph.d",
        "d.c",
        "mt",
        "ft",
    ]
)
_CLOSERS = "\"'”’»)]』」"
# (One branch ending in ``(?=\s|$)``: the same matches as the two branches ``…(?=\s)|…$`` it
# replaces, since no character that can end a match is whitespace; a single branch lets the
# regex engine skip ahead to the next candidate character, at well under half the cost.)
_LATIN_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s|$)")
_CJK_END = re.compile(r"[。！？]+(?:[”’»)\]』」]|[\"'](?=\s|$))*")
_BLOCK_SPLIT = re.compile(r"\r\n|\r|\n|\u2028|\u2029")

# Leading metadata such as "date 2018-02-06 SEOUL, February 6. /TASS/." or
# "WASHINGTON (Reuters) -": kept in the text, recognised, and not offered as a statement.
_DATE_PREFIX = re.compile(r"\s*(?:date[:\s]\s*)?(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?\s+")
_DATELINE = re.compile(
    r"""(?x)
    (?P<place>[A-Z][A-Z\.'\-]+(?:\s[A-Z][A-Z\.'\-]+){0,3})     # SEOUL, NEW YORK
    (?:,\s*(?P<date>[A-Z][a-z]{2,8}\.?\s+\d{1,2}))?              # , February 6
    \s*(?:\.\s*)?
    (?P<agency>/[A-Z\-]+/\.?|\((?:[A-Za-z\-\. ]{2,20})\))?      # /TASS/.  (Reuters)
    \s*[-–—:]?\s+
    """
)


# Abbreviations that only stand before a number ("No. 5", "Fig. 2"); elsewhere "no." ends a sentence.
_NUMBER_ABBREVIATIONS = frozenset(["no", "nos", "fig", "vol", "pp", "art"])


def _is_abbreviation(block: str, dot: int) -> bool:
    """True when the period at ``block[dot]`` closes an abbreviation or an initial."""
    start = dot
    while start > 0 and (block[start - 1].isalpha() or block[start - 1] == "."):
        start -= 1
    word = block[start:dot].lower()
    if not word:
        return False
    if word in _ABBREVIATIONS:
        return True
    if word in _NUMBER_ABBREVIATIONS:
        return _next_visible(block, dot + 1).isdigit()
    # Single-letter initials ("J. Smith") and dotted acronyms ("U.S.").
    return len(word) == 1 or ("." in word and all(len(p) <= 2 for p in word.split(".")))


def _next_visible(block: str, pos: int) -> str:
    while pos < len(block) and block[pos].isspace():
        pos += 1
    return block[pos] if pos < len(block) else ""


def _split_block(block: str, offset: int) -> list[tuple[int, int]]:
    """Sentence boundaries inside one line of text, as (start, end) in document offsets."""
    cuts: list[int] = []
    size = len(block)
    for match in _LATIN_END.finditer(block):
        end = match.end()
        # (block[end] is whitespace, by the pattern's lookahead: usually the next is visible)
        if end + 1 < size and not (nxt := block[end + 1]).isspace():
            pass
        else:
            nxt = _next_visible(block, end)
            if not nxt:
                continue
        if nxt.islower() or nxt in ",;:":
            continue
        if match.group(0).rstrip(_CLOSERS) == ".":
            dot = match.start()
            if _is_abbreviation(block, dot) or (dot > 0 and block[dot - 1].isdigit() and nxt.isdigit()):
                continue
        cuts.append(end)
    if "。" in block or "！" in block or "？" in block:
        cuts.extend(m.end() for m in _CJK_END.finditer(block) if m.end() < len(block))
        cuts = sorted(set(cuts))  # (the Latin cuts alone come in order, once each)
    out: list[tuple[int, int]] = []
    start = 0
    for cut in [*cuts, size]:
        # _trimmed, inline: called for every sentence of every document
        a, b = start, cut
        while a < b and block[a].isspace():
            a += 1
        while b > a and block[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((offset + a, offset + b))
        start = cut
    return out


def _trimmed(block: str, start: int, end: int, offset: int) -> Iterable[tuple[int, int]]:
    while start < end and block[start].isspace():
        start += 1
    while end > start and block[end - 1].isspace():
        end -= 1
    if end > start:
        yield offset + start, offset + end


def _blocks(text: str, start: int) -> Iterable[tuple[int, int]]:
    """Lines of the text from ``start``, hard-wrapped lines joined to the line they continue."""
    pos = start
    pieces: list[tuple[int, int]] = []
    for match in _BLOCK_SPLIT.finditer(text, start):
        pieces.append((pos, match.start()))
        pos = match.end()
    pieces.append((pos, len(text)))
    current: tuple[int, int] | None = None
    for a, b in pieces:
        line = text[a:b]
        if not line.strip():
            if current:
                yield current
            current = None
            continue
        first = line.lstrip()[:1]
        if current is not None and first.islower():
            current = (current[0], b)  # a wrapped line continues the previous one
        else:
            if current:
                yield current
            current = (a, b)
    if current:
        yield current


#: Longer "sentences" (tables, lists, text without punctuation) are cut, so any
#: single sentence fits in a prompt and a chunk.
MAX_SENTENCE_CHARS = 1500


def _cap(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    """Cut an over-long sentence at whitespace (or anywhere, for scripts without spaces)."""
    while end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, limit)
        cut = cut if cut > start else limit
        yield from _trimmed(text, start, cut, 0)
        start = cut
    yield from _trimmed(text, start, end, 0)


def segment(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets of ``text`` from ``start`` on."""
    spans: list[tuple[int, int]] = []
    for a, b in _blocks(text, start):
        for s, e in _split_block(text[a:b], a):
            if e - s > MAX_SENTENCE_CHARS:
                spans.extend(_cap(text, s, e))
            else:  # (already trimmed: what _cap would give back)
                spans.append((s, e))
    return spans


def _find_header(text: str) -> tuple[DocumentMetadata, int]:
    """Recognise a leading date/dateline header; return the metadata and where the body starts."""
    pos = 0
    date: str | None = None
    m = _DATE_PREFIX.match(text)
    if m:
        date = m.group(1)
        pos = m.end()
    first_line_end = _BLOCK_SPLIT.search(text, pos)
    line_end = first_line_end.start() if first_line_end else len(text)
    d = _DATELINE.match(text, pos, line_end)
    dateline: Span | None = None
    if d and (d.group("date") or d.group("agency")) and d.group("place").upper() == d.group("place"):
        end = d.end()
        raw = text[d.start() : end].rstrip(" -–—:")
        dateline = Span(start=d.start(), end=d.start() + len(raw), text=raw)
        pos = end
    if date is None and dateline is None:
        return DocumentMetadata(), 0
    lead = len(text) - len(text.lstrip())
    header_text = text[lead:pos].rstrip()
    header = Span(start=lead, end=lead + len(header_text), text=header_text) if header_text else None
    return DocumentMetadata(date=date, dateline=dateline, header=header), pos


@lru_cache(maxsize=8192)
def _label_number(label: str) -> int | None:
    """3 for ``"S3"`` (or ``" s3"``, ``"3"``); None when the label has no number."""
    digits = label.strip().upper().removeprefix("S")
    return int(digits) if digits.isdigit() else None


@dataclass
class Document:
    """A text ready for extraction: its sentences, metadata and identity."""

    text: str
    doc_id: str
    sentences: list[Sentence]
    metadata: DocumentMetadata
    sha256: str
    _starts: list[int] = field(default_factory=list, repr=False)
    _spans: dict[tuple[int, int], Span] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_text(cls, text: str, doc_id: str | None = None) -> Document:
        """Build a document, refusing text that cannot be an article."""
        if not isinstance(text, str):
            raise InputError(f"expected text (str), got {type(text).__name__}", doc_id=doc_id)
        if not text.strip():
            raise InputError("the document is empty (no text to read)", doc_id=doc_id)
        if "\x00" in text:
            raise InputError(
                "the document contains NUL characters: it looks like a binary file, not text",
                doc_id=doc_id,
            )
        try:
            # Strict UTF-8 fails exactly at the first lone surrogate (a str can hold one; no
            # encoding can carry it): one pass that also gives the bytes to hash.
            encoded = text.encode("utf-8")
        except UnicodeEncodeError as exc:  # it cannot be encoded to send: not a reason to retry
            raise InputError(
                f"the document holds a lone surrogate (U+{ord(text[exc.start]):04X}) at character "
                f"{exc.start}: that is not valid Unicode and cannot be sent to a model; the "
                "text was probably decoded or escaped wrongly upstream",
                doc_id=doc_id,
            ) from None
        digest = hashlib.sha256(encoded).hexdigest()
        metadata, body = _find_header(text)
        spans = segment(text, body)
        sentences = [Sentence(i + 1, a, b, text[a:b]) for i, (a, b) in enumerate(spans)]
        if not sentences:
            raise InputError("the document has no sentences after its header", doc_id=doc_id)
        return cls(
            text=text,
            doc_id=doc_id or digest[:16],
            sentences=sentences,
            metadata=metadata,
            sha256=digest,
            _starts=[s.start for s in sentences],
        )

    @classmethod
    def from_html(cls, html: str, doc_id: str | None = None) -> Document:
        """A document of the article in an HTML page: its main text, title, author and date.

        Offsets of an extraction from this document index :attr:`text`, the extracted
        text, not ``html``; its metadata says so (``text_from="html"``) and names the
        extractor (trafilatura with the ``html`` extra, else claimx's own reducer).
        """
        if not isinstance(html, str):
            raise InputError(f"expected HTML text (str), got {type(html).__name__}", doc_id=doc_id)
        return cls.from_page(main_text(html), doc_id)

    @classmethod
    def from_page(cls, page: PageText, doc_id: str | None = None) -> Document:
        """A document of a page's extracted text (:func:`claimx.htmltext.main_text`), with its metadata."""
        if not page.text.strip():
            raise InputError("the page is HTML without any visible text", doc_id=doc_id)
        document = cls.from_text(page.text, doc_id)
        document.metadata = document.metadata.model_copy(
            update={
                "title": page.title,
                "author": page.author,
                "date": document.metadata.date or page.date,
                "text_from": "html",
                "html_extractor": page.extractor,
            }
        )
        return document

    def sentence(self, label: str | int) -> Sentence | None:
        """The sentence with this label (``"S3"``) or number (3), or None when there is none."""
        number = _label_number(label) if isinstance(label, str) else label
        if number is not None and 1 <= number <= len(self.sentences):
            return self.sentences[number - 1]
        return None

    def sentence_at(self, offset: int) -> Sentence | None:
        """The sentence containing (or last starting before) ``offset``."""
        i = bisect_right(self._starts, offset) - 1
        return self.sentences[i] if i >= 0 else None

    def sentences_overlapping(self, start: int, end: int) -> list[Sentence]:
        """Sentences sharing at least one character with ``[start, end)``."""
        i = max(0, bisect_right(self._starts, start) - 1)
        out: list[Sentence] = []
        while i < len(self.sentences) and self.sentences[i].start < end:
            if self.sentences[i].end > start:
                out.append(self.sentences[i])
            i += 1
        return out

    def span(self, start: int, end: int) -> Span:
        """A verified span of this document (the same object for the same stretch: spans are frozen)."""
        span = self._spans.get((start, end))
        if span is None:
            span = self._spans[start, end] = Span(start=start, end=end, text=self.text[start:end])
        return span

    def region(self, labels: Sequence[str | int], pad: int = 0) -> tuple[int, int] | None:
        """The stretch of text covering the cited sentences, widened by ``pad`` sentences."""
        if len(labels) == 1:  # (the usual citation: one sentence)
            only = self.sentence(labels[0])
            if only is None:
                return None
            if not pad:
                return only.start, only.end
            numbers = [only.number]
        else:
            numbers = sorted(s.number for s in (self.sentence(x) for x in labels) if s is not None)
        if not numbers:
            return None
        first = self.sentences[max(0, numbers[0] - 1 - pad)]
        last = self.sentences[min(len(self.sentences), numbers[-1] + pad) - 1]
        return first.start, last.end
