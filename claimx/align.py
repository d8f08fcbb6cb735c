"""Find the model's verbatim quotes in the source text and return verified spans.

Language models copy text well and count characters badly, so the model gives
us the words and the sentence it took them from, and we compute offsets here.
The search runs in three stages, after langextract's resolver:

1. **exact**: the quote as given (with surrounding quotation marks and stray
   trailing punctuation tolerated);
2. **normalized**: on a mirror of the text in :mod:`claimx.textnorm`'s normal
   form (whitespace collapsed, curly quotes and dashes plain, case folded,
   Unicode composed, soft hyphens, zero-width spaces and Arabic/Hebrew vowel
   marks dropped); offsets map back exactly;
3. **fuzzy**: rapidfuzz's partial-ratio alignment inside the cited sentences
   (and their neighbours), above a threshold, snapped to word boundaries, and
   kept only if :func:`claimx.faithful.quote_alteration` finds every number,
   negation and content word of the quote in it (else the quote is *altered*).

When a quote occurs more than once, the occurrence inside or nearest the cited
sentences wins. Everything works on Python ``str`` indices, so Cyrillic,
Korean, CJK and emoji text need no special treatment.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import NamedTuple

from rapidfuzz import fuzz

from claimx.document import Document
from claimx.faithful import negations, quote_alteration, words
from claimx.schema import Alignment, Span
from claimx.textnorm import EDGE_QUOTES as _EDGE_QUOTES
from claimx.textnorm import Mirror, is_word_char, mirror, normalize

__all__ = ["Aligner", "Located", "is_word_char", "normalize"]

_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\s*){3}\]|\.{3,}|…)\s*")


# Enum members as module constants: on Python 3.11 ``Alignment.EXACT`` is a descriptor call
# (~0.2 µs), and a hit is made for every occurrence looked at.
_EXACT, _NORMALIZED = Alignment.EXACT, Alignment.NORMALIZED


class Located(NamedTuple):
    """Where a quote is (``span``), or why it is not: ``altered`` says what a near match changed."""

    span: Span | None
    altered: str | None = None


class _Hit(NamedTuple):  # (a tuple: cheaper to make than a frozen dataclass, and made often)
    start: int
    end: int
    alignment: Alignment


class Aligner:
    """Locates quotes in one document. Build once per document; it caches its mirror."""

    def __init__(self, document: Document, *, fuzzy_threshold: float = 90.0) -> None:
        self.document = document
        self.text = document.text
        self.fuzzy_threshold = fuzzy_threshold
        self._exact_known: dict[str, bool] = {}
        self._spans: dict[int, Span] = {}
        # Each answered once per needle: a name, a mention or a speaker's words is looked up
        # for the actor, again for every statement it speaks and every position it holds, and
        # each lookup of a short needle is a scan of the whole text (~20 µs per 20,000 characters).
        self._everywhere: dict[str, list[Span]] = {}
        self._first_in_text: dict[str, int] = {}
        self._first_in_normal: dict[str, int] = {}

    @cached_property
    def _mirror(self) -> Mirror:
        return mirror(self.text)

    @property
    def normal_text(self) -> str:
        """The document's text in normal form (:func:`normalize`; whitespace runs collapsed)."""
        return self._mirror.text

    # ----------------------------------------------------------------- public

    def locate(self, quote: str, cited: Sequence[str | int] = ()) -> Span | None:
        """The span of ``quote`` in the document, preferring the cited sentences.

        Returns None when the quote is not in the text, not even approximately, or when
        the only near match changes a number, a negation or a content word.
        """
        return self._locate(quote, cited, explain=False).span

    def locate_checked(self, quote: str, cited: Sequence[str | int] = ()) -> Located:
        """As :meth:`locate`, saying what a rejected near match altered.

        A quote that leaves out words of the article ("would raise" for "would not raise")
        is also compared with the article's longer stretch (:meth:`_omission`), so its
        rejection names the dropped negation or number instead of "not found". The span is
        always :meth:`locate`'s: explaining a rejection never finds anything more.
        """
        return self._locate(quote, cited, explain=True)

    def _locate(self, quote: str, cited: Sequence[str | int], *, explain: bool) -> Located:
        quote = quote.strip()
        if not quote:
            return Located(None)
        if "…" in quote or ".." in quote or "[" in quote:  # (what an ellipsis needs: the regex is slow)
            pieces = [p for p in _ELLIPSIS.split(quote) if p.strip(_EDGE_QUOTES + " ")]
            if len(pieces) > 1:
                return self._locate_pieces(pieces, cited, len(quote), explain=explain)
        hit, altered = self._locate_one(quote, cited)
        if hit is None and altered is None and explain:
            altered = self._omission(quote, cited)
        return Located(self._span(hit) if hit else None, altered)

    def locate_all(self, needle: str) -> list[Span]:
        """Every whole-word occurrence of ``needle`` (exact, else normalized), in text order."""
        needle = _bare(needle)
        found = self._everywhere.get(needle)
        if found is None:
            found = self._everywhere[needle] = [self._span(h) for h in self._all_hits(needle)]
        return list(found)  # (a copy: the caller's to keep or change)

    def locate_near(self, needle: str, start: int, end: int, window: int = 300) -> Span | None:
        """The whole-word occurrence of ``needle`` nearest ``[start, end)``, within ``window`` characters.

        Occurrences in the same sentence as the stretch win over closer ones outside it.
        Among the occurrences :meth:`locate_all` would give, only those within the window
        are looked at, so the cost does not grow with the length of the text.
        """
        needle = _bare(needle)
        if not needle:
            return None
        lo, hi = start - window, end + window  # a hit within the window touches [lo, hi]
        hits = self._exact_whole(needle, lo, hi)
        if not hits and not self._has_exact(needle):
            hits = [h for h in self._normalized_hits(needle, lo, hi) if self._whole_words(h.start, h.end)]
        near = [(h, d) for h in hits if (d := _distance(h.start, h.end, start, end)) <= window]
        if len(near) < 2:
            return self._span(near[0][0]) if near else None
        home = {s.number for s in self.document.sentences_overlapping(start, max(end, start + 1))}
        best: _Hit | None = None
        best_key: tuple[int, int] | None = None
        for hit, distance in near:
            outside = not any(
                s.number in home for s in self.document.sentences_overlapping(hit.start, hit.end)
            )
            key = (int(outside), distance)
            if best_key is None or key < best_key:
                best, best_key = hit, key
        return self._span(best) if best else None

    def _all_hits(self, needle: str) -> list[_Hit]:
        """Every whole-word occurrence of a bare needle: exact ones, else normalized ones."""
        if not needle:
            return []
        hits = self._exact_whole(needle)
        if not hits:
            hits = [h for h in self._normalized_hits(needle) if self._whole_words(h.start, h.end)]
        return hits

    def _has_exact(self, needle: str) -> bool:
        """True when ``needle`` occurs anywhere as whole words, exactly as given."""
        known = self._exact_known.get(needle)
        if known is None:
            everywhere = self._everywhere.get(needle)
            if everywhere is not None:  # (exact occurrences come first, and are all there is)
                known = bool(everywhere) and everywhere[0].alignment is _EXACT
            else:
                known = bool(self._exact_whole(needle, first_only=True))
            self._exact_known[needle] = known
        return known

    def _first(self, needle: str, *, normalized: bool) -> int:
        """Where ``needle`` first is in the text (in its normal form, if ``normalized``); -1: nowhere.

        One scan per needle: a name the article lacks is asked about by every stage of
        :meth:`locate_checked` after :meth:`locate_all` has already scanned for it.
        """
        known = self._first_in_normal if normalized else self._first_in_text
        found = known.get(needle)
        if found is None:
            haystack = self._mirror.text if normalized else self.text
            found = known[needle] = haystack.find(needle)
        return found

    # ---------------------------------------------------------------- stages

    def _locate_one(self, quote: str, cited: Sequence[str | int]) -> tuple[_Hit | None, str | None]:
        region = self.document.region(cited)
        if region is not None:  # the usual case first: the quote as given, in its cited sentences
            text, size = self.text, len(quote)
            start = text.find(quote, max(0, region[0] - size + 1), region[1] + size - 1)
            while start != -1:
                hit = self._snap(_Hit(start, start + size, _EXACT), reach=0)
                if hit is not None:
                    return hit, None
                start = text.find(quote, start + 1, region[1] + size - 1)
        for normalized in (False, True):
            for variant in _variants(quote):
                hit = self._nearest(variant, region, normalized=normalized)
                if hit:
                    return hit, None
        return self._fuzzy(quote, cited)

    def _locate_pieces(
        self, pieces: list[str], cited: Sequence[str | int], quote_len: int, *, explain: bool
    ) -> Located:
        """A quote with an ellipsis: each piece in order; the span runs from first to last.

        What the ellipsis skips may not hold a negation: "we will … accept" for "we will
        not accept" is a quote of the opposite.
        """
        hits: list[_Hit] = []
        for piece in pieces:
            hit, altered = self._locate_one(piece, cited)
            if hit is None and altered is None and explain:
                altered = self._omission(piece, cited)
            if altered is not None:
                return Located(None, altered)
            if hit is None or (hits and hit.start < hits[-1].end):
                return Located(None)
            if hits and negations(words(self.text[hits[-1].end : hit.start])):
                return Located(None, "the ellipsis skips a negation")
            hits.append(hit)
        start, end = hits[0].start, hits[-1].end
        if end - start > 3 * quote_len + 200:
            return Located(None)
        worst = max((h.alignment for h in hits), key=_ALIGNMENT_RANK.__getitem__)
        return Located(self._span(_Hit(start, end, worst)))

    def _exact_whole(
        self, needle: str, lo: int = 0, hi: int | None = None, *, first_only: bool = False
    ) -> list[_Hit]:
        """Whole-word exact occurrences of ``needle``; with ``lo``/``hi``, (at least) those touching them.

        An exact occurrence starts with the needle's first character and ends with its last, so
        only the characters just outside it need looking at: a loop of ``find`` calls, unrolled
        here because locating speakers and cues calls it a few hundred times per article.
        """
        text = self.text
        size = len(needle)
        last = len(text) if hi is None else hi
        check_left, check_right = is_word_char(needle[0]), is_word_char(needle[-1])
        hits: list[_Hit] = []
        stop = max(0, last + size)  # (an occurrence starting at or before ``last`` ends by here)
        if lo <= 0 and hi is None:
            start = self._first(needle, normalized=False)
        else:
            start = text.find(needle, max(0, lo - size), stop)
        while start != -1:
            end = start + size
            # (is_word_char inlined for the characters below the spaceless scripts: nearly all)
            if (
                not check_left
                or start == 0
                or not (c.isalnum() if (c := text[start - 1]) < "\u0e00" else is_word_char(c))
            ) and (
                not check_right
                or end == len(text)
                or not (c.isalnum() if (c := text[end]) < "\u0e00" else is_word_char(c))
            ):
                hits.append(_Hit(start, end, _EXACT))
                if first_only:
                    break
            start = text.find(needle, start + 1, stop)
        return hits

    def _normalized_hits(self, needle: str, lo: int = 0, hi: int | None = None) -> Iterator[_Hit]:
        """Occurrences of ``needle`` in the mirror; with ``lo``/``hi``, (at least) those touching them."""
        target = normalize(needle)
        if not target:
            return
        mirror = self._mirror
        # A match ending before lo starts more than len(target) before lo's place in the mirror.
        begin = max(0, mirror.from_original(lo - 1) - len(target)) if lo > 0 else 0
        start = mirror.text.find(target, begin) if begin else self._first(target, normalized=True)
        while start != -1:
            a, b = mirror.span_to_original(start, start + len(target))
            if hi is not None and a > hi:
                return
            yield _Hit(a, b, _NORMALIZED)
            start = mirror.text.find(target, start + 1)

    def _nearest(self, variant: str, region: tuple[int, int] | None, *, normalized: bool) -> _Hit | None:
        """The occurrence of ``variant`` inside or nearest the cited region, whole words only.

        Searches outward from the region rather than listing every occurrence, so a phrase
        repeated thousands of times in a long text costs a few ``find`` calls, not thousands.
        """
        if normalized:
            mirror = self._mirror
            haystack, needle = mirror.text, normalize(variant)
            alignment = Alignment.NORMALIZED

            def to_hit(start: int) -> _Hit | None:
                a, b = mirror.span_to_original(start, start + len(needle))
                return self._snap(_Hit(a, b, alignment), reach=0)

            lo, hi = (mirror.from_original(region[0]), mirror.from_original(region[1])) if region else (0, 0)
        else:
            haystack, needle = self.text, variant

            def to_hit(start: int) -> _Hit | None:
                return self._snap(_Hit(start, start + len(needle), _EXACT), reach=0)

            lo, hi = region or (0, 0)
        if not needle or self._first(needle, normalized=normalized) == -1:
            # (one scan in C says there is nothing to find: a quote that is not there as given,
            # the usual reason to be here, costs no search around its region)
            return None
        if region is None:
            return self._first_valid(haystack, needle, 0, to_hit)
        size = len(needle)
        # Occurrences touching the region: the first whole-word one wins outright.
        start = haystack.find(needle, max(0, lo - size + 1), hi + size - 1)
        while start != -1:
            hit = to_hit(start)
            if hit is not None:
                return hit
            start = haystack.find(needle, start + 1, hi + size - 1)
        return self._nearest_outside(haystack, needle, (lo, hi), region, to_hit)

    @staticmethod
    def _nearest_outside(
        haystack: str,
        needle: str,
        bounds: tuple[int, int],
        region: tuple[int, int],
        to_hit: Callable[[int], _Hit | None],
    ) -> _Hit | None:
        """The nearer of the first whole-word occurrences after and before the region.

        ``bounds`` is the region in ``haystack`` indices (the mirror's, for normalized text).
        Both directions are searched in widening steps, and a direction stops once nothing
        further along it could beat what the other has found: a repeated quote costs the
        distance to its nearest occurrence, not the length of the text.

        Bounds: an occurrence starting at haystack index ``s >= hi`` lies at least ``s - hi``
        characters after the region, and one starting at ``s <= lo - len(needle)`` at least
        ``lo - s - len(needle)`` before it (mirror distances never exceed original ones).
        Ties go to the earlier occurrence, as in ``min`` by (distance, start).
        """
        lo, hi = bounds
        size = len(needle)
        after: _Hit | None = None
        before: _Hit | None = None
        forward = hi  # occurrences starting at or after this are still to be searched
        backward = lo - size  # occurrences starting at or before this are still to be searched
        forward_done = forward > len(haystack) - size
        backward_done = backward < 0
        step = 512
        while not (forward_done and backward_done):
            if not forward_done:
                limit = min(len(haystack) - size + 1, forward + step)  # starts in [forward, limit)
                found = haystack.find(needle, forward, limit + size - 1)
                while found != -1 and after is None:
                    after = to_hit(found)
                    found = haystack.find(needle, found + 1, limit + size - 1)
                forward = limit
                forward_done = after is not None or forward > len(haystack) - size
            if not backward_done:
                floor = max(0, backward - step + 1)  # starts in [floor, backward]
                found = haystack.rfind(needle, floor, backward + size)
                while found != -1 and before is None:
                    before = to_hit(found)
                    found = haystack.rfind(needle, floor, found + size - 1)
                backward = floor - 1
                backward_done = before is not None or backward < 0
            if after is not None and not backward_done:
                # A later find before the region is at least lo - s - size away: no nearer then.
                backward_done = backward < lo - size - _distance(after.start, after.end, *region)
            if before is not None and not forward_done:
                forward_done = forward >= hi + _distance(before.start, before.end, *region)
            step *= 2
        candidates = [h for h in (before, after) if h is not None]
        if not candidates:
            return None
        return min(candidates, key=lambda h: (_distance(h.start, h.end, *region), h.start))

    @staticmethod
    def _first_valid(
        haystack: str, needle: str, start: int, to_hit: Callable[[int], _Hit | None]
    ) -> _Hit | None:
        found = haystack.find(needle, start)
        while found != -1:
            hit = to_hit(found)
            if hit is not None:
                return hit
            found = haystack.find(needle, found + 1)
        return None

    def _fuzzy(self, quote: str, cited: Sequence[str | int]) -> tuple[_Hit | None, str | None]:
        hit = self._near(quote, cited, self.fuzzy_threshold)
        if hit is None:
            return None, None
        # Close in characters is not the same words: a changed number, a dropped "not", an
        # "unlikely" for "likely" is another statement, not a typo.
        altered = quote_alteration(quote, self.text[hit.start : hit.end])
        return (None, altered) if altered else (hit, None)

    def _omission(self, quote: str, cited: Sequence[str | int]) -> str | None:
        """What a quote found nowhere left out of the article's stretch nearest it, if anything.

        The fuzzy stage scores windows of the quote's own length, so a quote that drops
        a short word the article has ("the city would raise taxes next year" for "… would
        not raise …") scores below its threshold there (89 of 90), though the two, compared
        whole, are as alike as a near match it accepts. Here windows may score as low as a
        stretch the threshold allows to be longer by the words left out, and the stretch
        counts when the whole quote against it reaches the threshold. Only the reason is
        kept: what :func:`~claimx.faithful.quote_alteration` finds faithful stays not found.
        """
        slack = (100.0 - self.fuzzy_threshold) / 100.0
        # A stretch of m + k characters holding the quote's m reaches the threshold when
        # k ≤ 2m·slack/(1 − slack); a window of m of its characters then scores ≥ 100(1 − k/m).
        cutoff = max(0.0, 100.0 * (1.0 - 2.0 * slack / max(1e-9, 1.0 - slack)))
        hit = self._near(quote, cited, cutoff)
        return None if hit is None else quote_alteration(quote, self.text[hit.start : hit.end])

    def _near(self, quote: str, cited: Sequence[str | int], cutoff: float) -> _Hit | None:
        """The stretch nearest ``quote`` in or around its cited sentences, snapped to words, or None.

        The stretch's partial-ratio window scores at least ``cutoff``; under the threshold,
        the stretch as a whole must still reach the threshold against the quote.
        """
        target = normalize(quote)
        if len(target) < 8:
            return None  # too short to match approximately without false hits
        region = self.document.region(cited, pad=1)
        if region is None:
            if len(self.text) > 20_000:
                return None  # without a cited sentence, approximate search of a long text guesses
            region = (0, len(self.text))
        mirror = self._mirror
        lo, hi = mirror.from_original(region[0]), mirror.from_original(region[1])
        haystack = mirror.text[lo:hi]
        if len(haystack) < len(target):
            return None
        if len(haystack) > max(len(target), _PROVE_OVER) and not _may_align(target, haystack, cutoff):
            return None  # (proved without aligning: a name the article lacks, searched everywhere)
        found = fuzz.partial_ratio_alignment(target, haystack, score_cutoff=cutoff)
        if found is None:
            return None
        lenient = cutoff < self.fuzzy_threshold
        extra = round(len(target) * (100.0 - cutoff) / 100.0) if lenient else 0
        a, b = _refine(target, haystack, found.dest_start, found.dest_end, extra)
        if not 0.75 <= (b - a) / len(target) <= 1.33:
            return None
        if lenient and fuzz.ratio(target, haystack[a:b]) < self.fuzzy_threshold:
            return None
        start, end = mirror.span_to_original(lo + a, lo + b)
        return self._snap(_Hit(start, end, Alignment.FUZZY), reach=min(4, len(target) // 10))

    # ---------------------------------------------------------------- helpers

    def _whole_words(self, start: int, end: int) -> bool:
        text = self.text
        left_ok = start == 0 or not (is_word_char(text[start - 1]) and is_word_char(text[start]))
        right_ok = end == len(text) or not (is_word_char(text[end - 1]) and is_word_char(text[end]))
        return left_ok and right_ok

    def _snap(self, hit: _Hit, reach: int = 2) -> _Hit | None:
        """Trim edge spaces and extend a cut word by at most ``reach`` characters, else give up."""
        text = self.text
        start, end = hit.start, hit.end
        while start < end and (text[start].isspace() or text[start] in _EDGE_QUOTES):
            start += 1
        while end > start and (text[end - 1].isspace() or text[end - 1] in _EDGE_QUOTES + ",;:"):
            end -= 1
        if start >= end:
            return None
        if not reach:  # (the usual call: whole words as found, or nothing; no extension to try)
            if (start and is_word_char(text[start - 1]) and is_word_char(text[start])) or (
                end < len(text) and is_word_char(text[end - 1]) and is_word_char(text[end])
            ):
                return None
            return hit if start == hit.start and end == hit.end else _Hit(start, end, hit.alignment)
        alignment = hit.alignment
        new_start = start
        while new_start > 0 and is_word_char(text[new_start - 1]) and is_word_char(text[new_start]):
            new_start -= 1
        new_end = end
        while new_end < len(text) and is_word_char(text[new_end - 1]) and is_word_char(text[new_end]):
            new_end += 1
        if start - new_start > reach or new_end - end > reach:
            return None
        if (new_start, new_end) != (start, end):
            alignment = Alignment.FUZZY
        return _Hit(new_start, new_end, alignment)

    def _span(self, hit: _Hit) -> Span:
        """The span of a hit: one (frozen) object per stretch and alignment, however often found.

        A speaker's words next to a quote are one of the occurrences of its name found
        before, a cue may be found twice: sharing the object saves validating it again and
        keeps fewer objects alive for the garbage collector to scan.
        """
        # (an int key: a tuple holding the enum would be one more object for the collector)
        key = ((hit.start * (len(self.text) + 1)) + hit.end) * 3 + _ALIGNMENT_RANK[hit.alignment]
        span = self._spans.get(key)
        if span is None:
            span = self._spans[key] = Span(
                start=hit.start, end=hit.end, text=self.text[hit.start : hit.end], alignment=hit.alignment
            )
        return span


_ALIGNMENT_RANK = {Alignment.EXACT: 0, Alignment.NORMALIZED: 1, Alignment.FUZZY: 2}


def _bare(needle: str) -> str:
    """A needle without the spaces and quotation marks around it (how the text is searched for it)."""
    return needle.strip().strip(_EDGE_QUOTES).strip()


def _variants(quote: str) -> list[str]:
    """The quote as given, without enclosing quotation marks, and without trailing punctuation."""
    out = [quote]
    bare = quote.strip(_EDGE_QUOTES + " ")
    if bare and bare != quote:
        out.append(bare)
    trimmed = bare.rstrip(".,;:!?" + _EDGE_QUOTES + " ")
    if trimmed and trimmed not in out:
        out.append(trimmed)
    return out


#: Haystacks longer than this are first searched for proof that nothing can align (the whole
#: text, for a name): the proof costs a ``find`` per character of the needle, more than
#: aligning a quote with its cited sentences, where it nearly always fails anyway.
_PROVE_OVER = 2_000


def _may_align(needle: str, haystack: str, threshold: float) -> bool:
    """False only when no stretch of ``haystack`` scores ``threshold`` against ``needle`` in partial_ratio.

    partial_ratio scores stretches of the longer string no longer than the shorter, ``needle``
    (m characters), by ``fuzz.ratio``: 100 × (1 − E / (m + w)) for a stretch of w ≤ m characters
    and E insertions and deletions between the two. Stretches shorter than the needle are only
    tried at the haystack's two ends (its first and last m − 1 characters), which
    :func:`_ends_may_align` scores directly. Every other stretch is as long as the needle and
    scores 100 × L / m for the L characters the two share in order: reaching the threshold t
    leaves out at most D = ⌊(1 − t/100) × m⌋ of the needle's characters, and as many of the
    stretch's are extra. Cut the needle into pieces: each character left out spoils the one
    piece it falls in and each extra one at most the one it falls inside, so at least one of
    2D + 1 pieces is in the stretch as it is, hence in the haystack. Cutting the needle greedily
    into the shortest pieces the haystack lacks (a few ``find`` calls, in C) and finding more
    than 2D proves there is no match there, for a fraction of the alignment's cost over a long
    text: the usual case for a name the article does not have, searched for in the whole text.
    (A name of up to nine characters has D = 0 at 90: only an exact copy would do.)
    """
    size = len(needle)
    edits = 2 * int((100 - threshold) * size / 100 + 1e-6)  # (the margin: rounding never drops a case)
    absent = 0
    start, at = 0, 0  # the piece being grown, needle[start:end], is first found at ``at``
    for end in range(1, size + 1):
        # (every occurrence of a longer piece is one of the shorter's: search on from the last)
        at = haystack.find(needle[start:end], at)
        if at == -1:
            absent += 1
            if absent > edits:
                return _ends_may_align(needle, haystack, threshold)
            start, at = end, 0
    return True


def _ends_may_align(needle: str, haystack: str, threshold: float) -> bool:
    """Whether a stretch at either end of ``haystack`` may score ``threshold`` against ``needle``.

    partial_ratio tries the haystack's prefixes and suffixes shorter than the needle; those of
    its first and last 2m characters are the same stretches (with a few more, as long as the
    needle, which can only make this say yes more often).
    """
    reach = 2 * len(needle)
    return any(
        fuzz.partial_ratio(needle, end, score_cutoff=threshold) >= threshold
        for end in (haystack[:reach], haystack[-reach:])
    )


def _refine(target: str, haystack: str, start: int, end: int, extra: int = 0) -> tuple[int, int]:
    """Move a partial-ratio window's edges to the word boundaries that best fit the target.

    partial_ratio aligns a window as long as the target, so when the source has
    extra or fewer words the window cuts the quote short at one end. ``extra``
    characters more of reach allow for as many the source has and the quote lacks.
    """
    slack = max(8, len(target) // 3) + extra
    starts = [
        m.start()
        for m in _WORD_START.finditer(haystack, max(0, start - slack), min(len(haystack), start + slack))
    ]
    ends = [
        m.end() for m in _WORD_END.finditer(haystack, max(0, end - slack), min(len(haystack), end + slack))
    ]
    best = (fuzz.ratio(target, haystack[start:end]), start, end)
    size = len(target)
    ends = ends or [end]
    for s in starts or [start]:
        # No window can score above 100 * (1 - |length difference| / total length), so only
        # ends within a length difference that could still beat the best so far are tried.
        candidates = ends
        if best[0] > 0:
            reach = 2 * size * (100 / best[0] - 1) + 2
            candidates = ends[bisect_left(ends, s + size - reach) : bisect_right(ends, s + size + reach)]
        for e in candidates:
            if e - s < size // 2:
                continue
            if 100 * (1 - abs(e - s - size) / (e - s + size)) < best[0] - 1e-6:
                continue  # cannot beat the best (the margin is for rounding)
            score = fuzz.ratio(target, haystack[s:e], score_cutoff=best[0])
            if score > best[0]:
                best = (score, s, e)
    return best[1], best[2]


_WORD_START = re.compile(r"(?<!\w)\w|(?<=\w)(?=[^\w\s])")
_WORD_END = re.compile(r"\w(?!\w)|[^\w\s](?=\s|$)")


def _distance(start: int, end: int, region_start: int, region_end: int) -> int:
    """Characters between a hit and a region (0 when they touch or overlap)."""
    if end <= region_start:
        return region_start - end
    if start >= region_end:
        return start - region_end
    return 0
