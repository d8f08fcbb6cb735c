"""Spans near an offset window, found by bisection instead of a scan of them all.

The pairing features and the frame rules ask, for every content and every candidate, which
cues, sources or contents of the paragraph lie between, around or near two offsets. Scanning
the paragraph's spans for each question made the extractor quadratic in a paragraph's length
(a 288 KB text of one paragraph ran for minutes). A :class:`SpanIndex` answers with the few
spans that *may* match, in their original order, and the caller applies its own test to them:
the answer is the same as the scan's, only without the spans that cannot match.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate

from claimx.offline.tagger import TaggedSpan

__all__ = ["SpanIndex"]


class SpanIndex:
    """A list of spans, searchable by offset when it is in text order (else searched whole).

    Every query returns a superset of the spans it names, as a slice of the list (its order
    kept): callers filter it with the same test they would apply to the whole list, so a
    result never depends on the index. A list out of start order, or holding a span that ends
    before it starts, cannot be bisected safely: then every query returns the whole list.
    """

    def __init__(self, spans: list[TaggedSpan]) -> None:
        self.spans = spans
        self._starts = [s.start for s in spans]
        self._ordered = all(s.start <= s.end for s in spans) and all(
            a <= b for a, b in zip(self._starts, self._starts[1:], strict=False)
        )
        # (the furthest end of the spans up to each one: its first index ≥ lo starts the spans reaching lo)
        self._reach = list(accumulate((s.end for s in spans), max))

    def starting(self, lo: int, hi: int) -> list[TaggedSpan]:
        """The spans that may start within ``[lo, hi]`` (among them every span inside it)."""
        if not self._ordered:
            return self.spans
        return self.spans[bisect_left(self._starts, lo) : bisect_right(self._starts, hi)]

    def touching(self, lo: int, hi: int) -> list[TaggedSpan]:
        """The spans that may share an offset with ``[lo, hi]``: start at or before hi, end at or after lo."""
        if not self._ordered:
            return self.spans
        return self.spans[bisect_left(self._reach, lo) : bisect_right(self._starts, hi)]
