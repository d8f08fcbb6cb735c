"""The one normal form in which quotes and article text are compared, and the way back.

A model copies an article's words but not always its bytes: curly quotes come
back straight, line breaks as spaces, a decomposed "é" (NFD, as files from
macOS often are) as a composed one, a soft hyphen or zero-width space left by
HTML conversion drops out, Arabic loses its short-vowel marks. :func:`normalize`
maps all of these to one form; :func:`mirror` builds that form for a whole text
together with the map from each of its characters back to the caller's string,
so a match found in the normal form becomes offsets into the original.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from functools import lru_cache
from typing import Protocol

__all__ = ["EDGE_QUOTES", "Mirror", "is_word_char", "mirror", "normalize"]

_PLAIN = {
    **dict.fromkeys("“”„‟«»″〝〞＂", '"'),
    **dict.fromkeys("‘’‚‛`´′＇", "'"),
    **dict.fromkeys("‐‑‒–—―−﹘﹣－", "-"),
    **dict.fromkeys(
        "\t\n\r\x0b\x0c\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
        "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000",
        " ",
    ),
}
# On a long text (a document) each character is replaced with str.replace, only when present
# (``in``, a fast scan): an order of magnitude faster than a regex finding them (a Python call
# per match), itself several times faster than str.translate, which looks every character up.
# On a short one (a quote, a name) the one regex scan is faster than forty-odd ``in`` scans.
# No replacement is itself replaced, so both give the table's character for each character.
_PLAIN_ITEMS = tuple(_PLAIN.items())
_TO_PLAIN = re.compile("[" + re.escape("".join(_PLAIN)) + "]")
_LONG = 160
assert not set(_PLAIN.values()) & set(_PLAIN)
# (the same as " {2,}", which the regex engine tries at every space; a literal prefix it skips to)
_SPACE_RUN = re.compile("  +")
EDGE_QUOTES = "\"'“”‘’«»„‚‹›「」『』"

#: Characters that carry no letters of their own and come and go between copies of a text:
#: soft hyphen, zero-width space/joiners, word joiner, byte-order mark, Arabic tatweel and
#: short-vowel marks (harakat, Quranic annotation), Hebrew points (niqqud, cantillation).
_IGNORABLE = (
    "\u00ad\u200b\u200c\u200d\u2060\ufeff\u0640"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
)
_IGNORABLE_RE = re.compile(f"[{_IGNORABLE}]")


def _fold(text: str) -> str:
    """Plain quotes/dashes/spaces and lower case, keeping exactly one character per character."""
    if len(text) < _LONG:
        plain = _TO_PLAIN.sub(lambda m: _PLAIN[m.group()], text)
    else:
        plain = text
        for char, replacement in _PLAIN_ITEMS:
            if char in plain:
                plain = plain.replace(char, replacement)
    lowered = plain.lower()
    if len(lowered) == len(plain):
        return lowered
    # A few characters lower-case to two ("İ"); leave those as they are.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in plain)


def _clean(text: str) -> str:
    """Composed (NFC), without the ignorable characters."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _IGNORABLE_RE.sub("", text) if _IGNORABLE_RE.search(text) else text


@lru_cache(maxsize=1024)  # (actor names and mentions come back again and again; quotes rarely)
def normalize(text: str) -> str:
    """The normal form used for matching: composed, ignorables dropped, folded, spaces collapsed."""
    return _SPACE_RUN.sub(" ", _fold(_clean(text))).strip()


def is_word_char(c: str) -> bool:
    """Letters and digits of scripts that separate words with spaces.

    CJK ideographs, kana and Thai have no spaces between words, so a match may
    start or end anywhere among them.
    """
    if c < "\u0e00":  # below every spaceless script (and where nearly all text is)
        return c.isalnum()
    if not c.isalnum():
        return False
    code = ord(c)
    spaceless = (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FFFF
        or 0x0E00 <= code <= 0x0E7F  # Thai
    )
    return not spaceless


class Mirror(Protocol):
    """A text in normal form (``text``, not stripped) and the map back to the original."""

    text: str

    def to_original(self, index: int) -> int:
        """Original index of the character at normal-form ``index``."""
        ...

    def from_original(self, index: int) -> int:
        """Normal-form index of (the run containing) original ``index``."""
        ...

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original stretch that normal-form ``[start, end)`` came from."""
        ...


def mirror(text: str) -> Mirror:
    """The normal form of a whole text with its way back.

    Nearly every text is composed already and has nothing to drop, so folding keeps one
    character per character and only whitespace runs shift indices: a compact map of the
    runs does. Otherwise every normal-form character records the stretch it came from.
    """
    if unicodedata.is_normalized("NFC", text) and not _IGNORABLE_RE.search(text):
        return _RunMirror(text)
    return _MappedMirror(text)


class _RunMirror:
    """For a composed text without ignorables: one character per character, bar space runs."""

    def __init__(self, text: str) -> None:
        folded = _fold(text)
        self.text_positions: list[int] = []  # normal-form index of each collapsed run
        self.shift: list[int] = []  # cumulative characters dropped up to and including that run
        pieces: list[str] = []
        last = 0
        dropped = 0
        for run in _SPACE_RUN.finditer(folded):
            pieces.append(folded[last : run.start() + 1])
            norm_pos = run.start() - dropped
            dropped += run.end() - run.start() - 1
            self.text_positions.append(norm_pos)
            self.shift.append(dropped)
            last = run.end()
        pieces.append(folded[last:])
        self.text = "".join(pieces)
        # Where each kept space of a run is in the original (for from_original).
        self.run_starts = [p + (self.shift[k - 1] if k else 0) for k, p in enumerate(self.text_positions)]

    def to_original(self, index: int) -> int:
        i = bisect_left(self.text_positions, index)
        return index + (self.shift[i - 1] if i else 0)

    def from_original(self, index: int) -> int:
        """The first normal-form index whose original index is ``index`` or more.

        Runs whose kept space lies before ``index`` shift it back by their dropped spaces,
        unless ``index`` falls among the spaces the last of them dropped: then the character
        after that run's kept space. (One bisection, not a bisection of :meth:`to_original`.)
        """
        k = bisect_left(self.run_starts, index)
        if not k:
            found = index
        else:
            found = index - self.shift[k - 1]
            kept = self.text_positions[k - 1]
            if found <= kept:
                found = kept + 1
        return max(0, min(found, len(self.text)))

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.to_original(start), self.to_original(end - 1) + 1


def _joins_previous(c: str) -> bool:
    """True for a character that composes with the one before it (a combining mark, a Hangul vowel)."""
    return unicodedata.combining(c) != 0 or "\u1160" <= c <= "\u11ff" or "\ud7b0" <= c <= "\ud7ff"


class _MappedMirror:
    """For any text: each normal-form character knows the original stretch it came from."""

    def __init__(self, text: str) -> None:
        # 1. Composed characters without ignorables, each with its original stretch.
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        i, size = 0, len(text)
        while i < size:
            j = i + 1
            while j < size and _joins_previous(text[j]):
                j += 1
            piece = text[i:j] if j - i == 1 else unicodedata.normalize("NFC", text[i:j])
            for c in piece:
                if not _IGNORABLE_RE.match(c):
                    chars.append(c)
                    starts.append(i)
                    ends.append(j)
            i = j
        # 2. Folded as a whole (one character per character), as normalize() folds a quote.
        folded = _fold("".join(chars))
        # 3. Whitespace runs collapsed to one space.
        out: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        previous_space = False
        for k, c in enumerate(folded):
            if c == " " and previous_space:
                self.ends[-1] = ends[k]
                continue
            previous_space = c == " "
            out.append(c)
            self.starts.append(starts[k])
            self.ends.append(ends[k])
        self.text = "".join(out)
        self._size = size

    def to_original(self, index: int) -> int:
        return self.starts[index] if index < len(self.starts) else self._size

    def from_original(self, index: int) -> int:
        return bisect_left(self.starts, index)

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]
