"""``offline``: the work grows with a paragraph's length, not with its square.

Every feature of the pairing asked which spans of the paragraph lie between or near two
offsets, and scanned them all: a 288 KB text of one paragraph ran for minutes. Work is
counted as Python calls (the profiler's count is exact and the same on every machine), never
timed. :class:`~claimx.offline.spanindex.SpanIndex` must give the scans' answers exactly.
"""

from __future__ import annotations

import cProfile
import pstats
import random

from claimx.document import Document
from claimx.offline import offline_response
from claimx.offline.spanindex import SpanIndex
from claimx.offline.tagger import TaggedSpan

# Quotations, reported speech, "according to", a description ("the minister"): four sentences.
_PARAGRAPH = (
    '"We will not back down," Senator Maria Alvarez said on Tuesday. She told reporters that the bill '
    "would pass, according to aides. Critics argued the plan was reckless, and the minister warned that "
    '"costs will soar." '
)


def _calls(repeats: int) -> int:
    """The Python calls the offline extractor makes on one paragraph of ``repeats`` × four sentences."""
    document = Document.from_text(_PARAGRAPH * repeats)
    profile = cProfile.Profile()
    profile.enable()
    response = offline_response(document)
    profile.disable()
    assert len(response.statements) >= 2 * repeats  # (the text is read: statements in every repeat)
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


def test_a_paragraph_four_times_as_long_costs_about_four_times_the_work() -> None:
    offline_response(Document.from_text(_PARAGRAPH))  # (models loaded before counting)
    short, long = _calls(40), _calls(160)
    # Linear work gives 4; the scans of every span gave 13 (and 8,000 sentences took minutes).
    assert long / short < 5, (short, long)


def _spans(rng: random.Random, ordered: bool) -> list[TaggedSpan]:
    spans = []
    for _ in range(rng.randrange(0, 12)):
        start = rng.randrange(0, 60)
        spans.append(TaggedSpan("CUE", start, start + rng.randrange(0, 15), 0))
    if ordered:
        spans.sort(key=lambda s: s.start)
    elif spans and rng.random() < 0.3:
        spans.append(TaggedSpan("CUE", 40, 30, 0))  # (a span ending before it starts: not bisected)
    return spans


def test_span_index_gives_what_a_scan_of_every_span_gives() -> None:
    rng = random.Random(7)
    for trial in range(3000):
        spans = _spans(rng, ordered=trial % 3 != 0)
        index = SpanIndex(spans)
        lo = rng.randrange(-5, 80)
        hi = lo + rng.randrange(-5, 30)

        tests = (
            (index.starting, lambda s, lo=lo, hi=hi: lo <= s.start and s.end <= hi),  # inside
            (index.starting, lambda s, lo=lo, hi=hi: lo <= s.start <= hi),
            (index.touching, lambda s, lo=lo, hi=hi: s.start <= hi and s.end >= lo),
        )
        for found, test in tests:
            assert [s for s in found(lo, hi) if test(s)] == [s for s in spans if test(s)], (spans, lo, hi)


def test_span_index_of_an_unordered_list_answers_with_all_of_it() -> None:
    spans = [TaggedSpan("SRC", 10, 12, 0), TaggedSpan("SRC", 2, 4, 0)]
    assert SpanIndex(spans).starting(0, 5) == spans
    assert SpanIndex(spans).touching(0, 5) == spans
